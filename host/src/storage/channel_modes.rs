//! Which channels are in channel mode (their new media posts get Stream / Download buttons),
//! per bot, and who switched it.

use super::db::args;
use super::{Store, StoreError, now_ms};

impl Store {
    /// Switches channel mode for `channel` (Bot API id) on or off; `by` is who asked (0: a post
    /// in the channel itself, whose author is the channel).
    pub async fn set_channel_mode(&self, channel: i64, enabled: bool, by: i64) -> Result<(), StoreError> {
        self.pool
            .execute(
                "INSERT INTO channel_modes (bot, channel_id, enabled, set_by, set_ms) VALUES (?, ?, ?, ?, ?)
                 ON CONFLICT (bot, channel_id) DO UPDATE SET enabled = excluded.enabled, set_by = excluded.set_by, set_ms = excluded.set_ms",
                args![self.bot, channel, enabled, by, now_ms()],
            )
            .await?;
        Ok(())
    }

    /// Whether `channel` is in channel mode (never switched on: no).
    pub async fn channel_mode(&self, channel: i64) -> Result<bool, StoreError> {
        let sql = "SELECT enabled FROM channel_modes WHERE bot = ? AND channel_id = ?";
        let row = self.pool.fetch_optional(sql, args![self.bot, channel]).await?;
        Ok(row.map(|r| r.bool("enabled")).transpose()?.unwrap_or(false))
    }
}
