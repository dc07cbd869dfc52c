//! The /stats text.

use beamgram_plugin::users::BotStats;

fn bytes(n: u64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < units.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 { format!("{n} B") } else { format!("{v:.1} {}", units[u]) }
}

pub fn text(s: &BotStats) -> String {
    let mut out = format!(
        "📊 Stats\n👤 Users: {} ({} banned, {} blocked the bot)\n📁 Files: {} ({})\n▶️ Streams now: {} · served {}\n⏰ Pending jobs: {}\n🔌 Plugins ({}):",
        s.users,
        s.banned,
        s.blocked_bot,
        s.files,
        bytes(s.file_bytes),
        s.active_streams,
        bytes(s.bytes_served),
        s.pending_wake_ups,
        s.plugins.len()
    );
    for p in &s.plugins {
        out.push_str(&format!("\n• {} {} ({} commands)", p.name, p.version, p.commands));
    }
    out
}
