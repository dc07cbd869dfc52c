//! The record of every file the bot copied to its bin channel: who sent it, from where, when.

use super::db::args;
use super::{Store, StoreError, now_ms};

#[derive(Debug, Clone)]
pub struct FileRecord<'a> {
    pub bin_channel: i64,
    pub bin_message_id: i32,
    pub sender_id: i64,
    pub chat_id: i64,
    pub message_id: i32,
    pub name: &'a str,
    pub mime: &'a str,
    pub size: u64,
}

impl Store {
    pub async fn record_file(&self, f: &FileRecord<'_>) -> Result<(), StoreError> {
        self.pool
            .execute(
                "INSERT INTO files (bot, bin_channel, bin_message_id, sender_id, chat_id, message_id, name, mime, size, received_ms)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (bin_channel, bin_message_id) DO NOTHING",
                args![
                    self.bot,
                    f.bin_channel,
                    f.bin_message_id,
                    f.sender_id,
                    f.chat_id,
                    f.message_id,
                    f.name,
                    f.mime,
                    f.size.min(i64::MAX as u64) as i64,
                    now_ms()
                ],
            )
            .await?;
        Ok(())
    }

    /// (files, total bytes) recorded.
    pub async fn file_totals(&self) -> Result<(u64, u64), StoreError> {
        let row = self
            .pool
            .fetch_one(
                "SELECT COUNT(*) AS n, CAST(COALESCE(SUM(size), 0) AS BIGINT) AS bytes FROM files WHERE bot = ?",
                args![self.bot],
            )
            .await?;
        Ok((row.int("n")?.max(0) as u64, row.int("bytes")?.max(0) as u64))
    }

    /// Who sent the file kept at this bin-channel message, if it was recorded.
    pub async fn file_sender(&self, bin_channel: i64, bin_message_id: i32) -> Result<Option<i64>, StoreError> {
        let sql = "SELECT sender_id FROM files WHERE bot = ? AND bin_channel = ? AND bin_message_id = ?";
        let row = self.pool.fetch_optional(sql, args![self.bot, bin_channel, bin_message_id]).await?;
        Ok(row.map(|r| r.int("sender_id")).transpose()?)
    }

    /// Makes the links of one file answer 410 from now on.
    pub async fn revoke_file(&self, bin_channel: i64, bin_message_id: i32, by: i64) -> Result<(), StoreError> {
        self.pool
            .execute(
                "INSERT INTO revoked_files (bin_channel, bin_message_id, revoked_ms, revoked_by) VALUES (?, ?, ?, ?)
                 ON CONFLICT (bin_channel, bin_message_id) DO NOTHING",
                args![bin_channel, bin_message_id, now_ms(), by],
            )
            .await?;
        Ok(())
    }

    /// Revokes every file `sender` sent; how many were newly revoked.
    pub async fn revoke_files_of(&self, bin_channel: i64, sender: i64, by: i64) -> Result<u64, StoreError> {
        Ok(self
            .pool
            .execute(
                "INSERT INTO revoked_files (bin_channel, bin_message_id, revoked_ms, revoked_by)
                 SELECT bin_channel, bin_message_id, ?, ? FROM files WHERE bot = ? AND bin_channel = ? AND sender_id = ?
                 ON CONFLICT (bin_channel, bin_message_id) DO NOTHING",
                args![now_ms(), by, self.bot, bin_channel, sender],
            )
            .await?)
    }

    pub async fn is_revoked(&self, bin_channel: i64, bin_message_id: i32) -> Result<bool, StoreError> {
        let sql = "SELECT 1 FROM revoked_files WHERE bin_channel = ? AND bin_message_id = ?";
        Ok(self.pool.fetch_optional(sql, args![bin_channel, bin_message_id]).await?.is_some())
    }
}
