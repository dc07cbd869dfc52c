//! Deletes the bot's file replies after a while, with a notice to the user. The deletion is a
//! durable wake-up in the host's store: it still happens after a restart.
//!
//! Config (`[plugins.config.auto-delete]`): `enabled` (false), `after_secs` (1800).

use beamgram_plugin::prelude::*;
use beamgram_plugin::{HostError, clock, kv, schedule, telegram};
use serde::{Deserialize, Serialize};

struct AutoDelete;

#[derive(Serialize, Deserialize)]
struct Pending {
    chat: i64,
    /// The replies.
    messages: Vec<i32>,
    name: String,
    /// Where the notice's message id is kept: the notice goes out after the job is stored
    /// (a crash in between must not lose the deletion), so its id is not in the payload.
    notice_key: String,
}

fn human(secs: u64) -> String {
    match secs {
        s if s % 3600 == 0 && s >= 3600 => format!("{} h", s / 3600),
        s if s % 60 == 0 && s >= 60 => format!("{} min", s / 60),
        s => format!("{s} s"),
    }
}

impl Plugin for AutoDelete {
    fn info() -> PluginInfo {
        PluginInfo::new("auto-delete", env!("CARGO_PKG_VERSION"))
            .wants(EventKinds::FILE_REPLIED)
            .permission(Permission::Schedule, "to delete the messages later, even after a restart")
            .permission(Permission::Telegram, "to delete the bot's messages and tell the user")
            .permission(Permission::Kv, "to find the notice again when deleting")
    }

    fn on_file_replied(f: FileReplied) -> Outcome {
        if !setting_or("enabled", false) || f.replies.is_empty() {
            return Ok(Vec::new());
        }
        let after: u64 = setting_or("after_secs", 1800).max(1);
        let notice_key = format!("notice:{}:{}", f.chat_id, f.message_id);
        let pending = Pending {
            chat: f.chat_id,
            messages: f.replies.iter().filter(|r| r.chat_id == f.chat_id).map(|r| r.message_id).collect(),
            name: f.file.name.clone(),
            notice_key: notice_key.clone(),
        };
        let payload = serde_json::to_string(&pending).map_err(|e| failed(e.to_string()))?;
        schedule::wake_at(clock::now_ms() + after * 1000, &payload).map_err(|e| failed(format!("{e:?}")))?;
        let notice = telegram::send_message(
            f.chat_id,
            &Outgoing {
                text: format!("⏳ These links will be deleted in {}. Save what you need now.", human(after)),
                keyboard: None,
                reply_to: f.replies.first().map(|r| r.message_id),
            },
        );
        if let Ok(id) = notice {
            let _ = kv::set(&notice_key, id.to_string().as_bytes());
        }
        Ok(Vec::new())
    }

    fn on_wake_up(w: WakeUp) -> Outcome {
        let Ok(p) = serde_json::from_str::<Pending>(&w.payload) else {
            log_warn("a wake-up this plugin does not understand; dropped");
            return Ok(Vec::new());
        };
        let notice: Option<i32> =
            kv::get(&p.notice_key).ok().flatten().and_then(|v| String::from_utf8(v).ok()).and_then(|v| v.parse().ok());
        for id in p.messages.iter().chain(notice.iter()) {
            match telegram::delete_message(MessageRef { chat_id: p.chat, message_id: *id }) {
                // Already gone (the user deleted it): nothing left to do.
                Ok(()) | Err(HostError::NotFound) => {}
                // Anything else is retried by the host with the whole wake-up.
                Err(e) => return Err(failed(format!("deleting {id}: {e:?}"))),
            }
        }
        Ok(vec![send(
            p.chat,
            format!("🗑 The links for {} were deleted. Send the file again for new ones.", p.name),
            None,
        )])
    }
}

beamgram_plugin::register!(AutoDelete);
