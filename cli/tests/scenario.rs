//! `podflow scenario encode` and `decode`, run as the binary: what goes to stdout and stderr, and
//! the exit status.

use std::io::Write;
use std::process::{Command, Output, Stdio};

const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: café}\nspec: {containers: [{name: c, image: nginx}]}\n";

fn podflow(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_podflow"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("podflow runs");
    let mut pipe = child.stdin.take().expect("stdin");
    pipe.write_all(stdin.unwrap_or("").as_bytes())
        .expect("stdin written");
    drop(pipe);
    child.wait_with_output().expect("podflow exits")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("UTF-8 output")
}

/// A scratch file in a folder of this test run.
fn file(name: &str, contents: &[u8]) -> String {
    let dir = std::env::temp_dir().join(format!("podflow-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    let path = dir.join(name);
    std::fs::write(&path, contents).expect("scratch file");
    path.to_string_lossy().into_owned()
}

#[test]
fn a_scenario_goes_into_a_link_and_comes_back_with_its_playhead() {
    let pod = file("roundtrip.yaml", POD.as_bytes());
    let out = podflow(&["scenario", "encode", "--at", "90s", &pod], None);
    assert_eq!(text(&out.stderr), "");
    assert_eq!(out.status.code(), Some(0));
    let fragment = text(&out.stdout);
    assert!(
        fragment.starts_with("#v1.") && fragment.ends_with('\n'),
        "{fragment}"
    );
    let out = podflow(&["scenario", "decode", fragment.trim_end()], None);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stdout), POD);
    assert_eq!(text(&out.stderr), "playhead: 1m30s\n");
}

#[test]
fn with_a_base_the_whole_link_is_printed_and_read_back() {
    let pod = file("base.yaml", POD.as_bytes());
    let out = podflow(
        &[
            "scenario",
            "encode",
            "--base",
            "https://podflow.example/play#old",
            &pod,
        ],
        None,
    );
    let link = text(&out.stdout);
    assert!(
        link.starts_with("https://podflow.example/play#v1."),
        "{link}"
    );
    // A link longer than one argument may be comes on standard input.
    let out = podflow(&["scenario", "decode", "-"], Some(&link));
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stdout), POD);
    assert_eq!(text(&out.stderr), "playhead: 0s\n");
}

#[test]
fn several_files_become_one_multi_document_scenario() {
    let a = file("a.yaml", b"kind: A");
    let b = file("b.yaml", b"kind: B\n");
    let fragment = text(&podflow(&["scenario", "encode", &a, &b], None).stdout);
    let out = podflow(&["scenario", "decode", fragment.trim_end()], None);
    assert_eq!(text(&out.stdout), "---\nkind: A\n---\nkind: B\n");
}

#[test]
fn a_bad_link_is_refused_on_stderr_with_status_1() {
    for (link, reason) in [
        (
            "#v9.AAAA",
            "unsupported share link version \"v9\" (this podflow reads \"v1\")",
        ),
        (
            "https://podflow.example/",
            "it is not a podflow share link (#v1.…)",
        ),
        (
            "#v1.ab+c",
            "the link is not valid base64url: unexpected character '+' at offset 2",
        ),
        ("#v1.____", "the compressed scenario is corrupt"),
    ] {
        let out = podflow(&["scenario", "decode", link], None);
        assert_eq!(out.status.code(), Some(1), "{link}");
        assert_eq!(text(&out.stdout), "", "{link}");
        assert_eq!(
            text(&out.stderr),
            format!("error: this share link could not be opened: {reason}\n")
        );
    }
}

#[test]
fn encoding_refuses_what_no_link_may_carry() {
    let pod = file("late.yaml", POD.as_bytes());
    let out = podflow(&["scenario", "encode", "--at", "2h", &pod], None);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        "error: cannot write a share link: the playhead 2h0m0s is later than the limit of 1h0m0s\n"
    );
    let out = podflow(&["scenario", "encode", "--at", "soon", &pod], None);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        "error: invalid argument \"soon\" for \"--at\" flag: time: invalid duration \"soon\"\n"
    );
    let out = podflow(&["scenario", "encode", "/nonexistent/pod.yaml"], None);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        "error: the path \"/nonexistent/pod.yaml\" does not exist\n"
    );
}

#[test]
fn invalid_utf8_is_carried_as_kubectl_reads_it() {
    let bad = file("bad.yaml", b"kind: ConfigMap\nmetadata: {name: \xff}\n");
    let fragment = text(&podflow(&["scenario", "encode", &bad], None).stdout);
    let out = podflow(&["scenario", "decode", fragment.trim_end()], None);
    assert_eq!(
        text(&out.stdout),
        "kind: ConfigMap\nmetadata: {name: \u{fffd}}\n"
    );
}

#[test]
fn run_still_reads_files_and_standard_input() {
    let out = podflow(&["run", "--until", "0s", "-"], Some(POD));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr)
            .starts_with("The Pod \"café\" is invalid: metadata.name: Invalid value: \"café\""),
        "{}",
        text(&out.stderr)
    );
    let ok = POD.replace("café", "cafe");
    let out = podflow(&["run", "--until", "0s", "-"], Some(&ok));
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).starts_with("pod/cafe created\n"));
}
