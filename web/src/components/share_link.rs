//! The link the Share button made: in a read-only field to copy by hand, with whether it is
//! already on the clipboard.

use yew::prelude::*;

/// Where the link went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Copied {
    /// The clipboard is being written.
    Pending,
    /// It is on the clipboard.
    Yes,
    /// The page has no clipboard, or the browser refused: copy it from the field.
    No,
}

/// Properties of [`ShareLink`].
#[derive(Properties, PartialEq)]
pub struct ShareLinkProps {
    /// The whole link (also in the address bar).
    pub url: AttrValue,
    /// Whether it is on the clipboard.
    pub copied: Copied,
}

/// The link field and its status line.
#[function_component(ShareLink)]
pub fn share_link(props: &ShareLinkProps) -> Html {
    let status = match props.copied {
        Copied::Pending => "Copying the link…",
        Copied::Yes => "Link copied to the clipboard; it is also in the address bar.",
        Copied::No => "Copy this link (it is also in the address bar):",
    };
    let onfocus = Callback::from(|e: FocusEvent| {
        if let Some(input) = e.target_dyn_into::<web_sys::HtmlInputElement>() {
            input.select();
        }
    });
    html! {
        <div class="share">
            <span class="share-status">{ status }</span>
            <input class="share-url" type="text" readonly=true value={props.url.clone()} {onfocus} />
        </div>
    }
}
