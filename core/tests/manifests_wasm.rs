//! The docs manifests applied in WebAssembly (Node.js): the same apply-step outcomes as the
//! native conformance test, so the core is shown to behave the same on wasm32. The manifests
//! are compiled in from `../shared/manifests`, which CI always has beside the checkout.

#![cfg(target_arch = "wasm32")]

use podflow_core::Cluster;
use wasm_bindgen_test::wasm_bindgen_test;

const OUTCOMES: &str = include_str!("../../tests/data/apply-outcomes.tsv");

const MANIFESTS: &[(&str, &str)] = &[
    ("pods__simple-pod.yaml", include_str!("../../../shared/manifests/pods__simple-pod.yaml")),
    ("pods__init-containers.yaml", include_str!("../../../shared/manifests/pods__init-containers.yaml")),
    ("pods__init-containers@a2659dc.yaml", include_str!("../../../shared/manifests/pods__init-containers@a2659dc.yaml")),
    ("pods__commands.yaml", include_str!("../../../shared/manifests/pods__commands.yaml")),
    ("pods__pod-nginx.yaml", include_str!("../../../shared/manifests/pods__pod-nginx.yaml")),
    ("pods__pod-nginx-specific-node.yaml", include_str!("../../../shared/manifests/pods__pod-nginx-specific-node.yaml")),
    ("pods__pod-nginx-preferred-affinity.yaml", include_str!("../../../shared/manifests/pods__pod-nginx-preferred-affinity.yaml")),
    ("pods__pod-with-node-affinity-1.yaml", include_str!("../../../shared/manifests/pods__pod-with-node-affinity-1.yaml")),
    ("pods__pod-with-affinity-anti-affinity.yaml", include_str!("../../../shared/manifests/pods__pod-with-affinity-anti-affinity.yaml")),
    ("pods__pod-with-toleration.yaml", include_str!("../../../shared/manifests/pods__pod-with-toleration.yaml")),
    ("pods__pod-with-scheduling-gates.yaml", include_str!("../../../shared/manifests/pods__pod-with-scheduling-gates.yaml")),
    ("pods__pod-without-scheduling-gates.yaml", include_str!("../../../shared/manifests/pods__pod-without-scheduling-gates.yaml")),
    ("pods__probe__exec-liveness.yaml", include_str!("../../../shared/manifests/pods__probe__exec-liveness.yaml")),
    ("pods__probe__tcp-liveness-readiness.yaml", include_str!("../../../shared/manifests/pods__probe__tcp-liveness-readiness.yaml")),
    ("pods__probe__grpc-liveness.yaml", include_str!("../../../shared/manifests/pods__probe__grpc-liveness.yaml")),
    ("pods__probe__pod-with-tcp-socket-healthcheck.yaml", include_str!("../../../shared/manifests/pods__probe__pod-with-tcp-socket-healthcheck.yaml")),
    ("pods__qos__qos-pod.yaml", include_str!("../../../shared/manifests/pods__qos__qos-pod.yaml")),
    ("pods__qos__qos-pod-2.yaml", include_str!("../../../shared/manifests/pods__qos__qos-pod-2.yaml")),
    ("pods__qos__qos-pod-3.yaml", include_str!("../../../shared/manifests/pods__qos__qos-pod-3.yaml")),
    ("pods__resource__cpu-request-limit.yaml", include_str!("../../../shared/manifests/pods__resource__cpu-request-limit.yaml")),
    ("pods__resource__cpu-request-limit-2.yaml", include_str!("../../../shared/manifests/pods__resource__cpu-request-limit-2.yaml")),
    ("pods__resource__memory-request-limit.yaml", include_str!("../../../shared/manifests/pods__resource__memory-request-limit.yaml")),
    ("pods__resource__memory-request-limit-2.yaml", include_str!("../../../shared/manifests/pods__resource__memory-request-limit-2.yaml")),
    ("pods__resource__extended-resource-pod.yaml", include_str!("../../../shared/manifests/pods__resource__extended-resource-pod.yaml")),
    ("pods__security__security-context.yaml", include_str!("../../../shared/manifests/pods__security__security-context.yaml")),
    ("pods__storage__redis.yaml", include_str!("../../../shared/manifests/pods__storage__redis.yaml")),
    ("pods__storage__pv-pod.yaml", include_str!("../../../shared/manifests/pods__storage__pv-pod.yaml")),
    ("pods__topology-spread-constraints__one-constraint.yaml", include_str!("../../../shared/manifests/pods__topology-spread-constraints__one-constraint.yaml")),
    ("pods__topology-spread-constraints__one-constraint-with-nodeaffinity.yaml", include_str!("../../../shared/manifests/pods__topology-spread-constraints__one-constraint-with-nodeaffinity.yaml")),
    ("pods__inject__envars.yaml", include_str!("../../../shared/manifests/pods__inject__envars.yaml")),
    ("pods__inject__dapi-envars-pod.yaml", include_str!("../../../shared/manifests/pods__inject__dapi-envars-pod.yaml")),
    ("pods__pod-configmap-volume.yaml", include_str!("../../../shared/manifests/pods__pod-configmap-volume.yaml")),
    ("pods__pod-rs.yaml", include_str!("../../../shared/manifests/pods__pod-rs.yaml")),
    ("controllers__frontend.yaml", include_str!("../../../shared/manifests/controllers__frontend.yaml")),
    ("controllers__nginx-deployment.yaml", include_str!("../../../shared/manifests/controllers__nginx-deployment.yaml")),
    ("controllers__job.yaml", include_str!("../../../shared/manifests/controllers__job.yaml")),
    ("controllers__daemonset.yaml", include_str!("../../../shared/manifests/controllers__daemonset.yaml")),
    ("application__deployment.yaml", include_str!("../../../shared/manifests/application__deployment.yaml")),
    ("application__deployment-update.yaml", include_str!("../../../shared/manifests/application__deployment-update.yaml")),
    ("application__deployment-scale.yaml", include_str!("../../../shared/manifests/application__deployment-scale.yaml")),
    ("application__simple_deployment.yaml", include_str!("../../../shared/manifests/application__simple_deployment.yaml")),
    ("application__nginx-app.yaml", include_str!("../../../shared/manifests/application__nginx-app.yaml")),
    ("application__shell-demo.yaml", include_str!("../../../shared/manifests/application__shell-demo.yaml")),
    ("admin__resource__memory-constraints.yaml", include_str!("../../../shared/manifests/admin__resource__memory-constraints.yaml")),
    ("admin__resource__memory-constraints-pod.yaml", include_str!("../../../shared/manifests/admin__resource__memory-constraints-pod.yaml")),
    ("admin__resource__memory-constraints-pod-2.yaml", include_str!("../../../shared/manifests/admin__resource__memory-constraints-pod-2.yaml")),
    ("admin__resource__quota-mem-cpu.yaml", include_str!("../../../shared/manifests/admin__resource__quota-mem-cpu.yaml")),
    ("admin__resource__quota-mem-cpu-pod.yaml", include_str!("../../../shared/manifests/admin__resource__quota-mem-cpu-pod.yaml")),
    ("admin__resource__cpu-defaults.yaml", include_str!("../../../shared/manifests/admin__resource__cpu-defaults.yaml")),
];

#[wasm_bindgen_test]
fn every_docs_manifest_has_its_apply_outcome_on_wasm32() {
    let outcomes: Vec<Vec<&str>> = OUTCOMES
        .lines()
        .skip(1)
        .map(|l| l.split('\t').collect())
        .collect();
    assert_eq!(outcomes.len(), MANIFESTS.len());
    for ((file, text), outcome) in MANIFESTS.iter().zip(&outcomes) {
        assert_eq!(*file, outcome[0]);
        let (_, results) = Cluster::load(&[(file.to_string(), text.to_string())]);
        let got: Vec<String> = results.iter().map(|r| r.message.clone()).collect();
        let want: Vec<&str> = outcome[2].split(" ;; ").collect();
        assert_eq!(got, want, "{file}");
    }
}
