//! Schema migrations, applied in order at start, each in its own transaction, recorded in
//! `schema_migrations`. A database from a newer build is refused rather than guessed at.
//!
//! Versions are shared by both backends: version N is the same tables and keys on SQLite and
//! PostgreSQL, written in each one's dialect. PostgreSQL was first offered at version 3, so its
//! list starts there with the whole schema.

use super::StoreError;
use super::db::{Arg, Pool, args, lock_key};

const SQLITE: &[(i64, &str)] = &[
    (1, include_str!("migrations/0001_initial.sql")),
    (2, include_str!("migrations/0002_trust.sql")),
    (3, include_str!("migrations/0003_clones.sql")),
    (4, include_str!("migrations/0004_roles.sql")),
    (5, include_str!("migrations/0005_files_and_channels.sql")),
];

const POSTGRES: &[(i64, &str)] = &[
    (3, include_str!("migrations/postgres/0003_schema.sql")),
    (4, include_str!("migrations/postgres/0004_roles.sql")),
    (5, include_str!("migrations/postgres/0005_files_and_channels.sql")),
];

/// The schema version this build writes.
pub fn known() -> i64 {
    SQLITE.last().map(|m| m.0).unwrap_or(0)
}

/// Brings the schema up to date. Processes starting together on a fresh PostgreSQL database
/// take turns (a session advisory lock): the first migrates, the others then find nothing to do.
pub async fn apply(pool: &Pool) -> Result<(), StoreError> {
    let lock = pool.hold_lock(lock_key(&["schema_migrations"])).await?;
    let result = apply_pending(pool).await;
    lock.release().await;
    result
}

async fn apply_pending(pool: &Pool) -> Result<(), StoreError> {
    pool.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_ms BIGINT NOT NULL)",
        args![],
    )
    .await?;
    let current =
        pool.fetch_one("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", args![]).await?.first_int()?;
    let current = current.unwrap_or(0);
    if current > known() {
        return Err(StoreError::TooNew { found: current, known: known() });
    }
    let list = if pool.is_postgres() { POSTGRES } else { SQLITE };
    for (version, sql) in list.iter().filter(|m| m.0 > current) {
        // Comments first: they may contain semicolons.
        let text = strip_comments(sql);
        let mut steps: Vec<(&str, Vec<Arg>)> =
            text.split(';').map(str::trim).filter(|s| !s.is_empty()).map(|s| (s, Vec::new())).collect();
        let record = args![*version, super::now_ms()].to_vec();
        steps.push(("INSERT INTO schema_migrations (version, applied_ms) VALUES (?, ?)", record));
        pool.transaction(None, &steps).await.map_err(|source| StoreError::Migrate { version: *version, source })?;
        tracing::info!(version, "database migrated");
    }
    Ok(())
}

fn strip_comments(s: &str) -> String {
    s.lines().filter(|l| !l.trim_start().starts_with("--")).collect::<Vec<_>>().join("\n").trim().to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn both_backends_end_at_the_same_version() {
        assert_eq!(super::SQLITE.last().map(|m| m.0), super::POSTGRES.last().map(|m| m.0));
    }
}
