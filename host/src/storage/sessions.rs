//! Telegram session data (keys, DC addresses, update state) per bot, as the session module
//! serialises it.

use super::{Store, StoreError, now_ms};

impl Store {
    pub async fn session(&self, bot_id: i64) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar("SELECT data FROM sessions WHERE bot_id = ?")
            .bind(bot_id)
            .fetch_optional(&self.pool)
            .await?)
    }

    pub async fn save_session(&self, bot_id: i64, data: &str) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO sessions (bot_id, data, updated_ms) VALUES (?, ?, ?)
             ON CONFLICT (bot_id) DO UPDATE SET data = excluded.data, updated_ms = excluded.updated_ms",
        )
        .bind(bot_id)
        .bind(data)
        .bind(now_ms())
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
