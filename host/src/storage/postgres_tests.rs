//! The store tests that need PostgreSQL itself (two processes racing, moving an install over),
//! and the schema-per-test helpers every store test uses for its PostgreSQL half.

use super::tests::temp_dir;
use super::*;

/// Where the PostgreSQL tests connect: `BEAMGRAM_TEST_POSTGRES`, or the local server.
fn postgres_url() -> String {
    std::env::var("BEAMGRAM_TEST_POSTGRES").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// A store on a fresh PostgreSQL schema of its own for one test, or `None` when no server
/// answers — loudly, and a failure with `CI=true`.
pub(super) async fn postgres_for(name: &str) -> Option<Store> {
    let url = postgres_schema(name).await?;
    Some(Store::open(Some(&url), std::path::Path::new("/nonexistent")).await.expect("PostgreSQL store"))
}

/// The URL of a fresh schema for `name` (earlier runs' schemas of that name are dropped).
pub(super) async fn postgres_schema(name: &str) -> Option<String> {
    let url = postgres_url();
    let admin = match tokio::time::timeout(Duration::from_secs(5), sqlx::PgPool::connect(&url)).await {
        Ok(Ok(p)) => p,
        failed => {
            let why = match failed {
                Ok(Err(e)) => e.to_string(),
                _ => "timed out".into(),
            };
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!("CI=true and PostgreSQL is unreachable at {} ({why})", redact(&url));
            }
            eprintln!(
                "******** SKIPPING the PostgreSQL half of {name}: no server at {} ({why}) ********",
                redact(&url)
            );
            return None;
        }
    };
    let prefix = format!("bg_{}_", name.replace(|c: char| !c.is_ascii_alphanumeric(), "_"));
    let stale: Vec<String> =
        sqlx::query_scalar("SELECT nspname::text FROM pg_namespace WHERE starts_with(nspname, $1)")
            .bind(&prefix)
            .fetch_all(&admin)
            .await
            .expect("schemas");
    let schema = format!("{prefix}{}", std::process::id());
    for sql in
        stale.iter().map(|s| format!("DROP SCHEMA IF EXISTS {s} CASCADE")).chain([format!("CREATE SCHEMA {schema}")])
    {
        sqlx::query(&sql).execute(&admin).await.expect("a test schema");
    }
    admin.close().await;
    let sep = if url.contains('?') { '&' } else { '?' };
    Some(format!("{url}{sep}options=-c%20search_path%3D{schema}"))
}

/// Two processes (two pools) racing to fill the last free places under a cap never overshoot
/// it: SQLite serialises the writers; PostgreSQL takes an advisory lock per namespace.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn caps_hold_when_two_processes_race() {
    let dir = temp_dir("race");
    let mut pairs = vec![(Store::open(None, &dir).await.expect("one"), Store::open(None, &dir).await.expect("two"))];
    if let Some(url) = postgres_schema("caps_race").await {
        let open = || Store::open(Some(&url), std::path::Path::new("/nonexistent"));
        pairs.push((open().await.expect("one"), open().await.expect("two")));
    }
    for (a, b) in pairs {
        let race = |s: Store, side: &'static str| {
            tokio::spawn(async move {
                let mut ok = 0;
                for i in 0..users::MAX_SETTINGS {
                    if s.set_user_setting("p", 1, &format!("{side}{i}"), Some("v")).await.is_ok() {
                        ok += 1;
                    }
                }
                ok
            })
        };
        let (x, y) = (race(a.clone(), "a"), race(b.clone(), "b"));
        let written = x.await.expect("a") + y.await.expect("b");
        assert_eq!(written, users::MAX_SETTINGS, "{}: exactly the cap was written", a.backend());
        let row = a
            .pool
            .fetch_one("SELECT COUNT(*) FROM plugin_user_settings WHERE plugin = 'p'", db::args![])
            .await
            .expect("count");
        assert_eq!(row.first_int().expect("n"), Some(users::MAX_SETTINGS as i64), "{}", a.backend());
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// Several processes started at once on a fresh database (a compose file's nodes) all come up:
/// one migrates, the others wait for it and find the schema current. Without the lock some of
/// them fail on the half-created tables.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn nodes_starting_together_on_a_fresh_database_all_come_up() {
    let Some(url) = postgres_schema("fresh_race").await else { return };
    let opens: Vec<_> = (0..6)
        .map(|_| {
            let url = url.clone();
            tokio::spawn(async move { Store::open(Some(&url), std::path::Path::new("/nonexistent")).await })
        })
        .collect();
    for (i, open) in opens.into_iter().enumerate() {
        let store = open.await.expect("joined").unwrap_or_else(|e| panic!("node {i} failed to start: {e}"));
        let row = store.pool.fetch_one("SELECT COUNT(*) FROM schema_migrations", db::args![]).await.expect("count");
        // PostgreSQL's migrations start at version 3 (the whole schema).
        assert_eq!(row.first_int().expect("n"), Some(super::migrate::known() - 2), "each version recorded once");
        store.close().await;
    }
}

#[tokio::test]
async fn postgres_refuses_a_newer_schema_too() {
    let Some(url) = postgres_schema("newer_pg").await else { return };
    let s = Store::open(Some(&url), std::path::Path::new("/nonexistent")).await.expect("open");
    s.pool
        .execute("INSERT INTO schema_migrations (version, applied_ms) VALUES (999, 0)", db::args![])
        .await
        .expect("fake");
    s.close().await;
    let e = Store::open(Some(&url), std::path::Path::new("/nonexistent")).await.err().expect("refused");
    assert!(matches!(e, StoreError::TooNew { found: 999, .. }), "{e}");
}

/// A single-node install moves to PostgreSQL with everything: the link secret (old links keep
/// working), sessions (no second login), users, settings, kv, jobs (ids kept, new ones after
/// them), files, revocations and clones. A target that is not empty is refused.
#[tokio::test]
async fn an_sqlite_install_moves_to_postgres_whole() {
    let Some(pg) = postgres_for("copy").await else { return };
    let dir = temp_dir("copy");
    let src = Store::open(None, &dir).await.expect("sqlite");
    let secret = src.secret_or_create("link-signing", || vec![7; 32]).await.expect("secret");
    src.save_session(1000, "{\"s\":1}").await.expect("session");
    src.user_seen(&SeenUser { id: 5, first_name: "Ada", last_name: "", username: Some("ada") }).await.expect("user");
    src.set_banned(6, true).await.expect("ban");
    src.set_user_setting("shortener", 5, "shortener.site", Some("x.example")).await.expect("setting");
    src.kv_set("verify", "token:abc", &[0, 159, 255]).await.expect("kv");
    let job = src.job_add("auto-delete", 123, "{\"m\":1}").await.expect("job");
    src.record_file(&FileRecord {
        bin_channel: -100,
        bin_message_id: 9,
        sender_id: 5,
        chat_id: 5,
        message_id: 2,
        name: "ф.mkv",
        mime: "video/x-matroska",
        size: 5_000_000_000,
    })
    .await
    .expect("file");
    src.revoke_file(-100, 9, 5).await.expect("revoke");
    src.clone_saved(4242, 5, "mine_bot", "4242:secret").await.expect("clone");
    src.for_bot(4242).kv_set("p", "k", b"clone's").await.expect("clone kv");

    let counts = src.copy_into(&pg).await.expect("copied");
    assert!(counts.contains(&("users", 2)) && counts.contains(&("clones", 1)), "{counts:?}");
    assert_eq!(pg.secret("link-signing").await.expect("secret"), Some(secret));
    assert_eq!(pg.session(1000).await.expect("session").as_deref(), Some("{\"s\":1}"));
    assert_eq!(pg.user(5).await.expect("user").expect("there").username.as_deref(), Some("ada"));
    assert!(pg.user(6).await.expect("user").expect("there").banned);
    assert_eq!(pg.user_setting("shortener", 5, "shortener.site").await.expect("get").as_deref(), Some("x.example"));
    assert_eq!(pg.kv_get("verify", "token:abc").await.expect("kv"), Some(vec![0, 159, 255]));
    assert_eq!(pg.jobs_due(200, 10).await.expect("due").first().map(|j| j.id), Some(job));
    assert!(pg.job_add("auto-delete", 1, "next").await.expect("a new job") > job, "new ids follow the old");
    assert_eq!(pg.file_totals().await.expect("totals"), (1, 5_000_000_000));
    assert!(pg.is_revoked(-100, 9).await.expect("revoked"));
    assert_eq!(pg.clone_record(4242).await.expect("clone").expect("there").token, "4242:secret");
    assert_eq!(pg.for_bot(4242).kv_get("p", "k").await.expect("kv").as_deref(), Some(&b"clone's"[..]));

    let again = src.copy_into(&pg).await.expect_err("a second copy is refused");
    assert!(again.to_string().contains("not empty"), "{again}");
    src.close().await;
    let _ = std::fs::remove_dir_all(dir);
}
