//! `schedule`: not served by this version — durable jobs arrive with the storage layer. The
//! grant is still checked.

use crate::plugins::bindings::beamgram::plugin::schedule::Host;
use crate::plugins::bindings::types::{HostError, Permission};
use crate::plugins::state::PluginState;

fn unavailable() -> HostError {
    HostError::Failed("the schedule interface is not available in this version of beamgram".into())
}

impl Host for PluginState {
    async fn wake_at(&mut self, _due_ms: u64, _payload: String) -> wasmtime::Result<Result<u64, HostError>> {
        Ok(self.check(Permission::Schedule).and(Err(unavailable())))
    }

    async fn cancel(&mut self, _id: u64) -> wasmtime::Result<Result<bool, HostError>> {
        Ok(self.check(Permission::Schedule).and(Err(unavailable())))
    }
}
