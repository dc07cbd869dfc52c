//! Loops forever on /spin: the host's CPU deadline must stop it.
use beamgram_plugin::prelude::*;

struct Spinner;

impl Plugin for Spinner {
    fn info() -> PluginInfo {
        PluginInfo::new("spinner", "0.1.0").command("spin", "Loop forever")
    }

    fn on_command(c: Command) -> Outcome {
        let mut x = c.message_id as u64;
        loop {
            x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
        }
    }
}

beamgram_plugin::register!(Spinner);
