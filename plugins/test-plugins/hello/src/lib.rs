//! A well-behaved test plugin: commands, a keyboard, a button, kv, and a slow command for
//! hot-swap tests. `HELLO_VARIANT` at build time marks which build answers.

use beamgram_plugin::prelude::*;
use beamgram_plugin::{Keyboard, kv};

const VARIANT: &str = match option_env!("HELLO_VARIANT") {
    Some(v) => v,
    None => "1",
};

struct Hello;

impl Plugin for Hello {
    fn info() -> PluginInfo {
        PluginInfo::new("hello", "0.1.0")
            .command("hello", "Say hello")
            .aliases(&["hi"])
            .command("count", "Count how often you asked")
            .command("slow", "Answer after half a second")
            .admin_command("secret", "Only for admins")
            .permission(Permission::Kv, "remembers the count")
    }

    fn on_command(c: Command) -> Outcome {
        match c.name.as_str() {
            "hello" => {
                let keyboard: Keyboard =
                    vec![vec![button_callback("Again", "again"), button_url("Docs", "https://example.org/docs")]];
                Ok(vec![reply_with(
                    format!("hello v{VARIANT}, {}", if c.raw_args.is_empty() { "world" } else { &c.raw_args }),
                    keyboard,
                )])
            }
            "count" => {
                let key = format!("count:{}", c.user_id);
                let n = match kv::get(&key) {
                    Ok(Some(v)) => String::from_utf8_lossy(&v).parse::<u64>().unwrap_or(0) + 1,
                    Ok(None) => 1,
                    Err(e) => return Err(PluginError::Failed(format!("kv: {e:?}"))),
                };
                kv::set(&key, n.to_string().as_bytes()).map_err(|e| PluginError::Failed(format!("kv: {e:?}")))?;
                Ok(vec![reply(format!("count {n}"))])
            }
            "slow" => {
                std::thread::sleep(std::time::Duration::from_millis(500));
                Ok(vec![reply(format!("slow done v{VARIANT}"))])
            }
            "secret" => Ok(vec![reply("the secret is 42")]),
            _ => Err(PluginError::BadInput(format!("unknown command {}", c.name))),
        }
    }

    fn on_callback(c: Callback) -> Outcome {
        log_info(&format!("button {} pressed by {}", c.data, c.user_id));
        Ok(vec![answer(format!("pressed {} (v{VARIANT})", c.data), false)])
    }
}

beamgram_plugin::register!(Hello);
