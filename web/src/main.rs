//! The playground's entry point: mounts [`podflow_web::App`] on the page's body.

fn main() {
    yew::Renderer::<podflow_web::App>::new().render();
}
