//! `http`: not served by this version — outbound requests arrive with the shortener, with the
//! operator's host allow-list. The grant is still checked.

use crate::plugins::bindings::beamgram::plugin::http::{Host, Response};
use crate::plugins::bindings::types::{HostError, Permission};
use crate::plugins::state::PluginState;

fn unavailable() -> HostError {
    HostError::Failed("the http interface is not available in this version of beamgram".into())
}

impl Host for PluginState {
    async fn get(&mut self, _url: String) -> wasmtime::Result<Result<Response, HostError>> {
        Ok(self.check(Permission::Http).and(Err(unavailable())))
    }

    async fn post(
        &mut self,
        _url: String,
        _content_type: String,
        _body: Vec<u8>,
    ) -> wasmtime::Result<Result<Response, HostError>> {
        Ok(self.check(Permission::Http).and(Err(unavailable())))
    }
}
