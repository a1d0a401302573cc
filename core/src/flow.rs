//! The nine steps of the pod creation flow, as the playground's pipeline shows them: kubectl,
//! the API server, etcd, the scheduler, binding, the kubelet, the container runtime, Ready, and
//! continuous management; a narration of each, and which trace steps of one Pod belong to which.

use serde::{Deserialize, Serialize};

use std::collections::BTreeSet;

use crate::trace::{Stage, Trace, TraceIndex, TraceStep};

/// One step of the pod creation flow, in the order a Pod goes through them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FlowStep {
    /// 1. kubectl builds and sends the request.
    Kubectl,
    /// 2. The API server: authentication, authorization, admission (defaulting, validation).
    ApiServer,
    /// 3. etcd stores the object.
    Etcd,
    /// 4. kube-scheduler filters and scores nodes.
    Scheduler,
    /// 5. The Binding sets `spec.nodeName`.
    Binding,
    /// 6. The node's kubelet admits the Pod and mounts its volumes.
    Kubelet,
    /// 7. The container runtime runs the sandbox, pulls images, creates and starts containers.
    Runtime,
    /// 8. Probes pass and the Pod becomes Ready.
    Ready,
    /// 9. Controllers, node lifecycle, restarts, deletion.
    ContinuousManagement,
}

impl FlowStep {
    /// The nine steps in order.
    pub const ALL: [FlowStep; 9] = [
        FlowStep::Kubectl,
        FlowStep::ApiServer,
        FlowStep::Etcd,
        FlowStep::Scheduler,
        FlowStep::Binding,
        FlowStep::Kubelet,
        FlowStep::Runtime,
        FlowStep::Ready,
        FlowStep::ContinuousManagement,
    ];

    /// The step's number in the pipeline, 1 to 9.
    pub fn number(self) -> usize {
        self as usize + 1
    }

    /// The step's title.
    pub fn title(self) -> &'static str {
        match self {
            FlowStep::Kubectl => "kubectl",
            FlowStep::ApiServer => "API server",
            FlowStep::Etcd => "etcd",
            FlowStep::Scheduler => "Scheduler",
            FlowStep::Binding => "Binding",
            FlowStep::Kubelet => "Kubelet",
            FlowStep::Runtime => "Container runtime",
            FlowStep::Ready => "Ready",
            FlowStep::ContinuousManagement => "Continuous management",
        }
    }

    /// The step's title in Chinese.
    pub fn title_zh(self) -> &'static str {
        match self {
            FlowStep::Kubectl => "kubectl",
            FlowStep::ApiServer => "API 服务器",
            FlowStep::Etcd => "etcd",
            FlowStep::Scheduler => "调度器",
            FlowStep::Binding => "绑定",
            FlowStep::Kubelet => "kubelet",
            FlowStep::Runtime => "容器运行时",
            FlowStep::Ready => "就绪",
            FlowStep::ContinuousManagement => "持续管理",
        }
    }
}

/// What really happens at `step` in Kubernetes v1.33, in a short paragraph; `lang` starting
/// with `zh` gives Chinese, anything else English.
pub fn narration(step: FlowStep, lang: &str) -> &'static str {
    let zh = lang.starts_with("zh");
    match (step, zh) {
        (FlowStep::Kubectl, false) => "kubectl parses the manifest, finds the resource and API version through the API server's discovery, and for `kubectl apply` records the manifest in the last-applied-configuration annotation. It GETs each object, then sends one HTTPS request for it — POST to create, PATCH to change — with the credentials of its kubeconfig context (a client certificate or a bearer token). Field validation is strict: the server refuses unknown or duplicate fields.",
        (FlowStep::Kubectl, true) => "kubectl 解析清单，通过 API server 的发现接口确定资源和 API 版本；对于 `kubectl apply`，还会把清单记录在 last-applied-configuration 注解中。它先 GET 每个对象，再为它发送一个 HTTPS 请求——创建用 POST，修改用 PATCH——并携带 kubeconfig 上下文中的凭据（客户端证书或 Bearer 令牌）。字段校验是严格的：服务器会拒绝未知或重复的字段。",
        (FlowStep::ApiServer, false) => "Every request is authenticated (who is it: certificate, token, service account), then authorized (may they: RBAC, and the Node authorizer for kubelets). The body is decoded and defaulted (restartPolicy Always, imagePullPolicy, terminationGracePeriodSeconds 30), then the mutating admission plugins run in order — NamespaceLifecycle, LimitRanger, ServiceAccount, Priority, DefaultTolerationSeconds, RuntimeClass, then webhooks — followed by the registry strategy (status Pending, QoS class, UID), field validation and the validating plugins such as PodSecurity and ResourceQuota. Any refusal ends the request with an error status (401 Unauthorized, 403 Forbidden, 422 Invalid, …) and nothing is stored.",
        (FlowStep::ApiServer, true) => "每个请求先经过认证（是谁：证书、令牌、ServiceAccount），再经过鉴权（能否这样做：RBAC，以及针对 kubelet 的 Node 鉴权器）。请求体被解码并填充默认值（restartPolicy Always、imagePullPolicy、terminationGracePeriodSeconds 30），然后按顺序运行变更准入插件——NamespaceLifecycle、LimitRanger、ServiceAccount、Priority、DefaultTolerationSeconds、RuntimeClass，再是 Webhook——之后是注册表策略（status 为 Pending、QoS 类别、UID）、字段校验，以及 PodSecurity、ResourceQuota 等验证准入插件。任何一步拒绝都会以错误状态（401 Unauthorized、403 Forbidden、422 Invalid 等）结束请求，什么也不会被保存。",
        (FlowStep::Etcd, false) => "The API server writes the object to etcd under the key /registry/pods/<namespace>/<name>, in a transaction that fails if the key already exists. etcd's revision of that write becomes the object's resourceVersion, which later updates must quote (optimistic concurrency). The API server's watch cache then sends an ADDED event to every watcher whose selector matches: this is the only way the scheduler, controllers and kubelets learn about the Pod.",
        (FlowStep::Etcd, true) => "API server 把对象写入 etcd，键为 /registry/pods/<namespace>/<name>，写入在一个事务中进行，若键已存在则失败。这次写入在 etcd 中的修订号成为对象的 resourceVersion，之后的更新必须带上它（乐观并发）。随后 API server 的监听缓存向所有选择器匹配的监听者发送 ADDED 事件：调度器、控制器和 kubelet 只能通过这种方式得知这个 Pod。",
        (FlowStep::Scheduler, false) => "kube-scheduler watches Pods without spec.nodeName and takes them from its queue by priority. The filter plugins (NodeResourcesFit, NodeAffinity, TaintToleration, PodTopologySpread, InterPodAffinity, …) drop nodes that cannot run the Pod; the score plugins rate the rest and the weighted sum picks a node. If no node fits, it tries to preempt lower-priority Pods (PostFilter), records FailedScheduling and puts the Pod back in its queue.",
        (FlowStep::Scheduler, true) => "kube-scheduler 监听没有 spec.nodeName 的 Pod，并按优先级从队列中取出。过滤插件（NodeResourcesFit、NodeAffinity、TaintToleration、PodTopologySpread、InterPodAffinity 等）排除无法运行该 Pod 的节点；打分插件为剩下的节点打分，按权重求和后选出一个节点。如果没有节点合适，它尝试抢占更低优先级的 Pod（PostFilter），记录 FailedScheduling，并把该 Pod 放回队列。",
        (FlowStep::Binding, false) => "The scheduler assumes the Pod on the chosen node in its cache, so the next Pod already sees the resources as taken, and posts a Binding to the pods/binding subresource. The API server sets spec.nodeName and the condition PodScheduled=True in one etcd write, and the scheduler records the event \"Successfully assigned <namespace>/<name> to <node>\".",
        (FlowStep::Binding, true) => "调度器先在缓存中假定该 Pod 已在所选节点上，这样下一个 Pod 就会看到这些资源已被占用，然后向 pods/binding 子资源提交一个 Binding。API server 在一次 etcd 写入中设置 spec.nodeName 和条件 PodScheduled=True，调度器记录事件“Successfully assigned <namespace>/<name> to <node>”。",
        (FlowStep::Kubelet, false) => "The kubelet of that node watches the Pods bound to it and sees the update. Its pod worker admits the Pod (enough CPU, memory and pod slots, matching node affinity), then sets up the volumes: emptyDirs, ConfigMaps, Secrets and the projected service account token. It reports the Pod's status through the API server, where the Node authorizer only lets it write Pods bound to its own node.",
        (FlowStep::Kubelet, true) => "该节点的 kubelet 监听绑定到自己的 Pod，并看到这次更新。它的 Pod worker 对 Pod 做准入检查（CPU、内存和 Pod 数量是否足够，节点亲和性是否匹配），然后准备卷：emptyDir、ConfigMap、Secret 以及投射的 ServiceAccount 令牌。它通过 API server 上报 Pod 状态，而 Node 鉴权器只允许它写入绑定到本节点的 Pod。",
        (FlowStep::Runtime, false) => "Through the CRI the kubelet asks containerd to run the Pod sandbox — the pause container that holds the network namespace, to which the CNI plugin gives an IP from the node's podCIDR. Then, init containers one at a time first, for each container it pulls the image as imagePullPolicy says, creates and starts it. Each step is an event: Pulling, Pulled, Created, Started.",
        (FlowStep::Runtime, true) => "kubelet 通过 CRI 请求 containerd 运行 Pod 沙箱——即持有网络命名空间的 pause 容器，CNI 插件从节点的 podCIDR 中为它分配 IP。随后先逐个运行 Init 容器，再处理每个容器：按 imagePullPolicy 拉取镜像、创建并启动容器。每一步都有事件：Pulling、Pulled、Created、Started。",
        (FlowStep::Ready, false) => "When the containers run, the kubelet's probes start: startup first, then liveness and readiness, after initialDelaySeconds and every periodSeconds. After PodReadyToStartContainers (the sandbox) and Initialized (the init containers), ContainersReady and Ready turn True once every container runs and passes its readiness probe. Only a Ready Pod is a ready endpoint in its Services' EndpointSlices, so only it receives traffic.",
        (FlowStep::Ready, true) => "容器运行后，kubelet 的探针开始工作：先是启动探针，然后是存活和就绪探针，在 initialDelaySeconds 之后每隔 periodSeconds 执行一次。在 PodReadyToStartContainers（沙箱就绪）和 Initialized（Init 容器完成）之后，当所有容器都在运行并通过就绪探针时，ContainersReady 和 Ready 变为 True。只有就绪的 Pod 才会成为其 Service 的 EndpointSlice 中的 ready 端点，因此只有它会收到流量。",
        (FlowStep::ContinuousManagement, false) => "Nothing is ever done: the kubelet restarts failed containers with a back-off (CrashLoopBackOff) and kills those that fail their liveness probe. Controllers keep comparing desired and actual state — a ReplicaSet replaces lost Pods, a Deployment rolls out a new template. The node lifecycle controller marks a silent node NotReady after 50s and taints it, so its Pods are evicted after their 300s toleration; every deletion is graceful: any preStop hook, SIGTERM, up to the grace period before SIGKILL, then removal from etcd.",
        (FlowStep::ContinuousManagement, true) => "一切都不会就此结束：kubelet 以退避方式重启失败的容器（CrashLoopBackOff），并杀死存活探针失败的容器。控制器持续比较期望状态与实际状态——ReplicaSet 补上丢失的 Pod，Deployment 滚动发布新的模板。节点生命周期控制器在节点 50 秒没有心跳后将其标记为 NotReady 并加上污点，其上的 Pod 在 300 秒容忍期后被驱逐；每次删除都是优雅的：先执行 preStop 钩子，再发 SIGTERM，宽限期满仍未退出则 SIGKILL，最后从 etcd 中移除。",
    }
}

/// The flow step one trace step belongs to, from its stage and what it says alone. Requests
/// to the API server map to [`FlowStep::ApiServer`] and [`FlowStep::Etcd`] here;
/// [`steps_for_pod`] knows who sent each request and attributes it to the sender's step.
pub fn step_of(trace_step: &TraceStep) -> FlowStep {
    match trace_step.stage {
        Stage::Kubectl => FlowStep::Kubectl,
        Stage::Authentication
        | Stage::Authorization
        | Stage::Defaulting
        | Stage::MutatingAdmission
        | Stage::Prepare
        | Stage::Validation
        | Stage::ValidatingAdmission => FlowStep::ApiServer,
        Stage::Storage => FlowStep::Etcd,
        Stage::Scheduling => FlowStep::Scheduler,
        Stage::Binding => FlowStep::Binding,
        Stage::Kubelet => kubelet_step(&trace_step.detail),
        Stage::Runtime => runtime_step(&trace_step.detail),
        Stage::Probe => {
            if event_of(&trace_step.detail).1.starts_with("Liveness probe") {
                FlowStep::ContinuousManagement
            } else {
                FlowStep::Ready
            }
        }
        Stage::Controller => FlowStep::ContinuousManagement,
    }
}

/// A kubelet step: its status manager reporting Ready=True is the Ready step; a node failing
/// or recovering is continuous management; the rest (admission, volumes) is the kubelet's.
fn kubelet_step(detail: &str) -> FlowStep {
    if let Some(summary) = detail.strip_prefix("status manager: ") {
        if summary.split(", ").any(|c| c == "Ready=True") {
            return FlowStep::Ready;
        }
        return FlowStep::Kubelet;
    }
    if detail.starts_with("node failed") || detail.starts_with("node recovered") {
        return FlowStep::ContinuousManagement;
    }
    FlowStep::Kubelet
}

/// A runtime event: killing a container and backing off its restarts is continuous
/// management; pulls, creates and starts (and pull back-off) are the runtime's.
fn runtime_step(detail: &str) -> FlowStep {
    let (reason, message) = event_of(detail);
    match reason {
        "Killing" => FlowStep::ContinuousManagement,
        "BackOff" if message.starts_with("Back-off restarting") => FlowStep::ContinuousManagement,
        _ => FlowStep::Runtime,
    }
}

/// The event reason and message of a kubelet trace detail, `<container>: <Reason> <message>`
/// or `<Reason> <message>`.
fn event_of(detail: &str) -> (&str, &str) {
    let rest = match detail.split_once(": ") {
        Some((container, rest)) if !container.contains(' ') => rest,
        _ => detail,
    };
    rest.split_once(' ').unwrap_or((rest, ""))
}

/// Who sent an API request, from its authentication step (`authenticated as <user> (…)`).
fn requester(step: &TraceStep) -> Option<&str> {
    let rest = step.detail.strip_prefix("authenticated as ")?;
    Some(rest.split(" (").next().unwrap_or(rest))
}

/// What the scan of one Pod's trace knows so far.
#[derive(Debug, Default)]
struct PodContext {
    /// The Pod has been stored.
    created: bool,
    /// The Pod has been bound to a node.
    bound: bool,
    /// The Pod is being deleted.
    terminating: bool,
    /// The last kubectl step named this Pod and its request has not been seen yet.
    kubectl_pending: bool,
    /// The flow step of the last step that was not an API request.
    last_actor: Option<FlowStep>,
}

impl PodContext {
    /// The flow step of each step of one API request about the Pod.
    fn classify(&mut self, request: &[&TraceStep]) -> Vec<FlowStep> {
        let who = request.first().and_then(|s| requester(s)).unwrap_or("");
        let has_binding = request.iter().any(|s| s.stage == Stage::Binding);
        let creates = request
            .iter()
            .any(|s| s.stage == Stage::Storage && s.detail.starts_with("created "));
        let client = std::mem::take(&mut self.kubectl_pending) || creates || !self.created;
        let sender = if client {
            None
        } else if who == "system:kube-scheduler" {
            Some(if has_binding {
                FlowStep::Binding
            } else if self.bound {
                FlowStep::ContinuousManagement
            } else {
                FlowStep::Scheduler
            })
        } else if who.starts_with("system:node:") {
            Some(if self.terminating {
                FlowStep::ContinuousManagement
            } else {
                self.last_actor.unwrap_or(FlowStep::Kubelet)
            })
        } else {
            Some(FlowStep::ContinuousManagement)
        };
        for s in request.iter().filter(|s| s.stage == Stage::Storage) {
            self.created |= s.detail.starts_with("created ");
            self.terminating |=
                s.detail.contains("for graceful deletion") || s.detail.starts_with("deleted ");
        }
        self.bound |= has_binding;
        request
            .iter()
            .map(|s| sender.unwrap_or_else(|| step_of(s)))
            .collect()
    }
}

/// What happened to the Pod `namespace/name` at each flow step: the steps reached, in flow
/// order, each with its trace steps in time order. API requests are attributed to whoever
/// sent them — a kubelet's status write belongs to the kubelet's step, the scheduler's binding
/// request to Binding, a controller's eviction to continuous management — and the creating
/// request to the API server and etcd steps (including a controller's create under the
/// Pod's `generateName`).
pub fn steps_for_pod<'t>(
    trace: &'t Trace,
    namespace: &str,
    name: &str,
) -> Vec<(FlowStep, Vec<&'t TraceStep>)> {
    let steps: Vec<(u64, &TraceStep)> = trace.numbered().collect();
    scan(&steps, namespace, name)
}

/// [`steps_for_pod`] over only the steps that can concern the Pod, found with `index` (synced
/// with `trace`): its own, the kubectl steps naming it, and the
/// requests under each `generateName` prefix its name could come from. The same result
/// (`indexed_and_full_scans_agree`), in time proportional to those steps.
pub fn steps_for_pod_indexed<'t>(
    trace: &'t Trace,
    index: &TraceIndex,
    namespace: &str,
    name: &str,
) -> Vec<(FlowStep, Vec<&'t TraceStep>)> {
    let mut seqs: BTreeSet<u64> = index.seqs(&format!("Pod/{namespace}/{name}")).collect();
    // (A kubectl step counts only when the step after it is the Pod's own, found above.)
    seqs.extend(index.seqs(&format!("pod/{name}")));
    for (i, _) in name.match_indices('-') {
        let prefix = &name[..=i];
        if prefix != name {
            seqs.extend(index.seqs(&format!("Pod/{namespace}/{prefix}")));
        }
    }
    let steps: Vec<(u64, &TraceStep)> = seqs
        .into_iter()
        .filter_map(|seq| trace.get(seq).map(|s| (seq, s)))
        .collect();
    scan(&steps, namespace, name)
}

/// The attribution of [`steps_for_pod`] over `steps` in time order with their sequence
/// numbers: all of the trace, or a subsequence holding every step about the Pod (two steps are
/// taken as adjacent only when their sequence numbers are).
fn scan<'t>(
    steps: &[(u64, &'t TraceStep)],
    namespace: &str,
    name: &str,
) -> Vec<(FlowStep, Vec<&'t TraceStep>)> {
    let object = format!("Pod/{namespace}/{name}");
    let kubectl_object = format!("pod/{name}");
    let generated = format!("generated name {name} from generateName ");
    // A create under a generateName prefix names the Pod only in one of its steps.
    let is_prefix = |o: &str| {
        o.strip_prefix("Pod/")
            .and_then(|r| r.strip_prefix(namespace))
            .and_then(|r| r.strip_prefix('/'))
            .is_some_and(|p| p.ends_with('-') && name.starts_with(p) && p != name)
    };
    let next_to = |i: usize, j: usize| steps[j].0 == steps[i].0 + 1;
    let mut ctx = PodContext::default();
    let mut by_step: Vec<Vec<&TraceStep>> = vec![Vec::new(); FlowStep::ALL.len()];
    let mut i = 0;
    while i < steps.len() {
        let s = steps[i].1;
        if s.stage == Stage::Kubectl {
            let next_is_ours =
                i + 1 < steps.len() && next_to(i, i + 1) && *steps[i + 1].1.object == *object;
            if *s.object == *kubectl_object && next_is_ours {
                by_step[FlowStep::Kubectl as usize].push(s);
                ctx.kubectl_pending = true;
            }
            i += 1;
            continue;
        }
        let ours = *s.object == *object;
        if &*s.component == "kube-apiserver" && (ours || is_prefix(&s.object)) {
            let mut end = i + 1;
            while end < steps.len()
                && next_to(end - 1, end)
                && &*steps[end].1.component == "kube-apiserver"
                && steps[end].1.object == s.object
                && steps[end].1.stage != Stage::Authentication
            {
                end += 1;
            }
            let request: Vec<&TraceStep> = steps[i..end].iter().map(|(_, s)| *s).collect();
            let request = &request[..];
            if ours || request.iter().any(|r| r.detail.starts_with(&generated)) {
                for (r, flow) in request.iter().zip(ctx.classify(request)) {
                    by_step[flow as usize].push(r);
                }
            }
            i = end;
            continue;
        }
        if ours {
            let flow = if ctx.terminating {
                FlowStep::ContinuousManagement
            } else {
                step_of(s)
            };
            by_step[flow as usize].push(s);
            ctx.last_actor = Some(flow);
            ctx.bound |= s.stage == Stage::Binding;
        }
        i += 1;
    }
    FlowStep::ALL
        .iter()
        .zip(by_step)
        .filter(|(_, v)| !v.is_empty())
        .map(|(f, v)| (*f, v))
        .collect()
}

/// The furthest flow step the Pod `namespace/name` has reached ([`FlowStep::Kubectl`] when
/// the trace holds nothing about it).
pub fn current_step(trace: &Trace, namespace: &str, name: &str) -> FlowStep {
    steps_for_pod(trace, namespace, name)
        .last()
        .map(|(f, _)| *f)
        .unwrap_or(FlowStep::Kubectl)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{SimDuration, SimTime};
    use crate::Cluster;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// The docs' simple Pod (`pods/simple-pod.yaml`).
    const SIMPLE_POD: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: nginx\nspec:\n  containers:\n  - name: nginx\n    image: nginx:1.14.2\n    ports:\n    - containerPort: 80\n";

    fn run(text: &str, secs: u64) -> Cluster {
        let (mut cluster, results) = Cluster::load(&[("pod.yaml".into(), text.into())]);
        assert!(results.iter().all(|r| r.ok), "{results:?}");
        cluster.run_for(SimDuration::secs(secs));
        cluster
    }

    /// Every Pod (`namespace`, `name`) the trace names, generateName prefixes included.
    fn pods_named(trace: &Trace) -> BTreeSet<(String, String)> {
        trace
            .steps()
            .filter_map(|s| s.object.strip_prefix("Pod/"))
            .filter_map(|r| r.split_once('/'))
            .map(|(ns, n)| (ns.to_string(), n.to_string()))
            .collect()
    }

    fn assert_agree(trace: &Trace, index: &TraceIndex, when: &str) -> usize {
        let pods = pods_named(trace);
        for (ns, name) in &pods {
            assert_eq!(
                steps_for_pod_indexed(trace, index, ns, name),
                steps_for_pod(trace, ns, name),
                "{when}: {ns}/{name}"
            );
        }
        pods.len()
    }

    #[test]
    fn indexed_and_full_scans_agree() {
        // kubectl's pod and its deletion; a Deployment's generated names, scaled and rolled;
        // a Job; a pod that never fits.
        let mut c = run(SIMPLE_POD, 5);
        c.apply(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 4\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers: [{name: nginx, image: nginx:1.14.2}]\n---\napiVersion: batch/v1\nkind: Job\nmetadata:\n  name: pi\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers: [{name: c, image: busybox:1.36, command: [sh, -c, 'sleep 2']}]\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: web-huge\nspec:\n  containers: [{name: c, image: nginx, resources: {requests: {cpu: '64'}}}]\n",
            "more.yaml",
        );
        let mut index = TraceIndex::default();
        index.sync(c.trace());
        assert_agree(c.trace(), &index, "applied");
        c.run_for(crate::sim::SimDuration::secs(20));
        c.delete("pods", "default", "nginx");
        let user = c.kubectl_user();
        c.scale("deployment", "default", "web", 2, &user);
        c.run_for(crate::sim::SimDuration::secs(40));
        index.sync(c.trace());
        let pods = assert_agree(c.trace(), &index, "run");
        assert!(pods >= 9, "{pods}");
        // A trace that keeps only its last 300 steps, indexed every 37 steps as it drops them.
        let mut small = Trace::with_capacity(300);
        let mut index = TraceIndex::default();
        for (i, step) in c.trace().steps().enumerate() {
            small.push(step.clone());
            if i % 37 == 0 {
                index.sync(&small);
                assert_agree(&small, &index, &format!("step {i}"));
            }
        }
        // And one that dropped more than it keeps between two syncs.
        let mut index = TraceIndex::default();
        let mut small = Trace::with_capacity(300);
        for (i, step) in c.trace().steps().enumerate() {
            small.push(step.clone());
            if i == 100 || i % 1000 == 999 {
                index.sync(&small);
                assert_agree(&small, &index, &format!("step {i}"));
            }
        }
    }

    fn reached(cluster: &Cluster, ns: &str, name: &str) -> Vec<FlowStep> {
        steps_for_pod(cluster.trace(), ns, name)
            .into_iter()
            .map(|(f, _)| f)
            .collect()
    }

    fn step(stage: Stage, detail: &str) -> TraceStep {
        TraceStep {
            time: SimTime::ZERO,
            component: "kubelet/node-1".into(),
            stage,
            object: "Pod/default/nginx".into(),
            detail: detail.into(),
        }
    }

    #[test]
    fn the_nine_steps_are_numbered_in_order_with_both_titles() {
        let titles: Vec<String> = FlowStep::ALL
            .iter()
            .map(|s| format!("{} {}", s.number(), s.title()))
            .collect();
        assert_eq!(
            titles,
            [
                "1 kubectl",
                "2 API server",
                "3 etcd",
                "4 Scheduler",
                "5 Binding",
                "6 Kubelet",
                "7 Container runtime",
                "8 Ready",
                "9 Continuous management"
            ]
        );
        assert_eq!(FlowStep::Scheduler.title_zh(), "调度器");
        for s in FlowStep::ALL {
            assert!(!narration(s, "en").is_empty());
            assert_ne!(narration(s, "en"), narration(s, "zh"));
        }
        assert!(narration(FlowStep::Etcd, "en").contains("/registry/pods/<namespace>/<name>"));
        assert!(narration(FlowStep::Etcd, "zh-CN").contains("resourceVersion"));
    }

    #[test]
    fn single_steps_map_by_stage_and_what_they_say() {
        let cases = [
            (Stage::Kubectl, "apply -f pod.yaml: Pod nginx", FlowStep::Kubectl),
            (Stage::MutatingAdmission, "LimitRanger: no changes", FlowStep::ApiServer),
            (Stage::Storage, "created /registry/pods/default/nginx at revision 53", FlowStep::Etcd),
            (Stage::Scheduling, "unschedulable: 0/3 nodes are available", FlowStep::Scheduler),
            (Stage::Binding, "bound to node-2: spec.nodeName set, PodScheduled=True", FlowStep::Binding),
            (Stage::Kubelet, "admitted; mounting volumes", FlowStep::Kubelet),
            (
                Stage::Kubelet,
                "status manager: phase Running, PodReadyToStartContainers=True, Initialized=True, Ready=False, ContainersReady=True",
                FlowStep::Kubelet,
            ),
            (
                Stage::Kubelet,
                "status manager: phase Running, PodReadyToStartContainers=True, Initialized=True, Ready=True, ContainersReady=True, podIP 10.244.2.2",
                FlowStep::Ready,
            ),
            (Stage::Runtime, "nginx: Pulling Pulling image \"nginx:1.14.2\"", FlowStep::Runtime),
            (Stage::Runtime, "nginx: BackOff Back-off pulling image \"nginx:nope\"", FlowStep::Runtime),
            (
                Stage::Runtime,
                "app: BackOff Back-off restarting failed container app in pod crasher_default(u)",
                FlowStep::ContinuousManagement,
            ),
            (Stage::Runtime, "nginx: Killing Stopping container nginx", FlowStep::ContinuousManagement),
            (
                Stage::Probe,
                "readiness: Unhealthy Readiness probe failed: cat: can't open '/tmp/healthy'",
                FlowStep::Ready,
            ),
            (
                Stage::Probe,
                "liveness: Unhealthy Liveness probe failed: cat: can't open '/tmp/healthy'",
                FlowStep::ContinuousManagement,
            ),
            (Stage::Controller, "PodGC is force deleting Pod", FlowStep::ContinuousManagement),
        ];
        for (stage, detail, want) in cases {
            assert_eq!(step_of(&step(stage, detail)), want, "{detail}");
        }
    }

    #[test]
    fn the_docs_simple_pod_goes_through_the_first_eight_steps_in_order() {
        let cluster = run(SIMPLE_POD, 30);
        assert_eq!(
            reached(&cluster, "default", "nginx"),
            [
                FlowStep::Kubectl,
                FlowStep::ApiServer,
                FlowStep::Etcd,
                FlowStep::Scheduler,
                FlowStep::Binding,
                FlowStep::Kubelet,
                FlowStep::Runtime,
                FlowStep::Ready,
            ]
        );
        assert_eq!(
            current_step(cluster.trace(), "default", "nginx"),
            FlowStep::Ready
        );
        let steps = steps_for_pod(cluster.trace(), "default", "nginx");
        let details = |flow: FlowStep| -> Vec<String> {
            steps
                .iter()
                .find(|(f, _)| *f == flow)
                .map(|(_, v)| v.iter().map(|s| s.detail.clone()).collect())
                .unwrap_or_default()
        };
        assert_eq!(details(FlowStep::Kubectl), ["apply -f pod.yaml: Pod nginx"]);
        assert_eq!(
            details(FlowStep::ApiServer).first().map(String::as_str),
            Some(
                "authenticated as kubernetes-admin (groups: system:masters, system:authenticated)"
            )
        );
        assert_eq!(details(FlowStep::Etcd).len(), 1);
        assert!(details(FlowStep::Etcd)[0]
            .starts_with("created /registry/pods/default/nginx at revision "));
        assert_eq!(
            details(FlowStep::Scheduler),
            ["3 of 3 nodes evaluated, 3 feasible; selected node-2"]
        );
        // The binding request, as the scheduler sent it: authenticated, authorized, bound, stored.
        let binding = details(FlowStep::Binding);
        assert_eq!(binding.len(), 4);
        assert_eq!(
            binding[0],
            "authenticated as system:kube-scheduler (groups: system:authenticated)"
        );
        assert_eq!(
            binding[2],
            "bound to node-2: spec.nodeName set, PodScheduled=True"
        );
        let runtime = details(FlowStep::Runtime);
        assert_eq!(
            runtime,
            [
                "nginx: Pulling Pulling image \"nginx:1.14.2\"",
                "nginx: Pulled Successfully pulled image \"nginx:1.14.2\" in 3.401s (3.401s including waiting). Image size: 109129446 bytes.",
                "nginx: Created Created container: nginx",
                "nginx: Started Started container nginx",
            ]
        );
        // The kubelet's status writes go with the kubelet's own steps, not the API server's.
        assert!(details(FlowStep::ApiServer)
            .iter()
            .all(|d| !d.contains("system:node:")));
        assert!(details(FlowStep::Ready)[0].starts_with("status manager: phase Running"));
        // Steps of each flow step stay in time order.
        for (_, v) in &steps {
            assert!(v.windows(2).all(|w| w[0].time <= w[1].time));
        }
    }

    #[test]
    fn a_pending_unschedulable_pod_stops_at_the_scheduler() {
        let big = SIMPLE_POD.replace(
            "    ports:",
            "    resources:\n      requests:\n        cpu: \"100\"\n    ports:",
        );
        let cluster = run(&big, 30);
        assert_eq!(cluster.snapshot().pods[0].status, "Pending");
        assert_eq!(
            reached(&cluster, "default", "nginx"),
            [
                FlowStep::Kubectl,
                FlowStep::ApiServer,
                FlowStep::Etcd,
                FlowStep::Scheduler
            ]
        );
        assert_eq!(
            current_step(cluster.trace(), "default", "nginx"),
            FlowStep::Scheduler
        );
        let steps = steps_for_pod(cluster.trace(), "default", "nginx");
        assert_eq!(
            steps[3].1[0].detail,
            "unschedulable: 0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod."
        );
    }

    #[test]
    fn a_replica_set_pod_is_followed_from_its_generated_name() {
        let deployment = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 1\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n      - name: nginx\n        image: nginx:1.14.2\n";
        let cluster = run(deployment, 30);
        let pod = cluster.snapshot().pods[0].name.clone();
        let steps = steps_for_pod(cluster.trace(), "default", &pod);
        let reached: Vec<FlowStep> = steps.iter().map(|(f, _)| *f).collect();
        // No kubectl step: the ReplicaSet controller sent the create.
        assert_eq!(reached[0], FlowStep::ApiServer);
        assert_eq!(
            steps[0].1[0].detail,
            "authenticated as system:serviceaccount:kube-system:replicaset-controller (groups: system:serviceaccounts, system:serviceaccounts:kube-system, system:authenticated)"
        );
        assert!(steps[0].1.iter().any(|s| s.detail
            == format!(
                "generated name {pod} from generateName web-{}",
                &pod[4..pod.len() - 5]
            )));
        assert_eq!(reached.last(), Some(&FlowStep::Ready));
    }

    #[test]
    fn a_refused_pod_stops_at_the_api_server_and_a_crashing_one_reaches_continuous_management() {
        // A user without rights: authenticated, then refused by RBAC.
        let scenario = format!(
            "apiVersion: podflow.dev/v1alpha1\nkind: Scenario\nspec:\n  users: [{{name: jane, token: t}}]\n  as: jane\n---\n{SIMPLE_POD}"
        );
        let (cluster, results) = Cluster::load(&[("pod.yaml".into(), scenario)]);
        assert!(!results[0].ok);
        assert_eq!(
            reached(&cluster, "default", "nginx"),
            [FlowStep::Kubectl, FlowStep::ApiServer]
        );
        let crasher = SIMPLE_POD.replace(
            "    ports:\n    - containerPort: 80\n",
            "    command: [sh, -c, \"exit 1\"]\n",
        );
        let cluster = run(&crasher, 60);
        assert_eq!(cluster.snapshot().pods[0].status, "CrashLoopBackOff");
        assert_eq!(
            current_step(cluster.trace(), "default", "nginx"),
            FlowStep::ContinuousManagement
        );
        assert_eq!(
            current_step(cluster.trace(), "default", "absent"),
            FlowStep::Kubectl
        );
    }
}
