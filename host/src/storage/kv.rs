//! Per-plugin key-value namespaces, with caps so that a plugin cannot fill the disk.

use super::db::{args, lock_key};
use super::{Store, StoreError};

/// Largest value, in bytes.
pub const MAX_VALUE: usize = 64 * 1024;
/// Longest key, in bytes.
pub const MAX_KEY: usize = 256;
/// Keys one plugin may keep.
pub const MAX_KEYS: u64 = 10_000;

impl Store {
    pub async fn kv_get(&self, plugin: &str, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let sql = "SELECT value FROM plugin_kv WHERE bot = ? AND plugin = ? AND key = ?";
        let row = self.pool.fetch_optional(sql, args![self.bot, plugin, key]).await?;
        Ok(row.map(|r| r.bytes("value")).transpose()?)
    }

    pub async fn kv_set(&self, plugin: &str, key: &str, value: &[u8]) -> Result<(), StoreError> {
        if key.is_empty() || key.len() > MAX_KEY {
            return Err(StoreError::Limit(format!("keys are 1 to {MAX_KEY} bytes")));
        }
        if value.len() > MAX_VALUE {
            return Err(StoreError::Limit(format!("values are at most {MAX_VALUE} bytes, got {}", value.len())));
        }
        // The cap check and the write in one statement: atomic on SQLite without a transaction
        // (a read-then-write transaction in WAL mode fails instead of waiting when another
        // connection wrote in between); on PostgreSQL under an advisory lock per namespace, so
        // two processes cannot both take the last free key.
        let lock = lock_key(&["kv", &self.bot.to_string(), plugin]);
        let done = self
            .pool
            .transaction(
                Some(lock),
                &[(
                    "INSERT INTO plugin_kv (bot, plugin, key, value)
                     SELECT ?, ?, ?, ?
                     WHERE EXISTS (SELECT 1 FROM plugin_kv WHERE bot = ? AND plugin = ? AND key = ?)
                        OR (SELECT COUNT(*) FROM plugin_kv WHERE bot = ? AND plugin = ?) < ?
                     ON CONFLICT (bot, plugin, key) DO UPDATE SET value = excluded.value",
                    args![self.bot, plugin, key, value, self.bot, plugin, key, self.bot, plugin, MAX_KEYS as i64]
                        .to_vec(),
                )],
            )
            .await?;
        if done.first().copied().unwrap_or(0) == 0 {
            return Err(StoreError::Limit(format!("at most {MAX_KEYS} keys per plugin")));
        }
        Ok(())
    }

    /// Whether the key was there (a single-use token is used by whoever deletes it).
    pub async fn kv_delete(&self, plugin: &str, key: &str) -> Result<bool, StoreError> {
        let sql = "DELETE FROM plugin_kv WHERE bot = ? AND plugin = ? AND key = ?";
        Ok(self.pool.execute(sql, args![self.bot, plugin, key]).await? > 0)
    }

    pub async fn kv_keys(&self, plugin: &str, prefix: &str, limit: u32) -> Result<Vec<String>, StoreError> {
        // A range scan rather than LIKE: prefixes may contain `%` and `_`.
        let sql = "SELECT key FROM plugin_kv WHERE bot = ? AND plugin = ? AND key >= ? ORDER BY key LIMIT ?";
        let rows = self.pool.fetch_all(sql, args![self.bot, plugin, prefix, i64::from(limit.min(1000)) + 1]).await?;
        let keys = rows.iter().map(|r| r.text("key")).collect::<Result<Vec<_>, _>>()?;
        Ok(keys.into_iter().take_while(|k| k.starts_with(prefix)).take(limit.min(1000) as usize).collect())
    }
}
