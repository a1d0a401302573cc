//! A container's simulated filesystem: directories and small text files in an ordered map, with
//! the base layout of a Linux image and hard limits so no command can grow it without bound.

use std::collections::BTreeMap;

/// Most entries a filesystem holds.
pub const MAX_ENTRIES: usize = 4096;
/// Largest file, in bytes (writes beyond it are truncated).
pub const MAX_FILE_BYTES: usize = 1 << 20;

/// Why a filesystem operation failed (the errno text busybox prints).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FsError {
    /// `No such file or directory`.
    NotFound,
    /// `Not a directory`.
    NotADirectory,
    /// `Is a directory`.
    IsADirectory,
    /// `File exists`.
    Exists,
    /// `Directory not empty`.
    NotEmpty,
    /// `No space left on device` (the entry limit).
    NoSpace,
}

impl std::fmt::Display for FsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            FsError::NotFound => "No such file or directory",
            FsError::NotADirectory => "Not a directory",
            FsError::IsADirectory => "Is a directory",
            FsError::Exists => "File exists",
            FsError::NotEmpty => "Directory not empty",
            FsError::NoSpace => "No space left on device",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Node {
    Dir,
    File(String),
}

/// One container's filesystem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fs {
    entries: BTreeMap<String, Node>,
}

impl Default for Fs {
    /// The base layout every Linux image has.
    fn default() -> Self {
        let mut fs = Fs {
            entries: BTreeMap::new(),
        };
        fs.entries.insert("/".into(), Node::Dir);
        for d in [
            "/bin",
            "/dev",
            "/etc",
            "/home",
            "/proc",
            "/root",
            "/sys",
            "/tmp",
            "/usr",
            "/usr/bin",
            "/usr/local",
            "/usr/local/bin",
            "/usr/share",
            "/var",
            "/var/log",
            "/run",
        ] {
            fs.entries.insert(d.into(), Node::Dir);
        }
        fs.entries
            .insert("/dev/null".into(), Node::File(String::new()));
        fs.entries
            .insert("/etc/hostname".into(), Node::File(String::new()));
        fs
    }
}

/// `path` made absolute against `cwd`, with `.`, `..` and repeated slashes resolved.
pub fn normalize(cwd: &str, path: &str) -> String {
    let joined = if path.starts_with('/') {
        path.to_string()
    } else {
        format!("{cwd}/{path}")
    };
    let mut parts: Vec<&str> = Vec::new();
    for p in joined.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    format!("/{}", parts.join("/"))
}

fn parent(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) | None => "/",
        Some(i) => &path[..i],
    }
}

impl Fs {
    /// An empty-but-for-the-base-layout filesystem.
    pub fn new() -> Fs {
        Fs::default()
    }

    fn check_parent(&self, path: &str) -> Result<(), FsError> {
        match self.entries.get(parent(path)) {
            Some(Node::Dir) => Ok(()),
            Some(Node::File(_)) => Err(FsError::NotADirectory),
            None => Err(FsError::NotFound),
        }
    }

    /// Whether anything exists at `path` (absolute).
    pub fn exists(&self, path: &str) -> bool {
        self.entries.contains_key(&normalize("/", path))
    }

    /// Whether `path` is a regular file.
    pub fn is_file(&self, path: &str) -> bool {
        matches!(self.entries.get(&normalize("/", path)), Some(Node::File(_)))
    }

    /// Whether `path` is a directory.
    pub fn is_dir(&self, path: &str) -> bool {
        matches!(self.entries.get(&normalize("/", path)), Some(Node::Dir))
    }

    /// The contents of the file at `path`.
    pub fn read(&self, path: &str) -> Result<&str, FsError> {
        match self.entries.get(&normalize("/", path)) {
            Some(Node::File(s)) => Ok(s),
            Some(Node::Dir) => Err(FsError::IsADirectory),
            None => Err(FsError::NotFound),
        }
    }

    /// Writes (or appends to) the file at `path`, creating it; the parent must exist.
    pub fn write(&mut self, path: &str, content: &str, append: bool) -> Result<(), FsError> {
        let path = normalize("/", path);
        if path == "/dev/null" {
            return Ok(());
        }
        match self.entries.get_mut(&path) {
            Some(Node::Dir) => Err(FsError::IsADirectory),
            Some(Node::File(s)) => {
                if !append {
                    s.clear();
                }
                push_bounded(s, content);
                Ok(())
            }
            None => {
                self.check_parent(&path)?;
                if self.entries.len() >= MAX_ENTRIES {
                    return Err(FsError::NoSpace);
                }
                let mut s = String::new();
                push_bounded(&mut s, content);
                self.entries.insert(path, Node::File(s));
                Ok(())
            }
        }
    }

    /// `touch`: creates an empty file if nothing is there.
    pub fn touch(&mut self, path: &str) -> Result<(), FsError> {
        if self.exists(path) {
            return Ok(());
        }
        self.write(path, "", true)
    }

    /// Creates a directory (and its parents when `parents`).
    pub fn mkdir(&mut self, path: &str, parents: bool) -> Result<(), FsError> {
        let path = normalize("/", path);
        match self.entries.get(&path) {
            Some(Node::Dir) if parents => return Ok(()),
            Some(_) => return Err(FsError::Exists),
            None => {}
        }
        if parents {
            let mut cur = String::new();
            for part in path.split('/').filter(|p| !p.is_empty()) {
                cur.push('/');
                cur.push_str(part);
                match self.entries.get(&cur) {
                    Some(Node::Dir) => {}
                    Some(Node::File(_)) => return Err(FsError::NotADirectory),
                    None => {
                        if self.entries.len() >= MAX_ENTRIES {
                            return Err(FsError::NoSpace);
                        }
                        self.entries.insert(cur.clone(), Node::Dir);
                    }
                }
            }
            Ok(())
        } else {
            self.check_parent(&path)?;
            if self.entries.len() >= MAX_ENTRIES {
                return Err(FsError::NoSpace);
            }
            self.entries.insert(path, Node::Dir);
            Ok(())
        }
    }

    /// Removes the entry at `path`; directories only when `recursive`.
    pub fn remove(&mut self, path: &str, recursive: bool) -> Result<(), FsError> {
        let path = normalize("/", path);
        match self.entries.get(&path) {
            None => Err(FsError::NotFound),
            Some(Node::File(_)) => {
                self.entries.remove(&path);
                Ok(())
            }
            Some(Node::Dir) if !recursive => Err(FsError::IsADirectory),
            Some(Node::Dir) => {
                let prefix = if path == "/" {
                    "/".to_string()
                } else {
                    format!("{path}/")
                };
                self.entries
                    .retain(|k, _| k != &path && !k.starts_with(&prefix) || k == "/");
                Ok(())
            }
        }
    }

    /// The names directly inside the directory at `path`, sorted.
    pub fn list(&self, path: &str) -> Result<Vec<String>, FsError> {
        let path = normalize("/", path);
        match self.entries.get(&path) {
            None => return Err(FsError::NotFound),
            Some(Node::File(_)) => return Err(FsError::NotADirectory),
            Some(Node::Dir) => {}
        }
        let prefix = if path == "/" {
            "/".to_string()
        } else {
            format!("{path}/")
        };
        Ok(self
            .entries
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .filter_map(|(k, _)| {
                let rest = &k[prefix.len()..];
                (!rest.is_empty() && !rest.contains('/')).then(|| rest.to_string())
            })
            .collect())
    }
}

fn push_bounded(s: &mut String, content: &str) {
    let room = MAX_FILE_BYTES.saturating_sub(s.len());
    if content.len() <= room {
        s.push_str(content);
    } else {
        let mut cut = room;
        while cut > 0 && !content.is_char_boundary(cut) {
            cut -= 1;
        }
        s.push_str(&content[..cut]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn files_are_created_read_and_removed() {
        let mut fs = Fs::new();
        fs.touch("/tmp/healthy").unwrap();
        assert!(fs.is_file("/tmp/healthy"));
        assert_eq!(fs.read("/tmp/healthy"), Ok(""));
        fs.write("/tmp/healthy", "ok\n", true).unwrap();
        assert_eq!(fs.read("/tmp//./healthy"), Ok("ok\n"));
        fs.remove("/tmp/healthy", false).unwrap();
        assert_eq!(fs.read("/tmp/healthy"), Err(FsError::NotFound));
        assert_eq!(fs.touch("/nope/x"), Err(FsError::NotFound));
    }

    #[test]
    fn directories_nest_and_list_in_order() {
        let mut fs = Fs::new();
        fs.mkdir("/work-dir/a/b", true).unwrap();
        fs.write("/work-dir/index.html", "<html>", false).unwrap();
        assert_eq!(fs.list("/work-dir").unwrap(), vec!["a", "index.html"]);
        assert_eq!(fs.mkdir("/work-dir", false), Err(FsError::Exists));
        assert_eq!(fs.remove("/work-dir", false), Err(FsError::IsADirectory));
        fs.remove("/work-dir", true).unwrap();
        assert!(!fs.exists("/work-dir/a/b"));
        assert_eq!(normalize("/usr/local", "../bin/./x"), "/usr/bin/x");
    }

    #[test]
    fn the_entry_limit_holds() {
        let mut fs = Fs::new();
        let mut last = Ok(());
        for i in 0..MAX_ENTRIES + 10 {
            last = fs.touch(&format!("/tmp/f{i}"));
        }
        assert_eq!(last, Err(FsError::NoSpace));
    }
}
