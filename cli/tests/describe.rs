//! The `podflow` binary with `--describe`: the description follows the tables on stdout, and an
//! object that does not exist is kubectl's NotFound error on stderr with exit status 1.

use std::path::PathBuf;
use std::process::Command;

const POD: &str = "apiVersion: v1
kind: Pod
metadata:
  name: nginx
spec:
  containers:
  - name: nginx
    image: nginx:1.14.2
    ports:
    - containerPort: 80
";

/// Writes the manifest to a file of its own in cargo's scratch folder for integration tests.
fn manifest(name: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::write(&path, POD).expect("write the manifest");
    path
}

fn podflow(args: &[&str]) -> (String, String, i32) {
    let out = Command::new(env!("CARGO_BIN_EXE_podflow"))
        .args(args)
        .output()
        .expect("run podflow");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

#[test]
fn describe_prints_the_pod_after_the_tables() {
    let file = manifest("describe-nginx.yaml");
    let (stdout, stderr, code) = podflow(&[
        "run",
        "--until",
        "1m",
        "--describe",
        "pod/nginx",
        file.to_str().unwrap(),
    ]);
    assert_eq!((stderr.as_str(), code), ("", 0));
    let (_, description) = stdout
        .split_once("\n$ kubectl describe pod/nginx\n")
        .expect("a describe section");
    assert!(
        stdout.find("$ kubectl get events").unwrap() < stdout.find("$ kubectl describe").unwrap()
    );
    let head: Vec<&str> = description.lines().take(13).collect();
    assert_eq!(
        head,
        [
            "Name:             nginx",
            "Namespace:        default",
            "Priority:         0",
            "Service Account:  default",
            "Node:             node-2/172.18.0.3",
            "Start Time:       Wed, 23 Apr 2025 00:00:00 +0000",
            "Labels:           <none>",
            "Annotations:      <none>",
            "Status:           Running",
            "IP:               10.244.2.2",
            "IPs:",
            "  IP:  10.244.2.2",
            "Containers:",
        ]
    );
    assert!(description
        .ends_with("  Normal  Started    56s   kubelet            Started container nginx\n"));
}

#[test]
fn describing_a_missing_pod_is_not_found_with_exit_status_one() {
    let file = manifest("describe-missing.yaml");
    let (stdout, stderr, code) = podflow(&[
        "run",
        "--until",
        "5s",
        "--describe",
        "pod/x",
        "-n",
        "kube-system",
        file.to_str().unwrap(),
    ]);
    assert_eq!(
        (stderr.as_str(), code),
        ("Error from server (NotFound): pods \"x\" not found\n", 1)
    );
    assert!(stdout.contains("$ kubectl get pods -A -o wide"));
    assert!(!stdout.contains("$ kubectl describe"));
}

#[test]
fn an_unknown_type_is_the_servers_error() {
    let file = manifest("describe-unknown.yaml");
    let (_, stderr, code) = podflow(&[
        "run",
        "--until",
        "1s",
        "--describe",
        "gizmo/x",
        file.to_str().unwrap(),
    ]);
    assert_eq!(
        (stderr.as_str(), code),
        (
            "error: the server doesn't have a resource type \"gizmo\"\n",
            1
        )
    );
}
