//! What a large run's memory is made of: the live heap at the end of a workload per pod, and
//! what the stored Pods themselves hold, field by field (run natively by `podflow-heap`, whose
//! allocator counts bytes).

use std::mem::size_of;

use k8s_openapi::api::core::v1::{Pod, PodSpec, PodStatus};
use podflow_core::cluster::Cluster;
use podflow_core::object::Object;

/// Runs a closure and says how many bytes it allocated (the caller's counting allocator).
pub type AllocatedBy<'a> = &'a dyn Fn(&mut dyn FnMut()) -> usize;

/// Heap and inline bytes of the stored Pods, summed over all of them, by field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodBytes {
    /// How many Pods the store holds.
    pub pods: usize,
    /// `(field, bytes)`: the whole Pod first, then its parts (which overlap: `spec.volumes` is
    /// part of `spec`).
    pub fields: Vec<(&'static str, usize)>,
}

/// The bytes one value takes: what a clone of it allocates, plus its own inline size.
fn bytes_of<T: Clone>(value: &T, allocated_by: AllocatedBy<'_>) -> usize {
    let mut clone = || drop(value.clone());
    allocated_by(&mut clone) + size_of::<T>()
}

/// Sums, over every stored Pod, the bytes of the Pod and of its main fields.
pub fn pod_bytes(cluster: &Cluster, allocated_by: AllocatedBy<'_>) -> PodBytes {
    let empty_spec = PodSpec::default();
    let empty_status = PodStatus::default();
    let mut fields: Vec<(&'static str, usize)> = [
        "Pod",
        "metadata",
        "spec",
        "spec.volumes",
        "spec.containers",
        "spec.tolerations",
        "status",
        "status.conditions",
        "status.containerStatuses",
    ]
    .into_iter()
    .map(|f| (f, 0))
    .collect();
    let mut pods = 0;
    for object in cluster.objects(&["Pod"]) {
        let Object::Pod(pod) = &*object else {
            continue;
        };
        pods += 1;
        let spec = pod.spec.as_ref().unwrap_or(&empty_spec);
        let status = pod.status.as_ref().unwrap_or(&empty_status);
        let each = [
            bytes_of::<Pod>(pod, allocated_by),
            bytes_of(&pod.metadata, allocated_by),
            bytes_of(spec, allocated_by),
            bytes_of(&spec.volumes, allocated_by),
            bytes_of(&spec.containers, allocated_by),
            bytes_of(&spec.tolerations, allocated_by),
            bytes_of(status, allocated_by),
            bytes_of(&status.conditions, allocated_by),
            bytes_of(&status.container_statuses, allocated_by),
        ];
        for (field, bytes) in fields.iter_mut().zip(each) {
            field.1 += bytes;
        }
    }
    PodBytes { pods, fields }
}

/// The report: the live heap per pod (when counted) and each field's bytes per pod.
pub fn render(workload: &str, live_heap: Option<u64>, bytes: &PodBytes) -> String {
    let per_pod = |b: u64| b / bytes.pods.max(1) as u64;
    let mut out = format!("{workload}: {} Pods stored\n", bytes.pods);
    if let Some(live) = live_heap {
        out.push_str(&format!(
            "live heap at the end: {} MiB, {} bytes a pod\n",
            live >> 20,
            per_pod(live)
        ));
    }
    out.push_str(&format!(
        "{:<28} {:>12}\n",
        "in the stored Pods", "bytes a pod"
    ));
    for (field, total) in &bytes.fields {
        out.push_str(&format!("{field:<28} {:>12}\n", per_pod(*total as u64)));
    }
    out
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::run;
    use crate::shape::{Scale, Shape};

    #[test]
    fn the_stored_pods_are_counted_with_at_least_their_inline_sizes() {
        let shape = Shape::named("small-100", Scale::Smoke).expect("a workload");
        let (_, cluster) = run::run(&shape).expect("the run");
        // Without a counting allocator every clone "allocates" nothing: what is left is the
        // inline sizes, the Pod's own and its fields'.
        let none = |f: &mut dyn FnMut()| {
            f();
            0
        };
        let bytes = pod_bytes(&cluster, &none);
        assert_eq!(bytes.pods, shape.total_pods());
        assert_eq!(bytes.fields[0], ("Pod", bytes.pods * size_of::<Pod>()));
        assert_eq!(bytes.fields[2], ("spec", bytes.pods * size_of::<PodSpec>()));
        let text = render("small-100", Some(100 << 20), &bytes);
        assert!(text.starts_with(&format!("small-100: {} Pods stored\n", bytes.pods)));
        assert!(text.contains(&format!(
            "\nspec                         {:>12}\n",
            size_of::<PodSpec>()
        )));
    }
}
