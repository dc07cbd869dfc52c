//! Configuration: built-in defaults < `beamgram.toml` < environment < command-line flags.
//!
//! Besides `BEAMGRAM_SECTION__KEY` variables, the names operators of existing file-stream bots
//! already have are accepted (`API_ID`, `BOT_TOKEN`, `BIN_CHANNEL`, `MULTI_TOKEN1`…), and a bad
//! value is reported under the name the operator used.

mod clones;
mod legacy_env;
mod masking;
mod node;
mod subscribe;
mod validate;

use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

pub use clones::{ClonesConfig, DEFAULT_CLONE_PLUGINS};
pub use node::{NodeConfig, Role};
pub use subscribe::SubscribeTo;

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub telegram: TelegramConfig,
    pub http: HttpConfig,
    pub links: LinksConfig,
    pub access: AccessConfig,
    pub stream: StreamConfig,
    pub plugins: PluginsConfig,
    pub clones: ClonesConfig,
    pub node: NodeConfig,
    pub storage: StorageConfig,
    pub log: LogConfig,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct TelegramConfig {
    pub api_id: i32,
    pub api_hash: String,
    pub bot_token: String,
    /// Extra bots that share the streaming load; each must administer the bin channel.
    pub multi_tokens: Vec<String>,
    /// Bot API style id (`-100…`) of the channel every received file is copied to.
    pub bin_channel: i64,
    /// Connect to a beamgram simulator instead of Telegram (`beamgram sim` prints the address).
    pub simulator: Option<String>,
    /// Messages to one chat (the bin channel included): one per this many milliseconds after a
    /// burst of `send_burst`. Telegram allows about one a second.
    pub send_interval_ms: u64,
    pub send_burst: u32,
}

impl Default for TelegramConfig {
    fn default() -> Self {
        Self {
            api_id: 0,
            api_hash: String::new(),
            bot_token: String::new(),
            multi_tokens: Vec::new(),
            bin_channel: 0,
            simulator: None,
            send_interval_ms: 1000,
            send_burst: 3,
        }
    }
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct HttpConfig {
    pub bind: String,
    /// 0 picks a free port (the links then carry the one picked).
    pub port: u16,
    /// Base of the links the bot hands out; derived from bind and port when empty.
    pub public_url: String,
    /// Streams one client address may hold open at once (download managers open several).
    pub max_streams_per_ip: usize,
    /// Seconds a client has to send its request headers (slowloris).
    pub header_timeout_secs: u64,
    /// Seconds open streams may go on after shutdown starts.
    pub drain_secs: u64,
    /// When set, `/metrics` answers only requests with `Authorization: Bearer <token>`.
    pub metrics_token: String,
    /// A client that reads nothing of a stream for this long is disconnected, freeing its slot.
    pub stall_timeout_secs: u64,
    /// Connections one client address may hold open (more get 429), and all of them (503).
    pub max_connections_per_ip: usize,
    pub max_connections: usize,
    /// Load balancers in front of this process: requests from them count as the client their
    /// `X-Forwarded-For` names (per-address caps), and their connections as many clients.
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            bind: "0.0.0.0".into(),
            port: 8080,
            public_url: String::new(),
            max_streams_per_ip: 16,
            header_timeout_secs: 10,
            drain_secs: 10,
            metrics_token: String::new(),
            stall_timeout_secs: 60,
            max_connections_per_ip: 128,
            max_connections: 4096,
            trusted_proxies: Vec::new(),
        }
    }
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct StreamConfig {
    /// getFile requests in flight per stream (512 KiB each).
    pub window: usize,
    /// Download connections per bot and DC.
    pub connections_per_dc: usize,
    /// Memory for chunks shared between concurrent viewers.
    pub chunk_cache_mib: u64,
    pub props_cache_ttl_secs: u64,
    pub props_cache_entries: u64,
    /// Seconds one chunk may take, FLOOD_WAITs and retries included, before the stream fails.
    pub chunk_deadline_secs: u64,
}

impl Default for StreamConfig {
    fn default() -> Self {
        Self {
            window: 8,
            connections_per_dc: 4,
            chunk_cache_mib: 256,
            props_cache_ttl_secs: 3600,
            props_cache_entries: 100_000,
            chunk_deadline_secs: 60,
        }
    }
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct LinksConfig {
    /// Characters of signature in a link: more is harder to forge, shorter is tidier.
    pub hash_length: usize,
    /// Seconds a new link stays valid; 0 never expires.
    pub ttl_secs: u64,
    /// Link shorteners users may choose with /base_site (exact host names, `host:port` too).
    /// Empty: shortening is off.
    pub shortener_sites: Vec<String>,
    /// `https`; `http` only for a shortener on your own network.
    pub shortener_scheme: String,
}

impl Default for LinksConfig {
    fn default() -> Self {
        Self { hash_length: 16, ttl_secs: 0, shortener_sites: Vec::new(), shortener_scheme: "https".into() }
    }
}

/// One plugin's own settings (`[plugins.config.auto-delete] after_secs = 600`).
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(transparent)]
pub struct PluginTable(pub std::collections::BTreeMap<String, toml::Value>);

impl PluginTable {
    /// The values as plugins read them: text, numbers and booleans written out.
    pub fn as_text(&self) -> std::collections::BTreeMap<String, String> {
        self.0
            .iter()
            .map(|(k, v)| {
                let text = match v {
                    toml::Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                (k.clone(), text)
            })
            .collect()
    }
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct PluginsConfig {
    /// Folder of `.wasm` plugins; every one is loaded at start.
    pub dir: PathBuf,
    /// Reload a plugin when its file changes (deploy by writing elsewhere and renaming in).
    pub watch: bool,
    /// Guest CPU per call, in milliseconds.
    pub cpu_ms: u64,
    /// A whole call, awaiting Telegram included, in seconds.
    pub wall_secs: u64,
    pub memory_mib: u64,
    /// Actions one call may return.
    pub max_actions: usize,
    /// Calls of one plugin at once.
    pub concurrency: usize,
    /// Grants by plugin name (imports, events and powers: `hello = ["kv", "text"]`). A
    /// plugin with no entry gets nothing, except the first-party builds listed in the plugin
    /// folder's `first-party.sha256`, which get what they need.
    pub grants: std::collections::BTreeMap<String, Vec<String>>,
    /// Hosts each plugin may reach with the `http` import (`shortener = ["gplinks.com"]`,
    /// `*.example.org` for subdomains). Nothing is reachable otherwise.
    pub http_allow: std::collections::BTreeMap<String, Vec<String>>,
    /// Grant every plugin whatever it requests (`beamgram dev` does, for an author's own
    /// plugin on the simulator). Not for production.
    pub grant_requested: bool,
    /// Each plugin's own settings, by plugin name; the plugin reads them with `config.get`.
    pub config: std::collections::BTreeMap<String, PluginTable>,
}

/// Where plugins load from when the configuration names no folder: `plugins/dist` in a source
/// checkout (what `just plugins` fills), else `plugins` beside the binary (the release folder
/// `just dist` makes, wherever it is unpacked and whatever the working directory).
fn default_plugin_dir() -> PathBuf {
    let checkout = PathBuf::from("plugins/dist");
    if checkout.is_dir() {
        return checkout;
    }
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|d| d.join("plugins")))
        .filter(|d| d.is_dir())
        .unwrap_or(checkout)
}

impl Default for PluginsConfig {
    fn default() -> Self {
        Self {
            dir: default_plugin_dir(),
            watch: true,
            cpu_ms: 200,
            // Long enough for a /batch of hundreds of messages waiting out FLOOD_WAITs.
            wall_secs: 300,
            memory_mib: 64,
            max_actions: 50,
            concurrency: 8,
            grants: Default::default(),
            http_allow: Default::default(),
            grant_requested: false,
            config: Default::default(),
        }
    }
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct AccessConfig {
    /// When not empty, only these Telegram user ids may use the bot.
    pub allowed_users: Vec<i64>,
    pub admins: Vec<i64>,
    /// Handlers of one user running at once; more of their updates wait their turn.
    pub user_concurrency: usize,
    /// Updates of one user admitted at once (running or waiting); more are refused.
    pub user_queue: usize,
    /// Updates one user may send in a burst, and per minute after it (admins: no limit).
    pub user_burst: u32,
    pub user_per_minute: u32,
    /// Banning a user also revokes the links of every file they sent.
    pub ban_revokes_links: bool,
    /// Channels a user must have joined before they get links (`@name`, or `-100…` and its
    /// invite link); see [`SubscribeTo`].
    pub force_subscribe: Vec<String>,
    /// Kinds of file whose answers are protected content (cannot be forwarded or saved):
    /// `all`, or any of video, audio, voice, photo, animation, document.
    pub protect_content: Vec<String>,
}

/// The kinds of file `access.protect_content` may name.
pub const FILE_KINDS: [&str; 6] = ["video", "audio", "voice", "photo", "animation", "document"];

impl AccessConfig {
    /// Whether answers to a file of this kind are protected content.
    pub fn protects(&self, kind: &str) -> bool {
        self.protect_content.iter().any(|k| k == "all" || k == kind)
    }
}

impl Default for AccessConfig {
    fn default() -> Self {
        Self {
            allowed_users: Vec::new(),
            admins: Vec::new(),
            user_concurrency: 2,
            user_queue: 8,
            user_burst: 20,
            user_per_minute: 30,
            ban_revokes_links: false,
            force_subscribe: Vec::new(),
            protect_content: Vec::new(),
        }
    }
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct StorageConfig {
    pub data_dir: PathBuf,
    /// Empty means a SQLite file in `data_dir`.
    pub database_url: String,
}

impl Default for StorageConfig {
    fn default() -> Self {
        Self { data_dir: PathBuf::from("data"), database_url: String::new() }
    }
}

#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    pub format: LogFormat,
}

/// A configuration problem, named by the key the operator wrote.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{key}: {problem}")]
pub struct ConfigError {
    pub key: String,
    pub problem: String,
}

pub fn bad(key: impl Into<String>, problem: impl Into<String>) -> ConfigError {
    ConfigError { key: key.into(), problem: problem.into() }
}

/// Where the layers come from; tests pass their own environment.
pub struct Sources<'a> {
    pub file: Option<&'a Path>,
    pub env: Vec<(String, String)>,
    /// Command-line overrides, as a partial configuration.
    pub overrides: Figment,
}

impl Config {
    pub fn load(sources: Sources<'_>) -> Result<Config, ConfigError> {
        let mut fig = Figment::from(Serialized::defaults(Config::default()));
        match sources.file {
            Some(path) if !path.exists() => {
                return Err(bad("--config", format!("{} does not exist", path.display())));
            }
            Some(path) => fig = fig.merge(Toml::file(path)),
            None if Path::new("beamgram.toml").exists() => fig = fig.merge(Toml::file("beamgram.toml")),
            None => {}
        }
        fig = fig.merge(legacy_env::provider(&sources.env)?);
        fig = fig.merge(sources.overrides);
        let config: Config = fig.extract().map_err(|e| figment_error(&e))?;
        config.validate()?;
        Ok(config)
    }

    /// The base of the links, for a server listening on `port`.
    pub fn public_url(&self, port: u16) -> String {
        if !self.http.public_url.is_empty() {
            return self.http.public_url.trim_end_matches('/').to_string();
        }
        let host = if self.http.bind == "0.0.0.0" || self.http.bind == "::" { "127.0.0.1" } else { &self.http.bind };
        format!("http://{host}:{port}")
    }
}

fn figment_error(e: &figment::Error) -> ConfigError {
    let key = if e.path.is_empty() { "configuration".to_string() } else { e.path.join(".") };
    let problem = match &e.kind {
        figment::error::Kind::UnknownField(f, _) => format!("unknown key '{f}'"),
        kind => kind.to_string(),
    };
    let origin = e.metadata.as_ref().map(|m| format!(" (from {})", m.name)).unwrap_or_default();
    bad(key, format!("{problem}{origin}"))
}

#[cfg(test)]
mod tests;
