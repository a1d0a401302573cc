//! `describeVolumes`: each pod volume's kind and source, e.g. the projected
//! `kube-api-access-xxxxx` volume's token, CA ConfigMap and downward API.

use k8s_openapi::api::core::v1::Volume;

use super::format::{quantity, shorten};
use super::writer::{PrefixWriter, LEVEL_0, LEVEL_1, LEVEL_2, LEVEL_3};

/// `Volumes:` with one block per volume (`space` indents a pod template's).
pub fn describe_volumes(w: &mut PrefixWriter, volumes: &[Volume], space: &str) {
    if volumes.is_empty() {
        w.write(LEVEL_0, &format!("{space}Volumes:\t<none>\n"));
        return;
    }
    w.write(LEVEL_0, &format!("{space}Volumes:\n"));
    let name_indent = if space.is_empty() { "" } else { " " };
    for v in volumes {
        w.write(LEVEL_1, &format!("{name_indent}{}:\n", v.name));
        describe_source(w, v);
    }
}

fn optional(o: Option<bool>) -> bool {
    o.unwrap_or(false)
}

fn describe_source(w: &mut PrefixWriter, v: &Volume) {
    if let Some(h) = &v.host_path {
        w.write(
            LEVEL_2,
            &format!(
                "Type:\tHostPath (bare host directory volume)\n    Path:\t{}\n    HostPathType:\t{}\n",
                h.path,
                h.type_.as_deref().unwrap_or("<none>")
            ),
        );
    } else if let Some(e) = &v.empty_dir {
        let size = e
            .size_limit
            .as_ref()
            .map(quantity)
            .filter(|q| !q.starts_with('-') && q != "0")
            .unwrap_or_else(|| "<unset>".into());
        w.write(
            LEVEL_2,
            &format!(
                "Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)\n    Medium:\t{}\n    SizeLimit:\t{size}\n",
                e.medium.as_deref().unwrap_or("")
            ),
        );
    } else if let Some(g) = &v.git_repo {
        w.write(
            LEVEL_2,
            &format!(
                "Type:\tGitRepo (a volume that is pulled from git when the pod is created)\n    Repository:\t{}\n    Revision:\t{}\n",
                g.repository,
                g.revision.as_deref().unwrap_or("")
            ),
        );
    } else if let Some(s) = &v.secret {
        w.write(
            LEVEL_2,
            &format!(
                "Type:\tSecret (a volume populated by a Secret)\n    SecretName:\t{}\n    Optional:\t{}\n",
                s.secret_name.as_deref().unwrap_or(""),
                optional(s.optional)
            ),
        );
    } else if let Some(c) = &v.config_map {
        w.write(
            LEVEL_2,
            &format!(
                "Type:\tConfigMap (a volume populated by a ConfigMap)\n    Name:\t{}\n    Optional:\t{}\n",
                c.name,
                optional(c.optional)
            ),
        );
    } else if let Some(n) = &v.nfs {
        w.write(
            LEVEL_2,
            &format!(
                "Type:\tNFS (an NFS mount that lasts the lifetime of a pod)\n    Server:\t{}\n    Path:\t{}\n    ReadOnly:\t{}\n",
                n.server,
                n.path,
                n.read_only.unwrap_or(false)
            ),
        );
    } else if let Some(c) = &v.persistent_volume_claim {
        w.write(
            LEVEL_2,
            &format!(
                "Type:\tPersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same namespace)\n    ClaimName:\t{}\n    ReadOnly:\t{}\n",
                c.claim_name,
                c.read_only.unwrap_or(false)
            ),
        );
    } else if v.ephemeral.is_some() {
        w.write(
            LEVEL_2,
            "Type:\tEphemeralVolume (an inline specification for a volume that gets created and deleted with the pod)\n",
        );
    } else if let Some(d) = &v.downward_api {
        w.write(
            LEVEL_2,
            "Type:\tDownwardAPI (a volume populated by information about the pod)\n    Items:\n",
        );
        for item in d.items.iter().flatten() {
            if let Some(f) = &item.field_ref {
                w.write(LEVEL_3, &format!("{} -> {}\n", f.field_path, item.path));
            }
            if let Some(r) = &item.resource_field_ref {
                w.write(LEVEL_3, &format!("{} -> {}\n", r.resource, item.path));
            }
        }
    } else if let Some(p) = &v.projected {
        w.write(
            LEVEL_2,
            "Type:\tProjected (a volume that contains injected data from multiple sources)\n",
        );
        for s in p.sources.iter().flatten() {
            if let Some(secret) = &s.secret {
                w.write(
                    LEVEL_2,
                    &format!(
                        "SecretName:\t{}\n    Optional:\t{}\n",
                        secret.name,
                        optional(secret.optional)
                    ),
                );
            } else if s.downward_api.is_some() {
                w.write(LEVEL_2, "DownwardAPI:\ttrue\n");
            } else if let Some(c) = &s.config_map {
                w.write(
                    LEVEL_2,
                    &format!(
                        "ConfigMapName:\t{}\n    Optional:\t{}\n",
                        c.name,
                        optional(c.optional)
                    ),
                );
            } else if let Some(t) = &s.service_account_token {
                w.write(
                    LEVEL_2,
                    &format!(
                        "TokenExpirationSeconds:\t{}\n",
                        t.expiration_seconds.unwrap_or(0)
                    ),
                );
            }
        }
    } else if let Some(c) = &v.csi {
        w.write(
            LEVEL_2,
            &format!(
                "Type:\tCSI (a Container Storage Interface (CSI) volume source)\n    Driver:\t{}\n    FSType:\t{}\n    ReadOnly:\t{}\n",
                c.driver,
                c.fs_type.as_deref().unwrap_or(""),
                c.read_only.unwrap_or(false)
            ),
        );
        w.write(LEVEL_2, "VolumeAttributes:\t");
        let attrs = c.volume_attributes.clone().unwrap_or_default();
        if attrs.is_empty() {
            w.write_line("<none>");
        }
        for (i, (k, v)) in attrs.iter().enumerate() {
            if i != 0 {
                w.write(LEVEL_2, "");
                w.write(LEVEL_2, "\t");
            }
            w.write(LEVEL_2, &format!("{}\n", shorten(&format!("{k}={v}"), 140)));
        }
    } else if let Some(i) = &v.image {
        w.write(
            LEVEL_2,
            &format!(
                "Type:\tImage (a container image or OCI artifact)\n    Reference:\t{}\n    PullPolicy:\t{}\n",
                i.reference.as_deref().unwrap_or(""),
                i.pull_policy.as_deref().unwrap_or("")
            ),
        );
    } else {
        w.write(LEVEL_1, "<unknown>\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn describe(v: serde_json::Value) -> String {
        let v: Vec<Volume> = serde_json::from_value(v).unwrap();
        let mut w = PrefixWriter::new();
        describe_volumes(&mut w, &v, "");
        w.write(LEVEL_0, "QoS Class:\tBestEffort\n");
        w.finish()
    }

    #[test]
    fn the_service_account_volume_is_the_projected_block() {
        assert_eq!(
            describe(serde_json::json!([{"name": "kube-api-access-jtwq4", "projected": {"defaultMode": 420, "sources": [
                {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
                {"downwardAPI": {"items": [{"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}, "path": "namespace"}]}}
            ]}}])),
            "Volumes:\n\
             \x20 kube-api-access-jtwq4:\n\
             \x20   Type:                    Projected (a volume that contains injected data from multiple sources)\n\
             \x20   TokenExpirationSeconds:  3607\n\
             \x20   ConfigMapName:           kube-root-ca.crt\n\
             \x20   Optional:                false\n\
             \x20   DownwardAPI:             true\n\
             QoS Class:                   BestEffort\n"
        );
    }

    #[test]
    fn config_map_empty_dir_host_path_and_claim_volumes() {
        assert_eq!(
            describe(serde_json::json!([
                {"name": "config-volume", "configMap": {"name": "special-config"}},
                {"name": "cache", "emptyDir": {}},
                {"name": "varlog", "hostPath": {"path": "/var/log", "type": ""}},
                {"name": "data", "persistentVolumeClaim": {"claimName": "task-pv-claim"}}
            ])),
            "Volumes:\n\
             \x20 config-volume:\n\
             \x20   Type:      ConfigMap (a volume populated by a ConfigMap)\n\
             \x20   Name:      special-config\n\
             \x20   Optional:  false\n\
             \x20 cache:\n\
             \x20   Type:       EmptyDir (a temporary directory that shares a pod's lifetime)\n\
             \x20   Medium:     \n\
             \x20   SizeLimit:  <unset>\n\
             \x20 varlog:\n\
             \x20   Type:          HostPath (bare host directory volume)\n\
             \x20   Path:          /var/log\n\
             \x20   HostPathType:  \n\
             \x20 data:\n\
             \x20   Type:       PersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same namespace)\n\
             \x20   ClaimName:  task-pv-claim\n\
             \x20   ReadOnly:   false\n\
             QoS Class:      BestEffort\n"
        );
    }

    #[test]
    fn no_volumes_is_none() {
        assert_eq!(
            describe(serde_json::json!([])),
            "Volumes:    <none>\nQoS Class:  BestEffort\n"
        );
    }
}
