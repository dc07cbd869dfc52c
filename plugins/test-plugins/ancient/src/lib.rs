//! A plugin built against the first interface, `beamgram:plugin@0.1.0` (wit-bindgen directly):
//! its types differ from 0.2's, so the host must refuse it at load with a message naming both
//! versions — not fail later with a bare link error.

mod bindings {
    wit_bindgen::generate!({
        path: "../../../wit/beamgram-plugin-0.1.0",
        world: "plugin",
        pub_export_macro: true,
    });
}

use bindings::beamgram::plugin::log;
use bindings::beamgram::plugin::types::{CommandSpec, EventKinds, Outgoing};
use bindings::{Action, Event, PluginError, PluginInfo};

struct Ancient;

impl bindings::Guest for Ancient {
    fn describe() -> PluginInfo {
        PluginInfo {
            name: "ancient".into(),
            version: "0.1.0".into(),
            api_version: "0.1.0".into(),
            commands: vec![CommandSpec {
                name: "ancient".into(),
                description: "Never loaded by a 0.2 host".into(),
                aliases: Vec::new(),
                admin_only: false,
            }],
            events: EventKinds::empty(),
            permissions: Vec::new(),
            start_prefixes: Vec::new(),
        }
    }

    fn handle(_event: Event) -> Result<Vec<Action>, PluginError> {
        log::log(log::Level::Info, "an 0.1.0 plugin ran");
        Ok(vec![Action::Reply(Outgoing { text: "built for 0.1.0".into(), keyboard: None, reply_to: None })])
    }
}

bindings::export!(Ancient with_types_in bindings);
