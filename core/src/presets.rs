//! The playground's preset scenarios: one scenario file each (real Kubernetes manifests plus,
//! where needed, a `podflow.dev/v1alpha1` Scenario document), with a title, a one-paragraph
//! explanation in English and Chinese, and how long to run it to see its point.
//!
//! The files live in `web/presets/<slug>.yaml` so they can be read and edited as plain YAML;
//! they are compiled in here so the core can test them and the web can list them.

use crate::sim::SimDuration;
use crate::{ApplyResult, Cluster};

/// One preset scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Preset {
    /// A stable identifier, also the file name without `.yaml` (`hello-nginx`).
    pub slug: &'static str,
    /// The title in the picker.
    pub title: &'static str,
    /// The title in Chinese.
    pub title_zh: &'static str,
    /// What the preset shows and what to look at, in one short paragraph.
    pub explanation: &'static str,
    /// The explanation in Chinese.
    pub explanation_zh: &'static str,
    /// The scenario file: a multi-document YAML that [`Cluster::load`] accepts.
    pub text: &'static str,
    /// How long to run the scenario to see its point.
    pub until: SimDuration,
}

impl Preset {
    /// The file name the preset is loaded as (`hello-nginx.yaml`), which kubectl's messages
    /// quote.
    pub fn file_name(&self) -> String {
        format!("{}.yaml", self.slug)
    }

    /// A fresh cluster with the preset applied at t=0 (as `kubectl apply -f <slug>.yaml`), and
    /// kubectl's lines for it.
    pub fn load(&self) -> (Cluster, Vec<ApplyResult>) {
        Cluster::load(&[(self.file_name(), self.text.to_string())])
    }

    /// The explanation in `lang` (`zh…` gives Chinese, anything else English).
    pub fn explanation_in(&self, lang: &str) -> &'static str {
        if lang.starts_with("zh") {
            self.explanation_zh
        } else {
            self.explanation
        }
    }

    /// The title in `lang` (`zh…` gives Chinese, anything else English).
    pub fn title_in(&self, lang: &str) -> &'static str {
        if lang.starts_with("zh") {
            self.title_zh
        } else {
            self.title
        }
    }
}

/// Every preset, in the order the picker offers them: from a single Pod, through scheduling and
/// the kubelet, to the API server's refusals and the controllers' continuous management.
pub fn all() -> &'static [Preset] {
    PRESETS
}

/// The preset with this slug.
pub fn find(slug: &str) -> Option<&'static Preset> {
    PRESETS.iter().find(|p| p.slug == slug)
}

macro_rules! file {
    ($slug:literal) => {
        include_str!(concat!("../../web/presets/", $slug, ".yaml"))
    };
}

const PRESETS: &[Preset] = &[
    Preset {
        slug: "hello-nginx",
        title: "Hello, nginx",
        title_zh: "你好，nginx",
        explanation: "The docs' simplest Pod: one nginx container. Follow it through all nine steps: kubectl sends it, the API server authenticates, authorizes, defaults and admits it, etcd stores it, the scheduler picks a node and binds it, and that node's kubelet pulls the image and starts the container. The Pod ends Running 1/1 with the events Scheduled, Pulling, Pulled, Created and Started.",
        explanation_zh: "文档中最简单的 Pod：一个 nginx 容器。跟着它走完全部九步：kubectl 发送它，API server 对它做认证、鉴权、默认值填充和准入，etcd 保存它，调度器选出节点并绑定，该节点的 kubelet 拉取镜像并启动容器。Pod 最终为 Running 1/1，事件依次是 Scheduled、Pulling、Pulled、Created 和 Started。",
        text: file!("hello-nginx"),
        until: SimDuration::secs(30),
    },
    Preset {
        slug: "deployment",
        title: "A Deployment of 3",
        title_zh: "3 副本的 Deployment",
        explanation: "The docs' nginx Deployment with 3 replicas. You create only the Deployment: the Deployment controller creates a ReplicaSet (ScalingReplicaSet), the ReplicaSet controller creates three Pods (SuccessfulCreate), and the scheduler spreads them over the three nodes. Look at who wrote each Pod: a controller's service account, not you.",
        explanation_zh: "文档中 3 副本的 nginx Deployment。你只创建了 Deployment：Deployment 控制器创建 ReplicaSet（ScalingReplicaSet），ReplicaSet 控制器创建三个 Pod（SuccessfulCreate），调度器把它们分散到三个节点上。留意每个 Pod 是谁写入的：是控制器的 ServiceAccount，而不是你。",
        text: file!("deployment"),
        until: SimDuration::secs(30),
    },
    Preset {
        slug: "insufficient-cpu",
        title: "Insufficient cpu",
        title_zh: "CPU 不足",
        explanation: "The docs' Pod that requests 100 CPUs on nodes with 4. The API server accepts it, but no node passes the scheduler's NodeResourcesFit filter, and preemption cannot help either, so the Pod stays Pending with a FailedScheduling event: \"0/3 nodes are available: 3 Insufficient cpu.\" The flow stops at the scheduler.",
        explanation_zh: "文档中请求 100 个 CPU 的 Pod，而节点只有 4 个。API server 接受了它，但没有节点能通过调度器的 NodeResourcesFit 过滤，抢占也无济于事，所以 Pod 一直 Pending，并产生 FailedScheduling 事件：“0/3 nodes are available: 3 Insufficient cpu.” 流程停在调度器这一步。",
        text: file!("insufficient-cpu"),
        until: SimDuration::secs(30),
    },
    Preset {
        slug: "taints-tolerations",
        title: "Taints and tolerations",
        title_zh: "污点与容忍",
        explanation: "All three nodes carry the taint example-key=value1:NoSchedule. The docs' Pod tolerating example-key is scheduled and runs; the same Pod without the toleration stays Pending with \"3 node(s) had untolerated taint {example-key: value1}\". A toleration only permits a node, it does not attract the Pod to it.",
        explanation_zh: "三个节点都带有污点 example-key=value1:NoSchedule。文档中容忍 example-key 的 Pod 被调度并运行；没有该容忍的同一个 Pod 一直 Pending，原因是“3 node(s) had untolerated taint {example-key: value1}”。容忍只是允许 Pod 去某个节点，并不会把 Pod 吸引过去。",
        text: file!("taints-tolerations"),
        until: SimDuration::secs(30),
    },
    Preset {
        slug: "node-affinity",
        title: "Node affinity",
        title_zh: "节点亲和性",
        explanation: "Nodes labelled with zones and a disk type. The docs' Pod with required node affinity may only use the antarctica zones (node-1, node-2) and prefers another-node-label-key, so it lands on node-2. The docs' Pod with nodeSelector disktype=ssd can only go to node-3. Click a Pod to see each node's filter verdict and NodeAffinity score.",
        explanation_zh: "节点带有可用区和磁盘类型标签。文档中带必需节点亲和性的 Pod 只能使用 antarctica 可用区（node-1、node-2），并偏好带 another-node-label-key 的节点，所以落在 node-2。文档中 nodeSelector 为 disktype=ssd 的 Pod 只能去 node-3。点击 Pod 可查看每个节点的过滤结果和 NodeAffinity 打分。",
        text: file!("node-affinity"),
        until: SimDuration::secs(30),
    },
    Preset {
        slug: "pod-anti-affinity",
        title: "Pod anti-affinity",
        title_zh: "Pod 反亲和性",
        explanation: "A Deployment of 4 replicas whose Pods must not share a node (required pod anti-affinity on kubernetes.io/hostname). The first three land on three different nodes; the fourth stays Pending with \"3 node(s) didn't match pod anti-affinity rules\". Preemption finds no victims, because evicting a lower-priority Pod would not remove the conflict.",
        explanation_zh: "一个 4 副本的 Deployment，其 Pod 不能共享节点（基于 kubernetes.io/hostname 的必需 Pod 反亲和性）。前三个分别落在三个不同节点上；第四个一直 Pending，原因是“3 node(s) didn't match pod anti-affinity rules”。抢占也找不到可驱逐的 Pod，因为驱逐低优先级 Pod 并不能消除冲突。",
        text: file!("pod-anti-affinity"),
        until: SimDuration::secs(30),
    },
    Preset {
        slug: "topology-spread",
        title: "Topology spread over zones",
        title_zh: "跨可用区的拓扑分布",
        explanation: "Three nodes in two zones: zone-a has node-1, zone-b has node-2 and node-3. Four replicas with maxSkew 1 over topology.kubernetes.io/zone split 2 and 2 between the zones, so node-1 alone runs two Pods while node-2 and node-3 run one each. The constraint counts Pods per zone, not per node.",
        explanation_zh: "三个节点分布在两个可用区：zone-a 有 node-1，zone-b 有 node-2 和 node-3。4 个副本在 topology.kubernetes.io/zone 上要求 maxSkew 为 1，因此在两个可用区之间按 2 比 2 分布：node-1 独自运行两个 Pod，node-2 和 node-3 各运行一个。该约束按可用区而不是按节点计数。",
        text: file!("topology-spread"),
        until: SimDuration::secs(30),
    },
    Preset {
        slug: "preemption",
        title: "Preemption",
        title_zh: "抢占",
        explanation: "Two 1-CPU nodes each run a priority-0 Pod requesting 800m. At 20s the Pod \"important\" of PriorityClass high-priority (1000000) arrives and fits nowhere (FailedScheduling \"2 Insufficient cpu\"). The scheduler's DefaultPreemption picks batch-2 as the victim: it gets DisruptionTarget and a Preempted event, is stopped, and \"important\" is bound to its node and runs.",
        explanation_zh: "两个 1 CPU 的节点上各运行一个优先级为 0、请求 800m 的 Pod。20 秒时，属于 PriorityClass high-priority（1000000）的 Pod “important” 到来，哪里都放不下（FailedScheduling“2 Insufficient cpu”）。调度器的 DefaultPreemption 选中 batch-2 作为牺牲者：它被加上 DisruptionTarget 条件并收到 Preempted 事件，随后被停止，“important” 被绑定到它的节点上运行。",
        text: file!("preemption"),
        until: SimDuration::secs(60),
    },
    Preset {
        slug: "init-containers",
        title: "Init containers",
        title_zh: "Init 容器",
        explanation: "The docs' init container example: \"install\" downloads a page into a shared emptyDir volume and must exit successfully before nginx is even created. Watch STATUS go Init:0/1, then PodInitializing, then Running 1/1, and the events: install is created and started before nginx's image is pulled.",
        explanation_zh: "文档中的 Init 容器示例：“install” 把一个网页下载到共享的 emptyDir 卷中，它必须成功退出之后 nginx 才会被创建。观察 STATUS 依次变为 Init:0/1、PodInitializing、Running 1/1，再看事件：install 先被创建并启动，之后才拉取 nginx 的镜像。",
        text: file!("init-containers"),
        until: SimDuration::secs(30),
    },
    Preset {
        slug: "sidecar",
        title: "Sidecar container",
        title_zh: "边车容器",
        explanation: "The docs' sidecar example: \"logshipper\" is an init container with restartPolicy: Always. The kubelet starts it first, does not wait for it to exit, and then starts the app container, so both run side by side: READY 2/2. A sidecar counts toward READY, unlike an ordinary init container.",
        explanation_zh: "文档中的边车示例：“logshipper” 是一个 restartPolicy 为 Always 的 Init 容器。kubelet 先启动它，但不等待它退出，随后启动应用容器，于是两者并行运行：READY 2/2。与普通 Init 容器不同，边车容器计入 READY。",
        text: file!("sidecar"),
        until: SimDuration::secs(30),
    },
    Preset {
        slug: "probes",
        title: "Readiness vs liveness",
        title_zh: "就绪探针与存活探针",
        explanation: "Two Pods run the same container, which deletes /tmp/healthy after 30s. In readiness-exec the failing readiness probe only marks the Pod not Ready (READY 0/1, RESTARTS 0, \"Readiness probe failed\"). In liveness-exec three failed liveness probes make the kubelet kill the container (\"Container liveness failed liveness probe, will be restarted\") and start it again: RESTARTS 1.",
        explanation_zh: "两个 Pod 运行同一个容器，它在 30 秒后删除 /tmp/healthy。在 readiness-exec 中，失败的就绪探针只会把 Pod 标记为未就绪（READY 0/1，RESTARTS 0，“Readiness probe failed”）。在 liveness-exec 中，存活探针连续失败三次后，kubelet 杀死容器（“Container liveness failed liveness probe, will be restarted”）并重新启动它：RESTARTS 1。",
        text: file!("probes"),
        until: SimDuration::secs(90),
    },
    Preset {
        slug: "crashloopbackoff",
        title: "CrashLoopBackOff",
        title_zh: "CrashLoopBackOff",
        explanation: "A container that exits with code 1 two seconds after it starts. The kubelet restarts it, waiting longer each time (10s, 20s, 40s, … up to 5 minutes); while it waits, kubectl shows CrashLoopBackOff and the kubelet records \"Back-off restarting failed container\". Watch RESTARTS grow and the gaps between restarts double.",
        explanation_zh: "一个启动两秒后以退出码 1 退出的容器。kubelet 会重启它，每次等待更久（10 秒、20 秒、40 秒……最长 5 分钟）；等待期间 kubectl 显示 CrashLoopBackOff，kubelet 记录“Back-off restarting failed container”。观察 RESTARTS 增长，以及两次重启之间的间隔不断翻倍。",
        text: file!("crashloopbackoff"),
        until: SimDuration::mins(2),
    },
    Preset {
        slug: "imagepullbackoff",
        title: "ImagePullBackOff",
        title_zh: "ImagePullBackOff",
        explanation: "The image nginx:nope does not exist. The kubelet's pull fails with \"not found\" (events Failed and \"Error: ErrImagePull\"), then it retries with a growing back-off and kubectl shows ImagePullBackOff in between. The Pod was scheduled and has an IP: only the container runtime step fails.",
        explanation_zh: "镜像 nginx:nope 并不存在。kubelet 拉取失败，提示“not found”（事件 Failed 和“Error: ErrImagePull”），之后以不断增长的退避间隔重试，期间 kubectl 显示 ImagePullBackOff。Pod 已经被调度并拿到了 IP：只有容器运行时这一步失败。",
        text: file!("imagepullbackoff"),
        until: SimDuration::mins(1),
    },
    Preset {
        slug: "missing-configmap",
        title: "Missing ConfigMap",
        title_zh: "缺失的 ConfigMap",
        explanation: "The docs' Pod mounts the ConfigMap special-config, which does not exist yet: the kubelet cannot set up the volume (FailedMount: configmap \"special-config\" not found) and the Pod waits in ContainerCreating. At 30s the ConfigMap is applied; the kubelet's next mount attempt succeeds, the container lists the files and exits, and the Pod ends Completed.",
        explanation_zh: "文档中的 Pod 挂载 ConfigMap special-config，但它此时还不存在：kubelet 无法准备该卷（FailedMount：configmap \"special-config\" not found），Pod 停在 ContainerCreating。30 秒时 ConfigMap 被创建；kubelet 下一次挂载成功，容器列出文件后退出，Pod 最终为 Completed。",
        text: file!("missing-configmap"),
        until: SimDuration::secs(60),
    },
    Preset {
        slug: "oomkilled",
        title: "OOMKilled",
        title_zh: "OOMKilled",
        explanation: "The docs' memory example: stress allocates 250M in a container limited to 100Mi, so the kernel's OOM killer ends it with exit code 137. kubectl briefly shows STATUS OOMKilled; the container's last state keeps \"Terminated, Reason: OOMKilled\" while the kubelet restarts it with a back-off (CrashLoopBackOff).",
        explanation_zh: "文档中的内存示例：stress 在内存上限为 100Mi 的容器中申请 250M，于是内核的 OOM killer 以退出码 137 结束它。kubectl 会短暂显示 STATUS 为 OOMKilled；容器的上一个状态保留“Terminated, Reason: OOMKilled”，同时 kubelet 以退避方式重启它（CrashLoopBackOff）。",
        text: file!("oomkilled"),
        until: SimDuration::secs(60),
    },
    Preset {
        slug: "rbac-forbidden",
        title: "RBAC: forbidden",
        title_zh: "RBAC：禁止访问",
        explanation: "The user jane is bound to the docs' pod-reader Role: she may get, watch and list Pods in default, nothing more. At 10s she applies a Pod. The API server authenticates her by her token, RBAC finds no rule allowing create, and the request is refused with Forbidden before admission: nothing is written to etcd and no Pod appears.",
        explanation_zh: "用户 jane 绑定了文档中的 pod-reader Role：她只能在 default 中 get、watch 和 list Pod，别无其他。10 秒时她 apply 一个 Pod。API server 通过她的令牌完成认证，RBAC 找不到允许 create 的规则，请求在准入之前就以 Forbidden 被拒绝：etcd 中没有写入任何东西，也没有出现 Pod。",
        text: file!("rbac-forbidden"),
        until: SimDuration::secs(20),
    },
    Preset {
        slug: "resourcequota",
        title: "ResourceQuota exceeded",
        title_zh: "超出 ResourceQuota",
        explanation: "The docs' ResourceQuota caps namespace quota-mem-cpu-example at 1 CPU and 1Gi of requested memory. The first Pod (600Mi) is admitted and runs. The second asks for 700Mi more, so the ResourceQuota admission plugin refuses it: \"exceeded quota: mem-cpu-demo, requested: requests.memory=700Mi, used: requests.memory=600Mi, limited: requests.memory=1Gi\".",
        explanation_zh: "文档中的 ResourceQuota 把命名空间 quota-mem-cpu-example 的请求上限设为 1 个 CPU 和 1Gi 内存。第一个 Pod（600Mi）通过准入并运行。第二个还要再请求 700Mi，于是 ResourceQuota 准入插件拒绝了它：“exceeded quota: mem-cpu-demo, requested: requests.memory=700Mi, used: requests.memory=600Mi, limited: requests.memory=1Gi”。",
        text: file!("resourcequota"),
        until: SimDuration::secs(30),
    },
    Preset {
        slug: "limitrange-defaults",
        title: "LimitRange defaults",
        title_zh: "LimitRange 默认值",
        explanation: "The docs' LimitRange gives containers in default-cpu-example a default CPU request of 500m and limit of 1. The Pod is applied without resources; the LimitRanger mutating admission plugin fills them in and records it in the annotation kubernetes.io/limit-ranger. Open the Pod's YAML to see requests cpu 500m and limits cpu 1.",
        explanation_zh: "文档中的 LimitRange 为 default-cpu-example 中的容器设置了默认 CPU 请求 500m 和上限 1。Pod 提交时没有写 resources；LimitRanger 变更准入插件为它补上，并记录在注解 kubernetes.io/limit-ranger 中。打开 Pod 的 YAML 可以看到 requests cpu 500m 和 limits cpu 1。",
        text: file!("limitrange-defaults"),
        until: SimDuration::secs(30),
    },
    Preset {
        slug: "node-failure",
        title: "Node failure and eviction",
        title_zh: "节点故障与驱逐",
        explanation: "At 30s node-2's kubelet stops. About 50s later the node lifecycle controller marks it NotReady (NodeStatusUnknown), taints it node.kubernetes.io/unreachable:NoExecute and sets its Pod's Ready condition to False (NodeNotReady). The Pod tolerates that taint for 300s; then the taint eviction controller deletes it (TaintManagerEviction). It stays Terminating, since its kubelet cannot confirm, while the ReplicaSet starts a replacement on a healthy node.",
        explanation_zh: "30 秒时 node-2 的 kubelet 停止。大约 50 秒后，节点生命周期控制器把它标记为 NotReady（NodeStatusUnknown），为它加上污点 node.kubernetes.io/unreachable:NoExecute，并把其上 Pod 的 Ready 条件设为 False（NodeNotReady）。Pod 对该污点的容忍时间为 300 秒；之后污点驱逐控制器删除它（TaintManagerEviction）。由于它的 kubelet 无法确认，Pod 一直处于 Terminating，而 ReplicaSet 在健康节点上启动了替代 Pod。",
        text: file!("node-failure"),
        until: SimDuration::mins(7),
    },
    Preset {
        slug: "rolling-update",
        title: "Rolling update",
        title_zh: "滚动更新",
        explanation: "The docs' Deployment runs two nginx:1.14.2 Pods; at 30s it is applied again with nginx:1.16.1. The Deployment controller creates a new ReplicaSet and, within maxSurge 25% (1 Pod) and maxUnavailable 25% (0 Pods), scales it up one Pod at a time, scaling the old one down only as new Pods become Ready. Follow the ScalingReplicaSet events.",
        explanation_zh: "文档中的 Deployment 运行两个 nginx:1.14.2 的 Pod；30 秒时用 nginx:1.16.1 再次 apply。Deployment 控制器创建新的 ReplicaSet，并在 maxSurge 25%（1 个 Pod）和 maxUnavailable 25%（0 个 Pod）的限制下每次扩容一个 Pod，只有新 Pod 就绪后才缩容旧的。请关注 ScalingReplicaSet 事件。",
        text: file!("rolling-update"),
        until: SimDuration::secs(90),
    },
    Preset {
        slug: "service-endpoints",
        title: "Service endpoints follow readiness",
        title_zh: "Service 端点跟随就绪状态",
        explanation: "The Service web selects every Pod labelled app=web, and the EndpointSlice controller lists them all, but only Ready Pods are ready endpoints that receive traffic. The two Deployment Pods become ready endpoints once their readiness probe first passes (after 10s); web-broken probes /healthz, which nginx answers with 404, so it stays in the slice as not ready.",
        explanation_zh: "Service web 选中所有带 app=web 标签的 Pod，EndpointSlice 控制器会把它们全部列出，但只有就绪的 Pod 才是接收流量的 ready 端点。两个 Deployment 的 Pod 在就绪探针首次通过后（10 秒后）成为 ready 端点；web-broken 探测的 /healthz 被 nginx 以 404 响应，所以它在切片中一直是未就绪状态。",
        text: file!("service-endpoints"),
        until: SimDuration::secs(40),
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn there_are_twenty_one_presets_with_unique_slugs() {
        assert_eq!(all().len(), 21);
        let mut slugs: Vec<&str> = all().iter().map(|p| p.slug).collect();
        slugs.sort_unstable();
        slugs.dedup();
        assert_eq!(slugs.len(), 21);
        assert_eq!(find("hello-nginx").map(|p| p.title), Some("Hello, nginx"));
        assert_eq!(find("nope"), None);
    }

    #[test]
    fn every_preset_has_both_languages_and_a_time_to_run() {
        for p in all() {
            assert!(!p.title.is_empty() && !p.title_zh.is_empty(), "{}", p.slug);
            assert!(
                !p.explanation.is_empty() && !p.explanation_zh.is_empty(),
                "{}",
                p.slug
            );
            assert!(!p.text.trim().is_empty(), "{}", p.slug);
            assert!(p.until >= SimDuration::secs(10), "{}", p.slug);
            assert_eq!(p.explanation_in("zh-CN"), p.explanation_zh);
            assert_eq!(p.title_in("en"), p.title);
        }
    }
}
