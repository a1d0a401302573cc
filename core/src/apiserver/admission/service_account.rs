//! ServiceAccount (`plugin/pkg/admission/serviceaccount`): defaults `serviceAccountName`,
//! requires the ServiceAccount to exist, mounts the `kube-api-access-<5>` projected token volume
//! in every container, and copies the ServiceAccount's imagePullSecrets.

use k8s_openapi::api::core::v1::{
    ConfigMapProjection, Container, DownwardAPIProjection, DownwardAPIVolumeFile, KeyToPath,
    LocalObjectReference, ObjectFieldSelector, ProjectedVolumeSource,
    ServiceAccountTokenProjection, Volume, VolumeMount, VolumeProjection,
};

use super::{forbidden, MutatingPlugin};
use crate::apiserver::errors::ApiError;
use crate::apiserver::request::{Attributes, RequestContext, Verb};
use crate::object::Object;

/// The plugin's upstream name.
pub const NAME: &str = "ServiceAccount";

/// The ServiceAccount a pod runs as when it names none.
pub const DEFAULT_SERVICE_ACCOUNT: &str = "default";

/// Prefix of the generated token volume's name.
pub const VOLUME_PREFIX: &str = "kube-api-access-";

/// Where the token, CA bundle and namespace are mounted.
pub const MOUNT_PATH: &str = "/var/run/secrets/kubernetes.io/serviceaccount";

/// The token's expiration as the admission plugin requests it (one hour plus 7 s).
pub const TOKEN_EXPIRATION_SECONDS: i64 = 3607;

/// The mirror-pod annotation; mirror pods are not mutated.
pub const MIRROR_POD_ANNOTATION: &str = "kubernetes.io/config.mirror";

/// The ServiceAccount plugin.
pub struct ServiceAccount;

impl MutatingPlugin for ServiceAccount {
    fn name(&self) -> &'static str {
        NAME
    }

    fn admit(
        &self,
        attrs: &Attributes,
        obj: &mut Object,
        _old: Option<&Object>,
        ctx: &mut RequestContext<'_>,
    ) -> Result<Vec<String>, ApiError> {
        if attrs.verb != Verb::Create || attrs.subresource.is_some() {
            return Ok(Vec::new());
        }
        let Object::Pod(pod) = obj else {
            return Ok(Vec::new());
        };
        let mirror = pod
            .metadata
            .annotations
            .as_ref()
            .is_some_and(|a| a.contains_key(MIRROR_POD_ANNOTATION));
        if mirror {
            return Ok(Vec::new());
        }
        let mut changes = Vec::new();
        let mut spec = pod.spec.take().unwrap_or_default();
        if spec
            .service_account_name
            .as_deref()
            .unwrap_or_default()
            .is_empty()
        {
            spec.service_account_name = Some(DEFAULT_SERVICE_ACCOUNT.to_string());
            changes.push(format!(
                "set spec.serviceAccountName to \"{DEFAULT_SERVICE_ACCOUNT}\""
            ));
        }
        let sa_name = spec.service_account_name.clone().unwrap_or_default();
        // v1 mirrors the name into the deprecated field.
        spec.service_account = Some(sa_name.clone());
        let sa = match ctx
            .lookup
            .get("ServiceAccount", &attrs.namespace, &sa_name)
            .as_deref()
        {
            Some(Object::ServiceAccount(sa)) => sa.clone(),
            _ => {
                pod.spec = Some(spec);
                return Err(forbidden(
                    attrs,
                    Some(obj),
                    format!(
                        "error looking up service account {}/{sa_name}: serviceaccount \"{sa_name}\" not found",
                        attrs.namespace
                    ),
                ));
            }
        };
        let automount = spec
            .automount_service_account_token
            .or(sa.automount_service_account_token)
            .unwrap_or(true);
        if automount {
            let existing = spec
                .volumes
                .iter()
                .flatten()
                .find(|v| v.name.starts_with(VOLUME_PREFIX))
                .map(|v| v.name.clone());
            let volume_name = existing
                .clone()
                .unwrap_or_else(|| format!("{VOLUME_PREFIX}{}", ctx.rng.name_suffix(5)));
            let mut needs_volume = false;
            let mut mounted = Vec::new();
            let mut mount = |c: &mut Container, what: &str| {
                let mounts = c.volume_mounts.get_or_insert_with(Vec::new);
                if mounts.iter().any(|m| m.mount_path == MOUNT_PATH) {
                    return;
                }
                mounts.push(VolumeMount {
                    name: volume_name.clone(),
                    mount_path: MOUNT_PATH.to_string(),
                    read_only: Some(true),
                    ..Default::default()
                });
                needs_volume = true;
                mounted.push(format!(
                    "mounted {volume_name} at {MOUNT_PATH} in {what} {}",
                    c.name
                ));
            };
            for c in spec.init_containers.iter_mut().flatten() {
                mount(c, "init container");
            }
            for c in spec.containers.iter_mut() {
                mount(c, "container");
            }
            if existing.is_none() && needs_volume {
                spec.volumes
                    .get_or_insert_with(Vec::new)
                    .push(token_volume(&volume_name));
                changes.push(format!("added volume {volume_name}"));
            }
            changes.extend(mounted);
        } else {
            changes.push("skipped the token volume: automountServiceAccountToken is false".into());
        }
        if spec.image_pull_secrets.as_ref().is_none_or(Vec::is_empty) {
            let secrets: Vec<LocalObjectReference> = sa
                .image_pull_secrets
                .iter()
                .flatten()
                .map(|s| LocalObjectReference {
                    name: s.name.clone(),
                })
                .collect();
            if !secrets.is_empty() {
                changes.push(format!(
                    "copied imagePullSecrets {} from ServiceAccount {sa_name}",
                    secrets
                        .iter()
                        .map(|s| s.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
                spec.image_pull_secrets = Some(secrets);
            }
        }
        pod.spec = Some(spec);
        Ok(changes)
    }
}

/// The projected volume: a bound token, the cluster CA and the namespace.
pub fn token_volume(name: &str) -> Volume {
    Volume {
        name: name.to_string(),
        projected: Some(ProjectedVolumeSource {
            default_mode: Some(420),
            sources: Some(vec![
                VolumeProjection {
                    service_account_token: Some(ServiceAccountTokenProjection {
                        expiration_seconds: Some(TOKEN_EXPIRATION_SECONDS),
                        path: "token".into(),
                        ..Default::default()
                    }),
                    ..Default::default()
                },
                VolumeProjection {
                    config_map: Some(ConfigMapProjection {
                        name: "kube-root-ca.crt".into(),
                        items: Some(vec![KeyToPath {
                            key: "ca.crt".into(),
                            path: "ca.crt".into(),
                            ..Default::default()
                        }]),
                        ..Default::default()
                    }),
                    ..Default::default()
                },
                VolumeProjection {
                    downward_api: Some(DownwardAPIProjection {
                        items: Some(vec![DownwardAPIVolumeFile {
                            path: "namespace".into(),
                            field_ref: Some(ObjectFieldSelector {
                                api_version: Some("v1".into()),
                                field_path: "metadata.namespace".into(),
                            }),
                            ..Default::default()
                        }]),
                    }),
                    ..Default::default()
                },
            ]),
        }),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apiserver::admission::testing::{attrs, meta, pod, MapLookup};
    use crate::sim::{SimRng, SimTime};
    use k8s_openapi::api::core::v1::{Pod, ServiceAccount as Sa};
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn admit(lookup: &MapLookup, p: Pod) -> (Result<Vec<String>, ApiError>, Pod) {
        let mut rng = SimRng::new(7);
        let mut ctx = RequestContext {
            now: SimTime(0),
            rng: &mut rng,
            lookup,
        };
        let a = attrs(
            Verb::Create,
            "Pod",
            "default",
            p.metadata.name.as_deref().unwrap(),
        );
        let mut obj: Object = p.into();
        let r = ServiceAccount.admit(&a, &mut obj, None, &mut ctx);
        let Object::Pod(p) = obj else { unreachable!() };
        (r, *p)
    }

    #[test]
    fn every_container_mounts_the_projected_token_volume() {
        let lookup = MapLookup::cluster();
        let mut p = pod("web", &["nginx", "sidecar"]);
        p.spec.as_mut().unwrap().init_containers = pod("i", &["init"]).spec.map(|s| s.containers);
        let (r, p) = admit(&lookup, p);
        let changes = r.unwrap();
        let spec = p.spec.unwrap();
        let volume = &spec.volumes.as_ref().unwrap()[0];
        let suffix = SimRng::new(7).name_suffix(5);
        assert_eq!(volume.name, format!("kube-api-access-{suffix}"));
        assert_eq!(volume, &token_volume(&volume.name));
        for c in spec
            .init_containers
            .iter()
            .flatten()
            .chain(&spec.containers)
        {
            assert_eq!(
                c.volume_mounts.as_ref().unwrap(),
                &vec![VolumeMount {
                    name: volume.name.clone(),
                    mount_path: MOUNT_PATH.into(),
                    read_only: Some(true),
                    ..Default::default()
                }]
            );
        }
        assert_eq!(spec.service_account_name.as_deref(), Some("default"));
        assert_eq!(spec.service_account.as_deref(), Some("default"));
        assert_eq!(
            changes,
            vec![
                "set spec.serviceAccountName to \"default\"".to_string(),
                format!("added volume kube-api-access-{suffix}"),
                format!("mounted kube-api-access-{suffix} at {MOUNT_PATH} in init container init"),
                format!("mounted kube-api-access-{suffix} at {MOUNT_PATH} in container nginx"),
                format!("mounted kube-api-access-{suffix} at {MOUNT_PATH} in container sidecar"),
            ]
        );
    }

    #[test]
    fn a_missing_service_account_is_forbidden() {
        let lookup = MapLookup::cluster();
        let mut p = pod("x", &["x"]);
        p.spec.as_mut().unwrap().service_account_name = Some("foo".into());
        let (r, _) = admit(&lookup, p);
        assert_eq!(
            r.unwrap_err().message,
            "pods \"x\" is forbidden: error looking up service account default/foo: serviceaccount \"foo\" not found"
        );
    }

    #[test]
    fn automount_false_on_the_service_account_skips_the_volume_but_the_pod_can_override() {
        let mut lookup = MapLookup::cluster();
        lookup.add(Sa {
            metadata: meta("default", "build"),
            automount_service_account_token: Some(false),
            image_pull_secrets: Some(vec![LocalObjectReference {
                name: "regcred".into(),
            }]),
            ..Default::default()
        });
        let mut p = pod("x", &["x"]);
        p.spec.as_mut().unwrap().service_account_name = Some("build".into());
        let (r, out) = admit(&lookup, p.clone());
        r.unwrap();
        let spec = out.spec.unwrap();
        assert!(spec.volumes.is_none());
        assert_eq!(spec.image_pull_secrets.unwrap()[0].name, "regcred");
        p.spec.as_mut().unwrap().automount_service_account_token = Some(true);
        let (_, out) = admit(&lookup, p);
        assert_eq!(out.spec.unwrap().volumes.unwrap().len(), 1);
    }

    #[test]
    fn an_existing_mount_at_the_token_path_is_kept() {
        let lookup = MapLookup::cluster();
        let mut p = pod("x", &["x"]);
        p.spec.as_mut().unwrap().containers[0].volume_mounts = Some(vec![VolumeMount {
            name: "mine".into(),
            mount_path: MOUNT_PATH.into(),
            ..Default::default()
        }]);
        let (_, out) = admit(&lookup, p);
        let spec = out.spec.unwrap();
        assert!(spec.volumes.is_none());
        assert_eq!(spec.containers[0].volume_mounts.as_ref().unwrap().len(), 1);
    }
}
