//! Pod volumes (`ValidateVolumes`): names, exactly one source, and the common sources' fields.

use super::containers::{dns1123_label, VolumeNames};
use super::under;
use crate::apiserver::errors::{go_quote, FieldError};
use k8s_openapi::api::core::v1::Volume;

/// Whether a volume sets one of the sources.
type SetsSource = fn(&Volume) -> bool;

/// Volume source fields in the order `validateVolumeSource` checks them, with whether a volume
/// sets each (read from the typed volume, not from its JSON).
const SOURCE_ORDER: &[(&str, SetsSource)] = &[
    ("hostPath", |v| v.host_path.is_some()),
    ("emptyDir", |v| v.empty_dir.is_some()),
    ("gitRepo", |v| v.git_repo.is_some()),
    ("gcePersistentDisk", |v| v.gce_persistent_disk.is_some()),
    ("awsElasticBlockStore", |v| {
        v.aws_elastic_block_store.is_some()
    }),
    ("secret", |v| v.secret.is_some()),
    ("nfs", |v| v.nfs.is_some()),
    ("iscsi", |v| v.iscsi.is_some()),
    ("glusterfs", |v| v.glusterfs.is_some()),
    ("flocker", |v| v.flocker.is_some()),
    ("persistentVolumeClaim", |v| {
        v.persistent_volume_claim.is_some()
    }),
    ("rbd", |v| v.rbd.is_some()),
    ("flexVolume", |v| v.flex_volume.is_some()),
    ("cinder", |v| v.cinder.is_some()),
    ("cephfs", |v| v.cephfs.is_some()),
    ("downwardAPI", |v| v.downward_api.is_some()),
    ("fc", |v| v.fc.is_some()),
    ("azureFile", |v| v.azure_file.is_some()),
    ("vsphereVolume", |v| v.vsphere_volume.is_some()),
    ("quobyte", |v| v.quobyte.is_some()),
    ("azureDisk", |v| v.azure_disk.is_some()),
    ("photonPersistentDisk", |v| {
        v.photon_persistent_disk.is_some()
    }),
    ("portworxVolume", |v| v.portworx_volume.is_some()),
    ("scaleIO", |v| v.scale_io.is_some()),
    ("configMap", |v| v.config_map.is_some()),
    ("projected", |v| v.projected.is_some()),
    ("storageos", |v| v.storageos.is_some()),
    ("csi", |v| v.csi.is_some()),
    ("ephemeral", |v| v.ephemeral.is_some()),
    ("image", |v| v.image.is_some()),
];

/// The volume sources `v` sets, in `validateVolumeSource`'s order.
pub fn volume_sources(v: &Volume) -> impl Iterator<Item = &'static str> + '_ {
    SOURCE_ORDER
        .iter()
        .filter(move |(_, set)| set(v))
        .map(|(name, _)| *name)
}

fn validate_volume_source(v: &Volume, path: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let present: Vec<&str> = volume_sources(v).collect();
    for extra in present.iter().skip(1) {
        errs.push(FieldError::forbidden(
            format!("{path}.{extra}"),
            "may not specify more than 1 volume type",
        ));
    }
    if present.is_empty() {
        errs.push(FieldError::required(path, "must specify a volume type"));
    }
    match present.first().copied() {
        Some("hostPath") => {
            if let Some(hp) = v.host_path.as_ref() {
                if hp.path.is_empty() {
                    errs.push(FieldError::required(format!("{path}.hostPath.path"), ""));
                }
                const TYPES: &[&str] = &[
                    "",
                    "BlockDevice",
                    "CharDevice",
                    "Directory",
                    "DirectoryOrCreate",
                    "File",
                    "FileOrCreate",
                    "Socket",
                ];
                let ty = hp.type_.as_deref().unwrap_or("");
                if !TYPES.contains(&ty) {
                    errs.push(FieldError::not_supported(
                        format!("{path}.hostPath.type"),
                        ty,
                        TYPES,
                    ));
                }
            }
        }
        Some("secret") => {
            if let Some(s) = v.secret.as_ref() {
                if s.secret_name.as_deref().unwrap_or("").is_empty() {
                    errs.push(FieldError::required(
                        format!("{path}.secret.secretName"),
                        "",
                    ));
                }
                errs.extend(under(
                    || format!("{path}.secret.defaultMode"),
                    |at| default_mode(s.default_mode, at),
                ));
            }
        }
        Some("configMap") => {
            if let Some(c) = v.config_map.as_ref() {
                if c.name.is_empty() {
                    errs.push(FieldError::required(format!("{path}.configMap.name"), ""));
                }
                errs.extend(under(
                    || format!("{path}.configMap.defaultMode"),
                    |at| default_mode(c.default_mode, at),
                ));
            }
        }
        Some("persistentVolumeClaim") => {
            if let Some(c) = v.persistent_volume_claim.as_ref() {
                if c.claim_name.is_empty() {
                    errs.push(FieldError::required(
                        format!("{path}.persistentVolumeClaim.claimName"),
                        "",
                    ));
                }
            }
        }
        Some("projected") => {
            if let Some(p) = v.projected.as_ref() {
                errs.extend(under(
                    || format!("{path}.projected.defaultMode"),
                    |at| default_mode(p.default_mode, at),
                ));
            }
        }
        Some("downwardAPI") => {
            if let Some(d) = v.downward_api.as_ref() {
                errs.extend(under(
                    || format!("{path}.downwardAPI.defaultMode"),
                    |at| default_mode(d.default_mode, at),
                ));
            }
        }
        _ => {}
    }
    errs
}

fn default_mode(mode: Option<i32>, path: &str) -> Vec<FieldError> {
    match mode {
        Some(m) if !(0..=0o777).contains(&m) => vec![FieldError::invalid(
            path,
            m.to_string(),
            "must be a number between 0 and 0777 (octal), both inclusive",
        )],
        _ => Vec::new(),
    }
}

/// `ValidateVolumes`: returns the names of the volumes that validated (mounts may only refer to
/// those) and the errors.
pub fn validate_volumes(vols: &[Volume], path: &str) -> (VolumeNames, Vec<FieldError>) {
    let mut names = VolumeNames::new();
    let mut errs = Vec::new();
    for (i, v) in vols.iter().enumerate() {
        let ip = format!("{path}[{i}]");
        let np = format!("{ip}.name");
        let mut el = validate_volume_source(v, &ip);
        if v.name.is_empty() {
            el.push(FieldError::required(&np, ""));
        } else {
            el.extend(dns1123_label(&v.name, &np));
        }
        if names.contains(&v.name) {
            el.push(FieldError::duplicate(&np, go_quote(&v.name)));
        }
        if el.is_empty() {
            names.insert(v.name.clone());
        } else {
            errs.extend(el);
        }
    }
    (names, errs)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    macro_rules! one_source_each {
        ($($field:ident),* $(,)?) => {
            vec![$(Volume {
                name: "v".into(),
                $field: Some(Default::default()),
                ..Default::default()
            }),*]
        };
    }

    #[test]
    fn each_source_is_named_as_the_volume_s_json_names_it() {
        let volumes = one_source_each!(
            aws_elastic_block_store,
            azure_disk,
            azure_file,
            cephfs,
            cinder,
            config_map,
            csi,
            downward_api,
            empty_dir,
            ephemeral,
            fc,
            flex_volume,
            flocker,
            gce_persistent_disk,
            git_repo,
            glusterfs,
            host_path,
            image,
            iscsi,
            nfs,
            persistent_volume_claim,
            photon_persistent_disk,
            portworx_volume,
            projected,
            quobyte,
            rbd,
            scale_io,
            secret,
            storageos,
            vsphere_volume,
        );
        assert_eq!(volumes.len(), SOURCE_ORDER.len());
        let mut named = std::collections::BTreeSet::new();
        for v in &volumes {
            let json = serde_json::to_value(v).unwrap();
            let keys: Vec<&str> = json
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .filter(|k| *k != "name")
                .collect();
            let sources: Vec<&str> = volume_sources(v).collect();
            assert_eq!(sources, keys);
            named.insert(sources[0]);
        }
        assert_eq!(named.len(), SOURCE_ORDER.len());
        assert_eq!(volume_sources(&Volume::default()).count(), 0);
    }
}
