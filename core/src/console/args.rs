//! A kubectl command line split as a shell would (spaces, `'…'`, `"…"`, `\`), then into
//! positional arguments and flags the way cobra reads them (`-n ns`, `--namespace=ns`, `-A`).

/// A parsed command line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Args {
    /// Positional arguments, the command words first (`get`, `pods`, `nginx`).
    pub positional: Vec<String>,
    /// Flags in order, as (name without dashes, value); boolean flags have `None`.
    pub flags: Vec<(String, Option<String>)>,
}

/// Flags that take a value when written `-x value` / `--flag value`.
const VALUED: &[&str] = &[
    "n",
    "namespace",
    "o",
    "output",
    "f",
    "filename",
    "c",
    "container",
    "l",
    "selector",
    "replicas",
    "image",
    "port",
    "restart",
    "to-revision",
    "grace-period",
    "cascade",
    "for",
    "tail",
    "as",
];

impl Args {
    /// The value of the last `--name`/`-short` flag.
    pub fn value(&self, names: &[&str]) -> Option<&str> {
        self.flags
            .iter()
            .rev()
            .find(|(n, _)| names.contains(&n.as_str()))
            .and_then(|(_, v)| v.as_deref())
    }

    /// Whether a boolean flag is set (`--flag`, `--flag=true`).
    pub fn has(&self, names: &[&str]) -> bool {
        self.flags
            .iter()
            .rev()
            .find(|(n, _)| names.contains(&n.as_str()))
            .is_some_and(|(_, v)| v.as_deref().is_none_or(|v| v == "true"))
    }

    /// Flags the command does not know, for kubectl's `unknown flag` error.
    pub fn unknown(&self, known: &[&str]) -> Option<String> {
        self.flags
            .iter()
            .find(|(n, _)| !known.contains(&n.as_str()))
            .map(|(n, _)| {
                if n.len() == 1 {
                    format!("error: unknown shorthand flag: '{n}' in -{n}")
                } else {
                    format!("error: unknown flag: --{n}")
                }
            })
    }
}

/// Splits a line into words as a POSIX shell would, without expansions.
pub fn split_words(line: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => word.push(c),
                        None => return Err("unterminated quoted string".into()),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c) => word.push(c),
                            None => return Err("unterminated quoted string".into()),
                        },
                        Some(c) => word.push(c),
                        None => return Err("unterminated quoted string".into()),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(c) = chars.next() {
                    word.push(c);
                }
            }
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

/// Reads words into positional arguments and flags.
pub fn parse(words: &[String]) -> Args {
    let mut args = Args::default();
    let mut i = 0;
    while i < words.len() {
        let w = &words[i];
        if w == "--" {
            args.positional.extend(words[i + 1..].iter().cloned());
            break;
        }
        let name = w
            .strip_prefix("--")
            .or_else(|| w.strip_prefix('-').filter(|s| !s.is_empty()));
        match name {
            Some(flag) if w != "-" => {
                if let Some((n, v)) = flag.split_once('=') {
                    args.flags.push((n.to_string(), Some(v.to_string())));
                } else if VALUED.contains(&flag) && i + 1 < words.len() {
                    args.flags
                        .push((flag.to_string(), Some(words[i + 1].clone())));
                    i += 1;
                } else if w.starts_with("--") || flag.len() == 1 {
                    args.flags.push((flag.to_string(), None));
                } else {
                    // `-nkube-system`: a shorthand with its value glued on.
                    let (n, v) = flag.split_at(1);
                    if VALUED.contains(&n) {
                        args.flags.push((n.to_string(), Some(v.to_string())));
                    } else {
                        // Stacked booleans: `-Ap`.
                        for c in flag.chars() {
                            args.flags.push((c.to_string(), None));
                        }
                    }
                }
            }
            _ => args.positional.push(w.clone()),
        }
        i += 1;
    }
    args
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn words_and_flags_are_read_as_kubectl_reads_them() {
        let words =
            split_words(r#"get pods -n kube-system -o wide --show-labels "a b" 'c d'"#).unwrap();
        let a = parse(&words);
        assert_eq!(a.positional, ["get", "pods", "a b", "c d"]);
        assert_eq!(a.value(&["n", "namespace"]), Some("kube-system"));
        assert_eq!(a.value(&["o", "output"]), Some("wide"));
        assert!(a.has(&["show-labels"]));
        let a = parse(&split_words("logs -nkube-system web -p --tail=5").unwrap());
        assert_eq!(a.value(&["n"]), Some("kube-system"));
        assert!(a.has(&["p"]));
        assert_eq!(a.value(&["tail"]), Some("5"));
        assert_eq!(
            split_words("echo 'x").unwrap_err(),
            "unterminated quoted string"
        );
        assert_eq!(
            a.unknown(&["n", "p"]),
            Some("error: unknown flag: --tail".to_string())
        );
    }
}
