//! The bot's users: who wrote to it, when, and what the operator or plugins decided about them
//! (banned, verified until, per-user settings).

use sqlx::Row;

use super::{Store, StoreError, now_ms};

/// What an update tells about its sender.
pub struct SeenUser<'a> {
    pub id: i64,
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub username: Option<&'a str>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredUser {
    pub id: i64,
    pub name: String,
    pub username: Option<String>,
    pub first_seen_ms: i64,
    pub last_seen_ms: i64,
    pub banned: bool,
    pub verified_until_ms: Option<i64>,
    pub blocked_bot: bool,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct UserCounts {
    pub total: u64,
    pub banned: u64,
    pub blocked_bot: u64,
}

const MAX_SETTING: usize = 4096;
/// Settings one plugin may keep for one user.
pub const MAX_SETTINGS: usize = 64;

fn user(row: &sqlx::sqlite::SqliteRow) -> Result<StoredUser, sqlx::Error> {
    let first: String = row.try_get("first_name")?;
    let last: String = row.try_get("last_name")?;
    Ok(StoredUser {
        id: row.try_get("id")?,
        name: format!("{first} {last}").trim().to_string(),
        username: row.try_get("username")?,
        first_seen_ms: row.try_get("first_seen_ms")?,
        last_seen_ms: row.try_get("last_seen_ms")?,
        banned: row.try_get("banned")?,
        verified_until_ms: row.try_get("verified_until_ms")?,
        blocked_bot: row.try_get("blocked_bot")?,
    })
}

impl Store {
    /// Records that `u` wrote to the bot now, and returns what is known about them.
    pub async fn user_seen(&self, u: &SeenUser<'_>) -> Result<StoredUser, StoreError> {
        let now = now_ms();
        let row = sqlx::query(
            "INSERT INTO users (bot, id, first_name, last_name, username, first_seen_ms, last_seen_ms)
             VALUES (?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (bot, id) DO UPDATE SET first_name = excluded.first_name, last_name = excluded.last_name,
                username = excluded.username, last_seen_ms = excluded.last_seen_ms, blocked_bot = FALSE
             RETURNING *",
        )
        .bind(self.bot)
        .bind(u.id)
        .bind(u.first_name)
        .bind(u.last_name)
        .bind(u.username)
        .bind(now)
        .bind(now)
        .fetch_one(&self.pool)
        .await?;
        Ok(user(&row)?)
    }

    pub async fn user(&self, id: i64) -> Result<Option<StoredUser>, StoreError> {
        let row = sqlx::query("SELECT * FROM users WHERE bot = ? AND id = ?")
            .bind(self.bot)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(user).transpose()?)
    }

    /// Users in id order, for listings and broadcasts that resume by position.
    pub async fn users_after(&self, after_id: i64, limit: u32) -> Result<Vec<StoredUser>, StoreError> {
        let rows = sqlx::query("SELECT * FROM users WHERE bot = ? AND id > ? ORDER BY id LIMIT ?")
            .bind(self.bot)
            .bind(after_id)
            .bind(limit.min(1000))
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(user).collect::<Result<_, _>>()?)
    }

    pub async fn users_page(&self, offset: u64, limit: u32) -> Result<Vec<StoredUser>, StoreError> {
        let rows = sqlx::query("SELECT * FROM users WHERE bot = ? ORDER BY id LIMIT ? OFFSET ?")
            .bind(self.bot)
            .bind(limit.min(1000))
            .bind(offset.min(i64::MAX as u64) as i64)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(user).collect::<Result<_, _>>()?)
    }

    pub async fn user_counts(&self) -> Result<UserCounts, StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS total, COALESCE(SUM(banned), 0) AS banned, COALESCE(SUM(blocked_bot), 0) AS blocked
             FROM users WHERE bot = ?",
        )
        .bind(self.bot)
        .fetch_one(&self.pool)
        .await?;
        let n = |c: &str| row.try_get::<i64, _>(c).map(|v| v.max(0) as u64);
        Ok(UserCounts { total: n("total")?, banned: n("banned")?, blocked_bot: n("blocked")? })
    }

    /// Bans or unbans a user; banning creates the record when the user never wrote (an admin
    /// may ban ahead). Returns whether anything changed.
    pub async fn set_banned(&self, id: i64, banned: bool) -> Result<bool, StoreError> {
        let done = if banned {
            let now = now_ms();
            sqlx::query(
                "INSERT INTO users (bot, id, first_seen_ms, last_seen_ms, banned) VALUES (?, ?, ?, ?, TRUE)
                 ON CONFLICT (bot, id) DO UPDATE SET banned = TRUE WHERE users.banned = FALSE",
            )
            .bind(self.bot)
            .bind(id)
            .bind(now)
            .bind(now)
            .execute(&self.pool)
            .await?
        } else {
            sqlx::query("UPDATE users SET banned = FALSE WHERE bot = ? AND id = ? AND banned = TRUE")
                .bind(self.bot)
                .bind(id)
                .execute(&self.pool)
                .await?
        };
        Ok(done.rows_affected() > 0)
    }

    pub async fn set_verified_until(&self, id: i64, until_ms: Option<i64>) -> Result<(), StoreError> {
        let now = now_ms();
        sqlx::query(
            "INSERT INTO users (bot, id, first_seen_ms, last_seen_ms, verified_until_ms) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (bot, id) DO UPDATE SET verified_until_ms = excluded.verified_until_ms",
        )
        .bind(self.bot)
        .bind(id)
        .bind(now)
        .bind(now)
        .bind(until_ms)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn set_blocked_bot(&self, id: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE users SET blocked_bot = TRUE WHERE bot = ? AND id = ?")
            .bind(self.bot)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// One of `plugin`'s settings for a user.
    pub async fn user_setting(&self, plugin: &str, id: i64, key: &str) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT value FROM plugin_user_settings WHERE bot = ? AND plugin = ? AND user_id = ? AND key = ?",
        )
        .bind(self.bot)
        .bind(plugin)
        .bind(id)
        .bind(key)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Sets (or with `None` removes) one of `plugin`'s settings for a user; at most
    /// [`MAX_SETTINGS`] per plugin and user, checked and written in one statement.
    pub async fn set_user_setting(
        &self,
        plugin: &str,
        id: i64,
        key: &str,
        value: Option<&str>,
    ) -> Result<(), StoreError> {
        if key.is_empty() || key.len() > super::MAX_KEY {
            return Err(StoreError::Limit(format!("setting names are 1 to {} bytes", super::MAX_KEY)));
        }
        match value {
            Some(v) if v.len() > MAX_SETTING => {
                return Err(StoreError::Limit(format!("settings are at most {MAX_SETTING} bytes")));
            }
            Some(v) => {
                let written = sqlx::query(
                    "INSERT INTO plugin_user_settings (bot, plugin, user_id, key, value)
                     SELECT ?, ?, ?, ?, ?
                     WHERE (SELECT COUNT(*) FROM plugin_user_settings
                            WHERE bot = ? AND plugin = ? AND user_id = ? AND key <> ?) < ?
                     ON CONFLICT (bot, plugin, user_id, key) DO UPDATE SET value = excluded.value",
                )
                .bind(self.bot)
                .bind(plugin)
                .bind(id)
                .bind(key)
                .bind(v)
                .bind(self.bot)
                .bind(plugin)
                .bind(id)
                .bind(key)
                .bind(MAX_SETTINGS as i64)
                .execute(&self.pool)
                .await?;
                if written.rows_affected() == 0 {
                    return Err(StoreError::Limit(format!("at most {MAX_SETTINGS} settings per user")));
                }
            }
            None => {
                sqlx::query(
                    "DELETE FROM plugin_user_settings WHERE bot = ? AND plugin = ? AND user_id = ? AND key = ?",
                )
                .bind(self.bot)
                .bind(plugin)
                .bind(id)
                .bind(key)
                .execute(&self.pool)
                .await?;
            }
        }
        Ok(())
    }
}
