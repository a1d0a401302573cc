//! The intake: manifest text → typed API objects, with kubectl's and the API server's exact
//! error messages.
//!
//! * [`yaml`] reads the text as kubectl's resource builder does (documents, JSON streams, Lists,
//!   YAML 1.1 scalars) into [`Document`]s, refusing hostile input within fixed limits, and
//!   [`locate`]s a field path back to a line and column for the editor.
//! * [`decode`](mod@decode) turns a document into an [`Object`](crate::object::Object):
//!   kubectl's client-side checks first, then the API server's strict decoding.

pub mod decode;
pub mod yaml;

pub use decode::{decode, DecodeError};
pub use yaml::{
    locate, manifest_text, parse_manifest, parse_manifest_bytes, Document, IntakeError,
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::object::Object;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// Parses one document and decodes it, giving the kubectl output of a failure.
    fn decode_text(text: &str, source: &str) -> Result<Object, String> {
        let docs = parse_manifest(text, source).map_err(|e| e.to_string())?;
        let doc = docs.first().ok_or("no document")?;
        decode(doc, source).map_err(|e| e.kubectl_message("creating"))
    }

    const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: nginx\nspec:\n  containers:\n  - name: nginx\n    image: nginx:1.14.2\n";

    #[cfg(not(target_arch = "wasm32"))]
    #[test]
    fn every_example_manifest_decodes_to_the_kinds_the_index_lists() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/manifests");
        let index = std::fs::read_to_string(format!("{dir}/INDEX.tsv")).unwrap();
        let mut checked = 0;
        for row in index.lines().skip(1) {
            let cols: Vec<&str> = row.split('\t').collect();
            let (file, kinds) = (cols[0], cols[1]);
            let text = std::fs::read_to_string(format!("{dir}/{file}")).unwrap();
            let docs = parse_manifest(&text, file).unwrap_or_else(|e| panic!("{e}"));
            let got: Vec<String> = docs
                .iter()
                .map(|d| match decode(d, file) {
                    Ok(o) => o.info().kind.to_string(),
                    // The API field is `grpc`; strict decoding is case-sensitive, so the real API
                    // server refuses this revision of the docs example.
                    Err(e) if file == "pods__probe__grpc-liveness.yaml" => {
                        assert_eq!(
                            e.to_string(),
                            "Error from server (BadRequest): error when creating \"pods__probe__grpc-liveness.yaml\": Pod in version \"v1\" cannot be handled as a Pod: strict decoding error: unknown field \"spec.containers[0].livenessProbe.gRPC\""
                        );
                        "Pod".to_string()
                    }
                    Err(e) => panic!("{file}: {e}"),
                })
                .collect();
            assert_eq!(got.join(","), kinds, "{file}");
            checked += 1;
        }
        assert_eq!(checked, 49);
    }

    #[test]
    fn a_misspelt_field_is_an_unknown_field_from_the_server() {
        let text = POD.replace("    image:", "    imagee:");
        assert_eq!(
            decode_text(&text, "pod.yaml").unwrap_err(),
            "Error from server (BadRequest): error when creating \"pod.yaml\": Pod in version \"v1\" cannot be handled as a Pod: strict decoding error: unknown field \"spec.containers[0].imagee\""
        );
    }

    #[test]
    fn several_unknown_fields_are_listed_in_the_order_kubectl_sends_them() {
        // kubectl sends JSON with sorted keys, so `limits` comes before `requests` and `volumes`.
        let text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\nspec:\n  volumes:\n  - name: v\n    terminationGracePeriodSeconds: 3\n  containers:\n  - name: c\n    image: nginx\n    requests: {cpu: 1}\n    limits: {cpu: 1}\n";
        assert_eq!(
            decode_text(text, "pod.yaml").unwrap_err(),
            "Error from server (BadRequest): error when creating \"pod.yaml\": Pod in version \"v1\" cannot be handled as a Pod: strict decoding error: unknown field \"spec.containers[0].limits\", unknown field \"spec.containers[0].requests\", unknown field \"spec.volumes[0].terminationGracePeriodSeconds\""
        );
    }

    #[test]
    fn a_deployment_names_its_own_kind_and_version() {
        let text = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\n  app: nginx\nspec:\n  selector: {matchLabels: {app: x}}\n  template:\n    metadata: {labels: {app: x}}\n    spec:\n      containers: [{name: c, image: nginx}]\n";
        assert_eq!(
            decode_text(text, "deploy.yaml").unwrap_err(),
            "Error from server (BadRequest): error when creating \"deploy.yaml\": Deployment in version \"v1\" cannot be handled as a Deployment: strict decoding error: unknown field \"metadata.app\""
        );
    }

    #[test]
    fn a_duplicate_key_keeps_the_last_value_as_kubectl_does() {
        let text = POD.replace(
            "    image: nginx:1.14.2\n",
            "    image: nginx:1.14.2\n    image: nginx:1.16\n",
        );
        let Object::Pod(pod) = decode_text(&text, "pod.yaml").unwrap() else {
            panic!("not a pod")
        };
        let spec = pod.spec.unwrap();
        assert_eq!(spec.containers[0].image.as_deref(), Some("nginx:1.16"));
        let json = "{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"metadata\": {\"name\": \"a\", \"name\": \"b\"}}";
        let docs = parse_manifest(json, "cm.json").unwrap();
        assert_eq!(docs[0].value["metadata"]["name"], "b");
    }

    #[test]
    fn a_string_where_a_list_belongs_is_a_go_type_error() {
        let text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\nspec:\n  containers: nginx\n";
        assert_eq!(
            decode_text(text, "pod.yaml").unwrap_err(),
            "Error from server (BadRequest): error when creating \"pod.yaml\": Pod in version \"v1\" cannot be handled as a Pod: json: cannot unmarshal string into Go struct field PodSpec.spec.containers of type []v1.Container"
        );
    }

    #[test]
    fn type_errors_name_the_innermost_struct_and_the_go_type() {
        let cases = [
            (
                "    command: [sleep, 1200]\n",
                "json: cannot unmarshal number into Go struct field Container.spec.containers.command of type string",
            ),
            (
                "    ports:\n      containerPort: 80\n",
                "json: cannot unmarshal object into Go struct field Container.spec.containers.ports of type []v1.ContainerPort",
            ),
            (
                "    ports:\n    - containerPort: 70000000000\n",
                "json: cannot unmarshal number 70000000000 into Go struct field ContainerPort.spec.containers.ports.containerPort of type int32",
            ),
            (
                "    ports:\n    - containerPort: 80.5\n",
                "json: cannot unmarshal number 80.5 into Go struct field ContainerPort.spec.containers.ports.containerPort of type int32",
            ),
            (
                "    env:\n    - name: DEBUG\n      value: yes\n",
                "json: cannot unmarshal bool into Go struct field EnvVar.spec.containers.env.value of type string",
            ),
        ];
        for (extra, message) in cases {
            let text = format!("{POD}{extra}");
            assert_eq!(
                decode_text(&text, "pod.yaml").unwrap_err(),
                format!("Error from server (BadRequest): error when creating \"pod.yaml\": Pod in version \"v1\" cannot be handled as a Pod: {message}")
            );
        }
        let labels = POD.replace("  name: nginx\n", "  name: nginx\n  labels: {tier: 1}\n");
        assert_eq!(
            decode_text(&labels, "pod.yaml").unwrap_err(),
            "Error from server (BadRequest): error when creating \"pod.yaml\": Pod in version \"v1\" cannot be handled as a Pod: json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type string"
        );
        let affinity = format!("{POD}  affinity:\n    nodeAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution:\n      - nodeSelectorTerms: []\n");
        assert_eq!(
            decode_text(&affinity, "pod.yaml").unwrap_err(),
            "Error from server (BadRequest): error when creating \"pod.yaml\": Pod in version \"v1\" cannot be handled as a Pod: json: cannot unmarshal array into Go struct field NodeAffinity.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution of type v1.NodeSelector"
        );
    }

    #[test]
    fn a_float_without_fraction_fits_an_int32_and_null_means_zero() {
        let text = format!("{POD}    ports:\n    - containerPort: 8e1\n      hostPort: ~\n");
        let Object::Pod(pod) = decode_text(&text, "pod.yaml").unwrap() else {
            panic!("not a pod")
        };
        let ports = pod.spec.unwrap().containers[0].ports.clone().unwrap();
        assert_eq!(ports[0].container_port, 80);
        assert_eq!(ports[0].host_port, None);
    }

    #[test]
    fn missing_api_version_and_kind_fail_kubectl_validation() {
        assert_eq!(
            decode_text("metadata:\n  name: x\nspec: {}\n", "pod.yaml").unwrap_err(),
            "error: error validating \"pod.yaml\": error validating data: [apiVersion not set, kind not set]; if you choose to ignore these errors, turn validation off with --validate=false"
        );
        assert_eq!(
            decode_text("kind: Pod\nmetadata:\n  name: x\n", "noapi.yaml").unwrap_err(),
            "error: error validating \"noapi.yaml\": error validating data: apiVersion not set; if you choose to ignore these errors, turn validation off with --validate=false"
        );
        assert_eq!(
            decode_text("apiVersion: v1\nkind: 3\n", "k.yaml").unwrap_err(),
            "error: error validating \"k.yaml\": error validating data: kind isn't string type; if you choose to ignore these errors, turn validation off with --validate=false"
        );
    }

    #[test]
    fn an_unknown_kind_has_no_resource_mapping() {
        assert_eq!(
            decode_text("apiVersion: v1\nkind: Foo\nmetadata:\n  name: x\n", "foo.yaml").unwrap_err(),
            "error: resource mapping not found for name: \"x\" namespace: \"\" from \"foo.yaml\": no matches for kind \"Foo\" in version \"v1\"\nensure CRDs are installed first"
        );
        assert_eq!(
            decode_text("apiVersion: apps/v1beta2\nkind: Deployment\nmetadata:\n  name: nginx\n  namespace: web\n", "deployment.yaml").unwrap_err(),
            "error: resource mapping not found for name: \"nginx\" namespace: \"web\" from \"deployment.yaml\": no matches for kind \"Deployment\" in version \"apps/v1beta2\"\nensure CRDs are installed first"
        );
    }

    #[test]
    fn a_yaml_syntax_error_names_the_file_and_the_line() {
        let text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n   foo: bar\n";
        let err = parse_manifest(text, "bad.yaml").unwrap_err();
        assert_eq!(
            err.to_string(),
            "error: error parsing bad.yaml: error converting YAML to JSON: yaml: line 5: mapping values are not allowed in this context"
        );
        assert_eq!(err.input_line(), Some(5));
    }

    #[test]
    fn syntax_error_lines_count_from_the_document_as_kubectl_counts_them() {
        let text = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n   foo: bar\n";
        let err = parse_manifest(text, "two.yaml").unwrap_err();
        assert_eq!(
            err.to_string(),
            "error: error parsing two.yaml: error converting YAML to JSON: yaml: line 5: mapping values are not allowed in this context"
        );
        assert_eq!(err.input_line(), Some(10));
    }

    #[test]
    fn flow_style_documents_after_a_separator_are_yaml() {
        let text = "---\n{\n  apiVersion: \"v1\",\n  kind: \"Pod\",\n  metadata: {name: \"flow\"},\n  spec: {containers: [{name: \"c\", image: \"nginx\"}]},\n}\n";
        let docs = parse_manifest(text, "flow.yaml").unwrap();
        assert_eq!(docs.len(), 1);
        assert_eq!(docs[0].line, 2);
        assert_eq!(
            decode(&docs[0], "flow.yaml")
                .unwrap()
                .meta()
                .name
                .as_deref(),
            Some("flow")
        );
    }

    #[test]
    fn input_starting_with_a_brace_is_json_as_kubectl_reads_it() {
        let text = "{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"metadata\": {\"name\": \"a\"}}\n{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"metadata\": {\"name\": \"b\"}}\n";
        let docs = parse_manifest(text, "cm.json").unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!((docs[1].index, docs[1].line), (1, 2));
        // Unquoted keys without a leading `---` are not JSON: kubectl v1.32 fails the same way.
        let flow = "{ apiVersion: \"v1\", kind: \"ConfigMap\", metadata: {name: x} }\n";
        assert_eq!(
            parse_manifest(flow, "flow.yaml").unwrap_err().to_string(),
            "error: error parsing flow.yaml: json: offset 3: invalid character 'a' looking for beginning of object key string"
        );
        let bad = "{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\",\n \"metadata\": {\"name\": \"x\"},, }\n";
        assert_eq!(
            parse_manifest(bad, "bad.json").unwrap_err().to_string(),
            "error: error parsing bad.json: json: offset 70: invalid character ',' looking for beginning of object key string"
        );
    }

    #[test]
    fn a_list_is_flattened_into_its_items() {
        let text = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: a}\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: b}}\n";
        let docs = parse_manifest(text, "list.yaml").unwrap();
        let names: Vec<_> = docs
            .iter()
            .map(|d| d.value["metadata"]["name"].clone())
            .collect();
        assert_eq!(names, ["a", "b"]);
        assert_eq!((docs[1].item, docs[1].line), (Some(1), 7));
        assert_eq!(
            docs[1].source_path("metadata.name"),
            "items[1].metadata.name"
        );
    }

    #[test]
    fn empty_and_null_documents_are_skipped() {
        let text = "\n\n---\n---\n# only a comment\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\nnull\n---\n";
        let docs = parse_manifest(text, "e.yaml").unwrap();
        assert_eq!(docs.len(), 1);
        assert_eq!((docs[0].index, docs[0].line), (0, 7));
        assert!(parse_manifest("", "empty.yaml").unwrap().is_empty());
    }

    #[test]
    fn a_top_level_list_or_scalar_cannot_be_decoded() {
        assert_eq!(
            parse_manifest("- a\n- b\n", "seq.yaml").unwrap_err().to_string(),
            "error: unable to decode \"seq.yaml\": json: cannot unmarshal array into Go value of type unstructured.detector"
        );
        assert_eq!(
            parse_manifest("hello\n", "s.yaml").unwrap_err().to_string(),
            "error: unable to decode \"s.yaml\": json: cannot unmarshal string into Go value of type unstructured.detector"
        );
    }

    #[test]
    fn scalars_are_typed_as_kubectl_types_them() {
        let text = "a: yes\nb: on\nc: 0644\nd: 8080\ne: \"2\"\nf: 1e3\ng: ~\nh: 2001-12-14\ni: n\nk: 0o644\nl: 0x1F\nm: 1_000\no: 1.5\nu: Off\nz: 09\ncpu: 2\n";
        let docs = parse_manifest(&format!("kind: X\n{text}"), "s.yaml").unwrap();
        assert_eq!(
            serde_json::to_string(&docs[0].value).unwrap(),
            r#"{"a":true,"b":true,"c":420,"cpu":2,"d":8080,"e":"2","f":1000,"g":null,"h":"2001-12-14","i":false,"k":420,"kind":"X","l":31,"m":1000,"o":1.5,"u":false,"z":9}"#
        );
        assert_eq!(
            parse_manifest("a: .inf\n", "inf.yaml").unwrap_err().to_string(),
            "error: error parsing inf.yaml: error converting YAML to JSON: json: unsupported value: +Inf"
        );
        // go-yaml's ParseFloat fails on a number beyond float64, so the scalar stays a string.
        let docs = parse_manifest(
            "kind: X\na: 1e400\nb: [-9e999, 2]\nc: '1e400'\n",
            "big.yaml",
        )
        .unwrap();
        assert_eq!(
            serde_json::to_string(&docs[0].value).unwrap(),
            r#"{"a":"1e400","b":["-9e999",2],"c":"1e400","kind":"X"}"#
        );
        let many: String = (0..17).map(|i| format!("k{i}: 1e400\n")).collect();
        assert_eq!(
            parse_manifest(&many, "many.yaml").unwrap_err().to_string(),
            "error: error parsing many.yaml: error converting YAML to JSON: json: unsupported value: +Inf"
        );
    }

    #[test]
    fn an_octal_file_mode_becomes_420() {
        let text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\nspec:\n  containers: [{name: c, image: nginx}]\n  volumes:\n  - name: cfg\n    configMap:\n      name: cfg\n      defaultMode: 0644\n";
        let Object::Pod(pod) = decode_text(text, "pod.yaml").unwrap() else {
            panic!("not a pod")
        };
        let volumes = pod.spec.unwrap().volumes.unwrap();
        assert_eq!(
            volumes[0].config_map.as_ref().unwrap().default_mode,
            Some(420)
        );
    }

    #[test]
    fn a_billion_laughs_are_refused_quickly() {
        let mut text = String::from(
            "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
        );
        for (prev, name) in ["a", "b", "c", "d", "e", "f", "g", "h"]
            .iter()
            .zip(["b", "c", "d", "e", "f", "g", "h", "i"])
        {
            let refs = vec![format!("*{prev}"); 9].join(",");
            text.push_str(&format!("{name}: &{name} [{refs}]\n"));
        }
        assert_eq!(
            parse_manifest(&text, "laughs.yaml").unwrap_err().to_string(),
            "error: error parsing laughs.yaml: error converting YAML to JSON: yaml: document contains excessive aliasing"
        );
    }

    #[test]
    fn deep_nesting_is_refused() {
        let text = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(
            parse_manifest(&text, "deep.yaml").unwrap_err().to_string(),
            "error: error parsing deep.yaml: error converting YAML to JSON: yaml: exceeded max depth of 32"
        );
        let block: String = (0..300).map(|i| format!("{}k:\n", " ".repeat(i))).collect();
        assert_eq!(
            parse_manifest(&block, "deep.yaml").unwrap_err().to_string(),
            "error: error parsing deep.yaml: error converting YAML to JSON: yaml: exceeded max depth of 32"
        );
        let json = format!("{}{}", "{\"a\":".repeat(100_000), "}".repeat(100_000));
        assert!(parse_manifest(&json, "deep.json")
            .unwrap_err()
            .to_string()
            .ends_with("exceeded max depth"));
    }

    #[test]
    fn a_document_over_three_mebibytes_is_refused_as_the_api_server_refuses_it() {
        let text = format!("{POD}  hostname: {}\n", "a".repeat(4 * 1024 * 1024));
        assert_eq!(
            parse_manifest(&text, "big.yaml").unwrap_err().to_string(),
            "Error from server (RequestEntityTooLarge): error when creating \"big.yaml\": Request entity too large: limit is 3145728"
        );
    }

    #[test]
    fn more_than_ten_thousand_documents_are_refused() {
        let text = "---\n{kind: ConfigMap}\n".repeat(10_001);
        assert_eq!(
            parse_manifest(&text, "many.yaml").unwrap_err().to_string(),
            "error: error parsing many.yaml: too many documents: limit is 10000"
        );
        assert_eq!(
            parse_manifest(&"---\n{kind: ConfigMap}\n".repeat(10_000), "ok.yaml")
                .unwrap()
                .len(),
            10_000
        );
    }

    #[test]
    fn invalid_utf8_is_replaced_and_binary_input_refused() {
        let docs = parse_manifest_bytes(
            b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: \xff\xfe\n",
            "b.yaml",
        )
        .unwrap();
        assert_eq!(docs[0].value["metadata"]["name"], "\u{fffd}\u{fffd}");
        assert_eq!(
            parse_manifest_bytes(b"x\x00\x01\x02\xff\x7f", "garbage.bin").unwrap_err().to_string(),
            "error: error parsing garbage.bin: error converting YAML to JSON: yaml: control characters are not allowed"
        );
    }

    #[test]
    fn locate_finds_the_line_and_column_of_a_field() {
        let text = format!("---\n{}", POD.replace("    image:", "    imagee:"));
        assert_eq!(locate(&text, 0, "spec.containers[0].imagee"), Some((9, 5)));
        assert_eq!(locate(&text, 0, "metadata.name"), Some((5, 3)));
        assert_eq!(locate(&text, 0, "spec.containers[1]"), None);
        let two = "{\"kind\": \"A\"}\n{\"kind\": \"B\",\n \"spec\": {\"x\": 1}}\n";
        assert_eq!(locate(two, 1, "spec.x"), Some((3, 11)));
    }
}
