//! beamgram: a Telegram bot host that turns files into HTTP stream links and runs chat
//! commands as sandboxed WebAssembly plugins.
//!
//! Layout:
//! - [`config`]: layered configuration (defaults < `beamgram.toml` < environment < flags).
//! - [`telegram`]: logged-in grammers clients and their sessions on disk.
//! - [`bot`]: the update loop and what the bot does with a message.
//! - [`stream`]: the ByteStreamer (properties, chunk plan, pipelined fetch); [`http`] serves it;
//!   [`links`] signs what points at it.
//! - [`doctor`]: an installation's self-checks (`beamgram doctor`, and warnings at start).
//!
//! The Telegram simulator is its own crate (`beamgram-sim`); this one only knows how to reach
//! one (`beamgram-sim-address`), so the two compile side by side.
//!
//! Data flows one way: Telegram update → dispatch → handler → Telegram; HTTP request → token →
//! range → chunk plan → upstream fetch → body.

mod app;
pub mod bot;
pub mod clock;
pub mod config;
pub mod doctor;
pub mod http;
pub mod humanize;
pub mod links;
pub mod logging;
pub mod metrics;
pub mod plugins;
pub mod scaffold;
pub mod shutdown;
pub mod storage;
pub mod stream;
pub mod subtitles;
pub mod telegram;
pub mod traffic;

use std::future::Future;

pub use app::{App, RunError};
use config::Config;

/// Logs in, binds the HTTP port and serves until `shutdown` completes.
pub async fn run_bot(config: Config, shutdown: impl Future<Output = ()>) -> Result<(), RunError> {
    // A standby waits for the lease inside `start`: a signal then must stop it too.
    tokio::pin!(shutdown);
    let app = tokio::select! {
        app = App::start(config) => app?,
        _ = &mut shutdown => {
            tracing::info!("stopped before starting");
            return Ok(());
        }
    };
    app.serve(shutdown).await
}
