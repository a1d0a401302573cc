//! The flow trace: one step per thing a component did (an API server stage, a store write, a
//! scheduling decision, a kubelet action), tied to the object it concerned. The playground's flow
//! view and the CLI's `-o timeline` are both renderings of this trace.

use std::collections::VecDeque;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::sim::SimTime;

/// Which step of the pod-creation flow a trace step belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stage {
    /// kubectl parsing and sending the manifest.
    Kubectl,
    /// Who is asking (certificates, tokens).
    Authentication,
    /// RBAC and the Node authorizer.
    Authorization,
    /// Scheme defaulting.
    Defaulting,
    /// Mutating admission plugins.
    MutatingAdmission,
    /// The registry strategy's PrepareForCreate/Update.
    Prepare,
    /// Field validation.
    Validation,
    /// Validating admission plugins.
    ValidatingAdmission,
    /// The etcd write.
    Storage,
    /// The scheduler.
    Scheduling,
    /// Binding the pod to a node.
    Binding,
    /// The kubelet.
    Kubelet,
    /// The container runtime.
    Runtime,
    /// Probes.
    Probe,
    /// Controllers (ReplicaSet, Deployment, …).
    Controller,
}

impl Stage {
    /// The stage as the timeline prints it.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Kubectl => "kubectl",
            Stage::Authentication => "authentication",
            Stage::Authorization => "authorization",
            Stage::Defaulting => "defaulting",
            Stage::MutatingAdmission => "mutating-admission",
            Stage::Prepare => "prepare",
            Stage::Validation => "validation",
            Stage::ValidatingAdmission => "validating-admission",
            Stage::Storage => "etcd",
            Stage::Scheduling => "scheduling",
            Stage::Binding => "binding",
            Stage::Kubelet => "kubelet",
            Stage::Runtime => "runtime",
            Stage::Probe => "probe",
            Stage::Controller => "controller",
        }
    }
}

/// One step of the flow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceStep {
    /// When it happened.
    pub time: SimTime,
    /// Who did it, e.g. `kube-apiserver`, `kube-scheduler`, `kubelet/node-1` (shared by the
    /// steps of one component).
    pub component: Arc<str>,
    /// Which stage of the flow.
    pub stage: Stage,
    /// The object, as `kind/namespace/name` or `kind/name` (shared by the steps of one request).
    pub object: Arc<str>,
    /// What happened, in a sentence (plugin name first where there is one).
    pub detail: String,
}

/// A trace step's object (`kind/namespace/name`), given as text or as a shared string that
/// several steps about the same object can hold without copying it.
pub trait TraceObject {
    /// The step's object.
    fn into_object(self) -> Arc<str>;
}

impl TraceObject for Arc<str> {
    fn into_object(self) -> Arc<str> {
        self
    }
}

impl TraceObject for &Arc<str> {
    fn into_object(self) -> Arc<str> {
        Arc::clone(self)
    }
}

impl TraceObject for String {
    fn into_object(self) -> Arc<str> {
        self.into()
    }
}

impl TraceObject for &String {
    fn into_object(self) -> Arc<str> {
        self.as_str().into()
    }
}

impl TraceObject for &str {
    fn into_object(self) -> Arc<str> {
        self.into()
    }
}

/// A bounded, append-only log of trace steps with a running sequence number.
#[derive(Debug, Clone)]
pub struct Trace {
    steps: VecDeque<TraceStep>,
    first_seq: u64,
    capacity: usize,
}

/// How many steps a cluster's trace keeps: about 13 MB of steps, hours of a busy small cluster
/// (a pod's whole creation is about 50 steps), and what keeps a long run's memory flat.
pub const TRACE_CAPACITY: usize = 50_000;

impl Default for Trace {
    fn default() -> Self {
        Trace::with_capacity(TRACE_CAPACITY)
    }
}

impl Trace {
    /// A trace keeping at most `capacity` most recent steps.
    pub fn with_capacity(capacity: usize) -> Trace {
        Trace {
            steps: VecDeque::new(),
            first_seq: 0,
            capacity: capacity.max(1),
        }
    }

    /// Appends a step, dropping the oldest past the capacity.
    pub fn push(&mut self, step: TraceStep) {
        if self.steps.len() == self.capacity {
            self.steps.pop_front();
            self.first_seq += 1;
        }
        self.steps.push_back(step);
    }

    /// The sequence number the next step will get.
    pub fn next_seq(&self) -> u64 {
        self.first_seq + self.steps.len() as u64
    }

    /// Steps from sequence number `seq` on (those still kept).
    pub fn since(&self, seq: u64) -> impl Iterator<Item = &TraceStep> {
        let skip = seq.saturating_sub(self.first_seq) as usize;
        self.steps.iter().skip(skip)
    }

    /// Every step still kept, oldest first.
    pub fn steps(&self) -> impl Iterator<Item = &TraceStep> {
        self.steps.iter()
    }

    /// Every step still kept with its sequence number, oldest first.
    pub fn numbered(&self) -> impl Iterator<Item = (u64, &TraceStep)> {
        (self.first_seq..).zip(self.steps.iter())
    }

    /// The sequence number of the oldest step kept.
    pub fn first_seq(&self) -> u64 {
        self.first_seq
    }

    /// Step `seq`, if it is still kept.
    pub fn get(&self, seq: u64) -> Option<&TraceStep> {
        let i = usize::try_from(seq.checked_sub(self.first_seq)?).ok()?;
        self.steps.get(i)
    }
}

/// Which steps of a [`Trace`] concern each object, kept up to date by [`TraceIndex::sync`]
/// with the steps added and dropped since the last sync, so that one object's steps are found
/// without a pass over the whole trace (50,000 steps).
#[derive(Debug, Default)]
pub struct TraceIndex {
    /// The sequence number of the oldest step indexed.
    first: u64,
    /// The object of each step indexed, from `first` on.
    objects: VecDeque<Arc<str>>,
    /// The sequence numbers of each object's steps, oldest first.
    by_object: std::collections::BTreeMap<Arc<str>, VecDeque<u64>>,
}

impl TraceIndex {
    /// Forgets the steps `trace` no longer keeps and indexes those it added.
    pub fn sync(&mut self, trace: &Trace) {
        while self.first < trace.first_seq() {
            let Some(object) = self.objects.pop_front() else {
                break;
            };
            if let Some(seqs) = self.by_object.get_mut(&object) {
                seqs.pop_front();
                if seqs.is_empty() {
                    self.by_object.remove(&object);
                }
            }
            self.first += 1;
        }
        let next = self.first + self.objects.len() as u64;
        let from = next.max(trace.first_seq());
        if self.objects.is_empty() {
            self.first = from;
        }
        for (seq, step) in (from..).zip(trace.since(from)) {
            self.objects.push_back(Arc::clone(&step.object));
            self.by_object
                .entry(Arc::clone(&step.object))
                .or_default()
                .push_back(seq);
        }
    }

    /// The sequence numbers of the steps about `object` still kept, oldest first.
    pub fn seqs(&self, object: &str) -> impl Iterator<Item = u64> + '_ {
        self.by_object.get(object).into_iter().flatten().copied()
    }
}
