//! VolumeBinding: claims must exist and immediate-binding claims must already be bound before a
//! pod can be placed (PreFilter).

use k8s_openapi::api::core::v1::Pod;

use crate::scheduler::framework::{
    ClusterSnapshot, CycleState, Plugin, PreFilterPlugin, PreFilterResult, Status,
    VolumeBindingMode,
};
use crate::scheduler::plugins::volume_restrictions::{claim_not_found, pod_claim_names};

/// The plugin's upstream name.
pub const NAME: &str = "VolumeBinding";
/// The PreFilter reason while an immediate-binding claim is still unbound.
pub const ERR_REASON_UNBOUND_IMMEDIATE: &str = "pod has unbound immediate PersistentVolumeClaims";

/// Volume binding (upstream `volumebinding`); PreFilter checks only so far.
#[derive(Debug, Clone, Copy, Default)]
pub struct VolumeBinding;

impl Plugin for VolumeBinding {
    fn name(&self) -> &'static str {
        NAME
    }
}

impl PreFilterPlugin for VolumeBinding {
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
        let mut unbound_immediate = false;
        for name in claims {
            let Some(pvc) = snapshot.pvcs.get(&format!("{ns}/{name}")) else {
                return (None, Status::unresolvable(claim_not_found(name)));
            };
            if pvc.metadata.deletion_timestamp.is_some() {
                return (
                    None,
                    Status::unresolvable(format!(
                        "persistentvolumeclaim \"{name}\" is being deleted"
                    )),
                );
            }
            let bound = pvc
                .spec
                .as_ref()
                .and_then(|s| s.volume_name.as_deref())
                .is_some_and(|v| !v.is_empty());
            if bound {
                continue;
            }
            let class = pvc
                .spec
                .as_ref()
                .and_then(|s| s.storage_class_name.as_deref())
                .unwrap_or("");
            let mode = snapshot
                .storage_classes
                .get(class)
                .copied()
                .unwrap_or(VolumeBindingMode::Immediate);
            if mode == VolumeBindingMode::Immediate {
                unbound_immediate = true;
            }
        }
        if unbound_immediate {
            return (None, Status::unresolvable(ERR_REASON_UNBOUND_IMMEDIATE));
        }
        (None, Status::success())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduler::framework::Code;
    use crate::scheduler::plugins::volume_restrictions::VolumeRestrictions;
    use crate::scheduler::testutil::pod;
    use k8s_openapi::api::core::v1::{
        PersistentVolumeClaim, PersistentVolumeClaimSpec, PersistentVolumeClaimVolumeSource, Volume,
    };
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn mounting(claim: &str) -> Pod {
        let mut p = pod("p", "", "");
        p.spec.as_mut().unwrap().volumes = Some(vec![Volume {
            name: "data".into(),
            persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                claim_name: claim.into(),
                read_only: None,
            }),
            ..Default::default()
        }]);
        p
    }

    fn pvc(name: &str, volume: Option<&str>, class: &str) -> PersistentVolumeClaim {
        let mut c = PersistentVolumeClaim::default();
        c.metadata.name = Some(name.into());
        c.metadata.namespace = Some("default".into());
        c.spec = Some(PersistentVolumeClaimSpec {
            volume_name: volume.map(Into::into),
            storage_class_name: Some(class.into()),
            ..Default::default()
        });
        c
    }

    #[test]
    fn missing_and_unbound_immediate_claims_reject_the_pod_in_pre_filter() {
        let mut snap = ClusterSnapshot::default().with_pvcs([
            pvc("bound", Some("pv-1"), "standard"),
            pvc("pending", None, "standard"),
            pvc("late", None, "wffc"),
        ]);
        snap.storage_classes
            .insert("wffc".into(), VolumeBindingMode::WaitForFirstConsumer);
        let cases = [
            (
                "missing",
                Some("persistentvolumeclaim \"missing\" not found"),
            ),
            ("pending", Some(ERR_REASON_UNBOUND_IMMEDIATE)),
            ("bound", None),
            ("late", None),
        ];
        for (claim, want) in cases {
            let (_, s) =
                VolumeBinding.pre_filter(&mut CycleState::default(), &mounting(claim), &snap);
            match want {
                None => assert!(s.is_success(), "{claim}: {s:?}"),
                Some(msg) => {
                    assert_eq!(s.code, Code::UnschedulableAndUnresolvable);
                    assert_eq!(s.message(), msg);
                }
            }
        }
        let (_, s) =
            VolumeRestrictions.pre_filter(&mut CycleState::default(), &mounting("missing"), &snap);
        assert_eq!(s.message(), "persistentvolumeclaim \"missing\" not found");
        let (_, s) =
            VolumeBinding.pre_filter(&mut CycleState::default(), &pod("none", "", ""), &snap);
        assert!(s.is_skip());
    }
}
