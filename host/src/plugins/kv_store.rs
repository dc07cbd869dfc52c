//! Per-plugin key-value storage: one JSON file per plugin in the data folder, written whole
//! and atomically after every change (temp file + rename), with caps on value size and key
//! count so a plugin cannot fill the disk.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Mutex;

pub const MAX_VALUE: usize = 64 * 1024;
pub const MAX_KEY: usize = 256;
pub const MAX_KEYS: usize = 10_000;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KvError {
    #[error("{0}")]
    Limit(String),
    #[error("storage: {0}")]
    Io(String),
}

pub struct KvStore {
    dir: PathBuf,
    /// Loaded namespaces; base64 is not needed: values are stored as byte arrays.
    spaces: Mutex<HashMap<String, BTreeMap<String, Vec<u8>>>>,
}

impl KvStore {
    pub fn new(dir: PathBuf) -> Self {
        Self { dir, spaces: Mutex::default() }
    }

    fn path(&self, plugin: &str) -> PathBuf {
        self.dir.join(format!("{plugin}.json"))
    }

    fn with<T>(&self, plugin: &str, f: impl FnOnce(&mut BTreeMap<String, Vec<u8>>) -> T) -> Result<T, KvError> {
        let mut spaces = self.spaces.lock().unwrap_or_else(|p| p.into_inner());
        if !spaces.contains_key(plugin) {
            let loaded = match std::fs::read(self.path(plugin)) {
                Ok(b) => {
                    serde_json::from_slice(&b).map_err(|e| KvError::Io(format!("damaged store for {plugin}: {e}")))?
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
                Err(e) => return Err(KvError::Io(e.to_string())),
            };
            spaces.insert(plugin.to_string(), loaded);
        }
        let space = spaces.get_mut(plugin).ok_or_else(|| KvError::Io("namespace vanished".into()))?;
        Ok(f(space))
    }

    fn persist(&self, plugin: &str) -> Result<(), KvError> {
        let spaces = self.spaces.lock().unwrap_or_else(|p| p.into_inner());
        let Some(space) = spaces.get(plugin) else { return Ok(()) };
        let io = |e: std::io::Error| KvError::Io(e.to_string());
        std::fs::create_dir_all(&self.dir).map_err(io)?;
        let tmp = self.path(plugin).with_extension("json.tmp");
        std::fs::write(&tmp, serde_json::to_vec(space).map_err(|e| KvError::Io(e.to_string()))?).map_err(io)?;
        std::fs::rename(&tmp, self.path(plugin)).map_err(io)
    }

    pub fn get(&self, plugin: &str, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        self.with(plugin, |s| s.get(key).cloned())
    }

    pub fn set(&self, plugin: &str, key: &str, value: Vec<u8>) -> Result<(), KvError> {
        if key.is_empty() || key.len() > MAX_KEY {
            return Err(KvError::Limit(format!("keys are 1 to {MAX_KEY} bytes")));
        }
        if value.len() > MAX_VALUE {
            return Err(KvError::Limit(format!("values are at most {MAX_VALUE} bytes, got {}", value.len())));
        }
        let full = self.with(plugin, |s| {
            if !s.contains_key(key) && s.len() >= MAX_KEYS {
                return true;
            }
            s.insert(key.to_string(), value);
            false
        })?;
        if full {
            return Err(KvError::Limit(format!("at most {MAX_KEYS} keys per plugin")));
        }
        self.persist(plugin)
    }

    pub fn delete(&self, plugin: &str, key: &str) -> Result<bool, KvError> {
        let existed = self.with(plugin, |s| s.remove(key).is_some())?;
        if existed {
            self.persist(plugin)?;
        }
        Ok(existed)
    }

    pub fn list(&self, plugin: &str, prefix: &str, limit: usize) -> Result<Vec<String>, KvError> {
        self.with(plugin, |s| {
            s.range(prefix.to_string()..)
                .map(|(k, _)| k)
                .take_while(|k| k.starts_with(prefix))
                .take(limit)
                .cloned()
                .collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn persists_and_namespaces() {
        let dir = std::env::temp_dir().join(format!("beamgram-kv-{}", std::process::id()));
        let kv = KvStore::new(dir.clone());
        kv.set("a", "k1", b"v1".to_vec()).expect("set");
        kv.set("a", "k2", b"v2".to_vec()).expect("set");
        kv.set("b", "k1", b"other".to_vec()).expect("set");
        assert_eq!(kv.list("a", "k", 10).expect("list"), vec!["k1", "k2"]);
        let again = KvStore::new(dir.clone());
        assert_eq!(again.get("a", "k1").expect("get"), Some(b"v1".to_vec()));
        assert_eq!(again.get("b", "k1").expect("get"), Some(b"other".to_vec()));
        assert!(again.delete("a", "k1").expect("delete"));
        assert!(matches!(again.set("a", "big", vec![0; MAX_VALUE + 1]), Err(KvError::Limit(_))));
        let _ = std::fs::remove_dir_all(dir);
    }
}
