//! Telegram session data (keys, DC addresses, update state) per bot and node, as the session
//! module serialises it. A `stream` node keeps its own (see [`Store::for_node`]).

use super::db::args;
use super::{Store, StoreError, now_ms};

impl Store {
    pub async fn session(&self, bot_id: i64) -> Result<Option<String>, StoreError> {
        let sql = "SELECT data FROM sessions WHERE bot_id = ? AND node = ?";
        let row = self.pool.fetch_optional(sql, args![bot_id, &*self.node]).await?;
        Ok(row.map(|r| r.text("data")).transpose()?)
    }

    pub async fn save_session(&self, bot_id: i64, data: &str) -> Result<(), StoreError> {
        self.pool
            .execute(
                "INSERT INTO sessions (bot_id, node, data, updated_ms) VALUES (?, ?, ?, ?)
                 ON CONFLICT (bot_id, node) DO UPDATE SET data = excluded.data, updated_ms = excluded.updated_ms",
                args![bot_id, &*self.node, data, now_ms()],
            )
            .await?;
        Ok(())
    }
}
