//! `DescribeProbe`: one line per probe, e.g.
//! `http-get http://:8080/healthz delay=3s timeout=1s period=3s #success=1 #failure=3`.

use k8s_openapi::api::core::v1::Probe;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

/// `intstr.IntOrString.String()`.
fn int_or_string(v: &IntOrString) -> String {
    match v {
        IntOrString::Int(i) => i.to_string(),
        IntOrString::String(s) => s.clone(),
    }
}

/// `net.JoinHostPort`: IPv6 hosts in brackets.
fn join_host_port(host: &str, port: &str) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// `url.URL.EscapedPath` for a plain path: everything but letters, digits, `-_.~` and the
/// reserved characters a path may hold (`$&+,/:;=@`) is percent-encoded.
fn escape_path(path: &str) -> String {
    let mut out = String::new();
    for b in path.bytes() {
        let keep = b.is_ascii_alphanumeric() || b"-_.~$&+,/:;=@".contains(&b);
        if keep {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `url.URL{Scheme, Host, Path}.String()`.
fn url_string(scheme: &str, host: &str, path: &str) -> String {
    let mut out = String::new();
    if !scheme.is_empty() {
        out.push_str(scheme);
        out.push(':');
    }
    if (!scheme.is_empty() || !host.is_empty()) && (!host.is_empty() || !path.is_empty()) {
        out.push_str("//");
        out.push_str(host);
    }
    let path = if path == "*" {
        "*".to_string()
    } else {
        escape_path(path)
    };
    if !path.is_empty() && !path.starts_with('/') && !host.is_empty() {
        out.push('/');
    }
    out.push_str(&path);
    out
}

/// kubectl's one-line description of a probe.
pub fn describe_probe(probe: &Probe) -> String {
    let attrs = format!(
        "delay={}s timeout={}s period={}s #success={} #failure={}",
        probe.initial_delay_seconds.unwrap_or(0),
        probe.timeout_seconds.unwrap_or(0),
        probe.period_seconds.unwrap_or(0),
        probe.success_threshold.unwrap_or(0),
        probe.failure_threshold.unwrap_or(0)
    );
    if let Some(exec) = &probe.exec {
        let command = exec.command.clone().unwrap_or_default().join(" ");
        return format!("exec [{command}] {attrs}");
    }
    if let Some(http) = &probe.http_get {
        let scheme = http.scheme.clone().unwrap_or_default().to_lowercase();
        let host = http.host.clone().unwrap_or_default();
        let port = int_or_string(&http.port);
        let host = if port.is_empty() {
            host
        } else {
            join_host_port(&host, &port)
        };
        let path = http.path.clone().unwrap_or_default();
        return format!("http-get {} {attrs}", url_string(&scheme, &host, &path));
    }
    if let Some(tcp) = &probe.tcp_socket {
        return format!(
            "tcp-socket {}:{} {attrs}",
            tcp.host.as_deref().unwrap_or(""),
            int_or_string(&tcp.port)
        );
    }
    if let Some(grpc) = &probe.grpc {
        return format!(
            "grpc <pod>:{} {} {attrs}",
            grpc.port,
            grpc.service.as_deref().unwrap_or("")
        );
    }
    format!("unknown {attrs}")
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn probe(v: serde_json::Value) -> Probe {
        let mut v = v;
        for (k, d) in [
            ("timeoutSeconds", 1),
            ("periodSeconds", 10),
            ("successThreshold", 1),
            ("failureThreshold", 3),
        ] {
            if v.get(k).is_none() {
                v[k] = d.into();
            }
        }
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn every_handler_has_kubectls_line() {
        assert_eq!(
            describe_probe(&probe(serde_json::json!({
                "exec": {"command": ["cat", "/tmp/healthy"]}, "initialDelaySeconds": 5, "periodSeconds": 5
            }))),
            "exec [cat /tmp/healthy] delay=5s timeout=1s period=5s #success=1 #failure=3"
        );
        assert_eq!(
            describe_probe(&probe(serde_json::json!({
                "httpGet": {"path": "/healthz", "port": 8080, "scheme": "HTTP"},
                "initialDelaySeconds": 3, "periodSeconds": 3
            }))),
            "http-get http://:8080/healthz delay=3s timeout=1s period=3s #success=1 #failure=3"
        );
        assert_eq!(
            describe_probe(&probe(serde_json::json!({
                "httpGet": {"path": "ready?full=1", "port": "http", "host": "fd00::1", "scheme": "HTTPS"}
            }))),
            "http-get https://[fd00::1]:http/ready%3Ffull=1 delay=0s timeout=1s period=10s #success=1 #failure=3"
        );
        assert_eq!(
            describe_probe(&probe(serde_json::json!({
                "tcpSocket": {"port": 8080}, "initialDelaySeconds": 15, "periodSeconds": 20
            }))),
            "tcp-socket :8080 delay=15s timeout=1s period=20s #success=1 #failure=3"
        );
        assert_eq!(
            describe_probe(&probe(serde_json::json!({
                "grpc": {"port": 2379, "service": ""}, "initialDelaySeconds": 10
            }))),
            "grpc <pod>:2379  delay=10s timeout=1s period=10s #success=1 #failure=3"
        );
        assert_eq!(
            describe_probe(&probe(serde_json::json!({}))),
            "unknown delay=0s timeout=1s period=10s #success=1 #failure=3"
        );
    }
}
