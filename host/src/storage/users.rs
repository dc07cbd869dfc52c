//! The bot's users: who wrote to it, when, and what the operator or plugins decided about them
//! (banned, verified until, per-user settings).

use super::db::{Row, args};
use super::{Store, StoreError, now_ms};

/// A sender as a message shows them.
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

/// Longest setting value, in bytes.
const MAX_SETTING: usize = 4096;
/// Settings one plugin may keep per user.
pub const MAX_SETTINGS: usize = 64;

fn user(row: &Row) -> Result<StoredUser, sqlx::Error> {
    let first = row.text("first_name")?;
    let last = row.text("last_name")?;
    Ok(StoredUser {
        id: row.int("id")?,
        name: format!("{first} {last}").trim().to_string(),
        username: row.opt_text("username")?,
        first_seen_ms: row.int("first_seen_ms")?,
        last_seen_ms: row.int("last_seen_ms")?,
        banned: row.bool("banned")?,
        verified_until_ms: row.opt_int("verified_until_ms")?,
        blocked_bot: row.bool("blocked_bot")?,
    })
}

fn users(rows: Vec<Row>) -> Result<Vec<StoredUser>, StoreError> {
    Ok(rows.iter().map(user).collect::<Result<_, _>>()?)
}

impl Store {
    /// Records that `u` wrote to the bot (creating them, or refreshing their name and last-seen
    /// time; writing again means they no longer block the bot); their record.
    pub async fn user_seen(&self, u: &SeenUser<'_>) -> Result<StoredUser, StoreError> {
        let now = now_ms();
        let row = self
            .pool
            .fetch_one(
                "INSERT INTO users (bot, id, first_name, last_name, username, first_seen_ms, last_seen_ms)
                 VALUES (?, ?, ?, ?, ?, ?, ?)
                 ON CONFLICT (bot, id) DO UPDATE SET first_name = excluded.first_name, last_name = excluded.last_name,
                    username = excluded.username, last_seen_ms = excluded.last_seen_ms, blocked_bot = FALSE
                 RETURNING *",
                args![self.bot, u.id, u.first_name, u.last_name, u.username, now, now],
            )
            .await?;
        Ok(user(&row)?)
    }

    pub async fn user(&self, id: i64) -> Result<Option<StoredUser>, StoreError> {
        let row = self.pool.fetch_optional("SELECT * FROM users WHERE bot = ? AND id = ?", args![self.bot, id]).await?;
        Ok(row.as_ref().map(user).transpose()?)
    }

    /// Up to `limit` users with ids above `after_id`, in id order (paging that stays stable
    /// while users are added).
    pub async fn users_after(&self, after_id: i64, limit: u32) -> Result<Vec<StoredUser>, StoreError> {
        let sql = "SELECT * FROM users WHERE bot = ? AND id > ? ORDER BY id LIMIT ?";
        users(self.pool.fetch_all(sql, args![self.bot, after_id, i64::from(limit.min(1000))]).await?)
    }

    pub async fn users_page(&self, offset: u64, limit: u32) -> Result<Vec<StoredUser>, StoreError> {
        let sql = "SELECT * FROM users WHERE bot = ? ORDER BY id LIMIT ? OFFSET ?";
        let offset = offset.min(i64::MAX as u64) as i64;
        users(self.pool.fetch_all(sql, args![self.bot, i64::from(limit.min(1000)), offset]).await?)
    }

    pub async fn user_counts(&self) -> Result<UserCounts, StoreError> {
        let row = self
            .pool
            .fetch_one(
                "SELECT COUNT(*) AS total,
                    COALESCE(SUM(CASE WHEN banned THEN 1 ELSE 0 END), 0) AS banned,
                    COALESCE(SUM(CASE WHEN blocked_bot THEN 1 ELSE 0 END), 0) AS blocked
                 FROM users WHERE bot = ?",
                args![self.bot],
            )
            .await?;
        let n = |c: &str| row.int(c).map(|v| v.max(0) as u64);
        Ok(UserCounts { total: n("total")?, banned: n("banned")?, blocked_bot: n("blocked")? })
    }

    /// Bans or unbans; whether anything changed. A user may be banned before they ever wrote.
    pub async fn set_banned(&self, id: i64, banned: bool) -> Result<bool, StoreError> {
        let changed = if banned {
            let now = now_ms();
            self.pool
                .execute(
                    "INSERT INTO users (bot, id, first_seen_ms, last_seen_ms, banned) VALUES (?, ?, ?, ?, TRUE)
                     ON CONFLICT (bot, id) DO UPDATE SET banned = TRUE WHERE users.banned = FALSE",
                    args![self.bot, id, now, now],
                )
                .await?
        } else {
            let sql = "UPDATE users SET banned = FALSE WHERE bot = ? AND id = ? AND banned = TRUE";
            self.pool.execute(sql, args![self.bot, id]).await?
        };
        Ok(changed > 0)
    }

    pub async fn set_verified_until(&self, id: i64, until_ms: Option<i64>) -> Result<(), StoreError> {
        let now = now_ms();
        self.pool
            .execute(
                "INSERT INTO users (bot, id, first_seen_ms, last_seen_ms, verified_until_ms) VALUES (?, ?, ?, ?, ?)
                 ON CONFLICT (bot, id) DO UPDATE SET verified_until_ms = excluded.verified_until_ms",
                args![self.bot, id, now, now, until_ms],
            )
            .await?;
        Ok(())
    }

    /// A send failed because the user blocked the bot.
    pub async fn set_blocked_bot(&self, id: i64) -> Result<(), StoreError> {
        self.pool.execute("UPDATE users SET blocked_bot = TRUE WHERE bot = ? AND id = ?", args![self.bot, id]).await?;
        Ok(())
    }

    /// `plugin`'s setting `key` of user `id`.
    pub async fn user_setting(&self, plugin: &str, id: i64, key: &str) -> Result<Option<String>, StoreError> {
        let sql = "SELECT value FROM plugin_user_settings WHERE bot = ? AND plugin = ? AND user_id = ? AND key = ?";
        let row = self.pool.fetch_optional(sql, args![self.bot, plugin, id, key]).await?;
        Ok(row.map(|r| r.text("value")).transpose()?)
    }

    /// Sets (or with `None` removes) one of `plugin`'s settings of user `id`, within the caps.
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
                // The cap check and the write in one statement (under a lock on PostgreSQL).
                let lock = super::db::lock_key(&["settings", &self.bot.to_string(), plugin, &id.to_string()]);
                let written = self
                    .pool
                    .transaction(
                        Some(lock),
                        &[(
                            "INSERT INTO plugin_user_settings (bot, plugin, user_id, key, value)
                             SELECT ?, ?, ?, ?, ?
                             WHERE (SELECT COUNT(*) FROM plugin_user_settings
                                    WHERE bot = ? AND plugin = ? AND user_id = ? AND key <> ?) < ?
                             ON CONFLICT (bot, plugin, user_id, key) DO UPDATE SET value = excluded.value",
                            args![self.bot, plugin, id, key, v, self.bot, plugin, id, key, MAX_SETTINGS as i64]
                                .to_vec(),
                        )],
                    )
                    .await?;
                if written.first().copied().unwrap_or(0) == 0 {
                    return Err(StoreError::Limit(format!("at most {MAX_SETTINGS} settings per user")));
                }
            }
            None => {
                let sql = "DELETE FROM plugin_user_settings WHERE bot = ? AND plugin = ? AND user_id = ? AND key = ?";
                self.pool.execute(sql, args![self.bot, plugin, id, key]).await?;
            }
        }
        Ok(())
    }
}
