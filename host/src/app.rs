//! The bot host assembled: Telegram clients, the streamer, the HTTP server and the update
//! loop, started together and stopped together.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;

use crate::bot::clones::{Clones, Shared};
use crate::bot::lease::Lease;
use crate::bot::{self, Role as BotRole, UpdateContext};
use crate::config::Role;
use crate::config::{Config, ConfigError};
use crate::http::clone_links::CloneLinks;
use crate::http::{self, CloneRoutes, HttpSettings, HttpState};
use crate::links::{self, LinkSigner, Revocations};
use crate::metrics::Metrics;
use crate::plugins::services::{BotImports, ImportServices};
use crate::plugins::{PluginHost, PluginSettings};
use crate::storage::Store;
use crate::stream::ByteStreamer;
use crate::telegram::outbox::Outbox;
use crate::telegram::{BotClient, TelegramError};

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("configuration: {0}")]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Telegram(#[from] TelegramError),
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: String, source: std::io::Error },
    #[error(transparent)]
    Store(#[from] crate::storage::StoreError),
    #[error(transparent)]
    Plugins(#[from] crate::plugins::LoadError),
    #[error("stopped taking updates: {0} (a standby process takes over)")]
    LeaseLost(String),
}

/// A bot host whose clients are logged in and whose port is bound, ready to [`App::serve`].
pub struct App {
    config: Config,
    main: BotClient,
    /// `MULTI_TOKEN` bots: they stream, they take no updates.
    helpers: Vec<BotClient>,
    streamer: Arc<ByteStreamer>,
    signer: LinkSigner,
    plugins: Arc<PluginHost>,
    store: Store,
    outbox: Arc<Outbox>,
    revoked: Revocations,
    listener: TcpListener,
    public_url: String,
    /// Users' clone bots, run beside the main one.
    clones: Arc<Clones>,
    routes: CloneRoutes,
    /// Held while this process takes the bot's updates (roles `all` and `bot`).
    lease: Option<Lease>,
    role: Role,
    node: String,
}

impl App {
    pub async fn start(config: Config) -> Result<App, RunError> {
        config.require_telegram()?;
        let data_dir = config.storage.data_dir.clone();
        let store = Store::open(Some(&config.storage.database_url), &data_dir).await?;
        let (role, node) = (config.node.role, config.node.resolved_name());
        // A standby waits here, before it logs in or listens.
        let lease = match role.takes_updates() {
            true => {
                let id = crate::telegram::session::bot_id(&config.telegram.bot_token);
                Some(Lease::wait_for(&store, id, &node, Duration::from_secs(config.node.lease_secs)).await?)
            }
            false => None,
        };
        let (listener, public_url) = listen(&config).await?;
        let secret = links::signing_secret(&store, &data_dir.join("link-secret")).await?;
        // A stream node keeps sessions of its own; the bot's processes share the bot's.
        let sessions = if role.takes_updates() { store.clone() } else { store.for_node(&node) };
        let (main, helpers) = connect_bots(&config, &sessions, role).await?;

        let metrics = Arc::new(Metrics::default());
        let mut sessions = Vec::new();
        for b in std::iter::once(&main).chain(&helpers) {
            sessions.push((b.username.clone(), b.api_id(), b.snapshot().await));
        }
        let streamer = Arc::new(ByteStreamer::for_channel(
            sessions,
            main.client.clone(),
            config.telegram.bin_channel,
            &config.stream,
            metrics.clone(),
        ));
        let signer = LinkSigner::new(secret, config.telegram.bin_channel, config.links.hash_length, &public_url);
        tracing::info!(%public_url, "links point here");
        let t = &config.telegram;
        let pacer =
            Arc::new(crate::telegram::pacer::Pacer::new(Duration::from_millis(t.send_interval_ms), t.send_burst));
        let bin_channel = config.telegram.bin_channel;
        let outbox = Arc::new(Outbox::new(main.client.clone(), pacer, store.clone(), bin_channel));
        let revoked = Revocations::new(store.clone(), bin_channel);
        let imports = BotImports {
            client: main.client.clone(),
            outbox: outbox.clone(),
            streamer: Some(streamer.clone()),
            signer: Some(signer.clone()),
            revoked: Some(revoked.clone()),
            username: main.username.clone(),
            link_ttl_secs: config.links.ttl_secs,
            ban_revokes_links: config.access.ban_revokes_links,
            readers: crate::plugins::readers::Readers::new(main.client.clone(), bin_channel),
        };
        let mut services = ImportServices::for_bot(store.clone(), &config, imports, Arc::default());
        services.stream_metrics = Some(metrics.clone());
        services.builtins = bot::clones::commands::builtins(config.clones.enabled);
        let plugins = load_plugins(&config, services).await?;
        let routes = CloneRoutes::default();
        let clones = Clones::new(Shared {
            config: config.clone(),
            store: store.clone(),
            plugins: Some(plugins.clone()),
            routes: routes.clone(),
            metrics,
            signer: signer.clone(),
            main_outbox: outbox.clone(),
            reserved: own_bot_ids(&config),
        });
        Ok(App {
            config,
            main,
            helpers,
            streamer,
            signer,
            plugins,
            store,
            outbox,
            revoked,
            listener,
            public_url,
            clones,
            routes,
            lease,
            role,
            node,
        })
    }

    pub fn bot_id(&self) -> i64 {
        self.main.id
    }

    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    pub fn signer(&self) -> &LinkSigner {
        &self.signer
    }

    /// Serves until `shutdown` completes; then the update loop and the HTTP server drain
    /// together and every session is saved.
    pub async fn serve(mut self, shutdown: impl Future<Output = ()>) -> Result<(), RunError> {
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let stopped = move || {
            let mut rx = stop_rx.clone();
            async move {
                let _ = rx.wait_for(|s| *s).await;
            }
        };
        let h = &self.config.http;
        let http_settings = HttpSettings {
            header_timeout: Duration::from_secs(h.header_timeout_secs),
            drain: Duration::from_secs(h.drain_secs),
            max_streams_per_ip: h.max_streams_per_ip,
            metrics_token: h.metrics_token.clone(),
            stall_timeout: Duration::from_secs(h.stall_timeout_secs),
            max_connections_per_ip: h.max_connections_per_ip,
            max_connections: h.max_connections,
            trusted_proxies: h.trusted_proxies.clone(),
            node: self.node.clone(),
            role: self.role,
        };
        // A stream node runs no clones; it logs them in when their links are asked for.
        let clone_links = (!self.role.takes_updates()).then(|| {
            Arc::new(CloneLinks::new(
                &self.config,
                self.store.clone(),
                self.node.clone(),
                self.signer.clone(),
                self.streamer.metrics.clone(),
            ))
        });
        let main_links = http::Served {
            streamer: self.streamer.clone(),
            signer: self.signer.clone(),
            revoked: self.revoked.clone(),
            extras: crate::links::FileExtras::new(self.store.clone(), self.config.telegram.bin_channel),
        };
        let state =
            HttpState::new(main_links, self.routes.clone(), clone_links.clone(), http_settings, self.store.clone());
        let mut ctx = UpdateContext::new(
            (self.main.client.clone(), self.main.username.clone()),
            self.config.clone(),
            self.signer.clone(),
            Some(self.plugins.clone()),
            self.store.clone(),
            self.outbox.clone(),
            self.revoked.clone(),
        );
        ctx.role = BotRole::Main { clones: self.config.clones.enabled.then(|| self.clones.clone()) };
        let ctx = Arc::new(ctx);
        // The doctor's checks, as warnings, once the server below answers its public URL.
        let checks = {
            let main = (self.main.client.clone(), self.main.username.clone());
            let helpers = self.helpers.iter().map(|h| (h.client.clone(), h.username.clone())).collect();
            let (config, url, stop) = (self.config.clone(), self.public_url.clone(), stopped());
            async move {
                tokio::select! {
                    _ = crate::doctor::at_start(&config, main, helpers, &url) => {}
                    _ = stop => {}
                }
            }
        };
        let takes_updates = self.role.takes_updates();
        if takes_updates {
            bot::dispatch::publish_commands(&ctx).await;
            self.clones.start_all().await;
        }
        let lease = &self.lease;
        let trigger = async {
            let lost = tokio::select! {
                _ = shutdown => None,
                why = async { match lease { Some(l) => l.keep().await, None => std::future::pending().await } } => Some(why),
            };
            let _ = stop_tx.send(true);
            lost
        };
        let watcher =
            watch_plugins(self.config.plugins.watch && takes_updates, self.plugins.clone(), ctx.clone(), stopped());
        let updates = async {
            match takes_updates {
                true => bot::take_updates(&mut self.main, tokio::sync::watch::channel(ctx.clone()).1, stopped()).await,
                false => {
                    stopped().await;
                    Ok(())
                }
            }
        };
        let scheduler = async {
            match takes_updates {
                true => bot::scheduler::wake_plugins(ctx.clone(), stopped()).await,
                false => stopped().await,
            }
        };
        let (lost, bot_result, _, _, _, _) =
            tokio::join!(trigger, updates, http::serve(self.listener, state, stopped()), watcher, scheduler, checks);
        self.clones.stop_all().await;
        if let Some(links) = clone_links {
            links.close().await;
        }
        self.streamer.close();
        self.main.close().await;
        for h in self.helpers {
            h.close().await;
        }
        if let Some(why) = lost {
            tracing::error!("lost the lease: {why}; stopped taking updates");
            self.store.close().await;
            return Err(RunError::LeaseLost(why));
        }
        if let Some(l) = &self.lease {
            l.release().await;
        }
        self.store.close().await;
        tracing::info!("stopped");
        Ok(bot_result?)
    }
}

/// The bound port and the links' base URL (the port chosen when the configuration says 0).
async fn listen(config: &Config) -> Result<(TcpListener, String), RunError> {
    let addr = format!("{}:{}", config.http.bind, config.http.port);
    let sock: SocketAddr = addr
        .parse()
        .map_err(|_| ConfigError { key: "http.bind".into(), problem: format!("'{addr}' is not an address") })?;
    let listener = TcpListener::bind(sock).await.map_err(|source| RunError::Bind { addr: addr.clone(), source })?;
    let port = listener.local_addr().map(|a| a.port()).unwrap_or(config.http.port);
    Ok((listener, config.public_url(port)))
}

/// The main bot and the `MULTI_TOKEN` helpers, logged in (from stored sessions when they can).
/// Only a process that takes updates keeps the main bot's update receiver.
async fn connect_bots(config: &Config, sessions: &Store, role: Role) -> Result<(BotClient, Vec<BotClient>), RunError> {
    let mut main = BotClient::connect(&config.telegram, &config.telegram.bot_token, sessions).await?;
    if !role.takes_updates() {
        main.updates.take();
    }
    let mut helpers = Vec::new();
    for token in &config.telegram.multi_tokens {
        let mut helper = BotClient::connect(&config.telegram, token, sessions).await?;
        // Dropping the receiver tells the sender pool nobody reads this bot's updates.
        helper.updates.take();
        helpers.push(helper);
    }
    Ok((main, helpers))
}

/// The plugin host, with the plugin folder loaded when this process takes updates (a stream
/// node runs no plugins).
async fn load_plugins(config: &Config, services: ImportServices) -> Result<Arc<PluginHost>, RunError> {
    let plugins = PluginHost::new(PluginSettings::from_config(config), Arc::new(services))?;
    if !config.node.role.takes_updates() {
        return Ok(plugins);
    }
    if config.plugins.dir.is_dir() {
        plugins.load_dir().await;
    } else {
        tracing::warn!(dir = %config.plugins.dir.display(), "no plugin folder: only built-in behaviour (build plugins with `just plugins`)");
    }
    Ok(plugins)
}

/// Token ids of the bots this host runs from its configuration: never accepted as clones.
fn own_bot_ids(config: &Config) -> Vec<i64> {
    std::iter::once(&config.telegram.bot_token)
        .chain(&config.telegram.multi_tokens)
        .filter_map(|t| bot::clones::token::bot_id(t))
        .collect()
}

/// Reloads plugins as their files change, and tells the admins what happened.
async fn watch_plugins(enabled: bool, host: Arc<PluginHost>, ctx: Arc<UpdateContext>, stop: impl Future<Output = ()>) {
    if !enabled {
        return stop.await;
    }
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let watching = crate::plugins::watch::follow(host, stop, move |c| {
        let _ = tx.send(c);
    });
    let reporting = async {
        while let Some(change) = rx.recv().await {
            let text = match change {
                crate::plugins::watch::Change::Loaded(n) => format!("🔌 Plugin {n} (re)loaded."),
                crate::plugins::watch::Change::Removed(n) => format!("🔌 Plugin {n} removed."),
                crate::plugins::watch::Change::Failed(e) => {
                    format!("⚠️ Plugin reload refused; the previous version keeps serving.\n{e}")
                }
            };
            bot::dispatch::publish_commands(&ctx).await;
            bot::dispatch::tell_admins(&ctx, &text).await;
        }
    };
    tokio::join!(watching, reporting);
}
