//! A PostgreSQL schema of its own for a multi-process test, on the server the store tests use,
//! and the configuration its processes share.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::SimSetup;

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

/// The configuration every process of a multi-process test runs with: the simulator's bot on
/// `database_url`, the first-party `plugins` named (none: no plugins), the world's user as the
/// admin, a 4 s lease; `http_extra` adds lines to `[http]`.
pub fn shared_config(w: &SimSetup, dir: &Path, database_url: &str, http_extra: &str, plugins: &[&str]) -> PathBuf {
    let plugin_dir = dir.join("plugins");
    std::fs::create_dir_all(&plugin_dir).expect("plugin dir");
    if !plugins.is_empty() {
        super::staging::first_party_into(&plugin_dir, plugins);
    }
    let storage = format!("database_url = \"{database_url}\"");
    super::process::bot_config(w, dir, &plugin_dir, http_extra, &storage, "[node]\nlease_secs = 4")
}
