//! The trust boundaries, attacked: a stranger, a link holder or a narrowly granted plugin tries
//! what it should not be able to do, in a running bot against the simulator, and fails. Each
//! test is named in SECURITY.md next to the guarantee it shows.

mod common;

use std::time::Duration;

use base64::Engine;
use beamgram::config::{Config, PluginTable};
use beamgram::links::LinkSigner;
use beamgram_sim::{FileSpec, SeenButton, SeenMessage, SimHandle};
use common::host::*;
use common::logs;
use common::staging::{deploy, wasm, with_first_party};
use common::{expect, expect_count};

const WAIT: Duration = Duration::from_secs(30);

fn grant(c: &mut Config, plugin: &str, grants: &[&str]) {
    c.plugins.grants.insert(plugin.into(), grants.iter().map(|g| g.to_string()).collect());
}

fn mallory(c: &mut Config, grants: &[&str]) {
    deploy(&c.plugins.dir, &wasm("test_mallory"), "mallory.wasm");
    grant(c, "mallory", grants);
}

fn doc(name: &str) -> FileSpec {
    FileSpec::document(name, "application/pdf", vec![5; 2000])
}

/// The expiry (unix seconds, 0 = never) a link's token carries.
fn expiry_of(link: &str) -> u32 {
    let token = LinkSigner::token_in(link).expect("a token in the link");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(&token[..11]).expect("payload");
    u32::from_be_bytes([bytes[4], bytes[5], bytes[6], bytes[7]])
}

/// 1. /batch reaches only chats the user can read; never the bin channel; its links expire.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn batch_reaches_only_chats_the_user_can_read() {
    let host = host_with(|c, _| {
        with_first_party(c, &["batch"]);
        c.links.ttl_secs = 3600;
    })
    .await;
    let (h, bot, user) = (&host.w.h, host.w.bot, host.w.user);
    let secret = h.add_channel("members only", None, &[bot]);
    let public = h.add_channel("open", Some("openfiles"), &[bot]);
    let s1 = h.channel_post(secret, "", Some(doc("secret.pdf"))).expect("post");
    let p1 = h.channel_post(public, "", Some(doc("public.pdf"))).expect("post");
    // The user's own file lands in the bin channel (message 1 there).
    h.send_file(user, bot, doc("mine.pdf"), "").expect("send");
    expect(h, bot, user, "the file's links", |m| m.text.contains("mine.pdf")).await;
    let bin = host.w.bin;
    let refused = "only batch chats you can read yourself";

    h.send_text(user, bot, &format!("/batch https://t.me/c/{bin}/1 https://t.me/c/{bin}/1")).expect("send");
    expect(h, bot, user, "the bin channel refused", |m| m.text.contains(refused)).await;
    h.send_text(user, bot, &format!("/batch https://t.me/c/{secret}/{s1} https://t.me/c/{secret}/{s1}")).expect("send");
    h.wait_for(WAIT, "a private channel refused too", |s| {
        (s.messages_from(bot, user).iter().filter(|m| m.text.contains(refused)).count() >= 2).then_some(())
    })
    .await
    .expect("both refused");
    assert!(!h.messages_from(bot, user).iter().any(|m| m.text.contains("secret.pdf")), "no secret file named");

    h.send_text(user, bot, &format!("/batch https://t.me/openfiles/{p1} https://t.me/openfiles/{p1}")).expect("send");
    let done = expect(h, bot, user, "the public batch", |m| m.text.starts_with("✅ 1 files")).await;
    let link = done.text.lines().find(|l| l.contains("/watch/")).expect("a watch link");
    let exp = expiry_of(link) as u64;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs();
    assert!(exp > now && exp <= now + 3600 + 5, "batch links honour links.ttl_secs: {exp} vs {now}");

    // A member of the private channel may batch it.
    h.join_channel(secret, user).expect("join");
    h.send_text(user, bot, &format!("/batch https://t.me/c/{secret}/{s1} https://t.me/c/{secret}/{s1}")).expect("send");
    expect(h, bot, user, "the member's batch", |m| m.text.starts_with("✅ 1 files") && m.text.contains("secret.pdf"))
        .await;
    host.stop().await;
}

/// 1. …and admins may batch the bin channel; unverified users get no batch links.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn batch_obeys_the_verify_gate_and_admins_reach_the_bin() {
    let host = host_with(|c, w| {
        with_first_party(c, &["batch", "verify"]);
        let table = PluginTable([("enabled".to_string(), toml::Value::Boolean(true))].into_iter().collect());
        c.plugins.config.insert("verify".into(), table);
        c.access.admins = vec![w.user];
    })
    .await;
    let (h, bot, admin) = (&host.w.h, host.w.bot, host.w.user);
    let public = h.add_channel("open", Some("openvids"), &[bot]);
    let p1 = h.channel_post(public, "", Some(doc("public.pdf"))).expect("post");
    let user = h.add_user("Unverified", None);
    h.send_text(user, bot, &format!("/batch https://t.me/openvids/{p1} https://t.me/openvids/{p1}")).expect("send");
    expect(h, bot, user, "verification asked for", |m| m.text.contains("Please verify first")).await;
    assert!(!h.messages_from(bot, user).iter().any(|m| m.text.contains("/watch/")), "no link before verifying");

    h.send_file(admin, bot, doc("admins.pdf"), "").expect("send");
    expect(h, bot, admin, "the admin's file", |m| m.text.contains("admins.pdf")).await;
    let bin = host.w.bin;
    h.send_text(admin, bot, &format!("/batch https://t.me/c/{bin}/1 https://t.me/c/{bin}/1")).expect("send");
    expect(h, bot, admin, "the admin's bin batch", |m| m.text.starts_with("✅ 1 files")).await;
    host.stop().await;
}

/// 2. A wake-up has no chat: a plugin granted only `schedule` cannot send, edit or delete in
/// the bin channel (nor anywhere else); `bin-channel` is what it takes.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_wake_up_cannot_reach_the_bin_channel() {
    logs::capture();
    let host = host_with(|c, _| mallory(c, &["schedule"])).await;
    let (h, bot) = (&host.w.h, host.w.bot);
    let other = h.add_user("Bob", None);
    host.send(doc("kept.pdf")).await;
    let bin = SimHandle::bot_api_channel_id(host.w.bin);
    let before = h.channel_messages(host.w.bin);
    assert_eq!(before.len(), 1);
    let failed_before = logs::lines_with(&["wake-up actions failed", "mallory"]);
    for payload in [
        format!("send {bin}"),
        format!("edit {bin} 1"),
        format!("delete {bin} 1"),
        "send 0".into(),
        format!("send {other}"),
    ] {
        assert_eq!(host.ask(&format!("/m_wake {payload}")).await.text, "scheduled");
    }
    assert_eq!(host.ask(&format!("/m_wake import-send {bin}")).await.text, "scheduled");
    h.wait_for(WAIT, "every wake-up ran", |_| {
        (logs::lines_with(&["wake-up actions failed", "mallory"]) >= failed_before + 5).then_some(())
    })
    .await
    .expect("the five acting wake-ups ran and failed");
    assert!(logs::wait_logged("import-send: Err(HostError::Denied(Permission::Telegram))").await);
    let after = h.channel_messages(host.w.bin);
    assert_eq!(after.len(), 1, "nothing posted to or deleted from the bin channel");
    assert!(!after[0].edited && after[0].text == before[0].text, "the bin message is untouched");
    assert!(h.messages_from(bot, other).is_empty(), "nobody else was messaged");
    // In a command too: no `telegram` grant, no other chat.
    assert_eq!(host.ask(&format!("/m_send {other}")).await.text, "Sorry, that did not work. The problem was logged.");
    host.stop().await;

    // The operator's grant is what it takes (and so the failures above were real refusals).
    let granted = host_with(|c, _| mallory(c, &["schedule", "bin-channel"])).await;
    let bin_id = granted.w.bin;
    assert_eq!(granted.ask(&format!("/m_wake send {}", SimHandle::bot_api_channel_id(bin_id))).await.text, "scheduled");
    granted
        .w
        .h
        .wait_for(WAIT, "the granted post", |s| {
            s.channel_messages(bin_id).into_iter().find(|m| m.text == "mallory was here")
        })
        .await
        .expect("with bin-channel the wake-up may post there");
    granted.stop().await;
}

/// A wake-up's sends are keyed by its stored job: a wake-up that sent and then failed is retried
/// as the same job, and what it sent the first time does not reach the chat again (Telegram
/// refuses the reused random id; the plugin is told it was sent already).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_retried_wake_up_does_not_send_twice() {
    logs::capture();
    let host = host_with(|c, _| mallory(c, &["schedule", "telegram", "kv"])).await;
    let (h, bot, user) = (&host.w.h, host.w.bot, host.w.user);
    assert_eq!(host.ask(&format!("/m_wake send-then-fail {user}")).await.text, "scheduled");
    expect(h, bot, user, "the retry's own message", |m| m.text == "mallory tried again").await;
    let sent = h.messages_from(bot, user).iter().filter(|m| m.text == "mallory was here").count();
    assert_eq!(sent, 1, "the first try's message arrived once, though the wake-up ran twice");
    assert!(logs::wait_logged("send-then-fail: Ok(").await, "the first try sent");
    assert!(logs::wait_logged("sent already, by an interrupted earlier try").await, "the retry was told");
    host.stop().await;
}

/// 3. A plugin is who its file is: a file declaring someone else's name is refused; a
/// third-party build under a first-party name gets no first-party grants.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_plugin_is_who_its_file_is() {
    logs::capture();
    let host = host_with(|c, w| {
        with_first_party(c, &["start"]);
        deploy(&c.plugins.dir, &wasm("test_mallory_admin"), "aaa.wasm");
        deploy(&c.plugins.dir, &wasm("test_mallory_admin"), "admin.wasm");
        c.access.admins = vec![w.user];
    })
    .await;
    assert!(
        logs::wait_logged("the plugin calls itself 'admin', but a plugin's name must be its file's name (aaa.wasm)")
            .await
    );
    let list = host.ask("/plugins").await.text;
    let admin = list.lines().skip_while(|l| !l.contains("• admin 6.6.6")).take(2).collect::<Vec<_>>().join("\n");
    assert!(admin.contains("granted: nothing") && admin.contains("file admin.wasm sha256 "), "{list}");
    assert!(!admin.contains("first-party"), "{list}");
    let start = list.lines().skip_while(|l| !l.contains("• start")).take(2).collect::<Vec<_>>().join("\n");
    assert!(start.contains("(first-party build)"), "the real first-party build is recognised: {list}");
    host.stop().await;
}

/// 4. Events are capabilities: without the grant a plugin sees no one's messages or files.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn events_are_granted_not_taken() {
    let host = host_with(|c, _| mallory(c, &[])).await;
    let text = host.ask("a private thought").await.text;
    assert!(!text.contains("mallory saw"), "{text}");
    let links = host.send(doc("private.pdf")).await;
    assert!(links.stream.contains("/stream/"), "the built-in reply, not the plugin's");
    assert!(!host.w.h.messages_from(host.w.bot, host.w.user).iter().any(|m| m.text.contains("mallory saw")));
    host.stop().await;

    let granted = host_with(|c, w| {
        mallory(c, &["text"]);
        c.access.admins = vec![w.user];
    })
    .await;
    assert_eq!(granted.ask("hello there").await.text, "mallory saw your text: hello there");
    let list = granted.ask("/plugins").await.text;
    assert!(list.contains("granted: text"), "{list}");
    granted.stop().await;
}

/// 5. Per-user data is scoped: a plugin reads and writes its own namespace for the event's user
/// only, and cannot spend another user's shortener key.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn plugins_see_only_their_own_settings_of_the_events_user() {
    let host = host_with(|c, _| {
        with_first_party(c, &["shortener"]);
        mallory(c, &["user-data", "links"]);
    })
    .await;
    let bob = host.w.h.add_user("Bob", None);
    let store = beamgram::storage::Store::open(None, &host.data).await.expect("the bot's database");
    for (who, key) in [(bob, "bobs-key"), (host.w.user, "alices-key")] {
        store.set_user_setting("shortener", who, "shortener.key", Some(key)).await.expect("set");
        store.set_user_setting("shortener", who, "shortener.site", Some("short.example")).await.expect("set");
    }
    let peek = host.ask(&format!("/m_peek {bob}")).await.text;
    assert!(peek.contains("Denied") && peek.contains("UserData"), "{peek}");
    let own = host.ask(&format!("/m_peek {}", host.w.user)).await.text;
    assert_eq!(own, "peek: Ok(None)", "the shortener's namespace is not mallory's");
    let set = host.ask(&format!("/m_set {bob}")).await.text;
    assert!(set.contains("Denied"), "{set}");
    let spend = host.ask(&format!("/m_spend {bob}")).await.text;
    assert!(spend.contains("Denied") && spend.contains("UserData"), "{spend}");
    assert_eq!(
        store.user_setting("shortener", bob, "shortener.key").await.expect("get").as_deref(),
        Some("bobs-key"),
        "Bob's key is untouched"
    );
    store.close().await;
    host.stop().await;
}

/// 6. Stored files cannot attack the links' origin: only harmless types inline, a sandbox CSP
/// on every stream, and a watch page that never splices a value into HTML.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn stored_files_cannot_run_script_on_the_links_origin() {
    if !tool("curl", "curl") {
        return;
    }
    let host = host().await;
    let svg = b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(document.cookie)</script></svg>".to_vec();
    let cases = [
        (FileSpec::document("x.svg", "image/svg+xml", svg), "image/svg+xml", "attachment"),
        (FileSpec::document("p.html", "text/html", b"<script>alert(1)</script>".to_vec()), "text/html", "attachment"),
        (
            FileSpec::document("n.txt", "text/plain; charset=latin1", b"hi".to_vec()),
            "text/plain; charset=utf-8",
            "inline",
        ),
        (FileSpec::document("i.png", "image/png", vec![0x89, b'P', b'N', b'G']), "image/png", "inline"),
        (FileSpec::document("odd", "text/html, image/png", b"<b>".to_vec()), "text/html", "attachment"),
    ];
    for (spec, ctype, disposition) in cases {
        let name = spec.name.clone();
        let links = host.send(spec).await;
        let h = headers(&[&links.stream]).await;
        assert_eq!(header(&h, "content-type"), Some(ctype), "{name}");
        assert!(header(&h, "content-disposition").is_some_and(|d| d.starts_with(disposition)), "{name}: {h:?}");
        assert!(header(&h, "content-security-policy").is_some_and(|c| c.starts_with("sandbox")), "{name}: {h:?}");
        assert_eq!(header(&h, "x-content-type-options"), Some("nosniff"));
    }
    let evil = "\"><img src=x onerror=alert(1)></script><script>alert(2)</script>.mp4";
    let links = host.send(FileSpec::document(evil, "video/mp4", vec![0; 1000])).await;
    let (_, page) = curl(&[&links.watch]).await;
    let page = String::from_utf8_lossy(&page);
    assert!(page.contains("\\u003cimg src=x"), "the name is in the JSON blob, escaped");
    assert!(!page.contains("<img src=x") && !page.contains("<script>alert(2)"), "never as markup:\n{page}");
    host.stop().await;
}

/// 8. Limits cannot be stepped around: a guest looping on a denied import is stopped, and the
/// denials are logged once, not once per call.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_guest_looping_on_imports_is_stopped_and_logged_once() {
    logs::capture();
    let host = host_with(|c, _| mallory(c, &[])).await;
    assert_eq!(host.ask("/m_loop").await.text, "Sorry, that did not work. The problem was logged.");
    assert!(logs::logged("ran out of fuel") || logs::logged("used more than"), "the limit is named in the log");
    assert_eq!(
        logs::lines_with(&["called an import it was not granted", "mallory", "\"kv\""]),
        1,
        "one line for thousands of denials"
    );
    host.stop().await;
}

/// 9. One user cannot starve the others: a per-user rate (with one polite notice) and a
/// per-user queue, checked before a shared slot is taken.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_user_cannot_starve_the_others() {
    /// A bot with the hello plugin and these per-user limits; one user sends `command` `times`
    /// times at once, and is told to slow down.
    async fn flooded(limits: impl FnOnce(&mut beamgram::config::AccessConfig), command: &str, times: usize) -> Host {
        let host = host_with(|c, _| {
            deploy(&c.plugins.dir, &wasm("test_hello"), "hello.wasm");
            limits(&mut c.access);
        })
        .await;
        let (h, bot, user) = (&host.w.h, host.w.bot, host.w.user);
        for _ in 0..times {
            h.send_text(user, bot, command).expect("send");
        }
        expect(h, bot, user, "a slow-down notice", |m| m.text.starts_with("⏳ Slow down")).await;
        host
    }

    let host = flooded(
        |a| {
            a.user_burst = 3;
            a.user_per_minute = 1;
        },
        "/hi",
        6,
    )
    .await;
    let (h, bot, user) = (&host.w.h, host.w.bot, host.w.user);
    let bob = h.add_user("Bob", None);
    h.send_text(bob, bot, "/hi").expect("send");
    expect(h, bot, bob, "another user is answered", |m| m.text.starts_with("hello v1")).await;
    expect_count(h, bot, user, "hello v1", 3).await;
    let notices = h.messages_from(bot, user).iter().filter(|m| m.text.starts_with("⏳ Slow down")).count();
    assert_eq!(notices, 1, "one notice, not one per refused update");
    host.stop().await;

    // A user's backlog waits in their own queue; past it they are told to slow down.
    let queued = flooded(
        |a| {
            a.user_concurrency = 1;
            a.user_queue = 2;
        },
        "/slow",
        5,
    )
    .await;
    expect_count(&queued.w.h, queued.w.bot, queued.w.user, "slow done", 2).await;
    queued.stop().await;
}

/// 10. Outbound HTTP cannot reach the inside: an allowed name that resolves to loopback is
/// refused, and plain http needs the operator's `http://` entry.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn outbound_http_cannot_reach_the_inside() {
    let server = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = server.local_addr().expect("addr").port();
    let app = axum::Router::new().route("/meta", axum::routing::get(|| async { "instance secrets" }));
    tokio::spawn(async move { axum::serve(server, app).await });
    let host = host_with(|c, _| {
        deploy(&c.plugins.dir, &wasm("test_fetcher"), "fetcher.wasm");
        grant(c, "fetcher", &["http"]);
        c.plugins.http_allow.insert("fetcher".into(), vec!["http://localhost".into(), "127.0.0.2".into()]);
    })
    .await;
    let by_name = host.ask(&format!("/fetch http://localhost:{port}/meta")).await.text;
    assert!(by_name.starts_with("error:") && by_name.contains("internal address"), "{by_name}");
    let plain = host.ask(&format!("/fetch http://127.0.0.2:{port}/meta")).await.text;
    assert_eq!(plain, "denied: Permission::Http", "https only unless allowed as http://");
    host.stop().await;
}

/// 11. Buttons and deep links cannot be forged or hijacked.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn buttons_and_deep_links_cannot_be_forged_or_hijacked() {
    logs::capture();
    let host = host_with(|c, _| {
        deploy(&c.plugins.dir, &wasm("test_hello"), "hello.wasm");
        grant(c, "hello", &["kv"]);
        with_first_party(c, &["verify"]);
        deploy(&c.plugins.dir, &wasm("test_mallory_greedy"), "greedy.wasm");
        deploy(&c.plugins.dir, &wasm("test_mallory_overlap"), "overlap.wasm");
    })
    .await;
    let (h, user) = (&host.w.h, host.w.user);
    let m = host.ask("/hello").await;
    let Some(SeenButton::Callback { data, .. }) = m.buttons.first().and_then(|r| r.first()).cloned() else {
        panic!("{:?}", m.buttons)
    };
    // The same tag with other data, and made-up tags: no plugin takes them.
    let mut altered = data.clone();
    let n = altered.len();
    altered[n - 1] ^= 1;
    for forged in [altered, b"aaaaaaa|again".to_vec(), b"|again".to_vec()] {
        let a = h.press_forged(user, m.id, &forged).await.expect("answered");
        assert_eq!(a.text.as_deref(), Some("This button no longer does anything."), "{forged:?}");
    }
    assert_eq!(
        h.press_button(user, m.id, &data, WAIT).await.expect("answered").text.as_deref(),
        Some("pressed again (v1)")
    );
    // Banned users' presses are refused like their messages.
    let store = beamgram::storage::Store::open(None, &host.data).await.expect("db");
    store.set_banned(user, true).await.expect("ban");
    let a = h.press_button(user, m.id, &data, WAIT).await.expect("answered");
    assert_eq!(a.text.as_deref(), Some("You are banned from using this bot."));
    store.close().await;
    assert!(logs::wait_logged("start prefix '' is empty").await, "an empty /start prefix is refused at load");
    assert!(logs::wait_logged("start prefix 'verify-me' overlaps plugin verify's 'verify-'").await);
    host.stop().await;

    // A private bot: a press from someone outside ALLOWED_USERS is refused like their messages.
    let private = host_with(|c, w| {
        mallory(c, &["telegram"]);
        c.access.allowed_users = vec![w.user];
    })
    .await;
    let (h, bot) = (&private.w.h, private.w.bot);
    let bob = h.add_user("Bob", None);
    // Bob writes first (as Telegram requires before a bot may message him) and is refused.
    h.send_text(bob, bot, "/start").expect("send");
    expect(h, bot, bob, "the refusal", |m| m.text == "Sorry, this bot is private.").await;
    h.send_text(private.w.user, bot, &format!("/m_send {bob}")).expect("send");
    let to_bob = expect(h, bot, bob, "a message with a button", |m| !m.buttons.is_empty()).await;
    let Some(SeenButton::Callback { data, .. }) = to_bob.buttons.first().and_then(|r| r.first()).cloned() else {
        panic!("{:?}", to_bob.buttons)
    };
    let a = h.press_button(bob, to_bob.id, &data, WAIT).await.expect("answered");
    assert_eq!(a.text.as_deref(), Some("Sorry, this bot is private."));
    private.stop().await;
}

/// 12. Links can be revoked by their sender (not by others) and by a ban; a deleted file answers
/// 410, not 500.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn links_can_be_revoked_and_gone_files_answer_410() {
    if !tool("curl", "curl") {
        return;
    }
    let host = host_with(|c, _| {
        with_first_party(c, &["admin"]);
        c.access.ban_revokes_links = true;
    })
    .await;
    let (h, bot) = (&host.w.h, host.w.bot);
    let first = host.send(doc("one.pdf")).await;
    assert_eq!(status_of(&[&first.stream]).await, 200);
    let bob = h.add_user("Bob", None);
    h.send_text(bob, bot, &format!("/revoke {}", first.watch)).expect("send");
    expect(h, bot, bob, "someone else's link refused", |m| m.text.contains("only revoke links of files you sent"))
        .await;
    assert_eq!(status_of(&[&first.stream]).await, 200);
    assert!(host.ask(&format!("/revoke {}", first.watch)).await.text.contains("Revoked"));
    assert_eq!(status_of(&[&first.stream]).await, 410);
    assert_eq!(status_of(&[&first.download]).await, 410);
    assert_eq!(status_of(&[&first.watch]).await, 410);
    assert_eq!(status_of(&[&first.thumb()]).await, 410, "its poster goes with it");

    // A deleted bin-channel message: 410 Gone.
    let second = host.send(doc("two.pdf")).await;
    let bin_msgs = h.channel_messages(host.w.bin);
    h.delete_channel_message(host.w.bin, bin_msgs.last().expect("copy").id).expect("delete");
    assert_eq!(status_of(&[&second.stream]).await, 410);
    host.stop().await;

    // A ban (with access.ban_revokes_links) takes the banned user's links with it.
    let banning = host_with(|c, w| {
        with_first_party(c, &["admin"]);
        c.access.ban_revokes_links = true;
        c.access.admins = vec![w.user];
    })
    .await;
    let (h, bot, admin) = (&banning.w.h, banning.w.bot, banning.w.user);
    let eve = h.add_user("Eve", None);
    h.send_file(eve, bot, doc("eve.pdf"), "").expect("send");
    let reply = expect(h, bot, eve, "Eve's links", |m| m.text.contains("Download: ")).await;
    let stream = reply
        .text
        .lines()
        .find_map(|l| l.split_once("Download: "))
        .map(|(_, u)| u.trim().trim_end_matches("?download=1").to_string())
        .expect("link");
    assert_eq!(status_of(&[&stream]).await, 200);
    h.send_text(admin, bot, &format!("/ban {eve}")).expect("send");
    expect(h, bot, admin, "the ban", |m| m.text.contains("is banned")).await;
    assert_eq!(status_of(&[&stream]).await, 410);
    banning.stop().await;
}

/// 13. Nothing a user does is silently dropped: long texts are split, and actions that cannot be
/// carried out get the user an apology.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn long_answers_are_split_and_failed_actions_apologised_for() {
    let host = host_with(|c, _| mallory(c, &[])).await;
    let (h, bot, user) = (&host.w.h, host.w.bot, host.w.user);
    h.send_text(user, bot, "/m_long").expect("send");
    let parts = h
        .wait_for(WAIT, "the long answer", |s| {
            let got: Vec<SeenMessage> =
                s.messages_from(bot, user).into_iter().filter(|m| m.text.starts_with("line ")).collect();
            got.iter().any(|m| m.text.ends_with("line 499 of a long answer")).then_some(got)
        })
        .await
        .expect("every part");
    assert!(parts.len() >= 3, "{} parts", parts.len());
    assert!(parts.iter().all(|p| p.text.chars().count() <= 4096));
    let joined: Vec<String> = parts.iter().map(|p| p.text.clone()).collect();
    assert_eq!(joined.join("\n").lines().count(), 500, "no line lost");
    let n = h.messages_from(bot, user).len() + 1;
    h.send_text(user, bot, "/m_badbutton").expect("send");
    let m = h.wait_for_message(bot, user, n, WAIT).await.expect("an answer");
    assert_eq!(m.text, "Sorry, that did not work. The problem was logged.");
    host.stop().await;
}

/// 14. Smaller leaks: file names cannot forge log lines; /metrics can require a token.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn log_lines_cannot_be_forged_and_metrics_can_be_private() {
    if !tool("curl", "curl") {
        return;
    }
    logs::capture();
    let host = host_with(|c, _| c.http.metrics_token = "s3cret-metrics".into()).await;
    host.send(FileSpec::document(
        "a.pdf\n2026-01-01T00:00:00Z  INFO forged: admin logged in",
        "application/pdf",
        vec![1; 10],
    ))
    .await;
    assert!(logs::logged("a.pdf\\n2026-01-01T00:00:00Z  INFO forged"), "the name is escaped");
    assert!(!logs::text().lines().any(|l| l.starts_with("2026-01-01T00:00:00Z  INFO forged")), "no forged line");
    let metrics = format!("{}/metrics", host.base);
    assert_eq!(status_of(&[&metrics]).await, 401);
    assert_eq!(status_of(&["-H", "Authorization: Bearer wrong", &metrics]).await, 401);
    assert_eq!(status_of(&["-H", "Authorization: Bearer s3cret-metrics", &metrics]).await, 200);
    host.stop().await;
}

/// 14. Bans fail closed: when the database cannot say whether a user is banned, they are refused
/// (admins are never locked out).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bans_fail_closed_when_the_store_cannot_answer() {
    let host = host_with(|c, _| deploy(&c.plugins.dir, &wasm("test_hello"), "hello.wasm")).await;
    let (bot, user) = (host.w.bot, host.w.user);
    assert_eq!(host.ask("/hi").await.text, "hello v1, world");
    // The users table disappears under the running bot.
    let url = format!("sqlite://{}", host.data.join("beamgram.db").display());
    let pool = sqlx::SqlitePool::connect(&url).await.expect("open the bot's database");
    sqlx::query("DROP TABLE users").execute(&pool).await.expect("drop");
    pool.close().await;
    let refused = host.ask("/hi").await.text;
    assert!(refused.contains("can't check your account"), "{refused}");
    let m = host.w.h.messages_from(bot, user);
    assert!(!m.iter().skip(1).any(|m| m.text.starts_with("hello")), "nothing handled while the store is down");
    host.stop().await;
}
