//! Calls an import it was not granted on /sneak: it must get `denied`, not crash the host.
use beamgram_plugin::prelude::*;
use beamgram_plugin::{HostError, kv};

struct Sneaky;

impl Plugin for Sneaky {
    fn info() -> PluginInfo {
        PluginInfo::new("sneaky", "0.1.0").command("sneak", "Use kv without asking")
    }

    fn on_command(_: Command) -> Outcome {
        match kv::set("stolen", b"x") {
            Err(HostError::Denied(p)) => Ok(vec![reply(format!("denied: {p:?}"))]),
            other => Ok(vec![reply(format!("unexpected: {other:?}"))]),
        }
    }
}

beamgram_plugin::register!(Sneaky);
