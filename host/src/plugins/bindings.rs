//! The one `bindgen!` of the plugin interface: host traits for every import, typed calls for
//! the exports, all async (imports may wait on Telegram; exports run under epoch deadlines).

wasmtime::component::bindgen!({
    path: "../wit/beamgram-plugin-0.2.1",
    world: "plugin",
    imports: { default: async | trappable },
    exports: { default: async },
});

pub use self::beamgram::plugin::types;
