//! Durable scheduled jobs: a plugin's wake-up at a time with a payload. A job stays in the
//! table until its plugin handled it, so a restart (or a crash) delivers it late, never not.

use sqlx::Row;

use super::{Store, StoreError, now_ms};

/// Pending jobs per plugin: enough for auto-delete on a busy bot, not enough to fill a disk.
pub const MAX_JOBS_PER_PLUGIN: i64 = 100_000;
const MAX_PAYLOAD: usize = 16 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub id: i64,
    pub plugin: String,
    pub due_ms: i64,
    pub payload: String,
    pub attempts: i64,
}

impl Store {
    pub async fn job_add(&self, plugin: &str, due_ms: i64, payload: &str) -> Result<i64, StoreError> {
        if payload.len() > MAX_PAYLOAD {
            return Err(StoreError::Limit(format!("wake-up payloads are at most {MAX_PAYLOAD} bytes")));
        }
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE bot = ? AND plugin = ?")
            .bind(self.bot)
            .bind(plugin)
            .fetch_one(&self.pool)
            .await?;
        if n >= MAX_JOBS_PER_PLUGIN {
            return Err(StoreError::Limit(format!("at most {MAX_JOBS_PER_PLUGIN} pending wake-ups per plugin")));
        }
        let id = sqlx::query_scalar(
            "INSERT INTO jobs (bot, plugin, due_ms, payload, created_ms) VALUES (?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(self.bot)
        .bind(plugin)
        .bind(due_ms)
        .bind(payload)
        .bind(now_ms())
        .fetch_one(&self.pool)
        .await?;
        Ok(id)
    }

    /// Cancels a plugin's own job; another plugin's id is treated as unknown.
    pub async fn job_cancel(&self, plugin: &str, id: i64) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM jobs WHERE id = ? AND bot = ? AND plugin = ?")
            .bind(id)
            .bind(self.bot)
            .bind(plugin)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Jobs due by `now_ms`, earliest first.
    pub async fn jobs_due(&self, now_ms: i64, limit: u32) -> Result<Vec<Job>, StoreError> {
        let rows = sqlx::query("SELECT * FROM jobs WHERE bot = ? AND due_ms <= ? ORDER BY due_ms, id LIMIT ?")
            .bind(self.bot)
            .bind(now_ms)
            .bind(limit as i64)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(Job {
                    id: r.try_get("id")?,
                    plugin: r.try_get("plugin")?,
                    due_ms: r.try_get("due_ms")?,
                    payload: r.try_get("payload")?,
                    attempts: r.try_get("attempts")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)
    }

    pub async fn next_job_due(&self) -> Result<Option<i64>, StoreError> {
        Ok(sqlx::query_scalar("SELECT MIN(due_ms) FROM jobs WHERE bot = ?")
            .bind(self.bot)
            .fetch_one(&self.pool)
            .await?)
    }

    pub async fn job_done(&self, id: i64) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM jobs WHERE id = ? AND bot = ?").bind(id).bind(self.bot).execute(&self.pool).await?;
        Ok(())
    }

    /// Puts a failed job back for a later try.
    pub async fn job_retry(&self, id: i64, due_ms: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE jobs SET due_ms = ?, attempts = attempts + 1 WHERE id = ? AND bot = ?")
            .bind(due_ms)
            .bind(id)
            .bind(self.bot)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn jobs_pending(&self) -> Result<u64, StoreError> {
        let n: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE bot = ?").bind(self.bot).fetch_one(&self.pool).await?;
        Ok(n.max(0) as u64)
    }
}
