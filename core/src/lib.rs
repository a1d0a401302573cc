//! # podflow-core: a Kubernetes v1.33 control plane, simulated
//!
//! This crate is the whole simulated cluster behind podflow. It is deterministic and platform
//! independent: no I/O, no wall clock, no OS randomness. The same scenario and seed always give
//! the same event log, natively and in WebAssembly.
//!
//! ## A guided tour, in the order a manifest travels
//!
//! * [`Cluster`] owns everything: the virtual clock, the seeded RNG, the API server and its
//!   store, the timer queue and the flow trace. The CLI and the playground only call it
//!   ([`Cluster::load`], [`Cluster::apply`], [`Cluster::step`], [`Cluster::run_for`]) and render
//!   its [`Snapshot`]s.
//! * [`component`] is how the scheduler, kubelets and controllers live in the cluster: a
//!   `Component` learns of changes only from store watches and acts only through the API server.
//! * [`intake`] is kubectl's side: manifest text (YAML, flow-style YAML, JSON, `List`s) into
//!   documents, then strictly decoded into typed `k8s-openapi` objects with kubectl's and the API
//!   server's error texts.
//! * [`kubectl`] holds kubectl's client logic and output formats: `apply`'s three-way merge,
//!   ages, the server-side table printers of every kind, pod STATUS, `describe`, `-o yaml`.
//! * [`console`] is the playground's kubectl command line: one line in (`kubectl get pods -o
//!   wide`, `rollout undo`, `logs`, …), kubectl's exact output out, acting on the [`Cluster`].
//! * [`apiserver`] is the request pipeline: authentication, RBAC, scheme defaulting, mutating
//!   admission, the registry strategy, validation, validating admission, then the store — each
//!   stage recorded in the [`trace`].
//! * [`store`] is the etcd behind the API server: one global revision, resourceVersions,
//!   watches routed by prefix and node, a bounded change log and per-key history with diffs.
//!   Its point lookups go through a [`hash_index`], a fixed-key hash map for tables whose order
//!   never reaches output; what is listed in order stays in a `BTreeMap`. It keeps Events, most
//!   of a cluster's objects, packed into one buffer each and unpacks one when it is read.
//! * [`events`] records Kubernetes Events as client-go does (counts, series, aggregation).
//! * [`object`] lists every API kind the simulated API server serves, as real `k8s-openapi`
//!   types, with their resource names and etcd key prefixes; [`quantity`] does exact resource
//!   arithmetic.
//! * [`scheduler`] is kube-scheduler as a pure library: the framework's extension points, the
//!   default plugins with upstream order and weights, `schedule_one` with sampling, scoring,
//!   preemption and the exact FailedScheduling text, the scheduling queue and a per-attempt
//!   decision record for the UI.
//! * [`controllers`] is kube-controller-manager: the ReplicaSet, Deployment, DaemonSet, Job,
//!   EndpointSlice, ResourceQuota, pod-GC and garbage-collector reconcile loops, the node
//!   lifecycle controller (NodeStatusUnknown, unreachable taints), taint-based eviction and the
//!   namespace controller,
//!   each a component fed by watches and writing through the API server as its own identity.
//! * [`nodes`] builds the default node pool as real `v1` Node objects; [`scenario`] is the
//!   document for what Kubernetes has no object for (seed, users, timed actions); [`share`]
//!   puts a scenario text and the playhead in a URL fragment and reads it back within limits.
//! * [`kubelet`] holds the kubelet's pure parts: restart and pull back-off, the timing table,
//!   the node image cache and pull events, probe workers, and pod phase and conditions; and its
//!   node heartbeats (the node Lease and node status), a component per node that a failed node
//!   stops ([`Cluster::fail_node`]) and a recovered one restarts ([`Cluster::recover_node`]).
//! * [`runtime`] is the simulated containerd: an image catalog, per-container filesystems and a
//!   resumable shell that runs the docs' commands in virtual time.
//! * [`sim`] is the deterministic world underneath: [`sim::SimTime`], the timer queue and
//!   [`sim::SimRng`], the only source of randomness.
//! * [`snapshot`] turns objects into ready-to-render views (kubectl's STATUS, READY, AGE);
//!   [`overview`] keeps the nodes and pod counts of a big cluster from a store feed, so a
//!   frontend redraws them without viewing every pod; [`text`] cuts text to Kubernetes' byte
//!   limits on character boundaries and writes the hex of IDs and Event names.
//! * [`flow`] is the playground's nine-step pipeline (kubectl → API server → etcd → scheduler →
//!   binding → kubelet → runtime → Ready → continuous management): a narration of each step in
//!   English and Chinese, and which [`trace`] steps of one Pod belong to which.
//! * [`presets`] are the playground's ready-made scenarios (`web/presets/*.yaml`), each with a
//!   title, a short explanation in English and Chinese, and how long to run it.

pub mod apiserver;
pub mod cluster;
pub mod component;
pub mod console;
pub mod controllers;
pub mod events;
pub mod flow;
pub mod hash_index;
pub mod intake;
pub mod kubectl;
pub mod kubelet;
pub mod nodes;
pub mod object;
pub mod overview;
pub mod presets;
pub mod quantity;
pub mod runtime;
pub mod scenario;
pub mod scheduler;
pub mod session;
pub mod share;
pub mod sim;
pub mod snapshot;
pub mod store;
pub mod text;
pub mod trace;

pub use cluster::{ApplyResult, Cluster, ClusterConfig, LogsOutput, StepReport};
pub use snapshot::{NodeView, PodView, Snapshot};
