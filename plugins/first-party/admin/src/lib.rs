//! Admin commands: `/stats`, `/broadcast` (reply to a message), `/ban`, `/unban`. The host
//! makes them admin-only (`ADMINS`); `/plugins` is the host's own.
//!
//! A broadcast walks the users in id order, a batch per wake-up, and stores its position
//! *before* each send. Killed mid-way (or handed over to a standby process), the wake-up runs
//! again and first sends again to the user it was sending to: the host keys a wake-up's sends by
//! its job, so if that copy had reached Telegram it is not made twice (the answer is then an
//! empty list), and everyone gets the message exactly once.

use beamgram_plugin::prelude::*;
use beamgram_plugin::{HostError, clock, kv, schedule, telegram, users};
use serde::{Deserialize, Serialize};

mod stats;

struct Admin;

const STATE: &str = "broadcast";
/// Work per wake-up: it returns well inside the host's time limit and lets progress show.
const SLICE_MS: u64 = 15_000;

#[derive(Serialize, Deserialize, Default)]
struct Broadcast {
    source_chat: i64,
    source_message: i32,
    admin_chat: i64,
    progress_message: Option<i32>,
    total: u64,
    /// The last user tried; the walk resumes after it.
    after: i64,
    /// The user being sent to when the state was last written.
    in_flight: Option<i64>,
    delivered: u64,
    blocked: u64,
    failed: u64,
}

impl Broadcast {
    fn summary(&self, done: bool) -> String {
        let tried = self.delivered + self.blocked + self.failed;
        format!(
            "{} Broadcast {}: {tried}/{}\n✅ delivered {}\n🚫 blocked the bot {}\n⚠️ failed {}",
            if done { "📣" } else { "⏳" },
            if done { "finished" } else { "running" },
            self.total,
            self.delivered,
            self.blocked,
            self.failed
        )
    }

    /// Sends the message to `user` and counts the outcome. `again`: the send was interrupted
    /// once, so an empty answer means the earlier try got through.
    fn send_to(&mut self, user: i64, again: bool) {
        match telegram::forward_messages(self.source_chat, &[self.source_message], user, true) {
            Ok(ids) if !ids.is_empty() || again => self.delivered += 1,
            Ok(_) => self.failed += 1,
            Err(HostError::Blocked) => self.blocked += 1,
            Err(e) => {
                log_warn(&format!("broadcast to {user}: {e:?}"));
                self.failed += 1;
            }
        }
    }
}

fn store_err(e: HostError) -> PluginError {
    failed(format!("store: {e:?}"))
}

fn load() -> Result<Option<Broadcast>, PluginError> {
    Ok(kv::get(STATE).map_err(store_err)?.and_then(|b| serde_json::from_slice(&b).ok()))
}

fn save(b: &Broadcast) -> Result<(), PluginError> {
    kv::set(STATE, &serde_json::to_vec(b).map_err(|e| failed(e.to_string()))?).map_err(store_err)
}

fn report(b: &Broadcast, done: bool) {
    if let Some(id) = b.progress_message {
        let target = MessageRef { chat_id: b.admin_chat, message_id: id };
        let _ = telegram::edit_message(target, &Outgoing { text: b.summary(done), keyboard: None, reply_to: None });
    }
}

fn target_user(c: &Command) -> Result<i64, PluginError> {
    if let Some(id) = c.args.first() {
        return id.parse().map_err(|_| bad_input(format!("'{id}' is not a user id. Usage: /{} <user id>", c.name)));
    }
    c.reply_to
        .as_ref()
        .and_then(|r| r.sender_id)
        .filter(|id| *id > 0)
        .ok_or_else(|| bad_input(format!("Usage: /{} <user id> (or reply to one of their messages)", c.name)))
}

fn start_broadcast(c: &Command) -> Outcome {
    if c.args.first().is_some_and(|a| a == "status") {
        return Ok(vec![reply(match load()? {
            Some(b) => b.summary(false),
            None => "No broadcast is running.".into(),
        })]);
    }
    let Some(source) = &c.reply_to else {
        return Err(bad_input("Reply to the message you want to send to everyone with /broadcast."));
    };
    if let Some(b) = load()? {
        return Err(bad_input(format!("A broadcast is already running.\n{}", b.summary(false))));
    }
    let total = users::count().map_err(store_err)?;
    let mut b = Broadcast {
        source_chat: source.chat_id,
        source_message: source.message_id,
        admin_chat: c.chat_id,
        total,
        ..Default::default()
    };
    b.progress_message = telegram::send_message(
        c.chat_id,
        &Outgoing { text: b.summary(false), keyboard: None, reply_to: Some(c.message_id) },
    )
    .ok();
    save(&b)?;
    schedule::wake_at(clock::now_ms(), "broadcast").map_err(store_err)?;
    Ok(Vec::new())
}

fn continue_broadcast() -> Outcome {
    let Some(mut b) = load()? else { return Ok(Vec::new()) };
    if let Some(user) = b.in_flight {
        b.send_to(user, true);
        b.in_flight = None;
        save(&b)?;
    }
    let started = clock::now_ms();
    loop {
        let page = users::after(b.after, 50).map_err(store_err)?;
        if page.is_empty() {
            kv::delete(STATE).map_err(store_err)?;
            report(&b, true);
            return Ok(Vec::new());
        }
        for u in page {
            b.after = u.id;
            if u.banned {
                continue;
            }
            b.in_flight = Some(u.id);
            save(&b)?;
            b.send_to(u.id, false);
            b.in_flight = None;
            if clock::now_ms() - started > SLICE_MS {
                save(&b)?;
                report(&b, false);
                schedule::wake_at(clock::now_ms(), "broadcast").map_err(store_err)?;
                return Ok(Vec::new());
            }
        }
        save(&b)?;
    }
}

impl Plugin for Admin {
    fn info() -> PluginInfo {
        PluginInfo::new("admin", env!("CARGO_PKG_VERSION"))
            .admin_command("stats", "Users, files, streams and plugins")
            .admin_command("broadcast", "Reply to a message to send it to every user (/broadcast status)")
            .admin_command("ban", "Ban a user: /ban <user id>")
            .admin_command("unban", "Lift a ban: /unban <user id>")
            .permission(Permission::Users, "to count, list and ban users")
            .permission(Permission::Telegram, "to send the broadcast")
            .permission(Permission::Kv, "to remember where a broadcast is")
            .permission(Permission::Schedule, "to carry a broadcast on in the background and after a restart")
    }

    fn on_command(c: Command) -> Outcome {
        if !c.is_admin {
            return Err(bad_input("That command is for admins."));
        }
        match c.name.as_str() {
            "stats" => {
                let (s, t) = (users::stats().map_err(store_err)?, users::traffic().map_err(store_err)?);
                Ok(vec![reply(stats::text(&s, &t))])
            }
            "broadcast" => start_broadcast(&c),
            name => {
                let ban = name == "ban";
                let user = target_user(&c)?;
                let changed = users::set_banned(user, ban).map_err(store_err)?;
                Ok(vec![reply(match (ban, changed) {
                    (true, true) => format!("🚫 {user} is banned."),
                    (true, false) => format!("{user} was already banned."),
                    (false, true) => format!("✅ {user} is no longer banned."),
                    (false, false) => format!("{user} was not banned."),
                })])
            }
        }
    }

    fn on_wake_up(w: WakeUp) -> Outcome {
        match w.payload.as_str() {
            "broadcast" => continue_broadcast(),
            _ => Ok(Vec::new()),
        }
    }
}

beamgram_plugin::register!(Admin);
