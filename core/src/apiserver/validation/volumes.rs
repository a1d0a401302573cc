//! Pod volumes (`ValidateVolumes`): names, exactly one source, and the common sources' fields.

use super::containers::{dns1123_label, VolumeNames};
use super::under;
use crate::apiserver::errors::{go_quote, FieldError};
use k8s_openapi::api::core::v1::Volume;

/// Volume source fields in the order `validateVolumeSource` checks them.
const SOURCE_ORDER: &[&str] = &[
    "hostPath",
    "emptyDir",
    "gitRepo",
    "gcePersistentDisk",
    "awsElasticBlockStore",
    "secret",
    "nfs",
    "iscsi",
    "glusterfs",
    "flocker",
    "persistentVolumeClaim",
    "rbd",
    "flexVolume",
    "cinder",
    "cephfs",
    "downwardAPI",
    "fc",
    "azureFile",
    "vsphereVolume",
    "quobyte",
    "azureDisk",
    "photonPersistentDisk",
    "portworxVolume",
    "scaleIO",
    "configMap",
    "projected",
    "storageos",
    "csi",
    "ephemeral",
    "image",
];

fn validate_volume_source(v: &Volume, path: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let json = serde_json::to_value(v).unwrap_or_default();
    let present: Vec<&str> = SOURCE_ORDER
        .iter()
        .copied()
        .filter(|k| json.get(*k).is_some())
        .collect();
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
