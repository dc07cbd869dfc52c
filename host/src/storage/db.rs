//! The two database backends behind one small query API: SQLite (a file in the data folder, the
//! default) and PostgreSQL (shared by several processes). Callers write each statement once,
//! with `?` placeholders and types both engines read alike (BIGINT for every integer, BOOLEAN,
//! TEXT, BLOB/BYTEA); for PostgreSQL the placeholders become `$1…` here. Values go in as
//! [`Arg`]s and come out of a [`Row`] by column name, so no caller names a backend.

use sqlx::postgres::{PgPool, PgRow};
use sqlx::sqlite::{SqlitePool, SqliteRow};
use sqlx::{Postgres, Row as _, Sqlite};

/// An open database.
#[derive(Clone)]
pub enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// One bound value.
#[derive(Clone, Debug)]
pub enum Arg {
    Int(i64),
    OptInt(Option<i64>),
    Text(String),
    OptText(Option<String>),
    Bytes(Vec<u8>),
    Bool(bool),
}

impl From<i64> for Arg {
    fn from(v: i64) -> Arg {
        Arg::Int(v)
    }
}
impl From<i32> for Arg {
    fn from(v: i32) -> Arg {
        Arg::Int(v.into())
    }
}
impl From<Option<i64>> for Arg {
    fn from(v: Option<i64>) -> Arg {
        Arg::OptInt(v)
    }
}
impl From<&str> for Arg {
    fn from(v: &str) -> Arg {
        Arg::Text(v.to_string())
    }
}
impl From<Option<&str>> for Arg {
    fn from(v: Option<&str>) -> Arg {
        Arg::OptText(v.map(str::to_string))
    }
}
impl From<&[u8]> for Arg {
    fn from(v: &[u8]) -> Arg {
        Arg::Bytes(v.to_vec())
    }
}
impl From<bool> for Arg {
    fn from(v: bool) -> Arg {
        Arg::Bool(v)
    }
}

/// `args![a, b]`: the values of a statement, in placeholder order.
macro_rules! args {
    ($($v:expr),* $(,)?) => { &[$($crate::storage::db::Arg::from($v)),*][..] };
}
pub(crate) use args;

/// A row of either backend.
pub enum Row {
    Sqlite(SqliteRow),
    Postgres(PgRow),
}

impl Row {
    pub fn int(&self, col: &str) -> Result<i64, sqlx::Error> {
        match self {
            Row::Sqlite(r) => r.try_get(col),
            Row::Postgres(r) => r.try_get(col),
        }
    }

    pub fn opt_int(&self, col: &str) -> Result<Option<i64>, sqlx::Error> {
        match self {
            Row::Sqlite(r) => r.try_get(col),
            Row::Postgres(r) => r.try_get(col),
        }
    }

    pub fn text(&self, col: &str) -> Result<String, sqlx::Error> {
        match self {
            Row::Sqlite(r) => r.try_get(col),
            Row::Postgres(r) => r.try_get(col),
        }
    }

    pub fn opt_text(&self, col: &str) -> Result<Option<String>, sqlx::Error> {
        match self {
            Row::Sqlite(r) => r.try_get(col),
            Row::Postgres(r) => r.try_get(col),
        }
    }

    pub fn bool(&self, col: &str) -> Result<bool, sqlx::Error> {
        match self {
            Row::Sqlite(r) => r.try_get(col),
            Row::Postgres(r) => r.try_get(col),
        }
    }

    pub fn bytes(&self, col: &str) -> Result<Vec<u8>, sqlx::Error> {
        match self {
            Row::Sqlite(r) => r.try_get(col),
            Row::Postgres(r) => r.try_get(col),
        }
    }

    /// The first column, an integer or NULL (`COUNT(*)`, `MIN(…)`).
    pub fn first_int(&self) -> Result<Option<i64>, sqlx::Error> {
        match self {
            Row::Sqlite(r) => r.try_get(0),
            Row::Postgres(r) => r.try_get(0),
        }
    }
}

/// `?` → `$1, $2…`, leaving quoted text alone.
pub fn numbered(sql: &str) -> String {
    let (mut out, mut n, mut quoted) = (String::with_capacity(sql.len() + 8), 0, false);
    for c in sql.chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                out.push(c);
            }
            '?' if !quoted => {
                n += 1;
                out.push_str(&format!("${n}"));
            }
            _ => out.push(c),
        }
    }
    out
}

type SqliteQuery<'q> = sqlx::query::Query<'q, Sqlite, sqlx::sqlite::SqliteArguments<'q>>;
type PgQuery<'q> = sqlx::query::Query<'q, Postgres, sqlx::postgres::PgArguments>;

/// The statement with its values bound in order; one body for both backends' query types.
macro_rules! bound {
    ($sql:expr, $args:expr) => {
        $args.iter().fold(sqlx::query($sql), |q, a| match a {
            Arg::Int(v) => q.bind(*v),
            Arg::OptInt(v) => q.bind(*v),
            Arg::Text(v) => q.bind(v.as_str()),
            Arg::OptText(v) => q.bind(v.as_deref()),
            Arg::Bytes(v) => q.bind(v.as_slice()),
            Arg::Bool(v) => q.bind(*v),
        })
    };
}

fn sqlite_query<'q>(sql: &'q str, args: &'q [Arg]) -> SqliteQuery<'q> {
    bound!(sql, args)
}

fn pg_query<'q>(sql: &'q str, args: &'q [Arg]) -> PgQuery<'q> {
    bound!(sql, args)
}

impl Pool {
    pub fn is_postgres(&self) -> bool {
        matches!(self, Pool::Postgres(_))
    }

    /// Runs a statement; the rows it changed.
    pub async fn execute(&self, sql: &str, args: &[Arg]) -> Result<u64, sqlx::Error> {
        Ok(match self {
            Pool::Sqlite(p) => sqlite_query(sql, args).execute(p).await?.rows_affected(),
            Pool::Postgres(p) => pg_query(&numbered(sql), args).execute(p).await?.rows_affected(),
        })
    }

    pub async fn fetch_all(&self, sql: &str, args: &[Arg]) -> Result<Vec<Row>, sqlx::Error> {
        Ok(match self {
            Pool::Sqlite(p) => sqlite_query(sql, args).fetch_all(p).await?.into_iter().map(Row::Sqlite).collect(),
            Pool::Postgres(p) => {
                pg_query(&numbered(sql), args).fetch_all(p).await?.into_iter().map(Row::Postgres).collect()
            }
        })
    }

    pub async fn fetch_optional(&self, sql: &str, args: &[Arg]) -> Result<Option<Row>, sqlx::Error> {
        Ok(match self {
            Pool::Sqlite(p) => sqlite_query(sql, args).fetch_optional(p).await?.map(Row::Sqlite),
            Pool::Postgres(p) => pg_query(&numbered(sql), args).fetch_optional(p).await?.map(Row::Postgres),
        })
    }

    pub async fn fetch_one(&self, sql: &str, args: &[Arg]) -> Result<Row, sqlx::Error> {
        self.fetch_optional(sql, args).await?.ok_or(sqlx::Error::RowNotFound)
    }

    /// Runs the statements in one transaction: all of them or none. With `lock`, PostgreSQL
    /// first takes that transaction-scoped advisory lock, so a check-then-write cannot
    /// interleave with another process's (SQLite serialises writers itself).
    pub async fn transaction<S: AsRef<str>>(
        &self,
        lock: Option<i64>,
        steps: &[(S, Vec<Arg>)],
    ) -> Result<Vec<u64>, sqlx::Error> {
        let mut changed = Vec::with_capacity(steps.len());
        match self {
            Pool::Sqlite(p) => {
                let mut tx = p.begin().await?;
                for (sql, args) in steps {
                    changed.push(sqlite_query(sql.as_ref(), args).execute(&mut *tx).await?.rows_affected());
                }
                tx.commit().await?;
            }
            Pool::Postgres(p) => {
                let mut tx = p.begin().await?;
                if let Some(key) = lock {
                    sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(key).execute(&mut *tx).await?;
                }
                for (sql, args) in steps {
                    let sql = numbered(sql.as_ref());
                    changed.push(pg_query(&sql, args).execute(&mut *tx).await?.rows_affected());
                }
                tx.commit().await?;
            }
        }
        Ok(changed)
    }

    /// Takes a session-level advisory lock on a connection of its own (PostgreSQL; SQLite
    /// serialises writers itself), for work spanning several transactions, such as migrations.
    /// It is released by [`HeldLock::release`], or when the process dies and its connection ends.
    pub async fn hold_lock(&self, key: i64) -> Result<HeldLock, sqlx::Error> {
        match self {
            Pool::Sqlite(_) => Ok(HeldLock(None)),
            Pool::Postgres(p) => {
                // Detached: back in the pool the connection would keep the lock.
                let mut conn = p.acquire().await?.detach();
                sqlx::query("SELECT pg_advisory_lock($1)").bind(key).execute(&mut conn).await?;
                Ok(HeldLock(Some(conn)))
            }
        }
    }

    pub async fn close(&self) {
        match self {
            Pool::Sqlite(p) => p.close().await,
            Pool::Postgres(p) => p.close().await,
        }
    }
}

/// A lock from [`Pool::hold_lock`]; closing its connection ends the session that holds it.
pub struct HeldLock(Option<sqlx::PgConnection>);

impl HeldLock {
    pub async fn release(self) {
        if let Some(conn) = self.0 {
            use sqlx::Connection as _;
            let _ = conn.close().await;
        }
    }
}

/// A stable 64-bit key for an advisory lock on `parts` (FNV-1a).
pub fn lock_key(parts: &[&str]) -> i64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for b in p.bytes().chain([0]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_outside_quotes() {
        assert_eq!(numbered("SELECT ? WHERE a = '?' AND b = ?"), "SELECT $1 WHERE a = '?' AND b = $2");
        assert_eq!(numbered("no placeholders"), "no placeholders");
    }

    #[test]
    fn lock_keys_separate_their_parts() {
        assert_ne!(lock_key(&["ab", "c"]), lock_key(&["a", "bc"]));
        assert_eq!(lock_key(&["kv", "p"]), lock_key(&["kv", "p"]));
    }
}
