//! Allocates 1 GiB on /hog: the host's memory limit must refuse it.
use beamgram_plugin::prelude::*;

struct Hog;

impl Plugin for Hog {
    fn info() -> PluginInfo {
        PluginInfo::new("hog", "0.1.0").command("hog", "Allocate a gibibyte")
    }

    fn on_command(_: Command) -> Outcome {
        let v = std::hint::black_box(vec![1u8; 1 << 30]);
        Ok(vec![reply(format!("allocated {}", v.len()))])
    }
}

beamgram_plugin::register!(Hog);
