//! The bot's features as its users meet them: the first-party plugins (built into
//! plugins/dist by `just plugins`) in a running bot against the simulator, with a real SQLite
//! file — /start and /help, the file-info reply, /batch, the shortener, admin commands, bans.

mod common;

use std::sync::atomic::Ordering;
use std::time::Duration;

use beamgram::config::{Config, PluginTable};
use beamgram_sim::{AccountId, Content, Fault, FaultRule, FileSpec, SeenButton, SimHandle};
use common::host::*;
use common::shortener::fake_shortener;
use common::staging::with_first_party;
use common::{expect, url_buttons};

const WAIT: Duration = Duration::from_secs(30);

fn plugin_config(c: &mut Config, plugin: &str, pairs: &[(&str, toml::Value)]) {
    let table = PluginTable(pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect());
    c.plugins.config.insert(plugin.into(), table);
}

fn sample_video() -> FileSpec {
    beamgram_cli::demo::sample_video("sample.mp4")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn start_and_help_list_every_loaded_plugin() {
    let host = host_with(|c, _| with_first_party(c, &["start", "batch", "shortener", "admin"])).await;
    let (h, bot, user) = (&host.w.h, host.w.bot, host.w.user);
    h.send_text(user, bot, "/help").expect("send");
    let help = expect(h, bot, user, "the /help answer", |m| m.text.starts_with("What I can do")).await;
    for cmd in ["/start", "/help", "/batch", "/base_site", "/api", "/shortener"] {
        assert!(help.text.contains(cmd), "{cmd} missing from /help:\n{}", help.text);
    }
    assert!(!help.text.contains("/broadcast"), "admin commands are not shown to users:\n{}", help.text);
    let menu: Vec<String> = h.bot_commands(bot).into_iter().map(|(c, _)| c).collect();
    assert!(menu.contains(&"batch".to_string()) && !menu.contains(&"ban".to_string()), "{menu:?}");

    h.send_text(user, bot, "/start").expect("send");
    let welcome = expect(h, bot, user, "the welcome", |m| m.text.contains("Send me any file")).await;
    let Some(SeenButton::Callback { data, .. }) = welcome
        .buttons
        .iter()
        .flatten()
        .find(|b| matches!(b, SeenButton::Callback { text, .. } if text.contains("Help")))
        .cloned()
    else {
        panic!("no Help button: {:?}", welcome.buttons)
    };
    h.press_button(user, welcome.id, &data, WAIT).await.expect("answered");
    expect(h, bot, user, "the welcome turned into the help", |m| {
        m.id == welcome.id && m.edited && m.text.contains("/batch")
    })
    .await;
    host.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn file_info_reply_has_details_buttons_and_working_links() {
    if !tool("curl", "curl") {
        return;
    }
    let host = host_with(|c, _| with_first_party(c, &["file-info"])).await;
    let (h, bot, user) = (&host.w.h, host.w.bot, host.w.user);
    let links = host.send(sample_video()).await;
    let reply = h.messages_from(bot, user).pop().expect("reply");
    for part in ["sample.mp4", "1.2 MiB", "video/mp4", "0:00:08", "640×360"] {
        assert!(reply.text.contains(part), "{part} missing:\n{}", reply.text);
    }
    let buttons = url_buttons(&reply);
    let names: Vec<&str> = buttons.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(names, ["▶️ Stream", "⬇️ Download", "🔗 Copy link"]);
    assert_eq!(buttons[0].1, links.watch);
    assert_eq!(buttons[1].1, links.download);
    assert_eq!(buttons[2].1, links.stream);
    let (ok, body) = curl(&["-sS", "--fail", &links.stream]).await;
    assert!(ok.success());
    assert_eq!(body, beamgram_cli::demo::SAMPLE_VIDEO, "the stream link serves the file byte for byte");

    // A document has no duration or resolution: those lines are left out, not shown empty.
    h.send_file(user, bot, FileSpec::document("notes.pdf", "application/pdf", vec![7; 3000]), "").expect("send");
    let doc = expect(h, bot, user, "the document's reply", |m| m.text.contains("notes.pdf")).await;
    assert!(doc.text.contains("2.9 KiB · application/pdf"), "{}", doc.text);
    assert!(!doc.text.contains('⏱') && !doc.text.contains("🖥"), "{}", doc.text);
    host.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn file_info_template_comes_from_the_config() {
    let host = host_with(|c, _| {
        with_first_party(c, &["file-info"]);
        let template =
            toml::Value::String("{kind}: {name} ({size}, {duration})\\n📝 {caption}\\nget it: {download}".into());
        plugin_config(c, "file-info", &[("template", template)]);
    })
    .await;
    let (h, bot, user) = (&host.w.h, host.w.bot, host.w.user);
    h.send_file(user, bot, sample_video(), "Holiday, day 2").expect("send");
    let m = expect(h, bot, user, "the templated reply", |m| m.text.starts_with("video: sample.mp4")).await;
    assert!(m.text.starts_with("video: sample.mp4 (1.2 MiB, 0:00:08)\n📝 Holiday, day 2\nget it: http"), "{}", m.text);
    // Without a caption, its line is left out.
    h.send_file(user, bot, sample_video(), "").expect("send");
    h.wait_for(WAIT, "a second reply", |s| {
        let replies: Vec<_> = s.messages_from(bot, user).into_iter().filter(|m| m.text.starts_with("video:")).collect();
        (replies.len() == 2).then(|| replies[1].text.clone())
    })
    .await
    .map(|t| assert!(t.starts_with("video: sample.mp4 (1.2 MiB, 0:00:08)\nget it: http"), "{t}"))
    .expect("answered");
    host.stop().await;
}

/// `access.protect_content`: answers to files of the named kinds are protected content
/// (Telegram's `noforwards`), from a plugin's reply and from the built-in one alike.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn answers_to_protected_kinds_cannot_be_forwarded() {
    let host = host_with(|c, _| {
        with_first_party(c, &["file-info"]);
        c.access.protect_content = vec!["video".into()];
    })
    .await;
    let (h, bot, user) = (&host.w.h, host.w.bot, host.w.user);
    h.send_file(user, bot, sample_video(), "").expect("send");
    let video = expect(h, bot, user, "the video's answer", |m| m.text.contains("sample.mp4")).await;
    h.send_file(user, bot, FileSpec::document("notes.pdf", "application/pdf", vec![1; 100]), "").expect("send");
    let pdf = expect(h, bot, user, "the document's answer", |m| m.text.contains("notes.pdf")).await;
    assert!(video.protected, "a video's answer is protected");
    assert!(!pdf.protected, "a document's is not");
    host.stop().await;

    // No plugins: the built-in answer, with every kind protected.
    let host = host_with(|c, _| c.access.protect_content = vec!["all".into()]).await;
    let (h, bot, user) = (&host.w.h, host.w.bot, host.w.user);
    h.send_file(user, bot, FileSpec::document("notes.pdf", "application/pdf", vec![1; 100]), "").expect("send");
    let m = expect(h, bot, user, "the built-in answer", |m| m.text.contains("Download: ")).await;
    assert!(m.protected);
    host.stop().await;
}

/// `/rename`, as a reply to a file the user sent: new links under the new name (the
/// download's file name, the player's title); the old links keep the old one; a renamed link
/// cannot be pointed at another name, and goes when the file's links are revoked.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rename_gives_new_links_and_the_old_keep_their_name() {
    if !tool("curl", "curl") {
        return;
    }
    let host = host_with(|_, _| {}).await;
    let (h, bot, user) = (&host.w.h, host.w.bot, host.w.user);
    let (video, old) = host.send_file(sample_video()).await;
    h.send_text(user, bot, "/rename Holiday").expect("send");
    expect(h, bot, user, "the usage", |m| m.text.starts_with("Reply to a file you sent with /rename")).await;
    h.send_reply(user, bot, video, "/rename Holiday").expect("send");
    let m = expect(h, bot, user, "renamed", |m| m.text.starts_with("✏️ Renamed to Holiday.mp4.")).await;
    let find = |label: &str| m.text.lines().find_map(|l| l.split_once(label).map(|(_, u)| u.trim().to_string()));
    let (watch, download) = (find("Stream: ").expect("watch"), find("Download: ").expect("download"));

    let disposition =
        |url: String| async move { header(&headers(&[&url]).await, "content-disposition").map(str::to_string) };
    let renamed = disposition(download.clone()).await.unwrap_or_default();
    assert!(renamed.contains("filename=\"Holiday.mp4\""), "{renamed}");
    let original = disposition(old.download.clone()).await.unwrap_or_default();
    assert!(original.contains("filename=\"sample.mp4\""), "the old link keeps the old name: {original}");
    let (_, page) = curl(&[&watch]).await;
    assert!(String::from_utf8_lossy(&page).contains("<title>Holiday.mp4</title>"));
    let (_, body) = curl(&[&download]).await;
    assert!(body == beamgram_cli::demo::SAMPLE_VIDEO, "the same bytes");

    // The name's id is signed: another id opens nothing.
    let token = watch.rsplit('/').next().unwrap_or_default();
    let id: u32 =
        token.strip_prefix('n').and_then(|t| t.split_once('.')).and_then(|(n, _)| n.parse().ok()).expect("a name id");
    let forged = watch.replacen(&format!("/n{id}."), &format!("/n{}.", id ^ 1), 1);
    assert_eq!(status_of(&[&forged]).await, 404);
    // Revoking the file takes every name's links with it.
    h.send_text(user, bot, &format!("/revoke {}", old.watch)).expect("send");
    expect(h, bot, user, "revoked", |m| m.text.contains("Revoked")).await;
    assert_eq!(status_of(&[&download]).await, 410);
    host.stop().await;
}

/// A channel the bot administers, with `n` posts: every 16th is text, the rest files.
fn channel_with_posts(
    h: &SimHandle,
    bot: AccountId,
    username: Option<&str>,
    n: usize,
) -> (i64, Vec<i32>, Vec<Vec<u8>>) {
    let ch = h.add_channel("archive", username, &[bot]);
    let mut ids = Vec::new();
    let mut contents = Vec::new();
    for i in 0..n {
        let file = (i % 16 != 15).then(|| {
            let bytes: Vec<u8> = (0..2000 + i).map(|b| (b * 7 + i) as u8).collect();
            contents.push(bytes.clone());
            FileSpec::document(&format!("part-{i:03}.bin"), "application/octet-stream", bytes)
        });
        ids.push(h.channel_post(ch, &format!("post {i}"), file).expect("post"));
    }
    (ch, ids, contents)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn batch_of_160_messages_under_flood_wait_gives_every_link() {
    if !tool("curl", "curl") {
        return;
    }
    // The channel's posts are there before the bot starts, as in an archive channel.
    let posts = std::sync::Mutex::new(None);
    let host = host_with(|c, w| {
        with_first_party(c, &["batch"]);
        // Every copy into the bin channel is paced; a faster pace keeps this test short.
        c.telegram.send_interval_ms = 200;
        *posts.lock().expect("lock") = Some(channel_with_posts(&w.h, w.bot, None, 160));
    })
    .await;
    let (h, bot, user) = (&host.w.h, host.w.bot, host.w.user);
    let (ch, ids, contents) = posts.lock().expect("lock").take().expect("posts");
    assert_eq!(contents.len(), 150);
    // A private archive: the user may batch it because they are a member.
    h.join_channel(ch, user).expect("join");
    // Telegram slows the copying down twice on the way.
    host.w.h.inject(FaultRule::new("messages.forwardMessages", Fault::FloodWait(2)).skip(30).times(1));
    host.w.h.inject(FaultRule::new("messages.forwardMessages", Fault::FloodWait(1)).skip(90).times(1));
    let bare = ch;
    let first = format!("https://t.me/c/{bare}/{}", ids[0]);
    let last = format!("https://t.me/c/{bare}/{}", ids[159]);
    h.send_text(user, bot, &format!("/batch {first} {last}")).expect("send");
    let done = h
        .wait_for(Duration::from_secs(120), "the batch result", |s| {
            s.messages_from(bot, user).into_iter().find(|m| m.text.starts_with("✅"))
        })
        .await
        .unwrap_or_else(|_| panic!("no result; the bot sent {:#?}", h.messages_from(bot, user)));
    assert!(done.text.starts_with("✅ 150 files in 160 messages"), "{}", done.text);
    assert!(host.w.h.faults_fired() >= 2, "the flood waits were hit");
    let file_msg = expect(h, bot, user, "the links.txt", |m| m.media.is_some()).await;
    let file = h.file(file_msg.media.expect("media")).expect("uploaded file");
    assert_eq!(file.name, "links.txt");
    let Content::Bytes(bytes) = file.content else { panic!("uploaded content") };
    let text = String::from_utf8(bytes.to_vec()).expect("utf8");
    let streams: Vec<&str> = text.lines().filter_map(|l| l.trim().strip_prefix("stream:")).map(str::trim).collect();
    assert_eq!(streams.len(), 150, "{text}");
    for (i, n) in [0usize, 77, 149].into_iter().enumerate() {
        let (ok, body) = curl(&["-sS", "--fail", streams[n]]).await;
        assert!(ok.success(), "link {i}");
        assert_eq!(body, contents[n], "link {n} serves file {n}");
    }
    host.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn batch_refuses_bad_links_reversed_and_oversized_ranges_and_unreadable_chats() {
    let posts = std::sync::Mutex::new(None);
    let host = host_with(|c, w| {
        with_first_party(c, &["batch"]);
        plugin_config(c, "batch", &[("max_messages", toml::Value::Integer(20))]);
        *posts.lock().expect("lock") = Some(channel_with_posts(&w.h, w.bot, Some("pubarchive"), 5));
    })
    .await;
    let (h, bot, user) = (&host.w.h, host.w.bot, host.w.user);
    let (ch, ids, _) = posts.lock().expect("lock").take().expect("posts");
    let stranger = h.add_channel("not ours", None, &[]);
    let post = h.channel_post(stranger, "hidden", None).expect("post");
    let cases = [
        ("/batch".to_string(), "Usage: /batch"),
        ("/batch hello world".to_string(), "not message links"),
        (format!("/batch https://t.me/c/{ch}/{} https://t.me/c/{ch}/{}", ids[3], ids[1]), "first link comes after"),
        (format!("/batch https://t.me/c/{ch}/1 https://t.me/c/{ch}/50"), "most I do at once is 20"),
        (format!("/batch https://t.me/c/{ch}/1 https://t.me/pubarchive/2"), "same chat"),
        (format!("/batch https://t.me/c/{stranger}/{post} https://t.me/c/{stranger}/{post}"), "can't read that chat"),
        ("/batch https://t.me/nosuchchannel/1 https://t.me/nosuchchannel/2".to_string(), "can't find @nosuchchannel"),
    ];
    for (ask, answer) in cases {
        h.send_text(user, bot, &ask).expect("send");
        expect(h, bot, user, "a clear refusal", |m| m.text.contains(answer)).await;
    }
    // A public channel by username works; a file Telegram refuses to copy is reported.
    let refusal = Fault::Rpc { code: 400, name: "CHAT_FORWARDS_RESTRICTED".into() };
    host.w.h.inject(FaultRule::new("messages.forwardMessages", refusal).skip(1).times(1));
    h.send_text(user, bot, &format!("/batch https://t.me/pubarchive/{} https://t.me/pubarchive/{}", ids[0], ids[4]))
        .expect("send");
    let done = expect(h, bot, user, "the public batch", |m| m.text.starts_with("✅ 4 files in 5 messages")).await;
    assert!(done.text.contains("1 files could not be linked"), "{}", done.text);
    host.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn shortener_is_per_user_allowed_sites_only_and_falls_back() {
    let fake = fake_shortener().await;
    let site = fake.addr.to_string();
    let site_for_config = site.clone();
    let host = host_with(move |c, _| {
        with_first_party(c, &["file-info", "shortener"]);
        c.links.shortener_sites = vec![site_for_config];
        c.links.shortener_scheme = "http".into();
    })
    .await;
    let (h, bot, user) = (&host.w.h, host.w.bot, host.w.user);
    let other = h.add_user("Other", None);

    h.send_text(user, bot, "/base_site evil.example").expect("send");
    expect(h, bot, user, "an unlisted site refused", |m| m.text.contains("evil.example is not allowed")).await;
    h.send_text(user, bot, &format!("/base_site {site}")).expect("send");
    expect(h, bot, user, "site accepted", |m| m.text.contains("Now send your API key")).await;
    h.send_text(user, bot, "/api wrong").expect("send");
    expect(h, bot, user, "a bad key reported", |m| m.text.contains("Invalid API token")).await;
    h.send_text(user, bot, "/api good").expect("send");
    expect(h, bot, user, "the shortener works", |m| m.text.contains("works (test link: https://sho.rt/")).await;

    h.send_file(user, bot, sample_video(), "").expect("send");
    let short = expect(h, bot, user, "short links", |m| m.text.contains("sample.mp4")).await;
    let buttons = url_buttons(&short);
    assert!(buttons.iter().all(|(_, u)| u.starts_with("https://sho.rt/")), "{buttons:?}");
    let asked = fake.last_url.lock().expect("lock").clone();
    assert!(asked.starts_with("http://127.0.0.1:"), "the shortener got the plain link: {asked}");

    // Another user has no shortener: plain links, and no call to the shortener.
    let before = fake.calls.load(Ordering::SeqCst);
    h.send_file(other, bot, sample_video(), "").expect("send");
    let plain = expect(h, bot, other, "plain links", |m| m.text.contains("sample.mp4")).await;
    assert!(url_buttons(&plain).iter().all(|(_, u)| u.starts_with("http://127.0.0.1")), "{:?}", plain.buttons);
    assert_eq!(fake.calls.load(Ordering::SeqCst), before);

    // The shortener fails: the reply still comes, with plain links and a note.
    fake.down.store(true, Ordering::SeqCst);
    h.send_file(user, bot, FileSpec::document("b.txt", "text/plain", b"x".to_vec()), "").expect("send");
    let fallback = expect(h, bot, user, "the fallback", |m| m.text.contains("b.txt")).await;
    assert!(fallback.text.contains("did not answer"), "{}", fallback.text);
    assert!(url_buttons(&fallback).iter().all(|(_, u)| u.starts_with("http://127.0.0.1")));

    h.send_text(user, bot, "/shortener off").expect("send");
    expect(h, bot, user, "shortener off", |m| m.text.contains("Shortener off")).await;
    host.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn admin_stats_bans_and_access() {
    let host = host_with(|c, w| {
        with_first_party(c, &["admin", "file-info"]);
        c.access.admins = vec![w.user];
    })
    .await;
    let (h, bot, admin) = (&host.w.h, host.w.bot, host.w.user);
    let user = h.add_user("Mallory", Some("mallory"));

    h.send_text(user, bot, "/broadcast").expect("send");
    expect(h, bot, user, "non-admins refused", |m| m.text == "That command is for admins.").await;
    h.send_file(admin, bot, sample_video(), "").expect("send");
    let answer = expect(h, bot, admin, "a file", |m| m.text.contains("sample.mp4")).await;
    // Streamed once, with one FLOOD_WAIT on the way: today's traffic shows both.
    let download = url_buttons(&answer).into_iter().find(|(t, _)| t.contains("Download")).expect("a download button").1;
    h.inject(FaultRule::new("upload.getFile", Fault::FloodWait(1)));
    let (_, body) = curl(&[&download]).await;
    assert_eq!(body.len(), beamgram_cli::demo::SAMPLE_VIDEO.len());

    h.send_text(admin, bot, "/stats").expect("send");
    let stats = expect(h, bot, admin, "stats", |m| m.text.starts_with("📊")).await;
    for part in [
        "Users: 2 (0 banned",
        "Files: 1 (1.2 MiB)",
        "Streams now: 0 · served 1.2 MiB since start",
        "Today: 1.2 MiB served · FLOOD_WAITs in the last hour: 1",
        "Most streamed today:\n1. sample.mp4 — 1.2 MiB",
        "admin",
        "file-info",
    ] {
        assert!(stats.text.contains(part), "{part} missing:\n{}", stats.text);
    }

    h.send_text(admin, bot, "/ban abc").expect("send");
    expect(h, bot, admin, "bad id", |m| m.text.contains("'abc' is not a user id")).await;
    h.send_text(admin, bot, &format!("/ban {user}")).expect("send");
    expect(h, bot, admin, "banned", |m| m.text == format!("🚫 {user} is banned.")).await;
    h.send_text(user, bot, "hello").expect("send");
    expect(h, bot, user, "the ban holds", |m| m.text == "You are banned from using this bot.").await;
    h.send_file(user, bot, sample_video(), "").expect("send");
    h.wait_for(WAIT, "two refusals", |s| {
        (s.messages_from(bot, user).iter().filter(|m| m.text.contains("banned")).count() == 2).then_some(())
    })
    .await
    .expect("the file is refused too");
    h.send_text(admin, bot, &format!("/unban {user}")).expect("send");
    expect(h, bot, admin, "unbanned", |m| m.text == format!("✅ {user} is no longer banned.")).await;
    h.send_text(user, bot, "/help").expect("send");
    expect(h, bot, user, "served again", |m| m.text.starts_with("What I can do")).await;
    host.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn allowed_users_only() {
    let host = host_with(|c, w| {
        with_first_party(c, &["file-info"]);
        c.access.allowed_users = vec![w.user];
    })
    .await;
    let (h, bot) = (&host.w.h, host.w.bot);
    let stranger = h.add_user("Stranger", None);
    h.send_file(stranger, bot, sample_video(), "").expect("send");
    expect(h, bot, stranger, "a refusal", |m| m.text == "Sorry, this bot is private.").await;
    assert!(h.channel_messages(host.w.bin).is_empty(), "nothing was copied for a stranger");
    host.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_album_gets_a_reply_per_file_without_flood_wait() {
    let host = host_with(|c, _| with_first_party(c, &["file-info"])).await;
    let (h, bot, user) = (&host.w.h, host.w.bot, host.w.user);
    // Telegram's per-chat rate, a little looser than the one the bot keeps to.
    h.set_chat_limit(Some(beamgram_sim::chat_limit::ChatLimit { burst: 4, interval: Duration::from_secs(1) }));
    for i in 0..8 {
        h.send_file(user, bot, FileSpec::document(&format!("page-{i}.jpg"), "image/jpeg", vec![i; 500]), "")
            .expect("send");
    }
    h.wait_for(WAIT, "eight replies", |s| {
        let replies = s.messages_from(bot, user);
        (0..8).all(|i| replies.iter().any(|m| m.text.contains(&format!("page-{i}.jpg")))).then_some(())
    })
    .await
    .unwrap_or_else(|_| panic!("the bot sent {:#?}", h.messages_from(bot, user)));
    assert_eq!(h.chat_floods(), 0, "no reply was refused for going too fast");
    host.stop().await;
}
