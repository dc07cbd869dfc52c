//! What the store costs the bot: the writes every update makes (the sender's record, the
//! session's update state) and plugin kv calls, on a real SQLite file (WAL, synchronous=NORMAL)
//! against the same operations on an in-memory database (the baseline: SQL without the disk),
//! and on PostgreSQL when one answers (`BEAMGRAM_TEST_POSTGRES`, else the local server), as a
//! ratio to the SQLite file.

use std::time::{Duration, Instant};

use beamgram::storage::{SeenUser, Store};

use super::pct;

const N: usize = 2000;

async fn measure(store: &Store) -> Vec<(&'static str, Duration, Duration)> {
    let session = "x".repeat(2500); // about what a bot's session serialises to
    let mut out = Vec::new();
    let mut times = Vec::with_capacity(N);
    for i in 0..N {
        let t = Instant::now();
        let id = 10_000 + (i % 500) as i64;
        store.user_seen(&SeenUser { id, first_name: "Bench", last_name: "", username: None }).await.expect("user");
        store.save_session(1, &session).await.expect("session");
        times.push(t.elapsed());
    }
    out.push(("per update: record the sender + save the session", pct(&mut times, 0.5), pct(&mut times, 0.99)));
    times.clear();
    for i in 0..N {
        let t = Instant::now();
        store.kv_set("bench", &format!("k{}", i % 300), &[7u8; 200]).await.expect("kv");
        times.push(t.elapsed());
    }
    out.push(("plugin kv set (200 bytes)", pct(&mut times, 0.5), pct(&mut times, 0.99)));
    times.clear();
    for i in 0..N {
        let t = Instant::now();
        store.kv_get("bench", &format!("k{}", i % 300)).await.expect("kv");
        times.push(t.elapsed());
    }
    out.push(("plugin kv get", pct(&mut times, 0.5), pct(&mut times, 0.99)));
    out
}

pub async fn run() {
    let dir = std::env::temp_dir().join(format!("beamgram-bench-store-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let file = Store::open(None, &dir).await.expect("store");
    let memory = Store::in_memory().await.expect("store");
    let on_file = measure(&file).await;
    let in_memory = measure(&memory).await;
    println!("\nstore ({N} operations each; SQLite file vs in-memory baseline):");
    for ((what, p50, p99), (_, m50, m99)) in on_file.iter().zip(&in_memory) {
        println!(
            "  {what}: p50 {:.0} µs, p99 {:.0} µs (in memory: p50 {:.0} µs, p99 {:.0} µs; {:.1}× at p50)",
            p50.as_secs_f64() * 1e6,
            p99.as_secs_f64() * 1e6,
            m50.as_secs_f64() * 1e6,
            m99.as_secs_f64() * 1e6,
            p50.as_secs_f64() / m50.as_secs_f64().max(1e-9)
        );
    }
    if let Some(pg) = postgres().await {
        let on_pg = measure(&pg).await;
        println!("store on PostgreSQL (loopback; same operations):");
        for ((what, p50, p99), (_, f50, _)) in on_pg.iter().zip(&on_file) {
            println!(
                "  {what}: p50 {:.0} µs, p99 {:.0} µs ({:.1}× the SQLite file at p50)",
                p50.as_secs_f64() * 1e6,
                p99.as_secs_f64() * 1e6,
                p50.as_secs_f64() / f50.as_secs_f64().max(1e-9)
            );
        }
        pg.close().await;
    }
    file.close().await;
    let _ = std::fs::remove_dir_all(dir);
}

/// A store on a fresh schema of the PostgreSQL server the tests use, or `None` (said) when
/// none answers.
async fn postgres() -> Option<Store> {
    let url =
        std::env::var("BEAMGRAM_TEST_POSTGRES").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let schema = format!("bg_bench_{}", std::process::id());
    let create = async {
        let admin = sqlx::PgPool::connect(&url).await.ok()?;
        for sql in [format!("DROP SCHEMA IF EXISTS {schema} CASCADE"), format!("CREATE SCHEMA {schema}")] {
            sqlx::query(&sql).execute(&admin).await.ok()?;
        }
        Some(())
    };
    if tokio::time::timeout(Duration::from_secs(5), create).await.ok().flatten().is_none() {
        println!("store on PostgreSQL: skipped (no server at the test URL)");
        return None;
    }
    let scoped = format!("{url}?options=-c%20search_path%3D{schema}");
    Store::open(Some(&scoped), std::path::Path::new("/nonexistent")).await.ok()
}
