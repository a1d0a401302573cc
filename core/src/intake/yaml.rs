//! Manifest text → JSON documents, the way kubectl's resource builder reads a file: split on
//! `---` lines, convert each YAML document to JSON (or read a JSON stream), skip empty documents
//! and flatten `*List` kinds, with hard limits so hostile input can never hang or crash the page.
//!
//! Scalars are typed as kubectl's YAML → JSON conversion (sigs.k8s.io/yaml over go-yaml v2,
//! YAML 1.1) types them; checked against the real kubectl v1.32 with `kubectl label --local -o
//! json`: `yes`, `on`, `y` → `true`; `no`, `off`, `n` → `false`; `0644` and `0o644` → `420`;
//! `0x1F` → `31`; `1_000` → `1000`; `1e3` → `1000`; `09` → `9`; `~`/`null` → `null`;
//! `"2"` stays a string; timestamps (`2001-12-14`) stay strings; `.inf` is refused with
//! `json: unsupported value: +Inf`; duplicate keys keep the last value without an error.
//!
//! Known difference: go-yaml v2 also resolves *keys* as YAML 1.1 scalars (an unquoted `y:` key
//! becomes `"true"`); keys here stay as written.

use std::fmt;

use serde_json::Value;
use serde_saphyr::budget::BudgetBreach;
use serde_saphyr::granit_parser::{Event, Parser, ScanError, Span};
use serde_saphyr::{Budget, DuplicateKeyPolicy, MessageFormatter, Options};

/// The API server's request body limit (`Request entity too large: limit is 3145728`). No single
/// object larger than this can ever be created, so the intake refuses larger input up front.
pub const MAX_INPUT_BYTES: usize = 3 * 1024 * 1024;

/// The most documents (after flattening Lists) one input may hold.
pub const MAX_DOCUMENTS: usize = 10_000;

/// The deepest nesting of mappings and sequences accepted. go-yaml allows 10,000 (`exceeded max
/// depth of 10000`); serde-saphyr builds values recursively with large frames (measured: about
/// 18 KiB a level in a debug build, 5 KiB in release), and wasm has a 1 MiB stack, so the
/// simulator stops at 32. The deepest paths of the supported kinds (a Deployment's pod
/// anti-affinity `matchExpressions[].values[]`) nest 13 deep.
pub const MAX_DEPTH: usize = 32;

/// Alias events one document may replay before it counts as a "billion laughs" document.
const MAX_ALIAS_REPLAY_EVENTS: usize = 100_000;

/// Parser events `locate` walks at most.
const MAX_LOCATE_EVENTS: usize = 4_000_000;

/// One object read from a manifest, as the JSON kubectl would send.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// The document as JSON, keys sorted as Go's encoder sends them.
    pub value: Value,
    /// 0-based position of the YAML document (or JSON value) in the input, counting only
    /// documents that were not empty; items of one List share their List's index.
    pub index: usize,
    /// 1-based line of the input where the document (or List item) starts.
    pub line: usize,
    /// For an object flattened out of a `*List`, its position in `items`.
    pub item: Option<usize>,
}

impl Document {
    /// The path of `path` inside the YAML document this object came from (prefixed with
    /// `items[i].` for List items), as [`locate`] expects it.
    pub fn source_path(&self, path: &str) -> String {
        match self.item {
            Some(i) if path.is_empty() => format!("items[{i}]"),
            Some(i) => format!("items[{i}].{path}"),
            None => path.to_string(),
        }
    }
}

/// Why a manifest could not be read. `Display` gives the exact line kubectl prints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IntakeError {
    /// A YAML syntax error (or a refused YAML construct) in one document.
    Yaml {
        /// The file name kubectl names, e.g. `pod.yaml`.
        source: String,
        /// The line as kubectl prints it: counted from the start of the document (kubectl
        /// converts each `---`-separated document on its own). `None` when go-yaml prints none.
        line: Option<usize>,
        /// The 1-based line in the whole input, for the editor.
        input_line: Option<usize>,
        /// The 1-based column in the whole input, for the editor.
        column: Option<usize>,
        /// The parser's message, e.g. `mapping values are not allowed in this context`.
        message: String,
    },
    /// A value YAML can hold but JSON cannot (`.inf`, `.nan`).
    Unsupported {
        /// The file name.
        source: String,
        /// `+Inf`, `-Inf` or `NaN`.
        value: String,
    },
    /// A JSON syntax error (input starting with `{` is read as a JSON stream, as kubectl does).
    Json {
        /// The file name.
        source: String,
        /// Go's byte offset (`json: offset 3: …`); `None` for an unexpected end of input.
        offset: Option<usize>,
        /// 1-based line in the input, for the editor.
        input_line: usize,
        /// Go's message, e.g. `invalid character 'a' looking for beginning of object key string`.
        message: String,
    },
    /// A document that is not a mapping (a list or a scalar at the top).
    NotAnObject {
        /// The file name.
        source: String,
        /// What it is in Go's words: `array`, `string`, `number` or `bool`.
        found: &'static str,
    },
    /// The input is larger than the API server accepts.
    TooLarge {
        /// The file name.
        source: String,
    },
    /// More than [`MAX_DOCUMENTS`] documents.
    TooManyDocuments {
        /// The file name.
        source: String,
    },
    /// Bytes that are not text (control characters, NUL).
    ControlCharacters {
        /// The file name.
        source: String,
    },
}

impl IntakeError {
    /// The 1-based input line the error points at, when known (for the editor).
    pub fn input_line(&self) -> Option<usize> {
        match self {
            IntakeError::Yaml { input_line, .. } => *input_line,
            IntakeError::Json { input_line, .. } => Some(*input_line),
            _ => None,
        }
    }
}

impl fmt::Display for IntakeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // sigs.k8s.io/yaml wraps go-yaml's `yaml: line N: <msg>`. The inner wording is
            // serde-saphyr's where go-yaml's cannot be reproduced (e.g. `unclosed quote` where
            // go-yaml says `found unexpected end of stream`); the frame and line are kubectl's.
            IntakeError::Yaml {
                source,
                line,
                message,
                ..
            } => match line {
                Some(line) => write!(
                    f,
                    "error: error parsing {source}: error converting YAML to JSON: yaml: line {line}: {message}"
                ),
                None => write!(
                    f,
                    "error: error parsing {source}: error converting YAML to JSON: yaml: {message}"
                ),
            },
            IntakeError::Unsupported { source, value } => write!(
                f,
                "error: error parsing {source}: error converting YAML to JSON: json: unsupported value: {value}"
            ),
            IntakeError::Json {
                source,
                offset: Some(offset),
                message,
                ..
            } => write!(
                f,
                "error: error parsing {source}: json: offset {offset}: {message}"
            ),
            IntakeError::Json {
                source, message, ..
            } => write!(f, "error: error parsing {source}: {message}"),
            IntakeError::NotAnObject { source, found } => write!(
                f,
                "error: unable to decode \"{source}\": json: cannot unmarshal {found} into Go value of type unstructured.detector"
            ),
            // kubectl itself has no size limit; the API server refuses the request body.
            IntakeError::TooLarge { source } => write!(
                f,
                "Error from server (RequestEntityTooLarge): error when creating \"{source}\": Request entity too large: limit is {MAX_INPUT_BYTES}"
            ),
            // podflow's own limit (kubectl has none); worded in kubectl's frame.
            IntakeError::TooManyDocuments { source } => write!(
                f,
                "error: error parsing {source}: too many documents: limit is {MAX_DOCUMENTS}"
            ),
            IntakeError::ControlCharacters { source } => write!(
                f,
                "error: error parsing {source}: error converting YAML to JSON: yaml: control characters are not allowed"
            ),
        }
    }
}

impl std::error::Error for IntakeError {}

/// Reads raw bytes: invalid UTF-8 sequences become U+FFFD as kubectl's JSON conversion makes
/// them (checked with the real kubectl), and binary input is refused as go-yaml refuses it
/// (`yaml: control characters are not allowed`).
pub fn parse_manifest_bytes(bytes: &[u8], source: &str) -> Result<Vec<Document>, IntakeError> {
    if bytes.len() > MAX_INPUT_BYTES {
        return Err(IntakeError::TooLarge {
            source: source.to_string(),
        });
    }
    parse_manifest(&manifest_text(bytes), source)
}

/// The text kubectl reads from a file's bytes: each invalid UTF-8 sequence becomes U+FFFD
/// (checked with the real kubectl), and the parser judges the rest.
pub fn manifest_text(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(bytes)
}

/// Reads a manifest: multi-document YAML (block or flow style), a JSON stream, Lists flattened.
pub fn parse_manifest(text: &str, source: &str) -> Result<Vec<Document>, IntakeError> {
    Ok(parse_with_spans(text, source)?
        .into_iter()
        .map(|(doc, _)| doc)
        .collect())
}

/// Where one document's text lies in the input.
#[derive(Debug, Clone, Copy)]
struct Chunk {
    /// Byte range in the input.
    start: usize,
    end: usize,
    /// 1-based input line of the chunk's first line.
    line: usize,
}

/// Parses and also returns each document's chunk (for [`locate`]).
fn parse_with_spans(text: &str, source: &str) -> Result<Vec<(Document, Chunk)>, IntakeError> {
    if text.len() > MAX_INPUT_BYTES {
        return Err(IntakeError::TooLarge {
            source: source.to_string(),
        });
    }
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.chars().any(is_control) {
        return Err(IntakeError::ControlCharacters {
            source: source.to_string(),
        });
    }
    let values = if text.trim_start().starts_with('{') {
        json_values(text, source)?
    } else {
        yaml_values(text, source)?
    };
    let mut out: Vec<(Document, Chunk)> = Vec::new();
    for (index, (value, chunk)) in values.into_iter().enumerate() {
        let found = match &value {
            Value::Object(_) => None,
            Value::Array(_) => Some("array"),
            Value::String(_) => Some("string"),
            Value::Number(_) => Some("number"),
            Value::Bool(_) => Some("bool"),
            Value::Null => continue,
        };
        if let Some(found) = found {
            return Err(IntakeError::NotAnObject {
                source: source.to_string(),
                found,
            });
        }
        match list_items(&value) {
            Some(items) => {
                for (i, item) in items.iter().enumerate() {
                    let line = locate_in_chunk(text, chunk, &format!("items[{i}]"))
                        .map_or(chunk.line, |(l, _)| l);
                    out.push((
                        Document {
                            value: item.clone(),
                            index,
                            line,
                            item: Some(i),
                        },
                        chunk,
                    ));
                }
            }
            None => out.push((
                Document {
                    value,
                    index,
                    line: first_content_line(text, chunk),
                    item: None,
                },
                chunk,
            )),
        }
        if out.len() > MAX_DOCUMENTS {
            return Err(IntakeError::TooManyDocuments {
                source: source.to_string(),
            });
        }
    }
    Ok(out)
}

/// A `*List` object's items (kubectl flattens any `…List` kind that has `items`).
fn list_items(value: &Value) -> Option<&Vec<Value>> {
    let kind = value.get("kind")?.as_str()?;
    if !kind.ends_with("List") {
        return None;
    }
    value.get("items")?.as_array()
}

/// go-yaml's printable check: tab, line breaks and printable characters only.
fn is_control(c: char) -> bool {
    let u = c as u32;
    !(u == 0x9
        || u == 0xA
        || u == 0xD
        || (0x20..=0x7E).contains(&u)
        || u == 0x85
        || (0xA0..=0xD7FF).contains(&u)
        || (0xE000..=0xFFFD).contains(&u)
        || (0x10000..=0x10FFFF).contains(&u))
}

/// The line of the chunk's first line that is not blank or a comment.
fn first_content_line(text: &str, chunk: Chunk) -> usize {
    let body = text.get(chunk.start..chunk.end).unwrap_or("");
    for (i, line) in body.lines().enumerate() {
        let t = line.trim();
        if !t.is_empty() && !t.starts_with('#') && t != "---" {
            return chunk.line + i;
        }
    }
    chunk.line
}

/// Splits the input into documents as kubectl's `YAMLReader` does: a line starting with `---`
/// whose remainder is empty or a comment ends a document; the separator belongs to neither.
fn split_documents(text: &str) -> Vec<Chunk> {
    let mut chunks = Vec::new();
    let mut start = 0;
    let mut chunk_line = 1;
    let mut offset = 0;
    for (line_no, line) in (1..).zip(text.split_inclusive('\n')) {
        let is_separator = line.strip_prefix("---").is_some_and(|rest| {
            let rest = rest.trim();
            rest.is_empty() || rest.starts_with('#')
        });
        if is_separator {
            chunks.push(Chunk {
                start,
                end: offset,
                line: chunk_line,
            });
            start = offset + line.len();
            chunk_line = line_no + 1;
        }
        offset += line.len();
    }
    chunks.push(Chunk {
        start,
        end: text.len(),
        line: chunk_line,
    });
    chunks
}

/// Whether a chunk holds nothing but blank lines, comments and document-end markers.
fn is_blank(body: &str) -> bool {
    body.lines().all(|l| {
        let t = l.trim();
        t.is_empty() || t.starts_with('#') || t == "..."
    })
}

fn saphyr_options() -> Options {
    let mut budget = Budget::default();
    budget.max_depth = MAX_DEPTH;
    budget.flow_nesting_limit = MAX_DEPTH;
    budget.max_events = 4_000_000;
    budget.max_nodes = 2_000_000;
    budget.max_aliases = 10_000;
    budget.max_anchors = 10_000;
    budget.max_documents = 2;
    let mut options = Options::default();
    options.budget = Some(budget);
    options.legacy_octal_numbers = true;
    options.duplicate_keys = DuplicateKeyPolicy::LastWins;
    options.alias_limits.max_total_replayed_events = MAX_ALIAS_REPLAY_EVENTS;
    options.alias_limits.max_replay_stack_depth = 32;
    options.with_snippet = false;
    options
}

fn yaml_values(text: &str, source: &str) -> Result<Vec<(Value, Chunk)>, IntakeError> {
    let chunks: Vec<Chunk> = split_documents(text)
        .into_iter()
        .filter(|c| !is_blank(text.get(c.start..c.end).unwrap_or("")))
        .collect();
    if chunks.len() > MAX_DOCUMENTS {
        return Err(IntakeError::TooManyDocuments {
            source: source.to_string(),
        });
    }
    let mut out = Vec::with_capacity(chunks.len());
    for chunk in chunks {
        let body = text.get(chunk.start..chunk.end).unwrap_or("");
        let docs = parse_chunk(body).map_err(|e| yaml_error(&e, chunk, source))?;
        // go-yaml reads only the first document of a chunk (`...` followed by more content).
        if let Some(value) = docs.into_iter().next() {
            out.push((normalize_numbers(value), chunk));
        }
    }
    Ok(out)
}

/// How many plain numbers too large for a float64 one document may hold (each costs a re-read).
const MAX_OVERFLOWING_NUMBERS: usize = 16;

/// Reads one chunk. go-yaml types a plain number too large for a float64 (`1e400`, `-9e999`) as
/// a string (its `ParseFloat` fails, so the scalar stays `!!str`), where serde-saphyr refuses it
/// as non-finite: such a scalar is quoted and the chunk read again, up to
/// [`MAX_OVERFLOWING_NUMBERS`] times. `.inf` and `.nan` stay refused, as kubectl refuses them.
fn parse_chunk(body: &str) -> Result<Vec<Value>, serde_saphyr::Error> {
    let mut quoted: Option<String> = None;
    for _ in 0..MAX_OVERFLOWING_NUMBERS {
        let current = quoted.as_deref().unwrap_or(body);
        let err = match serde_saphyr::from_multiple_with_options(current, saphyr_options()) {
            Ok(docs) => return Ok(docs),
            Err(err) => err,
        };
        let serde_saphyr::Error::NonFiniteFloat { value, location } = &err else {
            return Err(err);
        };
        let unsigned = value.strip_prefix(['+', '-']).unwrap_or(value);
        let offset = location.span().byte_offset().map(|o| o as usize);
        let at = offset.filter(|&o| {
            current
                .get(o..)
                .is_some_and(|r| r.starts_with(value.as_str()))
        });
        match at {
            Some(o) if unsigned.starts_with(|c: char| c.is_ascii_digit()) => {
                let end = o + value.len();
                quoted = Some(format!("{}\"{value}\"{}", &current[..o], &current[end..]));
            }
            _ => return Err(err),
        }
    }
    serde_saphyr::from_multiple_with_options(quoted.as_deref().unwrap_or(body), saphyr_options())
}

/// Go marshals a float64 without a fraction as an integer literal (`1e3` is sent as `1000`).
fn normalize_numbers(value: Value) -> Value {
    // Iterative over an explicit stack would be nicer; depth is bounded by MAX_DEPTH.
    match value {
        Value::Number(n) if n.is_f64() => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 9.0e18 => Value::from(f as i64),
            _ => Value::Number(n),
        },
        Value::Array(items) => Value::Array(items.into_iter().map(normalize_numbers).collect()),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (k, normalize_numbers(v)))
                .collect(),
        ),
        other => other,
    }
}

/// Maps a serde-saphyr error onto go-yaml's message, with kubectl's document-relative line.
fn yaml_error(err: &serde_saphyr::Error, chunk: Chunk, source: &str) -> IntakeError {
    let mut inner = err.without_snippet();
    while let serde_saphyr::Error::AliasError { error, .. } = inner {
        inner = error.without_snippet();
    }
    let location = inner.location().or_else(|| err.location());
    let line = location.map(|l| l.line() as usize).filter(|l| *l > 0);
    let column = location.map(|l| l.column() as usize).filter(|c| *c > 0);
    let mut message = serde_saphyr::DefaultMessageFormatter
        .format_message(inner)
        .into_owned();
    let mut show_line = line;
    match inner {
        serde_saphyr::Error::Budget { breach, .. } => match breach {
            BudgetBreach::Depth { .. } => {
                message = format!("exceeded max depth of {MAX_DEPTH}");
                show_line = None;
            }
            BudgetBreach::Aliases { .. }
            | BudgetBreach::Anchors { .. }
            | BudgetBreach::AliasAnchorRatio { .. }
            | BudgetBreach::RecordedAnchorEvents { .. }
            | BudgetBreach::RecordedAnchorBytes { .. } => {
                message = "document contains excessive aliasing".to_string();
                show_line = None;
            }
            _ => {}
        },
        serde_saphyr::Error::AliasReplayLimitExceeded { .. }
        | serde_saphyr::Error::AliasExpansionLimitExceeded { .. }
        | serde_saphyr::Error::AliasReplayStackDepthExceeded { .. }
        | serde_saphyr::Error::AliasReplayCounterOverflow { .. } => {
            message = "document contains excessive aliasing".to_string();
            show_line = None;
        }
        serde_saphyr::Error::NonFiniteFloat { .. } => {
            let body = message.to_ascii_lowercase();
            let value = if body.contains("nan") {
                "NaN"
            } else if body.contains("-.inf") {
                "-Inf"
            } else {
                "+Inf"
            };
            return IntakeError::Unsupported {
                source: source.to_string(),
                value: value.to_string(),
            };
        }
        _ => {
            if message.contains("recursion limit")
                || (message.contains("nesting") && message.contains("limit"))
            {
                message = format!("exceeded max depth of {MAX_DEPTH}");
                show_line = None;
            }
        }
    }
    IntakeError::Yaml {
        source: source.to_string(),
        line: show_line,
        input_line: line.map(|l| l + chunk.line - 1),
        column,
        message,
    }
}

/// Reads a JSON stream (kubectl switches to JSON when the input starts with `{`).
fn json_values(text: &str, source: &str) -> Result<Vec<(Value, Chunk)>, IntakeError> {
    let mut out = Vec::new();
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<Value>();
    let mut previous_end = 0;
    loop {
        let value = match stream.next() {
            None => break,
            Some(Ok(v)) => v,
            Some(Err(e)) => return Err(json_error(text, &e, source)),
        };
        let end = stream.byte_offset();
        let rest = text.get(previous_end..end).unwrap_or("");
        let start = previous_end + (rest.len() - rest.trim_start().len());
        let line = 1 + text.get(..start).unwrap_or("").matches('\n').count();
        out.push((normalize_numbers(value), Chunk { start, end, line }));
        previous_end = end;
        if out.len() > MAX_DOCUMENTS {
            return Err(IntakeError::TooManyDocuments {
                source: source.to_string(),
            });
        }
    }
    Ok(out)
}

/// Rephrases a serde_json syntax error as Go's `encoding/json` `SyntaxError` (approximate: the
/// category comes from serde_json, the character and offset from the input).
fn json_error(text: &str, err: &serde_json::Error, source: &str) -> IntakeError {
    let line = err.line().max(1);
    let input_line = line;
    if err.is_eof() {
        return IntakeError::Json {
            source: source.to_string(),
            offset: None,
            input_line,
            message: "unexpected EOF".to_string(),
        };
    }
    // serde_json's column is 1-based on the offending character.
    let line_start: usize = text
        .split_inclusive('\n')
        .take(line - 1)
        .map(str::len)
        .sum();
    let index = line_start + err.column().saturating_sub(1);
    let ch = text
        .get(index..)
        .and_then(|s| s.chars().next())
        .unwrap_or(' ');
    let shown = match ch {
        '\'' => "'\\''".to_string(),
        c if c.is_control() => format!("{:?}", c),
        c => format!("'{c}'"),
    };
    let what = err.to_string();
    let message = if what.contains("recursion limit") {
        "exceeded max depth".to_string()
    } else if what.starts_with("key must be a string") {
        format!("invalid character {shown} looking for beginning of object key string")
    } else if what.starts_with("expected `:`") {
        format!("invalid character {shown} after object key")
    } else if what.starts_with("expected `,` or `}`") {
        format!("invalid character {shown} after object key:value pair")
    } else if what.starts_with("expected `,` or `]`") {
        format!("invalid character {shown} after array element")
    } else if what.starts_with("trailing comma") {
        match ch {
            '}' => format!("invalid character {shown} looking for beginning of object key string"),
            _ => format!("invalid character {shown} looking for beginning of value"),
        }
    } else if what.starts_with("control character") {
        format!("invalid character {shown} in string literal")
    } else {
        format!("invalid character {shown} looking for beginning of value")
    };
    IntakeError::Json {
        source: source.to_string(),
        offset: Some(index + 1),
        input_line,
        message,
    }
}

/// The 1-based line and column of `path` (`spec.containers[0].imagee`, map keys as `.key` or
/// `[key]`) inside document `doc_index` of `text` (as in [`Document::index`]); for the editor to
/// underline a field. The position is that of the key (or of the list item).
pub fn locate(text: &str, doc_index: usize, path: &str) -> Option<(usize, usize)> {
    let docs = parse_with_spans(text, "").ok()?;
    let (_, chunk) = docs.into_iter().find(|(d, _)| d.index == doc_index)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    locate_in_chunk(text, chunk, path)
}

/// One step of a field path.
#[derive(Debug, Clone, PartialEq)]
enum Step {
    Key(String),
    Index(usize),
}

fn parse_path(path: &str) -> Option<Vec<Step>> {
    let mut steps = Vec::new();
    let mut rest = path;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('[') {
            let close = r.find(']')?;
            let inner = r.get(..close)?;
            match inner.parse::<usize>() {
                Ok(i) => steps.push(Step::Index(i)),
                Err(_) => steps.push(Step::Key(inner.to_string())),
            }
            rest = r.get(close + 1..)?;
        } else {
            let r = rest.strip_prefix('.').unwrap_or(rest);
            let end = r.find(['.', '[']).unwrap_or(r.len());
            steps.push(Step::Key(r.get(..end)?.to_string()));
            rest = r.get(end..)?;
        }
    }
    Some(steps)
}

/// Walks the parser's events of one chunk, without recursion.
fn locate_in_chunk(text: &str, chunk: Chunk, path: &str) -> Option<(usize, usize)> {
    let steps = parse_path(path)?;
    let body = text.get(chunk.start..chunk.end)?;
    let mut parser = Parser::new_from_str(body);
    // Skip to the document's root node.
    let mut root = None;
    for _ in 0..MAX_LOCATE_EVENTS {
        let (event, span) = parser.next()?.ok()?;
        match event {
            Event::StreamStart | Event::DocumentStart(..) => continue,
            Event::StreamEnd => return None,
            other => {
                root = Some((other, span));
                break;
            }
        }
    }
    let (mut node, mut span) = root?;
    let position = |span: &Span| (span.start.line() + chunk.line - 1, span.start.col() + 1);
    let mut found = position(&span);
    for step in &steps {
        // `node` is the current container's start event.
        let is_map = matches!(node, Event::MappingStart(..));
        let is_seq = matches!(node, Event::SequenceStart(..));
        if !is_map && !is_seq {
            return None;
        }
        // Iterate children at depth 1 of the current container.
        let mut child = 0usize;
        let mut expecting_key = is_map;
        let mut matched = false;
        loop {
            let (event, ev_span) = next_node(&mut parser)?;
            if matches!(event, Event::MappingEnd | Event::SequenceEnd) {
                return None;
            }
            let hit = if is_map {
                if expecting_key {
                    let key_hit = match (&event, step) {
                        (Event::Scalar(k, ..), Step::Key(want)) => k.as_ref() == want.as_str(),
                        (Event::Scalar(k, ..), Step::Index(i)) => k.as_ref() == i.to_string(),
                        _ => false,
                    };
                    if !key_hit {
                        skip_node(&mut parser, &event)?;
                    }
                    expecting_key = false;
                    if key_hit {
                        found = position(&ev_span);
                        // The value follows.
                        let (value, value_span) = next_node(&mut parser)?;
                        node = value;
                        span = value_span;
                        matched = true;
                    }
                    matched
                } else {
                    skip_node(&mut parser, &event)?;
                    expecting_key = true;
                    false
                }
            } else {
                let want = match step {
                    Step::Index(i) => *i,
                    Step::Key(_) => return None,
                };
                if child == want {
                    found = position(&ev_span);
                    node = event;
                    span = ev_span;
                    matched = true;
                    true
                } else {
                    skip_node(&mut parser, &event)?;
                    child += 1;
                    false
                }
            };
            if hit {
                break;
            }
        }
        let _ = &span;
    }
    Some(found)
}

/// The next event that starts or ends a node (skipping comments and anchors metadata).
fn next_node<'a, I>(parser: &mut I) -> Option<(Event<'a>, Span)>
where
    I: Iterator<Item = Result<(Event<'a>, Span), ScanError>>,
{
    for _ in 0..MAX_LOCATE_EVENTS {
        let (event, span) = parser.next()?.ok()?;
        match event {
            Event::Anchor(..) => continue,
            Event::StreamEnd | Event::DocumentEnd => return None,
            other => return Some((other, span)),
        }
    }
    None
}

/// Skips the rest of a node whose start event was just read.
fn skip_node<'a, I>(parser: &mut I, start: &Event<'a>) -> Option<()>
where
    I: Iterator<Item = Result<(Event<'a>, Span), ScanError>>,
{
    if !matches!(start, Event::MappingStart(..) | Event::SequenceStart(..)) {
        return Some(());
    }
    let mut depth = 1usize;
    for _ in 0..MAX_LOCATE_EVENTS {
        let (event, _) = next_node(parser)?;
        match event {
            Event::MappingStart(..) | Event::SequenceStart(..) => depth += 1,
            Event::MappingEnd | Event::SequenceEnd => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return Some(());
                }
            }
            _ => {}
        }
    }
    None
}
