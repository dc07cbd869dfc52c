//! The loaded plugins, shared by the plugin host (which swaps entries in and out) and the host
//! services (which answer `bot.commands` and the statistics from it). Shared rather than
//! reached through a back-pointer, so nothing points back up at its owner.
//!
//! A clone bot sees the same loaded plugins through a [`Registry::view`] limited to the ones
//! the operator lets clones run: one compiled copy of each plugin, however many bots use it.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, RwLock};

use super::Loaded;
use super::bindings::types::{CommandSpec, EventKinds};

#[derive(Default)]
pub struct Registry {
    plugins: Arc<RwLock<BTreeMap<String, Arc<Loaded>>>>,
    /// A view's names: only these plugins are seen through it (`None`: all of them).
    only: Option<BTreeSet<String>>,
}

impl Registry {
    /// The same plugins (swaps included, as they happen) limited to `names`.
    pub fn view<S: AsRef<str>>(&self, names: &[S]) -> Registry {
        let only = names.iter().map(|n| n.as_ref().to_string()).collect();
        Registry { plugins: self.plugins.clone(), only: Some(only) }
    }

    fn seen(&self, name: &str) -> bool {
        self.only.as_ref().is_none_or(|o| o.contains(name))
    }

    pub fn list(&self) -> Vec<Arc<Loaded>> {
        self.plugins
            .read()
            .map(|p| p.values().filter(|l| self.seen(&l.info.name)).cloned().collect())
            .unwrap_or_default()
    }

    pub fn get(&self, name: &str) -> Option<Arc<Loaded>> {
        self.plugins.read().ok()?.get(name).filter(|_| self.seen(name)).cloned()
    }

    /// The plugin and spec answering `/name` (aliases included).
    pub fn command(&self, name: &str) -> Option<(Arc<Loaded>, CommandSpec)> {
        let name = name.to_ascii_lowercase();
        self.list().into_iter().find_map(|p| {
            let spec = p.info.commands.iter().find(|c| c.name == name || c.aliases.contains(&name))?.clone();
            Some((p, spec))
        })
    }

    /// The plugins that receive `kinds`: they asked for them and were granted them.
    pub fn wanting(&self, kinds: EventKinds) -> Vec<Arc<Loaded>> {
        self.list().into_iter().filter(|p| p.granted.events.contains(kinds)).collect()
    }

    pub fn by_start_prefix(&self, payload: &str) -> Option<Arc<Loaded>> {
        self.list().into_iter().find(|p| p.info.start_prefixes.iter().any(|pre| payload.starts_with(pre.as_str())))
    }

    /// Puts `loaded` in under its name, dropping whatever was loaded from the same file.
    pub fn insert(&self, loaded: Arc<Loaded>) {
        if let Ok(mut plugins) = self.plugins.write() {
            let name = loaded.info.name.clone();
            plugins.retain(|_, p| p.path != loaded.path || p.info.name == name);
            plugins.insert(name, loaded);
        }
    }

    /// Removes the plugin loaded from `path`; its name.
    pub fn remove_path(&self, path: &std::path::Path) -> Option<String> {
        let mut plugins = self.plugins.write().ok()?;
        let name = plugins.iter().find(|(_, p)| p.path == path).map(|(n, _)| n.clone())?;
        plugins.remove(&name);
        Some(name)
    }
}
