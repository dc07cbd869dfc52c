//! What a clone bot costs at rest: the host's resident memory before and after users clone it
//! (each clone logged in, with its own bin channel and the first-party plugins), in a fresh
//! process so earlier phases do not count. The baseline is the same host with no clones.

use std::time::Duration;

/// Clones made in the measurement.
const CLONES: usize = 20;

fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .unwrap_or(0.0)
        / 1024.0
}

pub async fn run() {
    let dist = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../plugins/dist");
    if !dist.join("first-party.sha256").exists() {
        println!("\nclones: skipped (build the plugins with `just plugins`)");
        return;
    }
    let mut b = super::start(|c| {
        c.plugins.dir = dist;
        c.plugins.watch = false;
        c.clones.max_total = CLONES + 1;
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let before = rss_mib();
    let answer = tokio::task::block_in_place(|| b.ask(&format!("clones {CLONES}")));
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = rss_mib();
    println!("\nclone bots at rest ({answer}; each logged in, its own bin channel, the first-party plugins):");
    println!(
        "  host RSS {before:.0} MiB with none, {after:.0} MiB with {CLONES}: {:.2} MiB per clone = {:.1} % of the host's own",
        (after - before) / CLONES as f64,
        (after - before) / CLONES as f64 / before * 100.0
    );
    b.stop().await;
}
