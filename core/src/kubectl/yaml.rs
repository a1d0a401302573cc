//! `kubectl get -o yaml`: JSON turned into YAML the way `sigs.k8s.io/yaml` (go-yaml v2) writes
//! it — keys sorted, sequences not indented under their key, strings plain unless they would
//! read back as something else (then double-quoted), single-quoted when plain style cannot
//! hold them, and literal blocks (`|`, `|-`) for text with newlines.

use serde_json::Value;

/// The YAML document for `value`, ending in a newline.
pub fn to_yaml(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(m) if !m.is_empty() => write_map(&mut out, m, 0),
        Value::Array(a) if !a.is_empty() => write_seq(&mut out, a, 0),
        other => {
            out.push_str(&scalar(other, 0));
            out.push('\n');
        }
    }
    out
}

fn indent(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

fn write_map(out: &mut String, m: &serde_json::Map<String, Value>, level: usize) {
    let mut keys: Vec<&String> = m.keys().collect();
    keys.sort();
    for k in keys {
        let v = &m[k];
        indent(out, level);
        out.push_str(&string(k, level));
        out.push(':');
        match v {
            Value::Object(inner) if !inner.is_empty() => {
                out.push('\n');
                write_map(out, inner, level + 2);
            }
            Value::Array(items) if !items.is_empty() => {
                out.push('\n');
                write_seq(out, items, level);
            }
            other => {
                out.push(' ');
                out.push_str(&scalar(other, level + 2));
                out.push('\n');
            }
        }
    }
}

fn write_seq(out: &mut String, items: &[Value], level: usize) {
    for v in items {
        indent(out, level);
        out.push('-');
        match v {
            Value::Object(inner) if !inner.is_empty() => {
                // The first key shares the dash's line.
                let mut nested = String::new();
                write_map(&mut nested, inner, level + 2);
                out.push(' ');
                out.push_str(&nested[level + 2..]);
            }
            Value::Array(inner) if !inner.is_empty() => {
                let mut nested = String::new();
                write_seq(&mut nested, inner, level + 2);
                out.push(' ');
                out.push_str(&nested[level + 2..]);
            }
            other => {
                out.push(' ');
                out.push_str(&scalar(other, level + 2));
                out.push('\n');
            }
        }
    }
}

fn scalar(v: &Value, level: usize) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => string(s, level),
        Value::Object(_) => "{}".into(),
        Value::Array(_) => "[]".into(),
    }
}

/// go-yaml v2's choice of style for a string.
fn string(s: &str, level: usize) -> String {
    if s.contains('\n') {
        let chomp = if s.ends_with('\n') { "|" } else { "|-" };
        let mut out = chomp.to_string();
        for line in s.trim_end_matches('\n').split('\n') {
            out.push('\n');
            if !line.is_empty() {
                indent(&mut out, level);
                out.push_str(line);
            }
        }
        return out;
    }
    if s.is_empty() || resolves_to_non_string(s) {
        return format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""));
    }
    if !plain_allowed(s) {
        return format!("'{}'", s.replace('\'', "''"));
    }
    s.to_string()
}

/// Whether a plain scalar would read back as a bool, null, number or timestamp.
fn resolves_to_non_string(s: &str) -> bool {
    const SPECIAL: &[&str] = &[
        "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "true", "True", "TRUE", "false",
        "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF", "~", "null", "Null", "NULL",
        ".inf", ".Inf", ".INF", "-.inf", "-.Inf", "-.INF", ".nan", ".NaN", ".NAN",
    ];
    if SPECIAL.contains(&s) {
        return true;
    }
    let digits = s.trim_start_matches(['-', '+']);
    let numeric = !digits.is_empty()
        && digits
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_digit() || c == '.')
        && (digits.parse::<f64>().is_ok()
            || digits
                .strip_prefix("0x")
                .is_some_and(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_hexdigit()))
            || digits.strip_prefix("0b").is_some_and(|b| {
                !b.is_empty() && b.chars().all(|c| c == '0' || c == '1' || c == '_')
            })
            || digits.chars().all(|c| c.is_ascii_digit() || c == '_'));
    // A timestamp: 2006-01-02 or 2006-01-02T15:04:05Z-like.
    let b = s.as_bytes();
    let timestamp = b.len() >= 10
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[5..7].iter().all(u8::is_ascii_digit)
        && b[7] == b'-'
        && b[8..10].iter().all(u8::is_ascii_digit);
    numeric || timestamp
}

/// Whether the plain style can carry the string.
fn plain_allowed(s: &str) -> bool {
    let first = s.chars().next().unwrap_or(' ');
    if "-?:,[]{}#&*!|>'\"%@`".contains(first) {
        // `-`, `?` and `:` may start a plain scalar when followed by a non-space.
        let second = s.chars().nth(1);
        if !(matches!(first, '-' | '?' | ':') && second.is_some_and(|c| c != ' ')) {
            return false;
        }
    }
    if s.starts_with(' ') || s.ends_with(' ') || s.ends_with(':') {
        return false;
    }
    !(s.contains(": ") || s.contains(" #") || s.contains('\t'))
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn objects_print_as_kubectl_get_o_yaml_does() {
        let v: Value = serde_json::from_str(
            r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"nginx","resourceVersion":"123",
            "creationTimestamp":"2025-04-23T00:00:00Z","labels":{"app":"web"},
            "annotations":{"note":"a: b","multi":"{\"a\":1}\n"}},
            "spec":{"containers":[{"name":"nginx","image":"nginx:1.14.2","ports":[{"containerPort":80}],
            "args":["*","yes","","-v"]}],"tolerations":[],"securityContext":{}}}"#,
        )
        .unwrap();
        assert_eq!(
            to_yaml(&v),
            "apiVersion: v1
kind: Pod
metadata:
  annotations:
    multi: |
      {\"a\":1}
    note: 'a: b'
  creationTimestamp: \"2025-04-23T00:00:00Z\"
  labels:
    app: web
  name: nginx
  resourceVersion: \"123\"
spec:
  containers:
  - args:
    - '*'
    - \"yes\"
    - \"\"
    - -v
    image: nginx:1.14.2
    name: nginx
    ports:
    - containerPort: 80
  securityContext: {}
  tolerations: []
"
        );
    }
}
