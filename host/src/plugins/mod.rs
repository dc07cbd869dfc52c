//! The plugin runtime: WebAssembly components behind the `beamgram:plugin` WIT interface.
//!
//! - [`bindings`]: the one `bindgen!`; [`host`]: one module per imported interface.
//! - [`engine`]: wasmtime set-up (cache, pooling, epochs); [`call`]: one sandboxed call.
//! - `load` (here): compile off the async runtime, smoke-test `describe()`, check the interface
//!   version and command conflicts, then swap atomically — in-flight calls finish on the old
//!   version, and a broken file leaves the old one serving.
//! - [`watch`]: reloads on file changes; [`markup`]: keyboards and callback tags.

pub mod bindings;
pub mod call;
mod engine;
pub mod grants;
mod guest_clock;
pub mod host;
pub mod markup;
pub mod outbound;
pub mod readers;
pub mod registry;
mod scope;
pub mod services;
pub mod shortener;
mod state;
pub mod version;
pub mod watch;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;
use wasmtime::Engine;
use wasmtime::component::{Component, HasSelf, Linker};

use bindings::types::{Action, CommandSpec, Event, EventKinds, Permission, PluginInfo};
use bindings::{Plugin, PluginPre};
pub use call::{CallError, Limits};
pub use grants::{Grants, parse_permission, permission_name};
use registry::Registry;
use scope::CallScope;
pub use scope::JobKey;
use services::ImportServices;
use state::PluginState;

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{path}: cannot read: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("{path}: not a valid plugin component: {reason}")]
    Compile { path: String, reason: String },
    #[error("{path}: {reason}")]
    Incompatible { path: String, reason: String },
    #[error("{path}: describe() failed: {reason}")]
    Describe { path: String, reason: String },
    #[error("{path}: command /{command} is already provided by plugin {other}")]
    Conflict { path: String, command: String, other: String },
    #[error("{path}: plugin {name} is already loaded from {other}")]
    Duplicate { path: String, name: String, other: String },
    #[error(
        "{path}: the plugin calls itself '{name}', but a plugin's name must be its file's name ({expected}.wasm); rename the file or the plugin"
    )]
    Name { path: String, name: String, expected: String },
    #[error("{path}: start prefix '{prefix}' {problem}")]
    StartPrefix { path: String, prefix: String, problem: String },
    #[error("cannot set up the plugin runtime: {0}")]
    Runtime(String),
}

/// A loaded plugin version; calls in flight keep theirs alive across a swap.
pub struct Loaded {
    pub info: PluginInfo,
    pub path: PathBuf,
    /// SHA-256 of the `.wasm`, so a reload of an unchanged file is a no-op.
    pub hash: [u8; 32],
    /// A build listed in the folder's first-party manifest (and so given first-party defaults).
    pub first_party: bool,
    pre: PluginPre<PluginState>,
    pub granted: Arc<Grants>,
    /// Bounds how many calls of this plugin run at once.
    permits: Arc<Semaphore>,
}

#[derive(Clone, Debug)]
pub struct PluginSettings {
    pub dir: PathBuf,
    pub cache_dir: PathBuf,
    pub limits: Limits,
    pub concurrency: usize,
    /// What the operator granted, by plugin name.
    pub grants: HashMap<String, Grants>,
    /// Grant whatever a plugin requests (development on the simulator only).
    pub grant_requested: bool,
}

impl PluginSettings {
    /// The plugin runtime's settings from the configuration (`[plugins]`, the data folder).
    pub fn from_config(config: &crate::config::Config) -> PluginSettings {
        let p = &config.plugins;
        PluginSettings {
            dir: p.dir.clone(),
            cache_dir: config.storage.data_dir.join("plugin-cache"),
            limits: Limits {
                memory_bytes: p.memory_mib * 1024 * 1024,
                cpu: std::time::Duration::from_millis(p.cpu_ms),
                wall: std::time::Duration::from_secs(p.wall_secs),
                max_actions: p.max_actions,
            },
            concurrency: p.concurrency,
            grant_requested: p.grant_requested,
            // Validated with the configuration: a name that does not parse was refused there.
            grants: p.grants.iter().filter_map(|(name, g)| Some((name.clone(), Grants::parse(g).ok()?))).collect(),
        }
    }
}

pub struct PluginHost {
    engine: Arc<Engine>,
    linker: Arc<Linker<PluginState>>,
    pub settings: PluginSettings,
    pub services: Arc<ImportServices>,
    plugins: Arc<Registry>,
    /// Loads one at a time, so two reloads cannot interleave their checks and swaps.
    loading: tokio::sync::Mutex<()>,
}

impl PluginHost {
    pub fn new(settings: PluginSettings, services: Arc<ImportServices>) -> Result<Arc<PluginHost>, LoadError> {
        let engine = Arc::new(
            engine::new(&settings.cache_dir, settings.limits.memory_bytes)
                .map_err(|e| LoadError::Runtime(e.to_string()))?,
        );
        engine::start_ticker(Arc::downgrade(&engine));
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(|e| LoadError::Runtime(e.to_string()))?;
        Plugin::add_to_linker::<PluginState, HasSelf<PluginState>>(&mut linker, |s| s)
            .map_err(|e| LoadError::Runtime(e.to_string()))?;
        let plugins = services.registry.clone();
        let linker = Arc::new(linker);
        Ok(Arc::new(PluginHost { engine, linker, settings, services, plugins, loading: tokio::sync::Mutex::new(()) }))
    }

    /// The same engine and compiled plugins, seen by another bot (a clone) through its own
    /// services: its store, its Telegram client, and `services.registry`, a view limited to the
    /// plugins it may run. Costs a few small allocations, not a compile.
    pub fn for_bot(&self, services: Arc<ImportServices>) -> Arc<PluginHost> {
        Arc::new(PluginHost {
            engine: self.engine.clone(),
            linker: self.linker.clone(),
            settings: self.settings.clone(),
            plugins: services.registry.clone(),
            services,
            loading: tokio::sync::Mutex::new(()),
        })
    }

    pub fn list(&self) -> Vec<Arc<Loaded>> {
        self.plugins.list()
    }

    pub fn get(&self, name: &str) -> Option<Arc<Loaded>> {
        self.plugins.get(name)
    }

    /// The plugin and spec answering `/name` (aliases included).
    pub fn command(&self, name: &str) -> Option<(Arc<Loaded>, CommandSpec)> {
        self.plugins.command(name)
    }

    /// The plugins that receive `kinds` (asked for and granted).
    pub fn wanting(&self, kinds: EventKinds) -> Vec<Arc<Loaded>> {
        self.plugins.wanting(kinds)
    }

    pub fn by_start_prefix(&self, payload: &str) -> Option<Arc<Loaded>> {
        self.plugins.by_start_prefix(payload)
    }

    /// Runs one event through a plugin, at most `concurrency` at once per plugin.
    pub async fn call(&self, plugin: &Arc<Loaded>, event: &Event) -> Result<Vec<Action>, CallError> {
        self.call_in(plugin, event, CallScope::of(event)).await
    }

    /// Runs a wake-up for its stored `job`: the sends it makes are idempotent per job, so a
    /// wake-up delivered again after a crash or a hand-over does not send the same thing twice.
    pub async fn wake(&self, plugin: &Arc<Loaded>, event: &Event, job: JobKey) -> Result<Vec<Action>, CallError> {
        self.call_in(plugin, event, CallScope { job: Some(job), ..CallScope::of(event) }).await
    }

    async fn call_in(&self, plugin: &Arc<Loaded>, event: &Event, scope: CallScope) -> Result<Vec<Action>, CallError> {
        let _permit =
            plugin.permits.acquire().await.map_err(|_| CallError::Trap("the plugin is shutting down".into()))?;
        self.services.metrics.calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let result = call::handle(&self.engine, plugin, &self.services, &self.settings.limits, event, scope).await;
        if let Err(e) = &result {
            if !matches!(e, CallError::Plugin(_)) {
                self.services.metrics.failures.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            tracing::warn!(plugin = %plugin.info.name, "{e}");
        }
        result
    }

    /// Loads or replaces the plugin in `path`. On any error the running version (if any) stays.
    pub async fn load(&self, path: &Path) -> Result<Arc<Loaded>, LoadError> {
        let manifest = grants::read_manifest(&self.settings.dir).await;
        self.load_listed(path, &manifest).await
    }

    /// [`PluginHost::load`] with the folder's first-party manifest already read.
    async fn load_listed(&self, path: &Path, manifest: &HashMap<String, [u8; 32]>) -> Result<Arc<Loaded>, LoadError> {
        let _one_at_a_time = self.loading.lock().await;
        let shown = path.display().to_string();
        let bytes = tokio::fs::read(path).await.map_err(|source| LoadError::Read { path: shown.clone(), source })?;
        let hash: [u8; 32] = Sha256::digest(&bytes).into();
        if let Some(p) = self.list().into_iter().find(|p| p.path == path && p.hash == hash) {
            return Ok(p);
        }
        let started = Instant::now();
        let engine = self.engine.clone();
        let component = tokio::task::spawn_blocking(move || Component::new(&engine, &bytes))
            .await
            .map_err(|e| LoadError::Compile { path: shown.clone(), reason: e.to_string() })?
            .map_err(|e| LoadError::Compile { path: shown.clone(), reason: format!("{e:#}") })?;
        let imports = component.component_type().imports(&self.engine).map(|(n, _)| n.to_string()).collect::<Vec<_>>();
        if let Some(v) = version::imported_version(imports.into_iter()) {
            return Err(LoadError::Incompatible {
                path: shown,
                reason: version::check("in this file", &v).err().unwrap_or_default(),
            });
        }
        let pre = self
            .linker
            .instantiate_pre(&component)
            .map_err(|e| LoadError::Compile { path: shown.clone(), reason: format!("{e:#}") })?;
        let pre =
            PluginPre::new(pre).map_err(|e| LoadError::Compile { path: shown.clone(), reason: format!("{e:#}") })?;
        let mut candidate = Loaded {
            info: PluginInfo {
                name: grants::name_for_file(path),
                version: String::new(),
                api_version: String::new(),
                commands: Vec::new(),
                events: EventKinds::empty(),
                permissions: Vec::new(),
                start_prefixes: Vec::new(),
            },
            path: path.to_path_buf(),
            hash,
            first_party: false,
            pre,
            granted: Arc::new(Grants::default()),
            permits: Arc::new(Semaphore::new(self.settings.concurrency.max(1))),
        };
        let info = call::describe(&self.engine, &candidate, &self.services, &self.settings.limits)
            .await
            .map_err(|e| LoadError::Describe { path: shown.clone(), reason: e.to_string() })?;
        version::check(&info.name, &info.api_version)
            .map_err(|reason| LoadError::Incompatible { path: shown.clone(), reason })?;
        if !grants::name_matches_file(&info.name, path) {
            return Err(LoadError::Name { path: shown, name: info.name, expected: grants::name_for_file(path) });
        }
        self.check_names(&shown, path, &info)?;
        let requested: Vec<Permission> = info.permissions.iter().map(|r| r.permission).collect();
        let first_party = manifest.get(&info.name) == Some(&hash);
        let offered = if self.settings.grant_requested {
            Grants::everything_requested(&requested, info.events)
        } else if let Some(g) = self.settings.grants.get(&info.name) {
            g.clone()
        } else if first_party {
            grants::first_party_defaults(&info.name).unwrap_or_default()
        } else {
            Grants::default()
        };
        let granted = offered.limited_to(&requested, info.events);
        for r in &info.permissions {
            if !granted.has(r.permission) {
                tracing::warn!(plugin = %info.name, permission = permission_name(r.permission), reason = %crate::logging::escaped(&r.reason), "requested permission not granted (grant it under [plugins.grants])");
            }
        }
        for (kind, event) in grants::EVENT_NAMES {
            if info.events.contains(kind) && !granted.events.contains(kind) {
                tracing::warn!(plugin = %info.name, event, "the plugin asks for these events but was not granted them (grant \"{event}\" under [plugins.grants])");
            }
        }
        candidate.first_party = first_party;
        candidate.granted = Arc::new(granted);
        candidate.info = info;
        let loaded = Arc::new(candidate);
        let name = loaded.info.name.clone();
        self.plugins.insert(loaded.clone());
        let granted_names = loaded.granted.names().join(", ");
        tracing::info!(plugin = %name, granted = %granted_names, first_party, sha256 = %&grants::to_hex(&hash)[..16], "plugin granted");
        tracing::info!(plugin = %name, version = %loaded.info.version, took_ms = started.elapsed().as_millis() as u64, path = %shown, "plugin loaded");
        Ok(loaded)
    }

    fn check_names(&self, shown: &str, path: &Path, info: &PluginInfo) -> Result<(), LoadError> {
        if let Some(p) = info.start_prefixes.iter().find(|p| p.trim().is_empty()) {
            return Err(LoadError::StartPrefix {
                path: shown.into(),
                prefix: p.clone(),
                problem: "is empty: it would take every /start payload".into(),
            });
        }
        for other in self.list() {
            if other.path == path {
                continue;
            }
            if other.info.name == info.name {
                return Err(LoadError::Duplicate {
                    path: shown.into(),
                    name: info.name.clone(),
                    other: other.path.display().to_string(),
                });
            }
            for prefix in &info.start_prefixes {
                if let Some(theirs) = other
                    .info
                    .start_prefixes
                    .iter()
                    .find(|o| o.starts_with(prefix.as_str()) || prefix.starts_with(o.as_str()))
                {
                    return Err(LoadError::StartPrefix {
                        path: shown.into(),
                        prefix: prefix.clone(),
                        problem: format!("overlaps plugin {}'s '{theirs}'", other.info.name),
                    });
                }
            }
            for c in &info.commands {
                let names = std::iter::once(&c.name).chain(&c.aliases);
                for n in names {
                    if other.info.commands.iter().any(|o| o.name == *n || o.aliases.contains(n)) {
                        return Err(LoadError::Conflict {
                            path: shown.into(),
                            command: n.clone(),
                            other: other.info.name.clone(),
                        });
                    }
                }
            }
        }
        Ok(())
    }

    /// Removes the plugin loaded from `path` (its file was deleted).
    pub fn unload(&self, path: &Path) -> Option<String> {
        let name = self.plugins.remove_path(path)?;
        tracing::info!(plugin = %name, "plugin unloaded (its file is gone)");
        Some(name)
    }

    /// Loads every `.wasm` of the plugin folder; returns what failed.
    pub async fn load_dir(&self) -> Vec<LoadError> {
        let mut errors = Vec::new();
        // First-party builds first: a third-party file cannot take their commands or /start
        // prefixes by sorting ahead of them.
        let manifest = grants::read_manifest(&self.settings.dir).await;
        let mut files: Vec<PathBuf> = watch::scan(&self.settings.dir).await.into_keys().collect();
        files.sort();
        files.sort_by_key(|p| !manifest.contains_key(&grants::name_for_file(p)));
        for path in files {
            if let Err(e) = self.load_listed(&path, &manifest).await {
                tracing::error!("{e}");
                errors.push(e);
            }
        }
        errors
    }
}
