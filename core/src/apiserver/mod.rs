//! The simulated kube-apiserver: the request pipeline every component goes through
//! (authentication → authorization → decode and defaulting → mutating admission → validation →
//! validating admission → storage), and the errors it answers with.

pub mod admission;
pub mod authn;
pub mod authz;
pub mod bootstrap;
pub mod defaults;
pub mod errors;
pub mod leases;
pub mod prepare;
pub mod request;
pub mod server;
pub mod validation;

pub use errors::{ApiError, FieldError, FieldErrorType, Reason};
pub use request::{Attributes, Lookup, RequestContext, UserInfo, Verb};
