//! A PostgreSQL schema of its own for a multi-process test, on the server the store tests use.

use std::time::Duration;

/// A fresh schema on the test server, as a `DATABASE_URL`, or `None` (said) without a server.
pub async fn postgres(name: &str) -> Option<String> {
    let url =
        std::env::var("BEAMGRAM_TEST_POSTGRES").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let admin = match tokio::time::timeout(Duration::from_secs(5), sqlx::PgPool::connect(&url)).await {
        Ok(Ok(p)) => p,
        _ if std::env::var("CI").as_deref() == Ok("true") => panic!("CI=true and PostgreSQL is unreachable"),
        _ => {
            eprintln!("******** SKIPPING {name}: no PostgreSQL server ********");
            return None;
        }
    };
    let schema = format!("bg_roles_{name}_{}", std::process::id());
    for sql in [format!("DROP SCHEMA IF EXISTS {schema} CASCADE"), format!("CREATE SCHEMA {schema}")] {
        sqlx::query(&sql).execute(&admin).await.expect("schema");
    }
    Some(format!("{url}?options=-c%20search_path%3D{schema}"))
}
