//! The /stats text.

use beamgram_plugin::human::bytes;
use beamgram_plugin::users::{BotStats, TrafficToday};

pub fn text(s: &BotStats, t: &TrafficToday) -> String {
    let mut out = format!(
        "📊 Stats\n👤 Users: {} ({} banned, {} blocked the bot)\n📁 Files: {} ({})\n▶️ Streams now: {} · served {} since start\n📅 Today: {} served · FLOOD_WAITs in the last hour: {}",
        s.users,
        s.banned,
        s.blocked_bot,
        s.files,
        bytes(s.file_bytes),
        t.streams_now,
        bytes(s.bytes_served),
        bytes(t.bytes_today),
        t.flood_waits_last_hour,
    );
    if !t.top_files.is_empty() {
        out.push_str("\n🔥 Most streamed today:");
        for (i, f) in t.top_files.iter().enumerate() {
            out.push_str(&format!("\n{}. {} — {}", i + 1, f.name, bytes(f.bytes)));
        }
    }
    out.push_str(&format!("\n⏰ Pending jobs: {}\n🔌 Plugins ({}):", s.pending_wake_ups, s.plugins.len()));
    for p in &s.plugins {
        out.push_str(&format!("\n• {} {} ({} commands)", p.name, p.version, p.commands));
    }
    out
}
