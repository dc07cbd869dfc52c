//! `users`: not served by this version — the user store arrives with the storage layer. The
//! grant is still checked, so a plugin without it learns `denied`, not `failed`.

use crate::plugins::bindings::beamgram::plugin::users::{Host, User};
use crate::plugins::bindings::types::{HostError, Permission};
use crate::plugins::state::PluginState;

fn unavailable() -> HostError {
    HostError::Failed("the users interface is not available in this version of beamgram".into())
}

impl Host for PluginState {
    async fn count(&mut self) -> wasmtime::Result<Result<u64, HostError>> {
        Ok(self.check(Permission::Users).and(Err(unavailable())))
    }

    async fn page(&mut self, _offset: u64, _limit: u32) -> wasmtime::Result<Result<Vec<User>, HostError>> {
        Ok(self.check(Permission::Users).and(Err(unavailable())))
    }

    async fn set_banned(&mut self, _user_id: i64, _banned: bool) -> wasmtime::Result<Result<bool, HostError>> {
        Ok(self.check(Permission::Users).and(Err(unavailable())))
    }
}
