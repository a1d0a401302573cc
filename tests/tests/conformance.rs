//! The docs-example conformance run: every manifest of `../shared/manifests` on the default
//! three nodes, each INDEX.tsv row's expected outcome checked step by step from
//! `tests/data/conformance.tsv` (expectations as data: pod READY/STATUS/RESTARTS, events and
//! their exact messages, conditions, fields, `kubectl get` rows, logs, refusal texts). Prints
//! `N/49 rows match`; passes only when every row matches.

use std::io::Write;
use std::sync::Arc;

use podflow_core::apiserver::authn;
use podflow_core::kubectl::get::{self, GetOptions};
use podflow_core::object::{kind_for_resource, Object};
use podflow_core::scenario::parse_duration;
use podflow_core::sim::SimTime;
use podflow_core::Cluster;
use podflow_tests::manifests;

const STEPS: &str = include_str!("../data/conformance.tsv");

/// One step of a row's scenario.
#[derive(Debug)]
struct Step {
    file: String,
    at: SimTime,
    verb: String,
    subject: String,
    want: String,
}

fn steps() -> Vec<Step> {
    STEPS
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .skip(1)
        .map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            assert_eq!(c.len(), 5, "conformance.tsv line {l:?}");
            let at = parse_duration(c[1]).unwrap_or_else(|e| panic!("{l}: {e}"));
            Step {
                file: c[0].into(),
                at: SimTime::ZERO.plus(at),
                verb: c[2].into(),
                subject: c[3].into(),
                want: c[4].into(),
            }
        })
        .collect()
}

/// Whether `text` matches `pattern`, where `<hash>` is a pod-template-hash (1–10 characters
/// of the safe alphabet), `<5>` a generateName suffix, `<*>` any run without spaces and
/// `<any>` any text.
fn matches(pattern: &str, text: &str) -> bool {
    const SAFE: &str = "bcdfghjklmnpqrstvwxz2456789";
    for (token, min, max, ok) in [
        (
            "<hash>",
            1,
            10,
            (|c: char| SAFE.contains(c)) as fn(char) -> bool,
        ),
        ("<5>", 5, 5, |c: char| SAFE.contains(c)),
        ("<*>", 1, usize::MAX, |c: char| c != ' '),
        ("<any>", 1, usize::MAX, |_| true),
    ] {
        if let Some(i) = pattern.find(token) {
            let (head, tail) = (&pattern[..i], &pattern[i + token.len()..]);
            let Some(rest) = text.strip_prefix(head) else {
                return false;
            };
            let run = rest.chars().take_while(|c| ok(*c)).count();
            return (min..=run.min(max)).any(|n| {
                let cut: usize = rest.chars().take(n).map(char::len_utf8).sum();
                matches(tail, &rest[cut..])
            });
        }
    }
    pattern == text
}

/// `KIND/[NS/]NAME` (or `[NS/]NAME` for pods) → (kind, namespace, name pattern).
fn target(subject: &str, pod_default: bool) -> (String, String, String) {
    let parts: Vec<&str> = subject.split('/').collect();
    let (kind, rest) = if pod_default {
        ("Pod".to_string(), &parts[..])
    } else {
        let info = kind_for_resource(parts[0]).unwrap_or_else(|| panic!("kind of {subject}"));
        (info.kind.to_string(), &parts[1..])
    };
    match rest {
        [ns, name] => (kind, ns.to_string(), name.to_string()),
        [name] => (kind, "default".into(), name.to_string()),
        _ => panic!("subject {subject}"),
    }
}

fn find(cluster: &Cluster, kind: &str, ns: &str, name: &str) -> Option<Arc<Object>> {
    cluster.objects(&[kind]).into_iter().find(|o| {
        let m = o.meta();
        (!o.info().namespaced || m.namespace.as_deref() == Some(ns))
            && matches(name, m.name.as_deref().unwrap_or_default())
    })
}

/// The object's events, oldest first: (reason, message). An Event's name ends in the
/// hexadecimal nanoseconds of its creation, as client-go names them.
fn events(cluster: &Cluster, kind: &str, ns: &str, name: &str) -> Vec<(String, String)> {
    let mut v: Vec<(u64, String, String)> = cluster
        .objects(&["Event"])
        .iter()
        .filter_map(|o| match &**o {
            Object::Event(e)
                if e.involved_object.kind.as_deref() == Some(kind)
                    && e.involved_object.namespace.as_deref().unwrap_or("default") == ns
                    && matches(name, e.involved_object.name.as_deref().unwrap_or_default()) =>
            {
                Some((
                    e.metadata
                        .name
                        .as_deref()
                        .and_then(|n| n.rsplit_once('.'))
                        .and_then(|(_, hex)| u64::from_str_radix(hex, 16).ok())
                        .unwrap_or_default(),
                    e.reason.clone().unwrap_or_default(),
                    e.message.clone().unwrap_or_default(),
                ))
            }
            _ => None,
        })
        .collect();
    v.sort();
    v.into_iter().map(|(_, r, m)| (r, m)).collect()
}

/// Runs one step; `Err` says what differs.
fn run_step(
    cluster: &mut Cluster,
    dir: &std::path::Path,
    row: &str,
    s: &Step,
) -> Result<(), String> {
    let file = if s.subject == "." {
        row
    } else {
        s.subject.as_str()
    };
    match s.verb.as_str() {
        "apply" | "apply!" | "apply-text" => {
            let (name, text) = if s.verb == "apply-text" {
                ("-".to_string(), s.want.replace("\\n", "\n"))
            } else {
                (file.to_string(), manifests::read(dir, file))
            };
            let results = cluster.apply(&text, &name);
            let lines: Vec<String> = results.iter().map(|r| r.message.clone()).collect();
            if s.verb == "apply!" {
                let want: Vec<&str> = s.want.split(" ;; ").collect();
                return (lines == want)
                    .then_some(())
                    .ok_or(format!("kubectl printed {lines:?}"));
            }
            results
                .iter()
                .all(|r| r.ok)
                .then_some(())
                .ok_or(format!("refused: {lines:?}"))
        }
        "namespace" => {
            let text = format!(
                "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {}\n",
                s.subject
            );
            let r = cluster.apply(&text, "ns.yaml");
            r.iter().all(|r| r.ok).then_some(()).ok_or(format!("{r:?}"))
        }
        "label" => {
            let (resource, name) = s.subject.split_once('/').ok_or("label subject")?;
            let r = cluster.label(
                resource,
                "default",
                name,
                &[s.want.as_str()],
                false,
                &authn::default_user(),
            );
            r.ok.then_some(()).ok_or(r.message)
        }
        "reset" => {
            *cluster = Cluster::load(&[]).0;
            Ok(())
        }
        "pod" => {
            let (_, ns, name) = target(&s.subject, true);
            let snap = cluster.snapshot();
            let p = snap
                .pods
                .iter()
                .find(|p| p.namespace == ns && matches(&name, &p.name))
                .ok_or("no such pod")?;
            let got = format!("{} {} {}", p.ready, p.status, p.restarts);
            matches(&s.want, &got)
                .then_some(())
                .ok_or(format!("kubectl get pods shows {got:?}"))
        }
        "pods" => {
            let (_, ns, prefix) = target(&s.subject, true);
            let snap = cluster.snapshot();
            let rows: Vec<String> = snap
                .pods
                .iter()
                .filter(|p| p.namespace == ns && p.name.starts_with(&prefix))
                .map(|p| format!("{} {}", p.ready, p.status))
                .collect();
            let (count, each) = s.want.split_once(' ').ok_or("pods want")?;
            (rows.len().to_string() == count && rows.iter().all(|r| r == each))
                .then_some(())
                .ok_or(format!("pods {rows:?}"))
        }
        "reasons" => {
            let (kind, ns, name) = target(&s.subject, false);
            let got: Vec<String> = events(cluster, &kind, &ns, &name)
                .into_iter()
                .map(|e| e.0)
                .collect();
            (got.join(",") == s.want)
                .then_some(())
                .ok_or(format!("reasons {got:?}"))
        }
        "event" | "no-event" => {
            let (kind, ns, name) = target(&s.subject, false);
            let all = events(cluster, &kind, &ns, &name);
            let found = if s.verb == "event" {
                let (reason, message) = s.want.split_once(": ").ok_or("event want")?;
                all.iter()
                    .any(|(r, m)| r == reason && matches(message, m.trim()))
            } else {
                all.iter().any(|(r, _)| *r == s.want)
            };
            (found == (s.verb == "event"))
                .then_some(())
                .ok_or(format!("events {all:?}"))
        }
        "condition" => {
            let (kind, ns, name) = target(&s.subject, false);
            let obj = find(cluster, &kind, &ns, &name).ok_or("no such object")?;
            let Object::Pod(p) = &*obj else {
                return Err("not a pod".into());
            };
            let got: Vec<String> = p
                .status
                .iter()
                .flat_map(|s| s.conditions.iter().flatten())
                .map(|c| {
                    format!(
                        "{} {} {}: {}",
                        c.type_,
                        c.status,
                        c.reason.clone().unwrap_or_default(),
                        c.message.clone().unwrap_or_default()
                    )
                })
                .collect();
            got.contains(&s.want)
                .then_some(())
                .ok_or(format!("conditions {got:?}"))
        }
        "field" => {
            let (kind, ns, name) = target(&s.subject, false);
            let obj = find(cluster, &kind, &ns, &name).ok_or("no such object")?;
            let (pointer, want) = s.want.split_once('=').ok_or("field want")?;
            let json = obj.to_json();
            let got = match json.pointer(pointer) {
                Some(serde_json::Value::String(v)) => v.clone(),
                Some(v) => v.to_string(),
                None => "<absent>".into(),
            };
            (got == want)
                .then_some(())
                .ok_or(format!("{pointer} is {got:?}"))
        }
        "get" => {
            let (kind, ns, name) = target(&s.subject, false);
            let objs: Vec<Arc<Object>> = cluster
                .objects(&[&kind])
                .into_iter()
                .filter(|o| {
                    o.meta().namespace.as_deref().unwrap_or("default") == ns || !o.info().namespaced
                })
                .collect();
            let table = get::table(&kind, &objs, cluster.now(), GetOptions::default())
                .ok_or("no objects")?;
            let row = table
                .lines()
                .skip(1)
                .find(|l| {
                    l.split("   ")
                        .next()
                        .is_some_and(|n| matches(&name, n.trim()))
                })
                .ok_or(format!("no row in\n{table}"))?;
            let cells = row
                .split("   ")
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .skip(1)
                .collect::<Vec<_>>()
                .join(" ");
            matches(&s.want, &cells)
                .then_some(())
                .ok_or(format!("row {cells:?}"))
        }
        "logs" => {
            let (_, ns, name) = target(&s.subject, true);
            let pod = find(cluster, "Pod", &ns, &name).ok_or("no such pod")?;
            let pod = pod.meta().name.clone().unwrap_or_default();
            let out = cluster.logs(&ns, &pod, None, false);
            let got: Vec<&str> = out.stdout.lines().collect();
            let want: Vec<&str> = s.want.split(" ;; ").collect();
            (out.ok && got.len() >= want.len() && want.iter().zip(&got).all(|(w, g)| matches(w, g)))
                .then_some(())
                .ok_or(format!("logs {:?} {:?}", out.stdout, out.stderr))
        }
        "gone" => {
            let (kind, ns, name) = target(&s.subject, false);
            find(cluster, &kind, &ns, &name)
                .is_none()
                .then_some(())
                .ok_or("still there".into())
        }
        other => Err(format!("unknown verb {other}")),
    }
}

#[test]
fn every_docs_manifest_behaves_as_index_tsv_says() {
    let Some(dir) = manifests::dir() else { return };
    let rows = manifests::index(&dir);
    assert_eq!(rows.len(), 49, "INDEX.tsv rows");
    let steps = steps();
    let mut failures = Vec::new();
    let mut matched = 0;
    for row in &rows {
        let mine: Vec<&Step> = steps.iter().filter(|s| s.file == row.file).collect();
        assert!(
            !mine.is_empty(),
            "conformance.tsv has no steps for {}",
            row.file
        );
        let mut cluster = Cluster::load(&[]).0;
        let mut ok = true;
        for s in mine {
            if s.at > cluster.now() {
                cluster.run_for(s.at.since(cluster.now()));
            }
            if let Err(e) = run_step(&mut cluster, &dir, &row.file, s) {
                failures.push(format!(
                    "{} at {}: {} {} {:?}: {e}",
                    row.file, s.at, s.verb, s.subject, s.want
                ));
                ok = false;
                break;
            }
        }
        matched += usize::from(ok);
    }
    let files: std::collections::BTreeSet<&str> = steps.iter().map(|s| s.file.as_str()).collect();
    assert_eq!(
        files.len(),
        rows.len(),
        "conformance.tsv covers exactly INDEX.tsv's rows"
    );
    // Straight to the process's stderr, past libtest's capture: the figure shows in every run.
    let _ = writeln!(
        std::io::stderr(),
        "conformance: {matched}/{} rows match",
        rows.len()
    );
    assert!(
        failures.is_empty(),
        "{matched}/{} rows match:\n{}",
        rows.len(),
        failures.join("\n")
    );
}

#[test]
fn the_wildcard_matcher_matches_what_it_should_and_nothing_else() {
    assert!(matches(
        "Created pod: frontend-<5>",
        "Created pod: frontend-x7b2k"
    ));
    assert!(!matches(
        "Created pod: frontend-<5>",
        "Created pod: frontend-x7b2"
    ));
    assert!(matches(
        "set nginx-<hash> from 0 to 3",
        "set nginx-cf4cd4db7 from 0 to 3"
    ));
    assert!(!matches(
        "set nginx-<hash> from 0 to 3",
        "set nginx-cf4cd4db7 from 0 to 4"
    ));
    assert!(matches("80:<*>/TCP", "80:30440/TCP"));
    assert!(!matches("<*>", "two words"));
}
