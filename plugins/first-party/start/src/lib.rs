//! `/start` and `/help`: a welcome with buttons, and the list of every loaded plugin's
//! commands (so /help is always current, whatever plugins the operator runs).
//!
//! Config (`[plugins.config.start]`): `welcome` — the greeting text.

use beamgram_plugin::bot;
use beamgram_plugin::prelude::*;

struct Start;

const DEFAULT_WELCOME: &str = "👋 Hi! Send me any file — video, audio, document or photo — and I answer with links \
to stream it in the browser or a player (VLC, mpv, MX) and to download it.";

fn help_text(admin: bool) -> String {
    let mut out = String::from("What I can do:\n• Send me a file: I answer with links to stream and download it.\n");
    let mut admin_lines = Vec::new();
    for c in bot::commands(admin) {
        let line = format!("/{} — {}", c.name, c.description);
        if c.admin_only {
            admin_lines.push(line)
        } else {
            out.push_str(&line);
            out.push('\n')
        }
    }
    if admin {
        out.push_str("\nFor admins:\n");
        out.push_str(&admin_lines.join("\n"));
    }
    out
}

fn welcome_keyboard() -> Keyboard {
    vec![vec![button_callback("📖 Help", "help"), button_callback("ℹ️ About", "about")]]
}

impl Plugin for Start {
    fn info() -> PluginInfo {
        PluginInfo::new("start", env!("CARGO_PKG_VERSION"))
            .command("start", "Welcome and what this bot does")
            .command("help", "Every command this bot knows")
    }

    fn on_command(c: Command) -> Outcome {
        match c.name.as_str() {
            "help" => Ok(vec![reply(help_text(c.is_admin))]),
            // `/start <payload>` reaches this plugin only when no plugin owns the payload.
            _ => {
                let welcome = setting("welcome").unwrap_or_else(|| DEFAULT_WELCOME.into());
                Ok(vec![reply_with(welcome, welcome_keyboard())])
            }
        }
    }

    fn on_callback(cb: Callback) -> Outcome {
        let text = match cb.data.as_str() {
            "help" => help_text(cb.is_admin),
            "about" => format!(
                "This is @{}, a file-to-link bot. Files you send are kept in the bot's channel; the links stream \
                 straight from Telegram with seeking, so nothing is stored elsewhere.",
                bot::username()
            ),
            _ => return Ok(vec![answer("This button no longer does anything.", false)]),
        };
        let target = MessageRef { chat_id: cb.chat_id, message_id: cb.message_id };
        let back = vec![vec![button_callback("📖 Help", "help"), button_callback("ℹ️ About", "about")]];
        Ok(vec![Action::Edit((target, Outgoing { text, keyboard: Some(back), reply_to: None })), answer("", false)])
    }
}

beamgram_plugin::register!(Start);
