//! The few browser APIs the playground touches — the address bar, `localStorage`, the clipboard —
//! each behind a function that returns `None` or an error instead of throwing: a missing API (no
//! storage in a private window, no clipboard outside a secure context) must never stop the page.

use std::cell::Cell;
use std::rc::{Rc, Weak};

use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};

/// The page's fragment with its `#`, or `""`.
pub fn location_hash() -> String {
    web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default()
}

/// The page's address without its fragment.
pub fn location_without_fragment() -> String {
    let href = web_sys::window()
        .and_then(|w| w.location().href().ok())
        .unwrap_or_default();
    match href.split_once('#') {
        Some((page, _)) => page.to_string(),
        None => href,
    }
}

/// Puts `url` in the address bar without a reload or a new history entry.
pub fn replace_url(url: &str) -> bool {
    web_sys::window()
        .and_then(|w| w.history().ok())
        .is_some_and(|h| {
            h.replace_state_with_url(&JsValue::NULL, "", Some(url))
                .is_ok()
        })
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// `localStorage.getItem(key)`.
pub fn storage_get(key: &str) -> Option<String> {
    storage()?.get_item(key).ok().flatten()
}

/// `localStorage.setItem(key, value)`; false when storage is missing or full.
pub fn storage_set(key: &str, value: &str) -> bool {
    storage().is_some_and(|s| s.set_item(key, value).is_ok())
}

/// `localStorage.removeItem(key)`.
pub fn storage_remove(key: &str) {
    if let Some(s) = storage() {
        let _ = s.remove_item(key);
    }
}

/// Starts `navigator.clipboard.writeText(text)`; `None` when the page has no clipboard API.
/// The promise is looked up and called through `Reflect`, so a missing API is an answer, not a
/// thrown TypeError.
pub fn clipboard_write(text: &str) -> Option<js_sys::Promise> {
    let window: JsValue = web_sys::window()?.into();
    let navigator = js_sys::Reflect::get(&window, &JsValue::from_str("navigator")).ok()?;
    let clipboard = js_sys::Reflect::get(&navigator, &JsValue::from_str("clipboard")).ok()?;
    if clipboard.is_undefined() || clipboard.is_null() {
        return None;
    }
    let write = js_sys::Reflect::get(&clipboard, &JsValue::from_str("writeText")).ok()?;
    let write: js_sys::Function = write.dyn_into().ok()?;
    write
        .call1(&clipboard, &JsValue::from_str(text))
        .ok()?
        .dyn_into()
        .ok()
}

/// `performance.now()`, milliseconds (0 where there is none).
pub fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

/// Appends `ms` to the array `window[name]` when a profiler (the bench's `--ui-frames`) put one
/// there; otherwise does nothing.
pub fn record_ms(name: &str, ms: f64) {
    let Some(w) = web_sys::window() else {
        return;
    };
    if let Ok(list) = js_sys::Reflect::get(&w, &JsValue::from_str(name)) {
        if let Some(list) = list.dyn_ref::<js_sys::Array>() {
            list.push(&JsValue::from_f64(ms));
        }
    }
}

/// A `requestAnimationFrame` loop: `each` runs once per animation frame until the loop is
/// dropped. `None` where the page has no window.
pub struct FrameLoop {
    state: Rc<FrameLoopState>,
}

/// The callback `requestAnimationFrame` is given.
type FrameCallback = Closure<dyn FnMut(f64)>;

struct FrameLoopState {
    /// The frame requested last, to cancel.
    id: Cell<Option<i32>>,
    closure: FrameCallback,
}

impl FrameLoopState {
    fn request(&self) {
        let id = web_sys::window().and_then(|w| {
            w.request_animation_frame(self.closure.as_ref().unchecked_ref())
                .ok()
        });
        self.id.set(id);
    }
}

/// Starts a [`FrameLoop`] running `each`.
pub fn frame_loop(mut each: impl FnMut() + 'static) -> Option<FrameLoop> {
    web_sys::window()?;
    // The closure holds the state weakly: dropping the loop (even from inside `each`, where
    // wasm-bindgen defers freeing the running closure) ends it.
    let state = Rc::new_cyclic(|weak: &Weak<FrameLoopState>| {
        let weak = weak.clone();
        FrameLoopState {
            id: Cell::new(None),
            closure: Closure::new(move |_: f64| {
                each();
                if let Some(state) = weak.upgrade() {
                    state.request();
                }
            }),
        }
    });
    state.request();
    Some(FrameLoop { state })
}

impl Drop for FrameLoop {
    fn drop(&mut self) {
        if let (Some(id), Some(w)) = (self.state.id.take(), web_sys::window()) {
            let _ = w.cancel_animation_frame(id);
        }
    }
}

impl std::fmt::Debug for FrameLoop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FrameLoop")
            .field("id", &self.state.id.get())
            .finish()
    }
}
