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
        self.commands.push(CommandSpec { name: name.into(), description: description.into(), aliases: Vec::new(), admin_only: false });
        self
    }

    pub fn admin_command(mut self, name: &str, description: &str) -> Self {
        self.commands.push(CommandSpec { name: name.into(), description: description.into(), aliases: Vec::new(), admin_only: true });
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

pub fn button_callback(text: impl Into<String>, data: impl Into<String>) -> Button {
    Button { text: text.into(), action: ButtonAction::Callback(data.into()) }
}

pub fn log_info(message: &str) {
    log::log(log::Level::Info, message);
}

pub fn log_warn(message: &str) {
    log::log(log::Level::Warn, message);
}
