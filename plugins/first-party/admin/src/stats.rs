//! The /stats text.

use beamgram_plugin::human::bytes;
use beamgram_plugin::users::BotStats;

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
