//! Durable scheduled jobs: a plugin's wake-up at a time with a payload. A job stays in the
//! table until its plugin handled it, so a restart (or a crash) delivers it late, never not.

use super::db::{Row, args};
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
    /// When it was scheduled: with the id, what tells this job from any other, ever (a retry
    /// moves `due_ms`, not this).
    pub created_ms: i64,
}

fn job(r: &Row) -> Result<Job, sqlx::Error> {
    Ok(Job {
        id: r.int("id")?,
        plugin: r.text("plugin")?,
        due_ms: r.int("due_ms")?,
        payload: r.text("payload")?,
        attempts: r.int("attempts")?,
        created_ms: r.int("created_ms")?,
    })
}

impl Store {
    pub async fn job_add(&self, plugin: &str, due_ms: i64, payload: &str) -> Result<i64, StoreError> {
        if payload.len() > MAX_PAYLOAD {
            return Err(StoreError::Limit(format!("wake-up payloads are at most {MAX_PAYLOAD} bytes")));
        }
        let row = self
            .pool
            .fetch_one("SELECT COUNT(*) FROM jobs WHERE bot = ? AND plugin = ?", args![self.bot, plugin])
            .await?;
        if row.first_int()?.unwrap_or(0) >= MAX_JOBS_PER_PLUGIN {
            return Err(StoreError::Limit(format!("at most {MAX_JOBS_PER_PLUGIN} pending wake-ups per plugin")));
        }
        let row = self
            .pool
            .fetch_one(
                "INSERT INTO jobs (bot, plugin, due_ms, payload, created_ms) VALUES (?, ?, ?, ?, ?) RETURNING id",
                args![self.bot, plugin, due_ms, payload, now_ms()],
            )
            .await?;
        Ok(row.int("id")?)
    }

    /// Cancels a plugin's own job; another plugin's id is treated as unknown.
    pub async fn job_cancel(&self, plugin: &str, id: i64) -> Result<bool, StoreError> {
        let sql = "DELETE FROM jobs WHERE id = ? AND bot = ? AND plugin = ?";
        Ok(self.pool.execute(sql, args![id, self.bot, plugin]).await? > 0)
    }

    /// Jobs due by `now_ms`, earliest first.
    pub async fn jobs_due(&self, now_ms: i64, limit: u32) -> Result<Vec<Job>, StoreError> {
        let sql = "SELECT * FROM jobs WHERE bot = ? AND due_ms <= ? ORDER BY due_ms, id LIMIT ?";
        let rows = self.pool.fetch_all(sql, args![self.bot, now_ms, i64::from(limit)]).await?;
        Ok(rows.iter().map(job).collect::<Result<_, _>>()?)
    }

    pub async fn next_job_due(&self) -> Result<Option<i64>, StoreError> {
        Ok(self.pool.fetch_one("SELECT MIN(due_ms) FROM jobs WHERE bot = ?", args![self.bot]).await?.first_int()?)
    }

    pub async fn job_done(&self, id: i64) -> Result<(), StoreError> {
        self.pool.execute("DELETE FROM jobs WHERE id = ? AND bot = ?", args![id, self.bot]).await?;
        Ok(())
    }

    /// Puts a failed job back for a later try.
    pub async fn job_retry(&self, id: i64, due_ms: i64) -> Result<(), StoreError> {
        let sql = "UPDATE jobs SET due_ms = ?, attempts = attempts + 1 WHERE id = ? AND bot = ?";
        self.pool.execute(sql, args![due_ms, id, self.bot]).await?;
        Ok(())
    }

    pub async fn jobs_pending(&self) -> Result<u64, StoreError> {
        let n = self.pool.fetch_one("SELECT COUNT(*) FROM jobs WHERE bot = ?", args![self.bot]).await?.first_int()?;
        Ok(n.unwrap_or(0).max(0) as u64)
    }
}
