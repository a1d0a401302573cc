//! A container's `Environment:` and `Environment Variables from:` blocks
//! (`describeContainerEnvVars`, `describeContainerEnvFrom`), with kubectl's own resolution of
//! `fieldRef` (only `metadata.name` and `metadata.namespace` resolve on the client) and
//! `resourceFieldRef` (the container's limits or requests, `node allocatable` for an unset limit).

use k8s_openapi::api::core::v1::{Container, Pod, ResourceFieldSelector};

use super::writer::{PrefixWriter, LEVEL_2, LEVEL_3};
use crate::quantity::Quantity;

/// `EnvValueRetriever(pod)`: kubectl converts the field label with client-go's scheme, which
/// only knows `metadata.name` and `metadata.namespace`; every other field prints empty.
fn field_value(pod: Option<&Pod>, field_path: &str) -> String {
    let Some(pod) = pod else {
        return String::new();
    };
    match field_path {
        "metadata.name" => pod.metadata.name.clone().unwrap_or_default(),
        "metadata.namespace" => pod.metadata.namespace.clone().unwrap_or_default(),
        _ => String::new(),
    }
}

/// `ceil(a / b)` as `math.Ceil(float64(a) / float64(b))`.
fn ceil_div(a: i64, b: i64) -> String {
    if b == 0 {
        return String::new();
    }
    ((a as f64 / b as f64).ceil() as i64).to_string()
}

/// `resourcehelper.ExtractContainerResourceValue`; `None` for a resource it does not support.
fn resource_value(fs: &ResourceFieldSelector, container: &Container) -> Option<String> {
    let divisor = fs
        .divisor
        .as_ref()
        .and_then(|d| Quantity::parse(&d.0).ok())
        .filter(|d| !d.is_zero())
        .unwrap_or_else(|| Quantity::from_units(1, crate::quantity::Format::DecimalSI));
    let resources = container.resources.clone().unwrap_or_default();
    let (list, name) = if let Some(name) = fs.resource.strip_prefix("limits.") {
        (resources.limits, name)
    } else if let Some(name) = fs.resource.strip_prefix("requests.") {
        (resources.requests, name)
    } else {
        return None;
    };
    let known =
        matches!(name, "cpu" | "memory" | "ephemeral-storage") || name.starts_with("hugepages-");
    if !known {
        return None;
    }
    let q = list
        .as_ref()
        .and_then(|l| l.get(name))
        .and_then(|q| Quantity::parse(&q.0).ok())
        .unwrap_or_else(|| Quantity::from_milli(0));
    Some(if name == "cpu" {
        ceil_div(q.milli_value(), divisor.milli_value())
    } else {
        ceil_div(q.value(), divisor.value())
    })
}

/// `Environment:` with one line per variable.
pub fn describe_env_vars(w: &mut PrefixWriter, container: &Container, pod: Option<&Pod>) {
    let env = container.env.clone().unwrap_or_default();
    let none = if env.is_empty() { "\t<none>" } else { "" };
    w.write(LEVEL_2, &format!("Environment:{none}\n"));
    for e in &env {
        let Some(from) = &e.value_from else {
            let value = e.value.clone().unwrap_or_default();
            for (i, line) in value.split('\n').enumerate() {
                if i == 0 {
                    w.write(LEVEL_3, &format!("{}:\t{line}\n", e.name));
                } else {
                    w.write(LEVEL_3, &format!("\t{line}\n"));
                }
            }
            continue;
        };
        if let Some(f) = &from.field_ref {
            w.write(
                LEVEL_3,
                &format!(
                    "{}:\t{} ({}:{})\n",
                    e.name,
                    field_value(pod, &f.field_path),
                    f.api_version.as_deref().unwrap_or(""),
                    f.field_path
                ),
            );
        } else if let Some(r) = &from.resource_field_ref {
            let mut value = resource_value(r, container).unwrap_or_default();
            if value == "0" && (r.resource == "limits.cpu" || r.resource == "limits.memory") {
                value = "node allocatable".into();
            }
            w.write(LEVEL_3, &format!("{}:\t{value} ({})\n", e.name, r.resource));
        } else if let Some(s) = &from.secret_key_ref {
            w.write(
                LEVEL_3,
                &format!(
                    "{}:\t<set to the key '{}' in secret '{}'>\tOptional: {}\n",
                    e.name,
                    s.key,
                    s.name,
                    s.optional.unwrap_or(false)
                ),
            );
        } else if let Some(c) = &from.config_map_key_ref {
            w.write(
                LEVEL_3,
                &format!(
                    "{}:\t<set to the key '{}' of config map '{}'>\tOptional: {}\n",
                    e.name,
                    c.key,
                    c.name,
                    c.optional.unwrap_or(false)
                ),
            );
        }
    }
}

/// `Environment Variables from:` (printed only when the container has `envFrom`).
pub fn describe_env_from(w: &mut PrefixWriter, container: &Container) {
    let from = container.env_from.clone().unwrap_or_default();
    let none = if from.is_empty() { "\t<none>" } else { "" };
    w.write(LEVEL_2, &format!("Environment Variables from:{none}\n"));
    for e in &from {
        let (kind, name, optional) = if let Some(c) = &e.config_map_ref {
            ("ConfigMap", c.name.clone(), c.optional.unwrap_or(false))
        } else if let Some(s) = &e.secret_ref {
            ("Secret", s.name.clone(), s.optional.unwrap_or(false))
        } else {
            ("", String::new(), false)
        };
        match e.prefix.as_deref().filter(|p| !p.is_empty()) {
            None => w.write(LEVEL_3, &format!("{name}\t{kind}\tOptional: {optional}\n")),
            Some(p) => w.write(
                LEVEL_3,
                &format!("{name}\t{kind} with prefix '{p}'\tOptional: {optional}\n"),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn every_kind_of_variable_reads_like_kubectl() {
        let pod: Pod = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "dapi", "namespace": "default"},
            "spec": {"containers": [{
                "name": "c", "image": "busybox",
                "resources": {"limits": {"memory": "64Mi"}, "requests": {"cpu": "250m"}},
                "envFrom": [{"configMapRef": {"name": "cfg"}}, {"secretRef": {"name": "s", "optional": true}, "prefix": "S_"}],
                "env": [
                    {"name": "GREETING", "value": "hello\nworld"},
                    {"name": "MY_POD_NAME", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}}},
                    {"name": "MY_NODE_NAME", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "spec.nodeName"}}},
                    {"name": "CPU_REQUEST", "valueFrom": {"resourceFieldRef": {"resource": "requests.cpu", "divisor": "1m"}}},
                    {"name": "CPU_LIMIT", "valueFrom": {"resourceFieldRef": {"resource": "limits.cpu", "divisor": "0"}}},
                    {"name": "MEM_LIMIT", "valueFrom": {"resourceFieldRef": {"resource": "limits.memory", "divisor": "1Mi"}}},
                    {"name": "USER", "valueFrom": {"secretKeyRef": {"name": "test-secret", "key": "username"}}},
                    {"name": "LEVEL", "valueFrom": {"configMapKeyRef": {"name": "special-config", "key": "special.how", "optional": true}}}
                ]
            }]}
        }))
        .unwrap();
        let c = &pod.spec.as_ref().unwrap().containers[0];
        let mut w = PrefixWriter::new();
        describe_env_from(&mut w, c);
        describe_env_vars(&mut w, c, Some(&pod));
        assert_eq!(
            w.finish(),
            "    Environment Variables from:\n\
             \x20     cfg  ConfigMap                Optional: false\n\
             \x20     s    Secret with prefix 'S_'  Optional: true\n\
             \x20   Environment:\n\
             \x20     GREETING:      hello\n\
             \x20                    world\n\
             \x20     MY_POD_NAME:   dapi (v1:metadata.name)\n\
             \x20     MY_NODE_NAME:   (v1:spec.nodeName)\n\
             \x20     CPU_REQUEST:   250 (requests.cpu)\n\
             \x20     CPU_LIMIT:     node allocatable (limits.cpu)\n\
             \x20     MEM_LIMIT:     64 (limits.memory)\n\
             \x20     USER:          <set to the key 'username' in secret 'test-secret'>            Optional: false\n\
             \x20     LEVEL:         <set to the key 'special.how' of config map 'special-config'>  Optional: true\n"
        );
    }

    #[test]
    fn no_variables_is_none_on_the_same_line() {
        let c: Container = serde_json::from_value(serde_json::json!({"name": "c"})).unwrap();
        let mut w = PrefixWriter::new();
        describe_env_vars(&mut w, &c, None);
        assert_eq!(w.finish(), "    Environment:  <none>\n");
    }
}
