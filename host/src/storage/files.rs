//! The record of every file the bot copied to its bin channel: who sent it, from where, when.

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
        sqlx::query(
            "INSERT INTO files (bot, bin_channel, bin_message_id, sender_id, chat_id, message_id, name, mime, size, received_ms)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (bin_channel, bin_message_id) DO NOTHING",
        )
        .bind(self.bot)
        .bind(f.bin_channel)
        .bind(f.bin_message_id)
        .bind(f.sender_id)
        .bind(f.chat_id)
        .bind(f.message_id)
        .bind(f.name)
        .bind(f.mime)
        .bind(f.size.min(i64::MAX as u64) as i64)
        .bind(now_ms())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// (files, total bytes) recorded.
    pub async fn file_totals(&self) -> Result<(u64, u64), StoreError> {
        let (n, bytes): (i64, i64) = sqlx::query_as("SELECT COUNT(*), COALESCE(SUM(size), 0) FROM files WHERE bot = ?")
            .bind(self.bot)
            .fetch_one(&self.pool)
            .await?;
        Ok((n.max(0) as u64, bytes.max(0) as u64))
    }
}

impl Store {
    /// Who sent the file kept at this bin-channel message, if it was recorded.
    pub async fn file_sender(&self, bin_channel: i64, bin_message_id: i32) -> Result<Option<i64>, StoreError> {
        Ok(sqlx::query_scalar("SELECT sender_id FROM files WHERE bot = ? AND bin_channel = ? AND bin_message_id = ?")
            .bind(self.bot)
            .bind(bin_channel)
            .bind(bin_message_id)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Makes the links of one file answer 410 from now on.
    pub async fn revoke_file(&self, bin_channel: i64, bin_message_id: i32, by: i64) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO revoked_files (bin_channel, bin_message_id, revoked_ms, revoked_by) VALUES (?, ?, ?, ?)
             ON CONFLICT (bin_channel, bin_message_id) DO NOTHING",
        )
        .bind(bin_channel)
        .bind(bin_message_id)
        .bind(now_ms())
        .bind(by)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Revokes every file `sender` sent; how many were newly revoked.
    pub async fn revoke_files_of(&self, bin_channel: i64, sender: i64, by: i64) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "INSERT INTO revoked_files (bin_channel, bin_message_id, revoked_ms, revoked_by)
             SELECT bin_channel, bin_message_id, ?, ? FROM files WHERE bot = ? AND bin_channel = ? AND sender_id = ?
             ON CONFLICT (bin_channel, bin_message_id) DO NOTHING",
        )
        .bind(now_ms())
        .bind(by)
        .bind(self.bot)
        .bind(bin_channel)
        .bind(sender)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    pub async fn is_revoked(&self, bin_channel: i64, bin_message_id: i32) -> Result<bool, StoreError> {
        let found: Option<i64> =
            sqlx::query_scalar("SELECT 1 FROM revoked_files WHERE bin_channel = ? AND bin_message_id = ?")
                .bind(bin_channel)
                .bind(bin_message_id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(found.is_some())
    }
}
