//! DefaultBinder: binds by writing a `Binding` to `pods/<name>/binding`.

use k8s_openapi::api::core::v1::{Binding, ObjectReference, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use crate::scheduler::framework::{BindPlugin, CycleState, Plugin, Status};

/// The plugin's upstream name.
pub const NAME: &str = "DefaultBinder";

/// The default binder (upstream `defaultbinder`).
#[derive(Debug, Clone, Copy, Default)]
pub struct DefaultBinder;

impl Plugin for DefaultBinder {
    fn name(&self) -> &'static str {
        NAME
    }
}

impl BindPlugin for DefaultBinder {
    fn bind(&self, _state: &mut CycleState, pod: &Pod, node: &str) -> Result<Binding, Status> {
        Ok(Binding {
            metadata: ObjectMeta {
                name: pod.metadata.name.clone(),
                namespace: pod.metadata.namespace.clone(),
                uid: pod.metadata.uid.clone(),
                ..Default::default()
            },
            target: ObjectReference {
                kind: Some("Node".into()),
                name: Some(node.into()),
                ..Default::default()
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduler::testutil::pod;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn the_binding_names_the_pod_and_targets_the_node() {
        let b = DefaultBinder
            .bind(&mut CycleState::default(), &pod("web", "", ""), "node-1")
            .unwrap();
        assert_eq!(b.metadata.name.as_deref(), Some("web"));
        assert_eq!(b.metadata.namespace.as_deref(), Some("default"));
        assert_eq!(b.target.kind.as_deref(), Some("Node"));
        assert_eq!(b.target.name.as_deref(), Some("node-1"));
    }
}
