//! The image catalog as data: containerd's reference normalization, what each known image is
//! (size, entrypoint, cmd, env, memory), which programs serve which ports with which protocol
//! behaviour, and the registry's answer for images nobody knows.

use std::borrow::Cow;
use std::sync::{Arc, LazyLock};

use crate::runtime::shell::EnvVar;
use crate::sim::SimDuration;

/// A parsed, normalized image reference, as containerd names it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ImageRef {
    /// The registry host (with port), e.g. `docker.io`, `registry.k8s.io`, `localhost:5000`.
    pub domain: String,
    /// The repository path, e.g. `library/nginx`.
    pub path: String,
    /// The tag; `latest` when neither tag nor digest was written.
    pub tag: Option<String>,
    /// The digest, e.g. `sha256:…`.
    pub digest: Option<String>,
}

impl ImageRef {
    /// `docker.io/library/nginx`.
    pub fn repository(&self) -> String {
        format!("{}/{}", self.domain, self.path)
    }

    /// The fully qualified reference containerd pulls: `docker.io/library/nginx:latest`,
    /// `docker.io/library/nginx@sha256:…`, `docker.io/library/nginx:1.2@sha256:…`.
    pub fn full(&self) -> String {
        let mut s = self.repository();
        if let Some(t) = &self.tag {
            s.push(':');
            s.push_str(t);
        }
        if let Some(d) = &self.digest {
            s.push('@');
            s.push_str(d);
        }
        s
    }

    /// The last path component, e.g. `nginx` for `docker.io/library/nginx`.
    pub fn short_name(&self) -> &str {
        self.path.rsplit('/').next().unwrap_or(&self.path)
    }
}

/// Why a reference does not parse (distribution/reference's error texts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReferenceError {
    /// `invalid reference format`.
    InvalidFormat,
    /// `invalid reference format: repository name (library/NGINX) must be lowercase`.
    Uppercase(String),
    /// `repository name must not be more than 255 characters`.
    NameTooLong,
    /// `invalid repository name (<64 hex>), cannot specify 64-byte hexadecimal strings`.
    Identifier(String),
}

impl std::fmt::Display for ReferenceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReferenceError::InvalidFormat => write!(f, "invalid reference format"),
            ReferenceError::Uppercase(r) => write!(
                f,
                "invalid reference format: repository name ({r}) must be lowercase"
            ),
            ReferenceError::NameTooLong => {
                write!(f, "repository name must not be more than 255 characters")
            }
            ReferenceError::Identifier(s) => write!(
                f,
                "invalid repository name ({s}), cannot specify 64-byte hexadecimal strings"
            ),
        }
    }
}

/// The kubelet's `InvalidImageName` message for an unparsable reference:
/// `Failed to apply default image tag "NGINX": couldn't parse image name "NGINX": <error>`.
pub fn invalid_image_name_message(image: &str, err: &ReferenceError) -> String {
    format!(
        "Failed to apply default image tag {image:?}: couldn't parse image name {image:?}: {err}"
    )
}

/// One path component: `[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*`. Checked on bytes: every byte
/// of a non-ASCII character is outside `[a-z0-9]` and no separator.
fn valid_component(s: &str) -> bool {
    let lower_alnum = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    let b = s.as_bytes();
    if b.is_empty() || !lower_alnum(b[0]) || !lower_alnum(b[b.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        if lower_alnum(b[i]) {
            i += 1;
            continue;
        }
        // A separator run: `.`, `_`, `__` or any number of `-`.
        let start = i;
        while i < b.len() && !lower_alnum(b[i]) {
            i += 1;
        }
        let sep = &b[start..i];
        let ok = sep == b"." || sep == b"_" || sep == b"__" || sep.iter().all(|&c| c == b'-');
        if !ok {
            return false;
        }
    }
    true
}

/// Whether lowercasing `s` changes it (`strings.ToLower(s) != s`), without building the
/// lowercase copy.
fn changes_when_lowercased(s: &str) -> bool {
    s.chars().any(|c| !c.to_lowercase().eq(std::iter::once(c)))
}

fn valid_domain(s: &str) -> bool {
    let (host, port) = match s.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (s, None),
    };
    if let Some(p) = port {
        if p.is_empty() || !p.chars().all(|c| c.is_ascii_digit()) {
            return false;
        }
    }
    !host.is_empty()
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

fn valid_tag(s: &str) -> bool {
    let mut cs = s.chars();
    matches!(cs.next(), Some(c) if c.is_ascii_alphanumeric() || c == '_')
        && s.len() <= 128
        && cs.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-')
}

fn valid_digest(s: &str) -> bool {
    match s.split_once(':') {
        Some((alg, hex)) => {
            !alg.is_empty()
                && alg
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "+.-_".contains(c))
                && hex.len() >= 32
                && hex.chars().all(|c| c.is_ascii_hexdigit())
        }
        None => false,
    }
}

/// Parses and normalizes a reference as `reference.ParseNormalizedNamed` plus the kubelet's
/// default tag: `nginx` → `docker.io/library/nginx:latest`.
pub fn parse_reference(image: &str) -> Result<ImageRef, ReferenceError> {
    if image.is_empty() {
        return Err(ReferenceError::InvalidFormat);
    }
    if image.len() == 64
        && image
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
    {
        return Err(ReferenceError::Identifier(image.to_string()));
    }
    // Split off the digest, then the domain.
    let (name_tag, digest) = match image.split_once('@') {
        Some((n, d)) => (n, Some(d)),
        None => (image, None),
    };
    let (domain, remainder) = match name_tag.split_once('/') {
        Some((first, rest))
            if first.contains('.')
                || first.contains(':')
                || first == "localhost"
                || changes_when_lowercased(first) =>
        {
            (first, rest)
        }
        _ => ("docker.io", name_tag),
    };
    let domain = if domain == "index.docker.io" {
        "docker.io"
    } else {
        domain
    };
    let (remote, tag) = match remainder.rsplit_once(':') {
        Some((r, t)) if !t.contains('/') => (r, Some(t)),
        _ => (remainder, None),
    };
    // Docker Hub's official images live under `library/`.
    let remote = if domain == "docker.io" && !remainder.contains('/') {
        ["library/", remote].concat()
    } else {
        remote.to_string()
    };
    if changes_when_lowercased(&remote) {
        return Err(ReferenceError::Uppercase(remote));
    }
    if !valid_domain(domain)
        || !remote.split('/').all(valid_component)
        || tag.is_some_and(|t| !valid_tag(t))
        || digest.is_some_and(|d| !valid_digest(d))
    {
        return Err(ReferenceError::InvalidFormat);
    }
    if domain.len() + 1 + remote.len() > 255 {
        return Err(ReferenceError::NameTooLong);
    }
    let (domain, tag, digest) = (
        domain.to_string(),
        tag.map(str::to_string),
        digest.map(str::to_string),
    );
    let tag = match (&tag, &digest) {
        (None, None) => Some("latest".to_string()),
        _ => tag,
    };
    Ok(ImageRef {
        domain,
        path: remote,
        tag,
        digest,
    })
}

/// What an HTTP server answers on one port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HttpBehaviour {
    /// Fixed answers per path; `default` for any other path.
    Static {
        /// `(path, status)` pairs.
        routes: Vec<(String, u16)>,
        /// The status for unlisted paths.
        default: u16,
    },
    /// agnhost `liveness`: `/healthz` answers 200 for the first `healthy_for`, then 500;
    /// other paths 404.
    FlipToError {
        /// How long the server stays healthy after it starts.
        healthy_for: SimDuration,
    },
}

impl HttpBehaviour {
    /// The status for `path` when the server has been up for `uptime`.
    pub fn status(&self, path: &str, uptime: SimDuration) -> u16 {
        let path = path.split('?').next().unwrap_or("");
        let path = if path.is_empty() { "/" } else { path };
        match self {
            HttpBehaviour::Static { routes, default } => routes
                .iter()
                .find(|(p, _)| p == path)
                .map(|(_, s)| *s)
                .unwrap_or(*default),
            HttpBehaviour::FlipToError { healthy_for } => {
                if path != "/healthz" {
                    404
                } else if uptime <= *healthy_for {
                    200
                } else {
                    500
                }
            }
        }
    }
}

/// One listening port of a running program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listener {
    /// The TCP port.
    pub port: u16,
    /// HTTP behaviour, if the port speaks HTTP.
    pub http: Option<HttpBehaviour>,
    /// The gRPC health service status, if the port serves `grpc.health.v1.Health`
    /// (`true` = `SERVING`).
    pub grpc_serving: Option<bool>,
}

impl Listener {
    fn tcp(port: u16) -> Listener {
        Listener {
            port,
            http: None,
            grpc_serving: None,
        }
    }
    fn http(port: u16, routes: &[(&str, u16)], default: u16) -> Listener {
        Listener {
            port,
            http: Some(HttpBehaviour::Static {
                routes: routes.iter().map(|(p, s)| (p.to_string(), *s)).collect(),
                default,
            }),
            grpc_serving: None,
        }
    }
}

/// A long-running program the runtime does not interpret line by line: a server or a load
/// generator that runs until killed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Daemon {
    /// The ports it listens on.
    pub listeners: Vec<Listener>,
    /// Its steady memory use (working set), bytes.
    pub memory_bytes: u64,
    /// CPU it tries to use, millicores.
    pub cpu_millis: u64,
    /// Lines it logs on startup (the catalog's own lines borrowed, not copied per container).
    pub startup_logs: Vec<Cow<'static, str>>,
}

/// What running an argv means, decided from the program name like a real exec would.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Program {
    /// A shell: `sh -c <script>` (or `sh` with no script, which exits 0 at once without stdin).
    Shell {
        /// The `-c` script, if any.
        script: Option<String>,
        /// `$0`, `$1`, … after the script.
        args: Vec<String>,
    },
    /// A single command the shell interpreter knows as a builtin or busybox applet.
    Command(Vec<String>),
    /// A program that runs until killed.
    Daemon(Daemon),
    /// A program that prints `output` after `runtime` and exits with `code`.
    Batch {
        /// How long it runs.
        runtime: SimDuration,
        /// What it prints.
        output: Vec<String>,
        /// Its exit code.
        code: i32,
    },
}

const MI: u64 = 1024 * 1024;

fn flag_value<'a>(argv: &'a [String], names: &[&str]) -> Option<&'a str> {
    for (i, a) in argv.iter().enumerate() {
        for n in names {
            if a == n {
                return argv.get(i + 1).map(String::as_str);
            }
            if let Some(v) = a.strip_prefix(&format!("{n}=")) {
                return Some(v);
            }
        }
    }
    None
}

/// Bytes from stress-style sizes: `250M`, `150Mi`, `1G`, `1024`.
pub fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let digits: String = s.chars().take_while(|c| c.is_ascii_digit()).collect();
    let n: u64 = digits.parse().ok()?;
    let unit = &s[digits.len()..];
    let mult = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1024,
        "ki" => 1024,
        "m" | "mb" | "mi" => MI,
        "g" | "gb" | "gi" => 1024 * MI,
        _ => return None,
    };
    n.checked_mul(mult)
}

/// The busybox applets and shell builtins the interpreter runs.
pub const COMMANDS: &[&str] = &[
    "echo", "printenv", "env", "sleep", "exit", "true", "false", "touch", "rm", "cat", "test", "[",
    "ls", "mkdir", "wget", "date", "hostname", "pwd", "cd", "export", "id", "whoami", "tail",
    "head", "cp", "mv", "uname", "nslookup", ":", "printf", "seq",
];

/// What `argv` runs, from its program's base name (a server, a shell, an applet); `None` when
/// nothing on the image's `$PATH` has that name.
pub fn program(argv: &[String]) -> Option<Program> {
    let first = argv.first()?;
    let base = first.rsplit('/').next().unwrap_or(first);
    let rest = &argv[1..];
    Some(match base {
        "docker-entrypoint.sh" => {
            return match rest.first() {
                Some(_) => program(rest),
                None => Some(Program::Command(vec!["true".into()])),
            }
        }
        "sh" | "bash" | "ash" | "dash" => {
            let mut i = 0;
            let mut script = None;
            while i < rest.len() {
                let a = &rest[i];
                if a == "-c" {
                    script = rest.get(i + 1).cloned();
                    i += 2;
                    break;
                }
                if a.starts_with('-') && a.len() > 1 {
                    if a.contains('c') {
                        script = rest.get(i + 1).cloned();
                        i += 2;
                        break;
                    }
                    i += 1;
                    continue;
                }
                break;
            }
            if script.is_none() && i < rest.len() {
                // `sh script.sh`: unknown script files fail like sh does.
                return Some(Program::Batch {
                    runtime: SimDuration(5),
                    output: vec![format!("sh: can't open '{}': No such file or directory", rest[i])],
                    code: 2,
                });
            }
            Program::Shell {
                script,
                args: rest.get(i..).map(|s| s.to_vec()).unwrap_or_default(),
            }
        }
        "nginx" => Program::Daemon(Daemon {
            listeners: vec![Listener::http(80, &[("/", 200), ("/index.html", 200)], 404)],
            memory_bytes: 4 * MI,
            cpu_millis: 1,
            startup_logs: [
                "/docker-entrypoint.sh: /docker-entrypoint.d/ is not empty, will attempt to perform configuration",
                "/docker-entrypoint.sh: Looking for shell scripts in /docker-entrypoint.d/",
                "/docker-entrypoint.sh: Launching /docker-entrypoint.d/10-listen-on-ipv6-by-default.sh",
                "/docker-entrypoint.sh: Configuration complete; ready for start up",
            ]
            .map(Cow::Borrowed)
            .to_vec(),
        }),
        "redis-server" => Program::Daemon(Daemon {
            listeners: vec![Listener::tcp(6379)],
            memory_bytes: 3 * MI,
            cpu_millis: 2,
            startup_logs: vec!["1:M * Ready to accept connections tcp".into()],
        }),
        "etcd" => {
            let port = flag_value(argv, &["--listen-client-urls"])
                .and_then(|u| u.rsplit(':').next())
                .and_then(|p| p.trim_end_matches('/').parse().ok())
                .unwrap_or(2379);
            Program::Daemon(Daemon {
                listeners: vec![Listener {
                    port,
                    http: Some(HttpBehaviour::Static {
                        routes: vec![("/health".into(), 200), ("/version".into(), 200)],
                        default: 404,
                    }),
                    grpc_serving: Some(true),
                }],
                memory_bytes: 20 * MI,
                cpu_millis: 10,
                startup_logs: vec!["{\"level\":\"info\",\"msg\":\"serving client traffic insecurely; this is strongly discouraged!\"}".into()],
            })
        }
        "agnhost" => agnhost(rest),
        "goproxy" => Program::Daemon(Daemon {
            listeners: vec![Listener::http(8080, &[], 500)],
            memory_bytes: 2 * MI,
            cpu_millis: 1,
            startup_logs: vec![],
        }),
        "pause" => Program::Daemon(Daemon {
            listeners: vec![],
            memory_bytes: MI / 4,
            cpu_millis: 0,
            startup_logs: vec![],
        }),
        "echoserver" => Program::Daemon(Daemon {
            listeners: vec![Listener::http(8080, &[], 200)],
            memory_bytes: 8 * MI,
            cpu_millis: 1,
            startup_logs: vec![],
        }),
        "hello-app" => Program::Daemon(Daemon {
            listeners: vec![Listener::http(8080, &[], 200)],
            memory_bytes: 3 * MI,
            cpu_millis: 1,
            startup_logs: vec!["2025/04/23 00:00:00 Server listening on port 8080".into()],
        }),
        "node" | "server.js" => Program::Daemon(Daemon {
            listeners: vec![Listener::http(8080, &[], 200)],
            memory_bytes: 30 * MI,
            cpu_millis: 1,
            startup_logs: vec![],
        }),
        "td-agent" | "fluentd" | "run.sh" => Program::Daemon(Daemon {
            listeners: vec![],
            memory_bytes: 60 * MI,
            cpu_millis: 20,
            startup_logs: vec![],
        }),
        "stress" => {
            // polinux/stress: `--vm N --vm-bytes 250M`; vish/stress: `-mem-total 150Mi -cpus 2`.
            let vms: u64 = flag_value(argv, &["--vm", "-m"])
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            let per_vm = flag_value(argv, &["--vm-bytes"])
                .and_then(parse_size)
                .unwrap_or(256 * MI);
            let mem_total = flag_value(argv, &["-mem-total", "--mem-total"]).and_then(parse_size);
            let memory = mem_total.unwrap_or(vms.min(64).saturating_mul(per_vm)) + MI;
            let cpus: u64 = flag_value(argv, &["-cpus", "--cpu", "-c"])
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            let startup = if first.contains("stress") && vms > 0 {
                vec![Cow::Owned(format!(
                    "stress: info: [1] dispatching hogs: {cpus} cpu, 0 io, {vms} vm, 0 hdd"
                ))]
            } else {
                vec![]
            };
            Program::Daemon(Daemon {
                listeners: vec![],
                memory_bytes: memory,
                cpu_millis: cpus.min(1024) * 1000,
                startup_logs: startup,
            })
        }
        "perl" => {
            let digits = argv
                .iter()
                .find_map(|a| a.split("bpi(").nth(1))
                .and_then(|s| s.split(')').next())
                .and_then(|n| n.trim().parse::<usize>().ok());
            match digits {
                Some(n) => Program::Batch {
                    runtime: SimDuration::millis(2_000 + (n as u64).min(10_000) * 5),
                    output: vec![pi_digits(n.min(10_000))],
                    code: 0,
                },
                None => Program::Batch {
                    runtime: SimDuration(20),
                    output: vec![],
                    code: 0,
                },
            }
        }
        b if COMMANDS.contains(&b) => Program::Command(argv.to_vec()),
        _ => return None,
    })
}

fn agnhost(rest: &[String]) -> Program {
    let sub = rest.first().map(String::as_str).unwrap_or("");
    let port = |names: &[&str], default: u16| {
        flag_value(rest, names)
            .and_then(|p| p.parse().ok())
            .unwrap_or(default)
    };
    let daemon = |listeners: Vec<Listener>| {
        Program::Daemon(Daemon {
            listeners,
            memory_bytes: 8 * MI,
            cpu_millis: 1,
            startup_logs: vec![],
        })
    };
    match sub {
        "liveness" => daemon(vec![Listener {
            port: 8080,
            http: Some(HttpBehaviour::FlipToError {
                healthy_for: SimDuration::secs(10),
            }),
            grpc_serving: None,
        }]),
        "netexec" => daemon(vec![Listener::http(port(&["--http-port"], 8080), &[], 200)]),
        "serve-hostname" => daemon(vec![Listener::http(port(&["--port"], 9376), &[], 200)]),
        "test-webserver" => daemon(vec![Listener::http(port(&["--port"], 80), &[], 200)]),
        "grpc-health-checking" => daemon(vec![
            Listener {
                port: port(&["--port"], 5000),
                http: None,
                grpc_serving: Some(true),
            },
            Listener::http(port(&["--http-port"], 8080), &[], 200),
        ]),
        "pause" => daemon(vec![]),
        _ => Program::Batch {
            runtime: SimDuration(10),
            output: vec!["agnhost is a multipurpose image for Kubernetes e2e tests.".into()],
            code: if sub.is_empty() { 0 } else { 1 },
        },
    }
}

/// π to `n` significant digits as Perl's `bpi(n)` prints it (`3.14159…`), by a bounded spigot.
pub fn pi_digits(n: usize) -> String {
    let n = n.clamp(1, 10_000);
    // Rabinowitz–Wagon spigot with a few guard digits, then truncated like bignum rounds down
    // rarely enough for a playground.
    let want = n + 5;
    let len = want * 10 / 3 + 1;
    let mut a = vec![2u64; len];
    let mut out = String::with_capacity(want + 1);
    let mut nines = 0usize;
    let mut predigit = 0u64;
    for _ in 0..want {
        let mut q = 0u64;
        for i in (0..len).rev() {
            let x = 10 * a[i] + q * (i as u64 + 1);
            let d = 2 * i as u64 + 1;
            a[i] = x % d;
            q = x / d;
        }
        a[0] = q % 10;
        q /= 10;
        if q == 9 {
            nines += 1;
        } else if q == 10 {
            out.push(char::from(b'0' + (predigit as u8 + 1) % 10));
            out.extend(std::iter::repeat_n('0', nines));
            predigit = 0;
            nines = 0;
        } else {
            out.push(char::from(b'0' + predigit as u8));
            predigit = q;
            out.extend(std::iter::repeat_n('9', nines));
            nines = 0;
        }
    }
    // The spigot emits a leading 0 before the 3.
    let digits: String = out.chars().skip(1).take(n).collect();
    if digits.len() <= 1 {
        return digits;
    }
    format!("{}.{}", &digits[..1], &digits[1..])
}

/// A known image: what `docker inspect` and the registry would say about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageInfo {
    /// The normalized repository, e.g. `docker.io/library/nginx`.
    pub repository: String,
    /// The tags this entry covers exactly (empty: any tag that is not obviously fake).
    pub tags: Vec<String>,
    /// Size in bytes as the kubelet reports it after a pull.
    pub size: u64,
    /// `ENTRYPOINT`.
    pub entrypoint: Vec<String>,
    /// `CMD`.
    pub cmd: Vec<String>,
    /// `ENV` (besides `PATH`, which every image has).
    pub env: Vec<(String, String)>,
}

/// What the registry answers for a reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// The image exists: pull it (shared by the pull, the node's image list and the
    /// containers that run it).
    Found(Arc<ImageInfo>),
    /// The pull fails with this CRI error text.
    Failed(String),
}

/// The default `PATH` of Linux images.
pub const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// The catalog: known images plus the rules for unknown ones. Overridable: push entries or
/// change the defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Catalog {
    /// Known images, first match wins (exact tag entries before any-tag entries).
    pub images: Vec<ImageInfo>,
    /// The size of images nobody listed but that plausibly exist (default 50 MB).
    pub default_size: u64,
    /// Registries that answer; other hosts fail DNS.
    pub registries: Vec<String>,
}

fn v(xs: &[&str]) -> Vec<String> {
    xs.iter().map(|s| s.to_string()).collect()
}

fn entry(repo: &str, tags: &[&str], size: u64, entrypoint: &[&str], cmd: &[&str]) -> ImageInfo {
    ImageInfo {
        repository: repo.into(),
        tags: v(tags),
        size,
        entrypoint: v(entrypoint),
        cmd: v(cmd),
        env: vec![],
    }
}

impl Default for Catalog {
    fn default() -> Self {
        let nginx_cmd = &["nginx", "-g", "daemon off;"];
        let nginx_ep = &["/docker-entrypoint.sh"];
        let mut images = vec![
            entry(
                "docker.io/library/nginx",
                &["latest"],
                192_385_289,
                nginx_ep,
                nginx_cmd,
            ),
            entry(
                "docker.io/library/nginx",
                &["1.14.2"],
                109_129_446,
                &[],
                nginx_cmd,
            ),
            entry(
                "docker.io/library/nginx",
                &["1.15"],
                109_331_233,
                &[],
                nginx_cmd,
            ),
            entry(
                "docker.io/library/nginx",
                &["1.16.1"],
                126_793_528,
                &[],
                nginx_cmd,
            ),
            entry(
                "docker.io/library/nginx",
                &[],
                187_694_648,
                nginx_ep,
                nginx_cmd,
            ),
            entry(
                "docker.io/library/busybox",
                &["1.28"],
                1_146_369,
                &[],
                &["sh"],
            ),
            entry("docker.io/library/busybox", &[], 4_269_261, &[], &["sh"]),
            entry("k8s.gcr.io/busybox", &[], 2_433_303, &[], &["sh"]),
            entry(
                "registry.k8s.io/busybox",
                &["1.27.2"],
                1_234_769,
                &[],
                &["sh"],
            ),
            entry("registry.k8s.io/busybox", &[], 2_433_303, &[], &["sh"]),
            entry(
                "docker.io/library/redis",
                &[],
                117_452_361,
                &["docker-entrypoint.sh"],
                &["redis-server"],
            ),
            entry("registry.k8s.io/pause", &["3.1"], 742_472, &["/pause"], &[]),
            entry("registry.k8s.io/pause", &["3.6"], 682_696, &["/pause"], &[]),
            entry("registry.k8s.io/pause", &["3.9"], 744_015, &["/pause"], &[]),
            entry(
                "registry.k8s.io/pause",
                &["3.10"],
                320_368,
                &["/pause"],
                &[],
            ),
            entry("registry.k8s.io/pause", &["2.0"], 350_164, &["/pause"], &[]),
            entry("k8s.gcr.io/pause", &[], 350_164, &["/pause"], &[]),
            entry(
                "registry.k8s.io/goproxy",
                &["0.1"],
                5_502_640,
                &["/goproxy"],
                &[],
            ),
            entry(
                "k8s.gcr.io/goproxy",
                &["0.1"],
                5_502_640,
                &["/goproxy"],
                &[],
            ),
            entry(
                "registry.k8s.io/e2e-test-images/agnhost",
                &[],
                51_355_652,
                &["/agnhost"],
                &[],
            ),
            entry(
                "k8s.gcr.io/etcd",
                &["3.5.1-0"],
                98_888_614,
                &["/usr/local/bin/etcd"],
                &[],
            ),
            entry(
                "registry.k8s.io/etcd",
                &[],
                57_680_541,
                &["/usr/local/bin/etcd"],
                &[],
            ),
            entry(
                "docker.io/library/perl",
                &[],
                889_651_438,
                &["docker-entrypoint.sh"],
                &["perl", "-de0"],
            ),
            entry(
                "docker.io/polinux/stress",
                &[],
                9_744_175,
                &[],
                &["stress", "--help"],
            ),
            entry(
                "docker.io/vish/stress",
                &[],
                3_002_120,
                &["/stress", "-logtostderr"],
                &[],
            ),
            entry(
                "k8s.gcr.io/fluentd-elasticsearch",
                &["1.20"],
                140_321_476,
                &["td-agent"],
                &[],
            ),
            entry("docker.io/library/debian", &[], 124_011_402, &[], &["bash"]),
            entry(
                "docker.io/library/ubuntu",
                &[],
                78_114_637,
                &[],
                &["/bin/bash"],
            ),
            entry(
                "docker.io/library/alpine",
                &[],
                7_796_392,
                &[],
                &["/bin/sh"],
            ),
            entry(
                "registry.k8s.io/echoserver",
                &[],
                46_227_476,
                &["echoserver"],
                &[],
            ),
            entry(
                "gcr.io/google-samples/hello-app",
                &[],
                10_876_128,
                &["/hello-app"],
                &[],
            ),
            entry(
                "gcr.io/google-samples/node-hello",
                &[],
                655_474_420,
                &[],
                &["/bin/sh", "-c", "node server.js"],
            ),
        ];
        for img in images.iter_mut() {
            if img.repository.ends_with("/nginx") {
                img.env.push(("NGINX_VERSION".into(), "1.27.5".into()));
            }
        }
        Catalog {
            images,
            default_size: 50_000_000,
            registries: v(&[
                "docker.io",
                "registry.k8s.io",
                "k8s.gcr.io",
                "gcr.io",
                "quay.io",
                "ghcr.io",
                "mcr.microsoft.com",
                "public.ecr.aws",
                "nvcr.io",
                "registry.gitlab.com",
            ]),
        }
    }
}

/// Names and tags that are obviously made up (what people type to see ErrImagePull).
fn looks_fake(s: &str) -> bool {
    const FAKE: &[&str] = &[
        "nope",
        "nonexist",
        "non-exist",
        "doesnotexist",
        "does-not-exist",
        "notexist",
        "not-exist",
        "notfound",
        "not-found",
        "bogus",
        "fake",
        "invalid",
        "missing",
        "typo",
        "idontexist",
        "xyz",
        "foo",
        "bar",
        "broken",
        "bad",
        "wrong",
    ];
    FAKE.iter().any(|f| s.contains(f))
}

impl Catalog {
    fn registry_known(&self, domain: &str) -> bool {
        let host = domain.split(':').next().unwrap_or(domain);
        self.registries.iter().any(|r| r == host)
            || host.ends_with(".gcr.io")
            || host.ends_with(".pkg.dev")
            || host.ends_with(".azurecr.io")
            || host.ends_with(".amazonaws.com")
    }

    /// The entry for a normalized reference, if the catalog lists it.
    pub fn known(&self, r: &ImageRef) -> Option<&ImageInfo> {
        let repo = r.repository();
        let tag = r.tag.as_deref().unwrap_or("");
        self.images
            .iter()
            .find(|i| i.repository == repo && i.tags.iter().any(|t| t == tag))
            .or_else(|| {
                self.images
                    .iter()
                    .find(|i| i.repository == repo && i.tags.is_empty())
            })
    }

    /// What the registry says about `r`: the image, or containerd's pull error.
    pub fn resolve(&self, r: &ImageRef) -> Resolution {
        let host = r.domain.split(':').next().unwrap_or(&r.domain);
        // The failure texts, built only for a failure.
        let head_path = || {
            format!(
                "https://{}/v2/{}/manifests/{}",
                r.domain,
                r.path,
                r.digest.as_deref().or(r.tag.as_deref()).unwrap_or("latest")
            )
        };
        let prefix = |code: &str, err: String| {
            let full = r.full();
            format!(
                "rpc error: code = {code} desc = failed to pull and unpack image \"{full}\": failed to resolve reference \"{full}\": {err}"
            )
        };
        if host == "localhost" || host == "127.0.0.1" {
            return Resolution::Failed(prefix(
                "Unknown",
                format!(
                    "failed to do request: Head \"{}\": dial tcp 127.0.0.1:{}: connect: connection refused",
                    head_path(),
                    r.domain.split(':').nth(1).unwrap_or("443")
                ),
            ));
        }
        if !self.registry_known(&r.domain) {
            return Resolution::Failed(prefix(
                "Unknown",
                format!(
                    "failed to do request: Head \"{}\": dial tcp: lookup {host} on 127.0.0.53:53: no such host",
                    head_path()
                ),
            ));
        }
        let tag_fake = r.tag.as_deref().is_some_and(looks_fake);
        if let Some(info) = self.known(r) {
            if !tag_fake {
                return Resolution::Found(Arc::new(info.clone()));
            }
        }
        if tag_fake || r.digest.is_some() && self.known(r).is_none() {
            return Resolution::Failed(prefix("NotFound", format!("{}: not found", r.full())));
        }
        if r.path.split('/').any(looks_fake) {
            return Resolution::Failed(prefix(
                "Unknown",
                "pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed".into(),
            ));
        }
        Resolution::Found(Arc::new(ImageInfo {
            repository: r.repository(),
            tags: vec![],
            size: self.default_size,
            entrypoint: vec![],
            cmd: vec!["sh".into()],
            env: vec![],
        }))
    }
}

/// The argv a container runs (Kubernetes' rule): `command` replaces ENTRYPOINT (and drops CMD),
/// `args` replaces CMD.
pub fn container_argv(
    info: &ImageInfo,
    command: Option<&[String]>,
    args: Option<&[String]>,
) -> Vec<String> {
    let mut argv = match command {
        Some(c) if !c.is_empty() => c.to_vec(),
        _ => info.entrypoint.clone(),
    };
    match args {
        Some(a) if !a.is_empty() => argv.extend(a.iter().cloned()),
        _ if command.is_some_and(|c| !c.is_empty()) => {}
        _ => argv.extend(info.cmd.iter().cloned()),
    }
    argv
}

/// The variables the kubelet injects for the default `kubernetes` Service (docker-links style),
/// in the order a container sees them.
pub fn kubernetes_service_env(cluster_ip: &str) -> Vec<EnvVar> {
    let url = format!("tcp://{cluster_ip}:443");
    [
        ("KUBERNETES_SERVICE_PORT_HTTPS", "443".to_string()),
        ("KUBERNETES_SERVICE_PORT", "443".to_string()),
        ("KUBERNETES_PORT_443_TCP", url.clone()),
        ("KUBERNETES_PORT_443_TCP_PROTO", "tcp".to_string()),
        ("KUBERNETES_PORT_443_TCP_ADDR", cluster_ip.to_string()),
        ("KUBERNETES_SERVICE_HOST", cluster_ip.to_string()),
        ("KUBERNETES_PORT", url),
        ("KUBERNETES_PORT_443_TCP_PORT", "443".to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.into(), v.into()))
    .collect()
}

/// `PATH` as every container gets it, `HOSTNAME`'s name and the `HOME` default: allocated once
/// for every container.
static PATH: LazyLock<EnvVar> = LazyLock::new(|| ("PATH".into(), DEFAULT_PATH.into()));
static HOSTNAME: LazyLock<Arc<str>> = LazyLock::new(|| "HOSTNAME".into());
static HOME: LazyLock<EnvVar> = LazyLock::new(|| ("HOME".into(), "/root".into()));

/// A container's environment as containerd assembles it: `PATH`, `HOSTNAME` (the pod name),
/// the image's `ENV`, the container's `env` (already resolved), the Service variables, then
/// `HOME`. Later entries with the same name replace earlier ones in place.
pub fn container_env(
    hostname: &str,
    image: &ImageInfo,
    env: &[(String, String)],
    services: &[EnvVar],
) -> Vec<EnvVar> {
    let mut out: Vec<EnvVar> = Vec::with_capacity(3 + image.env.len() + env.len() + services.len());
    out.push(PATH.clone());
    out.push((Arc::clone(&HOSTNAME), hostname.into()));
    for (k, v) in image.env.iter().chain(env) {
        set_var(&mut out, (k.as_str().into(), v.as_str().into()));
    }
    // The Service variables are the same in every container: shared, not copied.
    for var in services {
        set_var(&mut out, var.clone());
    }
    if !out.iter().any(|(k, _)| &**k == "HOME") {
        out.push(HOME.clone());
    }
    out
}

/// Puts `var` in the place of the variable of its name, or last.
fn set_var(out: &mut Vec<EnvVar>, var: EnvVar) {
    match out.iter_mut().find(|(name, _)| *name == var.0) {
        Some(slot) => slot.1 = var.1,
        None => out.push(var),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn full(s: &str) -> String {
        parse_reference(s)
            .map(|r| r.full())
            .unwrap_or_else(|e| e.to_string())
    }

    #[test]
    fn references_normalize_like_containerd() {
        assert_eq!(full("nginx"), "docker.io/library/nginx:latest");
        assert_eq!(full("nginx:1.14.2"), "docker.io/library/nginx:1.14.2");
        assert_eq!(full("polinux/stress"), "docker.io/polinux/stress:latest");
        assert_eq!(full("k8s.gcr.io/busybox"), "k8s.gcr.io/busybox:latest");
        assert_eq!(full("localhost:5000/app:v1"), "localhost:5000/app:v1");
        let d = "sha256:0d17b565c37bcbd895e9d92315a05c1c3c9a29f762b011a10c54a66cd53c9b31";
        assert_eq!(
            full(&format!("nginx@{d}")),
            format!("docker.io/library/nginx@{d}")
        );
        assert_eq!(
            full("index.docker.io/library/redis"),
            "docker.io/library/redis:latest"
        );
    }

    #[test]
    fn unparsable_references_give_the_kubelet_text() {
        let err = parse_reference("NGINX").unwrap_err();
        assert_eq!(
            invalid_image_name_message("NGINX", &err),
            "Failed to apply default image tag \"NGINX\": couldn't parse image name \"NGINX\": invalid reference format: repository name (library/NGINX) must be lowercase"
        );
        assert_eq!(full("nginx:"), "invalid reference format");
        assert_eq!(full("nginx::1"), "invalid reference format");
        assert_eq!(full("-nginx"), "invalid reference format");
        assert_eq!(full("nginx@sha256:abc"), "invalid reference format");
    }

    #[test]
    fn fake_tags_fail_with_containerds_not_found() {
        let c = Catalog::default();
        let r = parse_reference("nginx:nope").unwrap();
        assert_eq!(
            c.resolve(&r),
            Resolution::Failed("rpc error: code = NotFound desc = failed to pull and unpack image \"docker.io/library/nginx:nope\": failed to resolve reference \"docker.io/library/nginx:nope\": docker.io/library/nginx:nope: not found".into())
        );
    }

    #[test]
    fn known_and_unknown_images_resolve_with_sizes() {
        let c = Catalog::default();
        let size = |s: &str| match c.resolve(&parse_reference(s).unwrap()) {
            Resolution::Found(i) => i.size,
            Resolution::Failed(e) => panic!("{e}"),
        };
        assert_eq!(size("nginx"), 192_385_289);
        assert_eq!(size("nginx:1.14.2"), 109_129_446);
        assert_eq!(size("myorg/someapp:2.3"), 50_000_000);
        let Resolution::Failed(e) = c.resolve(&parse_reference("my.registry.example/app").unwrap())
        else {
            panic!("unknown host resolved")
        };
        assert!(e.ends_with("dial tcp: lookup my.registry.example on 127.0.0.53:53: no such host"));
    }

    #[test]
    fn command_and_args_override_entrypoint_and_cmd() {
        let c = Catalog::default();
        let info = c.known(&parse_reference("nginx").unwrap()).unwrap().clone();
        assert_eq!(
            container_argv(&info, None, None),
            v(&["/docker-entrypoint.sh", "nginx", "-g", "daemon off;"])
        );
        let cmd = v(&["printenv"]);
        let args = v(&["HOSTNAME"]);
        assert_eq!(container_argv(&info, Some(&cmd), None), v(&["printenv"]));
        assert_eq!(
            container_argv(&info, Some(&cmd), Some(&args)),
            v(&["printenv", "HOSTNAME"])
        );
        assert_eq!(
            container_argv(&info, None, Some(&args)),
            v(&["/docker-entrypoint.sh", "HOSTNAME"])
        );
    }

    #[test]
    fn servers_listen_and_agnhost_liveness_flips_after_ten_seconds() {
        let Some(Program::Daemon(d)) =
            program(&v(&["/docker-entrypoint.sh", "nginx", "-g", "daemon off;"]))
        else {
            panic!("nginx is not a daemon")
        };
        assert_eq!(d.listeners[0].port, 80);
        let Some(Program::Daemon(d)) = program(&v(&["/agnhost", "liveness"])) else {
            panic!("agnhost liveness is not a daemon")
        };
        let http = d.listeners[0].http.clone().unwrap();
        assert_eq!(http.status("/healthz", SimDuration::secs(10)), 200);
        assert_eq!(http.status("/healthz", SimDuration::secs(11)), 500);
        let Some(Program::Daemon(d)) = program(&v(&[
            "stress",
            "--vm",
            "1",
            "--vm-bytes",
            "250M",
            "--vm-hang",
            "1",
        ])) else {
            panic!("stress is not a daemon")
        };
        assert_eq!(d.memory_bytes, 251 * MI);
        assert_eq!(program(&v(&["no-such-binary"])), None);
    }

    #[test]
    fn perl_prints_pi_like_bpi() {
        let p = pi_digits(20);
        assert_eq!(p, "3.1415926535897932384");
        assert_eq!(pi_digits(1000).len(), 1001);
    }

    #[test]
    fn no_reference_from_a_stranger_panics() {
        const PIECES: &[&str] = &[
            "nginx",
            "N",
            ":",
            "@",
            "/",
            ".",
            "-",
            "_",
            "__",
            "sha256",
            "localhost",
            "5000",
            "é",
            "0d17b565c37bcbd895e9d92315a05c1c3c9a29f762b011a10c54a66cd53c9b31",
            "latest",
            " ",
            "",
        ];
        let c = Catalog::default();
        let mut rng = crate::sim::SimRng::new(5);
        for _ in 0..2000 {
            let n = rng.below(8) as usize;
            let r: String = (0..n)
                .map(|_| PIECES[rng.below(PIECES.len() as u64) as usize])
                .collect();
            if let Ok(r) = parse_reference(&r) {
                let _ = c.resolve(&r);
            }
            let _ = program(&[r.clone(), "--vm".into(), r.clone(), "--vm-bytes".into(), r]);
        }
    }

    #[test]
    fn commands_demo_prints_hostname_and_kubernetes_port() {
        use crate::runtime::fs::Fs;
        use crate::runtime::shell::{Process, ProcessState};
        let c = Catalog::default();
        let Resolution::Found(debian) = c.resolve(&parse_reference("debian").unwrap()) else {
            panic!("debian does not resolve")
        };
        let argv = container_argv(
            &debian,
            Some(&v(&["printenv"])),
            Some(&v(&["HOSTNAME", "KUBERNETES_PORT"])),
        );
        let env = container_env(
            "command-demo",
            &debian,
            &[],
            &kubernetes_service_env("10.96.0.1"),
        );
        let mut p = Process::start(&argv, env, Fs::new()).unwrap();
        assert_eq!(
            p.step(crate::sim::SimTime(5)),
            ProcessState::Exited {
                code: 0,
                output: "command-demo\ntcp://10.96.0.1:443".into()
            }
        );
    }
}
