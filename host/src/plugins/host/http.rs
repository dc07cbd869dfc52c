//! `http`: outbound GET and POST, to the hosts the operator allowed for this plugin only.

use hyper::Method;

use crate::plugins::bindings::beamgram::plugin::http::{Host, Response};
use crate::plugins::bindings::types::{HostError, Permission};
use crate::plugins::outbound::OutboundError;
use crate::plugins::state::PluginState;

impl PluginState {
    async fn outbound(
        &mut self,
        method: Method,
        url: String,
        content_type: Option<String>,
        body: Vec<u8>,
    ) -> Result<Response, HostError> {
        self.check(Permission::Http)?;
        let (services, plugin) = (self.services.clone(), self.plugin.clone());
        match services.outbound.request(&plugin, method, &url, content_type.as_deref(), body).await {
            Ok((status, body)) => Ok(Response { status, body }),
            Err(OutboundError::NotAllowed(_)) => Err(HostError::Denied(Permission::Http)),
            Err(OutboundError::Limit(s)) => Err(HostError::Limit(s)),
            Err(OutboundError::Failed(s)) => Err(HostError::Failed(s)),
        }
    }
}

impl Host for PluginState {
    async fn get(&mut self, url: String) -> wasmtime::Result<Result<Response, HostError>> {
        Ok(self.outbound(Method::GET, url, None, Vec::new()).await)
    }

    async fn post(
        &mut self,
        url: String,
        content_type: String,
        body: Vec<u8>,
    ) -> wasmtime::Result<Result<Response, HostError>> {
        Ok(self.outbound(Method::POST, url, Some(content_type), body).await)
    }
}
