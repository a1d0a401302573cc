//! `podflow-bench-wasm`: the bench's workloads compiled to wasm32 and run in a browser, so the
//! wasm/native ratio is known. `podflow-bench --wasm` builds this crate, runs `wasm-bindgen
//! --target web` on it and calls [`run`] in a fresh headless Chromium page (in a dedicated
//! worker) per run.
//!
//! * [`run`] runs one workload at full size and returns the same `RESULT` line the native
//!   child process prints: wall time from `performance.now()`, no CPU time, and as peak memory the
//!   size of the instance's `WebAssembly.Memory` (it only grows, so at the end it is the peak).
//! * [`smoke`] runs one workload at smoke size and checks it (every pod bound, or Running and
//!   Ready, placement rules kept).
//! * [`last_panic`] is the message of the last panic, for the page to report when a call traps.
//!
//! Natively the crate compiles (so the workspace's clippy and tests cover it) but its exports
//! are only meant to be called from JavaScript.

use std::cell::RefCell;

use podflow_bench::clock::MillisClock;
use podflow_bench::report::{self, Sample};
use podflow_bench::shape::{Scale, Shape};
use wasm_bindgen::prelude::*;
// The playground's word-at-a-time `memcmp` (see the crate): named so that it is linked.
#[cfg(target_arch = "wasm32")]
use podflow_wasm_memcmp as _;

#[wasm_bindgen]
extern "C" {
    /// `performance.now()`: milliseconds since the page (or worker) started.
    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    fn performance_now() -> f64;
}

thread_local! {
    static LAST_PANIC: RefCell<String> = const { RefCell::new(String::new()) };
}

fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let message = info.to_string();
        LAST_PANIC.with(|p| *p.borrow_mut() = message);
    }));
}

/// The size of this instance's linear memory in bytes (`WebAssembly.Memory`'s buffer
/// `byteLength`), read from the instance itself so that 4 GiB does not overflow a `u32`.
pub fn memory_bytes() -> u64 {
    #[cfg(target_arch = "wasm32")]
    {
        core::arch::wasm32::memory_size(0) as u64 * 65_536
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        0
    }
}

/// The linear memory's size in bytes, for JavaScript (a `Number`: exact up to 2^53).
#[wasm_bindgen(js_name = memoryBytes)]
pub fn memory_bytes_js() -> f64 {
    memory_bytes() as f64
}

/// Runs the workload `name` (any name the native binary accepts, `name/N` included) once at
/// full size and returns its `RESULT` line; an error names what went wrong.
#[wasm_bindgen]
pub fn run(name: &str) -> Result<String, JsValue> {
    install_panic_hook();
    let shape = Shape::named(name, Scale::Full)
        .ok_or_else(|| JsValue::from_str(&format!("unknown workload {name:?}")))?;
    let (outcome, cluster) = podflow_bench::run_with(&shape, &MillisClock(performance_now))
        .map_err(|e| JsValue::from_str(&format!("{name}: {e}")))?;
    let sample = Sample {
        outcome,
        peak_rss_kib: Some(memory_bytes() / 1024),
    };
    // Tearing down a large cluster is not part of any measurement (as natively).
    std::mem::forget(cluster);
    Ok(report::encode(&sample))
}

/// Runs the workload `name` at smoke size and checks it; returns a one-line summary (`ok …`) or
/// throws the first problem found.
#[wasm_bindgen]
pub fn smoke(name: &str) -> Result<String, JsValue> {
    install_panic_hook();
    let o = podflow_bench::check::smoke_with(name, &MillisClock(performance_now))
        .map_err(|e| JsValue::from_str(&e))?;
    Ok(format!(
        "ok   {name:<20} {:>4} nodes {:>5} pods  {:>8.1} ms  virtual {}  memory {:.0}MiB",
        o.nodes,
        o.pods,
        o.measured.as_secs_f64() * 1e3,
        o.virtual_end,
        memory_bytes() as f64 / (1024.0 * 1024.0)
    ))
}

/// The message of the last panic in this instance (empty when none), for the page to report
/// after a call trapped.
#[wasm_bindgen(js_name = lastPanic)]
pub fn last_panic() -> String {
    LAST_PANIC.with(|p| p.borrow().clone())
}
