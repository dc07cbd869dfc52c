use crate::plugins::bindings::beamgram::plugin::clock::Host;
use crate::plugins::state::PluginState;

impl Host for PluginState {
    async fn now_ms(&mut self) -> wasmtime::Result<u64> {
        Ok(std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0))
    }
}
