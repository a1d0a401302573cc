//! `kubectl describe` of real scenarios: the docs' manifests run through the cluster and the
//! description compared, character for character, with what kubectl 1.33 prints (alignment from
//! Go's tabwriter, ages from the virtual clock, times in UTC).

use podflow_core::kubectl::describe::describe;
use podflow_core::sim::SimDuration;
use podflow_core::Cluster;
use podflow_tests::manifests;

/// Loads `file` from the docs manifests, runs `secs` of virtual time and describes `target` in
/// the default namespace (the error text when kubectl would print one).
fn describe_after(file: &str, secs: u64, target: &str) -> Option<String> {
    let dir = manifests::dir()?;
    let text = manifests::read(&dir, file);
    let (mut cluster, results) = Cluster::load(&[(file.to_string(), text)]);
    assert!(results.iter().all(|r| r.ok), "{results:?}");
    cluster.run_for(SimDuration::secs(secs));
    let lookup = cluster.api().lookup();
    Some(describe(&lookup, target, "default", cluster.now()).unwrap_or_else(|e| e.to_string()))
}

/// The lines of `text` from the one equal to `from` up to (not including) the one equal to `to`.
fn block(text: &str, from: &str, to: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.iter().position(|l| *l == from).expect("start line");
    let end = lines.iter().position(|l| *l == to).expect("end line");
    lines[start..end].iter().map(|l| format!("{l}\n")).collect()
}

#[test]
fn the_simple_nginx_pod_running_a_minute_after_apply() {
    let Some(out) = describe_after("pods__simple-pod.yaml", 60, "pod/nginx") else {
        return;
    };
    // Pulling sorts before Scheduled: its lastTimestamp is truncated to the second (00:00:00)
    // while the scheduler's eventTime keeps the millisecond (00:00:00.001), as in a cluster.
    assert_eq!(
        out,
        r#"Name:             nginx
Namespace:        default
Priority:         0
Service Account:  default
Node:             node-2/172.18.0.3
Start Time:       Wed, 23 Apr 2025 00:00:00 +0000
Labels:           <none>
Annotations:      <none>
Status:           Running
IP:               10.244.2.2
IPs:
  IP:  10.244.2.2
Containers:
  nginx:
    Container ID:   containerd://4abc83dd808d80728a406d616c8e9a4a60979fcb9f23328923eb5ecd241a5f8b
    Image:          nginx:1.14.2
    Image ID:       docker.io/library/nginx@sha256:f7b30ec5501512a65ab9f4c81d1678710d3e29751385bc2c8d4f81760ae029c7
    Port:           80/TCP
    Host Port:      0/TCP
    State:          Running
      Started:      Wed, 23 Apr 2025 00:00:04 +0000
    Ready:          True
    Restart Count:  0
    Environment:    <none>
    Mounts:
      /var/run/secrets/kubernetes.io/serviceaccount from kube-api-access-dwfnv (ro)
Conditions:
  Type                        Status
  PodReadyToStartContainers   True 
  Initialized                 True 
  Ready                       True 
  ContainersReady             True 
  PodScheduled                True 
Volumes:
  kube-api-access-dwfnv:
    Type:                    Projected (a volume that contains injected data from multiple sources)
    TokenExpirationSeconds:  3607
    ConfigMapName:           kube-root-ca.crt
    Optional:                false
    DownwardAPI:             true
QoS Class:                   BestEffort
Node-Selectors:              <none>
Tolerations:                 node.kubernetes.io/not-ready:NoExecute op=Exists for 300s
                             node.kubernetes.io/unreachable:NoExecute op=Exists for 300s
Events:
  Type    Reason     Age   From               Message
  ----    ------     ----  ----               -------
  Normal  Scheduled  59s   default-scheduler  Successfully assigned default/nginx to node-2
  Normal  Pulling    59s   kubelet            Pulling image "nginx:1.14.2"
  Normal  Pulled     56s   kubelet            Successfully pulled image "nginx:1.14.2" in 3.401s (3.401s including waiting). Image size: 109129446 bytes.
  Normal  Created    56s   kubelet            Created container: nginx
  Normal  Started    56s   kubelet            Started container nginx
"#
    );
}

#[test]
fn an_unschedulable_pod_is_pending_with_failed_scheduling() {
    let Some(out) = describe_after("pods__pod-nginx.yaml", 90, "pod/nginx") else {
        return;
    };
    assert_eq!(
        out,
        r#"Name:             nginx
Namespace:        default
Priority:         0
Service Account:  default
Node:             <none>
Labels:           env=test
Annotations:      <none>
Status:           Pending
IP:               
IPs:              <none>
Containers:
  nginx:
    Image:        nginx
    Port:         <none>
    Host Port:    <none>
    Environment:  <none>
    Mounts:
      /var/run/secrets/kubernetes.io/serviceaccount from kube-api-access-dwfnv (ro)
Conditions:
  Type           Status
  PodScheduled   False 
Volumes:
  kube-api-access-dwfnv:
    Type:                    Projected (a volume that contains injected data from multiple sources)
    TokenExpirationSeconds:  3607
    ConfigMapName:           kube-root-ca.crt
    Optional:                false
    DownwardAPI:             true
QoS Class:                   BestEffort
Node-Selectors:              disktype=ssd
Tolerations:                 node.kubernetes.io/not-ready:NoExecute op=Exists for 300s
                             node.kubernetes.io/unreachable:NoExecute op=Exists for 300s
Events:
  Type     Reason            Age   From               Message
  ----     ------            ----  ----               -------
  Warning  FailedScheduling  89s   default-scheduler  0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.
"#
    );
}

#[test]
fn a_liveness_probe_restarting_its_container_shows_the_last_state_and_repeated_events() {
    let Some(out) = describe_after("pods__probe__exec-liveness.yaml", 200, "pod/liveness-exec")
    else {
        return;
    };
    assert_eq!(
        out,
        r#"Name:             liveness-exec
Namespace:        default
Priority:         0
Service Account:  default
Node:             node-2/172.18.0.3
Start Time:       Wed, 23 Apr 2025 00:00:00 +0000
Labels:           test=liveness
Annotations:      <none>
Status:           Running
IP:               10.244.2.2
IPs:
  IP:  10.244.2.2
Containers:
  liveness:
    Container ID:  containerd://45c12d306bff039f99149d0f06ce0ed18ff72fe7a752d47de336cd1d81e71fdb
    Image:         k8s.gcr.io/busybox
    Image ID:      k8s.gcr.io/busybox@sha256:c0248204de937ac4bcbf1f73774d1f85a5a298a522e6dd12de702c23b22b2113
    Port:          <none>
    Host Port:     <none>
    Args:
      /bin/sh
      -c
      touch /tmp/healthy; sleep 30; rm -f /tmp/healthy; sleep 600
    State:          Running
      Started:      Wed, 23 Apr 2025 00:02:41 +0000
    Last State:     Terminated
      Reason:       Error
      Exit Code:    137
      Started:      Wed, 23 Apr 2025 00:01:15 +0000
      Finished:     Wed, 23 Apr 2025 00:02:30 +0000
    Ready:          True
    Restart Count:  2
    Liveness:       exec [cat /tmp/healthy] delay=5s timeout=1s period=5s #success=1 #failure=3
    Environment:    <none>
    Mounts:
      /var/run/secrets/kubernetes.io/serviceaccount from kube-api-access-dwfnv (ro)
Conditions:
  Type                        Status
  PodReadyToStartContainers   True 
  Initialized                 True 
  Ready                       True 
  ContainersReady             True 
  PodScheduled                True 
Volumes:
  kube-api-access-dwfnv:
    Type:                    Projected (a volume that contains injected data from multiple sources)
    TokenExpirationSeconds:  3607
    ConfigMapName:           kube-root-ca.crt
    Optional:                false
    DownwardAPI:             true
QoS Class:                   BestEffort
Node-Selectors:              <none>
Tolerations:                 node.kubernetes.io/not-ready:NoExecute op=Exists for 300s
                             node.kubernetes.io/unreachable:NoExecute op=Exists for 300s
Events:
  Type     Reason     Age                  From               Message
  ----     ------     ----                 ----               -------
  Normal   Scheduled  3m19s                default-scheduler  Successfully assigned default/liveness-exec to node-2
  Normal   Pulled     3m19s                kubelet            Successfully pulled image "k8s.gcr.io/busybox" in 733ms (733ms including waiting). Image size: 2433303 bytes.
  Normal   Pulled     2m5s                 kubelet            Successfully pulled image "k8s.gcr.io/busybox" in 612ms (612ms including waiting). Image size: 2433303 bytes.
  Normal   Killing    80s (x2 over 2m35s)  kubelet            Container liveness failed liveness probe, will be restarted
  Warning  BackOff    50s                  kubelet            Back-off restarting failed container liveness in pod liveness-exec_default(44ecb20d-86dc-4b5d-bc75-7e5b40e1bfdc)
  Normal   Pulling    40s (x3 over 3m19s)  kubelet            Pulling image "k8s.gcr.io/busybox"
  Normal   Created    40s (x3 over 3m19s)  kubelet            Created container: liveness
  Normal   Pulled     40s                  kubelet            Successfully pulled image "k8s.gcr.io/busybox" in 654ms (654ms including waiting). Image size: 2433303 bytes.
  Normal   Started    39s (x3 over 3m18s)  kubelet            Started container liveness
  Warning  Unhealthy  5s (x7 over 2m45s)   kubelet            Liveness probe failed: cat: can't open '/tmp/healthy': No such file or directory
"#
    );
}

#[test]
fn a_missing_config_map_leaves_the_pod_container_creating_with_failed_mount() {
    let Some(out) = describe_after("pods__pod-configmap-volume.yaml", 150, "pod/dapi-test-pod")
    else {
        return;
    };
    assert_eq!(
        out,
        r#"Name:             dapi-test-pod
Namespace:        default
Priority:         0
Service Account:  default
Node:             node-2/172.18.0.3
Start Time:       Wed, 23 Apr 2025 00:00:00 +0000
Labels:           <none>
Annotations:      <none>
Status:           Pending
IP:               
IPs:              <none>
Containers:
  test-container:
    Container ID:  
    Image:         registry.k8s.io/busybox:1.27.2
    Image ID:      
    Port:          <none>
    Host Port:     <none>
    Command:
      /bin/sh
      -c
      ls /etc/config/
    State:          Waiting
      Reason:       ContainerCreating
    Ready:          False
    Restart Count:  0
    Environment:    <none>
    Mounts:
      /etc/config from config-volume (rw)
      /var/run/secrets/kubernetes.io/serviceaccount from kube-api-access-dwfnv (ro)
Conditions:
  Type                        Status
  PodReadyToStartContainers   False 
  Initialized                 True 
  Ready                       False 
  ContainersReady             False 
  PodScheduled                True 
Volumes:
  config-volume:
    Type:      ConfigMap (a volume populated by a ConfigMap)
    Name:      special-config
    Optional:  false
  kube-api-access-dwfnv:
    Type:                    Projected (a volume that contains injected data from multiple sources)
    TokenExpirationSeconds:  3607
    ConfigMapName:           kube-root-ca.crt
    Optional:                false
    DownwardAPI:             true
QoS Class:                   BestEffort
Node-Selectors:              <none>
Tolerations:                 node.kubernetes.io/not-ready:NoExecute op=Exists for 300s
                             node.kubernetes.io/unreachable:NoExecute op=Exists for 300s
Events:
  Type     Reason       Age                  From               Message
  ----     ------       ----                 ----               -------
  Normal   Scheduled    2m29s                default-scheduler  Successfully assigned default/dapi-test-pod to node-2
  Warning  FailedMount  23s (x9 over 2m30s)  kubelet            MountVolume.SetUp failed for volume "config-volume" : configmap "special-config" not found
"#
    );
}

#[test]
fn a_replica_set_pod_is_controlled_by_its_replica_set() {
    let Some(out) = describe_after("controllers__frontend.yaml", 30, "pod/frontend-42kc4") else {
        return;
    };
    assert_eq!(
        block(&out, "Name:             frontend-42kc4", "Containers:"),
        r#"Name:             frontend-42kc4
Namespace:        default
Priority:         0
Service Account:  default
Node:             node-1/172.18.0.2
Start Time:       Wed, 23 Apr 2025 00:00:00 +0000
Labels:           tier=frontend
Annotations:      <none>
Status:           Running
IP:               10.244.1.2
IPs:
  IP:           10.244.1.2
Controlled By:  ReplicaSet/frontend
"#
    );
}

#[test]
fn downward_api_variables_resolve_only_the_name_and_namespace_as_kubectl_does() {
    let Some(out) = describe_after(
        "pods__inject__dapi-envars-pod.yaml",
        30,
        "pod/dapi-envars-fieldref",
    ) else {
        return;
    };
    assert_eq!(
        block(&out, "    Environment:", "    Mounts:"),
        r#"    Environment:
      MY_NODE_NAME:             (v1:spec.nodeName)
      MY_POD_NAME:             dapi-envars-fieldref (v1:metadata.name)
      MY_POD_NAMESPACE:        default (v1:metadata.namespace)
      MY_POD_IP:                (v1:status.podIP)
      MY_POD_SERVICE_ACCOUNT:   (v1:spec.serviceAccountName)
"#
    );
}

#[test]
fn an_initializing_pod_lists_its_init_containers_first() {
    let Some(out) = describe_after("pods__init-containers.yaml", 5, "po/init-demo") else {
        return;
    };
    assert_eq!(
        block(&out, "Init Containers:", "Conditions:"),
        r#"Init Containers:
  install:
    Container ID:  containerd://4abc83dd808d80728a406d616c8e9a4a60979fcb9f23328923eb5ecd241a5f8b
    Image:         busybox:1.28
    Image ID:      docker.io/library/busybox@sha256:7671a90e8d6f16288cc1f3e500eadf7f888c5693d4558fe2eea0d145e2ec0231
    Port:          <none>
    Host Port:     <none>
    Command:
      wget
      -O
      /work-dir/index.html
      http://info.cern.ch
    State:          Terminated
      Reason:       Completed
      Exit Code:    0
      Started:      Wed, 23 Apr 2025 00:00:02 +0000
      Finished:     Wed, 23 Apr 2025 00:00:02 +0000
    Ready:          True
    Restart Count:  0
    Environment:    <none>
    Mounts:
      /var/run/secrets/kubernetes.io/serviceaccount from kube-api-access-dwfnv (ro)
      /work-dir from workdir (rw)
Containers:
  nginx:
    Container ID:   
    Image:          nginx
    Image ID:       
    Port:           80/TCP
    Host Port:      0/TCP
    State:          Waiting
      Reason:       PodInitializing
    Ready:          False
    Restart Count:  0
    Environment:    <none>
    Mounts:
      /usr/share/nginx/html from workdir (rw)
      /var/run/secrets/kubernetes.io/serviceaccount from kube-api-access-dwfnv (ro)
"#
    );
}

#[test]
fn missing_objects_and_types_are_kubectls_errors() {
    let Some(missing) = describe_after("pods__simple-pod.yaml", 1, "pod/nope") else {
        return;
    };
    assert_eq!(
        missing,
        "Error from server (NotFound): pods \"nope\" not found"
    );
    let Some(deploy) = describe_after("pods__simple-pod.yaml", 1, "deploy/nope") else {
        return;
    };
    assert_eq!(
        deploy,
        "Error from server (NotFound): deployments.apps \"nope\" not found"
    );
    let Some(unknown) = describe_after("pods__simple-pod.yaml", 1, "gizmos/x") else {
        return;
    };
    assert_eq!(
        unknown,
        "error: the server doesn't have a resource type \"gizmos\""
    );
    let Some(none) = describe_after("pods__simple-pod.yaml", 1, "rs") else {
        return;
    };
    assert_eq!(none, "No resources found in default namespace.");
}

#[test]
fn a_bare_type_describes_every_object_separated_by_a_blank_line() {
    let Some(all) = describe_after("controllers__frontend.yaml", 30, "pods") else {
        return;
    };
    let names: Vec<&str> = all.lines().filter(|l| l.starts_with("Name:")).collect();
    assert_eq!(names.len(), 3);
    assert_eq!(all.matches("\n\n\nName:").count(), 2);
}

/// The docs' nginx Deployment a minute after apply, with its ReplicaSet and one node.
fn deployment_after_a_minute(target: &str) -> Option<String> {
    describe_after("controllers__nginx-deployment.yaml", 60, target)
}

#[test]
fn a_rolled_out_deployment_lists_its_template_conditions_and_new_replica_set() {
    let Some(out) = deployment_after_a_minute("deploy/nginx-deployment") else {
        return;
    };
    assert_eq!(
        out,
        r#"Name:                   nginx-deployment
Namespace:              default
CreationTimestamp:      Wed, 23 Apr 2025 00:00:00 +0000
Labels:                 app.kubernetes.io/name=nginx
Annotations:            deployment.kubernetes.io/revision: 1
Selector:               app.kubernetes.io/name=nginx
Replicas:               3 desired | 3 updated | 3 total | 3 available | 0 unavailable
StrategyType:           RollingUpdate
MinReadySeconds:        0
RollingUpdateStrategy:  25% max unavailable, 25% max surge
Pod Template:
  Labels:  app.kubernetes.io/name=nginx
  Containers:
   nginx:
    Image:         nginx:1.14.2
    Port:          80/TCP
    Host Port:     0/TCP
    Environment:   <none>
    Mounts:        <none>
  Volumes:         <none>
  Node-Selectors:  <none>
  Tolerations:     <none>
Conditions:
  Type           Status  Reason
  ----           ------  ------
  Available      True    MinimumReplicasAvailable
  Progressing    True    NewReplicaSetAvailable
OldReplicaSets:  <none>
NewReplicaSet:   nginx-deployment-7897d4cbff (3/3 replicas created)
Events:
  Type    Reason             Age   From                   Message
  ----    ------             ----  ----                   -------
  Normal  ScalingReplicaSet  60s   deployment-controller  Scaled up replica set nginx-deployment-7897d4cbff from 0 to 3
"#
    );
}

#[test]
fn its_replica_set_counts_pods_by_phase_and_is_controlled_by_the_deployment() {
    let Some(out) = deployment_after_a_minute("rs/nginx-deployment-7897d4cbff") else {
        return;
    };
    assert_eq!(
        out,
        r#"Name:           nginx-deployment-7897d4cbff
Namespace:      default
Selector:       app.kubernetes.io/name=nginx,pod-template-hash=7897d4cbff
Labels:         app.kubernetes.io/name=nginx
                pod-template-hash=7897d4cbff
Annotations:    deployment.kubernetes.io/desired-replicas: 3
                deployment.kubernetes.io/max-replicas: 4
                deployment.kubernetes.io/revision: 1
Controlled By:  Deployment/nginx-deployment
Replicas:       3 current / 3 desired
Pods Status:    3 Running / 0 Waiting / 0 Succeeded / 0 Failed
Pod Template:
  Labels:  app.kubernetes.io/name=nginx
           pod-template-hash=7897d4cbff
  Containers:
   nginx:
    Image:         nginx:1.14.2
    Port:          80/TCP
    Host Port:     0/TCP
    Environment:   <none>
    Mounts:        <none>
  Volumes:         <none>
  Node-Selectors:  <none>
  Tolerations:     <none>
Events:
  Type    Reason            Age   From                   Message
  ----    ------            ----  ----                   -------
  Normal  SuccessfulCreate  60s   replicaset-controller  Created pod: nginx-deployment-7897d4cbff-45qff
  Normal  SuccessfulCreate  60s   replicaset-controller  Created pod: nginx-deployment-7897d4cbff-78d68
  Normal  SuccessfulCreate  60s   replicaset-controller  Created pod: nginx-deployment-7897d4cbff-kzpfc
"#
    );
}

#[test]
fn a_node_shows_its_lease_conditions_capacity_and_non_terminated_pods() {
    let Some(out) = deployment_after_a_minute("node/node-1") else {
        return;
    };
    assert_eq!(
        out,
        r#"Name:               node-1
Roles:              <none>
Labels:             kubernetes.io/arch=amd64
                    kubernetes.io/hostname=node-1
                    kubernetes.io/os=linux
Annotations:        <none>
CreationTimestamp:  Wed, 23 Apr 2025 00:00:00 +0000
Taints:             <none>
Unschedulable:      false
Lease:
  HolderIdentity:  node-1
  AcquireTime:     <unset>
  RenewTime:       Wed, 23 Apr 2025 00:01:00 +0000
Conditions:
  Type             Status  LastHeartbeatTime                 LastTransitionTime                Reason                       Message
  ----             ------  -----------------                 ------------------                ------                       -------
  MemoryPressure   False   Wed, 23 Apr 2025 00:00:00 +0000   Wed, 23 Apr 2025 00:00:00 +0000   KubeletHasSufficientMemory   kubelet has sufficient memory available
  DiskPressure     False   Wed, 23 Apr 2025 00:00:00 +0000   Wed, 23 Apr 2025 00:00:00 +0000   KubeletHasNoDiskPressure     kubelet has no disk pressure
  PIDPressure      False   Wed, 23 Apr 2025 00:00:00 +0000   Wed, 23 Apr 2025 00:00:00 +0000   KubeletHasSufficientPID      kubelet has sufficient PID available
  Ready            True    Wed, 23 Apr 2025 00:00:00 +0000   Wed, 23 Apr 2025 00:00:00 +0000   KubeletReady                 kubelet is posting ready status
Addresses:
  InternalIP:  172.18.0.2
  Hostname:    node-1
Capacity:
  cpu:                4
  ephemeral-storage:  100Gi
  memory:             16Gi
  pods:               110
Allocatable:
  cpu:                4
  ephemeral-storage:  100Gi
  memory:             16Gi
  pods:               110
System Info:
  Machine ID:                 
  System UUID:                
  Boot ID:                    
  Kernel Version:             6.1.0-28-amd64
  OS Image:                   Debian GNU/Linux 12 (bookworm)
  Operating System:           linux
  Architecture:               amd64
  Container Runtime Version:  containerd://2.0.5
  Kubelet Version:            v1.33.1
  Kube-Proxy Version:         
PodCIDR:                      10.244.1.0/24
PodCIDRs:                     10.244.1.0/24
Non-terminated Pods:          (1 in total)
  Namespace                   Name                                 CPU Requests  CPU Limits  Memory Requests  Memory Limits  Age
  ---------                   ----                                 ------------  ----------  ---------------  -------------  ---
  default                     nginx-deployment-7897d4cbff-78d68    0 (0%)        0 (0%)      0 (0%)           0 (0%)         60s
Allocated resources:
  (Total limits may be over 100 percent, i.e., overcommitted.)
  Resource           Requests  Limits
  --------           --------  ------
  cpu                0 (0%)    0 (0%)
  memory             0 (0%)    0 (0%)
  ephemeral-storage  0 (0%)    0 (0%)
Events:              <none>
"#
    );
}
