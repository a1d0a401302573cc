//! JSON documents → typed objects, in the order kubectl and the API server check them: kubectl's
//! client-side `apiVersion`/`kind` validation, then the REST mapping (`no matches for kind`),
//! then the API server's strict decoding (`fieldValidation=Strict`, kubectl's default).
//!
//! Strict decoding follows sigs.k8s.io/json (the API server's fork of Go's `encoding/json`):
//! unknown fields are collected with paths like `spec.containers[0].imagee` (map keys as
//! `.key`), deduplicated, at most 100; a type mismatch wins over unknown fields and reads as Go's
//! `UnmarshalTypeError` (`json: cannot unmarshal string into Go struct field
//! PodSpec.spec.containers of type []v1.Container`); `null` leaves a field at its zero value.
//! Fields come in the sorted key order kubectl sends them in (Go marshals maps sorted).
//!
//! Duplicate keys never reach the server from kubectl: its YAML → JSON conversion and its JSON
//! reader both keep the last value (checked with the real kubectl v1.32), and so does the intake.
//!
//! The decoder is a small serde `Deserializer` over `serde_json::Value` of our own rather than
//! `serde_ignored` + `serde_path_to_error`: Go's messages need what only the deserializer sees
//! (the Go type asked for, the innermost struct, Go's `null` rule, `1e3` into an `int32`).

use std::cell::RefCell;
use std::fmt;

use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};
use serde_json::Value;

use super::yaml::Document;
use crate::apiserver::{ApiError, Reason};
use crate::object::{kind_for, Object};

/// Why a document could not become an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// An error kubectl reports before sending anything; the text is the whole `error: …`
    /// output (possibly several lines).
    Client(String),
    /// The API server's answer (reason `BadRequest` for decoding errors).
    Server {
        /// The error (boxed: `ApiError` is large).
        error: Box<ApiError>,
        /// The file name kubectl names in `error when creating "<file>"`.
        source: String,
    },
}

impl DecodeError {
    /// The lines kubectl prints when `operation` (`creating`, `applying`, …) fails this way.
    pub fn kubectl_message(&self, operation: &str) -> String {
        match self {
            DecodeError::Client(text) => text.clone(),
            DecodeError::Server { error, source } => error.kubectl_message(operation, source),
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.kubectl_message("creating"))
    }
}

impl std::error::Error for DecodeError {}

/// The most strict-decoding errors one request reports (sigs.k8s.io/json's cap).
const MAX_STRICT_ERRORS: usize = 100;

/// Decodes one document into its typed object as `kubectl create -f <source>` would have the
/// API server do it.
pub fn decode(doc: &Document, source: &str) -> Result<Object, DecodeError> {
    let value = &doc.value;
    // 1. kubectl's client-side validation (kubectl/pkg/validation getObjectKind).
    let mut problems: Vec<String> = Vec::new();
    let mut group_version = None;
    match value.get("apiVersion") {
        None | Some(Value::Null) => problems.push("apiVersion not set".to_string()),
        Some(Value::String(gv)) => {
            if gv.matches('/').count() > 1 {
                problems.push(format!("unexpected GroupVersion string: {gv}"));
            } else {
                group_version = Some(gv.as_str());
            }
        }
        Some(_) => problems.push("apiVersion isn't string type".to_string()),
    }
    let kind = match value.get("kind") {
        None | Some(Value::Null) => {
            problems.push("kind not set".to_string());
            None
        }
        Some(Value::String(k)) => Some(k.as_str()),
        Some(_) => {
            problems.push("kind isn't string type".to_string());
            None
        }
    };
    let (Some(group_version), Some(kind), true) = (group_version, kind, problems.is_empty()) else {
        let list = match problems.as_slice() {
            [one] => one.clone(),
            many => format!("[{}]", many.join(", ")),
        };
        return Err(DecodeError::Client(format!(
            "error: error validating \"{source}\": error validating data: {list}; if you choose to ignore these errors, turn validation off with --validate=false"
        )));
    };

    // 2. The REST mapping (kubectl's resource builder, mapper.go).
    let Some(info) = kind_for(group_version, kind) else {
        let meta = |field: &str| {
            value
                .get("metadata")
                .and_then(|m| m.get(field))
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        let version = if group_version == "/" {
            ""
        } else {
            group_version
        };
        return Err(DecodeError::Client(format!(
            "error: resource mapping not found for name: {} namespace: {} from {}: no matches for kind {} in version {}\nensure CRDs are installed first",
            go_quote(&meta("name")),
            go_quote(&meta("namespace")),
            go_quote(source),
            go_quote(kind),
            go_quote(version),
        )));
    };

    // 3. The API server's strict decoding.
    let server_error = |detail: String| DecodeError::Server {
        error: Box::new(ApiError::new(
            Reason::BadRequest,
            format!(
                "{kind} in version {} cannot be handled as a {kind}: {detail}",
                go_quote(info.version)
            ),
        )),
        source: source.to_string(),
    };
    let unknown = RefCell::new(Vec::new());
    let de = GoJson {
        value,
        strict_path: String::new(),
        fields: String::new(),
        owner: None,
        struct_field: false,
        unknown: &unknown,
    };
    let object = match Object::deserialize_kind(info.kind, de) {
        Ok(object) => object,
        Err(GoError(message)) => return Err(server_error(message)),
    };
    let unknown = unknown.into_inner();
    if !unknown.is_empty() {
        let list = unknown
            .iter()
            .map(|path| format!("unknown field {}", go_quote(path)))
            .collect::<Vec<_>>()
            .join(", ");
        return Err(server_error(format!("strict decoding error: {list}")));
    }
    Ok(object)
}

/// Go's `strconv.Quote` for the strings that occur here.
fn go_quote(s: &str) -> String {
    crate::apiserver::errors::go_quote(s)
}

impl Object {
    /// Decodes `kind` from any serde deserializer (the strict intake passes its Go-faithful one).
    fn deserialize_kind<'de, D: de::Deserializer<'de>>(
        kind: &str,
        deserializer: D,
    ) -> Result<Object, D::Error> {
        use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet};
        use k8s_openapi::api::batch::v1::Job;
        use k8s_openapi::api::coordination::v1::Lease;
        use k8s_openapi::api::core::v1::{
            ConfigMap, Event, LimitRange, Namespace, Node, PersistentVolume, PersistentVolumeClaim,
            Pod, ResourceQuota, Secret, Service, ServiceAccount,
        };
        use k8s_openapi::api::discovery::v1::EndpointSlice;
        use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, Role, RoleBinding};
        use k8s_openapi::api::scheduling::v1::PriorityClass;
        use serde::Deserialize;
        macro_rules! by_kind {
            ($($ty:ident),*) => {
                match kind {
                    $( stringify!($ty) => $ty::deserialize(deserializer).map(Object::from), )*
                    other => Err(de::Error::custom(format!("no kind {other} is registered"))),
                }
            };
        }
        by_kind!(
            Namespace,
            Node,
            Pod,
            ConfigMap,
            Secret,
            ServiceAccount,
            Service,
            LimitRange,
            ResourceQuota,
            PersistentVolumeClaim,
            PersistentVolume,
            Event,
            PriorityClass,
            Role,
            ClusterRole,
            RoleBinding,
            ClusterRoleBinding,
            ReplicaSet,
            Deployment,
            DaemonSet,
            Job,
            Lease,
            EndpointSlice
        )
    }
}

/// A decoding error, already in Go's words.
#[derive(Debug)]
struct GoError(String);

impl fmt::Display for GoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for GoError {}

impl de::Error for GoError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        GoError(msg.to_string())
    }
}

/// The Go type name of a k8s-openapi struct, e.g. `v1.Container`.
fn go_struct_type(name: &str) -> String {
    match name {
        "Quantity" => "resource.Quantity".to_string(),
        "IntOrString" => "intstr.IntOrString".to_string(),
        "RawExtension" => "runtime.RawExtension".to_string(),
        other => format!("v1.{other}"),
    }
}

/// Go's description of a JSON value in `cannot unmarshal <what>`.
fn go_value_kind(value: &Value) -> String {
    match value {
        Value::Null => "null".to_string(),
        Value::Bool(_) => "bool".to_string(),
        Value::Number(_) => "number".to_string(),
        Value::String(_) => "string".to_string(),
        Value::Array(_) => "array".to_string(),
        Value::Object(_) => "object".to_string(),
    }
}

/// Go's text for a number literal as kubectl's encoder wrote it.
fn go_number(n: &serde_json::Number) -> String {
    match n.as_f64() {
        Some(f) if n.is_f64() && f.abs() >= 1e21 => {
            let s = format!("{f:e}");
            // Rust `1e21` → Go `1e+21`.
            match s.split_once('e') {
                Some((m, e)) if !e.starts_with('-') => format!("{m}e+{e}"),
                _ => s,
            }
        }
        _ => n.to_string(),
    }
}

/// A deserializer over one JSON value that behaves like sigs.k8s.io/json's strict decoder.
struct GoJson<'a> {
    value: &'a Value,
    /// The strict-error path so far, e.g. `spec.containers[0]`.
    strict_path: String,
    /// Go's `FieldStack` joined with `.` (struct fields only, no indices or map keys).
    fields: String,
    /// The innermost struct whose field this is (Go's `errorContext.Struct`).
    owner: Option<&'static str>,
    /// Whether this value belongs to a struct field (so ignoring it means "unknown field").
    struct_field: bool,
    unknown: &'a RefCell<Vec<String>>,
}

impl<'a> GoJson<'a> {
    fn child(&self, value: &'a Value, strict_path: String) -> GoJson<'a> {
        GoJson {
            value,
            strict_path,
            fields: self.fields.clone(),
            owner: self.owner,
            struct_field: false,
            unknown: self.unknown,
        }
    }

    /// `json: cannot unmarshal <what> into Go struct field <Struct>.<fields> of type <type>`.
    fn type_error(&self, what: String, go_type: &str) -> GoError {
        match self.owner {
            Some(owner) => GoError(format!(
                "json: cannot unmarshal {what} into Go struct field {owner}.{} of type {go_type}",
                self.fields
            )),
            None => GoError(format!(
                "json: cannot unmarshal {what} into Go value of type {go_type}"
            )),
        }
    }

    fn mismatch(&self, go_type: &str) -> GoError {
        self.type_error(go_value_kind(self.value), go_type)
    }

    fn integer<V: Visitor<'a>>(
        self,
        visitor: V,
        go_type: &str,
        min: i64,
        max: i64,
    ) -> Result<V::Value, GoError> {
        match self.value {
            Value::Null => visitor.visit_i64(0),
            Value::Number(n) => {
                let exact = n.as_i64().or_else(|| {
                    n.as_f64()
                        .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e18)
                        .map(|f| f as i64)
                });
                match exact {
                    Some(i) if (min..=max).contains(&i) => visitor.visit_i64(i),
                    _ => Err(self.type_error(format!("number {}", go_number(n)), go_type)),
                }
            }
            _ => Err(self.mismatch(go_type)),
        }
    }

    /// Records an unknown field (deduplicated, capped as upstream).
    fn record_unknown(&self) {
        let mut unknown = self.unknown.borrow_mut();
        if unknown.len() < MAX_STRICT_ERRORS && !unknown.contains(&self.strict_path) {
            unknown.push(self.strict_path.clone());
        }
    }
}

fn join_key(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

impl<'a> de::Deserializer<'a> for GoJson<'a> {
    type Error = GoError;

    fn deserialize_any<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, GoError> {
        match self.value {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Number(n) => {
                if let Some(i) = n.as_i64() {
                    visitor.visit_i64(i)
                } else if let Some(u) = n.as_u64() {
                    visitor.visit_u64(u)
                } else {
                    visitor.visit_f64(n.as_f64().unwrap_or(0.0))
                }
            }
            Value::String(s) => visitor.visit_borrowed_str(s),
            Value::Array(items) => visitor.visit_seq(Seq {
                parent: &self,
                items: items.iter().enumerate(),
            }),
            Value::Object(map) => visitor.visit_map(Map {
                parent: &self,
                entries: map.iter(),
                pending: None,
                owner: None,
            }),
        }
    }

    fn deserialize_bool<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, GoError> {
        match self.value {
            Value::Null => visitor.visit_bool(false),
            Value::Bool(b) => visitor.visit_bool(*b),
            _ => Err(self.mismatch("bool")),
        }
    }

    fn deserialize_i8<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, GoError> {
        self.integer(visitor, "int8", i8::MIN.into(), i8::MAX.into())
    }
    fn deserialize_i16<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, GoError> {
        self.integer(visitor, "int16", i16::MIN.into(), i16::MAX.into())
    }
    fn deserialize_i32<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, GoError> {
        self.integer(visitor, "int32", i32::MIN.into(), i32::MAX.into())
    }
    fn deserialize_i64<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, GoError> {
        self.integer(visitor, "int64", i64::MIN, i64::MAX)
    }
    fn deserialize_u8<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, GoError> {
        self.integer(visitor, "uint8", 0, u8::MAX.into())
    }
    fn deserialize_u16<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, GoError> {
        self.integer(visitor, "uint16", 0, u16::MAX.into())
    }
    fn deserialize_u32<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, GoError> {
        self.integer(visitor, "uint32", 0, u32::MAX.into())
    }
    fn deserialize_u64<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, GoError> {
        self.integer(visitor, "uint64", 0, i64::MAX)
    }

    fn deserialize_f32<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, GoError> {
        self.deserialize_f64(visitor)
    }
    fn deserialize_f64<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, GoError> {
        match self.value {
            Value::Null => visitor.visit_f64(0.0),
            Value::Number(n) => visitor.visit_f64(n.as_f64().unwrap_or(0.0)),
            _ => Err(self.mismatch("float64")),
        }
    }

    fn deserialize_char<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, GoError> {
        self.deserialize_str(visitor)
    }
    fn deserialize_str<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, GoError> {
        match self.value {
            Value::Null => visitor.visit_str(""),
            Value::String(s) => visitor.visit_borrowed_str(s),
            _ => Err(self.mismatch("string")),
        }
    }
    fn deserialize_string<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, GoError> {
        self.deserialize_str(visitor)
    }
    fn deserialize_bytes<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, GoError> {
        match self.value {
            Value::Null => visitor.visit_bytes(&[]),
            Value::String(s) => visitor.visit_borrowed_str(s),
            _ => Err(self.mismatch("[]uint8")),
        }
    }
    fn deserialize_byte_buf<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, GoError> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_option<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, GoError> {
        match self.value {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_unit<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, GoError> {
        visitor.visit_unit()
    }
    fn deserialize_unit_struct<V: Visitor<'a>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, GoError> {
        visitor.visit_unit()
    }

    fn deserialize_newtype_struct<V: Visitor<'a>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, GoError> {
        if name == "Quantity" {
            // resource.Quantity has its own UnmarshalJSON: numbers and strings parse, `null` is
            // zero, anything else fails its format check (without Go's field context).
            return match self.value {
                Value::Null => visitor.visit_newtype_struct("0".into_deserializer()),
                Value::String(_) | Value::Number(_) => visitor.visit_newtype_struct(self),
                _ => Err(GoError(QUANTITY_FORMAT.to_string())),
            };
        }
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, GoError> {
        match self.value {
            Value::Array(items) => visitor.visit_seq(Seq {
                parent: &self,
                items: items.iter().enumerate(),
            }),
            Value::Null => visitor.visit_seq(Seq {
                parent: &self,
                items: [].iter().enumerate(),
            }),
            _ => {
                let element = probe_seq(visitor);
                Err(self.mismatch(&format!("[]{element}")))
            }
        }
    }
    fn deserialize_tuple<V: Visitor<'a>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, GoError> {
        self.deserialize_seq(visitor)
    }
    fn deserialize_tuple_struct<V: Visitor<'a>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, GoError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, GoError> {
        match self.value {
            Value::Object(map) => visitor.visit_map(Map {
                parent: &self,
                entries: map.iter(),
                pending: None,
                owner: None,
            }),
            Value::Null => visitor.visit_map(Map {
                parent: &self,
                entries: EMPTY.iter(),
                pending: None,
                owner: None,
            }),
            _ => {
                let element = probe_map(visitor);
                Err(self.mismatch(&format!("map[string]{element}")))
            }
        }
    }

    fn deserialize_struct<V: Visitor<'a>>(
        self,
        name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, GoError> {
        match self.value {
            Value::Object(map) => visitor.visit_map(Map {
                parent: &self,
                entries: map.iter(),
                pending: None,
                owner: Some(name),
            }),
            Value::Null => visitor.visit_map(Map {
                parent: &self,
                entries: EMPTY.iter(),
                pending: None,
                owner: Some(name),
            }),
            _ => Err(self.mismatch(&go_struct_type(name))),
        }
    }

    fn deserialize_enum<V: Visitor<'a>>(
        self,
        name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, GoError> {
        match self.value {
            Value::String(s) => visitor.visit_enum(s.as_str().into_deserializer()),
            _ => Err(self.mismatch(&go_struct_type(name))),
        }
    }

    fn deserialize_identifier<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, GoError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, GoError> {
        if self.struct_field {
            self.record_unknown();
        }
        visitor.visit_unit()
    }
}

/// An empty JSON object for `null` maps and structs.
static EMPTY: std::sync::LazyLock<serde_json::Map<String, Value>> =
    std::sync::LazyLock::new(serde_json::Map::new);

/// resource.Quantity's `ErrFormatWrong`.
const QUANTITY_FORMAT: &str =
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

struct Seq<'p, 'a> {
    parent: &'p GoJson<'a>,
    items: std::iter::Enumerate<std::slice::Iter<'a, Value>>,
}

impl<'a> de::SeqAccess<'a> for Seq<'_, 'a> {
    type Error = GoError;

    fn next_element_seed<T: DeserializeSeed<'a>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, GoError> {
        match self.items.next() {
            None => Ok(None),
            Some((i, value)) => {
                let path = format!("{}[{i}]", self.parent.strict_path);
                seed.deserialize(self.parent.child(value, path)).map(Some)
            }
        }
    }
}

struct Map<'p, 'a> {
    parent: &'p GoJson<'a>,
    entries: serde_json::map::Iter<'a>,
    pending: Option<(&'a String, &'a Value)>,
    /// The struct being decoded, or `None` for a Go map.
    owner: Option<&'static str>,
}

impl<'a> de::MapAccess<'a> for Map<'_, 'a> {
    type Error = GoError;

    fn next_key_seed<K: DeserializeSeed<'a>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, GoError> {
        match self.entries.next() {
            None => Ok(None),
            Some((key, value)) => {
                self.pending = Some((key, value));
                seed.deserialize(de::value::BorrowedStrDeserializer::new(key.as_str()))
                    .map(Some)
            }
        }
    }

    fn next_value_seed<V: DeserializeSeed<'a>>(&mut self, seed: V) -> Result<V::Value, GoError> {
        let Some((key, value)) = self.pending.take() else {
            return Err(GoError("json: value requested before key".to_string()));
        };
        let parent = self.parent;
        let path = join_key(&parent.strict_path, key);
        let child = match self.owner {
            Some(owner) => GoJson {
                value,
                strict_path: path,
                fields: join_key(&parent.fields, key),
                owner: Some(owner),
                struct_field: true,
                unknown: parent.unknown,
            },
            None => parent.child(value, path),
        };
        seed.deserialize(child)
    }
}

/// Go's name of a sequence's element type, learnt by offering the visitor one probe element.
fn probe_seq<'a, V: Visitor<'a>>(visitor: V) -> String {
    match visitor.visit_seq(ProbeSeq) {
        Err(ProbeError::Type(t)) => t,
        _ => "interface {}".to_string(),
    }
}

/// Go's name of a map's value type.
fn probe_map<'a, V: Visitor<'a>>(visitor: V) -> String {
    match visitor.visit_map(ProbeMap { given_key: false }) {
        Err(ProbeError::Type(t)) => t,
        _ => "interface {}".to_string(),
    }
}

/// Carries the Go type name a probe discovered (or an unrelated failure).
#[derive(Debug)]
enum ProbeError {
    Type(String),
    Other,
}

impl fmt::Display for ProbeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProbeError::Type(t) => f.write_str(t),
            ProbeError::Other => f.write_str("probe"),
        }
    }
}

impl std::error::Error for ProbeError {}

impl de::Error for ProbeError {
    fn custom<T: fmt::Display>(_msg: T) -> Self {
        ProbeError::Other
    }
}

struct ProbeSeq;

impl<'a> de::SeqAccess<'a> for ProbeSeq {
    type Error = ProbeError;
    fn next_element_seed<T: DeserializeSeed<'a>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, ProbeError> {
        seed.deserialize(Probe).map(Some)
    }
}

struct ProbeMap {
    given_key: bool,
}

impl<'a> de::MapAccess<'a> for ProbeMap {
    type Error = ProbeError;
    fn next_key_seed<K: DeserializeSeed<'a>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, ProbeError> {
        if self.given_key {
            return Err(ProbeError::Other);
        }
        self.given_key = true;
        seed.deserialize(de::value::BorrowedStrDeserializer::new("probe"))
            .map(Some)
    }
    fn next_value_seed<V: DeserializeSeed<'a>>(&mut self, seed: V) -> Result<V::Value, ProbeError> {
        seed.deserialize(Probe)
    }
}

/// A deserializer that answers every request with the Go name of the type requested.
struct Probe;

macro_rules! probe_type {
    ($($method:ident => $go:literal),* $(,)?) => {
        $(
            fn $method<V: Visitor<'a>>(self, _visitor: V) -> Result<V::Value, ProbeError> {
                Err(ProbeError::Type($go.to_string()))
            }
        )*
    };
}

impl<'a> de::Deserializer<'a> for Probe {
    type Error = ProbeError;

    probe_type! {
        deserialize_any => "interface {}",
        deserialize_bool => "bool",
        deserialize_i8 => "int8",
        deserialize_i16 => "int16",
        deserialize_i32 => "int32",
        deserialize_i64 => "int64",
        deserialize_u8 => "uint8",
        deserialize_u16 => "uint16",
        deserialize_u32 => "uint32",
        deserialize_u64 => "uint64",
        deserialize_f32 => "float32",
        deserialize_f64 => "float64",
        deserialize_char => "string",
        deserialize_str => "string",
        deserialize_string => "string",
        deserialize_bytes => "[]uint8",
        deserialize_byte_buf => "[]uint8",
        deserialize_unit => "struct {}",
        deserialize_identifier => "string",
        deserialize_ignored_any => "interface {}",
    }

    fn deserialize_option<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, ProbeError> {
        visitor.visit_some(self)
    }
    fn deserialize_unit_struct<V: Visitor<'a>>(
        self,
        name: &'static str,
        _visitor: V,
    ) -> Result<V::Value, ProbeError> {
        Err(ProbeError::Type(go_struct_type(name)))
    }
    fn deserialize_newtype_struct<V: Visitor<'a>>(
        self,
        name: &'static str,
        _visitor: V,
    ) -> Result<V::Value, ProbeError> {
        Err(ProbeError::Type(go_struct_type(name)))
    }
    fn deserialize_seq<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, ProbeError> {
        match visitor.visit_seq(ProbeSeq) {
            Err(ProbeError::Type(t)) => Err(ProbeError::Type(format!("[]{t}"))),
            _ => Err(ProbeError::Other),
        }
    }
    fn deserialize_tuple<V: Visitor<'a>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, ProbeError> {
        self.deserialize_seq(visitor)
    }
    fn deserialize_tuple_struct<V: Visitor<'a>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, ProbeError> {
        self.deserialize_seq(visitor)
    }
    fn deserialize_map<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, ProbeError> {
        match visitor.visit_map(ProbeMap { given_key: false }) {
            Err(ProbeError::Type(t)) => Err(ProbeError::Type(format!("map[string]{t}"))),
            _ => Err(ProbeError::Other),
        }
    }
    fn deserialize_struct<V: Visitor<'a>>(
        self,
        name: &'static str,
        _fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, ProbeError> {
        Err(ProbeError::Type(go_struct_type(name)))
    }
    fn deserialize_enum<V: Visitor<'a>>(
        self,
        name: &'static str,
        _variants: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, ProbeError> {
        Err(ProbeError::Type(go_struct_type(name)))
    }
}
