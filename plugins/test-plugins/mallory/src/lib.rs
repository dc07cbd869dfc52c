//! A hostile plugin for the trust-boundary tests: it tries everything a narrowly granted plugin
//! should not be able to do, and reports what the host answered. `MALLORY_VARIANT` at build time
//! makes the impostor builds: `admin` declares itself the first-party admin plugin, `greedy`
//! claims every /start payload, `overlap` claims one inside verify's prefix.

use beamgram_plugin::prelude::*;
use beamgram_plugin::{MessageRef, kv, links, schedule, telegram, users};

const VARIANT: Option<&str> = option_env!("MALLORY_VARIANT");

struct Mallory;

fn arg(c: &Command, i: usize) -> i64 {
    c.args.get(i).and_then(|a| a.parse().ok()).unwrap_or(0)
}

impl Plugin for Mallory {
    fn info() -> PluginInfo {
        let info = match VARIANT {
            Some("admin") => PluginInfo::new("admin", "6.6.6").admin_command("stats", "Not the real one"),
            Some("greedy") => PluginInfo::new("greedy", "0.1.0").start_prefix(""),
            Some("overlap") => PluginInfo::new("overlap", "0.1.0").start_prefix("verify-me"),
            _ => PluginInfo::new("mallory", "0.1.0"),
        };
        info.command("m_send", "Send to a chat: /m_send <chat>")
            .command("m_wake", "Schedule a wake-up that acts: /m_wake <what> <chat> <message>")
            .command("m_peek", "Read another user's setting: /m_peek <user>")
            .command("m_set", "Write another user's setting: /m_set <user>")
            .command("m_spend", "Shorten with another user's key: /m_spend <user>")
            .command("m_loop", "Call a denied import forever")
            .command("m_long", "Reply with 10,000 characters")
            .command("m_badbutton", "Reply with a button Telegram refuses")
            .wants(EventKinds::TEXT | EventKinds::FILE_RECEIVED | EventKinds::FILE_REPLIED)
            .permission(Permission::Schedule, "to come back later")
            .permission(Permission::Telegram, "to message people")
            .permission(Permission::UserData, "to read settings")
            .permission(Permission::Links, "to shorten")
            .permission(Permission::Kv, "to remember a wake-up's first try")
    }

    fn on_command(c: Command) -> Outcome {
        match c.name.as_str() {
            "m_send" => Ok(vec![send(arg(&c, 0), "mallory was here", Some(vec![vec![button_callback("tap", "tap")]]))]),
            "m_wake" => {
                let payload = c.raw_args.clone();
                match schedule::wake_at(0, &payload) {
                    Ok(_) => Ok(vec![reply("scheduled")]),
                    Err(e) => Ok(vec![reply(format!("schedule: {e:?}"))]),
                }
            }
            "m_peek" => Ok(vec![reply(format!("peek: {:?}", users::get_setting(arg(&c, 0), "shortener.key")))]),
            "m_set" => {
                Ok(vec![reply(format!("set: {:?}", users::set_setting(arg(&c, 0), "shortener.key", Some("x"))))])
            }
            "m_spend" => Ok(vec![reply(format!("spend: {:?}", links::shorten(arg(&c, 0), "https://example.org/")))]),
            "m_loop" => loop {
                let _ = kv::get("anything");
            },
            "m_long" => {
                let text: Vec<String> = (0..500).map(|i| format!("line {i:03} of a long answer")).collect();
                Ok(vec![reply(text.join("\n"))])
            }
            "m_badbutton" => Ok(vec![reply_with("a button", vec![vec![button_callback("x", "y".repeat(100))]])]),
            _ => Ok(Vec::new()),
        }
    }

    fn on_wake_up(w: WakeUp) -> Outcome {
        let parts: Vec<&str> = w.payload.split_whitespace().collect();
        let num = |i: usize| parts.get(i).and_then(|p| p.parse::<i64>().ok()).unwrap_or(0);
        let target = MessageRef { chat_id: num(1), message_id: num(2) as i32 };
        let text = || Outgoing { text: "mallory was here".into(), keyboard: None, reply_to: None };
        match parts.first().copied() {
            Some("send") => Ok(vec![send(num(1), "mallory was here", None)]),
            Some("edit") => Ok(vec![Action::Edit((target, text()))]),
            Some("delete") => Ok(vec![Action::Delete(target)]),
            Some("import-send") => {
                let r = telegram::send_message(num(1), &text());
                log_warn(&format!("import-send: {r:?}"));
                Ok(Vec::new())
            }
            // Sends, then fails the first time: the host retries the same job, whose send must
            // not reach the chat a second time.
            Some("send-then-fail") => {
                let first = kv::get("tried").ok().flatten().is_none();
                let r = telegram::send_message(num(1), &text());
                log_warn(&format!("send-then-fail: {r:?}"));
                if first {
                    let _ = kv::set("tried", b"1");
                    return Err(failed("failing after the send, to be retried"));
                }
                Ok(vec![send(num(1), "mallory tried again", None)])
            }
            _ => Ok(Vec::new()),
        }
    }

    fn on_callback(c: Callback) -> Outcome {
        Ok(vec![answer(format!("mallory got the press: {}", c.data), false)])
    }

    fn on_text(t: TextMessage) -> Outcome {
        Ok(vec![reply(format!("mallory saw your text: {}", t.text))])
    }

    fn on_file(f: FileReceived) -> Outcome {
        Ok(vec![reply(format!("mallory saw your file: {}", f.file.links.stream_url))])
    }
}

beamgram_plugin::register!(Mallory);
