//! The kubelet in the flow (scratch).

use podflow_core::object::Object;
use podflow_core::sim::SimDuration;
use podflow_core::Cluster;

fn timeline(cluster: &Cluster) -> Vec<String> {
    let mut out: Vec<(String, String)> = cluster
        .objects(&["Event"])
        .iter()
        .filter_map(|o| match &**o {
            Object::Event(e) => Some((
                format!("{:?}", e.first_timestamp.as_ref().map(|t| t.0)),
                format!(
                    "{:?} {} {} {} x{} | {}",
                    e.last_timestamp.as_ref().map(|t| t.0),
                    e.type_.clone().unwrap_or_default(),
                    e.reason.clone().unwrap_or_default(),
                    e.involved_object.field_path.clone().unwrap_or_default(),
                    e.count.unwrap_or(1),
                    e.message.clone().unwrap_or_default()
                ),
            )),
            _ => None,
        })
        .collect();
    out.sort();
    out.into_iter().map(|(a, b)| format!("{a} {b}")).collect()
}

#[test]
fn scratch() {
    let file = std::env::var("KL_FILE").unwrap_or_default();
    if file.is_empty() {
        return;
    }
    let secs: u64 = std::env::var("KL_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let text = std::fs::read_to_string(&file).unwrap_or_default();
    let (mut cluster, res) = Cluster::load(&[(file.clone(), text)]);
    println!("{res:?}");
    cluster.run_for(SimDuration::secs(secs));
    for l in timeline(&cluster) {
        println!("{l}");
    }
    for o in cluster.objects(&["Pod"]) {
        println!(
            "{}",
            serde_json::to_string_pretty(&o.to_json()["status"]).unwrap_or_default()
        );
    }
}
