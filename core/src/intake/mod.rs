//! The intake: manifest text → typed API objects, with kubectl's and the API server's exact
//! error messages.
//!
//! * [`yaml`] reads the text as kubectl's resource builder does (documents, JSON streams, Lists,
//!   YAML 1.1 scalars) into [`Document`]s, refusing hostile input within fixed limits, and
//!   [`locate`]s a field path back to a line and column for the editor.
//! * [`decode`](mod@decode) turns a document into an [`Object`](crate::object::Object):
//!   kubectl's client-side checks first, then the API server's strict decoding.

pub mod decode;
pub mod yaml;

pub use decode::{decode, DecodeError};
pub use yaml::{locate, parse_manifest, parse_manifest_bytes, Document, IntakeError};
