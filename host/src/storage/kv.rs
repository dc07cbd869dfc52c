//! Per-plugin key-value namespaces, with caps so that a plugin cannot fill the disk.

use super::{Store, StoreError};

pub const MAX_VALUE: usize = 64 * 1024;
pub const MAX_KEY: usize = 256;
pub const MAX_KEYS: u64 = 10_000;

impl Store {
    pub async fn kv_get(&self, plugin: &str, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(sqlx::query_scalar("SELECT value FROM plugin_kv WHERE bot = ? AND plugin = ? AND key = ?")
            .bind(self.bot)
            .bind(plugin)
            .bind(key)
            .fetch_optional(&self.pool)
            .await?)
    }

    pub async fn kv_set(&self, plugin: &str, key: &str, value: &[u8]) -> Result<(), StoreError> {
        if key.is_empty() || key.len() > MAX_KEY {
            return Err(StoreError::Limit(format!("keys are 1 to {MAX_KEY} bytes")));
        }
        if value.len() > MAX_VALUE {
            return Err(StoreError::Limit(format!("values are at most {MAX_VALUE} bytes, got {}", value.len())));
        }
        // The cap check and the write in one statement: atomic without a transaction (a
        // read-then-write transaction in WAL mode fails instead of waiting when another
        // connection wrote in between).
        let done = sqlx::query(
            "INSERT INTO plugin_kv (bot, plugin, key, value)
             SELECT ?, ?, ?, ?
             WHERE EXISTS (SELECT 1 FROM plugin_kv WHERE bot = ? AND plugin = ? AND key = ?)
                OR (SELECT COUNT(*) FROM plugin_kv WHERE bot = ? AND plugin = ?) < ?
             ON CONFLICT (bot, plugin, key) DO UPDATE SET value = excluded.value",
        )
        .bind(self.bot)
        .bind(plugin)
        .bind(key)
        .bind(value)
        .bind(self.bot)
        .bind(plugin)
        .bind(key)
        .bind(self.bot)
        .bind(plugin)
        .bind(MAX_KEYS as i64)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Limit(format!("at most {MAX_KEYS} keys per plugin")));
        }
        Ok(())
    }

    pub async fn kv_delete(&self, plugin: &str, key: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM plugin_kv WHERE bot = ? AND plugin = ? AND key = ?")
            .bind(self.bot)
            .bind(plugin)
            .bind(key)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Keys starting with `prefix`, in order.
    pub async fn kv_keys(&self, plugin: &str, prefix: &str, limit: u32) -> Result<Vec<String>, StoreError> {
        // A range scan rather than LIKE: prefixes may contain `%` and `_`.
        let rows: Vec<String> = sqlx::query_scalar(
            "SELECT key FROM plugin_kv WHERE bot = ? AND plugin = ? AND key >= ? ORDER BY key LIMIT ?",
        )
        .bind(self.bot)
        .bind(plugin)
        .bind(prefix)
        .bind(limit.min(1000) as i64 + 1)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().take_while(|k| k.starts_with(prefix)).take(limit.min(1000) as usize).collect())
    }
}
