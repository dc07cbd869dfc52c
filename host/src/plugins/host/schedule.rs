//! `schedule`: durable wake-ups. Jobs are rows in the store, so they outlive restarts; the
//! scheduler (bot::scheduler) delivers them as `wake-up` events.

use crate::plugins::bindings::beamgram::plugin::schedule::Host;
use crate::plugins::bindings::types::{HostError, Permission};
use crate::plugins::host::kv::host_error;
use crate::plugins::state::PluginState;

impl Host for PluginState {
    async fn wake_at(&mut self, due_ms: u64, payload: String) -> wasmtime::Result<Result<u64, HostError>> {
        if let Err(e) = self.check(Permission::Schedule) {
            return Ok(Err(e));
        }
        let due = due_ms.min(i64::MAX as u64) as i64;
        let added = self.services.store.job_add(&self.plugin, due, &payload).await.map_err(host_error);
        if added.is_ok() {
            self.services.jobs_changed.notify_one();
        }
        Ok(added.map(|id| id as u64))
    }

    async fn cancel(&mut self, id: u64) -> wasmtime::Result<Result<bool, HostError>> {
        if let Err(e) = self.check(Permission::Schedule) {
            return Ok(Err(e));
        }
        let id = id.min(i64::MAX as u64) as i64;
        Ok(self.services.store.job_cancel(&self.plugin, id).await.map_err(host_error))
    }
}
