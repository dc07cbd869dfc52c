//! Write beamgram plugins in Rust.
//!
//! ```ignore
//! use beamgram_plugin::prelude::*;
//!
//! struct Hello;
//!
//! impl Plugin for Hello {
//!     fn info() -> PluginInfo {
//!         PluginInfo::new("hello", "0.1.0").command("hello", "Say hello")
//!     }
//!     fn on_command(c: Command) -> Outcome {
//!         Ok(vec![reply(format!("Hello, {}!", c.raw_args))])
//!     }
//! }
//!
//! beamgram_plugin::register!(Hello);
//! ```
//!
//! Build with `cargo build --target wasm32-wasip2 --release`; the `.wasm` in
//! `target/wasm32-wasip2/release/` is the plugin.

pub mod bindings {
    wit_bindgen::generate!({
        path: "../../wit/beamgram-plugin-0.2.1",
        world: "plugin",
        pub_export_macro: true,
        export_macro_name: "export_plugin",
        default_bindings_module: "beamgram_plugin::bindings",
    });
}

mod build;

/// Sizes and durations as people read them (the host writes them the same way).
pub use beamgram_human as human;

pub use bindings::beamgram::plugin::types::*;
pub use bindings::beamgram::plugin::{bot, clock, config, http, kv, links, log, schedule, telegram, users};
pub use build::*;

/// The interface version this SDK implements; the host checks it at load.
pub const API_VERSION: &str = "0.2.1";

/// What a handler returns: actions for the host to carry out, or an error.
pub type Outcome = Result<Vec<Action>, PluginError>;

/// A plugin. Every handler has a default that does nothing, so implement only what you need.
pub trait Plugin {
    /// Name, version, commands, events and permissions. Called once at load.
    fn info() -> PluginInfo;

    fn on_command(_command: Command) -> Outcome {
        Ok(Vec::new())
    }

    fn on_callback(_callback: Callback) -> Outcome {
        Ok(Vec::new())
    }

    fn on_file(_file: FileReceived) -> Outcome {
        Ok(Vec::new())
    }

    /// A file before any reply (wants `FILE_GATE`): return actions to hold it back (and answer
    /// instead), nothing to let it through.
    fn on_file_gate(_file: FileReceived) -> Outcome {
        Ok(Vec::new())
    }

    /// After the replies to a file went out (wants `FILE_REPLIED`), with their message ids.
    fn on_file_replied(_file: FileReplied) -> Outcome {
        Ok(Vec::new())
    }

    fn on_text(_message: TextMessage) -> Outcome {
        Ok(Vec::new())
    }

    fn on_wake_up(_wake_up: WakeUp) -> Outcome {
        Ok(Vec::new())
    }
}

/// Routes an event to the right handler; used by [`register!`].
pub fn dispatch<P: Plugin>(event: Event) -> Outcome {
    match event {
        Event::Command(c) => P::on_command(c),
        Event::Callback(c) => P::on_callback(c),
        Event::FileReceived(f) => P::on_file(f),
        Event::FileGate(f) => P::on_file_gate(f),
        Event::FileReplied(f) => P::on_file_replied(f),
        Event::Text(t) => P::on_text(t),
        Event::WakeUp(w) => P::on_wake_up(w),
    }
}

/// Exports a [`Plugin`] implementation as the component's `describe` and `handle`.
#[macro_export]
macro_rules! register {
    ($plugin:ty) => {
        struct BeamgramPluginExport;

        impl $crate::bindings::Guest for BeamgramPluginExport {
            fn describe() -> $crate::PluginInfo {
                <$plugin as $crate::Plugin>::info()
            }

            fn handle(event: $crate::Event) -> $crate::Outcome {
                $crate::dispatch::<$plugin>(event)
            }
        }

        $crate::bindings::export_plugin!(BeamgramPluginExport with_types_in $crate::bindings);
    };
}

/// Everything a plugin usually needs.
pub mod prelude {
    pub use crate::{
        API_VERSION, Action, Button, ButtonAction, Callback, Command, EventKinds, FileReceived, FileReplied, Keyboard,
        MessageRef, Outcome, Outgoing, Permission, Plugin, PluginError, PluginInfo, TextMessage, WakeUp, answer,
        bad_input, button_callback, button_copy, button_url, failed, log_info, log_warn, reply, reply_with, send,
        setting, setting_or, shorten_or_plain,
    };
}
