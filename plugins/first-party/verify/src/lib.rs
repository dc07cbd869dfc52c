//! Verification: when enabled, a user must verify once per period before getting links. The
//! bot answers their file with a (shortened) deep link carrying a one-time token; opening it
//! (`/start verify-<token>`) verifies them until the period ends. Tokens are single-use,
//! expire, belong to one user and live in the store, so a restart loses none. Admins are not
//! asked.
//!
//! Config (`[plugins.config.verify]`): `enabled` (false), `period_secs` (86400),
//! `token_ttl_secs` (3600).

use std::hash::{BuildHasher, Hasher};

use beamgram_plugin::prelude::*;
use beamgram_plugin::{clock, kv, links, schedule, users};
use serde::{Deserialize, Serialize};

struct Verify;

const PREFIX: &str = "verify-";

#[derive(Serialize, Deserialize)]
struct Token {
    user: i64,
    expires_ms: u64,
}

/// 128 random bits as hex, from the sandbox's random source (WASI random, which seeds std's
/// hashers).
fn new_token() -> String {
    let mut out = String::new();
    for i in 0..2u8 {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u8(i);
        h.write_u64(clock::now_ms());
        out.push_str(&format!("{:016x}", h.finish()));
    }
    out
}

fn store_err(e: beamgram_plugin::HostError) -> PluginError {
    failed(format!("store: {e:?}"))
}

fn load(token: &str) -> Result<Option<Token>, PluginError> {
    let raw = kv::get(&format!("token:{token}")).map_err(store_err)?;
    Ok(raw.and_then(|b| serde_json::from_slice(&b).ok()))
}

fn until_text(ms: u64, now: u64) -> String {
    let hours = (ms.saturating_sub(now) + 1_800_000) / 3_600_000;
    if hours >= 1 { format!("the next {hours} h") } else { "the next hour".into() }
}

impl Plugin for Verify {
    fn info() -> PluginInfo {
        PluginInfo::new("verify", env!("CARGO_PKG_VERSION"))
            .wants(EventKinds::FILE_GATE)
            .start_prefix(PREFIX)
            .permission(Permission::UserData, "to know until when each user is verified")
            .permission(Permission::Kv, "to keep the one-time tokens")
            .permission(Permission::Links, "to make the deep link (shortened when the user chose a shortener)")
            .permission(Permission::Schedule, "to forget tokens when they expire")
    }

    fn on_file_gate(f: FileReceived) -> Outcome {
        if !setting_or("enabled", false) || f.is_admin {
            return Ok(Vec::new());
        }
        let now = clock::now_ms();
        let verified = users::get(f.user_id).map_err(store_err)?.and_then(|u| u.verified_until_ms);
        if verified.is_some_and(|until| until > now) {
            return Ok(Vec::new());
        }
        let ttl: u64 = setting_or("token_ttl_secs", 3600).max(60);
        // One live token per user: sending five files does not make five links.
        let mine = format!("user:{}", f.user_id);
        let reuse = kv::get(&mine)
            .map_err(store_err)?
            .and_then(|t| String::from_utf8(t).ok())
            .filter(|t| load(t).ok().flatten().is_some_and(|tok| tok.expires_ms > now + 60_000));
        let token = match reuse {
            Some(t) => t,
            None => {
                let t = new_token();
                let record = Token { user: f.user_id, expires_ms: now + ttl * 1000 };
                let bytes = serde_json::to_vec(&record).map_err(|e| failed(e.to_string()))?;
                kv::set(&format!("token:{t}"), &bytes).map_err(store_err)?;
                kv::set(&mine, t.as_bytes()).map_err(store_err)?;
                schedule::wake_at(record.expires_ms, &t).map_err(store_err)?;
                t
            }
        };
        let link = links::deep_link(&format!("{PREFIX}{token}"));
        let (link, _) = shorten_or_plain(f.user_id, &link);
        let period: u64 = setting_or("period_secs", 86_400);
        Ok(vec![reply_with(
            format!(
                "🔒 Please verify first: open the link below, then send your file again. It keeps you verified for {} h.",
                period.div_ceil(3600)
            ),
            vec![vec![button_url("✅ Verify", link)]],
        )])
    }

    fn on_command(c: Command) -> Outcome {
        let Some(token) = c.raw_args.strip_prefix(PREFIX) else { return Ok(Vec::new()) };
        let now = clock::now_ms();
        let key = format!("token:{token}");
        let Some(t) = load(token)? else {
            return Err(bad_input("This verification link is invalid or was already used."));
        };
        if t.user != c.user_id {
            return Err(bad_input("This verification link was made for someone else. Send a file to get your own."));
        }
        // Single use: gone before the verification is granted.
        kv::delete(&key).map_err(store_err)?;
        let _ = kv::delete(&format!("user:{}", c.user_id));
        if t.expires_ms <= now {
            return Err(bad_input("This verification link has expired. Send a file to get a new one."));
        }
        let period: u64 = setting_or("period_secs", 86_400);
        let until = now + period * 1000;
        users::set_verified_until(c.user_id, Some(until)).map_err(store_err)?;
        Ok(vec![reply(format!("✅ Verified for {}. Send your file again to get its links.", until_text(until, now)))])
    }

    fn on_wake_up(w: WakeUp) -> Outcome {
        // The token's time is up: forget it (it may be gone already, used).
        if let Ok(Some(t)) = load(&w.payload) {
            let _ = kv::delete(&format!("token:{}", w.payload));
            let mine = format!("user:{}", t.user);
            if kv::get(&mine).ok().flatten().is_some_and(|v| v == w.payload.as_bytes()) {
                let _ = kv::delete(&mine);
            }
        }
        Ok(Vec::new())
    }
}

beamgram_plugin::register!(Verify);
