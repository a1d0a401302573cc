//! Label selectors as kubectl prints them: apimachinery's `LabelSelectorAsSelector(…).String()`
//! (`app=nginx,tier in (backend,cache)`) and `FormatLabelSelector`, which shows an empty one as
//! `<none>`.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

/// One requirement's text, from `labels.Requirement.String`.
fn requirement(key: &str, operator: &str, values: &[String]) -> Result<String, String> {
    let mut values = values.to_vec();
    values.sort();
    let joined = values.join(",");
    Ok(match operator {
        "=" => format!("{key}={joined}"),
        "In" => format!("{key} in ({joined})"),
        "NotIn" => format!("{key} notin ({joined})"),
        "Exists" => key.to_string(),
        "DoesNotExist" => format!("!{key}"),
        other => return Err(format!("{other:?} is not a valid label selector operator")),
    })
}

/// `LabelSelectorAsSelector(s).String()`: requirements sorted by key and joined by commas; empty
/// for no selector or an empty one (which select nothing and everything, and both print empty).
pub fn selector_string(s: Option<&LabelSelector>) -> Result<String, String> {
    let Some(s) = s else {
        return Ok(String::new());
    };
    let mut reqs: Vec<(String, String)> = Vec::new();
    for (k, v) in s.match_labels.iter().flatten() {
        reqs.push((k.clone(), requirement(k, "=", std::slice::from_ref(v))?));
    }
    for e in s.match_expressions.iter().flatten() {
        let values = e.values.clone().unwrap_or_default();
        reqs.push((e.key.clone(), requirement(&e.key, &e.operator, &values)?));
    }
    reqs.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(reqs
        .into_iter()
        .map(|(_, r)| r)
        .collect::<Vec<_>>()
        .join(","))
}

/// `metav1.FormatLabelSelector`: the selector's string, `<none>` when empty, `<error>` when an
/// operator is invalid.
pub fn format_label_selector(s: Option<&LabelSelector>) -> String {
    match selector_string(s) {
        Ok(text) if text.is_empty() => "<none>".into(),
        Ok(text) => text,
        Err(_) => "<error>".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn sel(v: serde_json::Value) -> LabelSelector {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn labels_and_expressions_are_sorted_by_key() {
        let s = sel(serde_json::json!({
            "matchLabels": {"tier": "frontend", "app": "guestbook"},
            "matchExpressions": [
                {"key": "env", "operator": "In", "values": ["prod", "dev"]},
                {"key": "zone", "operator": "NotIn", "values": ["c"]},
                {"key": "gpu", "operator": "Exists"},
                {"key": "spot", "operator": "DoesNotExist"}
            ]
        }));
        assert_eq!(
            format_label_selector(Some(&s)),
            "app=guestbook,env in (dev,prod),gpu,!spot,tier=frontend,zone notin (c)"
        );
    }

    #[test]
    fn no_selector_or_an_empty_one_is_none_and_a_bad_operator_an_error() {
        assert_eq!(format_label_selector(None), "<none>");
        assert_eq!(
            format_label_selector(Some(&sel(serde_json::json!({})))),
            "<none>"
        );
        let bad = sel(serde_json::json!({"matchExpressions": [{"key": "a", "operator": "Near"}]}));
        assert_eq!(format_label_selector(Some(&bad)), "<error>");
    }
}
