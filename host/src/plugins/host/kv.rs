//! `kv`: the plugin's own namespace in the store.

use crate::plugins::bindings::beamgram::plugin::kv::Host;
use crate::plugins::bindings::types::{HostError, Permission};
use crate::plugins::state::PluginState;
use crate::storage::StoreError;

pub fn host_error(e: StoreError) -> HostError {
    match e {
        StoreError::Limit(s) => HostError::Limit(s),
        e => {
            tracing::warn!("store: {e}");
            HostError::Failed("storage is unavailable".into())
        }
    }
}

impl Host for PluginState {
    async fn get(&mut self, key: String) -> wasmtime::Result<Result<Option<Vec<u8>>, HostError>> {
        if let Err(e) = self.check(Permission::Kv) {
            return Ok(Err(e));
        }
        Ok(self.services.store.kv_get(&self.plugin, &key).await.map_err(host_error))
    }

    async fn set(&mut self, key: String, value: Vec<u8>) -> wasmtime::Result<Result<(), HostError>> {
        if let Err(e) = self.check(Permission::Kv) {
            return Ok(Err(e));
        }
        Ok(self.services.store.kv_set(&self.plugin, &key, &value).await.map_err(host_error))
    }

    async fn delete(&mut self, key: String) -> wasmtime::Result<Result<bool, HostError>> {
        if let Err(e) = self.check(Permission::Kv) {
            return Ok(Err(e));
        }
        Ok(self.services.store.kv_delete(&self.plugin, &key).await.map_err(host_error))
    }

    async fn list_keys(&mut self, prefix: String, limit: u32) -> wasmtime::Result<Result<Vec<String>, HostError>> {
        if let Err(e) = self.check(Permission::Kv) {
            return Ok(Err(e));
        }
        Ok(self.services.store.kv_keys(&self.plugin, &prefix, limit).await.map_err(host_error))
    }
}
