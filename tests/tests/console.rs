//! The playground's kubectl console, line by line, with kubectl 1.33's exact output: get (tables,
//! several types, -o wide/name/yaml/json), describe, apply/create -f -, run, create deployment,
//! set image, rollout status/undo/history, scale, label, taint, cordon, logs, events, errors.

use podflow_core::console::{self, Output};
use podflow_core::sim::SimDuration;
use podflow_core::Cluster;

const DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 2\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n      - name: nginx\n        image: nginx:1.14.2\n";

fn run(c: &mut Cluster, line: &str) -> Output {
    console::run(c, line, "")
}

fn ok(c: &mut Cluster, line: &str) -> String {
    let o = run(c, line);
    assert!(o.ok, "{line}: {o:?}");
    o.stdout
}

fn err(c: &mut Cluster, line: &str) -> String {
    let o = run(c, line);
    assert!(!o.ok, "{line}: {o:?}");
    o.stderr
}

#[test]
fn apply_from_the_editor_then_get_and_rollout_status_follow_the_deployment() {
    let mut c = Cluster::load(&[]).0;
    let o = console::run(&mut c, "kubectl apply -f -", DEPLOYMENT);
    assert_eq!(o.stdout, "deployment.apps/web created\n");
    let o = console::run(&mut c, "kubectl apply -f -", DEPLOYMENT);
    assert_eq!(o.stdout, "deployment.apps/web unchanged\n");
    assert_eq!(
        ok(&mut c, "kubectl rollout status deployment/web"),
        "Waiting for deployment spec update to be observed...\n"
    );
    assert_eq!(
        run(&mut c, "kubectl get pods").stderr,
        "No resources found in default namespace.\n"
    );
    c.run_for(SimDuration::secs(1));
    assert_eq!(
        ok(&mut c, "kubectl rollout status deploy/web"),
        "Waiting for deployment \"web\" rollout to finish: 0 of 2 updated replicas are available...\n"
    );
    c.run_for(SimDuration::secs(30));
    assert_eq!(
        ok(&mut c, "kubectl rollout status deployment web"),
        "deployment \"web\" successfully rolled out\n"
    );
    let rs = ok(&mut c, "kubectl get rs -o name");
    let rs = rs
        .trim()
        .strip_prefix("replicaset.apps/")
        .unwrap()
        .to_string();
    let hash = rs.strip_prefix("web-").unwrap();
    let pad = " ".repeat(rs.len() + 16 + 3 - 4);
    assert_eq!(
        ok(&mut c, "kubectl get deploy,rs"),
        format!(
            "NAME                  READY   UP-TO-DATE   AVAILABLE   AGE\n\
             deployment.apps/web   2/2     2            2           31s\n\
             \n\
             NAME{pad}DESIRED   CURRENT   READY   AGE\n\
             replicaset.apps/{rs}   2         2         2       31s\n"
        )
    );
    assert_eq!(
        ok(&mut c, "kubectl get deployment web -o wide"),
        "NAME   READY   UP-TO-DATE   AVAILABLE   AGE   CONTAINERS   IMAGES         SELECTOR\n\
         web    2/2     2            2           31s   nginx        nginx:1.14.2   app=web\n"
    );
    let pods = ok(&mut c, "kubectl get pods -o name");
    assert_eq!(pods.lines().count(), 2);
    assert!(
        pods.lines()
            .all(|l| l.starts_with(&format!("pod/web-{hash}-"))),
        "{pods}"
    );
    assert_eq!(
        err(&mut c, "kubectl get pod nope"),
        "Error from server (NotFound): pods \"nope\" not found\n"
    );
    assert_eq!(
        err(&mut c, "kubectl get deploy nope"),
        "Error from server (NotFound): deployments.apps \"nope\" not found\n"
    );
    assert_eq!(
        err(&mut c, "kubectl get widgets"),
        "error: the server doesn't have a resource type \"widgets\"\n"
    );
}

#[test]
fn set_image_rolls_out_and_undo_and_history_follow_the_revisions() {
    let mut c = Cluster::load(&[]).0;
    console::run(&mut c, "kubectl apply -f -", DEPLOYMENT);
    c.run_for(SimDuration::secs(30));
    assert_eq!(
        err(&mut c, "kubectl rollout undo deployment/web"),
        "error: no rollout history found for deployment \"web\"\n"
    );
    assert_eq!(
        ok(
            &mut c,
            "kubectl set image deployment/web nginx=nginx:1.16.1"
        ),
        "deployment.apps/web image updated\n"
    );
    assert_eq!(
        err(&mut c, "kubectl set image deployment/web php=php:8"),
        "error: unable to find container named \"php\"\n"
    );
    c.run_for(SimDuration::secs(60));
    assert_eq!(
        ok(&mut c, "kubectl rollout history deployment/web"),
        "deployment.apps/web \nREVISION  CHANGE-CAUSE\n1         <none>\n2         <none>\n\n"
    );
    assert_eq!(
        ok(&mut c, "kubectl rollout undo deployment/web"),
        "deployment.apps/web rolled back\n"
    );
    c.run_for(SimDuration::secs(60));
    assert_eq!(
        ok(&mut c, "kubectl rollout history deployment/web"),
        "deployment.apps/web \nREVISION  CHANGE-CAUSE\n2         <none>\n3         <none>\n\n"
    );
    assert!(ok(&mut c, "kubectl get deploy web -o wide").contains("nginx:1.14.2"));
    assert_eq!(
        ok(
            &mut c,
            "kubectl rollout undo deployment/web --to-revision=3"
        ),
        "deployment.apps/web skipped rollback (current template already matches revision 3)\n"
    );
}

#[test]
fn run_create_scale_label_taint_cordon_and_delete_print_kubectls_lines() {
    let mut c = Cluster::load(&[]).0;
    assert_eq!(
        ok(&mut c, "kubectl run web --image=nginx --port=80"),
        "pod/web created\n"
    );
    assert_eq!(
        err(&mut c, "kubectl run web --image=nginx"),
        "Error from server (AlreadyExists): error when creating \"STDIN\": pods \"web\" already exists\n"
    );
    assert_eq!(
        ok(
            &mut c,
            "kubectl create deployment api --image=registry.k8s.io/echoserver:1.4 --replicas=2"
        ),
        "deployment.apps/api created\n"
    );
    assert_eq!(
        ok(&mut c, "kubectl create namespace team-a"),
        "namespace/team-a created\n"
    );
    assert_eq!(
        ok(&mut c, "kubectl scale deploy api --replicas=3"),
        "deployment.apps/api scaled\n"
    );
    assert_eq!(
        ok(&mut c, "kubectl label pod web tier=frontend"),
        "pod/web labeled\n"
    );
    assert_eq!(
        ok(
            &mut c,
            "kubectl taint nodes node-1 dedicated=gpu:NoSchedule"
        ),
        "node/node-1 tainted\n"
    );
    assert_eq!(
        ok(&mut c, "kubectl cordon node-2"),
        "node/node-2 cordoned\n"
    );
    c.run_for(SimDuration::secs(30));
    let wide = ok(&mut c, "kubectl get pods -o wide");
    assert!(wide.lines().skip(1).all(|l| l.contains("node-3")), "{wide}");
    assert_eq!(
        ok(&mut c, "kubectl get pod web --show-labels"),
        "NAME   READY   STATUS    RESTARTS   AGE   LABELS\nweb    1/1     Running   0          30s   run=web,tier=frontend\n"
    );
    assert_eq!(
        ok(&mut c, "kubectl get nodes"),
        "NAME     STATUS                     ROLES    AGE   VERSION\n\
         node-1   Ready                      <none>   30s   v1.33.1\n\
         node-2   Ready,SchedulingDisabled   <none>   30s   v1.33.1\n\
         node-3   Ready                      <none>   30s   v1.33.1\n"
    );
    assert_eq!(
        ok(&mut c, "kubectl delete pod web"),
        "pod \"web\" deleted\n"
    );
    assert_eq!(
        err(&mut c, "kubectl scale deploy api"),
        "error: --replicas=COUNT is required, and COUNT must be greater than or equal to 0\n"
    );
    assert_eq!(
        err(&mut c, "kubectl get pods --bogus"),
        "error: unknown flag: --bogus\n"
    );
    assert_eq!(
        err(&mut c, "ls -l"),
        "ls: command not found (this console runs kubectl)\n"
    );
}

#[test]
fn get_as_yaml_and_json_prints_the_stored_object() {
    let mut c = Cluster::load(&[]).0;
    ok(&mut c, "kubectl create namespace team-a");
    let yaml = ok(&mut c, "kubectl get ns team-a -o yaml");
    assert_eq!(
        yaml,
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  creationTimestamp: \"2025-04-23T00:00:00Z\"\n  labels:\n    kubernetes.io/metadata.name: team-a\n  name: team-a\n"
            .to_string()
            + &yaml[yaml.find("  resourceVersion").unwrap()..]
    );
    assert!(
        yaml.ends_with("spec:\n  finalizers:\n  - kubernetes\nstatus:\n  phase: Active\n"),
        "{yaml}"
    );
    let json = ok(&mut c, "kubectl get ns team-a -o json");
    assert!(
        json.starts_with("{\n    \"apiVersion\": \"v1\",\n    \"kind\": \"Namespace\",\n"),
        "{json}"
    );
    let list = ok(&mut c, "kubectl get nodes -o json");
    let v: serde_json::Value = serde_json::from_str(&list).unwrap();
    assert_eq!(v["kind"], "List");
    assert_eq!(v["items"].as_array().unwrap().len(), 3);
}

#[test]
fn describe_logs_and_events_come_from_the_same_cluster() {
    let mut c = Cluster::load(&[]).0;
    console::run(
        &mut c,
        "kubectl apply -f -",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: hello\nspec:\n  restartPolicy: Never\n  containers:\n  - name: c\n    image: busybox:1.28\n    command: ['sh', '-c', 'echo hello world']\n",
    );
    c.run_for(SimDuration::secs(20));
    assert_eq!(ok(&mut c, "kubectl logs hello"), "hello world\n");
    assert_eq!(ok(&mut c, "kubectl logs pod/hello -c c"), "hello world\n");
    let describe = ok(&mut c, "kubectl describe pod hello");
    assert!(
        describe.starts_with("Name:             hello\nNamespace:        default\n"),
        "{describe}"
    );
    assert!(describe.contains("    State:          Terminated\n      Reason:       Completed\n      Exit Code:    0\n"), "{describe}");
    let events = ok(&mut c, "kubectl events");
    let first = events.lines().next().unwrap();
    assert_eq!(
        first,
        "LAST SEEN   TYPE     REASON      OBJECT      MESSAGE"
    );
    assert!(
        events.contains("Normal   Started     Pod/hello   Started container c\n"),
        "{events}"
    );
    assert_eq!(
        err(&mut c, "kubectl describe pod nope"),
        "Error from server (NotFound): pods \"nope\" not found\n"
    );
    assert_eq!(
        run(&mut c, "kubectl events -n kube-public").stderr,
        "No events found in kube-public namespace.\n"
    );
}
