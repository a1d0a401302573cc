//! What the kubelet's volume manager and `makeEnvironmentVariables` need from the API: whether
//! every volume of a pod can be set up (configMap, secret, projected, downwardAPI, emptyDir,
//! hostPath, PVC) with the upstream `FailedMount` texts, the container's environment with the
//! `CreateContainerConfigError` texts, and the files the mounts put in a container's filesystem.

use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::api::core::v1::{Container, ObjectFieldSelector, Pod};

use crate::object::Object;
use crate::runtime::fs::{Fs, Layer};

/// The volume manager's retry back-off (`nestedpendingoperations`): 500 ms, doubling.
pub const MOUNT_RETRY_INITIAL_MS: u64 = 500;
/// Its cap: 2 min 2 s.
pub const MOUNT_RETRY_MAX_MS: u64 = 122_000;

/// Reads an object of `kind` named `name` in the pod's namespace (the kubelet's informer/GET).
pub type Lookup<'a> = &'a dyn Fn(&str, &str) -> Option<Arc<Object>>;

fn config_map_data(obj: &Object) -> BTreeMap<String, String> {
    match obj {
        Object::ConfigMap(cm) => {
            let mut data = cm.data.clone().unwrap_or_default();
            for (k, v) in cm.binary_data.iter().flatten() {
                data.insert(k.clone(), String::from_utf8_lossy(&v.0).into_owned());
            }
            data
        }
        _ => BTreeMap::new(),
    }
}

fn secret_data(obj: &Object) -> BTreeMap<String, String> {
    match obj {
        Object::Secret(s) => {
            let mut data: BTreeMap<String, String> = s
                .data
                .iter()
                .flatten()
                .map(|(k, v)| (k.clone(), String::from_utf8_lossy(&v.0).into_owned()))
                .collect();
            for (k, v) in s.string_data.iter().flatten() {
                data.insert(k.clone(), v.clone());
            }
            data
        }
        _ => BTreeMap::new(),
    }
}

/// Source data of one configMap or secret reference; `Err` is the API's NotFound text.
fn source(
    lookup: Lookup<'_>,
    kind: &str,
    name: &str,
) -> Result<Option<BTreeMap<String, String>>, String> {
    match lookup(kind, name) {
        Some(obj) if kind == "ConfigMap" => Ok(Some(config_map_data(&obj))),
        Some(obj) => Ok(Some(secret_data(&obj))),
        None => Err(format!("{} {name:?} not found", kind.to_ascii_lowercase())),
    }
}

/// Files (path relative to the mount → content) of one pod volume, or the `SetUp` error.
fn volume_files(
    pod: &Pod,
    volume: &str,
    lookup: Lookup<'_>,
) -> Result<BTreeMap<String, String>, String> {
    let Some(v) = pod
        .spec
        .as_ref()
        .and_then(|s| s.volumes.as_ref())
        .and_then(|vs| vs.iter().find(|v| v.name == volume))
    else {
        return Ok(BTreeMap::new());
    };
    let keyed = |kind: &str,
                 name: &str,
                 optional: bool,
                 items: Option<&Vec<k8s_openapi::api::core::v1::KeyToPath>>|
     -> Result<BTreeMap<String, String>, String> {
        let data = match source(lookup, kind, name) {
            Ok(Some(d)) => d,
            Ok(None) => BTreeMap::new(),
            Err(_) if optional => BTreeMap::new(),
            Err(e) => return Err(e),
        };
        match items {
            None => Ok(data),
            Some(items) => {
                let mut out = BTreeMap::new();
                for item in items {
                    match data.get(&item.key) {
                        Some(value) => {
                            out.insert(item.path.clone(), value.clone());
                        }
                        None if optional => {}
                        None => {
                            let what = if kind == "ConfigMap" {
                                "configmap"
                            } else {
                                "secret"
                            };
                            return Err(format!(
                                "{what} references non-existent config key: {}",
                                item.key
                            ));
                        }
                    }
                }
                Ok(out)
            }
        }
    };
    if let Some(cm) = &v.config_map {
        return keyed(
            "ConfigMap",
            &cm.name,
            cm.optional == Some(true),
            cm.items.as_ref(),
        );
    }
    if let Some(s) = &v.secret {
        return keyed(
            "Secret",
            s.secret_name.as_deref().unwrap_or(""),
            s.optional == Some(true),
            s.items.as_ref(),
        );
    }
    if let Some(p) = &v.projected {
        let mut out = BTreeMap::new();
        for src in p.sources.iter().flatten() {
            if let Some(cm) = &src.config_map {
                out.extend(keyed(
                    "ConfigMap",
                    &cm.name,
                    cm.optional == Some(true),
                    cm.items.as_ref(),
                )?);
            }
            if let Some(s) = &src.secret {
                out.extend(keyed(
                    "Secret",
                    &s.name,
                    s.optional == Some(true),
                    s.items.as_ref(),
                )?);
            }
            if let Some(t) = &src.service_account_token {
                out.insert(
                    t.path.clone(),
                    "eyJhbGciOiJSUzI1NiJ9.simulated.token".into(),
                );
            }
            if let Some(d) = &src.downward_api {
                for item in d.items.iter().flatten() {
                    if let Some(f) = &item.field_ref {
                        out.insert(item.path.clone(), field_value(pod, f, None, None));
                    }
                }
            }
        }
        return Ok(out);
    }
    if let Some(d) = &v.downward_api {
        let mut out = BTreeMap::new();
        for item in d.items.iter().flatten() {
            if let Some(f) = &item.field_ref {
                out.insert(item.path.clone(), field_value(pod, f, None, None));
            }
        }
        return Ok(out);
    }
    Ok(BTreeMap::new())
}

/// Sets up every volume of `pod`: the names that failed with their `FailedMount` messages
/// (`MountVolume.SetUp failed for volume "config-vol" : configmap "x" not found`), empty when
/// all are ready.
pub fn mount_errors(pod: &Pod, lookup: Lookup<'_>) -> Vec<(String, String)> {
    let mut errors = Vec::new();
    for v in pod
        .spec
        .as_ref()
        .and_then(|s| s.volumes.as_ref())
        .into_iter()
        .flatten()
    {
        if let Err(e) = volume_files(pod, &v.name, lookup) {
            errors.push((
                v.name.clone(),
                format!("MountVolume.SetUp failed for volume {:?} : {e}", v.name),
            ));
        }
    }
    errors
}

/// What a container mounts: each mount path with the files of its volume, in the order of its
/// `volumeMounts`.
type Mounts = Vec<(String, BTreeMap<String, String>)>;

/// Most mount layers a kubelet keeps; past it, it starts afresh.
const MAX_MOUNT_LAYERS: usize = 64;

/// The lower layers a kubelet made for its containers' mounts, by what they mount: containers
/// that mount the same files (every pod of a namespace mounting its service-account token, its
/// `kube-root-ca.crt` and its namespace's name, say) share one layer instead of each writing
/// its own copy. Bounded; a cache only, so what a container sees does not depend on it.
#[derive(Debug, Default)]
pub struct MountLayers {
    layers: BTreeMap<Mounts, Layer>,
}

/// A fresh container filesystem with the container's mounts populated: the base layout and the
/// mounted files as the lower layer (shared through `layers`), nothing written above it yet.
pub fn container_fs(
    pod: &Pod,
    container: &Container,
    lookup: Lookup<'_>,
    layers: &mut MountLayers,
) -> Fs {
    let mounts: Mounts = container
        .volume_mounts
        .iter()
        .flatten()
        .map(|vm| {
            let files = volume_files(pod, &vm.name, lookup).unwrap_or_default();
            (vm.mount_path.clone(), files)
        })
        .collect();
    if mounts.is_empty() {
        return Fs::new();
    }
    if let Some(layer) = layers.layers.get(&mounts) {
        return Fs::on(layer);
    }
    let mut fs = Fs::new();
    for (mount_path, files) in &mounts {
        let _ = fs.mkdir(mount_path, true);
        let mount = mount_path.trim_end_matches('/');
        // The directory made last: a volume's files mostly share one (the mount's own).
        let mut made = mount.to_string();
        for (path, content) in files {
            let full = [mount, "/", path].concat();
            if let Some((dir, _)) = full.rsplit_once('/') {
                if dir != made {
                    let _ = fs.mkdir(dir, true);
                    made = dir.to_string();
                }
            }
            let _ = fs.write(&full, content, false);
        }
    }
    let layer = fs.into_layer();
    let fs = Fs::on(&layer);
    if layers.layers.len() >= MAX_MOUNT_LAYERS {
        layers.layers.clear();
    }
    layers.layers.insert(mounts, layer);
    fs
}

fn field_value(
    pod: &Pod,
    f: &ObjectFieldSelector,
    pod_ip: Option<&str>,
    host_ip: Option<&str>,
) -> String {
    let meta = &pod.metadata;
    let spec = pod.spec.as_ref();
    let path = f.field_path.as_str();
    let bracket = |prefix: &str, map: Option<&BTreeMap<String, String>>| {
        path.strip_prefix(prefix)
            .and_then(|r| r.strip_suffix("']"))
            .and_then(|k| map.and_then(|m| m.get(k)).cloned())
            .unwrap_or_default()
    };
    match path {
        "metadata.name" => meta.name.clone().unwrap_or_default(),
        "metadata.namespace" => meta.namespace.clone().unwrap_or_default(),
        "metadata.uid" => meta.uid.clone().unwrap_or_default(),
        "spec.nodeName" => spec.and_then(|s| s.node_name.clone()).unwrap_or_default(),
        "spec.serviceAccountName" => spec
            .and_then(|s| s.service_account_name.clone())
            .unwrap_or_default(),
        "status.podIP" | "status.podIPs" => pod_ip.unwrap_or("").to_string(),
        "status.hostIP" | "status.hostIPs" => host_ip.unwrap_or("").to_string(),
        p if p.starts_with("metadata.labels['") => {
            bracket("metadata.labels['", meta.labels.as_ref())
        }
        p if p.starts_with("metadata.annotations['") => {
            bracket("metadata.annotations['", meta.annotations.as_ref())
        }
        _ => String::new(),
    }
}

/// `$(VAR)` references to variables defined earlier, as the kubelet expands them (`$$` escapes).
fn expand(value: &str, defined: &[(String, String)]) -> String {
    let mut out = String::new();
    let mut rest = value;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if let Some(t) = tail.strip_prefix("$$") {
            out.push('$');
            rest = t;
        } else if let Some(end) = tail.strip_prefix("$(").and_then(|t| t.find(')')) {
            let name = &tail[2..2 + end];
            match defined.iter().rev().find(|(k, _)| k == name) {
                Some((_, v)) => out.push_str(v),
                None => out.push_str(&tail[..end + 3]),
            }
            rest = &tail[end + 3..];
        } else {
            out.push('$');
            rest = &tail[1..];
        }
    }
    out.push_str(rest);
    out
}

/// The container's `envFrom` and `env`, resolved as `makeEnvironmentVariables` does; `Err` is
/// the `CreateContainerConfigError` message (`couldn't find key username in Secret default/x`).
pub fn container_env(
    pod: &Pod,
    container: &Container,
    pod_ip: Option<&str>,
    host_ip: Option<&str>,
    lookup: Lookup<'_>,
) -> Result<Vec<(String, String)>, String> {
    let ns = pod.metadata.namespace.clone().unwrap_or_default();
    let mut out: Vec<(String, String)> = Vec::new();
    let set = |out: &mut Vec<(String, String)>, k: String, v: String| match out
        .iter_mut()
        .find(|(name, _)| *name == k)
    {
        Some(slot) => slot.1 = v,
        None => out.push((k, v)),
    };
    for from in container.env_from.iter().flatten() {
        let prefix = from.prefix.clone().unwrap_or_default();
        let (kind, name, optional) = if let Some(cm) = &from.config_map_ref {
            ("ConfigMap", cm.name.clone(), cm.optional == Some(true))
        } else if let Some(s) = &from.secret_ref {
            ("Secret", s.name.clone(), s.optional == Some(true))
        } else {
            continue;
        };
        match source(lookup, kind, &name) {
            Ok(Some(data)) => {
                for (k, v) in data {
                    set(&mut out, format!("{prefix}{k}"), v);
                }
            }
            Ok(None) => {}
            Err(_) if optional => {}
            Err(e) => return Err(e),
        }
    }
    for e in container.env.iter().flatten() {
        if let Some(value) = &e.value {
            let v = expand(value, &out);
            set(&mut out, e.name.clone(), v);
            continue;
        }
        let Some(from) = &e.value_from else {
            set(&mut out, e.name.clone(), String::new());
            continue;
        };
        let keyed =
            |kind: &str, name: &str, key: &str, optional: bool| -> Result<Option<String>, String> {
                match source(lookup, kind, name) {
                    Ok(Some(data)) => match data.get(key) {
                        Some(v) => Ok(Some(v.clone())),
                        None if optional => Ok(None),
                        None => Err(format!("couldn't find key {key} in {kind} {ns}/{name}")),
                    },
                    Ok(None) => Ok(None),
                    Err(_) if optional => Ok(None),
                    Err(e) => Err(e),
                }
            };
        let value = if let Some(r) = &from.config_map_key_ref {
            keyed("ConfigMap", &r.name, &r.key, r.optional == Some(true))?
        } else if let Some(r) = &from.secret_key_ref {
            keyed("Secret", &r.name, &r.key, r.optional == Some(true))?
        } else if let Some(f) = &from.field_ref {
            Some(field_value(pod, f, pod_ip, host_ip))
        } else {
            Some(String::new())
        };
        if let Some(v) = value {
            set(&mut out, e.name.clone(), v);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn pod(spec: serde_json::Value) -> Pod {
        serde_json::from_value(
            json!({"metadata": {"name": "p", "namespace": "default"}, "spec": spec}),
        )
        .unwrap_or_default()
    }

    fn cm(name: &str, data: serde_json::Value) -> Arc<Object> {
        Arc::new(Object::ConfigMap(
            serde_json::from_value(json!({"metadata": {"name": name}, "data": data}))
                .unwrap_or_default(),
        ))
    }

    #[test]
    fn a_missing_config_map_fails_the_mount_with_the_upstream_text() {
        let p = pod(
            json!({"containers": [{"name": "c"}], "volumes": [{"name": "config-vol", "configMap": {"name": "x"}}]}),
        );
        let none = |_: &str, _: &str| None;
        assert_eq!(
            mount_errors(&p, &none),
            [(
                "config-vol".to_string(),
                "MountVolume.SetUp failed for volume \"config-vol\" : configmap \"x\" not found"
                    .to_string()
            )]
        );
        let some = |_: &str, _: &str| Some(cm("x", json!({"a": "1"})));
        assert!(mount_errors(&p, &some).is_empty());
    }

    #[test]
    fn containers_mounting_the_same_files_share_one_layer_and_see_them() {
        let spec = json!({"containers": [{"name": "c", "volumeMounts": [
                {"name": "config-vol", "mountPath": "/etc/config/"}]}],
            "volumes": [{"name": "config-vol", "configMap": {"name": "x"}}]});
        let (p, q) = (pod(spec.clone()), pod(spec));
        let c = p
            .spec
            .as_ref()
            .map(|s| s.containers[0].clone())
            .unwrap_or_default();
        let mut layers = MountLayers::default();
        let v1 = |_: &str, _: &str| Some(cm("x", json!({"log_level": "INFO"})));
        let mut a = container_fs(&p, &c, &v1, &mut layers);
        let b = container_fs(&q, &c, &v1, &mut layers);
        assert_eq!(layers.layers.len(), 1);
        assert_eq!(a.read("/etc/config/log_level"), Ok("INFO"));
        assert_eq!(a.list("/etc/config"), Ok(vec!["log_level".to_string()]));
        a.write("/etc/config/log_level", "DEBUG", false).unwrap();
        assert_eq!(b.read("/etc/config/log_level"), Ok("INFO"));

        // Other contents, another layer; a missing ConfigMap mounts an empty directory.
        let v2 = |_: &str, _: &str| Some(cm("x", json!({"log_level": "WARN"})));
        assert_eq!(
            container_fs(&p, &c, &v2, &mut layers).read("/etc/config/log_level"),
            Ok("WARN")
        );
        let none = |_: &str, _: &str| None;
        assert_eq!(
            container_fs(&p, &c, &none, &mut layers).list("/etc/config"),
            Ok(Vec::new())
        );
        assert_eq!(layers.layers.len(), 3);
        assert_eq!(
            container_fs(&p, &c, &v1, &mut layers).read("/etc/config/log_level"),
            Ok("INFO")
        );
        assert_eq!(layers.layers.len(), 3);
    }

    #[test]
    fn env_keys_resolve_or_give_the_config_error_text() {
        let p = pod(json!({"containers": [{"name": "c", "env": [
            {"name": "A", "valueFrom": {"configMapKeyRef": {"name": "x", "key": "a"}}},
            {"name": "B", "value": "$(A)-b"},
            {"name": "N", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}]}]}));
        let c = p
            .spec
            .as_ref()
            .map(|s| s.containers[0].clone())
            .unwrap_or_default();
        let some = |_: &str, _: &str| Some(cm("x", json!({"a": "1"})));
        assert_eq!(
            container_env(&p, &c, None, None, &some),
            Ok(vec![
                ("A".into(), "1".into()),
                ("B".into(), "1-b".into()),
                ("N".into(), "p".into())
            ])
        );
        let other = |_: &str, _: &str| Some(cm("x", json!({"z": "1"})));
        assert_eq!(
            container_env(&p, &c, None, None, &other),
            Err("couldn't find key a in ConfigMap default/x".into())
        );
        let none = |_: &str, _: &str| None;
        assert_eq!(
            container_env(&p, &c, None, None, &none),
            Err("configmap \"x\" not found".into())
        );
    }
}
