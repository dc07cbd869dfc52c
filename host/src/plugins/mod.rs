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
pub mod host;
pub mod markup;
pub mod outbound;
pub mod services;
pub mod shortener;
mod state;
pub mod version;
pub mod watch;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Instant;

use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;
use wasmtime::Engine;
use wasmtime::component::{Component, HasSelf, Linker};

use bindings::types::{Action, CommandSpec, Event, EventKinds, Permission, PluginInfo};
use bindings::{Plugin, PluginPre};
pub use call::{CallError, Limits};
use services::HostServices;
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
    #[error("cannot set up the plugin runtime: {0}")]
    Runtime(String),
}

/// A loaded plugin version; calls in flight keep theirs alive across a swap.
pub struct Loaded {
    pub info: PluginInfo,
    pub path: PathBuf,
    /// SHA-256 of the `.wasm`, so a reload of an unchanged file is a no-op.
    pub hash: [u8; 32],
    pub tag: String,
    pre: PluginPre<PluginState>,
    pub granted: Arc<Vec<Permission>>,
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
    pub grants: HashMap<String, Vec<Permission>>,
    /// Grant whatever a plugin requests (development on the simulator only).
    pub grant_requested: bool,
}

pub struct PluginHost {
    engine: Arc<Engine>,
    linker: Linker<PluginState>,
    pub settings: PluginSettings,
    pub services: Arc<HostServices>,
    plugins: RwLock<BTreeMap<String, Arc<Loaded>>>,
    /// Loads one at a time, so two reloads cannot interleave their checks and swaps.
    loading: tokio::sync::Mutex<()>,
}

pub fn permission_name(p: Permission) -> &'static str {
    match p {
        Permission::Kv => "kv",
        Permission::Telegram => "telegram",
        Permission::Links => "links",
        Permission::Users => "users",
        Permission::UserData => "user-data",
        Permission::Schedule => "schedule",
        Permission::Http => "http",
    }
}

pub fn parse_permission(s: &str) -> Option<Permission> {
    Some(match s {
        "kv" => Permission::Kv,
        "telegram" => Permission::Telegram,
        "links" => Permission::Links,
        "users" => Permission::Users,
        "user-data" | "user_data" => Permission::UserData,
        "schedule" => Permission::Schedule,
        "http" => Permission::Http,
        _ => return None,
    })
}

impl PluginHost {
    pub fn new(settings: PluginSettings, services: Arc<HostServices>) -> Result<Arc<PluginHost>, LoadError> {
        let engine = Arc::new(
            engine::new(&settings.cache_dir, settings.limits.memory_bytes)
                .map_err(|e| LoadError::Runtime(e.to_string()))?,
        );
        engine::start_ticker(Arc::downgrade(&engine));
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(|e| LoadError::Runtime(e.to_string()))?;
        Plugin::add_to_linker::<PluginState, HasSelf<PluginState>>(&mut linker, |s| s)
            .map_err(|e| LoadError::Runtime(e.to_string()))?;
        let host = Arc::new(PluginHost {
            engine,
            linker,
            settings,
            services,
            plugins: RwLock::default(),
            loading: tokio::sync::Mutex::new(()),
        });
        let _ = host.services.host.set(Arc::downgrade(&host));
        Ok(host)
    }

    pub fn list(&self) -> Vec<Arc<Loaded>> {
        self.plugins.read().map(|p| p.values().cloned().collect()).unwrap_or_default()
    }

    pub fn get(&self, name: &str) -> Option<Arc<Loaded>> {
        self.plugins.read().ok()?.get(name).cloned()
    }

    /// The plugin and spec answering `/name` (aliases included).
    pub fn command(&self, name: &str) -> Option<(Arc<Loaded>, CommandSpec)> {
        let name = name.to_ascii_lowercase();
        self.list().into_iter().find_map(|p| {
            let spec = p.info.commands.iter().find(|c| c.name == name || c.aliases.contains(&name))?.clone();
            Some((p, spec))
        })
    }

    pub fn by_tag(&self, tag: &str) -> Option<Arc<Loaded>> {
        self.list().into_iter().find(|p| p.tag == tag)
    }

    pub fn wanting(&self, kinds: EventKinds) -> Vec<Arc<Loaded>> {
        self.list().into_iter().filter(|p| p.info.events.contains(kinds)).collect()
    }

    pub fn by_start_prefix(&self, payload: &str) -> Option<Arc<Loaded>> {
        self.list().into_iter().find(|p| p.info.start_prefixes.iter().any(|pre| payload.starts_with(pre.as_str())))
    }

    /// Runs one event through a plugin, at most `concurrency` at once per plugin.
    pub async fn call(&self, plugin: &Arc<Loaded>, event: &Event) -> Result<Vec<Action>, CallError> {
        let _permit =
            plugin.permits.acquire().await.map_err(|_| CallError::Trap("the plugin is shutting down".into()))?;
        self.services.metrics.calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let result = call::handle(&self.engine, plugin, &self.services, &self.settings.limits, event).await;
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
                name: stem(path),
                version: String::new(),
                api_version: String::new(),
                commands: Vec::new(),
                events: EventKinds::empty(),
                permissions: Vec::new(),
                start_prefixes: Vec::new(),
            },
            path: path.to_path_buf(),
            hash,
            tag: String::new(),
            pre,
            granted: Arc::new(Vec::new()),
            permits: Arc::new(Semaphore::new(self.settings.concurrency.max(1))),
        };
        let info = call::describe(&self.engine, &candidate, &self.services, &self.settings.limits)
            .await
            .map_err(|e| LoadError::Describe { path: shown.clone(), reason: e.to_string() })?;
        version::check(&info.name, &info.api_version)
            .map_err(|reason| LoadError::Incompatible { path: shown.clone(), reason })?;
        self.check_names(&shown, path, &info)?;
        let requested: Vec<Permission> = info.permissions.iter().map(|r| r.permission).collect();
        let granted: Vec<Permission> = self
            .settings
            .grants
            .get(&info.name)
            .map(|g| g.iter().copied().filter(|p| requested.contains(p)).collect())
            .unwrap_or_default();
        for r in &info.permissions {
            if !granted.contains(&r.permission) {
                tracing::warn!(plugin = %info.name, permission = permission_name(r.permission), reason = %r.reason, "requested permission not granted (grant it under [plugins.grants])");
            }
        }
        candidate.tag = markup::callback_tag(&info.name);
        candidate.granted = Arc::new(granted);
        candidate.info = info;
        let loaded = Arc::new(candidate);
        let name = loaded.info.name.clone();
        if let Ok(mut plugins) = self.plugins.write() {
            plugins.retain(|_, p| p.path != path || p.info.name == name);
            plugins.insert(name.clone(), loaded.clone());
        }
        tracing::info!(plugin = %name, version = %loaded.info.version, took_ms = started.elapsed().as_millis() as u64, path = %shown, "plugin loaded");
        Ok(loaded)
    }

    fn check_names(&self, shown: &str, path: &Path, info: &PluginInfo) -> Result<(), LoadError> {
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
        let mut plugins = self.plugins.write().ok()?;
        let name = plugins.iter().find(|(_, p)| p.path == path).map(|(n, _)| n.clone())?;
        plugins.remove(&name);
        tracing::info!(plugin = %name, "plugin unloaded (its file is gone)");
        Some(name)
    }

    /// Loads every `.wasm` of the plugin folder; returns what failed.
    pub async fn load_dir(&self) -> Vec<LoadError> {
        let mut errors = Vec::new();
        for path in watch::wasm_files(&self.settings.dir) {
            if let Err(e) = self.load(&path).await {
                tracing::error!("{e}");
                errors.push(e);
            }
        }
        errors
    }
}

fn stem(path: &Path) -> String {
    path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default()
}
