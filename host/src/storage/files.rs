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
            "INSERT INTO files (bin_channel, bin_message_id, sender_id, chat_id, message_id, name, mime, size, received_ms)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (bin_channel, bin_message_id) DO NOTHING",
        )
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
        let (n, bytes): (i64, i64) =
            sqlx::query_as("SELECT COUNT(*), COALESCE(SUM(size), 0) FROM files").fetch_one(&self.pool).await?;
        Ok((n.max(0) as u64, bytes.max(0) as u64))
    }
}
