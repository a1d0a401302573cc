//! A resumable interpreter for the shell subset the Kubernetes docs use (`sh -c` with `;`, `&&`,
//! `||`, `while`/`until`/`for`/`if`, redirections, `$VAR`/`$(…)` expansion and busybox applets),
//! compiled to a flat program that a [`Process`] runs step by step in virtual time, so
//! `sleep 30` suspends until the clock passes and `while true` never runs away.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::runtime::catalog::{program, Daemon, Listener, Program};
use crate::runtime::fs::{normalize, Fs, FsError};
use crate::sim::{SimDuration, SimTime};

/// Most log lines a process keeps (older ones are dropped).
pub const MAX_LOG_LINES: usize = 1000;
/// Most operations one [`Process::step`] runs before yielding (a busy loop yields 10 ms).
pub const STEP_BUDGET: usize = 5_000;
/// Most operations a synchronous [`exec`] or `$(…)` runs.
pub const EXEC_BUDGET: usize = 20_000;
/// Longest script accepted, in bytes.
pub const MAX_SCRIPT: usize = 64 * 1024;
/// Deepest nesting of `$(…)`.
const MAX_DEPTH: usize = 4;

// ---------------------------------------------------------------------------------------------
// Words and lexing
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    /// Literal text; `quoted` text is not field-split.
    Lit { text: String, quoted: bool },
    /// `$NAME`, `${NAME}`, `$?`, `$1`.
    Var { name: String, quoted: bool },
    /// `$(…)` or `` `…` ``.
    Subst { script: String, quoted: bool },
}

type Word = Vec<Part>;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Word(Word),
    Semi,
    Newline,
    And,
    Or,
    Pipe,
    Amp,
    /// `>` / `>>` / `2>` / `2>>` / `2>&1` / `>&2` / `<`.
    Redir(RedirKind),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RedirKind {
    Out { fd: u8, append: bool },
    ErrToOut,
    OutToErr,
    In,
}

fn word_literal(w: &Word) -> Option<String> {
    let mut s = String::new();
    for p in w {
        match p {
            Part::Lit {
                text,
                quoted: false,
            } => s.push_str(text),
            _ => return None,
        }
    }
    Some(s)
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Reads `$…` at `chars[i]` (which is `$`); returns the part and the next index.
fn lex_dollar(chars: &[char], i: usize, quoted: bool) -> Result<(Part, usize), String> {
    let next = chars.get(i + 1).copied();
    match next {
        Some('{') => {
            let mut j = i + 2;
            let mut name = String::new();
            while j < chars.len() && chars[j] != '}' {
                name.push(chars[j]);
                j += 1;
            }
            if j >= chars.len() {
                return Err("syntax error: unterminated ${".into());
            }
            let name = name.split([':', '-']).next().unwrap_or("").to_string();
            Ok((Part::Var { name, quoted }, j + 1))
        }
        Some('(') => {
            let mut depth = 1;
            let mut j = i + 2;
            let mut script = String::new();
            while j < chars.len() {
                match chars[j] {
                    '(' => depth += 1,
                    ')' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    _ => {}
                }
                script.push(chars[j]);
                j += 1;
            }
            if j >= chars.len() {
                return Err("syntax error: unexpected end of file (expecting \")\")".into());
            }
            Ok((Part::Subst { script, quoted }, j + 1))
        }
        Some(c) if c == '?' || c == '$' || c == '#' || c.is_ascii_digit() => Ok((
            Part::Var {
                name: c.to_string(),
                quoted,
            },
            i + 2,
        )),
        Some(c) if c.is_ascii_alphabetic() || c == '_' => {
            let mut j = i + 1;
            let mut name = String::new();
            while j < chars.len() && is_name_char(chars[j]) {
                name.push(chars[j]);
                j += 1;
            }
            Ok((Part::Var { name, quoted }, j))
        }
        _ => Ok((
            Part::Lit {
                text: "$".into(),
                quoted,
            },
            i + 1,
        )),
    }
}

fn push_lit(word: &mut Word, c: char, quoted: bool) {
    if let Some(Part::Lit { text, quoted: q }) = word.last_mut() {
        if *q == quoted {
            text.push(c);
            return;
        }
    }
    word.push(Part::Lit {
        text: c.to_string(),
        quoted,
    });
}

fn lex(src: &str) -> Result<Vec<Tok>, String> {
    let chars: Vec<char> = src.chars().collect();
    let mut toks = Vec::new();
    let mut word: Word = Vec::new();
    let mut in_word = false;
    let mut i = 0;
    macro_rules! end_word {
        () => {
            if in_word {
                toks.push(Tok::Word(std::mem::take(&mut word)));
                in_word = false;
            }
        };
    }
    while i < chars.len() {
        let c = chars[i];
        match c {
            ' ' | '\t' | '\r' => {
                end_word!();
                i += 1;
            }
            '\n' => {
                end_word!();
                toks.push(Tok::Newline);
                i += 1;
            }
            '#' if !in_word => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            ';' => {
                end_word!();
                toks.push(Tok::Semi);
                i += 1;
            }
            '&' => {
                end_word!();
                if chars.get(i + 1) == Some(&'&') {
                    toks.push(Tok::And);
                    i += 2;
                } else {
                    toks.push(Tok::Amp);
                    i += 1;
                }
            }
            '|' => {
                end_word!();
                if chars.get(i + 1) == Some(&'|') {
                    toks.push(Tok::Or);
                    i += 2;
                } else {
                    toks.push(Tok::Pipe);
                    i += 1;
                }
            }
            '>' | '<' => {
                // A lone digit word right before is the fd (`2>`).
                let mut fd = 1u8;
                if in_word {
                    if let Some(s) = word_literal(&word) {
                        if s == "1" || s == "2" {
                            fd = if s == "2" { 2 } else { 1 };
                            word.clear();
                            in_word = false;
                        }
                    }
                }
                end_word!();
                if c == '<' {
                    toks.push(Tok::Redir(RedirKind::In));
                    i += 1;
                    continue;
                }
                if chars.get(i + 1) == Some(&'&') {
                    let target = chars.get(i + 2).copied();
                    i += 3;
                    toks.push(Tok::Redir(match (fd, target) {
                        (2, Some('1')) => RedirKind::ErrToOut,
                        _ => RedirKind::OutToErr,
                    }));
                } else if chars.get(i + 1) == Some(&'>') {
                    toks.push(Tok::Redir(RedirKind::Out { fd, append: true }));
                    i += 2;
                } else {
                    toks.push(Tok::Redir(RedirKind::Out { fd, append: false }));
                    i += 1;
                }
            }
            '\'' => {
                in_word = true;
                let mut j = i + 1;
                let mut text = String::new();
                while j < chars.len() && chars[j] != '\'' {
                    text.push(chars[j]);
                    j += 1;
                }
                if j >= chars.len() {
                    return Err("syntax error: unterminated quoted string".into());
                }
                word.push(Part::Lit { text, quoted: true });
                i = j + 1;
            }
            '"' => {
                in_word = true;
                let mut j = i + 1;
                // An empty "" still makes a word.
                word.push(Part::Lit {
                    text: String::new(),
                    quoted: true,
                });
                loop {
                    match chars.get(j) {
                        None => return Err("syntax error: unterminated quoted string".into()),
                        Some('"') => break,
                        Some('\\') => {
                            match chars.get(j + 1) {
                                Some(&n @ ('"' | '\\' | '$' | '`')) => push_lit(&mut word, n, true),
                                Some('\n') => {}
                                Some(&n) => {
                                    push_lit(&mut word, '\\', true);
                                    push_lit(&mut word, n, true);
                                }
                                None => push_lit(&mut word, '\\', true),
                            }
                            j += 2;
                        }
                        Some('$') => {
                            let (p, nj) = lex_dollar(&chars, j, true)?;
                            word.push(p);
                            j = nj;
                        }
                        Some(&ch) => {
                            push_lit(&mut word, ch, true);
                            j += 1;
                        }
                    }
                }
                i = j + 1;
            }
            '\\' => {
                in_word = true;
                match chars.get(i + 1) {
                    Some('\n') => {}
                    Some(&n) => push_lit(&mut word, n, true),
                    None => {}
                }
                i += 2;
            }
            '$' => {
                in_word = true;
                let (p, ni) = lex_dollar(&chars, i, false)?;
                word.push(p);
                i = ni;
            }
            '`' => {
                in_word = true;
                let mut j = i + 1;
                let mut script = String::new();
                while j < chars.len() && chars[j] != '`' {
                    script.push(chars[j]);
                    j += 1;
                }
                if j >= chars.len() {
                    return Err("syntax error: unterminated `".into());
                }
                word.push(Part::Subst {
                    script,
                    quoted: false,
                });
                i = j + 1;
            }
            c => {
                in_word = true;
                push_lit(&mut word, c, false);
                i += 1;
            }
        }
    }
    if in_word {
        toks.push(Tok::Word(word));
    }
    Ok(toks)
}

// ---------------------------------------------------------------------------------------------
// Parsing into a flat program
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq)]
struct Redir {
    kind: RedirKind,
    target: Option<Word>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Simple {
    words: Vec<Word>,
    redirs: Vec<Redir>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Op {
    /// A pipeline of simple commands (usually one).
    Run(Vec<Simple>),
    Jump(usize),
    JumpIfFail(usize),
    JumpIfOk(usize),
    /// Inverts `$?` (`!`).
    Not,
    /// `for var in words`: expands the words into loop slot `slot`.
    ForInit {
        slot: usize,
        words: Vec<Word>,
    },
    /// Takes the next item of `slot` into `var`, or jumps to `end`.
    ForNext {
        slot: usize,
        var: String,
        end: usize,
    },
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
    ops: Vec<Op>,
    slots: usize,
}

const KEYWORDS: &[&str] = &[
    "do", "done", "then", "else", "elif", "fi", "in", "}", "esac",
];

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn peek_keyword(&self) -> Option<String> {
        match self.peek() {
            Some(Tok::Word(w)) => word_literal(w),
            _ => None,
        }
    }

    fn skip_separators(&mut self) {
        while matches!(self.peek(), Some(Tok::Semi | Tok::Newline | Tok::Amp)) {
            self.pos += 1;
        }
    }

    fn skip_newlines(&mut self) {
        while matches!(self.peek(), Some(Tok::Newline)) {
            self.pos += 1;
        }
    }

    fn unexpected(&self) -> String {
        match self.peek() {
            None => "syntax error: unexpected end of file".into(),
            Some(Tok::Word(w)) => format!(
                "syntax error: unexpected \"{}\"",
                word_literal(w).unwrap_or_default()
            ),
            Some(Tok::Semi) => "syntax error: unexpected \";\"".into(),
            Some(Tok::And) => "syntax error: unexpected \"&&\"".into(),
            Some(Tok::Or) => "syntax error: unexpected \"||\"".into(),
            Some(Tok::Pipe) => "syntax error: unexpected \"|\"".into(),
            Some(_) => "syntax error: unexpected newline".into(),
        }
    }

    fn expect_keyword(&mut self, kw: &str) -> Result<(), String> {
        self.skip_separators();
        if self.peek_keyword().as_deref() == Some(kw) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.unexpected())
        }
    }

    /// A list until one of `stops` (a keyword) or the end.
    fn list(&mut self, stops: &[&str]) -> Result<(), String> {
        loop {
            self.skip_separators();
            match self.peek_keyword() {
                Some(k) if stops.contains(&k.as_str()) => return Ok(()),
                _ => {}
            }
            if self.peek().is_none() {
                return if stops.is_empty() {
                    Ok(())
                } else {
                    Err(self.unexpected())
                };
            }
            self.and_or()?;
        }
    }

    fn and_or(&mut self) -> Result<(), String> {
        self.pipeline()?;
        loop {
            let op = match self.peek() {
                Some(Tok::And) => Op::JumpIfFail(0),
                Some(Tok::Or) => Op::JumpIfOk(0),
                _ => return Ok(()),
            };
            self.pos += 1;
            self.skip_newlines();
            let at = self.ops.len();
            self.ops.push(op);
            self.pipeline()?;
            let end = self.ops.len();
            self.ops[at] = match self.ops[at] {
                Op::JumpIfFail(_) => Op::JumpIfFail(end),
                _ => Op::JumpIfOk(end),
            };
        }
    }

    fn pipeline(&mut self) -> Result<(), String> {
        let negate = if self.peek_keyword().as_deref() == Some("!") {
            self.pos += 1;
            true
        } else {
            false
        };
        match self.peek_keyword().as_deref() {
            Some("while") | Some("until") | Some("if") | Some("for") | Some("{") => {
                self.compound()?
            }
            _ => {
                let mut cmds = vec![self.simple()?];
                while matches!(self.peek(), Some(Tok::Pipe)) {
                    self.pos += 1;
                    self.skip_newlines();
                    cmds.push(self.simple()?);
                }
                self.ops.push(Op::Run(cmds));
            }
        }
        if negate {
            self.ops.push(Op::Not);
        }
        Ok(())
    }

    fn compound(&mut self) -> Result<(), String> {
        let kw = self.peek_keyword().unwrap_or_default();
        self.pos += 1;
        match kw.as_str() {
            "while" | "until" => {
                let top = self.ops.len();
                self.list(&["do"])?;
                let test = self.ops.len();
                self.ops.push(if kw == "while" {
                    Op::JumpIfFail(0)
                } else {
                    Op::JumpIfOk(0)
                });
                self.expect_keyword("do")?;
                self.list(&["done"])?;
                self.expect_keyword("done")?;
                self.ops.push(Op::Jump(top));
                let end = self.ops.len();
                self.ops[test] = if kw == "while" {
                    Op::JumpIfFail(end)
                } else {
                    Op::JumpIfOk(end)
                };
            }
            "if" => {
                let mut to_end = Vec::new();
                loop {
                    self.list(&["then"])?;
                    let test = self.ops.len();
                    self.ops.push(Op::JumpIfFail(0));
                    self.expect_keyword("then")?;
                    self.list(&["elif", "else", "fi"])?;
                    to_end.push(self.ops.len());
                    self.ops.push(Op::Jump(0));
                    let next = self.ops.len();
                    self.ops[test] = Op::JumpIfFail(next);
                    self.skip_separators();
                    match self.peek_keyword().as_deref() {
                        Some("elif") => {
                            self.pos += 1;
                        }
                        Some("else") => {
                            self.pos += 1;
                            self.list(&["fi"])?;
                            self.expect_keyword("fi")?;
                            break;
                        }
                        Some("fi") => {
                            self.pos += 1;
                            break;
                        }
                        _ => return Err(self.unexpected()),
                    }
                }
                let end = self.ops.len();
                for at in to_end {
                    self.ops[at] = Op::Jump(end);
                }
            }
            "for" => {
                let var = match self.peek() {
                    Some(Tok::Word(w)) => word_literal(w).ok_or_else(|| self.unexpected())?,
                    _ => return Err(self.unexpected()),
                };
                self.pos += 1;
                let mut words = Vec::new();
                self.skip_newlines();
                if self.peek_keyword().as_deref() == Some("in") {
                    self.pos += 1;
                    while let Some(Tok::Word(w)) = self.peek() {
                        words.push(w.clone());
                        self.pos += 1;
                    }
                }
                let slot = self.slots;
                self.slots += 1;
                self.ops.push(Op::ForInit { slot, words });
                let top = self.ops.len();
                self.ops.push(Op::ForNext {
                    slot,
                    var: var.clone(),
                    end: 0,
                });
                self.expect_keyword("do")?;
                self.list(&["done"])?;
                self.expect_keyword("done")?;
                self.ops.push(Op::Jump(top));
                let end = self.ops.len();
                self.ops[top] = Op::ForNext { slot, var, end };
            }
            _ => {
                // `{ list; }`
                self.list(&["}"])?;
                self.expect_keyword("}")?;
            }
        }
        Ok(())
    }

    fn simple(&mut self) -> Result<Simple, String> {
        let mut s = Simple {
            words: Vec::new(),
            redirs: Vec::new(),
        };
        loop {
            match self.peek() {
                Some(Tok::Word(w)) => {
                    if s.words.is_empty() {
                        if let Some(k) = word_literal(w) {
                            if KEYWORDS.contains(&k.as_str()) {
                                break;
                            }
                        }
                    }
                    s.words.push(w.clone());
                    self.pos += 1;
                }
                Some(Tok::Redir(kind)) => {
                    let kind = *kind;
                    self.pos += 1;
                    let target = match kind {
                        RedirKind::ErrToOut | RedirKind::OutToErr => None,
                        _ => match self.peek() {
                            Some(Tok::Word(w)) => {
                                let w = w.clone();
                                self.pos += 1;
                                Some(w)
                            }
                            _ => return Err(self.unexpected()),
                        },
                    };
                    s.redirs.push(Redir { kind, target });
                }
                _ => break,
            }
        }
        if s.words.is_empty() && s.redirs.is_empty() {
            return Err(self.unexpected());
        }
        Ok(s)
    }
}

/// A compiled script.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Script {
    ops: Vec<Op>,
    slots: usize,
}

fn compile(src: &str) -> Result<Script, String> {
    if src.len() > MAX_SCRIPT {
        return Err("syntax error: script too long".into());
    }
    let toks = lex(src)?;
    let mut p = Parser {
        toks,
        pos: 0,
        ops: Vec::new(),
        slots: 0,
    };
    p.list(&[])?;
    if p.pos < p.toks.len() {
        return Err(p.unexpected());
    }
    Ok(Script {
        ops: p.ops,
        slots: p.slots,
    })
}

// ---------------------------------------------------------------------------------------------
// Execution
// ---------------------------------------------------------------------------------------------

/// What a process is doing after a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProcessState {
    /// Still running; step again at `wake_at` (`None`: it only reacts to signals or probes).
    Running {
        /// When the next step has something to do.
        wake_at: Option<SimTime>,
    },
    /// It exited.
    Exited {
        /// The exit code.
        code: i32,
        /// Its output (the last log lines, joined with newlines).
        output: String,
    },
}

/// One line the process wrote to stdout or stderr.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    /// When it was written.
    pub at: SimTime,
    /// The text, without the newline.
    pub text: String,
}

/// One environment variable, name and value. Shared, not copied, between the processes that
/// have it: every container's Service variables and `PATH`, an exec's copy of its container's
/// environment; an assignment replaces the value.
pub type EnvVar = (Arc<str>, Arc<str>);

/// The shell's mutable world: variables, positional arguments, cwd, the filesystem.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Ctx {
    vars: Vec<EnvVar>,
    positional: Vec<String>,
    cwd: String,
    status: i32,
}

impl Ctx {
    fn get(&self, name: &str) -> Option<String> {
        match name {
            "?" => Some(self.status.to_string()),
            "$" => Some("1".into()),
            "#" => Some(self.positional.len().saturating_sub(1).to_string()),
            "PWD" => Some(self.cwd.clone()),
            n if n.chars().all(|c| c.is_ascii_digit()) => n
                .parse::<usize>()
                .ok()
                .and_then(|i| self.positional.get(i).cloned()),
            n => self
                .vars
                .iter()
                .rev()
                .find(|(k, _)| **k == *n)
                .map(|(_, v)| v.to_string()),
        }
    }

    fn set(&mut self, name: &str, value: &str) {
        if let Some(slot) = self.vars.iter_mut().find(|(k, _)| **k == *name) {
            slot.1 = value.into();
        } else if self.vars.len() < 1024 {
            self.vars.push((name.into(), value.into()));
        }
    }
}

/// What running one command did besides its output.
enum Control {
    Continue,
    Sleep(SimDuration),
    /// Blocks forever (`tail -f`, `sleep infinity`).
    Block,
    Exit(i32),
}

/// The result of running one simple command.
struct Outcome {
    status: i32,
    stdout: String,
    stderr: String,
    control: Control,
}

impl Outcome {
    fn ok(stdout: String) -> Outcome {
        Outcome {
            status: 0,
            stdout,
            stderr: String::new(),
            control: Control::Continue,
        }
    }
    fn err(status: i32, stderr: String) -> Outcome {
        Outcome {
            status,
            stdout: String::new(),
            stderr,
            control: Control::Continue,
        }
    }
}

fn busybox_date(now: SimTime) -> String {
    now.to_k8s_time()
        .0
        .strftime("%a %b %e %H:%M:%S UTC %Y")
        .to_string()
}

/// Parses busybox `sleep` arguments (`30`, `0.5`, `1m`, `2h`, `infinity`); `None` is invalid.
fn parse_sleep(arg: &str) -> Option<Option<SimDuration>> {
    if arg == "infinity" || arg == "inf" {
        return Some(None);
    }
    let (num, mult) = match arg.chars().last() {
        Some('s') => (&arg[..arg.len() - 1], 1000.0),
        Some('m') => (&arg[..arg.len() - 1], 60_000.0),
        Some('h') => (&arg[..arg.len() - 1], 3_600_000.0),
        Some('d') => (&arg[..arg.len() - 1], 86_400_000.0),
        _ => (arg, 1000.0),
    };
    if num.is_empty() || !num.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return None;
    }
    let v: f64 = num.parse().ok()?;
    let ms = v * mult;
    if !ms.is_finite() || ms < 0.0 {
        return None;
    }
    Some(Some(SimDuration(ms.min(1e15) as u64)))
}

fn echo_escapes(s: &str) -> (String, bool) {
    let mut out = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('\\') => out.push('\\'),
            Some('c') => return (out, true),
            Some('r') => out.push('\r'),
            Some(o) => {
                out.push('\\');
                out.push(o);
            }
            None => out.push('\\'),
        }
    }
    (out, false)
}

fn test_expr(args: &[String], fs: &Fs, cwd: &str) -> Result<bool, String> {
    let path = |p: &str| normalize(cwd, p);
    match args {
        [] => Ok(false),
        [a] => Ok(!a.is_empty()),
        [n, rest @ ..] if n == "!" => test_expr(rest, fs, cwd).map(|b| !b),
        [op, a] => match op.as_str() {
            "-f" => Ok(fs.is_file(&path(a))),
            "-d" => Ok(fs.is_dir(&path(a))),
            "-e" | "-r" | "-w" | "-s" | "-x" => Ok(fs.exists(&path(a))),
            "-z" => Ok(a.is_empty()),
            "-n" => Ok(!a.is_empty()),
            _ => Err(format!("{op}: unknown operand")),
        },
        [a, op, b] => {
            let num = |s: &str| {
                s.trim()
                    .parse::<i64>()
                    .map_err(|_| format!("{s}: bad number"))
            };
            match op.as_str() {
                "=" | "==" => Ok(a == b),
                "!=" => Ok(a != b),
                "-eq" => Ok(num(a)? == num(b)?),
                "-ne" => Ok(num(a)? != num(b)?),
                "-lt" => Ok(num(a)? < num(b)?),
                "-le" => Ok(num(a)? <= num(b)?),
                "-gt" => Ok(num(a)? > num(b)?),
                "-ge" => Ok(num(a)? >= num(b)?),
                _ => Err(format!("{op}: unknown operand")),
            }
        }
        _ => Err("syntax error".into()),
    }
}

/// Whether `host` is a public internet name the cluster's egress reaches: a dotted name outside
/// the cluster's own domains and the reserved test names (RFC 2606, RFC 6761).
fn on_the_internet(host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let reserved = [
        ".svc",
        ".cluster.local",
        ".local",
        ".internal",
        ".invalid",
        ".test",
        ".example",
        ".localhost",
    ];
    host.contains('.')
        && host.parse::<std::net::Ipv4Addr>().is_err()
        && !reserved.iter().any(|r| host.ends_with(r))
}

fn host_of(url: &str) -> String {
    let rest = url.split("://").nth(1).unwrap_or(url);
    let hostport = rest.split('/').next().unwrap_or(rest);
    hostport.split(':').next().unwrap_or(hostport).to_string()
}

/// Runs one builtin / applet. `stdin` is the previous pipeline stage's output.
fn run_builtin(argv: &[String], stdin: &str, fs: &mut Fs, ctx: &mut Ctx, now: SimTime) -> Outcome {
    let name = argv.first().map(String::as_str).unwrap_or("");
    let name = name.rsplit('/').next().unwrap_or(name);
    let args = &argv[1.min(argv.len())..];
    match name {
        "true" | ":" => Outcome::ok(String::new()),
        "false" => Outcome::err(1, String::new()),
        "echo" => {
            let mut newline = true;
            let mut escapes = false;
            let mut i = 0;
            while let Some(a) = args.get(i) {
                if a.len() > 1 && a.starts_with('-') && a[1..].chars().all(|c| "neE".contains(c)) {
                    newline &= !a.contains('n');
                    escapes |= a.contains('e');
                    i += 1;
                } else {
                    break;
                }
            }
            let mut text = args[i..].join(" ");
            if escapes {
                let (t, stop) = echo_escapes(&text);
                text = t;
                if stop {
                    newline = false;
                }
            }
            if newline {
                text.push('\n');
            }
            Outcome::ok(text)
        }
        "printf" => {
            let Some(fmt) = args.first() else {
                return Outcome::err(1, "printf: usage: printf FORMAT [ARGUMENT]...\n".into());
            };
            let mut rest = args[1..].iter();
            let mut out = String::new();
            let mut chars = fmt.chars().peekable();
            while let Some(c) = chars.next() {
                if c != '%' {
                    out.push(c);
                    continue;
                }
                match chars.next() {
                    Some('%') => out.push('%'),
                    Some('s' | 'd') => out.push_str(rest.next().map(String::as_str).unwrap_or("")),
                    Some(o) => {
                        out.push('%');
                        out.push(o);
                    }
                    None => out.push('%'),
                }
            }
            let (out, _) = echo_escapes(&out);
            Outcome::ok(out)
        }
        "printenv" | "env" => {
            if name == "env" || args.is_empty() {
                let mut out = String::new();
                for (k, v) in &ctx.vars {
                    out.push_str(&format!("{k}={v}\n"));
                }
                return Outcome::ok(out);
            }
            let mut out = String::new();
            let mut status = 0;
            for a in args {
                match ctx.vars.iter().find(|(k, _)| **k == **a) {
                    Some((_, v)) => {
                        out.push_str(v);
                        out.push('\n');
                    }
                    None => status = 1,
                }
            }
            Outcome {
                status,
                stdout: out,
                stderr: String::new(),
                control: Control::Continue,
            }
        }
        "sleep" => match args.first().map(|a| parse_sleep(a)) {
            None => Outcome::err(1, "sleep: missing operand\n".into()),
            Some(None) => Outcome::err(
                1,
                format!(
                    "sleep: invalid number '{}'\n",
                    args.first().cloned().unwrap_or_default()
                ),
            ),
            Some(Some(d)) => Outcome {
                status: 0,
                stdout: String::new(),
                stderr: String::new(),
                control: match d {
                    Some(d) => Control::Sleep(d),
                    None => Control::Block,
                },
            },
        },
        "exit" => {
            let code = match args.first() {
                Some(a) => a.parse::<i64>().map(|c| (c & 0xff) as i32).unwrap_or(2),
                None => ctx.status,
            };
            Outcome {
                status: code,
                stdout: String::new(),
                stderr: String::new(),
                control: Control::Exit(code),
            }
        }
        "touch" => {
            let mut err = String::new();
            for a in args.iter().filter(|a| !a.starts_with('-')) {
                if let Err(e) = fs.touch(&normalize(&ctx.cwd, a)) {
                    err.push_str(&format!("touch: {a}: {e}\n"));
                }
            }
            Outcome::err(i32::from(!err.is_empty()), err)
        }
        "rm" => {
            let flags: String = args
                .iter()
                .filter(|a| a.starts_with('-'))
                .flat_map(|a| a.chars())
                .collect();
            let force = flags.contains('f');
            let recursive = flags.contains('r') || flags.contains('R');
            let mut err = String::new();
            for a in args.iter().filter(|a| !a.starts_with('-')) {
                match fs.remove(&normalize(&ctx.cwd, a), recursive) {
                    Ok(()) => {}
                    Err(FsError::NotFound) if force => {}
                    Err(e) => err.push_str(&format!("rm: can't remove '{a}': {e}\n")),
                }
            }
            Outcome::err(i32::from(!err.is_empty()), err)
        }
        "mkdir" => {
            let parents = args.iter().any(|a| a == "-p");
            let mut err = String::new();
            for a in args.iter().filter(|a| !a.starts_with('-')) {
                if let Err(e) = fs.mkdir(&normalize(&ctx.cwd, a), parents) {
                    err.push_str(&format!("mkdir: can't create directory '{a}': {e}\n"));
                }
            }
            Outcome::err(i32::from(!err.is_empty()), err)
        }
        "cat" | "head" | "tail" => {
            let follow = args.iter().any(|a| a == "-f" || a == "-F");
            let files: Vec<&String> = args
                .iter()
                .filter(|a| !a.starts_with('-') && a.parse::<u64>().is_err())
                .collect();
            let mut out = String::new();
            let mut err = String::new();
            if files.is_empty() {
                out.push_str(stdin);
            }
            for f in &files {
                match fs.read(&normalize(&ctx.cwd, f)) {
                    Ok(s) => out.push_str(s),
                    Err(FsError::IsADirectory) if name == "cat" => {
                        err.push_str("cat: read error: Is a directory\n")
                    }
                    Err(e) if name == "cat" => {
                        err.push_str(&format!("cat: can't open '{f}': {e}\n"))
                    }
                    Err(e) => err.push_str(&format!("{name}: can't open '{f}': {e}\n")),
                }
            }
            if name != "cat" {
                let n = args
                    .iter()
                    .position(|a| a == "-n")
                    .and_then(|i| args.get(i + 1))
                    .and_then(|n| n.parse::<usize>().ok())
                    .unwrap_or(10);
                let lines: Vec<&str> = out.lines().collect();
                let pick: Vec<&str> = if name == "head" {
                    lines.iter().take(n).copied().collect()
                } else {
                    lines[lines.len().saturating_sub(n)..].to_vec()
                };
                out = pick.iter().map(|l| format!("{l}\n")).collect();
            }
            Outcome {
                status: i32::from(!err.is_empty()),
                stdout: out,
                stderr: err,
                control: if follow && name == "tail" {
                    Control::Block
                } else {
                    Control::Continue
                },
            }
        }
        "ls" => {
            let paths: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
            let targets: Vec<String> = if paths.is_empty() {
                vec![ctx.cwd.clone()]
            } else {
                paths.iter().map(|p| p.to_string()).collect()
            };
            let mut out = String::new();
            let mut err = String::new();
            let many = targets.len() > 1;
            for t in &targets {
                let abs = normalize(&ctx.cwd, t);
                match fs.list(&abs) {
                    Ok(names) => {
                        if many {
                            out.push_str(&format!("{t}:\n"));
                        }
                        for n in names {
                            out.push_str(&n);
                            out.push('\n');
                        }
                    }
                    Err(FsError::NotADirectory) => out.push_str(&format!("{t}\n")),
                    Err(e) => err.push_str(&format!("ls: {t}: {e}\n")),
                }
            }
            Outcome {
                status: i32::from(!err.is_empty()),
                stdout: out,
                stderr: err,
                control: Control::Continue,
            }
        }
        "test" | "[" => {
            let mut a = args.to_vec();
            if name == "[" {
                if a.last().map(String::as_str) != Some("]") {
                    return Outcome::err(2, "sh: missing ]\n".into());
                }
                a.pop();
            }
            match test_expr(&a, fs, &ctx.cwd) {
                Ok(b) => Outcome::err(i32::from(!b), String::new()),
                Err(e) => Outcome::err(2, format!("sh: {e}\n")),
            }
        }
        "wget" | "nslookup" => {
            let url = args
                .iter()
                .enumerate()
                .filter(|(i, a)| {
                    !a.starts_with('-') && !(*i > 0 && (args[i - 1] == "-O" || args[i - 1] == "-T"))
                })
                .map(|(_, a)| a.clone())
                .next_back()
                .unwrap_or_default();
            if url.is_empty() {
                return Outcome::err(
                    1,
                    format!("BusyBox v1.36.1 multi-call binary.\n\nUsage: {name}\n"),
                );
            }
            let host = host_of(&url);
            if name == "nslookup" {
                return Outcome::err(1, format!(";; connection timed out; no servers could be reached\n\nnslookup: can't resolve '{host}'\n"));
            }
            if !on_the_internet(&host) {
                return Outcome::err(1, format!("wget: bad address '{host}'\n"));
            }
            // The cluster has egress (as the docs' examples assume): a public page is fetched.
            // Its body is a stand-in; podflow does not reach the real internet.
            let body = format!("<html><head><title>{host}</title></head><body><p>Fetched from {url} (a stand-in page: podflow simulates the internet).</p></body></html>\n");
            let target = args
                .iter()
                .position(|a| a == "-O")
                .and_then(|i| args.get(i + 1))
                .cloned()
                .unwrap_or_else(|| {
                    let rest = url.split("://").nth(1).unwrap_or(&url);
                    match rest
                        .split_once('/')
                        .map(|(_, p)| p.rsplit('/').next().unwrap_or(""))
                    {
                        Some(file) if !file.is_empty() => file.to_string(),
                        _ => "index.html".to_string(),
                    }
                });
            if target == "-" {
                return Outcome::ok(body);
            }
            if let Err(e) = fs.write(&normalize(&ctx.cwd, &target), &body, false) {
                return Outcome::err(1, format!("wget: can't open '{target}': {e}\n"));
            }
            let base = target.rsplit('/').next().unwrap_or(&target);
            Outcome::err(
                0,
                format!(
                    "Connecting to {host}\nsaving to '{target}'\n{base:<20} 100% |********************************| {:>5}  0:00:00 ETA\n'{target}' saved\n",
                    body.len()
                ),
            )
        }
        "date" => Outcome::ok(format!("{}\n", busybox_date(now))),
        "hostname" => Outcome::ok(format!("{}\n", ctx.get("HOSTNAME").unwrap_or_default())),
        "pwd" => Outcome::ok(format!("{}\n", ctx.cwd)),
        "cd" => {
            let target = args.first().cloned().unwrap_or_else(|| "/root".into());
            let abs = normalize(&ctx.cwd, &target);
            if fs.is_dir(&abs) {
                ctx.cwd = abs;
                Outcome::ok(String::new())
            } else {
                Outcome::err(
                    2,
                    format!("sh: cd: can't cd to {target}: No such file or directory\n"),
                )
            }
        }
        "export" => {
            for a in args {
                if let Some((k, v)) = a.split_once('=') {
                    ctx.set(k, v);
                }
            }
            Outcome::ok(String::new())
        }
        "id" => Outcome::ok("uid=0(root) gid=0(root) groups=0(root),10(wheel)\n".into()),
        "whoami" => Outcome::ok("root\n".into()),
        "uname" => Outcome::ok("Linux\n".into()),
        "cp" | "mv" => {
            let files: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
            let (Some(src), Some(dst)) = (files.first(), files.get(1)) else {
                return Outcome::err(1, format!("{name}: missing file operand\n"));
            };
            let (src_abs, mut dst_abs) = (normalize(&ctx.cwd, src), normalize(&ctx.cwd, dst));
            let content = match fs.read(&src_abs) {
                Ok(s) => s.to_string(),
                Err(e) => return Outcome::err(1, format!("{name}: can't stat '{src}': {e}\n")),
            };
            if fs.is_dir(&dst_abs) {
                let base = src_abs.rsplit('/').next().unwrap_or("").to_string();
                dst_abs = normalize(&dst_abs, &base);
            }
            if let Err(e) = fs.write(&dst_abs, &content, false) {
                return Outcome::err(1, format!("{name}: can't create '{dst}': {e}\n"));
            }
            if name == "mv" {
                let _ = fs.remove(&src_abs, false);
            }
            Outcome::ok(String::new())
        }
        "seq" => {
            let nums: Vec<i64> = args.iter().filter_map(|a| a.parse().ok()).collect();
            let (a, b) = match nums.as_slice() {
                [b] => (1, *b),
                [a, b, ..] => (*a, *b),
                _ => return Outcome::err(1, "seq: missing operand\n".into()),
            };
            let mut out = String::new();
            let mut i = a;
            for _ in 0..10_000 {
                if i > b {
                    break;
                }
                out.push_str(&format!("{i}\n"));
                let Some(next) = i.checked_add(1) else { break };
                i = next;
            }
            Outcome::ok(out)
        }
        other => Outcome::err(127, format!("sh: {other}: not found\n")),
    }
}

/// The program-level state of a [`Process`].
#[derive(Debug, Clone, PartialEq, Eq)]
enum Body {
    Script {
        script: Script,
        pc: usize,
        loops: Vec<Vec<String>>,
        sleeping_until: Option<SimTime>,
        blocked: bool,
    },
    Daemon(Daemon),
    Batch {
        runtime: SimDuration,
        output: Vec<String>,
        code: i32,
    },
    Done(i32),
}

/// A container's main process: a script, a server or a batch program, advanced by
/// [`Process::step`] as virtual time passes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Process {
    body: Body,
    ctx: Ctx,
    fs: Fs,
    logs: Vec<LogLine>,
    dropped: usize,
    started_at: Option<SimTime>,
    exit: Option<i32>,
}

/// The OCI error containerd reports when `argv[0]` is not an executable in the image.
pub fn start_error(argv: &[String]) -> String {
    let cmd = argv.first().cloned().unwrap_or_default();
    if argv.is_empty() {
        return "no command specified".into();
    }
    let reason = if cmd.contains('/') {
        format!("stat {cmd}: no such file or directory")
    } else {
        "executable file not found in $PATH".into()
    };
    format!(
        "failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: error during container init: exec: {cmd:?}: {reason}: unknown"
    )
}

impl Process {
    /// Starts `argv` with the container's environment `env` (taken, not copied, when it is
    /// handed over as a vector) on filesystem `fs`; `Err` is containerd's start error when
    /// nothing in the image runs `argv[0]`.
    pub fn start(argv: &[String], env: impl Into<Vec<EnvVar>>, fs: Fs) -> Result<Process, String> {
        let prog = program(argv).ok_or_else(|| start_error(argv))?;
        let mut ctx = Ctx {
            vars: env.into(),
            positional: vec!["sh".into()],
            cwd: "/".into(),
            status: 0,
        };
        let mut logs = Vec::new();
        let body = match prog {
            Program::Shell { script: None, .. } => Body::Done(0),
            Program::Shell {
                script: Some(src),
                args,
            } => {
                if !args.is_empty() {
                    ctx.positional = args;
                }
                match compile(&src) {
                    Ok(script) => Body::Script {
                        loops: vec![Vec::new(); script.slots],
                        script,
                        pc: 0,
                        sleeping_until: None,
                        blocked: false,
                    },
                    Err(e) => {
                        logs.push(LogLine {
                            at: SimTime::ZERO,
                            text: format!("sh: {e}"),
                        });
                        Body::Done(2)
                    }
                }
            }
            Program::Command(argv) => {
                let words = argv
                    .iter()
                    .map(|a| {
                        vec![Part::Lit {
                            text: a.clone(),
                            quoted: true,
                        }]
                    })
                    .collect();
                Body::Script {
                    script: Script {
                        ops: vec![Op::Run(vec![Simple {
                            words,
                            redirs: vec![],
                        }])],
                        slots: 0,
                    },
                    pc: 0,
                    loops: vec![],
                    sleeping_until: None,
                    blocked: false,
                }
            }
            Program::Daemon(d) => {
                for l in &d.startup_logs {
                    logs.push(LogLine {
                        at: SimTime::ZERO,
                        text: l.to_string(),
                    });
                }
                Body::Daemon(d)
            }
            Program::Batch {
                runtime,
                output,
                code,
            } => Body::Batch {
                runtime,
                output,
                code,
            },
        };
        Ok(Process {
            body,
            ctx,
            fs,
            logs,
            dropped: 0,
            started_at: None,
            exit: None,
        })
    }

    /// The container's filesystem (exec probes read what the process wrote).
    pub fn fs(&self) -> &Fs {
        &self.fs
    }

    /// The filesystem, mutably (for `kubectl exec` and exec probes).
    pub fn fs_mut(&mut self) -> &mut Fs {
        &mut self.fs
    }

    /// The environment the process started with (plus what it exported).
    pub fn env(&self) -> &[EnvVar] {
        &self.ctx.vars
    }

    /// Its log lines so far (the last [`MAX_LOG_LINES`]).
    pub fn logs(&self) -> &[LogLine] {
        &self.logs
    }

    /// How many old log lines were dropped to keep the bound.
    pub fn dropped_lines(&self) -> usize {
        self.dropped
    }

    /// The ports it listens on while running (servers only).
    pub fn listeners(&self) -> &[Listener] {
        match (&self.body, self.exit) {
            (Body::Daemon(d), None) => &d.listeners,
            _ => &[],
        }
    }

    /// How long it has been running at `now` (zero before its first step).
    pub fn uptime(&self, now: SimTime) -> SimDuration {
        self.started_at
            .map(|s| now.since(s))
            .unwrap_or(SimDuration(0))
    }

    /// Its memory use in bytes (servers and load generators report theirs; scripts ~1 MiB).
    pub fn memory_bytes(&self) -> u64 {
        match &self.body {
            Body::Daemon(d) => d.memory_bytes,
            _ => 1024 * 1024,
        }
    }

    /// Whether SIGTERM makes it exit (servers do; a shell running as PID 1 ignores it, so the
    /// kubelet has to wait for the grace period and SIGKILL).
    pub fn handles_sigterm(&self) -> bool {
        matches!(self.body, Body::Daemon(ref d) if d.cpu_millis < 1000 && !d.startup_logs.iter().any(|l| l.starts_with("stress")))
    }

    /// Ends the process with `code` (0 after a handled SIGTERM, 137 for SIGKILL/OOM).
    pub fn kill(&mut self, code: i32) -> ProcessState {
        self.exit = Some(code);
        self.body = Body::Done(code);
        self.exited()
    }

    fn log(&mut self, at: SimTime, text: &str) {
        if text.is_empty() {
            return;
        }
        let text = text.strip_suffix('\n').unwrap_or(text);
        for line in text.split('\n') {
            self.logs.push(LogLine {
                at,
                text: line.chars().take(16 * 1024).collect(),
            });
        }
        if self.logs.len() > MAX_LOG_LINES {
            let excess = self.logs.len() - MAX_LOG_LINES;
            self.logs.drain(..excess);
            self.dropped += excess;
        }
    }

    fn exited(&self) -> ProcessState {
        let code = self.exit.unwrap_or(0);
        let tail: Vec<&str> = self
            .logs
            .iter()
            .rev()
            .take(80)
            .map(|l| l.text.as_str())
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        ProcessState::Exited {
            code,
            output: tail.join("\n"),
        }
    }

    /// Advances the process to `now`: runs until it sleeps, blocks, exits or uses up
    /// [`STEP_BUDGET`] operations.
    pub fn step(&mut self, now: SimTime) -> ProcessState {
        if self.exit.is_some() {
            return self.exited();
        }
        let started = *self.started_at.get_or_insert(now);
        match &mut self.body {
            Body::Done(code) => {
                self.exit = Some(*code);
                self.exited()
            }
            Body::Daemon(_) => ProcessState::Running { wake_at: None },
            Body::Batch {
                runtime,
                output,
                code,
            } => {
                let end = started.plus(*runtime);
                if now < end {
                    return ProcessState::Running { wake_at: Some(end) };
                }
                let (output, code) = (std::mem::take(output), *code);
                for l in output {
                    self.log(end, &l);
                }
                self.exit = Some(code);
                self.exited()
            }
            Body::Script { .. } => self.run_script(now),
        }
    }

    fn run_script(&mut self, now: SimTime) -> ProcessState {
        let Body::Script {
            script,
            pc,
            loops,
            sleeping_until,
            blocked,
        } = &mut self.body
        else {
            return ProcessState::Running { wake_at: None };
        };
        if *blocked {
            return ProcessState::Running { wake_at: None };
        }
        // A late step resumes at the moment the sleep ended, so sleep chains stay exact.
        let mut now = now;
        if let Some(t) = *sleeping_until {
            if now < t {
                return ProcessState::Running { wake_at: Some(t) };
            }
            now = t;
            *sleeping_until = None;
        }
        let mut script = std::mem::replace(
            script,
            Script {
                ops: vec![],
                slots: 0,
            },
        );
        let mut pc_v = *pc;
        let mut loops_v = std::mem::take(loops);
        let mut result = None;
        let mut pending_logs: Vec<String> = Vec::new();
        let mut exec = Exec {
            fs: &mut self.fs,
            ctx: &mut self.ctx,
            now,
            depth: 0,
            fuel: (STEP_BUDGET * 4) as u64,
        };
        for _ in 0..STEP_BUDGET {
            let Some(op) = script.ops.get(pc_v).cloned() else {
                result = Some(ProcessState::Exited {
                    code: exec.ctx.status,
                    output: String::new(),
                });
                break;
            };
            pc_v += 1;
            match exec.op(&op, &mut pc_v, &mut loops_v) {
                Step::Next => {}
                Step::Output(s) => pending_logs.push(s),
                Step::Control(out, control) => {
                    pending_logs.push(out);
                    match control {
                        Control::Continue => {}
                        Control::Sleep(d) => {
                            result = Some(ProcessState::Running {
                                wake_at: Some(now.plus(d)),
                            });
                            break;
                        }
                        Control::Block => {
                            result = Some(ProcessState::Running { wake_at: None });
                            break;
                        }
                        Control::Exit(code) => {
                            result = Some(ProcessState::Exited {
                                code,
                                output: String::new(),
                            });
                            break;
                        }
                    }
                }
            }
        }
        let result = result.unwrap_or(ProcessState::Running {
            wake_at: Some(now.plus(SimDuration(10))),
        });
        // Put the program back.
        if let Body::Script {
            script: s,
            pc,
            loops,
            sleeping_until,
            blocked,
        } = &mut self.body
        {
            std::mem::swap(s, &mut script);
            *pc = pc_v;
            *loops = loops_v;
            match &result {
                ProcessState::Running { wake_at: Some(t) } if *t > now.plus(SimDuration(10)) => {
                    *sleeping_until = Some(*t)
                }
                ProcessState::Running { wake_at: Some(t) } => *sleeping_until = Some(*t),
                ProcessState::Running { wake_at: None } => *blocked = true,
                ProcessState::Exited { .. } => {}
            }
        }
        for l in pending_logs {
            self.log(now, &l);
        }
        match result {
            ProcessState::Exited { code, .. } => {
                self.exit = Some(code);
                self.body = Body::Done(code);
                self.exited()
            }
            r => r,
        }
    }
}

enum Step {
    Next,
    Output(String),
    Control(String, Control),
}

/// One running interpreter over borrowed state.
struct Exec<'a> {
    fs: &'a mut Fs,
    ctx: &'a mut Ctx,
    now: SimTime,
    depth: usize,
    /// Operations left for this step, shared with nested `$(…)`.
    fuel: u64,
}

impl Exec<'_> {
    fn expand_word(&mut self, w: &Word) -> Vec<String> {
        // Fields: unquoted expansions split on whitespace.
        let mut fields: Vec<String> = Vec::new();
        let mut cur = String::new();
        let mut have = false;
        for p in w {
            let (text, quoted) = match p {
                Part::Lit { text, quoted } => (text.clone(), *quoted || !text.is_empty()),
                Part::Var { name, quoted } => (self.ctx.get(name).unwrap_or_default(), *quoted),
                Part::Subst { script, quoted } => {
                    let out = self.substitute(script);
                    (out.trim_end_matches('\n').to_string(), *quoted)
                }
            };
            let literal = matches!(p, Part::Lit { .. });
            if quoted || literal {
                cur.push_str(&text);
                have = true;
            } else {
                let mut parts = text.split_whitespace().peekable();
                if text.starts_with(char::is_whitespace) && have {
                    fields.push(std::mem::take(&mut cur));
                    have = false;
                }
                while let Some(s) = parts.next() {
                    cur.push_str(s);
                    have = true;
                    if parts.peek().is_some() {
                        fields.push(std::mem::take(&mut cur));
                    }
                }
                if text.ends_with(char::is_whitespace) && have {
                    fields.push(std::mem::take(&mut cur));
                    have = false;
                }
            }
        }
        if have {
            fields.push(cur);
        }
        fields
    }

    fn substitute(&mut self, script: &str) -> String {
        if self.depth >= MAX_DEPTH || self.fuel == 0 {
            return String::new();
        }
        let Ok(s) = compile(script) else {
            return String::new();
        };
        let mut sub = Exec {
            fs: self.fs,
            ctx: self.ctx,
            now: self.now,
            depth: self.depth + 1,
            fuel: self.fuel,
        };
        let saved = sub.ctx.status;
        let (_, out) = sub.run_to_end(&s, EXEC_BUDGET / 4);
        sub.ctx.status = saved;
        let left = sub.fuel;
        self.fuel = left;
        out
    }

    /// Runs a whole script synchronously (sleeps are skipped, counted in the elapsed time).
    fn run_to_end(&mut self, script: &Script, budget: usize) -> (Option<i32>, String) {
        let mut pc = 0;
        let mut loops = vec![Vec::new(); script.slots];
        let mut out = String::new();
        for _ in 0..budget {
            if self.fuel == 0 {
                break;
            }
            let Some(op) = script.ops.get(pc).cloned() else {
                return (Some(self.ctx.status), out);
            };
            pc += 1;
            match self.op_sync(&op, &mut pc, &mut loops) {
                (s, None) => out.push_str(&s),
                (s, Some(Control::Exit(c))) => {
                    out.push_str(&s);
                    return (Some(c), out);
                }
                (s, Some(Control::Block)) => {
                    out.push_str(&s);
                    return (None, out);
                }
                (s, Some(_)) => out.push_str(&s),
            }
            if out.len() > 64 * 1024 {
                out.truncate(64 * 1024);
            }
        }
        (None, out)
    }

    fn op_sync(
        &mut self,
        op: &Op,
        pc: &mut usize,
        loops: &mut [Vec<String>],
    ) -> (String, Option<Control>) {
        match self.op(op, pc, loops) {
            Step::Next => (String::new(), None),
            Step::Output(s) => (s, None),
            Step::Control(s, c) => (s, Some(c)),
        }
    }

    fn op(&mut self, op: &Op, pc: &mut usize, loops: &mut [Vec<String>]) -> Step {
        self.fuel = self.fuel.saturating_sub(1);
        match op {
            Op::Jump(t) => {
                *pc = *t;
                Step::Next
            }
            Op::JumpIfFail(t) => {
                if self.ctx.status != 0 {
                    *pc = *t;
                }
                Step::Next
            }
            Op::JumpIfOk(t) => {
                if self.ctx.status == 0 {
                    *pc = *t;
                }
                Step::Next
            }
            Op::Not => {
                self.ctx.status = i32::from(self.ctx.status == 0);
                Step::Next
            }
            Op::ForInit { slot, words } => {
                let mut items: Vec<String> = Vec::new();
                for w in words {
                    items.extend(self.expand_word(w));
                }
                items.truncate(10_000);
                items.reverse();
                if let Some(s) = loops.get_mut(*slot) {
                    *s = items;
                }
                self.ctx.status = 0;
                Step::Next
            }
            Op::ForNext { slot, var, end } => {
                match loops.get_mut(*slot).and_then(|s| s.pop()) {
                    Some(item) => self.ctx.set(var, &item),
                    None => *pc = *end,
                }
                Step::Next
            }
            Op::Run(cmds) => {
                let mut stdin = String::new();
                let mut combined = String::new();
                let mut control = Control::Continue;
                let last = cmds.len().saturating_sub(1);
                for (i, cmd) in cmds.iter().enumerate() {
                    let o = self.simple(cmd, &stdin);
                    if i == last {
                        combined.push_str(&o.stdout);
                        control = o.control;
                        self.ctx.status = o.status;
                    } else {
                        stdin = o.stdout;
                    }
                    combined.push_str(&o.stderr);
                }
                match control {
                    Control::Continue if combined.is_empty() => Step::Next,
                    Control::Continue => Step::Output(combined),
                    c => Step::Control(combined, c),
                }
            }
        }
    }

    fn simple(&mut self, cmd: &Simple, stdin: &str) -> Outcome {
        let mut argv: Vec<String> = Vec::new();
        for w in &cmd.words {
            argv.extend(self.expand_word(w));
        }
        // Leading assignments.
        let mut assigned = false;
        while let Some(first) = argv.first() {
            match first.split_once('=') {
                Some((k, v))
                    if !k.is_empty()
                        && k.chars().all(is_name_char)
                        && !k.starts_with(|c: char| c.is_ascii_digit()) =>
                {
                    let (k, v) = (k.to_string(), v.to_string());
                    self.ctx.set(&k, &v);
                    argv.remove(0);
                    assigned = true;
                }
                _ => break,
            }
        }
        let mut out = if argv.is_empty() {
            let _ = assigned;
            Outcome::ok(String::new())
        } else {
            let input = match cmd.redirs.iter().find(|r| r.kind == RedirKind::In) {
                Some(r) => {
                    let f = r
                        .target
                        .as_ref()
                        .map(|w| self.expand_word(w).join(" "))
                        .unwrap_or_default();
                    match self.fs.read(&normalize(&self.ctx.cwd, &f)) {
                        Ok(s) => s.to_string(),
                        Err(e) => return Outcome::err(1, format!("sh: can't open '{f}': {e}\n")),
                    }
                }
                None => stdin.to_string(),
            };
            run_builtin(&argv, &input, self.fs, self.ctx, self.now)
        };
        for r in &cmd.redirs {
            match r.kind {
                RedirKind::ErrToOut => {
                    let e = std::mem::take(&mut out.stderr);
                    out.stdout.push_str(&e);
                }
                RedirKind::OutToErr => {
                    let o = std::mem::take(&mut out.stdout);
                    out.stderr.push_str(&o);
                }
                RedirKind::In => {}
                RedirKind::Out { fd, append } => {
                    let f = r
                        .target
                        .as_ref()
                        .map(|w| self.expand_word(w).join(" "))
                        .unwrap_or_default();
                    let text = if fd == 2 {
                        std::mem::take(&mut out.stderr)
                    } else {
                        std::mem::take(&mut out.stdout)
                    };
                    if let Err(e) = self.fs.write(&normalize(&self.ctx.cwd, &f), &text, append) {
                        out.stderr.push_str(&format!("sh: can't create {f}: {e}\n"));
                        out.status = 1;
                    }
                }
            }
        }
        out
    }
}

/// The result of a synchronous exec (probes, `kubectl exec`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecResult {
    /// The exit code; `None` when the command did not finish (it sleeps, blocks or is a server).
    pub code: Option<i32>,
    /// stdout and stderr, interleaved as written.
    pub output: String,
    /// Virtual time the command took (the sum of its sleeps).
    pub elapsed: SimDuration,
}

/// Runs `argv` to completion in the container's filesystem and environment, as an exec probe
/// or `kubectl exec` does; bounded by [`EXEC_BUDGET`] operations. Sleeps do not block: they add
/// to [`ExecResult::elapsed`] so the caller can apply its timeout.
pub fn exec(argv: &[String], fs: &mut Fs, env: &[EnvVar], now: SimTime) -> ExecResult {
    let Some(prog) = program(argv) else {
        return ExecResult {
            code: Some(127),
            output: start_error(argv),
            elapsed: SimDuration(0),
        };
    };
    let mut ctx = Ctx {
        vars: env.to_vec(),
        positional: vec!["sh".into()],
        cwd: "/".into(),
        status: 0,
    };
    let script = match prog {
        Program::Shell { script: None, .. } => {
            return ExecResult {
                code: Some(0),
                output: String::new(),
                elapsed: SimDuration(0),
            }
        }
        Program::Shell {
            script: Some(src),
            args,
        } => {
            if !args.is_empty() {
                ctx.positional = args;
            }
            match compile(&src) {
                Ok(s) => s,
                Err(e) => {
                    return ExecResult {
                        code: Some(2),
                        output: format!("sh: {e}\n"),
                        elapsed: SimDuration(0),
                    }
                }
            }
        }
        Program::Command(argv) => Script {
            ops: vec![Op::Run(vec![Simple {
                words: argv
                    .iter()
                    .map(|a| {
                        vec![Part::Lit {
                            text: a.clone(),
                            quoted: true,
                        }]
                    })
                    .collect(),
                redirs: vec![],
            }])],
            slots: 0,
        },
        Program::Daemon(_) => {
            return ExecResult {
                code: None,
                output: String::new(),
                elapsed: SimDuration(u64::MAX / 4),
            }
        }
        Program::Batch {
            runtime,
            output,
            code,
        } => {
            let mut out = output.join("\n");
            if !out.is_empty() {
                out.push('\n');
            }
            return ExecResult {
                code: Some(code),
                output: out,
                elapsed: runtime,
            };
        }
    };
    // Run op by op so sleeps add up instead of suspending.
    let mut e = Exec {
        fs,
        ctx: &mut ctx,
        now,
        depth: 0,
        fuel: (EXEC_BUDGET * 2) as u64,
    };
    let mut pc = 0;
    let mut loops = vec![Vec::new(); script.slots];
    let mut out = String::new();
    let mut elapsed = SimDuration(0);
    for _ in 0..EXEC_BUDGET {
        let Some(op) = script.ops.get(pc).cloned() else {
            return ExecResult {
                code: Some(e.ctx.status),
                output: out,
                elapsed,
            };
        };
        pc += 1;
        e.now = now.plus(elapsed);
        match e.op(&op, &mut pc, &mut loops) {
            Step::Next => {}
            Step::Output(s) => out.push_str(&s),
            Step::Control(s, c) => {
                out.push_str(&s);
                match c {
                    Control::Continue => {}
                    Control::Sleep(d) => {
                        elapsed = SimDuration(elapsed.as_millis().saturating_add(d.as_millis()))
                    }
                    Control::Block => {
                        return ExecResult {
                            code: None,
                            output: out,
                            elapsed: SimDuration(u64::MAX / 4),
                        }
                    }
                    Control::Exit(code) => {
                        return ExecResult {
                            code: Some(code),
                            output: out,
                            elapsed,
                        }
                    }
                }
            }
        }
        if out.len() > 64 * 1024 {
            out.truncate(64 * 1024);
        }
        if elapsed.as_millis() > 86_400_000 {
            break;
        }
    }
    ExecResult {
        code: None,
        output: out,
        elapsed: SimDuration(u64::MAX / 4),
    }
}

/// Variables every container gets besides its own `env`, in the kubelet's order is not
/// guaranteed; tests and callers pass them explicitly. This helper builds the common ones.
pub fn base_env(hostname: &str) -> Vec<EnvVar> {
    vec![
        ("PATH".into(), crate::runtime::catalog::DEFAULT_PATH.into()),
        ("HOSTNAME".into(), hostname.into()),
    ]
}

/// Ordered map of environment variables, for callers that build env from several sources.
pub type EnvMap = BTreeMap<String, String>;

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn v(xs: &[&str]) -> Vec<String> {
        xs.iter().map(|s| s.to_string()).collect()
    }

    fn s(n: u64) -> SimTime {
        SimTime(n * 1000)
    }

    fn cat_healthy(p: &mut Process, at: SimTime) -> ExecResult {
        let env = p.env().to_vec();
        exec(&v(&["cat", "/tmp/healthy"]), p.fs_mut(), &env, at)
    }

    #[test]
    fn exec_liveness_passes_until_thirty_seconds_then_fails_with_busybox_text() {
        let argv = v(&[
            "/bin/sh",
            "-c",
            "touch /tmp/healthy; sleep 30; rm -f /tmp/healthy; sleep 600",
        ]);
        let mut p = Process::start(&argv, base_env("liveness-exec"), Fs::new()).unwrap();
        assert_eq!(
            p.step(s(0)),
            ProcessState::Running {
                wake_at: Some(s(30))
            }
        );
        assert_eq!(cat_healthy(&mut p, s(5)).code, Some(0));
        assert_eq!(cat_healthy(&mut p, s(29)).output, "");
        assert_eq!(
            p.step(s(10)),
            ProcessState::Running {
                wake_at: Some(s(30))
            }
        );
        assert_eq!(
            p.step(s(33)), // stepped late, it resumes at 30 s: the next sleep still ends at 630 s
            ProcessState::Running {
                wake_at: Some(s(630))
            }
        );
        let r = cat_healthy(&mut p, s(35));
        assert_eq!(r.code, Some(1));
        assert_eq!(
            r.output,
            "cat: can't open '/tmp/healthy': No such file or directory\n"
        );
    }

    #[test]
    fn printenv_prints_hostname_and_kubernetes_port_then_exits_zero() {
        let mut env = base_env("command-demo");
        env.push(("KUBERNETES_PORT".into(), "tcp://10.96.0.1:443".into()));
        let mut p = Process::start(
            &v(&["printenv", "HOSTNAME", "KUBERNETES_PORT"]),
            env,
            Fs::new(),
        )
        .unwrap();
        assert_eq!(
            p.step(s(1)),
            ProcessState::Exited {
                code: 0,
                output: "command-demo\ntcp://10.96.0.1:443".into()
            }
        );
        let texts: Vec<&str> = p.logs().iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts, vec!["command-demo", "tcp://10.96.0.1:443"]);
    }

    #[test]
    fn a_while_true_loop_stays_bounded_and_sleeps_in_virtual_time() {
        let script = "while true; do echo -en '\\n'; printenv MY_POD_NAME; sleep 10; done;";
        let mut env = base_env("dapi");
        env.push(("MY_POD_NAME".into(), "dapi-envars-fieldref".into()));
        let mut p = Process::start(&v(&["sh", "-c", script]), env, Fs::new()).unwrap();
        let mut t = s(0);
        for _ in 0..2000 {
            match p.step(t) {
                ProcessState::Running { wake_at: Some(w) } => t = w,
                other => panic!("loop ended: {other:?}"),
            }
        }
        assert_eq!(t, s(20_000));
        assert_eq!(p.logs().len(), MAX_LOG_LINES);
        assert_eq!(p.logs().last().unwrap().text, "dapi-envars-fieldref");
        // A loop without sleep yields after its budget instead of spinning forever.
        let mut busy =
            Process::start(&v(&["sh", "-c", "while true; do :; done"]), &[], Fs::new()).unwrap();
        assert_eq!(
            busy.step(s(1)),
            ProcessState::Running {
                wake_at: Some(SimTime(1010))
            }
        );
    }

    #[test]
    fn and_or_lists_exit_codes_and_echo_expand_like_sh() {
        let run = |script: &str| {
            let mut p =
                Process::start(&v(&["sh", "-c", script]), base_env("h"), Fs::new()).unwrap();
            p.step(s(0))
        };
        assert_eq!(
            run("echo $HOSTNAME && false || echo \"fell back ${HOSTNAME}\"; exit 3"),
            ProcessState::Exited {
                code: 3,
                output: "h\nfell back h".into()
            }
        );
        assert_eq!(
            run("[ -f /tmp/x ] || exit 7"),
            ProcessState::Exited {
                code: 7,
                output: String::new()
            }
        );
        assert_eq!(
            run("mkdir -p /data && echo hi > /data/f; cat /data/f; ls /data; test -f /data/f"),
            ProcessState::Exited {
                code: 0,
                output: "hi\nf".into()
            }
        );
        assert_eq!(
            run("for i in 1 2 3; do echo n$i; done; if [ 1 -eq 2 ]; then echo no; else echo yes; fi"),
            ProcessState::Exited { code: 0, output: "n1\nn2\nn3\nyes".into() }
        );
        assert_eq!(
            run("echo $(echo inner) 'a  b' done"),
            ProcessState::Exited {
                code: 0,
                output: "inner a  b done".into()
            }
        );
        assert_eq!(
            run("nosuchcmd"),
            ProcessState::Exited {
                code: 127,
                output: "sh: nosuchcmd: not found".into()
            }
        );
        assert_eq!(
            run("while true; do echo"),
            ProcessState::Exited {
                code: 2,
                output: "sh: syntax error: unexpected end of file".into()
            }
        );
    }

    #[test]
    fn wget_fetches_a_public_page_and_fails_for_names_it_cannot_resolve() {
        let mut fs = Fs::new();
        fs.mkdir("/work-dir", true).unwrap();
        let mut p = Process::start(
            &v(&["wget", "-O", "/work-dir/index.html", "http://info.cern.ch"]),
            &[],
            fs,
        )
        .unwrap();
        let ProcessState::Exited { code, output } = p.step(s(1)) else {
            panic!("wget is still running")
        };
        assert_eq!(code, 0, "{output}");
        assert!(output.ends_with("'/work-dir/index.html' saved"), "{output}");
        assert!(p
            .fs()
            .read("/work-dir/index.html")
            .unwrap()
            .contains("http://info.cern.ch"));
        let mut p = Process::start(
            &v(&[
                "wget",
                "-O",
                "/tmp/x",
                "http://my-svc.default.svc.cluster.local",
            ]),
            &[],
            Fs::new(),
        )
        .unwrap();
        assert_eq!(
            p.step(s(1)),
            ProcessState::Exited {
                code: 1,
                output: "wget: bad address 'my-svc.default.svc.cluster.local'".into()
            }
        );
    }

    #[test]
    fn servers_run_forever_and_unknown_programs_fail_to_start() {
        let mut p = Process::start(&v(&["redis-server"]), &[], Fs::new()).unwrap();
        assert_eq!(p.step(s(1)), ProcessState::Running { wake_at: None });
        assert_eq!(p.listeners()[0].port, 6379);
        assert_eq!(p.uptime(s(11)), SimDuration::secs(10));
        assert_eq!(
            Process::start(&v(&["foo"]), &[], Fs::new()).unwrap_err(),
            "failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: error during container init: exec: \"foo\": executable file not found in $PATH: unknown"
        );
        let mut b = Process::start(&v(&["sh"]), &[], Fs::new()).unwrap();
        assert_eq!(
            b.step(s(0)),
            ProcessState::Exited {
                code: 0,
                output: String::new()
            }
        );
    }

    #[test]
    fn exec_adds_up_sleeps_instead_of_blocking() {
        let mut fs = Fs::new();
        let r = exec(&v(&["sh", "-c", "sleep 5; echo done"]), &mut fs, &[], s(0));
        assert_eq!(
            (r.code, r.output.as_str(), r.elapsed),
            (Some(0), "done\n", SimDuration::secs(5))
        );
        let r = exec(&v(&["sh", "-c", "tail -f /dev/null"]), &mut fs, &[], s(0));
        assert_eq!(r.code, None);
    }

    #[test]
    fn no_script_from_a_stranger_panics_or_runs_away() {
        const PIECES: &[&str] = &[
            "echo",
            " ",
            "$",
            "$(",
            ")",
            "`",
            "'",
            "\"",
            "\\",
            ";",
            "&&",
            "||",
            "|",
            "&",
            ">",
            ">>",
            "2>&1",
            "<",
            "while",
            "do",
            "done",
            "if",
            "then",
            "else",
            "fi",
            "for",
            "in",
            "{",
            "}",
            "true",
            "false",
            "sleep",
            "1",
            "0.5",
            "infinity",
            "exit",
            "printf",
            "%s",
            "%",
            "seq",
            "9223372036854775807",
            "cat",
            "/tmp/x",
            "rm",
            "-rf",
            "/",
            "mkdir",
            "-p",
            "touch",
            "ls",
            "[",
            "]",
            "-f",
            "!",
            "${",
            "HOSTNAME",
            "é",
            "\n",
            "#",
            "tail",
            "-f",
            "x=1",
            "$x",
            "wget",
            "http://a",
            "cd",
            "..",
            "test",
            "-eq",
            "printenv",
            "env",
        ];
        let mut rng = crate::sim::SimRng::new(99);
        for _ in 0..400 {
            let n = 1 + rng.below(24) as usize;
            let script: String = (0..n)
                .map(|_| PIECES[rng.below(PIECES.len() as u64) as usize])
                .collect::<Vec<_>>()
                .join(if rng.below(2) == 0 { " " } else { "" });
            let argv = v(&["sh", "-c", &script]);
            let mut p = Process::start(&argv, base_env("fuzz"), Fs::new()).unwrap();
            let mut t = s(0);
            for _ in 0..20 {
                match p.step(t) {
                    ProcessState::Running { wake_at: Some(w) } => t = w.max(t.plus(SimDuration(1))),
                    _ => break,
                }
            }
            let _ = exec(&argv, &mut Fs::new(), &[], s(0));
        }
    }

    #[test]
    fn nested_substitutions_share_one_budget() {
        let bomb = "while true; do echo $(while true; do echo $(while true; do echo $(while true; do :; done); done); done); done";
        let mut p = Process::start(&v(&["sh", "-c", bomb]), &[], Fs::new()).unwrap();
        assert!(matches!(p.step(s(0)), ProcessState::Running { .. }));
        let r = exec(&v(&["sh", "-c", bomb]), &mut Fs::new(), &[], s(0));
        assert_eq!(r.code, None);
    }

    #[test]
    fn the_dapi_envars_loop_prints_a_blank_line_then_the_fields_every_ten_seconds() {
        let script = "while true; do echo -en '\\n'; printenv MY_NODE_NAME MY_POD_NAME MY_POD_NAMESPACE; printenv MY_POD_IP MY_POD_SERVICE_ACCOUNT; sleep 10; done;";
        let mut env = base_env("dapi-envars-fieldref");
        for (k, val) in [
            ("MY_NODE_NAME", "node-1"),
            ("MY_POD_NAME", "dapi-envars-fieldref"),
            ("MY_POD_NAMESPACE", "default"),
            ("MY_POD_IP", "10.244.1.5"),
            ("MY_POD_SERVICE_ACCOUNT", "default"),
        ] {
            env.push((k.into(), val.into()));
        }
        let mut p = Process::start(&v(&["sh", "-c", script]), env, Fs::new()).unwrap();
        assert_eq!(
            p.step(s(0)),
            ProcessState::Running {
                wake_at: Some(s(10))
            }
        );
        assert_eq!(
            p.step(s(10)),
            ProcessState::Running {
                wake_at: Some(s(20))
            }
        );
        let lines: Vec<(u64, &str)> = p
            .logs()
            .iter()
            .map(|l| (l.at.0 / 1000, l.text.as_str()))
            .collect();
        assert_eq!(
            lines,
            vec![
                (0, ""),
                (0, "node-1"),
                (0, "dapi-envars-fieldref"),
                (0, "default"),
                (0, "10.244.1.5"),
                (0, "default"),
                (10, ""),
                (10, "node-1"),
                (10, "dapi-envars-fieldref"),
                (10, "default"),
                (10, "10.244.1.5"),
                (10, "default"),
            ]
        );
    }
}
