//! The time controls: reset, back to the previous step (←), play/pause (Space), step to the next
//! event (→), the speed, jump to "all settled", the clock and the seed.

use web_sys::HtmlInputElement;
use yew::prelude::*;

/// How fast playing runs virtual time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Speed {
    /// One virtual second per second.
    X1,
    /// Ten virtual seconds per second.
    X10,
    /// A hundred virtual seconds per second.
    X100,
    /// As fast as the page can.
    Max,
}

impl Speed {
    /// Every speed, in the picker's order.
    pub const ALL: [Speed; 4] = [Speed::X1, Speed::X10, Speed::X100, Speed::Max];

    /// Its label.
    pub fn label(self) -> &'static str {
        match self {
            Speed::X1 => "1×",
            Speed::X10 => "10×",
            Speed::X100 => "100×",
            Speed::Max => "max",
        }
    }

    /// Virtual milliseconds per 100 ms tick (`Max` runs 10 virtual minutes per tick).
    pub fn tick_ms(self) -> u64 {
        match self {
            Speed::X1 => 100,
            Speed::X10 => 1_000,
            Speed::X100 => 10_000,
            Speed::Max => 600_000,
        }
    }
}

/// What a toolbar button asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimeCommand {
    /// Back to t = 0 without the user's actions.
    Reset,
    /// To the previous visible step.
    Back,
    /// Play or pause.
    TogglePlay,
    /// To the next visible step.
    Step,
    /// Run until nothing happens for 30 s.
    Settle,
    /// Change the speed.
    Speed(Speed),
    /// Replay under another seed.
    Seed(u64),
}

/// Properties of [`Toolbar`].
#[derive(Properties, PartialEq)]
pub struct ToolbarProps {
    /// The virtual time, already formatted.
    pub clock: AttrValue,
    /// Whether time is running.
    pub playing: bool,
    /// The current speed.
    pub speed: Speed,
    /// The seed.
    pub seed: u64,
    /// Called with each command.
    pub on_command: Callback<TimeCommand>,
}

/// The toolbar.
#[function_component(Toolbar)]
pub fn toolbar(props: &ToolbarProps) -> Html {
    let cmd = |c: TimeCommand| {
        let cb = props.on_command.clone();
        Callback::from(move |_: MouseEvent| cb.emit(c.clone()))
    };
    let on_seed = {
        let cb = props.on_command.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            if let Ok(seed) = input.value().trim().parse::<u64>() {
                cb.emit(TimeCommand::Seed(seed));
            }
        })
    };
    html! {
        <div class="toolbar" role="toolbar" aria-label="Time">
            <button class="reset" title="Reset to t = 0" onclick={cmd(TimeCommand::Reset)}>{ "⏮ Reset" }</button>
            <button class="back" title="Back to the previous step (←)" onclick={cmd(TimeCommand::Back)}>{ "◀ Back" }</button>
            <button class={classes!("play", props.playing.then_some("active"))} title="Play / pause (Space)" onclick={cmd(TimeCommand::TogglePlay)}>
                { if props.playing { "⏸ Pause" } else { "▶ Play" } }
            </button>
            <button class="step" title="Step to the next event (→)" onclick={cmd(TimeCommand::Step)}>{ "Step ▶" }</button>
            <span class="speeds" role="group" aria-label="Speed">
                { for Speed::ALL.iter().map(|s| html! {
                    <button class={classes!("speed", (*s == props.speed).then_some("active"))} onclick={cmd(TimeCommand::Speed(*s))}>{ s.label() }</button>
                }) }
            </span>
            <button class="settle" title="Run until all has settled" onclick={cmd(TimeCommand::Settle)}>{ "⏭ Settle" }</button>
            <span class="clock">{ format!("t = {}", props.clock) }</span>
            <label class="seed">{ "seed " }
                <input type="number" min="0" value={props.seed.to_string()} onchange={on_seed} aria-label="Seed" />
            </label>
        </div>
    }
}
