//! What a clone bot costs at rest: the host's resident memory before and after users clone it
//! (each clone logged in, with its own bin channel and the first-party plugins), in a fresh
//! process so earlier phases do not count. The baseline is the same host with no clones.

use std::time::Duration;

use beamgram_sim::SimHandle;

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

/// The simulator side: `n` users each clone the bot and give their clone a bin channel; "n clones" or the error.
pub async fn make(h: &SimHandle, bot: beamgram_sim::AccountId, n: usize) -> String {
    for i in 0..n {
        let owner = h.add_user(&format!("Owner {i}"), None);
        let Ok((clone, token, _)) = h.new_bot(owner, &format!("benchclone{i}")) else { return "error: newbot".into() };
        let _ = h.send_text(owner, bot, &format!("/clone {token}"));
        let running = h
            .wait_for(Duration::from_secs(60), "the clone runs", |s| {
                s.messages_from(bot, owner).iter().any(|m| m.text.contains("is running")).then_some(())
            })
            .await;
        if running.is_err() {
            return format!("error: clone {i} did not start: {:?}", h.messages_from(bot, owner));
        }
        let channel = SimHandle::bot_api_channel_id(h.add_channel("files", None, &[clone]));
        let _ = h.send_text(owner, clone, &format!("/setbin {channel}"));
        let set = h
            .wait_for(Duration::from_secs(60), "the bin is set", |s| {
                s.messages_from(clone, owner).iter().any(|m| m.text.starts_with("✅")).then_some(())
            })
            .await;
        if set.is_err() {
            return format!("error: clone {i} has no bin: {:?}", h.messages_from(clone, owner));
        }
    }
    format!("{n} clones")
}
