//! `kubectl apply`'s client-side logic: the `kubectl.kubernetes.io/last-applied-configuration`
//! annotation, and the three-way merge (last applied, new manifest, live object) that decides
//! between `created`, `configured` and `unchanged`. Lists of objects that Kubernetes types merge
//! by a key (containers by `name`, ports by `containerPort`, …) are merged element by element, as
//! a strategic merge patch does; other lists are replaced whole.

use serde_json::{Map, Value};

/// The annotation kubectl apply keeps the applied manifest in.
pub const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// The merge key of a list field in the Kubernetes API types (`patchMergeKey`), if any.
fn merge_key(field: &str) -> Option<&'static str> {
    Some(match field {
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "volumes"
        | "env"
        | "imagePullSecrets"
        | "resourceClaims"
        | "schedulingGates" => "name",
        "ports" => "containerPort",
        "volumeMounts" => "mountPath",
        "volumeDevices" => "devicePath",
        "conditions" => "type",
        "ownerReferences" => "uid",
        "hostAliases" => "ip",
        "topologySpreadConstraints" => "topologyKey",
        _ => return None,
    })
}

/// The manifest with the annotation kubectl adds on create: the object itself (without the
/// annotation, with `metadata.annotations` present) as compact JSON with sorted keys, plus `\n`.
pub fn with_last_applied(manifest: &Value) -> Value {
    let mut original = manifest.clone();
    if let Some(meta) = original.get_mut("metadata").and_then(Value::as_object_mut) {
        let annotations = meta
            .entry("annotations")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Some(a) = annotations.as_object_mut() {
            a.remove(LAST_APPLIED);
        }
    }
    let text = format!("{}\n", sorted(&original));
    let mut out = manifest.clone();
    if let Some(meta) = out.get_mut("metadata").and_then(Value::as_object_mut) {
        let annotations = meta
            .entry("annotations")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Some(a) = annotations.as_object_mut() {
            a.insert(LAST_APPLIED.to_string(), Value::String(text));
        }
    }
    out
}

/// Compact JSON with object keys sorted, as Go marshals `map[string]interface{}`.
fn sorted(v: &Value) -> String {
    let mut out = String::new();
    write_sorted(v, &mut out);
    out
}

fn write_sorted(v: &Value, out: &mut String) {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String((*k).clone()).to_string());
                out.push(':');
                write_sorted(&m[*k], out);
            }
            out.push('}');
        }
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_sorted(x, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// The last applied manifest recorded on a live object, if any.
pub fn last_applied(live: &Value) -> Option<Value> {
    let text = live
        .get("metadata")?
        .get("annotations")?
        .get(LAST_APPLIED)?
        .as_str()?;
    serde_json::from_str(text).ok()
}

/// The three-way patch from `live` to `modified` (the new manifest with its annotation), also
/// deleting what `original` (the last applied manifest) had and `modified` no longer has.
/// `None` when there is nothing to change: kubectl then prints `unchanged`.
pub fn three_way_patch(original: Option<&Value>, modified: &Value, live: &Value) -> Option<Value> {
    let mut patch = diff_changes(live, modified, "").unwrap_or(Value::Object(Map::new()));
    if let Some(original) = original {
        add_deletions(&mut patch, original, modified, live);
    }
    match &patch {
        Value::Object(m) if m.is_empty() => None,
        _ => Some(patch),
    }
}

fn diff_changes(live: &Value, modified: &Value, field: &str) -> Option<Value> {
    match (live, modified) {
        (Value::Object(l), Value::Object(m)) => {
            let mut out = Map::new();
            for (k, mv) in m {
                match l.get(k) {
                    None => {
                        out.insert(k.clone(), mv.clone());
                    }
                    Some(lv) => {
                        if let Some(d) = diff_changes(lv, mv, k) {
                            out.insert(k.clone(), d);
                        }
                    }
                }
            }
            (!out.is_empty()).then_some(Value::Object(out))
        }
        (Value::Array(l), Value::Array(m)) => {
            let key = merge_key(field);
            let changed = match key {
                Some(key) if m.iter().all(|e| e.get(key).is_some()) => {
                    m.iter()
                        .any(|me| match l.iter().find(|le| le.get(key) == me.get(key)) {
                            None => true,
                            Some(le) => diff_changes(le, me, "").is_some(),
                        })
                }
                _ => l != m,
            };
            changed.then(|| modified.clone())
        }
        (l, m) if l == m => None,
        // Numbers: 1 and 1.0 are the same value for the API server.
        (Value::Number(a), Value::Number(b)) if a.as_f64() == b.as_f64() => None,
        _ => Some(modified.clone()),
    }
}

fn add_deletions(patch: &mut Value, original: &Value, modified: &Value, live: &Value) {
    let (Value::Object(o), Value::Object(m)) = (original, modified) else {
        return;
    };
    for (k, ov) in o {
        match m.get(k) {
            None => {
                if live.get(k).is_some() {
                    if let Value::Object(p) = patch {
                        p.insert(k.clone(), Value::Null);
                    }
                }
            }
            Some(mv @ Value::Object(_)) => {
                let lv = live.get(k).cloned().unwrap_or(Value::Null);
                let mut sub = patch.get(k).cloned().unwrap_or(Value::Object(Map::new()));
                if sub.is_object() {
                    add_deletions(&mut sub, ov, mv, &lv);
                    if sub.as_object().is_some_and(|s| !s.is_empty()) {
                        if let Value::Object(p) = patch {
                            p.insert(k.clone(), sub);
                        }
                    }
                }
            }
            Some(_) => {}
        }
    }
}

/// Applies a patch from [`three_way_patch`] to the live object: objects merge key by key
/// (`null` deletes), merge-keyed lists merge element by element, other lists are replaced.
pub fn apply_patch(live: &Value, patch: &Value) -> Value {
    merge(live, patch, "")
}

fn merge(live: &Value, patch: &Value, field: &str) -> Value {
    match (live, patch) {
        (Value::Object(l), Value::Object(p)) => {
            let mut out = l.clone();
            for (k, pv) in p {
                if pv.is_null() {
                    out.remove(k);
                } else {
                    let merged = match l.get(k) {
                        Some(lv) => merge(lv, pv, k),
                        None => pv.clone(),
                    };
                    out.insert(k.clone(), merged);
                }
            }
            Value::Object(out)
        }
        (Value::Array(l), Value::Array(p)) => match merge_key(field) {
            Some(key) if p.iter().all(|e| e.get(key).is_some()) => {
                // The patch lists the full desired set: keep live elements' server-set fields.
                Value::Array(
                    p.iter()
                        .map(|pe| match l.iter().find(|le| le.get(key) == pe.get(key)) {
                            Some(le) => merge(le, pe, ""),
                            None => pe.clone(),
                        })
                        .collect(),
                )
            }
            _ => patch.clone(),
        },
        _ => patch.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn pod(image: &str) -> Value {
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "nginx", "namespace": "default"},
               "spec": {"containers": [{"name": "nginx", "image": image}]}})
    }

    #[test]
    fn the_annotation_holds_the_sorted_manifest_with_empty_annotations() {
        let annotated = with_last_applied(&pod("nginx"));
        assert_eq!(
            annotated["metadata"]["annotations"][LAST_APPLIED],
            "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"annotations\":{},\"name\":\"nginx\",\"namespace\":\"default\"},\"spec\":{\"containers\":[{\"image\":\"nginx\",\"name\":\"nginx\"}]}}\n"
        );
    }

    #[test]
    fn reapplying_the_same_manifest_is_unchanged_even_after_server_defaults() {
        let applied = with_last_applied(&pod("nginx"));
        let mut live = applied.clone();
        live["spec"]["containers"][0]["imagePullPolicy"] = json!("Always");
        live["spec"]["dnsPolicy"] = json!("ClusterFirst");
        live["status"] = json!({"phase": "Pending"});
        let original = last_applied(&live);
        assert_eq!(three_way_patch(original.as_ref(), &applied, &live), None);
    }

    #[test]
    fn a_new_image_is_a_patch_that_keeps_server_set_fields() {
        let live = {
            let mut l = with_last_applied(&pod("nginx:1.14.2"));
            l["spec"]["containers"][0]["imagePullPolicy"] = json!("IfNotPresent");
            l
        };
        let modified = with_last_applied(&pod("nginx:1.16.1"));
        let patch = three_way_patch(last_applied(&live).as_ref(), &modified, &live).unwrap();
        let merged = apply_patch(&live, &patch);
        assert_eq!(merged["spec"]["containers"][0]["image"], "nginx:1.16.1");
        assert_eq!(
            merged["spec"]["containers"][0]["imagePullPolicy"],
            "IfNotPresent"
        );
    }

    #[test]
    fn a_field_removed_from_the_manifest_is_deleted() {
        let mut with_labels = pod("nginx");
        with_labels["metadata"]["labels"] = json!({"app": "web"});
        let live = with_last_applied(&with_labels);
        let modified = with_last_applied(&pod("nginx"));
        let patch = three_way_patch(last_applied(&live).as_ref(), &modified, &live).unwrap();
        let merged = apply_patch(&live, &patch);
        assert!(merged["metadata"].get("labels").is_none());
    }
}
