//! What plugin imports reach on the host side, shared by every call.

use std::collections::BTreeMap;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, OnceLock, Weak};

use super::PluginHost;
use super::outbound::Outbound;
use crate::links::LinkSigner;
use crate::metrics::Metrics;
use crate::storage::Store;
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
    /// Without the `@`; deep links are built from it.
    pub username: String,
    /// Shared with the update handlers: one per-chat rate for everything the bot sends.
    pub pacer: Arc<crate::telegram::pacer::Pacer>,
}

/// The link shorteners users may pick (`links.shortener_sites`).
#[derive(Clone, Debug, Default)]
pub struct ShortenerSettings {
    /// `gplinks.com`, or `host:port`; matched exactly.
    pub sites: Vec<String>,
    /// `https`, or `http` for a shortener on the local network (tests).
    pub scheme: String,
}

pub struct HostServices {
    /// Plugin kv namespaces, users and scheduled jobs live here.
    pub store: Store,
    pub outbound: Outbound,
    pub bot: Option<BotSide>,
    pub metrics: PluginMetrics,
    /// Each plugin's settings (`[plugins.config.<name>]`), as text.
    pub config: BTreeMap<String, BTreeMap<String, String>>,
    pub shortener: ShortenerSettings,
    /// The streamer's figures, for the bot statistics.
    pub stream_metrics: Option<Arc<Metrics>>,
    /// The plugin host these services belong to (it owns them, hence weak), for `bot.commands`
    /// and the statistics; set once it exists.
    pub host: OnceLock<Weak<PluginHost>>,
    /// Woken when a plugin schedules a wake-up, so the scheduler looks at the new due time.
    pub jobs_changed: tokio::sync::Notify,
}

impl HostServices {
    /// Services with no bot, no config and no shorteners: loading checks, tests, benchmarks.
    pub fn new(store: Store, outbound: Outbound) -> HostServices {
        HostServices {
            store,
            outbound,
            bot: None,
            metrics: PluginMetrics::default(),
            config: BTreeMap::new(),
            shortener: ShortenerSettings::default(),
            stream_metrics: None,
            host: OnceLock::new(),
            jobs_changed: tokio::sync::Notify::new(),
        }
    }

    pub fn plugin_host(&self) -> Option<Arc<PluginHost>> {
        self.host.get().and_then(Weak::upgrade)
    }
}
