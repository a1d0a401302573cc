//! The bench in headless Chromium: builds the `podflow-bench-wasm` crate for
//! wasm32-unknown-unknown under a cargo profile, runs `wasm-bindgen --target web` on it, writes a
//! tiny page around it, serves it on 127.0.0.1 and runs each workload in a fresh browser session
//! (so the `WebAssembly.Memory` size it reports is that run's own). The workload runs in a
//! dedicated worker, so the page stays responsive and the driver polls it for the result.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use podflow_tests::static_server::{self, StaticServer};
use podflow_tests::webdriver::ChromeDriver;
use serde_json::Value;

/// The page: starts the worker with the query's `fn` and `name`, and keeps what it posts back in
/// `window.__podflow` (`{ok}` or `{failure, panic, memoryBytes, afterMs}`; not `error`, which
/// the WebDriver client would take for a WebDriver error and drop the rest).
const INDEX_HTML: &str = r#"<!doctype html>
<html><head><meta charset="utf-8"><title>podflow-bench</title></head>
<body><pre id="out">running</pre>
<script>
window.__podflow = null;
const worker = new Worker('worker.js' + location.search, { type: 'module' });
const done = (v) => {
  window.__podflow = v;
  document.getElementById('out').textContent = JSON.stringify(v);
};
worker.onmessage = (e) => done(e.data);
worker.onerror = (e) => done({ failure: 'worker error: ' + (e.message || String(e)) });
</script></body></html>
"#;

/// The worker: instantiates the module, calls `run` or `smoke`, posts the outcome.
const WORKER_JS: &str = r#"import init, { run, smoke, memoryBytes, lastPanic } from './podflow_bench_wasm.js';
const q = new URLSearchParams(self.location.search);
const fn = q.get('fn') || 'run';
const name = q.get('name') || '';
let wasm = null;
try {
  wasm = await init();
  const started = performance.now();
  try {
    // `warm`: a first run, unmeasured, lets V8 tier the hot functions up from its baseline
    // compiler (Liftoff) before the measured one.
    const out = fn === 'smoke' ? smoke(name) : fn === 'warm' ? (run(name), run(name)) : run(name);
    postMessage({ ok: out });
  } catch (err) {
    let memory = 0, panic = '';
    try { memory = wasm.memory.buffer.byteLength; } catch (_) {}
    try { panic = lastPanic(); } catch (_) {}
    postMessage({ failure: String(err), panic, memoryBytes: memory, afterMs: performance.now() - started });
  }
} catch (err) {
  postMessage({ failure: 'instantiating the module: ' + String(err) });
}
"#;

fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("bench/ has a parent")
        .to_path_buf()
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

/// Builds `package` for wasm32-unknown-unknown under cargo `profile` and returns the path of its
/// `.wasm` artifact (cargo's own output goes to stderr).
pub fn cargo_build_wasm(package: &str, profile: &str) -> Result<PathBuf, String> {
    let out = Command::new(cargo())
        .current_dir(workspace_root())
        .args([
            "build",
            "--package",
            package,
            "--lib",
            "--target",
            "wasm32-unknown-unknown",
            "--profile",
            profile,
            "--message-format=json-render-diagnostics",
        ])
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cargo: {e}"))?;
    if !out.status.success() {
        return Err(format!("cargo build of {package} failed ({})", out.status));
    }
    let crate_name = package.replace('-', "_");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["reason"] == "compiler-artifact" && v["target"]["name"] == crate_name)
        .flat_map(|v| v["filenames"].as_array().cloned().unwrap_or_default())
        .filter_map(|f| f.as_str().map(PathBuf::from))
        .find(|f| f.extension().is_some_and(|e| e == "wasm"))
        .ok_or_else(|| format!("cargo built no .wasm for {package}"))
}

/// A built bench page: the folder holding `index.html`, `worker.js` and wasm-bindgen's output.
#[derive(Debug, Clone)]
pub struct Page {
    /// The folder to serve.
    pub dir: PathBuf,
    /// The cargo profile the module was built with.
    pub profile: String,
    /// The size of the `.wasm` file served, bytes.
    pub wasm_bytes: u64,
}

/// Builds the bench page under cargo `profile` (`release`: the shipped app's opt-level "z";
/// `native`: opt-level 3), into `<target>/wasm32-unknown-unknown/<profile>/bench-page/`.
pub fn build_page(profile: &str) -> Result<Page, String> {
    let wasm = cargo_build_wasm("podflow-bench-wasm", profile)?;
    let dir = wasm
        .parent()
        .ok_or("the .wasm has no folder")?
        .join("bench-page");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let status = Command::new("wasm-bindgen")
        .args(["--target", "web", "--no-typescript", "--out-dir"])
        .arg(&dir)
        .arg(&wasm)
        .status()
        .map_err(|e| format!("wasm-bindgen: {e}"))?;
    if !status.success() {
        return Err(format!("wasm-bindgen failed ({status})"));
    }
    write(&dir.join("index.html"), INDEX_HTML)?;
    write(&dir.join("worker.js"), WORKER_JS)?;
    let wasm_bytes = std::fs::metadata(dir.join("podflow_bench_wasm_bg.wasm"))
        .map(|m| m.len())
        .unwrap_or(0);
    Ok(Page {
        dir,
        profile: profile.to_string(),
        wasm_bytes,
    })
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

/// What a call in the page gave back.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// The call returned this text (a `RESULT` line or a smoke summary).
    Ok(String),
    /// The call threw or trapped: the error, the last panic message, the memory size then, and
    /// how long after the call started.
    Failed {
        /// The JavaScript error (a thrown message or a `RuntimeError`).
        error: String,
        /// The last Rust panic's message, if any.
        panic: String,
        /// The `WebAssembly.Memory` size when it failed, bytes.
        memory_bytes: u64,
        /// Milliseconds from the call to the failure.
        after_ms: f64,
    },
}

/// Chromium driving served bench pages.
pub struct Browser {
    server: StaticServer,
    driver: ChromeDriver,
}

impl Browser {
    /// Serves `page` and starts chromedriver.
    pub fn start(page: &Page) -> Result<Browser, String> {
        let server = static_server::serve(&page.dir).map_err(|e| format!("serve: {e}"))?;
        let driver = ChromeDriver::start()?;
        Ok(Browser { server, driver })
    }

    /// Calls `function` (`run`, `warm` or `smoke`) on workload `name` in a new browser session and waits
    /// up to `timeout` for the answer.
    pub fn call(&self, function: &str, name: &str, timeout: Duration) -> Result<Answer, String> {
        let session = self.driver.session()?;
        session.goto(&format!(
            "{}/index.html?fn={function}&name={}",
            self.server.base_url,
            name.replace('/', "%2F")
        ))?;
        let deadline = Instant::now() + timeout;
        loop {
            let v = session.execute("return window.__podflow;")?;
            if let Some(ok) = v["ok"].as_str() {
                return Ok(Answer::Ok(ok.to_string()));
            }
            if let Some(error) = v["failure"].as_str() {
                return Ok(Answer::Failed {
                    error: error.to_string(),
                    panic: v["panic"].as_str().unwrap_or_default().to_string(),
                    memory_bytes: v["memoryBytes"].as_f64().unwrap_or(0.0) as u64,
                    after_ms: v["afterMs"].as_f64().unwrap_or(0.0),
                });
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "{name}: no answer from the page within {timeout:?}"
                ));
            }
            std::thread::sleep(Duration::from_millis(500));
        }
    }
}

impl Answer {
    /// The answer as one line for a report.
    pub fn describe(&self) -> String {
        match self {
            Answer::Ok(s) => s.clone(),
            Answer::Failed {
                error,
                panic,
                memory_bytes,
                after_ms,
            } => format!(
                "{error}{}; WebAssembly.Memory {:.0}MiB; {:.1}s after the call",
                if panic.is_empty() {
                    String::new()
                } else {
                    format!(" (panic: {panic})")
                },
                *memory_bytes as f64 / (1024.0 * 1024.0),
                after_ms / 1e3
            ),
        }
    }
}
