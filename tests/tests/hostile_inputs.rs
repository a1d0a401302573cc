//! Hostile input through the entry points the playground and the CLI use (`Cluster::apply`,
//! `Cluster::load`, `intake::manifest_text`, `share::decode`): each case gives kubectl's (or the
//! API server's) exact words, leaves the cluster as it was, and finishes at once. The intake's
//! budgets themselves are unit-tested in `core/src/intake`; these are the cluster-level checks
//! (issue #10, item 2).

use podflow_core::intake::manifest_text;
use podflow_core::sim::SimDuration;
use podflow_core::{share, Cluster};
use podflow_tests::kubectl_lines;

const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\nspec:\n  containers:\n  - name: c\n    image: nginx\n";

/// What the store holds: its revision and how many objects.
fn state(cluster: &Cluster) -> (i64, usize) {
    (cluster.api().store.revision(), cluster.api().store.len())
}

/// Applies `text` to a fresh default cluster as `kubectl apply -f hostile.yaml`, and checks that
/// nothing was written.
fn refused(text: &str) -> String {
    let mut cluster = Cluster::default();
    let before = state(&cluster);
    let results = cluster.apply(text, "hostile.yaml");
    assert_eq!(state(&cluster), before, "the store is unchanged");
    assert!(results.iter().all(|r| !r.ok), "{results:?}");
    kubectl_lines(&results)
}

/// Loads files as `podflow run` does and returns the cluster and kubectl's lines.
fn load(files: &[(&str, &str)]) -> (Cluster, String) {
    let files: Vec<(String, String)> = files
        .iter()
        .map(|(n, t)| (n.to_string(), t.to_string()))
        .collect();
    let (cluster, results) = Cluster::load(&files);
    let out = kubectl_lines(&results);
    (cluster, out)
}

#[test]
fn a_billion_laughs_is_refused() {
    let mut text = String::from("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lol}\ndata:\n  a: &a [lol,lol,lol,lol,lol,lol,lol,lol,lol]\n");
    for (prev, name) in ["a", "b", "c", "d", "e", "f", "g", "h"]
        .iter()
        .zip(["b", "c", "d", "e", "f", "g", "h", "i"])
    {
        let refs = vec![format!("*{prev}"); 9].join(",");
        text.push_str(&format!("  {name}: &{name} [{refs}]\n"));
    }
    assert_eq!(
        refused(&text),
        "error: error parsing hostile.yaml: error converting YAML to JSON: yaml: document contains excessive aliasing"
    );
}

#[test]
fn nesting_a_hundred_thousand_deep_is_refused() {
    let text = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert_eq!(
        refused(&text),
        "error: error parsing hostile.yaml: error converting YAML to JSON: yaml: exceeded max depth of 32"
    );
    let json = format!("{}{}", "{\"a\":".repeat(100_000), "}".repeat(100_000));
    assert!(refused(&json).ends_with("exceeded max depth"));
}

#[test]
fn a_ten_megabyte_document_is_too_large_for_the_api_server() {
    let text = format!("{POD}  hostname: {}\n", "a".repeat(10_000_000));
    assert_eq!(
        refused(&text),
        "Error from server (RequestEntityTooLarge): error when creating \"hostile.yaml\": Request entity too large: limit is 3145728"
    );
}

#[test]
fn more_than_ten_thousand_documents_in_one_paste_are_refused() {
    let text = "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n".repeat(10_001);
    assert_eq!(
        refused(&text),
        "error: error parsing hostile.yaml: too many documents: limit is 10000"
    );
}

#[test]
fn binary_garbage_is_refused_as_go_yaml_refuses_it() {
    let garbage: Vec<u8> = (0..4096u32).map(|i| (i * 131 % 256) as u8).collect();
    assert_eq!(
        refused(&manifest_text(&garbage)),
        "error: error parsing hostile.yaml: error converting YAML to JSON: yaml: control characters are not allowed"
    );
}

#[test]
fn invalid_utf8_becomes_replacement_characters_that_validation_refuses() {
    // The CLI's file entry: bytes → text as kubectl reads them → `Cluster::load`.
    let bytes = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: \xff\xfe\n";
    let text = manifest_text(bytes);
    let (cluster, out) = load(&[("bad.yaml", &text)]);
    assert_eq!(
        out,
        "The ConfigMap \"\u{fffd}\u{fffd}\" is invalid: metadata.name: Invalid value: \"\u{fffd}\u{fffd}\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
    );
    assert_eq!(state(&cluster), state(&Cluster::default()));
}

#[test]
fn a_cpu_of_1e400_is_a_string_beyond_the_simulators_quantities() {
    // go-yaml reads the plain `1e400` as a string (its float64 parse fails). The API server
    // keeps it exactly; the simulator refuses it (the known difference in `quantity`).
    let text = format!("{POD}    resources: {{requests: {{cpu: 1e400}}}}\n");
    assert_eq!(
        refused(&text),
        "Error from server (BadRequest): error when creating \"hostile.yaml\": Pod in version \"v1\" cannot be handled as a Pod: unable to parse numeric part of quantity"
    );
}

#[test]
fn a_huge_binary_memory_is_capped_as_the_api_server_caps_it() {
    // ParseQuantity caps a binary quantity at 2^63-1: the API server accepts the pod, and no
    // node can hold it.
    let text = format!("{POD}    resources: {{requests: {{memory: 99999999999999999999999Ti}}}}\n");
    let mut cluster = Cluster::default();
    let results = cluster.apply(&text, "hostile.yaml");
    assert_eq!(kubectl_lines(&results), "pod/x created");
    let pod = cluster
        .api()
        .store
        .get("/registry/pods/default/x")
        .map(|o| o.to_json())
        .unwrap();
    assert_eq!(
        pod["spec"]["containers"][0]["resources"]["requests"]["memory"],
        "9223372036854775807"
    );
    cluster.run_for(SimDuration::secs(5));
    let snapshot = cluster.snapshot();
    assert_eq!(snapshot.pods[0].status, "Pending");
}

#[test]
fn a_container_port_beyond_int32_is_a_go_type_error() {
    let text = format!("{POD}    ports: [{{containerPort: 99999999999}}]\n");
    assert_eq!(
        refused(&text),
        "Error from server (BadRequest): error when creating \"hostile.yaml\": Pod in version \"v1\" cannot be handled as a Pod: json: cannot unmarshal number 99999999999 into Go struct field ContainerPort.spec.containers.ports.containerPort of type int32"
    );
}

#[test]
fn a_name_of_ten_thousand_characters_is_invalid() {
    let name = "a".repeat(10_000);
    let text = POD.replace("name: x", &format!("name: {name}"));
    assert_eq!(
        refused(&text),
        format!("The Pod \"{name}\" is invalid: metadata.name: Invalid value: \"{name}\": must be no more than 253 characters")
    );
}

#[test]
fn a_scenario_asking_for_millions_of_nodes_is_refused_before_any_is_built() {
    let scenario =
        "apiVersion: podflow.dev/v1alpha1\nkind: Scenario\nspec:\n  nodes: {count: 100000000}\n";
    let (cluster, out) = load(&[("scenario.yaml", scenario)]);
    assert_eq!(
        out,
        "error: error validating \"scenario.yaml\": error validating data: Scenario.spec: invalid value: integer `100000000`, expected a node count of at most 5000"
    );
    assert_eq!(cluster.snapshot().nodes.len(), 3);
    // One more than Kubernetes' supported 5,000.
    let (cluster, out) = load(&[("scenario.yaml", &scenario.replace("100000000", "5001"))]);
    assert_eq!(
        out,
        "error: error validating \"scenario.yaml\": error validating data: Scenario.spec: invalid value: integer `5001`, expected a node count of at most 5000"
    );
    assert_eq!(cluster.snapshot().nodes.len(), 3);
}

#[test]
fn a_share_link_that_inflates_past_the_limit_is_refused_before_loading() {
    // 16 MiB of one letter deflates to about 100 KiB: a link of an ordinary length.
    let payload = format!("0\n{}", "a".repeat(16 << 20));
    let compressed = miniz_oxide::deflate::compress_to_vec(payload.as_bytes(), 1);
    let link = format!("https://podflow.example/#v1.{}", base64url(&compressed));
    assert!(link.len() < share::MAX_LINK_CHARS, "{}", link.len());
    assert_eq!(
        share::decode(&link).unwrap_err().to_string(),
        "the scenario is larger than 3145728 bytes, the API server's request limit"
    );
}

/// base64url without padding, as a share link writes it.
fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}
