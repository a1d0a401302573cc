//! kubectl's imperative edits as [`Cluster`] methods: `kubectl label` and `kubectl taint`, each
//! a PATCH through the API server as the given user, with kubectl's exact output lines.

use k8s_openapi::api::core::v1::Taint;

use super::{ApplyResult, Cluster};
use crate::apiserver::{UserInfo, Verb};
use crate::object::{kind_for_resource, Object};

/// One `key=value` / `key-` argument of `kubectl label`.
enum LabelEdit {
    Set(String, String),
    Remove(String),
}

impl Cluster {
    /// The identity `kubectl` runs as in this scenario (its `as` user, else the admin).
    pub fn kubectl_user(&self) -> UserInfo {
        self.scenario_user(None)
    }

    /// `kubectl create -f <source>`: every document is POSTed as is (no last-applied
    /// annotation); one that exists already is kubectl's `AlreadyExists` error.
    pub fn create_as(&mut self, text: &str, source: &str, user: &UserInfo) -> Vec<ApplyResult> {
        let docs = match crate::intake::parse_manifest(text, source) {
            Ok(d) => d,
            Err(e) => return vec![ApplyResult::err(e.to_string())],
        };
        let (mut ok, mut errors) = (Vec::new(), Vec::new());
        for doc in &docs {
            let obj = match crate::intake::decode(doc, source) {
                Ok(o) => o,
                Err(crate::intake::DecodeError::Client(text)) => {
                    errors.push(ApplyResult::err(text));
                    continue;
                }
                Err(e) => {
                    errors.push(ApplyResult::err(e.kubectl_message("creating")));
                    continue;
                }
            };
            let r = self.create_object(obj, user, "kubectl", source);
            if r.ok {
                ok.push(r);
            } else {
                errors.push(r);
            }
        }
        ok.extend(errors);
        ok
    }

    /// A client's `POST` of a typed object (client-go's `Create`), written as `client`: what
    /// `kubectl create` sends for each document, and how scheduler_perf's `createPods` makes
    /// its pods. The result reads as kubectl's (`pod/web created`, or the error it would print
    /// for `source`).
    pub fn create_object(
        &mut self,
        obj: Object,
        user: &UserInfo,
        client: &str,
        source: &str,
    ) -> ApplyResult {
        let info = obj.info();
        let outcome = self.api.create(user, obj, self.now, &mut self.rng, client);
        self.record(&outcome);
        match outcome.result {
            Ok(stored) => {
                self.after_create(&stored);
                let name = stored.meta().name.as_deref().unwrap_or_default();
                ApplyResult::ok(
                    format!("{}/{name} created", info.kubectl_resource()),
                    outcome
                        .warnings
                        .iter()
                        .map(|w| format!("Warning: {w}"))
                        .collect(),
                )
            }
            Err(e) => ApplyResult::err(e.kubectl_message("creating", source)),
        }
    }

    /// `kubectl label <resource> <name> k=v… k-… [--overwrite]`: `node/node-2 labeled`,
    /// `… unlabeled` when only removing, `… not labeled` when nothing changes.
    pub fn label(
        &mut self,
        resource: &str,
        namespace: &str,
        name: &str,
        args: &[&str],
        overwrite: bool,
        user: &UserInfo,
    ) -> ApplyResult {
        let Some(info) = kind_for_resource(resource) else {
            return ApplyResult::err(format!(
                "error: the server doesn't have a resource type \"{resource}\""
            ));
        };
        let mut edits = Vec::new();
        for arg in args {
            if let Some(key) = arg.strip_suffix('-') {
                edits.push(LabelEdit::Remove(key.to_string()));
            } else if let Some((k, v)) = arg.split_once('=') {
                edits.push(LabelEdit::Set(k.to_string(), v.to_string()));
            } else {
                return ApplyResult::err(format!("error: invalid label spec: {arg}"));
            }
        }
        if edits.is_empty() {
            return ApplyResult::err("error: at least one label update is required".into());
        }
        let ns = if info.namespaced { namespace } else { "" };
        let Some(live) = self.api.get(info.kind, ns, name) else {
            return ApplyResult::err(not_found(info.resource, info.group, name));
        };
        let mut obj = (*live).clone();
        let labels = obj.meta_mut().labels.get_or_insert_with(Default::default);
        let mut removed_only = true;
        for edit in &edits {
            match edit {
                LabelEdit::Set(k, v) => {
                    removed_only = false;
                    match labels.get(k) {
                        Some(old) if old != v && !overwrite => {
                            return ApplyResult::err(format!(
                                "error: '{k}' already has a value ({old}), and --overwrite is false"
                            ));
                        }
                        _ => {
                            labels.insert(k.clone(), v.clone());
                        }
                    }
                }
                LabelEdit::Remove(k) => {
                    labels.remove(k);
                }
            }
        }
        if obj.meta().labels.as_ref().is_some_and(|l| l.is_empty()) {
            obj.meta_mut().labels = None;
        }
        let shown = format!("{}/{name}", info.kubectl_resource());
        if obj == *live {
            return ApplyResult::ok(format!("{shown} not labeled"), Vec::new());
        }
        let verb = if removed_only && !overwrite {
            "unlabeled"
        } else {
            "labeled"
        };
        self.patch(obj, user, format!("{shown} {verb}"))
    }

    /// `kubectl taint nodes <node> key[=value]:Effect… | key[:Effect]-… [--overwrite]`:
    /// `node/node-1 tainted` / `untainted` / `modified`.
    pub fn taint(
        &mut self,
        node: &str,
        args: &[&str],
        overwrite: bool,
        user: &UserInfo,
    ) -> ApplyResult {
        let Some(live) = self.api.get("Node", "", node) else {
            return ApplyResult::err(not_found("nodes", "", node));
        };
        let mut obj = (*live).clone();
        let Object::Node(n) = &mut obj else {
            return ApplyResult::err(not_found("nodes", "", node));
        };
        let taints = n
            .spec
            .get_or_insert_with(Default::default)
            .taints
            .get_or_insert_with(Vec::new);
        let (mut added, mut removed) = (false, false);
        for arg in args {
            if let Some(spec) = arg.strip_suffix('-') {
                let (key, effect) = match spec.split_once(':') {
                    Some((k, e)) => (k, Some(e)),
                    None => (spec, None),
                };
                let before = taints.len();
                taints.retain(|t| !(t.key == key && effect.is_none_or(|e| t.effect == e)));
                if taints.len() == before {
                    return ApplyResult::err(format!("error: taint {spec:?} not found"));
                }
                removed = true;
                continue;
            }
            let Some((kv, effect)) = arg.rsplit_once(':') else {
                return ApplyResult::err(format!("error: invalid taint spec: {arg}"));
            };
            if !matches!(effect, "NoSchedule" | "PreferNoSchedule" | "NoExecute") {
                return ApplyResult::err(format!(
                    "error: invalid taint effect: {effect}, unsupported taint effect"
                ));
            }
            let (key, value) = match kv.split_once('=') {
                Some((k, v)) => (k, Some(v.to_string())),
                None => (kv, None),
            };
            if let Some(existing) = taints
                .iter_mut()
                .find(|t| t.key == key && t.effect == effect)
            {
                if !overwrite {
                    return ApplyResult::err(format!(
                        "error: node {node} already has {key} taint(s) with same effect(s) and --overwrite is false"
                    ));
                }
                existing.value = value;
            } else {
                taints.push(Taint {
                    key: key.to_string(),
                    value,
                    effect: effect.to_string(),
                    time_added: None,
                });
            }
            added = true;
        }
        if n.spec
            .as_ref()
            .and_then(|s| s.taints.as_ref())
            .is_some_and(|t| t.is_empty())
        {
            if let Some(spec) = n.spec.as_mut() {
                spec.taints = None;
            }
        }
        let verb = match (added, removed) {
            _ if overwrite => "modified",
            (true, true) => "modified",
            (false, true) => "untainted",
            _ => "tainted",
        };
        self.patch(obj, user, format!("node/{node} {verb}"))
    }

    /// PATCHes `obj` (a changed copy of a live object) as `user`, as a client-side kubectl
    /// command ends (`rollout undo`, …); `line` is what kubectl prints on success.
    pub fn patch_object(&mut self, obj: Object, user: &UserInfo, line: String) -> ApplyResult {
        self.patch(obj, user, line)
    }

    /// PATCHes `obj` as `user` as kubectl does; `line` is what kubectl prints on success.
    fn patch(&mut self, obj: Object, user: &UserInfo, line: String) -> ApplyResult {
        let outcome = self
            .api
            .update(user, Verb::Patch, obj, self.now, &mut self.rng, "kubectl");
        self.record(&outcome);
        match outcome.result {
            Ok(_) => ApplyResult::ok(line, Vec::new()),
            Err(e) => ApplyResult::err(e.kubectl_message("", "")),
        }
    }
}

/// `Error from server (NotFound): nodes "x" not found` (`deployments.apps "x"` for grouped
/// resources).
fn not_found(resource: &str, group: &str, name: &str) -> String {
    if group.is_empty() {
        format!("Error from server (NotFound): {resource} \"{name}\" not found")
    } else {
        format!("Error from server (NotFound): {resource}.{group} \"{name}\" not found")
    }
}
