//! A container's simulated filesystem: directories and small text files in ordered maps, the
//! container's writable layer over the base layout of a Linux image that every container shares
//! (as overlayfs), with hard limits so no command can grow it without bound.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, LazyLock};

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

/// The base layout every Linux image has: the lower layer every container's filesystem shares.
static BASE: LazyLock<Layer> = LazyLock::new(|| {
    let mut entries = BTreeMap::new();
    entries.insert("/".into(), Node::Dir);
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
        entries.insert(d.into(), Node::Dir);
    }
    entries.insert("/dev/null".into(), Node::File(String::new()));
    entries.insert("/etc/hostname".into(), Node::File(String::new()));
    Layer(Arc::new(entries))
});

/// One container's filesystem, layered as overlayfs layers a container's: a shared read-only
/// [`Layer`] (the image's base layout, with the kubelet's mounted files if any) under the
/// container's own writable layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fs {
    /// The lower layer (read-only, shared).
    base: Arc<BTreeMap<String, Node>>,
    /// The upper layer: what the container created or changed (`Some`), and what it removed of
    /// the lower layer (`None`, a whiteout).
    upper: BTreeMap<String, Option<Node>>,
    /// How many entries the merged view holds.
    len: usize,
}

/// A read-only lower layer: the base layout with what was written over it, shared by every
/// filesystem made on it ([`Fs::on`]), as the containers of one image share its layers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layer(Arc<BTreeMap<String, Node>>);

impl Default for Fs {
    /// The base layout every Linux image has.
    fn default() -> Self {
        Fs::on(&BASE)
    }
}

/// `path` made absolute against `cwd`, with `.`, `..` and repeated slashes resolved.
pub fn normalize(cwd: &str, path: &str) -> String {
    // Most paths (every volume file the kubelet writes) are already in this form: copied as
    // they are, without splitting and joining them.
    if is_normal(path) {
        return path.to_string();
    }
    resolve(cwd, path)
}

/// [`normalize`] the long way: split, resolved part by part, joined.
fn resolve(cwd: &str, path: &str) -> String {
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

/// Whether `path` is absolute and already what [`normalize`] makes of it: no empty, `.` or
/// `..` part, and no trailing slash but the root's.
fn is_normal(path: &str) -> bool {
    if path == "/" {
        return true;
    }
    let Some(rest) = path.strip_prefix('/') else {
        return false;
    };
    rest.split('/').all(|p| !matches!(p, "" | "." | ".."))
}

fn parent(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) | None => "/",
        Some(i) => &path[..i],
    }
}

/// The entries strictly under directory `path`, as the prefix their paths start with.
fn children_prefix(path: &str) -> String {
    if path == "/" {
        "/".to_string()
    } else {
        format!("{path}/")
    }
}

impl Fs {
    /// An empty-but-for-the-base-layout filesystem.
    pub fn new() -> Fs {
        Fs::default()
    }

    /// A filesystem with `layer` below and nothing written yet.
    pub fn on(layer: &Layer) -> Fs {
        Fs {
            len: layer.0.len(),
            base: Arc::clone(&layer.0),
            upper: BTreeMap::new(),
        }
    }

    /// What this filesystem shows, as a lower layer for others (what `docker commit` makes of
    /// a container): the writable layer merged into a copy of the one below.
    pub fn into_layer(self) -> Layer {
        if self.upper.is_empty() {
            return Layer(self.base);
        }
        let mut merged = Arc::unwrap_or_clone(self.base);
        for (path, entry) in self.upper {
            match entry {
                Some(node) => {
                    merged.insert(path, node);
                }
                None => {
                    merged.remove(&path);
                }
            }
        }
        Layer(Arc::new(merged))
    }

    /// The entry at `path` in the merged view.
    fn get(&self, path: &str) -> Option<&Node> {
        match self.upper.get(path) {
            Some(entry) => entry.as_ref(),
            None => self.base.get(path),
        }
    }

    /// Adds an entry where the merged view has none.
    fn insert(&mut self, path: String, node: Node) {
        self.upper.insert(path, Some(node));
        self.len += 1;
    }

    /// Removes the entry at `path` from the merged view (it exists).
    fn forget(&mut self, path: &str) {
        if self.base.contains_key(path) {
            self.upper.insert(path.to_string(), None);
        } else {
            self.upper.remove(path);
        }
        self.len -= 1;
    }

    /// The paths of the merged view starting with `prefix`, in order.
    fn paths_under(&self, prefix: &str) -> Vec<&str> {
        let under = |k: &&String| k.starts_with(prefix);
        let mut paths: BTreeSet<&str> = self
            .base
            .range(prefix.to_string()..)
            .map(|(k, _)| k)
            .take_while(under)
            .map(String::as_str)
            .collect();
        for (k, entry) in self
            .upper
            .range(prefix.to_string()..)
            .take_while(|(k, _)| k.starts_with(prefix))
        {
            if entry.is_some() {
                paths.insert(k);
            } else {
                paths.remove(k.as_str());
            }
        }
        paths.into_iter().collect()
    }

    fn check_parent(&self, path: &str) -> Result<(), FsError> {
        match self.get(parent(path)) {
            Some(Node::Dir) => Ok(()),
            Some(Node::File(_)) => Err(FsError::NotADirectory),
            None => Err(FsError::NotFound),
        }
    }

    /// Whether anything exists at `path` (absolute).
    pub fn exists(&self, path: &str) -> bool {
        self.get(&normalize("/", path)).is_some()
    }

    /// Whether `path` is a regular file.
    pub fn is_file(&self, path: &str) -> bool {
        matches!(self.get(&normalize("/", path)), Some(Node::File(_)))
    }

    /// Whether `path` is a directory.
    pub fn is_dir(&self, path: &str) -> bool {
        matches!(self.get(&normalize("/", path)), Some(Node::Dir))
    }

    /// The contents of the file at `path`.
    pub fn read(&self, path: &str) -> Result<&str, FsError> {
        match self.get(&normalize("/", path)) {
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
        if let Some(Some(Node::File(s))) = self.upper.get_mut(&path) {
            if !append {
                s.clear();
            }
            push_bounded(s, content);
            return Ok(());
        }
        match self.get(&path) {
            Some(Node::Dir) => Err(FsError::IsADirectory),
            Some(Node::File(old)) => {
                // A file of the lower layer is copied up on its first write, as overlayfs does.
                let mut s = if append { old.clone() } else { String::new() };
                push_bounded(&mut s, content);
                self.upper.insert(path, Some(Node::File(s)));
                Ok(())
            }
            None => {
                self.check_parent(&path)?;
                if self.len >= MAX_ENTRIES {
                    return Err(FsError::NoSpace);
                }
                let mut s = String::new();
                push_bounded(&mut s, content);
                self.insert(path, Node::File(s));
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
        match self.get(&path) {
            Some(Node::Dir) if parents => return Ok(()),
            Some(_) => return Err(FsError::Exists),
            None => {}
        }
        if parents {
            let mut cur = String::new();
            for part in path.split('/').filter(|p| !p.is_empty()) {
                cur.push('/');
                cur.push_str(part);
                match self.get(&cur) {
                    Some(Node::Dir) => {}
                    Some(Node::File(_)) => return Err(FsError::NotADirectory),
                    None => {
                        if self.len >= MAX_ENTRIES {
                            return Err(FsError::NoSpace);
                        }
                        self.insert(cur.clone(), Node::Dir);
                    }
                }
            }
            Ok(())
        } else {
            self.check_parent(&path)?;
            if self.len >= MAX_ENTRIES {
                return Err(FsError::NoSpace);
            }
            self.insert(path, Node::Dir);
            Ok(())
        }
    }

    /// Removes the entry at `path`; directories only when `recursive`.
    pub fn remove(&mut self, path: &str, recursive: bool) -> Result<(), FsError> {
        let path = normalize("/", path);
        match self.get(&path) {
            None => Err(FsError::NotFound),
            Some(Node::File(_)) => {
                self.forget(&path);
                Ok(())
            }
            Some(Node::Dir) if !recursive => Err(FsError::IsADirectory),
            Some(Node::Dir) => {
                let gone: Vec<String> = self
                    .paths_under(&children_prefix(&path))
                    .into_iter()
                    .map(str::to_string)
                    .collect();
                for p in gone.iter().map(String::as_str).chain([path.as_str()]) {
                    if p != "/" {
                        self.forget(p);
                    }
                }
                Ok(())
            }
        }
    }

    /// The names directly inside the directory at `path`, sorted.
    pub fn list(&self, path: &str) -> Result<Vec<String>, FsError> {
        let path = normalize("/", path);
        match self.get(&path) {
            None => return Err(FsError::NotFound),
            Some(Node::File(_)) => return Err(FsError::NotADirectory),
            Some(Node::Dir) => {}
        }
        let prefix = children_prefix(&path);
        Ok(self
            .paths_under(&prefix)
            .into_iter()
            .filter_map(|k| {
                let rest = &k[prefix.len()..];
                (!rest.is_empty() && !rest.contains('/')).then(|| rest.to_string())
            })
            .collect())
    }
}

fn push_bounded(s: &mut String, content: &str) {
    let room = MAX_FILE_BYTES.saturating_sub(s.len());
    s.push_str(crate::text::prefix_bytes(content, room));
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn a_path_already_normal_is_kept_as_resolving_it_would_make_it() {
        let paths = [
            "/",
            "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt",
            "/a",
            "/a/",
            "//a",
            "/a//b",
            "/a/./b",
            "/a/../b",
            "/..",
            "/.",
            "/a/.",
            "/a/..",
            "/.hidden/..x/x..",
            "a/b",
            "",
            ".",
            "/\u{e9}t\u{e9}/x",
        ];
        for p in paths {
            for cwd in ["/", "/usr/local"] {
                assert_eq!(normalize(cwd, p), resolve(cwd, p), "{cwd} {p:?}");
            }
        }
    }

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
    fn changes_to_the_shared_base_layout_stay_in_one_container() {
        let (mut a, b) = (Fs::new(), Fs::new());
        a.write("/etc/hostname", "web-0\n", false).unwrap();
        a.write("/etc/hostname", "x", true).unwrap();
        assert_eq!(a.read("/etc/hostname"), Ok("web-0\nx"));
        assert_eq!(b.read("/etc/hostname"), Ok(""));

        // Removing a base directory hides everything under it, in this container only.
        a.remove("/usr", true).unwrap();
        assert!(!a.exists("/usr/local/bin"));
        assert_eq!(a.list("/usr"), Err(FsError::NotFound));
        assert!(!a.list("/").unwrap().contains(&"usr".to_string()));
        assert_eq!(b.list("/usr").unwrap(), vec!["bin", "local", "share"]);
        a.mkdir("/usr", false).unwrap();
        assert_eq!(a.list("/usr"), Ok(Vec::new()));

        // `rm -rf /` leaves the root, empty; what it freed counts against the entry limit.
        a.remove("/", true).unwrap();
        assert_eq!(a.list("/"), Ok(Vec::new()));
        for i in 0..MAX_ENTRIES - 1 {
            a.touch(&format!("/f{i}")).unwrap();
        }
        assert_eq!(a.touch("/one-too-many"), Err(FsError::NoSpace));
        assert_eq!(
            b.list("/").unwrap(),
            ["bin", "dev", "etc", "home", "proc", "root", "run", "sys", "tmp", "usr", "var"]
        );
    }

    #[test]
    fn a_filesystem_made_on_a_layer_sees_it_and_changes_only_itself() {
        let mut made = Fs::new();
        made.mkdir("/var/run/secrets", true).unwrap();
        made.write("/var/run/secrets/token", "abc", false).unwrap();
        made.remove("/home", true).unwrap();
        let seen = made.list("/").unwrap();
        let layer = made.into_layer();

        let (mut a, b) = (Fs::on(&layer), Fs::on(&layer));
        assert_eq!(a.list("/").unwrap(), seen);
        assert!(!a.exists("/home"));
        assert_eq!(a.read("/var/run/secrets/token"), Ok("abc"));
        a.write("/var/run/secrets/token", "x", true).unwrap();
        a.remove("/var/run/secrets", true).unwrap();
        assert!(!a.exists("/var/run/secrets/token"));
        assert_eq!(a.list("/var/run"), Ok(Vec::new()));
        assert_eq!(b.read("/var/run/secrets/token"), Ok("abc"));
        // The entry limit counts what the layer holds.
        let mut c = Fs::on(&layer);
        let room = MAX_ENTRIES - c.len;
        for i in 0..room {
            c.touch(&format!("/f{i}")).unwrap();
        }
        assert_eq!(c.touch("/one-too-many"), Err(FsError::NoSpace));
        // A filesystem with nothing written is its own layer, not a copy.
        assert!(Arc::ptr_eq(&Fs::on(&layer).into_layer().0, &layer.0));
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
