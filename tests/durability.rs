//! Durable state through a `kill -9`: the bot runs as its own process (the `beamgram` binary)
//! against a simulator in the test, is killed without warning in the middle of work, and is
//! started again on the same data folder. Auto-delete jobs, verification tokens and a
//! broadcast's progress must all survive, and the restart must not log in again.

mod common;

use std::path::PathBuf;
use std::time::Duration;

use beamgram_sim::{AccountId, FileSpec, LinkProfile, SeenButton, SimHandle};
use common::process::Bot;
use common::{SimSetup, eventually, expect, world};

const WAIT: Duration = Duration::from_secs(30);

/// A data folder and configuration for the bot process, with the first-party plugins.
fn setup(w: &SimSetup, name: &str, extra: &str) -> (PathBuf, PathBuf) {
    // `BEAMGRAM_TEST_LOG=debug` shows what the simulator saw.
    if let Ok(filter) = std::env::var("BEAMGRAM_TEST_LOG") {
        let _ = tracing_subscriber::fmt().with_env_filter(filter).with_test_writer().try_init();
    }
    let dir = std::env::temp_dir().join(format!("beamgram-durable-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let plugins = dir.join("plugins");
    common::staging::first_party_into(&plugins, &["start", "file-info", "auto-delete", "verify", "admin"]);
    let path = common::process::bot_config(w, &dir, &plugins, "", "", extra);
    (dir, path)
}

fn small_file(name: &str) -> FileSpec {
    FileSpec::document(name, "text/plain", name.as_bytes().repeat(100))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn auto_delete_and_verification_survive_kill_9() {
    let w = world().await;
    let (h, bot, user) = (&w.h, w.bot, w.user);
    let (dir, config) = setup(
        &w,
        "jobs",
        "[plugins.config.auto-delete]\nenabled = true\nafter_secs = 3\n\n[plugins.config.verify]\nenabled = true\nperiod_secs = 3600\n",
    );
    let other = h.add_user("Verifier", None);
    let bot_proc = Bot::start(&config);
    assert!(bot_proc.ready().await.contains("resumed=false"));

    // Not verified yet: the verify plugin holds the file back and sends a deep link.
    h.send_file(other, bot, small_file("first.txt"), "").expect("send");
    let gate = expect(h, bot, other, "the verify link", |m| m.text.contains("Please verify")).await;
    let Some(SeenButton::Url { url, .. }) = gate.buttons.iter().flatten().next().cloned() else {
        panic!("no verify button: {:?}", gate.buttons)
    };
    let payload = url.split_once("?start=").map(|(_, p)| p.to_string()).expect("deep link");
    assert!(payload.starts_with("verify-"), "{url}");

    bot_proc.kill();
    let bot_proc = Bot::start(&config);
    assert!(bot_proc.ready().await.contains("resumed=true"), "a kill -9 does not cost a second login");

    // The token outlived the process; it works once.
    h.send_text(other, bot, &format!("/start {payload}")).expect("send");
    expect(h, bot, other, "verified", |m| m.text.starts_with("✅ Verified")).await;
    h.send_text(other, bot, &format!("/start {payload}")).expect("send");
    expect(h, bot, other, "single use", |m| m.text.contains("invalid or was already used")).await;
    // Someone else's token is refused.
    let third = h.add_user("Third", None);
    h.send_file(third, bot, small_file("mine.txt"), "").expect("send");
    let gate = expect(h, bot, third, "the third user's verify link", |m| m.text.contains("Please verify")).await;
    let Some(SeenButton::Url { url, .. }) = gate.buttons.iter().flatten().next().cloned() else { panic!() };
    let theirs = url.split_once("?start=").map(|(_, p)| p.to_string()).expect("deep link");
    h.send_text(other, bot, &format!("/start {theirs}")).expect("send");
    expect(h, bot, other, "another's token", |m| m.text.contains("made for someone else")).await;

    // Verified: the file gets its links, and their deletion is scheduled.
    h.send_file(other, bot, small_file("second.txt"), "").expect("send");
    let reply =
        expect(h, bot, other, "the links", |m| m.text.contains("second.txt") && m.text.contains("Download")).await;
    let notice = expect(h, bot, other, "the deletion notice", |m| m.text.contains("will be deleted in 3 s")).await;

    // Killed before the deletion is due (once the notice's id is stored: a kill between the
    // notice and that write leaves the notice, by design); started again after it was due.
    let store = beamgram::storage::Store::open(None, &dir.join("data")).await.expect("the bot's database");
    let stored = eventually(Duration::from_secs(5), async || {
        !store.kv_keys("auto-delete", "notice:", 10).await.expect("keys").is_empty()
    })
    .await;
    assert!(stored, "the notice's id was stored");
    store.close().await;
    bot_proc.kill();
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert!(!h.messages_from(bot, other).iter().any(|m| m.id == reply.id && m.deleted), "nothing ran while down");
    let bot_proc = Bot::start(&config);
    bot_proc.ready().await;
    expect(h, bot, other, "the deletion done after the restart", |m| m.text.contains("🗑 The links for second.txt"))
        .await;
    let after = h.messages_from(bot, other);
    assert!(after.iter().any(|m| m.id == reply.id && m.deleted), "the reply is gone");
    assert!(after.iter().any(|m| m.id == notice.id && m.deleted), "the notice is gone too");
    assert_eq!(w.h.logins(), 1, "one login in all");
    // Admins are not asked to verify (last: its auto-delete notice must not be mistaken for the
    // one waited for above).
    h.send_file(user, bot, small_file("admin.txt"), "").expect("send");
    expect(h, bot, user, "the admin's links", |m| m.text.contains("admin.txt") && m.text.contains("Download")).await;
    bot_proc.stop();
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn broadcast_resumes_after_kill_9_and_reaches_everyone_exactly_once() {
    let w = world().await;
    let (h, bot, admin) = (&w.h, w.bot, w.user);
    let (dir, config) = setup(&w, "broadcast", "");
    let bot_proc = Bot::start(&config);
    bot_proc.ready().await;

    let mut users = Vec::new();
    for i in 0..40 {
        let u = h.add_user(&format!("User {i}"), None);
        h.send_text(u, bot, "/start").expect("send");
        users.push(u);
    }
    for u in &users {
        expect(h, bot, *u, "welcome", |m| m.text.contains("Send me any file")).await;
    }
    let (blocked_a, blocked_b) = (users[5], users[30]);
    h.block(blocked_a, bot);
    h.block(blocked_b, bot);

    // Slow the link down so that the broadcast is still going when the bot is killed.
    w.h.set_all_links(LinkProfile { rtt: Duration::from_millis(60), bandwidth: None });
    // The admin writes the news, then answers their own message with /broadcast.
    let source = h.send_text(admin, bot, "📢 Big news for everyone").expect("send");
    h.send_reply(admin, bot, source, "/broadcast").expect("send");
    let got = |s: &SimHandle, u: AccountId| {
        s.messages_from(bot, u).iter().filter(|m| m.text == "📢 Big news for everyone").count()
    };
    h.wait_for(WAIT, "a third delivered", |s| (users.iter().filter(|u| got(s, **u) > 0).count() >= 12).then_some(()))
        .await
        .unwrap_or_else(|_| {
            panic!("the broadcast does not run:\n{}\nadmin saw {:#?}", bot_proc.log(), h.messages_from(bot, admin))
        });
    bot_proc.kill();
    let delivered_before = users.iter().filter(|u| got(h, **u) > 0).count();
    assert!(delivered_before < 38, "killed mid-way ({delivered_before} delivered)");
    w.h.set_all_links(LinkProfile::default());

    let bot_proc = Bot::start(&config);
    bot_proc.ready().await;
    let done = expect(h, bot, admin, "the broadcast finished", |m| m.text.starts_with("📣 Broadcast finished")).await;
    for u in users.iter().filter(|u| **u != blocked_a && **u != blocked_b) {
        assert_eq!(got(h, *u), 1, "user {u} got the message {} times, not exactly once", got(h, *u));
    }
    assert!(done.text.contains("🚫 blocked the bot 2"), "{}", done.text);
    assert!(done.text.contains("41/41"), "every user counted once (40 and the admin):\n{}", done.text);
    assert!(done.text.contains("✅ delivered 39"), "all but the two who blocked the bot:\n{}", done.text);
    bot_proc.stop();
    let _ = std::fs::remove_dir_all(dir);
}

/// A clone survives a `kill -9` of the host like the main bot: it runs again from its stored
/// session (no second login), its files' links still stream, and its users are still its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_clone_comes_back_after_kill_9_without_logging_in_again() {
    let w = world().await;
    let (h, bot, owner) = (&w.h, w.bot, w.user);
    let (dir, config) = setup(&w, "clone", "");
    let bot_proc = Bot::start(&config);
    bot_proc.ready().await;
    let (clone, token, _) = h.new_bot(owner, "Survivor").expect("a bot");
    h.send_text(owner, bot, &format!("/clone {token}")).expect("send");
    expect(h, bot, owner, "the clone runs", |m| m.text.contains("is running")).await;
    let channel = h.add_channel("survivor files", None, &[clone]);
    h.send_text(owner, clone, &format!("/setbin {}", SimHandle::bot_api_channel_id(channel))).expect("send");
    expect(h, clone, owner, "the channel is set", |m| m.text.starts_with("✅ Files will be kept")).await;
    let file = small_file("kept.txt");
    let want = file.content.read(0, file.content.len() as usize);
    h.send_file(owner, clone, file, "").expect("send");
    let reply = h
        .wait_for(WAIT, "the links", |s| {
            s.messages_from(clone, owner).into_iter().find(|m| !m.buttons.is_empty() && m.text.contains("kept.txt"))
        })
        .await
        .unwrap_or_else(|_| {
            panic!("no links from the clone: {:#?}\n{}", h.messages_from(clone, owner), bot_proc.log())
        });
    let download = reply
        .buttons
        .iter()
        .flatten()
        .find_map(|b| match b {
            SeenButton::Url { text, url } if text.contains("Download") => Some(url.clone()),
            _ => None,
        })
        .expect("a download button");
    let logins_before = h.logins();
    assert_eq!(logins_before, 2, "the main bot and the clone logged in once each");

    bot_proc.kill();
    let bot_proc = Bot::start(&config);
    bot_proc.ready().await;
    h.send_text(owner, clone, "/start").expect("send");
    expect(h, clone, owner, "the clone answers after the restart", |m| m.text.contains("Send me any file")).await;
    assert_eq!(h.logins(), logins_before, "no second login, for the main bot or the clone:\n{}", bot_proc.log());
    // The link points at the restarted host's new port: same token, new address.
    let port = bot_proc
        .log()
        .lines()
        .find_map(|l| l.split_once("public_url=").map(|(_, u)| u.split_whitespace().next().unwrap_or("").to_string()))
        .expect("the new address is logged");
    let path = &download[download.find("/stream/").expect("a stream link")..];
    let url = format!("{}{path}", port.trim_matches('"'));
    if !common::host::tool("curl", "curl") {
        bot_proc.stop();
        return;
    }
    let got = std::process::Command::new("curl").args(["-sf", &url]).output().expect("curl runs");
    assert!(got.status.success(), "{url} answers after the restart:\n{}", bot_proc.log());
    assert!(got.stdout == want, "byte-exact after the restart");
    bot_proc.stop();
    let _ = std::fs::remove_dir_all(dir);
}
