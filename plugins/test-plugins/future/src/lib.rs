//! Claims to be built for an API version from the future: the host must refuse it by name.
use beamgram_plugin::prelude::*;

struct Future;

impl Plugin for Future {
    fn info() -> PluginInfo {
        let mut info = PluginInfo::new("future", "0.1.0").command("future", "Never loaded");
        info.api_version = "9.0.0".into();
        info
    }
}

beamgram_plugin::register!(Future);
