//! The playground's entry point: installs the panic banner, then mounts [`podflow_web::App`] on
//! the page's body.

fn main() {
    podflow_web::panic_banner::install();
    yew::Renderer::<podflow_web::App>::new().render();
}
