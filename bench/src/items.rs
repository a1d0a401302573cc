//! The playground's scale scenario run natively one simulation item at a time
//! (`podflow-bench --ui-items`), timing each item: a Play tick can stop between two items but
//! not inside one, so the slowest single items bound the page's frame time. Each item is named
//! as [`Cluster::next_item`] says (`timer of kube-scheduler`, `watch delivery to kubelet/node-7
//! (3 events)`), with the first trace step it left.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use podflow_core::Cluster;

use crate::ui::percentile;

/// One item that ran.
#[derive(Debug, Clone)]
pub struct Item {
    /// Wall time it took.
    pub wall: Duration,
    /// What it was: `timer of kube-scheduler`, `watch delivery to kubelet/node-7 (3 events)`.
    pub item: String,
    /// Its first trace step's component, stage and object (empty when it left none).
    pub what: String,
    /// How many trace steps it left.
    pub steps: u64,
    /// The virtual time it ran at, as the clock reads.
    pub at: String,
}

/// What a run of items measured.
#[derive(Debug, Default)]
pub struct Items {
    /// Every item, in the order run.
    pub items: Vec<Item>,
    /// Wall time of loading the scenario.
    pub load: Duration,
    /// The virtual clock at the end.
    pub clock: String,
}

/// Loads `text` as the playground loads a link's scenario, then runs items one at a time until
/// `wall` has passed or nothing is due.
pub fn run(text: &str, wall: Duration) -> Result<Items, String> {
    let started = Instant::now();
    let (mut cluster, results) = Cluster::load(&[("ui-scale.yaml".into(), text.to_string())]);
    if let Some(bad) = results.iter().find(|r| !r.ok) {
        return Err(format!("the scenario did not load: {}", bad.message));
    }
    let mut out = Items {
        load: started.elapsed(),
        ..Items::default()
    };
    let started = Instant::now();
    while started.elapsed() < wall {
        let first = cluster.trace().next_seq();
        let at = cluster.next_due();
        let item = cluster.next_item().unwrap_or_default();
        let t = Instant::now();
        if cluster.advance().is_none() {
            break;
        }
        let wall = t.elapsed();
        // The trace keeps its last 50,000 steps: count by sequence numbers.
        let steps = cluster.trace().next_seq() - first;
        let what = cluster
            .trace()
            .since(first)
            .next()
            .map(|s| format!("{} {} {}", s.component, s.stage.as_str(), s.object))
            .unwrap_or_default();
        out.items.push(Item {
            wall,
            item,
            what,
            steps,
            at: at.map(|t| t.to_string()).unwrap_or_default(),
        });
    }
    out.clock = cluster.now().to_string();
    Ok(out)
}

/// An item's kind without its node and event count: `watch delivery to kubelet/node-7 (3
/// events)` counts as `watch delivery to kubelet`.
fn kind(item: &str) -> &str {
    let end = item.find(['/', '(']).unwrap_or(item.len());
    item[..end].trim_end()
}

/// The report: totals, the slowest items and the time per component.
pub fn report(m: &Items, slowest: usize) -> String {
    let mut s = String::new();
    let total: Duration = m.items.iter().map(|i| i.wall).sum();
    s.push_str(&format!(
        "load {:.1} ms; {} items in {:.1} ms of wall time; virtual clock reached {}\n",
        ms(m.load),
        m.items.len(),
        ms(total),
        m.clock
    ));
    let mut walls: Vec<f64> = m.items.iter().map(|i| ms(i.wall)).collect();
    walls.sort_by(f64::total_cmp);
    if let Some(max) = walls.last() {
        s.push_str(&format!(
            "item wall time: median {:.3} ms, p99 {:.3} ms, max {:.1} ms; over 16 ms: {}\n",
            percentile(&walls, 0.5),
            percentile(&walls, 0.99),
            max,
            walls.iter().filter(|w| **w > 16.0).count()
        ));
    }
    // Per kind: items, total, items over a third of a frame, and the slowest.
    let mut by: BTreeMap<&str, (u64, Duration, u64, &Item)> = BTreeMap::new();
    for i in &m.items {
        let e = by.entry(kind(&i.item)).or_insert((0, Duration::ZERO, 0, i));
        e.0 += 1;
        e.1 += i.wall;
        e.2 += u64::from(ms(i.wall) > 5.0);
        if i.wall > e.3.wall {
            e.3 = i;
        }
    }
    let mut by: Vec<_> = by.into_iter().collect();
    by.sort_by_key(|(_, (_, total, _, _))| std::cmp::Reverse(*total));
    s.push_str("item                                  items     total ms    max ms  over 5 ms\n");
    for (kind, (n, sum, over, max)) in &by {
        s.push_str(&format!(
            "{kind:<36} {n:>6} {:>12.1} {:>9.1} {over:>10}\n",
            ms(*sum),
            ms(max.wall)
        ));
    }
    s.push_str("the slowest item of each kind:\n");
    for (_, (_, _, _, i)) in &by {
        s.push_str(&line(i));
    }
    let mut order: Vec<&Item> = m.items.iter().collect();
    order.sort_by_key(|i| std::cmp::Reverse(i.wall));
    s.push_str(&format!("the {slowest} slowest items:\n"));
    for i in order.into_iter().take(slowest) {
        s.push_str(&line(i));
    }
    s
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// One item's line: its wall time, virtual time, name, steps and first step.
fn line(i: &Item) -> String {
    format!(
        "{:>9.1} ms  at {:<10} {:<48} {:>6} steps  {}\n",
        ms(i.wall),
        i.at,
        i.item,
        i.steps,
        i.what
    )
}
