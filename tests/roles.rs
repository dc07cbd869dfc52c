//! Several processes on one PostgreSQL database (the `beamgram` binary, against a simulator in
//! the test): `bot` processes of one token hand its updates over through a lease when the active
//! one is killed; `stream` processes serve the bot's links with Telegram sessions of their own.
//! Skipped loudly without a PostgreSQL server; a failure with `CI=true`.

mod common;

use std::path::PathBuf;
use std::time::Duration;

use beamgram_sim::{FileSpec, SimHandle};
use common::postgres::{postgres, shared_config};
use common::process::Bot;
use common::{SimSetup, eventually, expect, world};

fn config(w: &SimSetup, name: &str, database_url: &str) -> (PathBuf, PathBuf) {
    let dir = std::env::temp_dir().join(format!("beamgram-roles-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let path = shared_config(w, &dir, database_url, "", &[]);
    (dir, path)
}

/// The base URL a process logged ("links point here public_url=…").
async fn base_of(p: &Bot) -> String {
    let find = |log: String| {
        log.lines().find_map(|l| {
            l.split_once("public_url=").map(|(_, u)| u.split_whitespace().next().unwrap_or("").to_string())
        })
    };
    assert!(eventually(Duration::from_secs(60), async || find(p.log()).is_some()).await, "no address:\n{}", p.log());
    find(p.log()).unwrap_or_default().trim_matches('"').to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_standby_bot_process_takes_over_within_10_s_of_a_kill_9() {
    let Some(db) = postgres("handover").await else { return };
    let w = world().await;
    let (h, bot, user) = (&w.h, w.bot, w.user);
    let (dir, cfg) = config(&w, "handover", &db);
    let a = Bot::start_with(&cfg, &["--role", "bot", "--node", "a"]);
    a.ready().await;
    let b = Bot::start_with(&cfg, &["--role", "bot", "--node", "b"]);
    assert!(eventually(Duration::from_secs(30), async || b.log().contains("standby")).await, "b waits:\n{}", b.log());
    let answers = |s: &SimHandle| s.messages_from(bot, user).len();
    h.send_text(user, bot, "/start").expect("send");
    h.wait_for(Duration::from_secs(30), "a answers", |s| (answers(s) == 1).then_some(())).await.expect("answered");

    a.kill();
    h.send_text(user, bot, "/start").expect("send");
    let took_over =
        h.wait_for(Duration::from_secs(10), "b answers within 10 s", |s| (answers(s) == 2).then_some(())).await;
    assert!(took_over.is_ok(), "no answer within 10 s of the kill:\n{}", b.log());
    assert!(b.log().contains("active"), "{}", b.log());
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(answers(h), 2, "each /start answered exactly once");
    assert_eq!(h.logins(), 1, "the standby resumed the stored session: no second login");
    b.stop();
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_stream_process_serves_the_bot_s_links_with_a_session_of_its_own() {
    let Some(db) = postgres("stream").await else { return };
    let w = world().await;
    let (h, bot, user) = (&w.h, w.bot, w.user);
    let (dir, cfg) = config(&w, "stream", &db);
    let b = Bot::start_with(&cfg, &["--role", "bot", "--node", "b"]);
    b.ready().await;
    let s = Bot::start_with(&cfg, &["--role", "stream", "--node", "s1"]);
    let base = base_of(&s).await;
    let spec = FileSpec::seeded("movie.mkv", "video/x-matroska", 2 * 1024 * 1024 + 3, 77);
    let want = spec.content.read(0, spec.content.len() as usize);
    h.send_file(user, bot, spec, "").expect("send");
    let reply = h.wait_for_message(bot, user, 1, Duration::from_secs(30)).await.expect("links");
    let link =
        reply.text.lines().find_map(|l| l.split_once("Download: ").map(|(_, u)| u.trim().to_string())).expect("a link");
    let path = &link[link.find("/stream/").expect("a stream link")..];
    if !common::host::tool("curl", "curl") {
        return;
    }
    let (status, body) = common::host::curl(&["-sf", &format!("{base}{path}")]).await;
    assert!(status.success(), "the stream node serves the bot's link:\n{}", s.log());
    assert!(body == want, "byte-exact");
    let (_, metrics) = common::host::curl(&["-s", &format!("{base}/metrics")]).await;
    assert!(String::from_utf8_lossy(&metrics).contains("beamgram_node_info{node=\"s1\",role=\"stream\"} 1"));
    let (_, ready) = common::host::curl(&["-s", &format!("{base}/readyz")]).await;
    assert_eq!(String::from_utf8_lossy(&ready), "ready: stream\n");
    // The stream node's session is its own row, under its name.
    let store = beamgram::storage::Store::open(Some(&db), &dir).await.expect("the database");
    assert!(store.for_node("s1").session(1000).await.expect("read").is_some(), "s1 keeps its own session");
    store.close().await;
    let logins = h.logins();

    // Restarted, the stream node resumes its own session.
    s.stop();
    let s = Bot::start_with(&cfg, &["--role", "stream", "--node", "s1"]);
    let base = base_of(&s).await;
    let (status, body) = common::host::curl(&["-sf", &format!("{base}{path}")]).await;
    assert!(status.success() && body == want, "served again after a restart:\n{}", s.log());
    assert_eq!(h.logins(), logins, "no login after the restart");
    assert!(s.log().contains("resumed=true"), "{}", s.log());
    s.stop();
    b.stop();
    let _ = std::fs::remove_dir_all(dir);
}

/// A `stream` process runs no clones, yet serves their links: the first request logs the clone
/// in with a session of the node's own; once the owner stops the clone, its links stop working
/// there too (the record is read again within 10 s).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_stream_process_serves_a_clone_s_links_until_the_clone_is_stopped() {
    let Some(db) = postgres("clonelinks").await else { return };
    if !common::host::tool("curl", "curl") {
        return;
    }
    let w = world().await;
    let (h, main, owner) = (&w.h, w.bot, w.user);
    let (dir, cfg) = config(&w, "clonelinks", &db);
    let b = Bot::start_with(&cfg, &["--role", "bot", "--node", "b"]);
    b.ready().await;
    let s = Bot::start_with(&cfg, &["--role", "stream", "--node", "s1"]);
    let base = base_of(&s).await;

    let (clone, token, _) = h.new_bot(owner, "Streamed").expect("BotFather makes a bot");
    h.send_text(owner, main, &format!("/clone {token}")).expect("send");
    expect(h, main, owner, "the clone runs", |m| m.text.contains("is running")).await;
    let channel = SimHandle::bot_api_channel_id(h.add_channel("clone files", None, &[clone]));
    h.send_text(owner, clone, &format!("/setbin {channel}")).expect("send");
    expect(h, clone, owner, "the bin is set", |m| m.text.starts_with("✅ Files will be kept")).await;
    let spec = FileSpec::seeded("clip.mp4", "video/mp4", 3 * 1024 * 1024 + 5, 91);
    let want = spec.content.read(0, spec.content.len() as usize);
    h.send_file(owner, clone, spec, "").expect("send");
    let reply = expect(h, clone, owner, "the clone's links", |m| m.text.contains("Download: ")).await;
    let link =
        reply.text.lines().find_map(|l| l.split_once("Download: ").map(|(_, u)| u.trim().to_string())).expect("a link");
    let path = link[link.find("/stream/").expect("a stream link")..].to_string();
    assert!(path["/stream/".len()..].starts_with(&format!("{clone}.")), "a clone's token: {path}");

    let (status, body) = common::host::curl(&["-sf", &format!("{base}{path}")]).await;
    assert!(status.success(), "the stream node serves the clone's link:\n{}", s.log());
    assert!(body == want, "byte-exact");
    assert!(s.log().contains("serving the clone's links"), "{}", s.log());
    // Tokens naming made-up clones are refused, and do not disturb the real one.
    for made_up in ["999999.AAAAAgAAAAAHnukJbWUjvVU0aGp", &format!("{clone}.AAAAAgAAAAAHnukJbWUjvVU0aGq")] {
        let code = common::host::status_of(&["-s", &format!("{base}/stream/{made_up}/x.mp4")]).await;
        assert!((400..500).contains(&code), "{made_up}: {code}");
    }
    let (status, body) = common::host::curl(&["-sf", &format!("{base}{path}")]).await;
    assert!(status.success() && body == want, "still served");

    h.send_text(owner, main, "/clone stop").expect("send");
    expect(h, main, owner, "stopped", |m| m.text.starts_with("⏹")).await;
    let url = format!("{base}{path}");
    let refused = eventually(Duration::from_secs(20), async || {
        let code = common::host::status_of(&["-s", &url]).await;
        (400..500).contains(&code)
    })
    .await;
    assert!(refused, "a stopped clone's link stops working on the stream node:\n{}", s.log());
    s.stop();
    b.stop();
    let _ = std::fs::remove_dir_all(dir);
}
