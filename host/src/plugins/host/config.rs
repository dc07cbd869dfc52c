//! `config`: the plugin's own settings from `[plugins.config.<name>]`. Nothing to grant: a
//! plugin reads only its own table.

use crate::plugins::bindings::beamgram::plugin::config::Host;
use crate::plugins::state::PluginState;

impl Host for PluginState {
    async fn get(&mut self, key: String) -> wasmtime::Result<Option<String>> {
        Ok(self.services.config.get(&self.plugin).and_then(|t| t.get(&key)).cloned())
    }
}
