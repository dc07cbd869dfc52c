//! The `beamgram` binary's own parts: what needs both the bot host (crate `beamgram`) and the
//! simulator (crate `beamgram-sim`) — the demo and the plugin development loop. Kept out of
//! both, so each of them compiles without the other. Also the health probe a container runs.

pub mod demo;
pub mod healthcheck;
