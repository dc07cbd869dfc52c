//! The host's durable state: users, plugin kv namespaces, scheduled jobs, the link-signing
//! secret, the record of every file and the Telegram sessions, in one database.
//!
//! Two backends: SQLite (a file under the data folder, WAL; the default, nothing to install) and
//! PostgreSQL (`DATABASE_URL=postgres://…`, shared by several processes). Everything above this
//! module talks to [`Store`] only, in terms of the bot's own types; each statement is written
//! once for both (see [`db`]).

mod channel_modes;
mod clones;
mod copy;
pub(crate) mod db;
mod file_extras;
mod files;
mod jobs;
mod kv;
mod leases;
mod migrate;
mod secrets;
mod sessions;
mod users;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use db::Pool;

pub use clones::{CloneRecord, CloneState};
pub use file_extras::{SentFile, SubtitleTrack};
pub use files::FileRecord;
pub use jobs::Job;
pub use kv::{MAX_KEY, MAX_KEYS, MAX_VALUE};
pub use users::{SeenUser, StoredUser, UserCounts};

/// The main bot's id in per-bot tables (clones use their Telegram id).
pub const MAIN_BOT: i64 = 0;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database {url}: {problem}")]
    Open { url: String, problem: String },
    #[error("database migration {version} failed: {source}")]
    Migrate { version: i64, source: sqlx::Error },
    #[error("the database was written by a newer beamgram (schema {found}, this build knows {known})")]
    TooNew { found: i64, known: i64 },
    #[error("{0}")]
    Limit(String),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
}

/// A handle on the database, seen as one bot (see [`Store::for_bot`]); cheap to clone.
#[derive(Clone)]
pub struct Store {
    pool: Pool,
    /// Whose users, settings, kv, jobs and files this handle reads and writes: 0 for the main
    /// bot, a clone's Telegram id for that clone.
    bot: i64,
    /// Whose Telegram sessions this handle reads and writes: '' for the bot's own processes, a
    /// `stream` node's name for that node's.
    node: std::sync::Arc<str>,
}

impl Store {
    /// Opens (creating if needed) the database named by `url`, or `beamgram.db` in `data_dir`
    /// when there is none, and brings its schema up to date.
    pub async fn open(url: Option<&str>, data_dir: &Path) -> Result<Store, StoreError> {
        let url = match url.map(str::trim).filter(|u| !u.is_empty()) {
            Some(u) => u.to_string(),
            None => {
                private_dir(data_dir).map_err(|e| StoreError::Open {
                    url: data_dir.display().to_string(),
                    problem: format!("cannot create the data folder: {e}"),
                })?;
                format!("sqlite://{}", data_dir.join("beamgram.db").display())
            }
        };
        let open_err = |problem: String| StoreError::Open { url: redact(&url), problem };
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = PgPoolOptions::new()
                .max_connections(8)
                .acquire_timeout(Duration::from_secs(10))
                // As SQLite's synchronous=NORMAL: a committed write survives beamgram being
                // killed at any point; only a crash of the database server itself can lose the
                // last moments. Every update saves the session, and waiting for the server's
                // disk on each one would make the database the bot's pace.
                .after_connect(|conn, _| {
                    Box::pin(async move { sqlx::query("SET synchronous_commit = off").execute(conn).await.map(drop) })
                })
                .connect(&url)
                .await
                .map_err(|e| open_err(e.to_string()))?;
            let pool = Pool::Postgres(pool);
            migrate::apply(&pool).await?;
            return Ok(Store { pool, bot: MAIN_BOT, node: "".into() });
        }
        if url.starts_with("mongodb") {
            return Err(open_err(
                "MongoDB is not supported; leave DATABASE_URL unset to use SQLite in the data folder".into(),
            ));
        }
        let options = SqliteConnectOptions::from_str(&url).map_err(|e| open_err(e.to_string()))?;
        // The database holds the link secret and the bots' Telegram keys: owner-only, whatever
        // the umask. SQLite gives its -wal and -shm files the database file's mode.
        let file = options.get_filename().to_path_buf();
        if file.as_os_str() != ":memory:" && !file.as_os_str().is_empty() {
            private_files(&file).map_err(|e| open_err(format!("cannot make the database private: {e}")))?;
        }
        let options = options
            .create_if_missing(true)
            // WAL: readers never wait for the writer; with synchronous=NORMAL a committed
            // transaction survives the process being killed (only a power cut can lose the
            // last ones).
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .map_err(|e| open_err(e.to_string()))?;
        let pool = Pool::Sqlite(pool);
        migrate::apply(&pool).await?;
        Ok(Store { pool, bot: MAIN_BOT, node: "".into() })
    }

    /// A private database in memory, for unit tests and the benchmark.
    pub async fn in_memory() -> Result<Store, StoreError> {
        let options = SqliteConnectOptions::from_str("sqlite::memory:")?;
        // One connection: each in-memory connection would be a database of its own.
        let pool = Pool::Sqlite(SqlitePoolOptions::new().max_connections(1).connect_with(options).await?);
        migrate::apply(&pool).await?;
        Ok(Store { pool, bot: MAIN_BOT, node: "".into() })
    }

    /// The same database seen as `bot` (a clone's id, or [`MAIN_BOT`]): every per-bot table
    /// (users, plugin settings, kv, jobs, files) is read and written for that bot only.
    pub fn for_bot(&self, bot: i64) -> Store {
        Store { pool: self.pool.clone(), bot, node: self.node.clone() }
    }

    /// The same database with the Telegram sessions of node `name` (a `stream` process).
    pub fn for_node(&self, name: &str) -> Store {
        Store { pool: self.pool.clone(), bot: self.bot, node: name.into() }
    }

    /// The bot this handle is for.
    pub fn bot(&self) -> i64 {
        self.bot
    }

    /// Which backend this is, for messages: `sqlite` or `postgres`.
    pub fn backend(&self) -> &'static str {
        if self.pool.is_postgres() { "postgres" } else { "sqlite" }
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// The data folder, created owner-only (0700), or made so.
fn private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
}

/// The database file, created owner-only (0600) before SQLite opens it; it and its WAL and
/// shared-memory files made so when they exist already.
fn private_files(db: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    std::fs::OpenOptions::new().create(true).append(true).mode(0o600).open(db)?;
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut name = db.as_os_str().to_owned();
        name.push(suffix);
        let path = std::path::PathBuf::from(name);
        if path.exists() {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
        }
    }
    Ok(())
}

/// Unix time in milliseconds, as stored.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// The URL without a password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}://…@{}", &url[..s], &url[at + 1..]),
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod postgres_tests;
#[cfg(test)]
mod tests;
