//! `bot`: facts about the bot the plugin runs in (its username, every plugin's commands for
//! /help). Nothing to grant: all of it is public in the bot's profile and command menu.

use crate::plugins::bindings::beamgram::plugin::bot::Host;
use crate::plugins::bindings::types::CommandSpec;
use crate::plugins::state::PluginState;

impl Host for PluginState {
    async fn username(&mut self) -> wasmtime::Result<String> {
        Ok(self.services.bot.as_ref().map(|b| b.username.clone()).unwrap_or_default())
    }

    async fn commands(&mut self, include_admin_only: bool) -> wasmtime::Result<Vec<CommandSpec>> {
        Ok(self
            .services
            .registry
            .list()
            .iter()
            .flat_map(|p| p.info.commands.iter())
            .chain(&self.services.builtins)
            .filter(|c| include_admin_only || !c.admin_only)
            .cloned()
            .collect())
    }
}
