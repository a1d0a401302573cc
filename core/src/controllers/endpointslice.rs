//! The EndpointSlice controller (`pkg/controller/endpointslice`): every Service with a selector
//! gets an IPv4 EndpointSlice named `<service>-<5 random>` listing the selected pods that have
//! an IP, each with `ready`/`serving`/`terminating` conditions following the pod's Ready
//! condition and deletion, and the Service's ports resolved against the pod's container ports.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{ObjectReference, Pod, Service, ServicePort};
use k8s_openapi::api::discovery::v1::{Endpoint, EndpointConditions, EndpointPort, EndpointSlice};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::apiserver::authn;
use crate::apiserver::server::Target;
use crate::apiserver::UserInfo;
use crate::component::{Component, Ctx};
use crate::controllers::podutil::{self, controller_of, controller_ref, key_of};
use crate::controllers::workqueue::WorkQueue;
use crate::object::{kind_info, Object};
use crate::scheduler::selectors::label_selector_matches;
use crate::store::{WatchEvent, WatchFilter};

/// The controller's name (service account `endpointslice-controller`).
pub const NAME: &str = "endpointslice-controller";
/// The label naming a slice's Service.
pub const SERVICE_NAME_LABEL: &str = "kubernetes.io/service-name";
/// The label naming who manages a slice.
pub const MANAGED_BY_LABEL: &str = "endpointslice.kubernetes.io/managed-by";
/// This controller's `managed-by` value.
pub const MANAGED_BY: &str = "endpointslice-controller.k8s.io";

/// The EndpointSlice controller.
#[derive(Debug)]
pub struct EndpointSliceController {
    user: UserInfo,
    queue: WorkQueue,
}

impl Default for EndpointSliceController {
    fn default() -> Self {
        EndpointSliceController::new()
    }
}

fn selector_of(svc: &Service) -> Option<LabelSelector> {
    let sel = svc.spec.as_ref()?.selector.clone()?;
    if sel.is_empty() {
        return None;
    }
    Some(LabelSelector {
        match_labels: Some(sel),
        match_expressions: None,
    })
}

/// `findPort`: a numeric targetPort as is, a named one looked up in the pod's containers.
fn find_port(pod: &Pod, port: &ServicePort) -> Option<i32> {
    match port.target_port.as_ref() {
        None => Some(port.port),
        Some(IntOrString::Int(n)) => Some(*n),
        Some(IntOrString::String(name)) => pod
            .spec
            .as_ref()?
            .containers
            .iter()
            .flat_map(|c| c.ports.iter().flatten())
            .find(|p| {
                p.name.as_deref() == Some(name.as_str())
                    && p.protocol.as_deref().unwrap_or("TCP")
                        == port.protocol.as_deref().unwrap_or("TCP")
            })
            .map(|p| p.container_port),
    }
}

/// `podToEndpoint`: the pod's address and conditions.
fn endpoint(pod: &Pod, publish_not_ready: bool) -> Endpoint {
    let serving = publish_not_ready || podutil::is_ready(pod);
    let terminating = pod.metadata.deletion_timestamp.is_some();
    let ready = publish_not_ready || (serving && !terminating);
    let node = podutil::node_name(pod);
    Endpoint {
        addresses: vec![pod
            .status
            .as_ref()
            .and_then(|s| s.pod_ip.clone())
            .unwrap_or_default()],
        conditions: Some(EndpointConditions {
            ready: Some(ready),
            serving: Some(serving),
            terminating: Some(terminating),
        }),
        node_name: (!node.is_empty()).then(|| node.to_string()),
        target_ref: Some(ObjectReference {
            kind: Some("Pod".into()),
            namespace: pod.metadata.namespace.clone(),
            name: pod.metadata.name.clone(),
            uid: pod.metadata.uid.clone(),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// `ShouldPodBeInEndpoints` (terminating pods included, as slices report them).
fn in_endpoints(pod: &Pod) -> bool {
    !matches!(podutil::phase(pod), "Succeeded" | "Failed")
        && pod
            .status
            .as_ref()
            .and_then(|s| s.pod_ip.as_deref())
            .is_some_and(|ip| !ip.is_empty())
}

impl EndpointSliceController {
    /// A controller running as `system:serviceaccount:kube-system:endpointslice-controller`.
    pub fn new() -> EndpointSliceController {
        EndpointSliceController {
            user: authn::controller(NAME),
            queue: WorkQueue::default(),
        }
    }

    /// The slice this Service should have: labels, owner, endpoints and ports.
    fn desired(&self, svc: &Service, pods: &[Pod]) -> EndpointSlice {
        let (ns, name) = key_of(&svc.metadata);
        let spec = svc.spec.clone().unwrap_or_default();
        let publish = spec.publish_not_ready_addresses == Some(true);
        let mut labels: BTreeMap<String, String> = svc.metadata.labels.clone().unwrap_or_default();
        labels.insert(SERVICE_NAME_LABEL.into(), name.clone());
        labels.insert(MANAGED_BY_LABEL.into(), MANAGED_BY.into());
        if spec.cluster_ip.as_deref() == Some("None") {
            labels.insert("service.kubernetes.io/headless".into(), String::new());
        }
        let service_ports = spec.ports.clone().unwrap_or_default();
        let mut endpoints = Vec::new();
        let mut ports: Option<Vec<EndpointPort>> = None;
        for pod in pods.iter().filter(|p| in_endpoints(p)) {
            let resolved: Vec<EndpointPort> = service_ports
                .iter()
                .filter_map(|sp| {
                    Some(EndpointPort {
                        name: Some(sp.name.clone().unwrap_or_default()),
                        port: Some(find_port(pod, sp)?),
                        protocol: Some(sp.protocol.clone().unwrap_or_else(|| "TCP".into())),
                        app_protocol: sp.app_protocol.clone(),
                    })
                })
                .collect();
            ports.get_or_insert(resolved);
            endpoints.push(endpoint(pod, publish));
        }
        EndpointSlice {
            metadata: ObjectMeta {
                generate_name: Some(format!("{name}-")),
                namespace: Some(ns),
                labels: Some(labels),
                owner_references: Some(vec![controller_ref(&Object::from(svc.clone()))]),
                ..Default::default()
            },
            address_type: "IPv4".into(),
            endpoints,
            ports,
        }
    }

    fn sync(&mut self, namespace: &str, name: &str, ctx: &mut Ctx<'_>) {
        let live = ctx.get("Service", namespace, name);
        let svc = match live.as_deref() {
            Some(Object::Service(s)) if s.metadata.deletion_timestamp.is_none() => {
                Some((**s).clone())
            }
            _ => None,
        };
        let uid = svc.as_ref().and_then(|s| s.metadata.uid.clone());
        let mut slices: Vec<EndpointSlice> = ctx
            .list("EndpointSlice", Some(namespace))
            .iter()
            .filter_map(|o| match &**o {
                Object::EndpointSlice(s)
                    if s.metadata.labels.as_ref().is_some_and(|l| {
                        l.get(SERVICE_NAME_LABEL).map(String::as_str) == Some(name)
                            && l.get(MANAGED_BY_LABEL).map(String::as_str) == Some(MANAGED_BY)
                    }) =>
                {
                    Some((**s).clone())
                }
                _ => None,
            })
            .collect();
        let selector = svc.as_ref().and_then(selector_of);
        let (Some(svc), Some(selector)) = (svc, selector) else {
            // No Service, or no selector: its slices go (the garbage collector removes them
            // once the Service is gone; a selector removed is this controller's job).
            for s in slices {
                if controller_of(&s.metadata).map(|r| Some(&r.uid)) == Some(uid.as_ref()) {
                    self.delete(&s, ctx);
                }
            }
            return;
        };
        let mut pods: Vec<Pod> = ctx
            .list("Pod", Some(namespace))
            .iter()
            .filter_map(|o| match &**o {
                Object::Pod(p) if label_selector_matches(&selector, p.metadata.labels.as_ref()) => {
                    Some((**p).clone())
                }
                _ => None,
            })
            .collect();
        pods.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
        let want = self.desired(&svc, &pods);
        slices.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
        let mut rest = slices.into_iter();
        match rest.next() {
            None => {
                let _ = ctx.create(Object::from(want));
            }
            Some(current) => {
                let same = current.endpoints == want.endpoints
                    && current.ports == want.ports
                    && current.metadata.labels == want.metadata.labels;
                if !same {
                    let mut updated = current.clone();
                    updated.endpoints = want.endpoints;
                    updated.ports = want.ports;
                    updated.metadata.labels = want.metadata.labels;
                    let _ = ctx.update(Object::from(updated));
                }
            }
        }
        for extra in rest {
            self.delete(&extra, ctx);
        }
    }

    fn delete(&mut self, slice: &EndpointSlice, ctx: &mut Ctx<'_>) {
        let (ns, name) = key_of(&slice.metadata);
        if let Some(info) = kind_info("EndpointSlice") {
            let _ = ctx.delete(
                Target {
                    info,
                    namespace: &ns,
                    name: &name,
                },
                None,
            );
        }
    }

    fn enqueue_for_pod(&mut self, pod: &Pod, ctx: &mut Ctx<'_>) {
        let (ns, _) = key_of(&pod.metadata);
        for o in ctx.list("Service", Some(&ns)) {
            if let Object::Service(svc) = &*o {
                if selector_of(svc)
                    .is_some_and(|s| label_selector_matches(&s, pod.metadata.labels.as_ref()))
                {
                    let key = key_of(&svc.metadata);
                    self.queue.add(key, ctx);
                }
            }
        }
    }
}

impl Component for EndpointSliceController {
    fn name(&self) -> &str {
        NAME
    }

    fn user(&self) -> &UserInfo {
        &self.user
    }

    fn watches(&self) -> Vec<WatchFilter> {
        vec![
            WatchFilter::prefix("/registry/services/specs/"),
            WatchFilter::prefix("/registry/pods/"),
            WatchFilter::prefix("/registry/endpointslices/"),
        ]
    }

    fn on_watch(&mut self, event: &WatchEvent, ctx: &mut Ctx<'_>) {
        match &*event.object {
            Object::Service(svc) => {
                let key = key_of(&svc.metadata);
                self.queue.add(key, ctx);
            }
            Object::Pod(pod) => {
                self.enqueue_for_pod(pod, ctx);
                if let Some(Object::Pod(old)) = event.old.as_deref() {
                    if old.metadata.labels != pod.metadata.labels {
                        self.enqueue_for_pod(old, ctx);
                    }
                }
            }
            Object::EndpointSlice(slice) => {
                let (ns, _) = key_of(&slice.metadata);
                if let Some(svc) = slice
                    .metadata
                    .labels
                    .as_ref()
                    .and_then(|l| l.get(SERVICE_NAME_LABEL))
                {
                    self.queue.add((ns, svc.clone()), ctx);
                }
            }
            _ => {}
        }
    }

    fn on_timer(&mut self, _token: u64, ctx: &mut Ctx<'_>) {
        if let Some((ns, name)) = self.queue.take_next(ctx) {
            self.sync(&ns, &name, ctx);
        }
    }
}
