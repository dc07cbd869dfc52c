//! Fetches a URL on /fetch through the `http` import: the operator's allow-list decides.
use beamgram_plugin::prelude::*;
use beamgram_plugin::{HostError, http};

struct Fetcher;

impl Plugin for Fetcher {
    fn info() -> PluginInfo {
        PluginInfo::new("fetcher", "0.1.0")
            .command("fetch", "Fetch a URL")
            .permission(Permission::Http, "fetches what you ask")
    }

    fn on_command(c: Command) -> Outcome {
        match http::get(&c.raw_args) {
            Ok(r) => Ok(vec![reply(format!("{}: {}", r.status, String::from_utf8_lossy(&r.body)))]),
            Err(HostError::Denied(p)) => Ok(vec![reply(format!("denied: {p:?}"))]),
            Err(e) => Ok(vec![reply(format!("error: {e:?}"))]),
        }
    }
}

beamgram_plugin::register!(Fetcher);
