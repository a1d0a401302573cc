//! A notice above the editor: why a share link or the autosave could not be used, or why a link
//! could not be made. Dismissable; plain text.

use yew::prelude::*;

/// Properties of [`Notice`].
#[derive(Properties, PartialEq)]
pub struct NoticeProps {
    /// The sentence to show.
    pub message: AttrValue,
    /// Called when the notice is dismissed.
    pub on_dismiss: Callback<()>,
}

/// One notice with a dismiss button.
#[function_component(Notice)]
pub fn notice(props: &NoticeProps) -> Html {
    let onclick = props.on_dismiss.reform(|_: MouseEvent| ());
    html! {
        <div class="notice" role="alert">
            <span class="notice-text">{ props.message.clone() }</span>
            <button class="notice-dismiss" aria-label="Dismiss" {onclick}>{ "×" }</button>
        </div>
    }
}
