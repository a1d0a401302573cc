//! `podflow scenario encode` and `decode`: share links on the command line, in the format of
//! [`podflow_core::share`] (the playground reads and writes the same links).
//!
//! `encode` joins its files into one scenario text — one file as it is, several each after a
//! `---` line, as one multi-document YAML — and prints the fragment, or the whole link with
//! `--base`. `decode` prints the text exactly as the link carries it on stdout and
//! `playhead: DURATION` (a Go duration that `--at` takes back) on stderr, so
//! `podflow scenario decode LINK > scenario.yaml` keeps the scenario clean.

use std::io::{Read, Write};
use std::process::ExitCode;

use podflow_core::kubelet::timing::go_duration;
use podflow_core::scenario::parse_duration;
use podflow_core::share;
use podflow_core::sim::SimTime;

use crate::args::Encode;
use crate::input;

/// Prints the fragment or link for the files.
pub fn encode(args: &Encode) -> ExitCode {
    let at = match parse_duration(&args.at) {
        Ok(d) => SimTime(d.as_millis()),
        Err(e) => {
            eprintln!(
                "error: invalid argument \"{}\" for \"--at\" flag: {e}",
                args.at
            );
            return ExitCode::from(2);
        }
    };
    let mut texts = Vec::new();
    for path in &args.files {
        match input::read(path) {
            Ok(text) => texts.push(text),
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::FAILURE;
            }
        }
    }
    let text = join(texts);
    match share::encode(&text, at) {
        Ok(fragment) => {
            match &args.base {
                Some(base) => println!("{}", share::link(base, &fragment)),
                None => println!("{fragment}"),
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: cannot write a share link: {e}");
            ExitCode::FAILURE
        }
    }
}

/// One scenario text from several files: each after a `---` line when there are several.
fn join(texts: Vec<String>) -> String {
    if texts.len() == 1 {
        return texts.into_iter().next().unwrap_or_default();
    }
    let mut out = String::new();
    for text in texts {
        out.push_str("---\n");
        out.push_str(&text);
        if !text.is_empty() && !text.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}

/// Prints the scenario text of a link (`-`: read the link from standard input, for links longer
/// than one command-line argument may be).
pub fn decode(link: &str) -> ExitCode {
    let stdin_link;
    let link = if link == "-" {
        let mut bytes = Vec::new();
        // A link is at most 2 MiB: stop reading soon after, the decoder refuses it by length.
        let limit = share::MAX_LINK_CHARS as u64 * 4 + 16;
        if let Err(e) = std::io::stdin().take(limit).read_to_end(&mut bytes) {
            eprintln!("error: reading standard input: {e}");
            return ExitCode::FAILURE;
        }
        stdin_link = String::from_utf8_lossy(&bytes).into_owned();
        stdin_link.as_str()
    } else {
        link
    };
    match share::decode(link) {
        Ok(shared) => {
            let mut out = std::io::stdout().lock();
            if out
                .write_all(shared.text.as_bytes())
                .and_then(|_| out.flush())
                .is_err()
            {
                return ExitCode::FAILURE;
            }
            eprintln!("playhead: {}", go_duration(shared.playhead.0));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: this share link could not be opened: {e}");
            ExitCode::FAILURE
        }
    }
}
