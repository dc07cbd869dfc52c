//! The clone bots this host runs for its users: owner, token, bin channel, welcome text and
//! whether each should run. Global (not per bot): the main bot manages them.

use super::db::{Row, args};
use super::{Store, StoreError, now_ms};

/// Whether a clone should run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloneState {
    /// Started with the host.
    Running,
    /// Its owner stopped it (`/clone stop`); `/clone start` runs it again.
    Stopped,
    /// Telegram no longer accepts its token; a new token (`/clone <token>`) brings it back.
    Revoked,
}

impl CloneState {
    fn as_str(self) -> &'static str {
        match self {
            CloneState::Running => "running",
            CloneState::Stopped => "stopped",
            CloneState::Revoked => "revoked",
        }
    }

    fn parse(s: &str) -> CloneState {
        match s {
            "running" => CloneState::Running,
            "revoked" => CloneState::Revoked,
            _ => CloneState::Stopped,
        }
    }
}

impl std::fmt::Display for CloneState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One clone as stored. `token` is a secret: never log or show it.
#[derive(Clone, PartialEq, Eq)]
pub struct CloneRecord {
    pub bot_id: i64,
    pub owner_id: i64,
    /// Without the `@`.
    pub username: String,
    pub token: String,
    /// Bot API id (`-100…`) of the channel its files are kept in, once its owner set one.
    pub bin_channel: Option<i64>,
    pub welcome: Option<String>,
    /// The shortener (site, API key) the owner chose for the clone's users; a secret like the
    /// token.
    pub shortener: Option<(String, String)>,
    pub state: CloneState,
    pub created_ms: i64,
}

impl std::fmt::Debug for CloneRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CloneRecord")
            .field("bot_id", &self.bot_id)
            .field("owner_id", &self.owner_id)
            .field("username", &self.username)
            .field("token", &"<secret>")
            .field("bin_channel", &self.bin_channel)
            .field("state", &self.state)
            .finish()
    }
}

fn record(row: &Row) -> Result<CloneRecord, sqlx::Error> {
    Ok(CloneRecord {
        bot_id: row.int("bot_id")?,
        owner_id: row.int("owner_id")?,
        username: row.text("username")?,
        token: row.text("token")?,
        bin_channel: row.opt_int("bin_channel")?,
        welcome: row.opt_text("welcome")?,
        shortener: match (row.opt_text("shortener_site")?, row.opt_text("shortener_key")?) {
            (Some(site), Some(key)) => Some((site, key)),
            _ => None,
        },
        state: CloneState::parse(&row.text("state")?),
        created_ms: row.int("created_ms")?,
    })
}

fn records(rows: Vec<Row>) -> Result<Vec<CloneRecord>, StoreError> {
    Ok(rows.iter().map(record).collect::<Result<_, _>>()?)
}

impl Store {
    /// Records a new clone, or takes a revoked or stopped one of the same bot over with its new
    /// token (keeping its bin channel, welcome and users).
    pub async fn clone_saved(&self, bot_id: i64, owner: i64, username: &str, token: &str) -> Result<(), StoreError> {
        self.pool
            .execute(
                "INSERT INTO clones (bot_id, owner_id, username, token, state, created_ms) VALUES (?, ?, ?, ?, 'running', ?)
                 ON CONFLICT (bot_id) DO UPDATE SET owner_id = excluded.owner_id, username = excluded.username,
                    token = excluded.token, state = 'running'",
                args![bot_id, owner, username, token, now_ms()],
            )
            .await?;
        Ok(())
    }

    pub async fn clone_record(&self, bot_id: i64) -> Result<Option<CloneRecord>, StoreError> {
        let row = self.pool.fetch_optional("SELECT * FROM clones WHERE bot_id = ?", args![bot_id]).await?;
        Ok(row.as_ref().map(record).transpose()?)
    }

    /// Every clone, oldest first.
    pub async fn clones(&self) -> Result<Vec<CloneRecord>, StoreError> {
        records(self.pool.fetch_all("SELECT * FROM clones ORDER BY created_ms, bot_id", args![]).await?)
    }

    pub async fn clones_of(&self, owner: i64) -> Result<Vec<CloneRecord>, StoreError> {
        let sql = "SELECT * FROM clones WHERE owner_id = ? ORDER BY created_ms, bot_id";
        records(self.pool.fetch_all(sql, args![owner]).await?)
    }

    pub async fn set_clone_state(&self, bot_id: i64, state: CloneState) -> Result<(), StoreError> {
        self.pool.execute("UPDATE clones SET state = ? WHERE bot_id = ?", args![state.as_str(), bot_id]).await?;
        Ok(())
    }

    /// Sets the clone's bin channel; false when another clone keeps its files there already
    /// (the unique index decides when two owners race for one channel).
    pub async fn set_clone_bin(&self, bot_id: i64, channel: i64) -> Result<bool, StoreError> {
        let sql = "SELECT bot_id FROM clones WHERE bin_channel = ? AND bot_id <> ?";
        if self.pool.fetch_optional(sql, args![channel, bot_id]).await?.is_some() {
            return Ok(false);
        }
        self.pool.execute("UPDATE clones SET bin_channel = ? WHERE bot_id = ?", args![channel, bot_id]).await?;
        Ok(true)
    }

    pub async fn set_clone_welcome(&self, bot_id: i64, welcome: Option<&str>) -> Result<(), StoreError> {
        self.pool.execute("UPDATE clones SET welcome = ? WHERE bot_id = ?", args![welcome, bot_id]).await?;
        Ok(())
    }

    pub async fn set_clone_shortener(&self, bot_id: i64, shortener: Option<(&str, &str)>) -> Result<(), StoreError> {
        let (site, key) = shortener.unzip();
        let sql = "UPDATE clones SET shortener_site = ?, shortener_key = ? WHERE bot_id = ?";
        self.pool.execute(sql, args![site, key, bot_id]).await?;
        Ok(())
    }

    /// Forgets a clone: its record, its session and everything kept for its users, in one
    /// transaction. Files stay in its owner's channel; their links stop working.
    pub async fn delete_clone(&self, bot_id: i64) -> Result<(), StoreError> {
        let steps: Vec<(&str, Vec<super::db::Arg>)> = [
            "DELETE FROM clones WHERE bot_id = ?",
            "DELETE FROM sessions WHERE bot_id = ?",
            "DELETE FROM users WHERE bot = ?",
            "DELETE FROM plugin_user_settings WHERE bot = ?",
            "DELETE FROM plugin_kv WHERE bot = ?",
            "DELETE FROM jobs WHERE bot = ?",
            "DELETE FROM files WHERE bot = ?",
        ]
        .into_iter()
        .map(|sql| (sql, args![bot_id].to_vec()))
        .collect();
        self.pool.transaction(None, &steps).await?;
        Ok(())
    }

    /// Users a clone has (for `/clones`), without a handle for that bot.
    pub async fn clone_user_count(&self, bot_id: i64) -> Result<u64, StoreError> {
        let n = self.pool.fetch_one("SELECT COUNT(*) FROM users WHERE bot = ?", args![bot_id]).await?.first_int()?;
        Ok(n.unwrap_or(0).max(0) as u64)
    }
}
