//! What plugin imports reach on the host side, shared by every call.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::bindings::types::CommandSpec;
use super::markup::CallbackTags;
use super::outbound::Outbound;
use super::registry::Registry;
use crate::config::Config;
use crate::links::{LinkSigner, Revocations};
use crate::metrics::Metrics;
use crate::storage::Store;
use crate::stream::ByteStreamer;
use crate::telegram::outbox::Outbox;

#[derive(Default)]
pub struct PluginMetrics {
    pub calls: AtomicU64,
    pub failures: AtomicU64,
    pub denied: AtomicU64,
}

/// The bot side of the `telegram` and `links` imports; absent when plugins run with no bot
/// (loading checks, the benchmark).
pub struct BotImports {
    /// For reads (messages, usernames, memberships); everything sent goes through `outbox`.
    pub client: grammers_client::Client,
    pub outbox: Arc<Outbox>,
    pub streamer: Option<Arc<ByteStreamer>>,
    pub signer: Option<LinkSigner>,
    pub revoked: Option<Revocations>,
    /// Without the `@`; deep links are built from it.
    pub username: String,
    /// `links.ttl_secs`: every link a plugin hands out expires like the host's own.
    pub link_ttl_secs: u64,
    /// `access.ban_revokes_links`.
    pub ban_revokes_links: bool,
    /// Who may read which chat, asked of Telegram and kept briefly.
    pub readers: super::readers::Readers,
}

/// The link shorteners users may pick (`links.shortener_sites`).
#[derive(Clone, Debug, Default)]
pub struct ShortenerSettings {
    /// `gplinks.com`, or `host:port`; matched exactly.
    pub sites: Vec<String>,
    /// `https`, or `http` for a shortener on the local network (tests).
    pub scheme: String,
    /// The bot's own shortener (site, API key) for users who chose none: a clone's owner's.
    pub default: Option<(String, String)>,
}

/// Denied import calls, logged once per plugin a minute with how many there were.
#[derive(Default)]
pub struct DenialLog {
    seen: Mutex<HashMap<String, (Instant, u64)>>,
}

const DENIAL_WINDOW: Duration = Duration::from_secs(60);

impl DenialLog {
    pub fn note(&self, plugin: &str, what: &str) {
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        match seen.get_mut(plugin) {
            Some((since, n)) if now.duration_since(*since) < DENIAL_WINDOW => *n += 1,
            Some((since, n)) => {
                let suppressed = *n;
                *since = now;
                *n = 0;
                tracing::warn!(plugin = %crate::logging::escaped(plugin), denied = what, earlier = suppressed, "plugin called an import it was not granted ({suppressed} more denials in the minute before)");
            }
            None => {
                seen.insert(plugin.to_string(), (now, 0));
                tracing::warn!(plugin = %crate::logging::escaped(plugin), denied = what, "plugin called an import it was not granted (further denials are counted, logged once a minute)");
            }
        }
    }
}

pub struct ImportServices {
    /// Plugin kv namespaces, users and scheduled jobs live here.
    pub store: Store,
    pub outbound: Outbound,
    pub bot: Option<BotImports>,
    pub metrics: PluginMetrics,
    pub denials: DenialLog,
    /// Each plugin's settings (`[plugins.config.<name>]`), as text.
    pub config: BTreeMap<String, BTreeMap<String, String>>,
    pub shortener: ShortenerSettings,
    /// The streamer's figures, for the bot statistics.
    pub stream_metrics: Option<Arc<Metrics>>,
    /// The loaded plugins (shared with the plugin host), for `bot.commands` and the statistics.
    pub registry: Arc<Registry>,
    /// Callback data tags, keyed by the link secret.
    pub tags: CallbackTags,
    /// Woken when a plugin schedules a wake-up, so the scheduler looks at the new due time.
    pub jobs_changed: tokio::sync::Notify,
    /// The host's own commands in this bot (`/revoke`, `/clone`…), listed with the plugins'
    /// in `bot.commands`, so /help and the command menu show them too.
    pub builtins: Vec<CommandSpec>,
}

impl ImportServices {
    /// Services with no bot, no config and no shorteners: loading checks, tests, benchmarks.
    pub fn new(store: Store, outbound: Outbound) -> ImportServices {
        ImportServices {
            store,
            outbound,
            bot: None,
            metrics: PluginMetrics::default(),
            denials: DenialLog::default(),
            config: BTreeMap::new(),
            shortener: ShortenerSettings::default(),
            stream_metrics: None,
            registry: Arc::default(),
            tags: CallbackTags::random(),
            jobs_changed: tokio::sync::Notify::new(),
            builtins: Vec::new(),
        }
    }

    /// The services of a bot that runs: its store, its Telegram side, and what the
    /// configuration says about plugins (settings, shorteners, reachable hosts).
    pub fn for_bot(store: Store, config: &Config, bot: BotImports, registry: Arc<Registry>) -> ImportServices {
        let outbound =
            Outbound::new(config.plugins.http_allow.clone().into_iter().collect(), &config.links.shortener_sites);
        let mut services = ImportServices::new(store, outbound);
        if let Some(signer) = &bot.signer {
            services.tags = CallbackTags::new(&signer.callback_key());
        }
        services.bot = Some(bot);
        services.registry = registry;
        services.config = config.plugins.config.iter().map(|(k, v)| (k.clone(), v.as_text())).collect();
        services.shortener = ShortenerSettings {
            sites: config.links.shortener_sites.clone(),
            scheme: config.links.shortener_scheme.clone(),
            default: None,
        };
        services
    }
}

/// A host command as the command list shows it.
pub fn builtin(name: &str, description: &str, admin_only: bool) -> CommandSpec {
    CommandSpec { name: name.into(), description: description.into(), aliases: Vec::new(), admin_only }
}
