//! Panics on /panic: the host must log the message and keep serving.
use beamgram_plugin::prelude::*;

struct Panicker;

impl Plugin for Panicker {
    fn info() -> PluginInfo {
        PluginInfo::new("panicker", "0.1.0").command("panic", "Panic")
    }

    fn on_command(_: Command) -> Outcome {
        panic!("boom from the panicker plugin");
    }
}

beamgram_plugin::register!(Panicker);
