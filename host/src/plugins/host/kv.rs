use crate::plugins::bindings::beamgram::plugin::kv::Host;
use crate::plugins::bindings::types::{HostError, Permission};
use crate::plugins::kv_store::KvError;
use crate::plugins::state::PluginState;

fn host_error(e: KvError) -> HostError {
    match e {
        KvError::Limit(s) => HostError::Limit(s),
        KvError::Io(s) => HostError::Failed(s),
    }
}

impl Host for PluginState {
    async fn get(&mut self, key: String) -> wasmtime::Result<Result<Option<Vec<u8>>, HostError>> {
        if let Err(e) = self.check(Permission::Kv) {
            return Ok(Err(e));
        }
        Ok(self.services.kv.get(&self.plugin, &key).map_err(host_error))
    }

    async fn set(&mut self, key: String, value: Vec<u8>) -> wasmtime::Result<Result<(), HostError>> {
        if let Err(e) = self.check(Permission::Kv) {
            return Ok(Err(e));
        }
        Ok(self.services.kv.set(&self.plugin, &key, value).map_err(host_error))
    }

    async fn delete(&mut self, key: String) -> wasmtime::Result<Result<bool, HostError>> {
        if let Err(e) = self.check(Permission::Kv) {
            return Ok(Err(e));
        }
        Ok(self.services.kv.delete(&self.plugin, &key).map_err(host_error))
    }

    async fn list_keys(&mut self, prefix: String, limit: u32) -> wasmtime::Result<Result<Vec<String>, HostError>> {
        if let Err(e) = self.check(Permission::Kv) {
            return Ok(Err(e));
        }
        Ok(self.services.kv.list(&self.plugin, &prefix, limit.min(1000) as usize).map_err(host_error))
    }
}
