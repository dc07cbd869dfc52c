use super::postgres_tests::postgres_for;
use super::*;

/// The stores a test runs against: SQLite in memory, and PostgreSQL when one answers.
async fn backends(name: &str) -> Vec<Store> {
    let mut out = vec![Store::in_memory().await.expect("store")];
    out.extend(postgres_for(name).await);
    out
}

pub(super) fn temp_dir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("beamgram-store-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

#[tokio::test]
async fn users_settings_and_bans() {
    for s in backends("users_settings_and_b").await {
        users_settings_and_bans_on(s).await;
    }
}

async fn users_settings_and_bans_on(s: Store) {
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
    s.set_user_setting("shortener", 7, "shortener.site", Some("a.example")).await.expect("set");
    assert_eq!(s.user_setting("shortener", 7, "shortener.site").await.expect("get").as_deref(), Some("a.example"));
    assert_eq!(s.user_setting("other", 7, "shortener.site").await.expect("get"), None, "namespaced by plugin");
    s.set_user_setting("shortener", 7, "shortener.site", None).await.expect("unset");
    assert_eq!(s.user_setting("shortener", 7, "shortener.site").await.expect("get"), None);
    for i in 0..users::MAX_SETTINGS {
        s.set_user_setting("p", 8, &format!("k{i}"), Some("v")).await.expect("within the cap");
    }
    s.set_user_setting("p", 8, "k0", Some("changed")).await.expect("an existing setting can change");
    assert!(matches!(s.set_user_setting("p", 8, "one-more", Some("v")).await, Err(StoreError::Limit(_))));
    s.set_user_setting("p", 9, "k", Some("v")).await.expect("another user has their own cap");
    let after: Vec<i64> = s.users_after(0, 10).await.expect("page").iter().map(|u| u.id).collect();
    assert_eq!(after, vec![7, 99]);
    assert_eq!(s.users_after(7, 10).await.expect("page").len(), 1);
}

#[tokio::test]
async fn kv_caps_and_prefixes() {
    for s in backends("kv_caps_and_prefixes").await {
        kv_caps_and_prefixes_on(s).await;
    }
}

async fn kv_caps_and_prefixes_on(s: Store) {
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
    for s in backends("jobs_come_due_in_ord").await {
        jobs_come_due_in_order_and_belong_to_their_plugin_on(s).await;
    }
}

async fn jobs_come_due_in_order_and_belong_to_their_plugin_on(s: Store) {
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
    let mode = again.pool.fetch_one("PRAGMA journal_mode", db::args![]).await.and_then(|r| r.text("journal_mode"));
    let mode = mode.expect("pragma");
    assert_eq!(mode, "wal");
    drop((s, again));
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn unsupported_urls_are_refused_clearly() {
    let dir = temp_dir("urls");
    // Nothing listens on port 1: the error names the server, never the password.
    let e = Store::open(Some("postgres://u:secretpw@127.0.0.1:1/beamgram"), &dir).await.err().expect("refused");
    let msg = e.to_string();
    assert!(msg.contains("127.0.0.1:1/beamgram"), "{msg}");
    assert!(!msg.contains("secretpw"), "password leaked: {msg}");
    let e = Store::open(Some("mongodb+srv://x"), &dir).await.err().expect("refused");
    assert!(e.to_string().contains("MongoDB"));
}

#[tokio::test]
async fn newer_schema_is_refused() {
    let dir = temp_dir("newer");
    let s = Store::open(None, &dir).await.expect("open");
    s.pool
        .execute("INSERT INTO schema_migrations (version, applied_ms) VALUES (999, 0)", db::args![])
        .await
        .expect("fake");
    s.close().await;
    let e = Store::open(None, &dir).await.err().expect("refused");
    assert!(matches!(e, StoreError::TooNew { found: 999, .. }), "{e}");
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn revocations_by_file_and_by_sender() {
    for s in backends("revocations_by_file_").await {
        revocations_by_file_and_by_sender_on(s).await;
    }
}

async fn revocations_by_file_and_by_sender_on(s: Store) {
    for (id, sender) in [(10, 1), (11, 1), (12, 2)] {
        let f = FileRecord {
            bin_channel: -100,
            bin_message_id: id,
            sender_id: sender,
            chat_id: sender,
            message_id: 1,
            name: "f",
            mime: "video/mp4",
            size: 1,
        };
        s.record_file(&f).await.expect("record");
    }
    assert_eq!(s.file_sender(-100, 11).await.expect("sender"), Some(1));
    assert!(!s.is_revoked(-100, 12).await.expect("read"));
    s.revoke_file(-100, 12, 2).await.expect("revoke");
    assert!(s.is_revoked(-100, 12).await.expect("read"));
    assert_eq!(s.revoke_files_of(-100, 1, 0).await.expect("revoke all"), 2);
    assert!(s.is_revoked(-100, 10).await.expect("read") && s.is_revoked(-100, 11).await.expect("read"));
    assert!(!s.is_revoked(-200, 10).await.expect("read"), "per bin channel");
}

#[tokio::test]
async fn subtitles_attach_to_the_file_a_reply_points_at() {
    for s in backends("subtitles_attach_to_").await {
        subtitles_attach_to_the_file_a_reply_points_at_on(s).await;
    }
}

async fn subtitles_attach_to_the_file_a_reply_points_at_on(s: Store) {
    let video = FileRecord {
        bin_channel: -100,
        bin_message_id: 40,
        sender_id: 7,
        chat_id: 7,
        message_id: 3,
        name: "film.mkv",
        mime: "video/x-matroska",
        size: 9,
    };
    s.record_file(&video).await.expect("record");
    let found = s.file_sent_at(-100, 7, 3).await.expect("read").expect("the video");
    assert_eq!((found.bin_message_id, found.sender_id, found.name.as_str()), (40, 7, "film.mkv"));
    assert_eq!(s.file_sent_at(-100, 8, 3).await.expect("read"), None, "another chat's message 3");
    assert_eq!(s.file_sent_at(-200, 7, 3).await.expect("read"), None, "another bin channel");
    let en = SubtitleTrack { message: 41, label: "English".into(), lang: Some("en".into()) };
    let other = SubtitleTrack { message: 42, label: "commentary".into(), lang: None };
    s.attach_subtitle(-100, 40, &en).await.expect("attach");
    s.attach_subtitle(-100, 40, &other).await.expect("attach");
    s.attach_subtitle(-100, 40, &en).await.expect("again changes nothing");
    assert_eq!(s.subtitles_of(-100, 40).await.expect("read"), vec![en, other]);
    assert!(s.subtitles_of(-100, 41).await.expect("read").is_empty());
    assert!(s.for_bot(5).subtitles_of(-100, 40).await.expect("read").is_empty(), "per bot");

    let a = s.add_link_name(-100, 40, "Holiday.mkv").await.expect("named");
    let b = s.add_link_name(-100, 40, "Holiday (2).mkv").await.expect("named again");
    assert_ne!(a, b, "each name its own id");
    assert_eq!(s.link_name(-100, 40, a).await.expect("read").as_deref(), Some("Holiday.mkv"));
    assert_eq!(s.link_name(-100, 40, b).await.expect("read").as_deref(), Some("Holiday (2).mkv"));
    assert_eq!(s.link_name(-100, 41, a).await.expect("read"), None, "a name belongs to its file");
    assert_eq!(s.for_bot(5).link_name(-100, 40, a).await.expect("read"), None, "and to its bot");

    assert!(!s.channel_mode(-1009).await.expect("read"), "off until switched on");
    s.set_channel_mode(-1009, true, 7).await.expect("on");
    assert!(s.channel_mode(-1009).await.expect("read"));
    assert!(!s.for_bot(5).channel_mode(-1009).await.expect("read"), "per bot");
    s.set_channel_mode(-1009, false, 0).await.expect("off");
    assert!(!s.channel_mode(-1009).await.expect("read"));
}

#[tokio::test]
async fn settings_written_before_namespaces_move_to_their_plugin() {
    let dir = temp_dir("settings-migrate");
    std::fs::create_dir_all(&dir).expect("dir");
    let url = format!("sqlite://{}", dir.join("old.db").display());
    {
        let opts = sqlx::sqlite::SqliteConnectOptions::from_str(&url).expect("url").create_if_missing(true);
        let pool = sqlx::SqlitePool::connect_with(opts).await.expect("open");
        sqlx::query("CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, applied_ms BIGINT NOT NULL)")
            .execute(&pool)
            .await
            .expect("table");
        let v1: String = include_str!("migrations/0001_initial.sql")
            .lines()
            .filter(|l| !l.trim_start().starts_with("--"))
            .collect::<Vec<_>>()
            .join("\n");
        for stmt in v1.split(';').map(str::trim).filter(|s| !s.is_empty()) {
            sqlx::query(stmt).execute(&pool).await.expect("0001");
        }
        sqlx::query("INSERT INTO schema_migrations VALUES (1, 0)").execute(&pool).await.expect("v1");
        sqlx::query("INSERT INTO user_settings VALUES (7, 'shortener.key', 'k'), (7, 'odd', 'v')")
            .execute(&pool)
            .await
            .expect("old settings");
        pool.close().await;
    }
    let s = Store::open(Some(&url), &dir).await.expect("migrates");
    assert_eq!(s.user_setting("shortener", 7, "shortener.key").await.expect("get").as_deref(), Some("k"));
    assert_eq!(s.user_setting("", 7, "odd").await.expect("get").as_deref(), Some("v"), "nothing is lost");
    s.close().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn the_data_folder_and_database_are_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = temp_dir("modes");
    // A folder left world-readable by an older version or a careless umask is tightened too.
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let s = Store::open(None, &dir).await.expect("open");
    s.kv_set("p", "k", b"v").await.expect("a write, so the WAL exists");
    let mode = |p: &std::path::Path| std::fs::metadata(p).expect("stat").permissions().mode() & 0o777;
    assert_eq!(mode(&dir), 0o700, "data folder");
    for f in ["beamgram.db", "beamgram.db-wal", "beamgram.db-shm"] {
        let p = dir.join(f);
        assert!(p.exists(), "{f} exists");
        assert_eq!(mode(&p), 0o600, "{f}");
    }
    s.close().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn each_bot_sees_only_its_own_users_settings_kv_jobs_and_files() {
    for main in backends("each_bot_sees_only_i").await {
        each_bot_sees_only_its_own_users_settings_kv_jobs_and_files_on(main).await;
    }
}

async fn each_bot_sees_only_its_own_users_settings_kv_jobs_and_files_on(main: Store) {
    let (a, b) = (main.for_bot(5001), main.for_bot(5002));
    let seen = |id| SeenUser { id, first_name: "U", last_name: "", username: None };
    main.user_seen(&seen(1)).await.expect("main user");
    a.user_seen(&seen(1)).await.expect("same person, clone a");
    a.user_seen(&seen(2)).await.expect("clone a");
    a.set_banned(1, true).await.expect("ban on a");
    assert!(!main.user(1).await.expect("read").expect("there").banned, "a ban on a clone stays on it");
    assert!(b.user(1).await.expect("read").is_none());
    assert_eq!(a.user_counts().await.expect("count").total, 2);
    assert_eq!(main.user_counts().await.expect("count").total, 1);
    assert_eq!(b.users_after(0, 10).await.expect("page").len(), 0);

    a.kv_set("p", "k", b"a").await.expect("kv a");
    main.kv_set("p", "k", b"main").await.expect("kv main");
    assert_eq!(a.kv_get("p", "k").await.expect("get").as_deref(), Some(&b"a"[..]));
    assert_eq!(b.kv_get("p", "k").await.expect("get"), None);
    assert_eq!(b.kv_keys("p", "", 10).await.expect("keys").len(), 0);
    assert!(!b.kv_delete("p", "k").await.expect("delete"), "b cannot delete a's key");

    a.set_user_setting("p", 1, "s", Some("a")).await.expect("setting");
    assert_eq!(main.user_setting("p", 1, "s").await.expect("get"), None);

    let job = a.job_add("p", 0, "x").await.expect("job");
    assert!(main.jobs_due(i64::MAX, 10).await.expect("due").is_empty(), "the main scheduler never runs a's jobs");
    assert!(!b.job_cancel("p", job).await.expect("cancel"), "b cannot cancel a's job");
    b.job_done(job).await.expect("no-op");
    assert_eq!(a.jobs_due(i64::MAX, 10).await.expect("due").len(), 1, "still there");

    let f = FileRecord {
        bin_channel: -1007,
        bin_message_id: 3,
        sender_id: 1,
        chat_id: 1,
        message_id: 1,
        name: "f",
        mime: "video/mp4",
        size: 10,
    };
    a.record_file(&f).await.expect("file");
    assert_eq!(a.file_totals().await.expect("totals"), (1, 10));
    assert_eq!(main.file_totals().await.expect("totals"), (0, 0));
    assert_eq!(main.file_sender(-1007, 3).await.expect("sender"), None);

    main.clone_saved(5001, 77, "a_bot", "5001:secret").await.expect("clone");
    main.delete_clone(5001).await.expect("delete");
    assert!(a.user(2).await.expect("read").is_none() && a.kv_get("p", "k").await.expect("get").is_none());
    assert_eq!(main.kv_get("p", "k").await.expect("get").as_deref(), Some(&b"main"[..]), "main untouched");
}

#[tokio::test]
async fn a_bin_channel_belongs_to_one_clone() {
    for s in backends("a_bin_channel_belong").await {
        a_bin_channel_belongs_to_one_clone_on(s).await;
    }
}

async fn a_bin_channel_belongs_to_one_clone_on(s: Store) {
    s.clone_saved(1, 10, "one_bot", "1:x").await.expect("one");
    s.clone_saved(2, 20, "two_bot", "2:y").await.expect("two");
    assert!(s.set_clone_bin(1, -1005).await.expect("set"));
    assert!(!s.set_clone_bin(2, -1005).await.expect("refused"));
    assert!(s.set_clone_bin(1, -1005).await.expect("again, same clone"));
    assert_eq!(s.clone_record(2).await.expect("read").expect("there").bin_channel, None);
    let shown = format!("{:?}", s.clone_record(1).await.expect("read").expect("there"));
    assert!(!shown.contains("1:x"), "the token never shows in debug output: {shown}");
}

#[tokio::test]
async fn a_lease_has_one_holder_until_it_expires_or_is_released() {
    for s in backends("leases").await {
        assert!(s.lease_take("bot:1", "a", 60_000).await.expect("take"), "{}", s.backend());
        assert!(!s.lease_take("bot:1", "b", 60_000).await.expect("refused"), "b waits while a holds it");
        assert!(s.lease_take("bot:1", "a", 60_000).await.expect("renew"), "a renews");
        assert_eq!(s.lease_holder("bot:1").await.expect("holder").map(|h| h.0).as_deref(), Some("a"));
        s.lease_release("bot:1", "b").await.expect("not b's to release");
        assert!(!s.lease_take("bot:1", "b", 60_000).await.expect("still a's"));
        s.lease_release("bot:1", "a").await.expect("release");
        assert!(s.lease_take("bot:1", "b", 1).await.expect("b takes it"));
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        assert!(s.lease_take("bot:1", "a", 60_000).await.expect("expired: a takes it back"));
        // Sessions are per node: a stream node's never overwrites the bot's.
        s.save_session(7, "bot's").await.expect("save");
        s.for_node("stream-1").save_session(7, "node's").await.expect("save");
        assert_eq!(s.session(7).await.expect("read").as_deref(), Some("bot's"));
        assert_eq!(s.for_node("stream-1").session(7).await.expect("read").as_deref(), Some("node's"));
    }
}
