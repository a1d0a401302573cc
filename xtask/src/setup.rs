//! Installs the pinned toolchain on first use: the wasm32 target, Trunk, wasm-bindgen-cli at the
//! lock file's wasm-bindgen version, npm's binaryen (wasm-opt) and, for tests, Debian's Chromium
//! and chromedriver. Each is checked first and installed only when missing or wrong.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Trunk's pinned version: 0.22 needs a newer rustc than these machines have.
const TRUNK_VERSION: &str = "0.21.14";
/// binaryen from npm: Debian's wasm-opt is too old to read current rustc output.
const BINARYEN_VERSION: &str = "132.0.0";

/// What a command needs installed.
#[derive(Clone, Copy)]
pub struct Needs {
    browser: bool,
}

impl Needs {
    /// Serving and building: Rust tools only.
    pub const SERVE: Needs = Needs { browser: false };
    /// Testing: also Chromium and chromedriver.
    pub const TEST: Needs = Needs { browser: true };
}

/// Where things are, once set up.
pub struct Env {
    /// The workspace root.
    pub root: PathBuf,
    /// PATH for child processes, with the repo-local tools first.
    pub path: OsString,
}

impl Env {
    /// A command run at the workspace root with the tool PATH.
    pub fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(program);
        cmd.current_dir(&self.root)
            .env("PATH", &self.path)
            .env("TRUNK_SKIP_VERSION_CHECK", "true");
        cmd
    }
}

/// The crates.io tools, pinned: (binary, crate, install arguments after `cargo install`).
fn cargo_tools(root: &Path) -> Result<Vec<CargoTool>, String> {
    let wbg = wasm_bindgen_version(root)?;
    Ok(vec![
        // wasm-bindgen-cli first: the wasm test suites need it before the release build needs
        // Trunk. Without --locked: its lock file wants crates newer than the registry mirror
        // has. No default features: its TLS stack only serves downloads we never make.
        CargoTool {
            bin: "wasm-bindgen",
            krate: "wasm-bindgen-cli",
            version: wbg.clone(),
            // It rewrites every test binary: worth a little optimisation.
            opt_level: "1",
            args: vec![
                "install".into(),
                "--no-default-features".into(),
                "wasm-bindgen-cli".into(),
                "--version".into(),
                format!("={wbg}"),
            ],
        },
        // Trunk runs offline (Trunk.toml), so neither its TLS stack nor its update check is
        // needed: both are default features.
        CargoTool {
            bin: "trunk",
            krate: "trunk",
            version: TRUNK_VERSION.into(),
            // It mostly runs other tools: unoptimised is fast enough and compiles far sooner.
            opt_level: "0",
            args: vec![
                "install".into(),
                "--locked".into(),
                "--no-default-features".into(),
                "trunk".into(),
                "--version".into(),
                TRUNK_VERSION.into(),
            ],
        },
    ])
}

/// A tool installed with `cargo install`.
struct CargoTool {
    bin: &'static str,
    krate: &'static str,
    version: String,
    opt_level: &'static str,
    args: Vec<String>,
}

/// Installs whatever is missing and returns the environment to run tools in.
pub fn ensure(needs: Needs) -> Result<Env, String> {
    let (env, installs) = ensure_in_background(needs)?;
    installs.wait("wasm-bindgen")?;
    installs.wait("trunk")?;
    Ok(env)
}

/// Like [`ensure`], but the slow `cargo install`s (minutes each on a fresh machine) run one
/// after the other in a background thread, so the native checks can run meanwhile; wait for a
/// tool with [`Installs::wait`] before using it.
pub fn ensure_in_background(needs: Needs) -> Result<(Env, Installs), String> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .ok_or("xtask has no parent folder")?
        .to_path_buf();
    let cargo_bin = home_cargo_bin();
    let binaryen_bin = root.join("tools/binaryen/node_modules/.bin");
    let mut paths = vec![binaryen_bin.clone(), cargo_bin];
    paths.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    let path = std::env::join_paths(paths).map_err(|e| e.to_string())?;
    let env = Env { root, path };

    ensure_wasm_target(&env)?;
    ensure_binaryen(&env, &binaryen_bin)?;
    if needs.browser {
        ensure_chromium(&env)?;
    }
    // Trunk builds offline (`cargo build --offline`), so every crate must already be fetched.
    step(&env, "cargo", &["fetch", "--quiet"])?;

    let missing: Vec<CargoTool> = cargo_tools(&env.root)?
        .into_iter()
        .filter(|t| {
            let want = format!("{} {}", t.bin, t.version);
            version_of(&env, t.bin).is_none_or(|v| v.trim() != want)
        })
        .collect();
    let logs = env.root.join("target/xtask");
    let (tx, rx) = std::sync::mpsc::channel();
    let mut pending = Vec::new();
    if !missing.is_empty() {
        std::fs::create_dir_all(&logs).map_err(|e| format!("{}: {e}", logs.display()))?;
        pending = missing.iter().map(|t| t.bin).collect();
        let path = env.path.clone();
        let root = env.root.clone();
        std::thread::spawn(move || {
            for tool in missing {
                let result = install(&root, &path, &logs, &tool);
                if tx.send((tool.bin, result)).is_err() {
                    return;
                }
            }
        });
    }
    Ok((
        env,
        Installs {
            pending,
            rx,
            done: Default::default(),
        },
    ))
}

/// `cargo install`s running in the background.
pub struct Installs {
    pending: Vec<&'static str>,
    rx: std::sync::mpsc::Receiver<(&'static str, Result<(), String>)>,
    done: std::cell::RefCell<Vec<(&'static str, Result<(), String>)>>,
}

impl Installs {
    /// Blocks until the tool `bin` is installed (at once when it already was).
    pub fn wait(&self, bin: &str) -> Result<(), String> {
        if !self.pending.contains(&bin) {
            return Ok(());
        }
        loop {
            if let Some((_, r)) = self.done.borrow().iter().find(|(b, _)| *b == bin) {
                return r.clone();
            }
            let got = self
                .rx
                .recv()
                .map_err(|_| format!("the background install of {bin} stopped"))?;
            self.done.borrow_mut().push(got);
        }
    }
}

/// One `cargo install`, its output in `target/xtask/install-<crate>.log` (the tail is shown
/// when it fails). A fast release profile (no LTO, parallel codegen, little or no optimisation):
/// these are build tools, and a fresh machine should not spend a quarter of an hour optimising
/// them.
fn install(root: &Path, path: &OsString, logs: &Path, tool: &CargoTool) -> Result<(), String> {
    let log_path = logs.join(format!("install-{}.log", tool.krate));
    eprintln!(
        "xtask: installing {} {} from crates.io in the background (log: {})",
        tool.krate,
        tool.version,
        log_path.display()
    );
    let log =
        std::fs::File::create(&log_path).map_err(|e| format!("{}: {e}", log_path.display()))?;
    let err = log.try_clone().map_err(|e| e.to_string())?;
    let started = std::time::Instant::now();
    let status = Command::new("cargo")
        .current_dir(root)
        .env("PATH", path)
        .env("CARGO_PROFILE_RELEASE_LTO", "false")
        .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "16")
        .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", tool.opt_level)
        .env_remove("CARGO_TARGET_DIR")
        .args(&tool.args)
        .stdout(log)
        .stderr(err)
        .status()
        .map_err(|e| format!("cannot run cargo install: {e}"))?;
    if status.success() {
        eprintln!(
            "xtask: installed {} {} in {} s",
            tool.krate,
            tool.version,
            started.elapsed().as_secs()
        );
        return Ok(());
    }
    let text = std::fs::read_to_string(&log_path).unwrap_or_default();
    let tail: Vec<&str> = text.lines().rev().take(30).collect();
    for line in tail.iter().rev() {
        eprintln!("{line}");
    }
    Err(format!(
        "`cargo {}` failed ({status}); log: {}",
        tool.args.join(" "),
        log_path.display()
    ))
}

fn home_cargo_bin() -> PathBuf {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .unwrap_or_else(|| PathBuf::from(".cargo"))
        .join("bin")
}

/// Runs a setup step, streaming its output; fails if it fails.
fn step(env: &Env, program: &str, args: &[&str]) -> Result<(), String> {
    let status = env
        .command(program)
        .args(args)
        .status()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{program} {}` failed ({status})", args.join(" ")))
    }
}

/// The first line a tool prints for `--version`, if it runs.
fn version_of(env: &Env, program: &str) -> Option<String> {
    let out = env.command(program).arg("--version").output().ok()?;
    out.status.success().then(|| {
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .next()
            .unwrap_or("")
            .to_string()
    })
}

fn ensure_wasm_target(env: &Env) -> Result<(), String> {
    let out = env
        .command("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .map_err(|e| format!("rustup is required: {e}"))?;
    if String::from_utf8_lossy(&out.stdout)
        .lines()
        .any(|l| l.trim() == "wasm32-unknown-unknown")
    {
        return Ok(());
    }
    eprintln!("xtask: installing the wasm32-unknown-unknown target");
    step(env, "rustup", &["target", "add", "wasm32-unknown-unknown"])
}

/// The exact `wasm-bindgen` version in Cargo.lock: the CLI must match it.
fn wasm_bindgen_version(root: &Path) -> Result<String, String> {
    let lock =
        std::fs::read_to_string(root.join("Cargo.lock")).map_err(|e| format!("Cargo.lock: {e}"))?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == "name = \"wasm-bindgen\"" {
            if let Some(v) = lines
                .next()
                .and_then(|l| l.trim().strip_prefix("version = "))
            {
                return Ok(v.trim_matches('"').to_string());
            }
        }
    }
    Err("wasm-bindgen is not in Cargo.lock".into())
}

fn ensure_binaryen(env: &Env, bin: &Path) -> Result<(), String> {
    let major = BINARYEN_VERSION.split('.').next().unwrap_or_default();
    if version_of(env, &bin.join("wasm-opt").to_string_lossy())
        .is_some_and(|v| v.contains(&format!("version {major}")))
    {
        return Ok(());
    }
    eprintln!("xtask: installing wasm-opt (npm binaryen@{BINARYEN_VERSION}) into tools/binaryen");
    let prefix = env.root.join("tools/binaryen");
    std::fs::create_dir_all(&prefix).map_err(|e| e.to_string())?;
    let spec = format!("binaryen@{BINARYEN_VERSION}");
    step(
        env,
        "npm",
        &[
            "install",
            "--silent",
            "--no-audit",
            "--no-fund",
            "--prefix",
            &prefix.to_string_lossy(),
            &spec,
        ],
    )
}

fn ensure_chromium(env: &Env) -> Result<(), String> {
    let have = |p: &str| version_of(env, p).is_some();
    if have("chromium") && have("chromedriver") {
        return Ok(());
    }
    eprintln!("xtask: installing chromium and chromium-driver from Debian's packages");
    let is_root = env
        .command("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"));
    let apt = |args: &[&str]| -> Result<(), String> {
        let mut cmd = if is_root {
            env.command("apt-get")
        } else {
            let mut c = env.command("sudo");
            c.args(["env", "DEBIAN_FRONTEND=noninteractive", "apt-get"]);
            c
        };
        let status = cmd
            .env("DEBIAN_FRONTEND", "noninteractive")
            .args(args)
            .status()
            .map_err(|e| format!("cannot run apt-get: {e}"))?;
        status
            .success()
            .then_some(())
            .ok_or_else(|| format!("`apt-get {}` failed ({status})", args.join(" ")))
    };
    apt(&["update", "-qq"])?;
    apt(&["install", "-y", "-qq", "chromium", "chromium-driver"])
}
