//! Reloads plugins when their files change. Polls the folder: a file counts as changed once
//! its size and modification time have held still for two polls, so a half-copied file is never
//! loaded (deploying by writing elsewhere and renaming into place is instant and safest).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use super::{LoadError, PluginHost};

pub const POLL: Duration = Duration::from_millis(250);

fn wasm_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "wasm") && p.is_file())
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

fn stamp(p: &Path) -> Option<(u64, SystemTime)> {
    let m = std::fs::metadata(p).ok()?;
    Some((m.len(), m.modified().ok()?))
}

/// The folder's `.wasm` files with their size and modification time, read off the async
/// runtime's threads (a slow or network filesystem must not stall other tasks).
pub async fn scan(dir: &Path) -> HashMap<PathBuf, (u64, SystemTime)> {
    let dir = dir.to_path_buf();
    tokio::task::spawn_blocking(move || {
        wasm_files(&dir).into_iter().filter_map(|p| Some((p.clone(), stamp(&p)?))).collect()
    })
    .await
    .unwrap_or_default()
}

/// What the watcher reports after acting on a change.
pub enum Change {
    Loaded(String),
    Failed(LoadError),
    Removed(String),
}

/// Watches until `shutdown` completes, calling `report` after every change it acted on.
pub async fn follow(host: Arc<PluginHost>, shutdown: impl std::future::Future<Output = ()>, report: impl Fn(Change)) {
    let dir = host.settings.dir.clone();
    let mut seen = scan(&dir).await;
    let mut pending: HashMap<PathBuf, (u64, SystemTime)> = HashMap::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => return,
            _ = tokio::time::sleep(POLL) => {}
        }
        let now = scan(&dir).await;
        for (path, st) in &now {
            if seen.get(path) == Some(st) {
                pending.remove(path);
                continue;
            }
            if pending.get(path) != Some(st) {
                pending.insert(path.clone(), *st);
                continue;
            }
            pending.remove(path);
            seen.insert(path.clone(), *st);
            match host.load(path).await {
                Ok(p) => report(Change::Loaded(p.info.name.clone())),
                Err(e) => {
                    tracing::error!("reload refused, the previous version keeps serving: {e}");
                    report(Change::Failed(e));
                }
            }
        }
        let gone: Vec<PathBuf> = seen.keys().filter(|p| !now.contains_key(*p)).cloned().collect();
        for path in gone {
            seen.remove(&path);
            if let Some(name) = host.unload(&path) {
                report(Change::Removed(name));
            }
        }
    }
}
