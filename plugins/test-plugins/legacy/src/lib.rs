//! A plugin built against the previous patch of the interface, `beamgram:plugin@0.2.0`, with
//! wit-bindgen directly (the SDK follows the newest): the host must load it unchanged and let it
//! use what 0.2.0 had (`/legacy` answers with the user count from `users.count`).

mod bindings {
    wit_bindgen::generate!({
        path: "../../../wit/beamgram-plugin-0.2.0",
        world: "plugin",
        pub_export_macro: true,
    });
}

use bindings::beamgram::plugin::types::{CommandSpec, EventKinds, Outgoing, Permission, PermissionRequest};
use bindings::beamgram::plugin::users;
use bindings::{Action, Event, PluginError, PluginInfo};

struct Legacy;

impl bindings::Guest for Legacy {
    fn describe() -> PluginInfo {
        PluginInfo {
            name: "legacy".into(),
            version: "0.1.0".into(),
            api_version: "0.2.0".into(),
            commands: vec![CommandSpec {
                name: "legacy".into(),
                description: "Answers from a plugin built for 0.2.0".into(),
                aliases: Vec::new(),
                admin_only: false,
            }],
            events: EventKinds::empty(),
            permissions: vec![PermissionRequest { permission: Permission::Users, reason: "to count users".into() }],
            start_prefixes: Vec::new(),
        }
    }

    fn handle(event: Event) -> Result<Vec<Action>, PluginError> {
        let Event::Command(_) = event else { return Ok(Vec::new()) };
        let text = match users::count() {
            Ok(n) => format!("built for 0.2.0, running here; {n} users"),
            Err(e) => format!("built for 0.2.0, running here; users: {e:?}"),
        };
        Ok(vec![Action::Reply(Outgoing { text, keyboard: None, reply_to: None })])
    }
}

bindings::export!(Legacy with_types_in bindings);
