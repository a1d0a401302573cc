//! The Deployment controller (`pkg/controller/deployment`): one ReplicaSet per pod template,
//! named `<deployment>-<pod-template-hash>`, revision annotations, RollingUpdate within
//! maxSurge/maxUnavailable, Recreate, scaling, `ScalingReplicaSet` events, old ReplicaSets
//! pruned to revisionHistoryLimit, and the Available/Progressing conditions and status counts.

use k8s_openapi::api::apps::v1::{Deployment, DeploymentStatus, ReplicaSet, ReplicaSetSpec};
use k8s_openapi::api::core::v1::PodTemplateSpec;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};

use crate::apiserver::authn;
use crate::apiserver::server::Target;
use crate::apiserver::UserInfo;
use crate::component::{Component, Ctx};
use crate::controllers::deployment_util::*;
use crate::controllers::podutil::{controller_of, controller_ref, created, key_of};
use crate::controllers::template_hash::compute_hash;
use crate::controllers::workqueue::WorkQueue;
use crate::events::{object_reference, EventRecorder, EventType};
use crate::object::{kind_info, Draft, Object, Shared};
use crate::scheduler::selectors::label_selector_matches;
use crate::sim::{SimDuration, SimTime};
use crate::store::{WatchEvent, WatchFilter};

/// The controller's name (event source, service account).
pub const NAME: &str = "deployment-controller";

/// The Deployment controller.
#[derive(Debug)]
pub struct DeploymentController {
    user: UserInfo,
    recorder: EventRecorder,
    queue: WorkQueue,
}

impl Default for DeploymentController {
    fn default() -> Self {
        DeploymentController::new()
    }
}

/// A ReplicaSet as the informer holds it: shared, copied only to be changed.
type RsRef = Shared<ReplicaSet>;

/// The ReplicaSets of one sync: the new one (if any) and the old ones, oldest first.
struct Sets {
    new: Option<RsRef>,
    old: Vec<RsRef>,
}

impl Sets {
    fn all(&self) -> Vec<RsRef> {
        let mut all = self.old.clone();
        all.extend(self.new.clone());
        all
    }
}

impl DeploymentController {
    /// A controller running as `system:serviceaccount:kube-system:deployment-controller`.
    pub fn new() -> DeploymentController {
        DeploymentController {
            user: authn::controller(NAME),
            recorder: EventRecorder::new(NAME, ""),
            queue: WorkQueue::default(),
        }
    }

    fn event(&mut self, d: &Deployment, message: String, ctx: &mut Ctx<'_>) {
        let write = self.recorder.record(
            ctx.now,
            object_reference(&Object::from(d.clone())),
            EventType::Normal,
            "ScalingReplicaSet",
            &message,
        );
        ctx.event(write);
    }

    fn sync(&mut self, namespace: &str, name: &str, ctx: &mut Ctx<'_>) {
        let Some(live) = ctx.get("Deployment", namespace, name) else {
            return;
        };
        let Some(live) = Shared::<Deployment>::from_object(&live) else {
            return;
        };
        if live.metadata.deletion_timestamp.is_some() {
            return;
        }
        let mut d = Draft::new(live);
        let rs_list = self.claim_replica_sets(&d, ctx);
        if d.spec.as_ref().and_then(|s| s.paused) == Some(true) {
            let sets = self.sets(&mut d, &rs_list, false, ctx);
            self.sync_status(&mut d, &sets, ctx);
            return;
        }
        let before = ctx.revision();
        let scaling = self.is_scaling_event(&mut d, &rs_list, ctx);
        // Read the ReplicaSets again if syncing the new one's revision may have written it
        // (the store's revision moved); else the list just read is still what is stored.
        let rs_list = if ctx.revision() == before {
            rs_list
        } else {
            self.claim_replica_sets(&d, ctx)
        };
        if scaling {
            let sets = self.sets(&mut d, &rs_list, false, ctx);
            self.scale(&d, &sets, ctx);
            let sets = self.refresh(&sets, ctx);
            self.sync_status(&mut d, &sets, ctx);
            return;
        }
        if is_rolling(&d) {
            self.rollout_rolling(&mut d, &rs_list, ctx);
        } else {
            self.rollout_recreate(&mut d, &rs_list, ctx);
        }
    }

    /// `getReplicaSetsForDeployment`: owned ReplicaSets, plus matching orphans adopted.
    fn claim_replica_sets(&mut self, d: &Deployment, ctx: &mut Ctx<'_>) -> Vec<RsRef> {
        let (ns, _) = key_of(&d.metadata);
        let uid = d.metadata.uid.clone().unwrap_or_default();
        let no_selector = LabelSelector::default();
        let selector = d.spec.as_ref().map_or(&no_selector, |s| &s.selector);
        let mut out = Vec::new();
        for o in ctx.list("ReplicaSet", Some(&ns)) {
            let Some(rs) = RsRef::from_object(&o) else {
                continue;
            };
            let labels = rs.metadata.labels.as_ref();
            match controller_of(&rs.metadata) {
                Some(r) if r.uid == uid => out.push(rs.clone()),
                Some(_) => {}
                None if rs.metadata.deletion_timestamp.is_none()
                    && label_selector_matches(selector, labels) =>
                {
                    let mut adopted = (*rs).clone();
                    adopted
                        .metadata
                        .owner_references
                        .get_or_insert_with(Vec::new)
                        .push(controller_ref(&Object::from(d.clone())));
                    if let Some(rs) = ctx
                        .patch(Object::from(adopted))
                        .ok()
                        .and_then(|stored| RsRef::from_object(&stored))
                    {
                        out.push(rs);
                    }
                }
                None => {}
            }
        }
        out.sort_by(|a, b| {
            (created(&a.metadata), &a.metadata.name).cmp(&(created(&b.metadata), &b.metadata.name))
        });
        out
    }

    /// Re-reads the ReplicaSets of `sets` from the store (after scaling them).
    fn refresh(&self, sets: &Sets, ctx: &Ctx<'_>) -> Sets {
        let get = |rs: &RsRef| {
            let (ns, name) = key_of(&rs.metadata);
            ctx.get("ReplicaSet", &ns, &name)
                .and_then(|o| RsRef::from_object(&o))
        };
        Sets {
            new: sets.new.as_ref().and_then(get),
            old: sets.old.iter().filter_map(get).collect(),
        }
    }

    /// `getAllReplicaSetsAndSyncRevision`: splits new from old and brings the new one's
    /// revision up to date, creating it when asked to.
    fn sets(
        &mut self,
        d: &mut Draft<Deployment>,
        rs_list: &[RsRef],
        create: bool,
        ctx: &mut Ctx<'_>,
    ) -> Sets {
        let no_template = PodTemplateSpec::default();
        let template = d.spec.as_ref().map_or(&no_template, |s| &s.template);
        let found = rs_list.iter().position(|rs| {
            rs.spec
                .as_ref()
                .and_then(|s| s.template.as_ref())
                .is_some_and(|t| equal_ignore_hash(t, template))
        });
        let old: Vec<RsRef> = rs_list
            .iter()
            .enumerate()
            .filter(|(i, _)| Some(*i) != found)
            .map(|(_, rs)| rs.clone())
            .collect();
        let max_old = old.iter().map(|rs| revision(rs)).max().unwrap_or(0);
        let new_revision = (max_old + 1).to_string();
        let new = match found {
            Some(i) => self.sync_existing(d, &rs_list[i], &new_revision, ctx),
            None if create => self.create_new(d, &old, &new_revision, ctx),
            None => None,
        };
        Sets { new, old }
    }

    fn sync_existing(
        &mut self,
        d: &mut Draft<Deployment>,
        rs: &RsRef,
        new_revision: &str,
        ctx: &mut Ctx<'_>,
    ) -> Option<RsRef> {
        // The annotations are worked out on a copy of them alone: the whole ReplicaSet is
        // copied only when it has to be written.
        let mut annotated = ObjectMeta {
            annotations: rs.metadata.annotations.clone(),
            ..ObjectMeta::default()
        };
        let updated = set_new_rs_annotations(d, &mut annotated, new_revision, true);
        let min_ready = d.spec.as_ref().and_then(|s| s.min_ready_seconds);
        let stored_min_ready = rs.spec.as_ref().and_then(|s| s.min_ready_seconds);
        if updated || stored_min_ready != min_ready {
            let mut copy = (**rs).clone();
            copy.metadata.annotations = annotated.annotations;
            copy.spec
                .get_or_insert_with(Default::default)
                .min_ready_seconds = min_ready;
            return match ctx.update(Object::from(copy)) {
                Ok(stored) => RsRef::from_object(&stored),
                Err(_) => Some(rs.clone()),
            };
        }
        let rev = annotated
            .annotations
            .as_ref()
            .and_then(|a| a.get(REVISION))
            .cloned()
            .unwrap_or_default();
        let mut needs_update = set_deployment_revision(d, &rev);
        // Read before written: a draft is copied only when something changes.
        let progressing = d.status.as_ref().and_then(|s| condition(s, "Progressing"));
        if progressing.is_none() {
            let name = rs.metadata.name.clone().unwrap_or_default();
            set_condition(
                d.status.get_or_insert_with(Default::default),
                new_condition(
                    "Progressing",
                    "True",
                    "FoundNewReplicaSet",
                    format!("Found new replica set \"{name}\""),
                    ctx.now,
                ),
            );
            needs_update = true;
        }
        if needs_update {
            self.write_status(d, ctx);
        }
        Some(rs.clone())
    }

    fn create_new(
        &mut self,
        d: &mut Draft<Deployment>,
        old: &[RsRef],
        new_revision: &str,
        ctx: &mut Ctx<'_>,
    ) -> Option<RsRef> {
        let spec = d.spec.clone().unwrap_or_default();
        let collision = d.status.as_ref().and_then(|s| s.collision_count);
        let hash = compute_hash(&spec.template, collision);
        let mut template = spec.template.clone();
        template
            .metadata
            .get_or_insert_with(Default::default)
            .labels
            .get_or_insert_with(Default::default)
            .insert(HASH_LABEL.into(), hash.clone());
        let mut selector = spec.selector.clone();
        selector
            .match_labels
            .get_or_insert_with(Default::default)
            .insert(HASH_LABEL.into(), hash.clone());
        let (ns, name) = key_of(&d.metadata);
        let mut rs = ReplicaSet {
            metadata: ObjectMeta {
                name: Some(format!("{name}-{hash}")),
                namespace: Some(ns),
                owner_references: Some(vec![controller_ref(&Object::from(d.clone()))]),
                labels: template.metadata.as_ref().and_then(|m| m.labels.clone()),
                ..Default::default()
            },
            spec: Some(ReplicaSetSpec {
                replicas: Some(0),
                min_ready_seconds: spec.min_ready_seconds,
                selector,
                template: Some(template),
            }),
            status: None,
        };
        let mut all = old.to_vec();
        all.push(RsRef::new(rs.clone()));
        let count = new_rs_replicas(d, &all, &rs);
        if let Some(s) = rs.spec.as_mut() {
            s.replicas = Some(count);
        }
        set_new_rs_annotations(d, &mut rs.metadata, new_revision, false);
        let created = match ctx.create(Object::from(rs)) {
            Ok(stored) => RsRef::from_object(&stored)?,
            Err(e) if e.reason == crate::apiserver::Reason::AlreadyExists => {
                // A hash collision: count it so the next sync picks another name.
                let status = d.status.get_or_insert_with(Default::default);
                status.collision_count = Some(status.collision_count.unwrap_or(0) + 1);
                self.write_status(d, ctx);
                return None;
            }
            Err(_) => return None,
        };
        let rs_name = created.metadata.name.clone().unwrap_or_default();
        if count > 0 {
            self.event(
                d,
                format!("Scaled up replica set {rs_name} from 0 to {count}"),
                ctx,
            );
        }
        set_deployment_revision(d, new_revision);
        let status = d.status.get_or_insert_with(Default::default);
        set_condition(
            status,
            new_condition(
                "Progressing",
                "True",
                "NewReplicaSetCreated",
                format!("Created new replica set \"{rs_name}\""),
                ctx.now,
            ),
        );
        self.write_status(d, ctx);
        Some(created)
    }

    /// Writes the Deployment's status (and its revision annotation, which the status strategy
    /// lets through), keeping `d` current: after the write it reads the stored object, as
    /// written, and after a failed one the object as it was read.
    fn write_status(&mut self, d: &mut Draft<Deployment>, ctx: &mut Ctx<'_>) {
        if let Ok(stored) = ctx.update_status(d.take_object()) {
            if let Some(stored) = Shared::from_object(&stored) {
                *d = Draft::new(stored);
            }
        }
    }

    /// `scaleReplicaSetAndRecordEvent`: nothing when the size is already right, else
    /// [`Self::scale_to`].
    fn scale_rs(
        &mut self,
        d: &Deployment,
        rs: &RsRef,
        to: i32,
        ctx: &mut Ctx<'_>,
    ) -> Option<RsRef> {
        if rs_replicas(rs) == to {
            return Some(rs.clone());
        }
        self.scale_to(d, rs, to, ctx)
    }

    /// `scaleReplicaSet`: the new size and the replicas annotations, and a `ScalingReplicaSet`
    /// event when the size changed.
    fn scale_to(
        &mut self,
        d: &Deployment,
        rs: &RsRef,
        to: i32,
        ctx: &mut Ctx<'_>,
    ) -> Option<RsRef> {
        let from = rs_replicas(rs);
        let desired = replicas(d);
        let max = desired + max_surge(d);
        let mut copy = (**rs).clone();
        let annotations_changed = set_replicas_annotations(&mut copy.metadata, desired, max);
        if from == to && !annotations_changed {
            return Some(rs.clone());
        }
        copy.spec.get_or_insert_with(Default::default).replicas = Some(to);
        let stored = ctx.update(Object::from(copy)).ok()?;
        let updated = RsRef::from_object(&stored)?;
        if from != to {
            let direction = if from < to { "up" } else { "down" };
            let name = updated.metadata.name.clone().unwrap_or_default();
            self.event(
                d,
                format!("Scaled {direction} replica set {name} from {from} to {to}"),
                ctx,
            );
        }
        Some(updated)
    }

    /// `isScalingEvent`: an active ReplicaSet's desired-replicas annotation differs from the
    /// Deployment's replicas.
    fn is_scaling_event(
        &mut self,
        d: &mut Draft<Deployment>,
        rs_list: &[RsRef],
        ctx: &mut Ctx<'_>,
    ) -> bool {
        let sets = self.sets(d, rs_list, false, ctx);
        let want = replicas(d);
        sets.all()
            .iter()
            .filter(|rs| rs_replicas(rs) > 0)
            .any(|rs| {
                rs.metadata
                    .annotations
                    .as_ref()
                    .and_then(|a| a.get(DESIRED_REPLICAS))
                    .and_then(|v| v.parse::<i32>().ok())
                    .is_some_and(|desired| desired != want)
            })
    }

    /// `scale`: the one active ReplicaSet follows the Deployment's size; with several active
    /// ones the rollout itself brings them to size.
    fn scale(&mut self, d: &Deployment, sets: &Sets, ctx: &mut Ctx<'_>) {
        let all = sets.all();
        let active: Vec<&RsRef> = all.iter().filter(|rs| rs_replicas(rs) > 0).collect();
        let target = match active.as_slice() {
            [one] => Some((*one).clone()),
            [] => sets.new.clone().or_else(|| sets.old.last().cloned()),
            _ => None,
        };
        if let Some(rs) = target {
            if rs_replicas(&rs) != replicas(d) {
                self.scale_rs(d, &rs, replicas(d), ctx);
            }
            return;
        }
        // The new ReplicaSet is saturated (`IsSaturated`): old ones go to zero.
        if let Some(new) = &sets.new {
            let available = rs_status(new).2;
            let desired_annotation = new
                .metadata
                .annotations
                .as_ref()
                .and_then(|a| a.get(DESIRED_REPLICAS))
                .and_then(|v| v.parse::<i32>().ok());
            if rs_replicas(new) == replicas(d)
                && desired_annotation == Some(replicas(d))
                && available == replicas(d)
            {
                for rs in sets.old.iter().filter(|rs| rs_replicas(rs) > 0) {
                    self.scale_rs(d, rs, 0, ctx);
                }
                return;
            }
        }
        if !is_rolling(d) {
            return;
        }
        // Proportional scaling: the difference shared by size (`GetProportion`), leftovers to
        // the first; larger (then newer) first when growing, larger (then older) first when
        // shrinking.
        let desired = replicas(d);
        let allowed = if desired > 0 {
            desired + max_surge(d)
        } else {
            0
        };
        let mut ordered: Vec<RsRef> = active.into_iter().cloned().collect();
        let current = sum(&ordered, rs_replicas);
        let to_add = allowed - current;
        ordered.sort_by(|a, b| {
            let by_size = rs_replicas(b).cmp(&rs_replicas(a));
            let by_age = (created(&a.metadata), &a.metadata.name)
                .cmp(&(created(&b.metadata), &b.metadata.name));
            by_size.then(if to_add > 0 { by_age.reverse() } else { by_age })
        });
        let status_replicas = d.status.as_ref().and_then(|s| s.replicas).unwrap_or(0);
        let mut added = 0;
        let mut sizes: Vec<i32> = Vec::new();
        for rs in &ordered {
            let size = rs_replicas(rs);
            let share = if size == 0 || to_add == 0 || to_add == added {
                0
            } else {
                let fraction = if desired == 0 {
                    -size
                } else {
                    let before = rs
                        .metadata
                        .annotations
                        .as_ref()
                        .and_then(|a| a.get(MAX_REPLICAS))
                        .and_then(|v| v.parse::<i32>().ok())
                        .filter(|n| *n != 0)
                        .unwrap_or(status_replicas);
                    if before == 0 {
                        0
                    } else {
                        let exact = f64::from(size) * f64::from(allowed) / f64::from(before);
                        exact.round() as i32 - size
                    }
                };
                let left = to_add - added;
                if to_add > 0 {
                    fraction.min(left)
                } else {
                    fraction.max(left)
                }
            };
            added += share;
            sizes.push(size + share);
        }
        if let Some(first) = sizes.first_mut() {
            if to_add != 0 {
                *first = (*first + to_add - added).max(0);
            }
        }
        for (rs, to) in ordered.iter().zip(sizes) {
            self.scale_to(d, rs, to, ctx);
        }
    }

    fn rollout_rolling(&mut self, d: &mut Draft<Deployment>, rs_list: &[RsRef], ctx: &mut Ctx<'_>) {
        let mut sets = self.sets(d, rs_list, true, ctx);
        let Some(new) = sets.new.clone() else {
            self.sync_rollout_status(d, &sets, ctx);
            return;
        };
        // reconcileNewReplicaSet
        let want = replicas(d);
        let current = rs_replicas(&new);
        let target = if current > want {
            want
        } else {
            new_rs_replicas(d, &sets.all(), &new)
        };
        if target != current {
            self.scale_rs(d, &new, target, ctx);
            let sets = self.refresh(&sets, ctx);
            self.sync_rollout_status(d, &sets, ctx);
            return;
        }
        // reconcileOldReplicaSets
        if self.reconcile_old(d, &mut sets, ctx) {
            let sets = self.refresh(&sets, ctx);
            self.sync_rollout_status(d, &sets, ctx);
            return;
        }
        if is_complete(d, &d.status.clone().unwrap_or_default()) {
            self.cleanup(d, &sets, ctx);
        }
        self.sync_rollout_status(d, &sets, ctx);
    }

    fn reconcile_old(&mut self, d: &Deployment, sets: &mut Sets, ctx: &mut Ctx<'_>) -> bool {
        let Some(new) = sets.new.clone() else {
            return false;
        };
        let old_count = sum(&sets.old, rs_replicas);
        if old_count == 0 {
            return false;
        }
        let all_count = sum(&sets.all(), rs_replicas);
        let min_available = replicas(d) - max_unavailable(d);
        let new_unavailable = rs_replicas(&new) - rs_status(&new).2;
        let max_scaled_down = all_count - min_available - new_unavailable;
        if max_scaled_down <= 0 {
            return false;
        }
        // cleanupUnhealthyReplicas
        let mut cleaned = 0;
        for rs in sets.old.iter_mut() {
            if cleaned >= max_scaled_down {
                break;
            }
            let (size, available) = (rs_replicas(rs), rs_status(rs).2);
            if size == 0 || size == available {
                continue;
            }
            let down = (max_scaled_down - cleaned).min(size - available);
            if let Some(updated) = self.scale_rs(d, rs, size - down, ctx) {
                *rs = updated;
            }
            cleaned += down;
        }
        // scaleDownOldReplicaSetsForRollingUpdate
        let available: i32 = sum(&sets.all(), |rs| rs_status(rs).2);
        let mut scaled = 0;
        if available > min_available {
            let total = available - min_available;
            for rs in sets.old.iter_mut() {
                if scaled >= total {
                    break;
                }
                let size = rs_replicas(rs);
                if size == 0 {
                    continue;
                }
                let down = size.min(total - scaled);
                if let Some(updated) = self.scale_rs(d, rs, size - down, ctx) {
                    *rs = updated;
                }
                scaled += down;
            }
        }
        cleaned + scaled > 0
    }

    fn rollout_recreate(
        &mut self,
        d: &mut Draft<Deployment>,
        rs_list: &[RsRef],
        ctx: &mut Ctx<'_>,
    ) {
        let sets = self.sets(d, rs_list, false, ctx);
        let mut scaled_down = false;
        for rs in sets.old.iter().filter(|rs| rs_replicas(rs) > 0) {
            self.scale_rs(d, rs, 0, ctx);
            scaled_down = true;
        }
        if scaled_down {
            let sets = self.refresh(&sets, ctx);
            self.sync_rollout_status(d, &sets, ctx);
            return;
        }
        // oldPodsRunning: wait until no old pod is left.
        let old_uids: Vec<String> = sets
            .old
            .iter()
            .filter_map(|rs| rs.metadata.uid.clone())
            .collect();
        let (ns, _) = key_of(&d.metadata);
        let old_running = ctx.list("Pod", Some(&ns)).iter().any(|o| match &**o {
            Object::Pod(p) => {
                controller_of(&p.metadata).is_some_and(|r| old_uids.contains(&r.uid))
                    && !matches!(
                        crate::controllers::podutil::phase(p),
                        "Succeeded" | "Failed"
                    )
            }
            _ => false,
        });
        if old_running {
            self.sync_rollout_status(d, &sets, ctx);
            return;
        }
        let sets = if sets.new.is_none() {
            self.sets(d, rs_list, true, ctx)
        } else {
            sets
        };
        if let Some(new) = &sets.new {
            if rs_replicas(new) != replicas(d) {
                self.scale_rs(d, new, replicas(d), ctx);
                let sets = self.refresh(&sets, ctx);
                self.sync_rollout_status(d, &sets, ctx);
                return;
            }
        }
        if is_complete(d, &d.status.clone().unwrap_or_default()) {
            self.cleanup(d, &sets, ctx);
        }
        self.sync_rollout_status(d, &sets, ctx);
    }

    /// `cleanupDeployment`: deletes the oldest drained ReplicaSets beyond revisionHistoryLimit.
    fn cleanup(&mut self, d: &Deployment, sets: &Sets, ctx: &mut Ctx<'_>) {
        let limit = d
            .spec
            .as_ref()
            .and_then(|s| s.revision_history_limit)
            .unwrap_or(10)
            .max(0) as usize;
        let mut cleanable: Vec<&RsRef> = sets
            .old
            .iter()
            .filter(|rs| rs.metadata.deletion_timestamp.is_none())
            .collect();
        if cleanable.len() <= limit {
            return;
        }
        let diff = cleanable.len() - limit;
        cleanable.sort_by_key(|rs| (revision(rs), created(&rs.metadata)));
        let Some(info) = kind_info("ReplicaSet") else {
            return;
        };
        for rs in cleanable.into_iter().take(diff) {
            if rs.status.as_ref().is_some_and(|s| s.replicas != 0)
                || rs_replicas(rs) != 0
                || rs.metadata.generation > rs.status.as_ref().and_then(|s| s.observed_generation)
            {
                continue;
            }
            let (ns, name) = key_of(&rs.metadata);
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

    /// `calculateStatus`: counts summed over the ReplicaSets and the Available condition.
    fn calculate_status(&self, d: &Deployment, sets: &Sets, now: SimTime) -> DeploymentStatus {
        let all = sets.all();
        let available = sum(&all, |rs| rs_status(rs).2);
        let total = sum(&all, rs_replicas);
        let old = d.status.clone().unwrap_or_default();
        let mut status = DeploymentStatus {
            observed_generation: d.metadata.generation,
            replicas: Some(sum(&all, |rs| rs_status(rs).0)),
            updated_replicas: Some(sets.new.as_ref().map(|rs| rs_status(rs).0).unwrap_or(0)),
            ready_replicas: Some(sum(&all, |rs| rs_status(rs).1)),
            available_replicas: Some(available),
            unavailable_replicas: Some((total - available).max(0)),
            collision_count: old.collision_count,
            conditions: old.conditions.clone(),
            terminating_replicas: None,
        };
        if available >= replicas(d) - max_unavailable(d) {
            set_condition(
                &mut status,
                new_condition(
                    "Available",
                    "True",
                    "MinimumReplicasAvailable",
                    "Deployment has minimum availability.".into(),
                    now,
                ),
            );
        } else {
            set_condition(
                &mut status,
                new_condition(
                    "Available",
                    "False",
                    "MinimumReplicasUnavailable",
                    "Deployment does not have minimum availability.".into(),
                    now,
                ),
            );
        }
        status
    }

    /// `syncDeploymentStatus`: writes the counts when they changed.
    fn sync_status(&mut self, d: &mut Draft<Deployment>, sets: &Sets, ctx: &mut Ctx<'_>) {
        let status = self.calculate_status(d, sets, ctx.now);
        if d.status.as_ref() == Some(&status) {
            return;
        }
        d.status = Some(status);
        self.write_status(d, ctx);
    }

    /// `syncRolloutStatus`: counts, Available, and Progressing (complete, progressing).
    fn sync_rollout_status(&mut self, d: &mut Draft<Deployment>, sets: &Sets, ctx: &mut Ctx<'_>) {
        let mut status = self.calculate_status(d, sets, ctx.now);
        let has_deadline = d
            .spec
            .as_ref()
            .and_then(|s| s.progress_deadline_seconds)
            .is_some_and(|s| s != i32::MAX);
        if !has_deadline {
            remove_condition(&mut status, "Progressing");
        }
        let current = condition(&status, "Progressing").cloned();
        let complete_already = status.replicas == status.updated_replicas
            && current
                .as_ref()
                .is_some_and(|c| c.reason.as_deref() == Some("NewReplicaSetAvailable"));
        let old = d.status.clone().unwrap_or_default();
        if has_deadline && !complete_already {
            let new_name = sets.new.as_ref().and_then(|rs| rs.metadata.name.clone());
            if is_complete(d, &status) {
                let message = match &new_name {
                    Some(n) => format!("ReplicaSet \"{n}\" has successfully progressed."),
                    None => "Deployment has successfully progressed.".into(),
                };
                set_condition(
                    &mut status,
                    new_condition(
                        "Progressing",
                        "True",
                        "NewReplicaSetAvailable",
                        message,
                        ctx.now,
                    ),
                );
            } else if is_progressing(&old, &status) {
                let name = d.metadata.name.clone().unwrap_or_default();
                let message = match &new_name {
                    Some(n) => format!("ReplicaSet \"{n}\" is progressing."),
                    None => format!("Deployment \"{name}\" is progressing."),
                };
                let mut cond =
                    new_condition("Progressing", "True", "ReplicaSetUpdated", message, ctx.now);
                if let Some(c) = &current {
                    if c.status == "True" {
                        cond.last_transition_time = c.last_transition_time.clone();
                    }
                    remove_condition(&mut status, "Progressing");
                }
                set_condition(&mut status, cond);
            } else if timed_out(d, &status, ctx.now) {
                let name = d.metadata.name.clone().unwrap_or_default();
                let message = match &new_name {
                    Some(n) => format!("ReplicaSet \"{n}\" has timed out progressing."),
                    None => format!("Deployment \"{name}\" has timed out progressing."),
                };
                set_condition(
                    &mut status,
                    new_condition(
                        "Progressing",
                        "False",
                        "ProgressDeadlineExceeded",
                        message,
                        ctx.now,
                    ),
                );
            }
        }
        if d.status.as_ref() == Some(&status) {
            self.requeue_stuck(d, &status, ctx);
            return;
        }
        d.status = Some(status);
        self.write_status(d, ctx);
    }

    /// `requeueStuckDeployment`: a rollout still progressing is checked again a second after
    /// its deadline would pass.
    fn requeue_stuck(&mut self, d: &Deployment, status: &DeploymentStatus, ctx: &mut Ctx<'_>) {
        let Some(deadline) = progress_deadline(d) else {
            return;
        };
        let Some(cond) = condition(status, "Progressing") else {
            return;
        };
        let reason = cond.reason.as_deref().unwrap_or("");
        if is_complete(d, status)
            || reason == "NewReplicaSetAvailable"
            || reason == "ProgressDeadlineExceeded"
        {
            return;
        }
        let from = cond
            .last_update_time
            .as_ref()
            .map(SimTime::from_k8s_time)
            .unwrap_or(ctx.now);
        let after = from.plus(deadline).since(ctx.now);
        let key = key_of(&d.metadata);
        let delay = if after < SimDuration::secs(1) {
            SimDuration::millis(5)
        } else {
            SimDuration::millis(after.as_millis() + 1000)
        };
        self.queue.add_after(key, delay, ctx);
    }
}

impl Component for DeploymentController {
    fn name(&self) -> &str {
        NAME
    }

    fn user(&self) -> &UserInfo {
        &self.user
    }

    fn watches(&self) -> Vec<WatchFilter> {
        vec![
            WatchFilter::prefix("/registry/deployments/"),
            WatchFilter::prefix("/registry/replicasets/"),
            WatchFilter::prefix("/registry/pods/"),
        ]
    }

    fn on_watch(&mut self, event: &WatchEvent, ctx: &mut Ctx<'_>) {
        match &*event.object {
            Object::Deployment(d) => {
                let key = key_of(&d.metadata);
                self.queue.add(key, ctx);
            }
            Object::ReplicaSet(rs) => {
                let (ns, _) = key_of(&rs.metadata);
                match controller_of(&rs.metadata) {
                    Some(r) if r.kind == "Deployment" => self.queue.add((ns, r.name.clone()), ctx),
                    Some(_) => {}
                    None => {
                        for o in ctx.list("Deployment", Some(&ns)) {
                            if let Object::Deployment(d) = &*o {
                                let sel = d.spec.as_ref().map(|s| &s.selector);
                                if sel.is_some_and(|s| {
                                    label_selector_matches(s, rs.metadata.labels.as_ref())
                                }) {
                                    let key = key_of(&d.metadata);
                                    self.queue.add(key, ctx);
                                }
                            }
                        }
                    }
                }
            }
            Object::Pod(pod) if event.type_ == crate::store::WatchEventType::Deleted => {
                // Recreate waits for old pods to be gone.
                let (ns, _) = key_of(&pod.metadata);
                let Some(r) = controller_of(&pod.metadata).filter(|r| r.kind == "ReplicaSet")
                else {
                    return;
                };
                if let Some(Object::ReplicaSet(rs)) = ctx.get("ReplicaSet", &ns, &r.name).as_deref()
                {
                    if let Some(owner) = controller_of(&rs.metadata) {
                        let name = owner.name.clone();
                        self.queue.add((ns, name), ctx);
                    }
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
