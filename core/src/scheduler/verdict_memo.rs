//! What the node-local filters and scores said of each node for the last pod spec, kept across
//! cycles and reused while neither the node nor the spec changed.
//!
//! Pods of one ReplicaSet or Job carry the same spec, and between two of their cycles only the
//! node the previous one was bound to has changed. A plugin that declares itself node-local
//! ([`FilterPlugin::filter_is_node_local`], [`ScorePlugin::score_is_node_local`]) promises that
//! its verdict depends on nothing but the node's [`NodeInfo`] and the pod's spec (volumes and
//! volume mounts aside: their names carry each pod's own `kube-api-access-<5>` suffix, and no
//! node-local plugin reads them). For such plugins the verdict of an unchanged node is the one
//! computed before, so the memo keeps it: the decision record, the messages and the chosen node
//! are exactly those of computing it again (a test runs both ways side by side).
//!
//! A node is "unchanged" while the snapshot holds the very same `Arc<NodeInfo>`: the scheduler
//! cache replaces a node's `Arc` on every change (`Arc::make_mut` on a shared value), and the
//! memo's `Weak` keeps the old allocation's address from being reused while it remembers it.
//!
//! [`FilterPlugin::filter_is_node_local`]: crate::scheduler::framework::FilterPlugin::filter_is_node_local
//! [`ScorePlugin::score_is_node_local`]: crate::scheduler::framework::ScorePlugin::score_is_node_local

use std::sync::{Arc, Weak};

use k8s_openapi::api::core::v1::{Container, Pod, PodSpec};

use crate::scheduler::decision::FilterTrace;
use crate::scheduler::framework::{NodeInfo, Status};

/// A score cell with nothing kept. No plugin scores `i64::MIN` (scores are 0–100 after
/// normalizing, and raw scores are counts and sums of weights); one that did would only be
/// computed again at each cycle.
const UNKNOWN: i64 = i64::MIN;

/// What the leading node-local filters said of one node.
#[derive(Debug, Clone, Default)]
pub(crate) enum KeptFilters {
    /// Not known yet.
    #[default]
    Unknown,
    /// They all passed.
    Passed,
    /// One rejected the node: its status (tagged with the plugin) and what ran.
    Rejected(Box<(Status, FilterTrace)>),
}

/// One node's remembered verdicts.
#[derive(Debug, Default)]
struct Remembered {
    /// The node state they are for (a dangling `Weak` for none).
    node: Weak<NodeInfo>,
    filters: KeptFilters,
}

impl Remembered {
    /// Whether the verdicts are for `node`'s current state (the very same allocation).
    fn is_for(&self, node: &Arc<NodeInfo>) -> bool {
        std::ptr::eq(self.node.as_ptr(), Arc::as_ptr(node))
    }
}

/// The node-local verdicts of the last pod spec, by the node's position in the snapshot.
#[derive(Debug, Default)]
pub struct VerdictMemo {
    /// The spec the verdicts were computed for.
    spec: Option<PodSpec>,
    /// The leading node-local filters the kept filter verdicts are for.
    filter_names: Vec<&'static str>,
    by_node: Vec<Remembered>,
    /// The raw scores of each of the profile's score plugins (a column each, by node position;
    /// [`UNKNOWN`] where none is kept). A plugin's column is read for every feasible node in a
    /// row.
    scores: Vec<Vec<i64>>,
    /// How many verdicts (a node's filters, or one plugin's score of a node) were reused.
    reused: u64,
}

impl VerdictMemo {
    /// An empty memo.
    pub fn new() -> VerdictMemo {
        VerdictMemo::default()
    }

    /// Starts a cycle for `pod` under a profile with `score_plugins` score plugins: forgets
    /// everything when the pod's spec differs (volumes aside) from the one remembered. `false`
    /// when the pod has no spec (nothing to remember by).
    pub(crate) fn begin(&mut self, pod: &Pod, score_plugins: usize) -> bool {
        let Some(spec) = pod.spec.as_ref() else {
            return false;
        };
        let same = self
            .spec
            .as_ref()
            .is_some_and(|kept| same_for_nodes(kept, spec));
        if !same || self.scores.len() != score_plugins {
            self.spec = Some(spec.clone());
            self.by_node.clear();
            self.scores.clear();
            self.scores.resize_with(score_plugins, Vec::new);
        }
        true
    }

    /// Starts a cycle whose leading node-local filters are `local`, in order: the filter
    /// verdicts kept for another list are forgotten. (Which filters lead can change from one
    /// cycle to the next with the same spec: a filter placed between node-local ones may skip
    /// itself in one cycle, as InterPodAffinity does while no pod has required anti-affinity.)
    pub(crate) fn filters_for(&mut self, local: &[&'static str]) {
        if self.filter_names != local {
            self.filter_names = local.to_vec();
            for kept in &mut self.by_node {
                kept.filters = KeptFilters::Unknown;
            }
        }
    }

    /// Makes the verdicts at `at`, the snapshot's position of `node`, current: they are dropped
    /// when they are for another node state. (The position is the caller's, so that a node whose
    /// verdicts are all kept is not read at all.)
    pub(crate) fn make_current(&mut self, node: &Arc<NodeInfo>, at: usize) {
        if self.by_node.len() <= at {
            self.by_node.resize_with(at + 1, Remembered::default);
            for column in &mut self.scores {
                column.resize(at + 1, UNKNOWN);
            }
        }
        let kept = &mut self.by_node[at];
        if !kept.is_for(node) {
            kept.node = Arc::downgrade(node);
            kept.filters = KeptFilters::Unknown;
            for column in &mut self.scores {
                column[at] = UNKNOWN;
            }
        }
    }

    /// Whether the verdicts at `at` are for `node`'s current state and say it passed the leading
    /// node-local filters (what [`VerdictMemo::make_current`] and [`VerdictMemo::filters`]
    /// would find, without changing anything).
    pub(crate) fn passed_unchanged(&self, node: &Arc<NodeInfo>, at: usize) -> bool {
        self.by_node
            .get(at)
            .is_some_and(|kept| kept.is_for(node) && matches!(kept.filters, KeptFilters::Passed))
    }

    /// What the leading node-local filters said of the node at `at`.
    pub(crate) fn filters(&self, at: usize) -> &KeptFilters {
        &self.by_node[at].filters
    }

    /// Keeps what the leading node-local filters said of the node at `at`.
    pub(crate) fn keep_filters(&mut self, at: usize, filters: KeptFilters) {
        self.by_node[at].filters = filters;
    }

    /// The kept raw scores of the `k`th score plugin for the nodes at the positions `at`, in
    /// order, onto `out` (0 where none is kept), and the places in `at` of those with none onto
    /// `missing`, in one pass over the plugin's column.
    pub(crate) fn scores_into(
        &self,
        k: usize,
        at: &[usize],
        out: &mut Vec<i64>,
        missing: &mut Vec<usize>,
    ) {
        let column = self.scores.get(k).map_or(&[][..], Vec::as_slice);
        let start = out.len();
        // Copy first, then look for the few cells with nothing kept: the copy has no branch.
        out.extend(
            at.iter()
                .map(|&a| column.get(a).copied().unwrap_or(UNKNOWN)),
        );
        // By chunks, so that the search is a vector compare and only a chunk holding a cell
        // with nothing kept (one or two a cycle: the node last bound) is walked.
        const CHUNK: usize = 16;
        for (c, chunk) in out[start..].chunks_mut(CHUNK).enumerate() {
            if chunk.contains(&UNKNOWN) {
                for (j, d) in chunk.iter_mut().enumerate() {
                    if *d == UNKNOWN {
                        missing.push(c * CHUNK + j);
                        *d = 0;
                    }
                }
            }
        }
    }

    /// Keeps the raw score of the `k`th score plugin for the node at `at` (a score of
    /// [`UNKNOWN`]'s value is not kept: it is computed again each time).
    pub(crate) fn keep_score(&mut self, at: usize, k: usize, score: i64) {
        if let Some(s) = self.scores.get_mut(k).and_then(|column| column.get_mut(at)) {
            *s = score;
        }
    }

    /// Counts `n` verdicts reused.
    pub(crate) fn count_reuse(&mut self, n: usize) {
        self.reused += n as u64;
    }

    /// How many verdicts were reused so far: a node's filters, or one plugin's score of a node.
    pub fn reused(&self) -> u64 {
        self.reused
    }
}

/// Whether two pod specs ask the same of a node: equal in every field but `volumes` and the
/// containers' `volumeMounts`. Every field is named, so a field added to `PodSpec` or
/// `Container` by a newer API fails to compile here until it is decided.
pub fn same_for_nodes(a: &PodSpec, b: &PodSpec) -> bool {
    let PodSpec {
        active_deadline_seconds,
        affinity,
        automount_service_account_token,
        containers,
        dns_config,
        dns_policy,
        enable_service_links,
        ephemeral_containers,
        host_aliases,
        host_ipc,
        host_network,
        host_pid,
        host_users,
        hostname,
        image_pull_secrets,
        init_containers,
        node_name,
        node_selector,
        os,
        overhead,
        preemption_policy,
        priority,
        priority_class_name,
        readiness_gates,
        resource_claims,
        resources,
        restart_policy,
        runtime_class_name,
        scheduler_name,
        scheduling_gates,
        security_context,
        service_account,
        service_account_name,
        set_hostname_as_fqdn,
        share_process_namespace,
        subdomain,
        termination_grace_period_seconds,
        tolerations,
        topology_spread_constraints,
        volumes: _,
    } = a;
    let same_containers = |x: &[Container], y: &[Container]| {
        x.len() == y.len() && x.iter().zip(y).all(|(c, d)| same_container(c, d))
    };
    // The cheap and telling fields first.
    *node_name == b.node_name
        && *scheduler_name == b.scheduler_name
        && *priority == b.priority
        && same_containers(containers, &b.containers)
        && match (init_containers, &b.init_containers) {
            (None, None) => true,
            (Some(x), Some(y)) => same_containers(x, y),
            _ => false,
        }
        && *tolerations == b.tolerations
        && *node_selector == b.node_selector
        && *affinity == b.affinity
        && *overhead == b.overhead
        && *resources == b.resources
        && *topology_spread_constraints == b.topology_spread_constraints
        && *active_deadline_seconds == b.active_deadline_seconds
        && *automount_service_account_token == b.automount_service_account_token
        && *dns_config == b.dns_config
        && *dns_policy == b.dns_policy
        && *enable_service_links == b.enable_service_links
        && *ephemeral_containers == b.ephemeral_containers
        && *host_aliases == b.host_aliases
        && *host_ipc == b.host_ipc
        && *host_network == b.host_network
        && *host_pid == b.host_pid
        && *host_users == b.host_users
        && *hostname == b.hostname
        && *image_pull_secrets == b.image_pull_secrets
        && *os == b.os
        && *preemption_policy == b.preemption_policy
        && *priority_class_name == b.priority_class_name
        && *readiness_gates == b.readiness_gates
        && *resource_claims == b.resource_claims
        && *restart_policy == b.restart_policy
        && *runtime_class_name == b.runtime_class_name
        && *scheduling_gates == b.scheduling_gates
        && *security_context == b.security_context
        && *service_account == b.service_account
        && *service_account_name == b.service_account_name
        && *set_hostname_as_fqdn == b.set_hostname_as_fqdn
        && *share_process_namespace == b.share_process_namespace
        && *subdomain == b.subdomain
        && *termination_grace_period_seconds == b.termination_grace_period_seconds
}

/// [`same_for_nodes`] for one container: equal in every field but `volumeMounts`.
fn same_container(a: &Container, b: &Container) -> bool {
    let Container {
        args,
        command,
        env,
        env_from,
        image,
        image_pull_policy,
        lifecycle,
        liveness_probe,
        name,
        ports,
        readiness_probe,
        resize_policy,
        resources,
        restart_policy,
        security_context,
        startup_probe,
        stdin,
        stdin_once,
        termination_message_path,
        termination_message_policy,
        tty,
        volume_devices,
        volume_mounts: _,
        working_dir,
    } = a;
    *name == b.name
        && *image == b.image
        && *resources == b.resources
        && *ports == b.ports
        && *restart_policy == b.restart_policy
        && *args == b.args
        && *command == b.command
        && *env == b.env
        && *env_from == b.env_from
        && *image_pull_policy == b.image_pull_policy
        && *lifecycle == b.lifecycle
        && *liveness_probe == b.liveness_probe
        && *readiness_probe == b.readiness_probe
        && *resize_policy == b.resize_policy
        && *security_context == b.security_context
        && *startup_probe == b.startup_probe
        && *stdin == b.stdin
        && *stdin_once == b.stdin_once
        && *termination_message_path == b.termination_message_path
        && *termination_message_policy == b.termination_message_policy
        && *tty == b.tty
        && *volume_devices == b.volume_devices
        && *working_dir == b.working_dir
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::object::Object;
    use crate::scheduler::cache::Cache;
    use crate::scheduler::cycle::{schedule_one, schedule_one_remembering};
    use crate::scheduler::framework::ClusterSnapshot;
    use crate::scheduler::registry::Profile;
    use crate::scheduler::testutil::{
        node, on, pod, tolerating, with_host_port, with_image, with_label, with_taint,
    };
    use crate::sim::SimRng;
    use k8s_openapi::api::core::v1::{Node, Volume, VolumeMount};
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// A pod of `template` with its own `kube-api-access-<suffix>` volume, as admission adds it.
    fn of_template(template: &Pod, name: &str, suffix: &str) -> Pod {
        let mut p = template.clone();
        p.metadata.name = Some(name.into());
        let volume = format!("kube-api-access-{suffix}");
        if let Some(spec) = p.spec.as_mut() {
            spec.volumes = Some(vec![Volume {
                name: volume.clone(),
                ..Default::default()
            }]);
            for c in &mut spec.containers {
                c.volume_mounts = Some(vec![VolumeMount {
                    name: volume.clone(),
                    mount_path: "/var/run/secrets/kubernetes.io/serviceaccount".into(),
                    ..Default::default()
                }]);
            }
        }
        p
    }

    #[test]
    fn pods_of_one_template_ask_the_same_of_a_node_whatever_their_token_volume() {
        let template = pod("t", "500m", "1Gi");
        let a = of_template(&template, "a", "x7k2q");
        let b = of_template(&template, "b", "9fz4m");
        let (sa, sb) = (a.spec.as_ref().unwrap(), b.spec.as_ref().unwrap());
        assert_ne!(sa, sb, "the token volumes differ");
        assert!(same_for_nodes(sa, sb));

        // Anything else a node could care about makes them differ.
        let changes: Vec<(&str, Pod)> = vec![
            ("cpu", pod("t", "600m", "1Gi")),
            (
                "toleration",
                tolerating(template.clone(), "k", "Exists", "", ""),
            ),
            ("host port", with_host_port(template.clone(), 80)),
            ("node name", on(template.clone(), "n1")),
        ];
        for (what, changed) in changes {
            let c = of_template(&changed, "c", "x7k2q");
            assert!(!same_for_nodes(sa, c.spec.as_ref().unwrap()), "{what}");
        }
        let mut image = b.clone();
        image.spec.as_mut().unwrap().containers[0].image = Some("nginx:1.27".into());
        assert!(!same_for_nodes(sa, image.spec.as_ref().unwrap()), "image");
    }

    /// One of two identical clusters: a scheduler cache and the snapshot it keeps.
    struct World {
        cache: Cache,
        snapshot: ClusterSnapshot,
        next: usize,
        rng: SimRng,
    }

    impl World {
        fn new(nodes: &[Node]) -> World {
            let mut cache = Cache::new();
            for n in nodes {
                cache.upsert_node(n);
            }
            World {
                cache,
                snapshot: ClusterSnapshot::default(),
                next: 0,
                rng: SimRng::new(7),
            }
        }
    }

    /// Schedules `p` in `plain` without a memo and in `remembering` with `memo`, checks that
    /// both give the same result and rotate the same, and returns the chosen node, if any.
    fn both_ways(
        p: &Pod,
        profile: &Profile,
        plain: &mut World,
        remembering: &mut World,
        memo: &mut VerdictMemo,
        what: &str,
    ) -> Option<String> {
        let want = schedule_one(p, &plain.snapshot, profile, &mut plain.next, &mut plain.rng);
        let got = schedule_one_remembering(
            p,
            &remembering.snapshot,
            profile,
            &mut remembering.next,
            &mut remembering.rng,
            memo,
        );
        assert_eq!(got, want, "{what}");
        assert_eq!(remembering.next, plain.next, "{what}");
        want.ok().map(|r| r.suggested_host)
    }

    #[test]
    fn remembered_verdicts_give_the_same_decisions_as_computing_them_again() {
        // 150 nodes, so a cycle samples 100 from a rotating start; taints, cordons, zones,
        // images and two sizes make the filters and scores tell nodes apart.
        let nodes: Vec<Node> = (0..150)
            .map(|i| {
                let name = format!("n{i:03}");
                let mut n = if i % 7 == 0 {
                    node(&name, "2", "4Gi")
                } else {
                    node(&name, "8", "32Gi")
                };
                n = with_label(n, "topology.kubernetes.io/zone", &format!("z{}", i % 3));
                if i % 11 == 0 {
                    n = with_taint(n, "dedicated", "gpu", "NoSchedule");
                }
                if i % 13 == 0 {
                    n = with_taint(n, "spot", "", "PreferNoSchedule");
                }
                if i % 17 == 0 {
                    n.spec.get_or_insert_with(Default::default).unschedulable = Some(true);
                }
                if i % 5 == 0 {
                    n = with_image(n, "docker.io/library/nginx:latest", 200_000_000);
                }
                n
            })
            .collect();
        let mut zone_pinned = pod("z", "250m", "512Mi");
        zone_pinned.spec.as_mut().unwrap().node_selector =
            Some([("topology.kubernetes.io/zone".to_string(), "z1".to_string())].into());
        let templates = [
            pod("web", "500m", "1Gi"),
            tolerating(
                pod("gpu", "1", "2Gi"),
                "dedicated",
                "Equal",
                "gpu",
                "NoSchedule",
            ),
            with_host_port(pod("proxy", "100m", "128Mi"), 8080),
            zone_pinned,
            pod("huge", "64", "1Gi"),
            pod("besteffort", "", ""),
        ];
        // Runs of one template, as ReplicaSets create them, and single pods between them.
        let plan = [
            (0, 30),
            (1, 4),
            (0, 12),
            (2, 20),
            (3, 25),
            (4, 2),
            (5, 10),
            (0, 1),
            (1, 1),
            (0, 40),
            (2, 140),
        ];
        let mut plain = World::new(&nodes);
        let mut remembering = World::new(&nodes);
        let mut memo = VerdictMemo::new();
        let profile = Profile::default();
        let mut count = 0;
        for (t, run) in plan {
            for _ in 0..run {
                count += 1;
                let p = of_template(&templates[t], &format!("p{count}"), &format!("{count:05}"));
                for w in [&mut plain, &mut remembering] {
                    w.cache.update_snapshot(&mut w.snapshot);
                    // Now and then a pod nominated to a node is counted there (no memo for it).
                    w.snapshot.nominated.clear();
                    if count % 9 == 0 {
                        let nominated = on(pod("nominated", "1", "1Gi"), "n001");
                        w.snapshot.nominated.insert("n001".into(), vec![nominated]);
                    }
                }
                let what = format!("pod {count} (template {t})");
                let chosen =
                    both_ways(&p, &profile, &mut plain, &mut remembering, &mut memo, &what);
                if let Some(host) = &chosen {
                    let bound = Arc::new(Object::from(on(p.clone(), host)));
                    for w in [&mut plain, &mut remembering] {
                        w.cache.assume_pod(&bound);
                    }
                }
                // Every 25th pod a node is cordoned, or an earlier pod leaves.
                if count % 25 == 0 {
                    let mut n = nodes[count % 150].clone();
                    n.spec.get_or_insert_with(Default::default).unschedulable = Some(true);
                    for w in [&mut plain, &mut remembering] {
                        w.cache.upsert_node(&n);
                        w.cache.remove_pod(&format!("default/p{}", count - 20));
                    }
                }
            }
        }
        assert_eq!(count, 285);
        // Most verdicts were reused: the test compared the memo's answers, not only its misses.
        assert!(memo.reused() > 50_000, "reused {}", memo.reused());
    }

    #[test]
    fn a_filter_that_skips_itself_in_one_cycle_changes_which_verdicts_are_kept() {
        use k8s_openapi::api::core::v1::{Affinity, PodAffinityTerm, PodAntiAffinity};
        use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
        // InterPodAffinity's filter moved before NodeResourcesFit: it runs only while some pod
        // has required anti-affinity, so which filters lead the list changes with it.
        let mut profile = Profile::default();
        let ipa = profile
            .filter
            .iter()
            .position(|pl| pl.name() == "InterPodAffinity")
            .unwrap();
        let ipa = profile.filter.remove(ipa);
        let fit = profile
            .filter
            .iter()
            .position(|pl| pl.name() == "NodeResourcesFit")
            .unwrap();
        profile.filter.insert(fit, ipa);
        let nodes = [
            node("big", "8", "32Gi"),
            node("small-1", "1", "4Gi"),
            node("small-2", "1", "4Gi"),
        ];
        let mut loner = on(pod("loner", "", ""), "big");
        loner.spec.as_mut().unwrap().affinity = Some(Affinity {
            pod_anti_affinity: Some(PodAntiAffinity {
                required_during_scheduling_ignored_during_execution: Some(vec![PodAffinityTerm {
                    label_selector: Some(LabelSelector {
                        match_labels: Some([("app".to_string(), "db".to_string())].into()),
                        match_expressions: None,
                    }),
                    topology_key: "kubernetes.io/hostname".into(),
                    ..Default::default()
                }]),
                ..Default::default()
            }),
            ..Default::default()
        });
        let loner = Arc::new(Object::from(loner));
        let mut plain = World::new(&nodes);
        let mut remembering = World::new(&nodes);
        for w in [&mut plain, &mut remembering] {
            w.cache.assume_pod(&loner);
        }
        let mut memo = VerdictMemo::new();
        let mut outcomes = Vec::new();
        for step in 0..3 {
            let p = of_template(&pod("p", "2", "1Gi"), &format!("p{step}"), "x7k2q");
            for w in [&mut plain, &mut remembering] {
                w.cache.update_snapshot(&mut w.snapshot);
            }
            let what = format!("step {step}");
            let chosen = both_ways(&p, &profile, &mut plain, &mut remembering, &mut memo, &what);
            outcomes.push(chosen.unwrap_or_default());
            // After the first pod the loner leaves: InterPodAffinity skips itself from then on.
            if step == 0 {
                for w in [&mut plain, &mut remembering] {
                    w.cache.remove_pod("default/loner");
                }
            }
        }
        // Only the big node ever fits a 2-CPU pod.
        assert_eq!(outcomes, ["big", "big", "big"]);
    }
}
