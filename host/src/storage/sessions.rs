//! Telegram session data (keys, DC addresses, update state) per bot, as the session module
//! serialises it.

use super::db::args;
use super::{Store, StoreError, now_ms};

impl Store {
    pub async fn session(&self, bot_id: i64) -> Result<Option<String>, StoreError> {
        let row = self.pool.fetch_optional("SELECT data FROM sessions WHERE bot_id = ?", args![bot_id]).await?;
        Ok(row.map(|r| r.text("data")).transpose()?)
    }

    pub async fn save_session(&self, bot_id: i64, data: &str) -> Result<(), StoreError> {
        self.pool
            .execute(
                "INSERT INTO sessions (bot_id, data, updated_ms) VALUES (?, ?, ?)
                 ON CONFLICT (bot_id) DO UPDATE SET data = excluded.data, updated_ms = excluded.updated_ms",
                args![bot_id, data, now_ms()],
            )
            .await?;
        Ok(())
    }
}
