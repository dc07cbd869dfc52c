use super::*;

fn temp_dir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("beamgram-store-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

#[tokio::test]
async fn users_settings_and_bans() {
    let s = Store::in_memory().await.expect("store");
    let u =
        s.user_seen(&SeenUser { id: 7, first_name: "Ada", last_name: "L", username: Some("ada") }).await.expect("seen");
    assert_eq!(u.name, "Ada L");
    assert!(!u.banned);
    assert!(s.set_banned(7, true).await.expect("ban"));
    assert!(!s.set_banned(7, true).await.expect("ban twice changes nothing"));
    assert!(s.set_banned(99, true).await.expect("ban ahead"));
    assert!(!s.set_banned(1234, false).await.expect("unban unknown"));
    let c = s.user_counts().await.expect("counts");
    assert_eq!((c.total, c.banned), (2, 2));
    assert!(s.set_banned(7, false).await.expect("unban"));
    s.set_user_setting(7, "shortener.site", Some("a.example")).await.expect("set");
    assert_eq!(s.user_setting(7, "shortener.site").await.expect("get").as_deref(), Some("a.example"));
    s.set_user_setting(7, "shortener.site", None).await.expect("unset");
    assert_eq!(s.user_setting(7, "shortener.site").await.expect("get"), None);
    let after: Vec<i64> = s.users_after(0, 10).await.expect("page").iter().map(|u| u.id).collect();
    assert_eq!(after, vec![7, 99]);
    assert_eq!(s.users_after(7, 10).await.expect("page").len(), 1);
}

#[tokio::test]
async fn kv_caps_and_prefixes() {
    let s = Store::in_memory().await.expect("store");
    s.kv_set("a", "k1", b"v1").await.expect("set");
    s.kv_set("a", "k2", b"v2").await.expect("set");
    s.kv_set("a", "l%", b"v").await.expect("set");
    s.kv_set("b", "k1", b"other").await.expect("set");
    assert_eq!(s.kv_keys("a", "k", 10).await.expect("keys"), vec!["k1", "k2"]);
    assert_eq!(s.kv_keys("a", "k", 1).await.expect("keys"), vec!["k1"]);
    assert_eq!(s.kv_get("b", "k1").await.expect("get"), Some(b"other".to_vec()));
    assert!(s.kv_delete("a", "k1").await.expect("delete"));
    assert!(!s.kv_delete("a", "k1").await.expect("delete twice"));
    assert!(matches!(s.kv_set("a", "big", &vec![0; MAX_VALUE + 1]).await, Err(StoreError::Limit(_))));
    assert!(matches!(s.kv_set("a", "", b"x").await, Err(StoreError::Limit(_))));
    s.kv_set("a", "k2", b"overwritten").await.expect("overwrite");
    assert_eq!(s.kv_get("a", "k2").await.expect("get"), Some(b"overwritten".to_vec()));
}

#[tokio::test]
async fn jobs_come_due_in_order_and_belong_to_their_plugin() {
    let s = Store::in_memory().await.expect("store");
    let late = s.job_add("p", 2_000, "late").await.expect("add");
    let early = s.job_add("p", 1_000, "early").await.expect("add");
    assert_eq!(s.next_job_due().await.expect("next"), Some(1_000));
    let due: Vec<String> = s.jobs_due(1_500, 10).await.expect("due").into_iter().map(|j| j.payload).collect();
    assert_eq!(due, vec!["early"]);
    assert!(!s.job_cancel("other", late).await.expect("cancel foreign"));
    s.job_retry(early, 3_000).await.expect("retry");
    let all = s.jobs_due(10_000, 10).await.expect("due");
    assert_eq!(all.iter().map(|j| j.payload.as_str()).collect::<Vec<_>>(), vec!["late", "early"]);
    assert_eq!(all[1].attempts, 1);
    s.job_done(early).await.expect("done");
    assert!(s.job_cancel("p", late).await.expect("cancel"));
    assert_eq!(s.next_job_due().await.expect("next"), None);
}

#[tokio::test]
async fn file_survives_reopen_with_wal_and_secret_is_stable() {
    let dir = temp_dir("reopen");
    let s = Store::open(None, &dir).await.expect("open");
    let secret = s.secret_or_create("links", || vec![1, 2, 3]).await.expect("secret");
    s.save_session(5, "{\"x\":1}").await.expect("session");
    s.record_file(&FileRecord {
        bin_channel: -100,
        bin_message_id: 3,
        sender_id: 7,
        chat_id: 7,
        message_id: 1,
        name: "a.mp4",
        mime: "video/mp4",
        size: 10,
    })
    .await
    .expect("file");
    // Not closed: the second handle sees what a killed process left behind.
    let again = Store::open(None, &dir).await.expect("reopen");
    assert_eq!(again.secret_or_create("links", || vec![9]).await.expect("secret"), secret);
    assert_eq!(again.session(5).await.expect("session").as_deref(), Some("{\"x\":1}"));
    assert_eq!(again.file_totals().await.expect("totals"), (1, 10));
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode").fetch_one(&again.pool).await.expect("pragma");
    assert_eq!(mode, "wal");
    drop((s, again));
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn unsupported_urls_are_refused_clearly() {
    let dir = temp_dir("urls");
    let e = Store::open(Some("postgres://u:pw@db/beamgram"), &dir).await.err().expect("refused");
    let msg = e.to_string();
    assert!(msg.contains("SQLite backend only"), "{msg}");
    assert!(!msg.contains("pw"), "password leaked: {msg}");
    let e = Store::open(Some("mongodb+srv://x"), &dir).await.err().expect("refused");
    assert!(e.to_string().contains("MongoDB"));
}

#[tokio::test]
async fn newer_schema_is_refused() {
    let dir = temp_dir("newer");
    let s = Store::open(None, &dir).await.expect("open");
    sqlx::query("INSERT INTO schema_migrations (version, applied_ms) VALUES (999, 0)")
        .execute(&s.pool)
        .await
        .expect("fake");
    s.close().await;
    let e = Store::open(None, &dir).await.err().expect("refused");
    assert!(matches!(e, StoreError::TooNew { found: 999, .. }), "{e}");
    let _ = std::fs::remove_dir_all(dir);
}
