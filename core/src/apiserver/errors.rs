//! API errors as the API server returns them (`metav1.Status` with a reason, code and causes) and
//! as kubectl prints them (`Error from server (Forbidden): …`, `The Pod "x" is invalid: …`).

use std::fmt;

/// `metav1.StatusReason`: why a request failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Reason {
    /// 400: the request could not be decoded or is malformed.
    BadRequest,
    /// 401: no valid credentials.
    Unauthorized,
    /// 403: authorization or admission refused the request.
    Forbidden,
    /// 404: the object (or its namespace) does not exist.
    NotFound,
    /// 409: an object with that name already exists.
    AlreadyExists,
    /// 409: the request's resourceVersion is stale.
    Conflict,
    /// 422: validation failed.
    Invalid,
    /// 500: an internal error.
    InternalError,
    /// 405: the verb is not supported on this resource.
    MethodNotAllowed,
    /// 410: a watch or list asked for a resourceVersion older than the compacted history.
    Expired,
    /// 504: the request timed out, e.g. waiting for a resourceVersion the server has not reached.
    Timeout,
}

impl Reason {
    /// The reason as Kubernetes spells it in Status and kubectl output.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::BadRequest => "BadRequest",
            Reason::Unauthorized => "Unauthorized",
            Reason::Forbidden => "Forbidden",
            Reason::NotFound => "NotFound",
            Reason::AlreadyExists => "AlreadyExists",
            Reason::Conflict => "Conflict",
            Reason::Invalid => "Invalid",
            Reason::InternalError => "InternalError",
            Reason::MethodNotAllowed => "MethodNotAllowed",
            Reason::Expired => "Expired",
            Reason::Timeout => "Timeout",
        }
    }

    /// The HTTP status code that goes with the reason.
    pub fn code(self) -> u16 {
        match self {
            Reason::BadRequest => 400,
            Reason::Unauthorized => 401,
            Reason::Forbidden => 403,
            Reason::NotFound => 404,
            Reason::AlreadyExists | Reason::Conflict => 409,
            Reason::Invalid => 422,
            Reason::InternalError => 500,
            Reason::MethodNotAllowed => 405,
            Reason::Expired => 410,
            Reason::Timeout => 504,
        }
    }
}

/// The kind of one field error (`field.ErrorType`), which decides its text.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FieldErrorType {
    /// `Required value`.
    Required,
    /// `Invalid value: <value>: <detail>`.
    Invalid,
    /// `Unsupported value: <value>: supported values: "A", "B"`.
    NotSupported,
    /// `Duplicate value: <value>`.
    Duplicate,
    /// `Forbidden: <detail>`.
    Forbidden,
    /// `Too long: may not be more than N bytes` and friends (the detail carries the text).
    TooLong,
    /// `Too many: <n>: must have at most N items`.
    TooMany,
    /// `Not found: <value>`.
    NotFound,
}

impl FieldErrorType {
    /// The `causes[].reason` value (`FieldValueRequired`, …).
    pub fn cause_reason(&self) -> &'static str {
        match self {
            FieldErrorType::Required => "FieldValueRequired",
            FieldErrorType::Invalid => "FieldValueInvalid",
            FieldErrorType::NotSupported => "FieldValueNotSupported",
            FieldErrorType::Duplicate => "FieldValueDuplicate",
            FieldErrorType::Forbidden => "FieldValueForbidden",
            FieldErrorType::TooLong => "FieldValueTooLong",
            FieldErrorType::TooMany => "FieldValueTooMany",
            FieldErrorType::NotFound => "FieldValueNotFound",
        }
    }
}

/// One validation error on one field, rendered exactly as apimachinery's `field.Error`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FieldError {
    /// What kind of error.
    pub kind: FieldErrorType,
    /// The field path, e.g. `spec.containers[0].image`.
    pub field: String,
    /// The offending value already rendered as Go would print it (`"nginx "`, `70000`), if any.
    pub value: Option<String>,
    /// The detail text, e.g. `must be between 1 and 65535, inclusive`.
    pub detail: String,
}

impl FieldError {
    /// `Required value` (with an optional detail).
    pub fn required(field: impl Into<String>, detail: impl Into<String>) -> FieldError {
        FieldError {
            kind: FieldErrorType::Required,
            field: field.into(),
            value: None,
            detail: detail.into(),
        }
    }

    /// `Invalid value: <value>: <detail>`; `value` is already rendered (see [`go_quote`]).
    pub fn invalid(
        field: impl Into<String>,
        value: impl Into<String>,
        detail: impl Into<String>,
    ) -> FieldError {
        FieldError {
            kind: FieldErrorType::Invalid,
            field: field.into(),
            value: Some(value.into()),
            detail: detail.into(),
        }
    }

    /// `Unsupported value: "x": supported values: "A", "B"`.
    pub fn not_supported(field: impl Into<String>, value: &str, supported: &[&str]) -> FieldError {
        let list = supported
            .iter()
            .map(|s| go_quote(s))
            .collect::<Vec<_>>()
            .join(", ");
        FieldError {
            kind: FieldErrorType::NotSupported,
            field: field.into(),
            value: Some(go_quote(value)),
            detail: if supported.is_empty() {
                String::new()
            } else {
                format!("supported values: {list}")
            },
        }
    }

    /// `Duplicate value: <value>`.
    pub fn duplicate(field: impl Into<String>, value: impl Into<String>) -> FieldError {
        FieldError {
            kind: FieldErrorType::Duplicate,
            field: field.into(),
            value: Some(value.into()),
            detail: String::new(),
        }
    }

    /// `Forbidden: <detail>`.
    pub fn forbidden(field: impl Into<String>, detail: impl Into<String>) -> FieldError {
        FieldError {
            kind: FieldErrorType::Forbidden,
            field: field.into(),
            value: None,
            detail: detail.into(),
        }
    }

    /// `Not found: <value>`.
    pub fn not_found(field: impl Into<String>, value: impl Into<String>) -> FieldError {
        FieldError {
            kind: FieldErrorType::NotFound,
            field: field.into(),
            value: Some(value.into()),
            detail: String::new(),
        }
    }

    /// `Too long: <detail>` (the detail says the limit, e.g. `may not be more than 63 bytes`).
    pub fn too_long(field: impl Into<String>, detail: impl Into<String>) -> FieldError {
        FieldError {
            kind: FieldErrorType::TooLong,
            field: field.into(),
            value: None,
            detail: detail.into(),
        }
    }

    /// `Too many: <n>: must have at most <max> items`.
    pub fn too_many(field: impl Into<String>, actual: usize, max: usize) -> FieldError {
        FieldError {
            kind: FieldErrorType::TooMany,
            field: field.into(),
            value: Some(actual.to_string()),
            detail: format!("must have at most {max} items"),
        }
    }

    /// The text after `<field>: ` (`ErrorBody()` upstream).
    pub fn body(&self) -> String {
        let value = self.value.as_deref().unwrap_or("null");
        let mut s = match self.kind {
            FieldErrorType::Required => "Required value".to_string(),
            FieldErrorType::Forbidden => "Forbidden".to_string(),
            FieldErrorType::TooLong => "Too long".to_string(),
            FieldErrorType::Invalid => format!("Invalid value: {value}"),
            FieldErrorType::NotSupported => format!("Unsupported value: {value}"),
            FieldErrorType::Duplicate => format!("Duplicate value: {value}"),
            FieldErrorType::TooMany => format!("Too many: {value}"),
            FieldErrorType::NotFound => format!("Not found: {value}"),
        };
        if !self.detail.is_empty() {
            s.push_str(": ");
            s.push_str(&self.detail);
        }
        s
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.body())
    }
}

/// A string as Go's `%q` prints it: double quotes, with `"`, `\` and control characters escaped.
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A failed API request: what `metav1.Status` carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// Why it failed.
    pub reason: Reason,
    /// The server's message, e.g. `pods "nginx" already exists`.
    pub message: String,
    /// For `Invalid`: the qualified kind (`Pod`, `Deployment.apps`), the name and every cause.
    pub details: Option<InvalidDetails>,
}

/// `status.details` of an `Invalid` error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidDetails {
    /// Qualified kind, e.g. `Pod` or `Deployment.apps`.
    pub kind: String,
    /// The object's name.
    pub name: String,
    /// One cause per field error, deduplicated, in order.
    pub causes: Vec<FieldError>,
}

impl ApiError {
    /// An error with a reason and a message.
    pub fn new(reason: Reason, message: impl Into<String>) -> ApiError {
        ApiError {
            reason,
            message: message.into(),
            details: None,
        }
    }

    /// `<resource> "<name>" not found` (or `<resource> not found`'s namespaced form with a name).
    pub fn not_found(resource: &str, name: &str) -> ApiError {
        ApiError::new(Reason::NotFound, format!("{resource} \"{name}\" not found"))
    }

    /// `<resource> "<name>" already exists`.
    pub fn already_exists(resource: &str, name: &str) -> ApiError {
        ApiError::new(
            Reason::AlreadyExists,
            format!("{resource} \"{name}\" already exists"),
        )
    }

    /// `Operation cannot be fulfilled on <resource> "<name>": <why>`.
    pub fn conflict(resource: &str, name: &str, why: &str) -> ApiError {
        ApiError::new(
            Reason::Conflict,
            format!("Operation cannot be fulfilled on {resource} \"{name}\": {why}"),
        )
    }

    /// The stale-resourceVersion conflict.
    pub fn stale(resource: &str, name: &str) -> ApiError {
        ApiError::conflict(
            resource,
            name,
            "the object has been modified; please apply your changes to the latest version and try again",
        )
    }

    /// `<resource> "<name>" is forbidden: <why>` (`<resource> is forbidden: <why>` without a name).
    pub fn forbidden(resource: &str, name: &str, why: impl fmt::Display) -> ApiError {
        let message = if name.is_empty() {
            format!("{resource} is forbidden: {why}")
        } else {
            format!("{resource} \"{name}\" is forbidden: {why}")
        };
        ApiError::new(Reason::Forbidden, message)
    }

    /// `<Kind> "<name>" is invalid: <aggregate>` with one cause per field error (deduplicated).
    pub fn invalid(qualified_kind: &str, name: &str, errors: Vec<FieldError>) -> ApiError {
        let mut causes: Vec<FieldError> = Vec::with_capacity(errors.len());
        for e in errors {
            if !causes.contains(&e) {
                causes.push(e);
            }
        }
        let aggregate = match causes.as_slice() {
            [one] => one.to_string(),
            many => format!(
                "[{}]",
                many.iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        ApiError {
            reason: Reason::Invalid,
            message: format!("{qualified_kind} \"{name}\" is invalid: {aggregate}"),
            details: Some(InvalidDetails {
                kind: qualified_kind.to_string(),
                name: name.to_string(),
                causes,
            }),
        }
    }

    /// The lines kubectl prints for this error when `operation` (`creating`, `applying`,
    /// `patching`) `source` (a file name, or `""` for none) fails.
    ///
    /// `Invalid` errors are rebuilt from their causes (`The Pod "x" is invalid: …`, one `* ` line
    /// per cause when there are several); `Unauthorized` is
    /// `error: You must be logged in to the server (<message>)`; all others are
    /// `Error from server (<Reason>): error when <operation> "<file>": <message>`.
    pub fn kubectl_message(&self, operation: &str, source: &str) -> String {
        if let (Reason::Invalid, Some(d)) = (self.reason, &self.details) {
            // kubectl prints `details.kind`, which is the bare kind (`Deployment`), not the
            // qualified one the status message uses (`Deployment.apps`).
            let kind = d.kind.split_once('.').map_or(d.kind.as_str(), |(k, _)| k);
            return match d.causes.as_slice() {
                [one] => format!("The {kind} \"{}\" is invalid: {one}", d.name),
                many => {
                    let mut s = format!("The {kind} \"{}\" is invalid: ", d.name);
                    for c in many {
                        s.push_str("\n* ");
                        s.push_str(&c.to_string());
                    }
                    s
                }
            };
        }
        if self.reason == Reason::Unauthorized {
            // kubectl `StandardErrorMessage`; `AddSourceToErr` wraps the status message first.
            let message = if source.is_empty() {
                self.message.clone()
            } else {
                format!("error when {operation} \"{source}\": {}", self.message)
            };
            return format!("error: You must be logged in to the server ({message})");
        }
        if source.is_empty() {
            format!(
                "Error from server ({}): {}",
                self.reason.as_str(),
                self.message
            )
        } else {
            format!(
                "Error from server ({}): error when {operation} \"{source}\": {}",
                self.reason.as_str(),
                self.message
            )
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ApiError {}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn one_cause_prints_on_one_line() {
        let err = ApiError::invalid(
            "Pod",
            "x",
            vec![FieldError::required("spec.containers[0].image", "")],
        );
        assert_eq!(
            err.message,
            "Pod \"x\" is invalid: spec.containers[0].image: Required value"
        );
        assert_eq!(
            err.kubectl_message("creating", "pod.yaml"),
            "The Pod \"x\" is invalid: spec.containers[0].image: Required value"
        );
    }

    #[test]
    fn several_causes_print_as_a_bulleted_list() {
        let err = ApiError::invalid(
            "Pod",
            "podtest3",
            vec![
                FieldError::invalid(
                    "spec.containers[0].resources.requests",
                    go_quote("300m"),
                    "must be less than or equal to cpu limit of 50m",
                ),
                FieldError::invalid(
                    "spec.containers[0].resources.requests",
                    go_quote("400M"),
                    "must be less than or equal to memory limit of 50M",
                ),
            ],
        );
        assert_eq!(
            err.kubectl_message("creating", "pod.yaml"),
            "The Pod \"podtest3\" is invalid: \n\
             * spec.containers[0].resources.requests: Invalid value: \"300m\": must be less than or equal to cpu limit of 50m\n\
             * spec.containers[0].resources.requests: Invalid value: \"400M\": must be less than or equal to memory limit of 50M"
        );
        assert!(err
            .message
            .starts_with("Pod \"podtest3\" is invalid: [spec.containers[0]"));
    }

    #[test]
    fn other_errors_name_the_file() {
        let err = ApiError::already_exists("pods", "nginx");
        assert_eq!(
            err.kubectl_message("creating", "pod.yaml"),
            "Error from server (AlreadyExists): error when creating \"pod.yaml\": pods \"nginx\" already exists"
        );
        let err = ApiError::forbidden("pods", "", "User \"jane\" cannot create resource \"pods\" in API group \"\" in the namespace \"default\"");
        assert_eq!(
            err.kubectl_message("", ""),
            "Error from server (Forbidden): pods is forbidden: User \"jane\" cannot create resource \"pods\" in API group \"\" in the namespace \"default\""
        );
    }

    #[test]
    fn unsupported_values_list_the_supported_ones() {
        let e = FieldError::not_supported(
            "spec.restartPolicy",
            "Sometimes",
            &["Always", "OnFailure", "Never"],
        );
        assert_eq!(e.to_string(), "spec.restartPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", \"OnFailure\", \"Never\"");
    }
}
