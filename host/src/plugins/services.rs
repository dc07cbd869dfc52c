//! What plugin imports reach on the host side, shared by every call.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use super::kv_store::KvStore;
use crate::links::LinkSigner;
use crate::stream::ByteStreamer;

#[derive(Default)]
pub struct PluginMetrics {
    pub calls: AtomicU64,
    pub failures: AtomicU64,
    pub denied: AtomicU64,
}

/// The bot side of the `telegram` and `links` imports; absent when plugins run with no bot
/// (loading checks, the benchmark).
pub struct BotSide {
    pub client: grammers_client::Client,
    /// Bot API style id of the bin channel.
    pub bin_channel: i64,
    pub streamer: Option<Arc<ByteStreamer>>,
    pub signer: Option<LinkSigner>,
}

pub struct HostServices {
    pub kv: KvStore,
    pub outbound: super::outbound::Outbound,
    pub bot: Option<BotSide>,
    pub metrics: PluginMetrics,
}
