//! `DescribePodTemplate`: the `Pod Template:` block of a Deployment, ReplicaSet, Job or
//! DaemonSet description (containers without state, volumes, node selectors, tolerations).

use k8s_openapi::api::core::v1::PodTemplateSpec;

use super::containers::describe_containers;
use super::format::{annotations_multiline, labels_multiline, tolerations_multiline};
use super::pod::describe_topology_spread;
use super::volumes::describe_volumes;
use super::writer::{PrefixWriter, LEVEL_0, LEVEL_1};

/// Writes the template indented one level under `Pod Template:`.
pub fn describe_pod_template(w: &mut PrefixWriter, template: Option<&PodTemplateSpec>) {
    w.write(LEVEL_0, "Pod Template:\n");
    let Some(template) = template else {
        w.write(LEVEL_1, "<unset>");
        return;
    };
    let meta = template.metadata.clone().unwrap_or_default();
    let spec = template.spec.clone().unwrap_or_default();
    labels_multiline(w, "  Labels", meta.labels.as_ref());
    if meta.annotations.as_ref().is_some_and(|a| !a.is_empty()) {
        annotations_multiline(w, "  Annotations", meta.annotations.as_ref());
    }
    if let Some(sa) = spec
        .service_account_name
        .as_deref()
        .filter(|s| !s.is_empty())
    {
        w.write(LEVEL_1, &format!("Service Account:\t{sa}\n"));
    }
    let init = spec.init_containers.clone().unwrap_or_default();
    if !init.is_empty() {
        describe_containers(w, "Init Containers", &init, None, None, "  ");
    }
    describe_containers(w, "Containers", &spec.containers, None, None, "  ");
    describe_volumes(w, spec.volumes.as_deref().unwrap_or(&[]), "  ");
    describe_topology_spread(
        w,
        spec.topology_spread_constraints.as_deref().unwrap_or(&[]),
        "  ",
    );
    if let Some(pc) = spec
        .priority_class_name
        .as_deref()
        .filter(|s| !s.is_empty())
    {
        w.write(LEVEL_1, &format!("Priority Class Name:\t{pc}\n"));
    }
    labels_multiline(w, "  Node-Selectors", spec.node_selector.as_ref());
    tolerations_multiline(
        w,
        "  Tolerations",
        spec.tolerations.as_deref().unwrap_or(&[]),
    );
}
