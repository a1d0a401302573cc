//! VolumeRestrictions: every PersistentVolumeClaim the pod mounts must exist (PreFilter), as the
//! ReadWriteOncePod checks need them.

use k8s_openapi::api::core::v1::Pod;

use crate::scheduler::framework::{
    ClusterSnapshot, CycleState, Plugin, PreFilterPlugin, PreFilterResult, Status,
};

/// The plugin's upstream name.
pub const NAME: &str = "VolumeRestrictions";

/// Volume restrictions (upstream `volumerestrictions`); only the missing-claim check so far.
#[derive(Debug, Clone, Copy, Default)]
pub struct VolumeRestrictions;

impl Plugin for VolumeRestrictions {
    fn name(&self) -> &'static str {
        NAME
    }
}

/// The claim names a pod mounts, in volume order.
pub fn pod_claim_names(pod: &Pod) -> Vec<&str> {
    pod.spec
        .as_ref()
        .and_then(|s| s.volumes.as_ref())
        .into_iter()
        .flatten()
        .filter_map(|v| v.persistent_volume_claim.as_ref())
        .map(|c| c.claim_name.as_str())
        .collect()
}

/// The API's NotFound text for a claim: `persistentvolumeclaim "<name>" not found`.
pub fn claim_not_found(name: &str) -> String {
    format!("persistentvolumeclaim \"{name}\" not found")
}

impl PreFilterPlugin for VolumeRestrictions {
    fn pre_filter(
        &self,
        _state: &mut CycleState,
        pod: &Pod,
        snapshot: &ClusterSnapshot,
    ) -> (Option<PreFilterResult>, Status) {
        let ns = pod.metadata.namespace.as_deref().unwrap_or("default");
        let claims = pod_claim_names(pod);
        if claims.is_empty() {
            return (None, Status::skip());
        }
        for name in claims {
            if !snapshot.pvcs.contains_key(&format!("{ns}/{name}")) {
                return (None, Status::unresolvable(claim_not_found(name)));
            }
        }
        (None, Status::skip())
    }
}
