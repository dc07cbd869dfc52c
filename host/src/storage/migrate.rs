//! Schema migrations, applied in order at start, each in its own transaction, recorded in
//! `schema_migrations`. A database from a newer build is refused rather than guessed at.

use super::StoreError;

/// (version, SQL). Append only: a released migration never changes.
const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("migrations/0001_initial.sql")),
    (2, include_str!("migrations/0002_trust.sql")),
    (3, include_str!("migrations/0003_clones.sql")),
];

pub async fn apply(pool: &sqlx::SqlitePool) -> Result<(), StoreError> {
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_ms BIGINT NOT NULL)",
    )
    .execute(pool)
    .await?;
    let current: i64 =
        sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").fetch_one(pool).await?;
    let known = MIGRATIONS.last().map(|m| m.0).unwrap_or(0);
    if current > known {
        return Err(StoreError::TooNew { found: current, known });
    }
    for (version, sql) in MIGRATIONS.iter().filter(|m| m.0 > current) {
        let fail = |source| StoreError::Migrate { version: *version, source };
        let mut tx = pool.begin().await.map_err(fail)?;
        // Comments first: they may contain semicolons.
        for statement in strip_comments(sql).split(';').map(str::trim).filter(|s| !s.is_empty()) {
            sqlx::query(statement).execute(&mut *tx).await.map_err(fail)?;
        }
        sqlx::query("INSERT INTO schema_migrations (version, applied_ms) VALUES (?, ?)")
            .bind(version)
            .bind(super::now_ms())
            .execute(&mut *tx)
            .await
            .map_err(fail)?;
        tx.commit().await.map_err(fail)?;
        tracing::info!(version, "database migrated");
    }
    Ok(())
}

fn strip_comments(s: &str) -> String {
    s.lines().filter(|l| !l.trim_start().starts_with("--")).collect::<Vec<_>>().join("\n").trim().to_string()
}
