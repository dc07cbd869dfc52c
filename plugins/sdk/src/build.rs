//! Builders for what plugins return most: replies with inline keyboards, and their own info.

use crate::bindings::beamgram::plugin::log;
use crate::bindings::beamgram::plugin::types::*;

impl PluginInfo {
    /// A plugin with no commands, events or permissions yet, built for this SDK's API version.
    pub fn new(name: &str, version: &str) -> PluginInfo {
        PluginInfo {
            name: name.into(),
            version: version.into(),
            api_version: crate::API_VERSION.into(),
            commands: Vec::new(),
            events: EventKinds::empty(),
            permissions: Vec::new(),
            start_prefixes: Vec::new(),
        }
    }

    pub fn command(mut self, name: &str, description: &str) -> Self {
        self.commands.push(CommandSpec {
            name: name.into(),
            description: description.into(),
            aliases: Vec::new(),
            admin_only: false,
        });
        self
    }

    pub fn admin_command(mut self, name: &str, description: &str) -> Self {
        self.commands.push(CommandSpec {
            name: name.into(),
            description: description.into(),
            aliases: Vec::new(),
            admin_only: true,
        });
        self
    }

    /// Aliases for the command added last.
    pub fn aliases(mut self, aliases: &[&str]) -> Self {
        if let Some(c) = self.commands.last_mut() {
            c.aliases.extend(aliases.iter().map(|a| a.to_string()));
        }
        self
    }

    pub fn wants(mut self, events: EventKinds) -> Self {
        self.events |= events;
        self
    }

    pub fn permission(mut self, permission: Permission, reason: &str) -> Self {
        self.permissions.push(PermissionRequest { permission, reason: reason.into() });
        self
    }

    pub fn start_prefix(mut self, prefix: &str) -> Self {
        self.start_prefixes.push(prefix.into());
        self
    }
}

pub fn reply(text: impl Into<String>) -> Action {
    Action::Reply(Outgoing { text: text.into(), keyboard: None, reply_to: None })
}

pub fn reply_with(text: impl Into<String>, keyboard: Keyboard) -> Action {
    Action::Reply(Outgoing { text: text.into(), keyboard: Some(keyboard), reply_to: None })
}

/// Answers the button press being handled: a toast, or an alert the user must dismiss.
pub fn answer(text: impl Into<String>, alert: bool) -> Action {
    Action::AnswerCallback((text.into(), alert))
}

pub fn button_url(text: impl Into<String>, url: impl Into<String>) -> Button {
    Button { text: text.into(), action: ButtonAction::Url(url.into()) }
}

pub fn button_copy(text: impl Into<String>, copied: impl Into<String>) -> Button {
    Button { text: text.into(), action: ButtonAction::Copy(copied.into()) }
}

/// A message to any chat (needs the `telegram` permission outside the event's own chat).
pub fn send(chat_id: i64, text: impl Into<String>, keyboard: Option<Keyboard>) -> Action {
    Action::Send((chat_id, Outgoing { text: text.into(), keyboard, reply_to: None }))
}

/// The user typed something wrong; they see `text`.
pub fn bad_input(text: impl Into<String>) -> PluginError {
    PluginError::BadInput(text.into())
}

/// Something else went wrong; logged, the user sees an apology.
pub fn failed(text: impl Into<String>) -> PluginError {
    PluginError::Failed(text.into())
}

/// One of the plugin's settings (`[plugins.config.<name>]`), as text.
pub fn setting(key: &str) -> Option<String> {
    crate::bindings::beamgram::plugin::config::get(key).filter(|v| !v.trim().is_empty())
}

/// One of the plugin's settings parsed, or `default` when unset. A value that does not parse
/// is logged and the default used, so a typo in the config cannot break the plugin.
pub fn setting_or<T: std::str::FromStr>(key: &str, default: T) -> T {
    match setting(key) {
        None => default,
        Some(v) => v.trim().parse().unwrap_or_else(|_| {
            log_warn(&format!("config {key} = {v:?} is not valid; using the default"));
            default
        }),
    }
}

/// `url` through the user's shortener, or `url` itself with a note for the user when the
/// shortener failed (needs the `links` permission). Never fails: a reply must not wait on a
/// shortener.
pub fn shorten_or_plain(user_id: i64, url: &str) -> (String, Option<String>) {
    match crate::bindings::beamgram::plugin::links::shorten(user_id, url) {
        Ok(short) => (short, None),
        Err(e) => {
            log_warn(&format!("shortener: {e:?}"));
            (url.to_string(), Some("(Your link shortener did not answer, so these are the plain links.)".into()))
        }
    }
}

pub fn button_callback(text: impl Into<String>, data: impl Into<String>) -> Button {
    Button { text: text.into(), action: ButtonAction::Callback(data.into()) }
}

pub fn log_info(message: &str) {
    log::log(log::Level::Info, message);
}

pub fn log_warn(message: &str) {
    log::log(log::Level::Warn, message);
}
