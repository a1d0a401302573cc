//! Go's renderings of bad values inside field errors: `%#v` of maps, label selectors and
//! IntOrStrings, as `field.Error.ErrorBody()` prints the values it cannot quote.

use crate::apiserver::errors::go_quote;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use std::collections::BTreeMap;

/// `%#v` of a `map[string]string` (keys sorted, as fmt prints maps); `nil` maps print as such.
pub fn go_string_map(m: Option<&BTreeMap<String, String>>) -> String {
    match m {
        None => "map[string]string(nil)".to_string(),
        Some(m) => format!(
            "map[string]string{{{}}}",
            m.iter()
                .map(|(k, v)| format!("{}:{}", go_quote(k), go_quote(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// `%#v` of a `[]string`.
pub fn go_string_slice(v: Option<&Vec<String>>) -> String {
    match v {
        None => "[]string(nil)".to_string(),
        Some(v) => format!(
            "[]string{{{}}}",
            v.iter().map(|s| go_quote(s)).collect::<Vec<_>>().join(", ")
        ),
    }
}

/// `%#v` of a `metav1.LabelSelector`, as immutable-selector errors print it.
pub fn go_label_selector(sel: &LabelSelector) -> String {
    let exprs = match &sel.match_expressions {
        None => "[]v1.LabelSelectorRequirement(nil)".to_string(),
        Some(list) => format!(
            "[]v1.LabelSelectorRequirement{{{}}}",
            list.iter()
                .map(|r| format!(
                    "v1.LabelSelectorRequirement{{Key:{}, Operator:{}, Values:{}}}",
                    go_quote(&r.key),
                    go_quote(&r.operator),
                    go_string_slice(r.values.as_ref())
                ))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    format!(
        "v1.LabelSelector{{MatchLabels:{}, MatchExpressions:{}}}",
        go_string_map(sel.match_labels.as_ref()),
        exprs
    )
}

/// `%#v` of an `intstr.IntOrString` value (its `String()` has a pointer receiver, so Go falls
/// back to the struct form).
pub fn go_int_or_string(v: Option<&IntOrString>) -> String {
    match v {
        None => "intstr.IntOrString{Type:0, IntVal:0, StrVal:\"\"}".to_string(),
        Some(IntOrString::Int(i)) => {
            format!("intstr.IntOrString{{Type:0, IntVal:{i}, StrVal:\"\"}}")
        }
        Some(IntOrString::String(s)) => {
            format!(
                "intstr.IntOrString{{Type:1, IntVal:0, StrVal:{}}}",
                go_quote(s)
            )
        }
    }
}
