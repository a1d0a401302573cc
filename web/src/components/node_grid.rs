//! The aggregated node grid of a big cluster, drawn on one `<canvas>`: a 10 px square per node,
//! filled from the bottom by its cpu requests, red when not Ready, outlined when cordoned or a
//! condition needs attention. At 1,000 nodes a grid of DOM cells cost Yew's diff and the browser's
//! style recalculation about 4 ms a render while pods came and went; the canvas costs one draw.
//! The hover text names the node under the pointer; `data-nodes` counts the cells drawn.

use std::rc::Rc;

use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};
use yew::prelude::*;

use super::cluster_view::NodeCell;

/// A cell's side, CSS pixels.
pub const CELL: u32 = 10;
/// The gap between two cells, CSS pixels.
pub const GAP: u32 = 2;

/// Properties of [`NodeGrid`].
#[derive(Properties, PartialEq)]
pub struct NodeGridProps {
    /// The cells, in node name order.
    pub cells: Rc<[NodeCell]>,
}

/// How many cells fit in a row `width` CSS pixels wide (at least one).
pub fn columns(width: u32) -> u32 {
    ((width + GAP) / (CELL + GAP)).max(1)
}

/// The cell under the point (`x`, `y`), CSS pixels from the grid's corner, with `cols` columns.
pub fn cell_at(x: f64, y: f64, cols: u32, count: usize) -> Option<usize> {
    if x < 0.0 || y < 0.0 {
        return None;
    }
    let pitch = f64::from(CELL + GAP);
    let (col, row) = ((x / pitch) as u32, (y / pitch) as u32);
    // The gap belongs to no cell.
    if col >= cols || x - f64::from(col) * pitch >= f64::from(CELL) {
        return None;
    }
    if y - f64::from(row) * pitch >= f64::from(CELL) {
        return None;
    }
    let i = (row * cols + col) as usize;
    (i < count).then_some(i)
}

/// The page's colour for a CSS custom property (`--accent`), with a fallback.
fn colour(style: Option<&web_sys::CssStyleDeclaration>, name: &str, fallback: &str) -> String {
    style
        .and_then(|s| s.get_property_value(name).ok())
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| fallback.to_string())
}

/// What a draw reads from the page, kept between draws: reading a size or a computed style
/// right after Yew patched the DOM forces the browser to lay the page out there and then.
#[derive(Debug, Clone, PartialEq)]
struct Look {
    /// The canvas's width, CSS pixels.
    width: u32,
    /// The device pixel ratio.
    ratio: f64,
    /// Colours: no pods, cpu requested, not Ready, needs attention.
    empty: String,
    load: String,
    bad: String,
    warn: String,
}

impl Look {
    fn of(canvas: &HtmlCanvasElement) -> Option<Look> {
        let window = web_sys::window()?;
        let style = window.get_computed_style(canvas).ok().flatten();
        Some(Look {
            width: u32::try_from(canvas.client_width()).unwrap_or(0).max(CELL),
            ratio: window.device_pixel_ratio().clamp(1.0, 4.0),
            empty: colour(style.as_ref(), "--border", "#d6dae0"),
            load: colour(style.as_ref(), "--accent", "#326ce5"),
            bad: colour(style.as_ref(), "--bad", "#cf222e"),
            warn: colour(style.as_ref(), "--warn", "#9a6700"),
        })
    }
}

/// Draws every cell, resizing the canvas only when the rows it needs changed.
fn draw(canvas: &HtmlCanvasElement, look: &Look, cells: &[NodeCell]) {
    let cols = columns(look.width);
    let rows = (cells.len() as u32).div_ceil(cols);
    let height = (rows * (CELL + GAP)).saturating_sub(GAP);
    let (w, h) = (
        (f64::from(look.width) * look.ratio).round() as u32,
        (f64::from(height) * look.ratio).round() as u32,
    );
    let Some(ctx) = canvas
        .get_context("2d")
        .ok()
        .flatten()
        .and_then(|c| c.dyn_into::<CanvasRenderingContext2d>().ok())
    else {
        return;
    };
    if canvas.width() != w || canvas.height() != h {
        canvas.set_width(w);
        canvas.set_height(h);
        let _ = canvas
            .style()
            .set_property("height", &format!("{height}px"));
    }
    let _ = ctx.set_transform(look.ratio, 0.0, 0.0, look.ratio, 0.0, 0.0);
    ctx.clear_rect(0.0, 0.0, f64::from(look.width), f64::from(height));
    let side = f64::from(CELL);
    // One colour at a time: fewer state changes for the canvas.
    for (pass, fill) in [(0, &look.empty), (1, &look.load), (2, &look.bad)] {
        ctx.set_fill_style_str(fill);
        for (i, c) in cells.iter().enumerate() {
            let (x, y) = corner(i, cols);
            let is_bad = c.state == "bad";
            match pass {
                0 if !is_bad => ctx.fill_rect(x, y, side, side),
                1 if !is_bad && c.cpu > 0 => {
                    let h = side * f64::from(c.cpu.min(100)) / 100.0;
                    ctx.fill_rect(x, y + side - h, side, h);
                }
                2 if is_bad => ctx.fill_rect(x, y, side, side),
                _ => {}
            }
        }
    }
    ctx.set_stroke_style_str(&look.warn);
    ctx.set_line_width(1.0);
    for (i, c) in cells.iter().enumerate() {
        if c.state == "waiting" {
            let (x, y) = corner(i, cols);
            ctx.stroke_rect(x + 0.5, y + 0.5, side - 1.0, side - 1.0);
        }
    }
}

/// The top left corner of cell `i`, CSS pixels.
fn corner(i: usize, cols: u32) -> (f64, f64) {
    let pitch = f64::from(CELL + GAP);
    let i = i as u32;
    (f64::from(i % cols) * pitch, f64::from(i / cols) * pitch)
}

/// The grid.
#[function_component(NodeGrid)]
pub fn node_grid(props: &NodeGridProps) -> Html {
    let canvas = use_node_ref();
    // Read on the first draw and again after the window is resized, which redraws.
    let look = use_mut_ref(|| None::<Look>);
    let resizes = use_mut_ref(|| 0u32);
    let redraw = use_force_update();
    {
        let (look, resizes) = (look.clone(), resizes.clone());
        use_effect_with((), move |_| {
            let listener = web_sys::window().map(|w| {
                gloo_events::EventListener::new(&w, "resize", move |_| {
                    *look.borrow_mut() = None;
                    *resizes.borrow_mut() += 1;
                    redraw.force_update();
                })
            });
            move || drop(listener)
        });
    }
    {
        let (canvas, look) = (canvas.clone(), look.clone());
        use_effect_with(
            (props.cells.clone(), *resizes.borrow()),
            move |(cells, _)| {
                if let Some(c) = canvas.cast::<HtmlCanvasElement>() {
                    let mut look = look.borrow_mut();
                    if look.is_none() {
                        *look = Look::of(&c);
                    }
                    if let Some(l) = look.as_ref() {
                        draw(&c, l, cells);
                    }
                }
            },
        );
    }
    let onmousemove = {
        let (cells, look) = (props.cells.clone(), look.clone());
        Callback::from(move |e: MouseEvent| {
            let Some(c) = e.target_dyn_into::<HtmlCanvasElement>() else {
                return;
            };
            // The columns the cells were drawn in.
            let Some(cols) = look.borrow().as_ref().map(|l| columns(l.width)) else {
                return;
            };
            let rect = c.get_bounding_client_rect();
            let (x, y) = (
                f64::from(e.client_x()) - rect.left(),
                f64::from(e.client_y()) - rect.top(),
            );
            let title = cell_at(x, y, cols, cells.len())
                .map(|i| cells[i].title())
                .unwrap_or_default();
            let _ = c.set_attribute("title", &title);
        })
    };
    html! {
        <canvas ref={canvas} class="node-grid" role="img" data-nodes={props.cells.len().to_string()}
            aria-label={format!("{} nodes; hover for each node's status", props.cells.len())} {onmousemove} />
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pointer_finds_the_cell_under_it_and_none_in_the_gaps() {
        // 100 px hold 8 cells of 10 px with 2 px gaps (8 × 12 − 2 = 94).
        assert_eq!(columns(100), 8);
        assert_eq!(columns(94), 8);
        assert_eq!(columns(93), 7);
        assert_eq!(columns(0), 1);
        assert_eq!(cell_at(0.0, 0.0, 8, 20), Some(0));
        assert_eq!(cell_at(9.9, 9.9, 8, 20), Some(0));
        assert_eq!(cell_at(10.5, 3.0, 8, 20), None);
        assert_eq!(cell_at(12.0, 0.0, 8, 20), Some(1));
        assert_eq!(cell_at(3.0, 12.0, 8, 20), Some(8));
        // Row 2, column 3 is cell 19; cell 20 does not exist.
        assert_eq!(cell_at(36.0, 24.0, 8, 20), Some(19));
        assert_eq!(cell_at(48.0, 24.0, 8, 20), None);
        assert_eq!(cell_at(100.0, 0.0, 8, 20), None);
        assert_eq!(cell_at(-1.0, 0.0, 8, 20), None);
    }
}
