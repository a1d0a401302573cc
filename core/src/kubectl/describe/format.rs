//! The small printers every describer shares, after `describe.go`: RFC 1123 times, the
//! multi-line label, annotation, toleration and taint blocks, quantities and booleans.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Taint, Toleration};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity as ApiQuantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use super::writer::{PrefixWriter, LEVEL_0};
use crate::quantity::Quantity;
use crate::text::prefix_bytes;

/// Annotations longer than this (key, `: ` and value) are printed on their own lines.
const MAX_ANNOTATION_LEN: usize = 140;

/// The annotation `kubectl apply` keeps its last configuration in, never shown.
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// `t.Format(time.RFC1123Z)` in UTC (`Mon, 02 Jan 2006 15:04:05 +0000`); a missing time is Go's
/// zero time, as kubectl prints it.
pub fn rfc1123z(t: Option<&Time>) -> String {
    match t {
        Some(t) => t.0.strftime("%a, %d %b %Y %H:%M:%S +0000").to_string(),
        None => "Mon, 01 Jan 0001 00:00:00 +0000".into(),
    }
}

/// `printBool`: `True` or `False`.
pub fn print_bool(b: bool) -> &'static str {
    if b {
        "True"
    } else {
        "False"
    }
}

/// `stringOrNone`.
pub fn string_or_none(s: &str) -> String {
    if s.is_empty() {
        "<none>".into()
    } else {
        s.to_string()
    }
}

/// A quantity's canonical text (`quantity.String()`), or the stored text if it does not parse.
pub fn quantity(q: &ApiQuantity) -> String {
    Quantity::parse(&q.0)
        .map(|q| q.canonical())
        .unwrap_or_else(|_| q.0.clone())
}

/// `printLabelsMultilineWithIndent` with no skipped keys: `Title:\tk=v`, one per line, sorted.
pub fn labels_multiline(
    w: &mut PrefixWriter,
    title: &str,
    labels: Option<&BTreeMap<String, String>>,
) {
    w.write(LEVEL_0, &format!("{title}:\t"));
    let labels = labels.filter(|l| !l.is_empty());
    let Some(labels) = labels else {
        w.write_line("<none>");
        return;
    };
    for (i, (k, v)) in labels.iter().enumerate() {
        if i != 0 {
            w.write(LEVEL_0, "\t");
        }
        w.write(LEVEL_0, &format!("{k}={v}\n"));
    }
}

/// `shorten`: cut to `max` bytes and add `...`.
pub fn shorten(s: &str, max: usize) -> String {
    if s.len() > max {
        format!("{}...", prefix_bytes(s, max))
    } else {
        s.to_string()
    }
}

/// `printAnnotationsMultiline`: sorted `key: value` lines without the last-applied
/// configuration; a long or multi-line value goes below its key, each line cut at 138 bytes.
pub fn annotations_multiline(
    w: &mut PrefixWriter,
    title: &str,
    annotations: Option<&BTreeMap<String, String>>,
) {
    w.write(LEVEL_0, &format!("{title}:\t"));
    let keys: Vec<(&String, &String)> = annotations
        .into_iter()
        .flatten()
        .filter(|(k, _)| k.as_str() != LAST_APPLIED)
        .collect();
    if keys.is_empty() {
        w.write_line("<none>");
        return;
    }
    let indent = "\t";
    for (i, (key, value)) in keys.into_iter().enumerate() {
        if i != 0 {
            w.write(LEVEL_0, indent);
        }
        let value = value.strip_suffix('\n').unwrap_or(value);
        if value.len() + key.len() + 2 > MAX_ANNOTATION_LEN || value.contains('\n') {
            w.write(LEVEL_0, &format!("{key}:\n"));
            for line in value.split('\n') {
                w.write(
                    LEVEL_0,
                    &format!("{indent}  {}\n", shorten(line, MAX_ANNOTATION_LEN - 2)),
                );
            }
        } else {
            w.write(LEVEL_0, &format!("{key}: {value}\n"));
        }
    }
}

/// `printTolerationsMultilineWithIndent`: sorted by key, e.g.
/// `node.kubernetes.io/not-ready:NoExecute op=Exists for 300s`.
pub fn tolerations_multiline(w: &mut PrefixWriter, title: &str, tolerations: &[Toleration]) {
    w.write(LEVEL_0, &format!("{title}:\t"));
    if tolerations.is_empty() {
        w.write_line("<none>");
        return;
    }
    let mut sorted: Vec<&Toleration> = tolerations.iter().collect();
    sorted.sort_by(|a, b| a.key.cmp(&b.key));
    for (i, t) in sorted.into_iter().enumerate() {
        if i != 0 {
            w.write(LEVEL_0, "\t");
        }
        let key = t.key.as_deref().unwrap_or("");
        let value = t.value.as_deref().unwrap_or("");
        let effect = t.effect.as_deref().unwrap_or("");
        let mut line = key.to_string();
        if !value.is_empty() {
            line.push_str(&format!("={value}"));
        }
        if !effect.is_empty() {
            line.push_str(&format!(":{effect}"));
        }
        if t.operator.as_deref() == Some("Exists") && value.is_empty() {
            if !key.is_empty() || !effect.is_empty() {
                line.push_str(" op=Exists");
            } else {
                line.push_str("op=Exists");
            }
        }
        if let Some(s) = t.toleration_seconds {
            line.push_str(&format!(" for {s}s"));
        }
        w.write(LEVEL_0, &format!("{line}\n"));
    }
}

/// `Taint.ToString`: `key=value:Effect` or `key:Effect`.
pub fn taint_string(t: &Taint) -> String {
    match t.value.as_deref().filter(|v| !v.is_empty()) {
        Some(v) => format!("{}={v}:{}", t.key, t.effect),
        None => format!("{}:{}", t.key, t.effect),
    }
}

/// `printTaintsMultilineWithIndent`: sorted by effect then key.
pub fn taints_multiline(w: &mut PrefixWriter, title: &str, taints: &[Taint]) {
    w.write(LEVEL_0, &format!("{title}:\t"));
    if taints.is_empty() {
        w.write_line("<none>");
        return;
    }
    let mut sorted: Vec<&Taint> = taints.iter().collect();
    sorted
        .sort_by(|a, b| format!("{},{}", a.effect, a.key).cmp(&format!("{},{}", b.effect, b.key)));
    for (i, t) in sorted.into_iter().enumerate() {
        if i != 0 {
            w.write(LEVEL_0, "\t");
        }
        w.write(LEVEL_0, &format!("{}\n", taint_string(t)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use crate::sim::SimTime;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn times_print_as_rfc1123z_and_a_missing_one_as_go_zero_time() {
        let t = SimTime(3_723_000).to_k8s_time();
        assert_eq!(rfc1123z(Some(&t)), "Wed, 23 Apr 2025 01:02:03 +0000");
        assert_eq!(rfc1123z(None), "Mon, 01 Jan 0001 00:00:00 +0000");
    }

    #[test]
    fn labels_are_sorted_one_per_line_and_none_when_empty() {
        let mut w = PrefixWriter::new();
        labels_multiline(
            &mut w,
            "Labels",
            Some(&map(&[("tier", "web"), ("app", "x")])),
        );
        labels_multiline(&mut w, "Node-Selectors", None);
        assert_eq!(
            w.finish(),
            "Labels:          app=x\n                 tier=web\nNode-Selectors:  <none>\n"
        );
    }

    #[test]
    fn the_last_applied_configuration_is_hidden_and_long_values_wrap() {
        let mut w = PrefixWriter::new();
        annotations_multiline(
            &mut w,
            "Annotations",
            Some(&map(&[(LAST_APPLIED, "{\"kind\":\"Pod\"}\n")])),
        );
        assert_eq!(w.finish(), "Annotations:  <none>\n");

        let long = "x".repeat(150);
        let mut w = PrefixWriter::new();
        annotations_multiline(
            &mut w,
            "Annotations",
            Some(&map(&[("a", "1"), ("b", &long), ("c", "one\ntwo\n")])),
        );
        assert_eq!(
            w.finish(),
            format!(
                "Annotations:  a: 1\n              b:\n                {}...\n              c:\n                one\n                two\n",
                "x".repeat(138)
            )
        );
    }

    #[test]
    fn tolerations_read_like_kubectl() {
        let t: Vec<Toleration> = serde_json::from_value(serde_json::json!([
            {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
            {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
            {"key": "example-key", "operator": "Equal", "value": "v", "effect": "NoSchedule"},
            {"operator": "Exists"}
        ]))
        .unwrap();
        let mut w = PrefixWriter::new();
        tolerations_multiline(&mut w, "Tolerations", &t);
        tolerations_multiline(&mut w, "Other", &[]);
        assert_eq!(
            w.finish(),
            "Tolerations:  op=Exists\n              example-key=v:NoSchedule\n              node.kubernetes.io/not-ready:NoExecute op=Exists for 300s\n              node.kubernetes.io/unreachable:NoExecute op=Exists for 300s\nOther:        <none>\n"
        );
    }

    #[test]
    fn taints_sort_by_effect_then_key() {
        let t: Vec<Taint> = serde_json::from_value(serde_json::json!([
            {"key": "b", "effect": "NoSchedule"},
            {"key": "a", "value": "1", "effect": "NoSchedule"},
            {"key": "c", "effect": "NoExecute"}
        ]))
        .unwrap();
        let mut w = PrefixWriter::new();
        taints_multiline(&mut w, "Taints", &t);
        assert_eq!(
            w.finish(),
            "Taints:  c:NoExecute\n         a=1:NoSchedule\n         b:NoSchedule\n"
        );
    }
}
