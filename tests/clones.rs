//! Clone bots, black-box against the simulator: a user makes a bot with the simulator's
//! BotFather, hands it to the main bot (by token or by forwarding BotFather's message), and the
//! clone then answers its own users with links that stream — isolated from the main bot and
//! from other clones, stopped when its token is revoked, refused when it should be.

mod common;

use std::time::Duration;

use beamgram_sim::{AccountId, Fault, FaultRule, FileSpec, SeenMessage, SimHandle};
use common::host::{Host, curl, host_with, status_of, tool};
use common::staging::with_first_party;
use common::{TOKEN, answered, expect, url_buttons};

const PLUGINS: [&str; 3] = ["start", "file-info", "admin"];

/// A host whose main bot loads the first-party plugins and whose admin is the test's user.
async fn clone_host(adjust: impl FnOnce(&mut beamgram::config::Config)) -> Host {
    host_with(|c, w| {
        with_first_party(c, &PLUGINS);
        c.access.admins = vec![w.user];
        c.plugins.watch = false;
        adjust(c);
    })
    .await
}

/// `owner` clones a new BotFather bot called `name` with `/clone <token>`; the clone's id and
/// token once the main bot says it runs.
async fn clone_by_token(host: &Host, owner: AccountId, name: &str) -> (AccountId, String) {
    let (h, main) = (&host.w.h, host.w.bot);
    let (clone, token, _) = h.new_bot(owner, name).expect("BotFather makes a bot");
    let sent = h.send_text(owner, main, &format!("/clone {token}")).expect("send");
    let done = expect(h, main, owner, "the clone runs", |m| m.text.contains("is running")).await;
    // The message with the token does not stay in the chat.
    let mine = h.messages_from(owner, main);
    assert!(
        mine.iter().any(|m| m.text.contains(&token) && m.deleted),
        "the /clone message ({sent}) is deleted: {mine:#?}"
    );
    let username = h.username_of(clone).expect("a username");
    assert!(done.text.contains(&format!("Your bot @{username} is running")), "{}", done.text);
    assert!(
        url_buttons(&done).iter().any(|(_, u)| u == &format!("https://t.me/{username}")),
        "a button opens the clone: {:?}",
        done.buttons
    );
    (clone, token)
}

/// The owner gives the clone a channel of its own (the clone is its admin) with `/setbin`.
async fn set_bin(h: &SimHandle, owner: AccountId, clone: AccountId) -> i64 {
    let channel = h.add_channel("my files", None, &[clone]);
    let id = SimHandle::bot_api_channel_id(channel);
    h.send_text(owner, clone, &format!("/setbin {id}")).expect("send");
    expect(h, clone, owner, "the channel is set", |m| m.text.starts_with("✅ Files will be kept")).await;
    id
}

fn video(name: &str, seed: u64) -> FileSpec {
    FileSpec::seeded(name, "video/mp4", 3 * 1024 * 1024 + 17, seed)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_clone_answers_start_and_files_with_links_that_stream_its_own_files_only() {
    let host = clone_host(|_| {}).await;
    let (h, main, owner) = (&host.w.h, host.w.bot, host.w.user);
    h.send_text(owner, main, "/clone").expect("send");
    let how = expect(h, main, owner, "the steps", |m| m.text.contains("@BotFather")).await;
    assert!(how.text.contains("/clone <token>") && how.text.contains("/setbin"), "{}", how.text);

    let (clone, _) = clone_by_token(&host, owner, "Mine").await;
    h.send_text(owner, clone, "/start").expect("send");
    expect(h, clone, owner, "the clone's welcome", |m| m.text.contains("Send me any file")).await;

    // No channel yet: the owner gets the steps, another user a notice, nobody a link.
    let visitor = h.add_user("Visitor", None);
    h.send_file(owner, clone, video("early.mp4", 1), "").expect("send");
    expect(h, clone, owner, "the setbin steps", |m| {
        m.text.starts_with("I can't keep files yet") && m.text.contains("/setbin")
    })
    .await;
    h.send_file(visitor, clone, video("early.mp4", 1), "").expect("send");
    expect(h, clone, visitor, "not ready", |m| m.text.contains("not ready for files")).await;
    h.send_text(visitor, clone, "/setbin -1001234567890").expect("send");
    expect(h, clone, visitor, "owner only", |m| m.text == "That command is for this bot's owner.").await;
    // A channel the clone cannot post in is refused with the reason.
    let foreign = SimHandle::bot_api_channel_id(h.add_channel("not mine", None, &[host.w.bot]));
    h.send_text(owner, clone, &format!("/setbin {foreign}")).expect("send");
    expect(h, clone, owner, "cannot post there", |m| m.text.starts_with("I cannot post in that channel")).await;
    // The host's own bin channel is never a clone's.
    let host_bin = SimHandle::bot_api_channel_id(host.w.bin);
    h.send_text(owner, clone, &format!("/setbin {host_bin}")).expect("send");
    expect(h, clone, owner, "the host's channel", |m| m.text.contains("belongs to the host bot")).await;

    set_bin(h, owner, clone).await;
    let spec = video("clip.mp4", 42);
    let want = spec.content.read(0, spec.content.len() as usize);
    h.send_file(visitor, clone, spec, "").expect("send");
    let reply = expect(h, clone, visitor, "the clone's file reply", |m| !url_buttons(m).is_empty()).await;
    let (_, download) =
        url_buttons(&reply).into_iter().find(|(t, _)| t.contains("Download")).expect("a Download button");
    let token = beamgram::links::LinkSigner::token_in(&download).expect("a token").to_string();
    assert!(token.starts_with(&format!("{clone}.")), "the clone's links name it: {download}");
    assert!(download.starts_with(&host.base), "served by the same HTTP server: {download}");
    if tool("curl", "curl") {
        let (status, body) = curl(&["-sf", &download]).await;
        assert!(status.success(), "the download works");
        assert!(body == want, "byte-exact ({} bytes, want {})", body.len(), want.len());
        let (_, part) = curl(&["-sf", "-r", "1000-1999", &download]).await;
        assert_eq!(part, want[1000..2000], "ranges too");
        // The same token under the main bot's name, another clone's, or none: no such link.
        let rest = &token[token.find('.').expect("dot") + 1..];
        for forged in [rest.to_string(), format!("{}.{rest}", clone + 1), format!("{}.{rest}", host.w.bot)] {
            let url = download.replace(&token, &forged);
            assert_eq!(status_of(&["-s", &url]).await, 404, "{url}");
        }
    }
    // The main bot's users and files are not the clone's: /stats on each counts its own.
    h.send_text(owner, clone, "/stats").expect("send");
    let stats = expect(h, clone, owner, "the clone's stats", |m| m.text.contains("Users")).await;
    assert!(stats.text.contains("👤 Users: 2 ("), "owner and visitor:\n{}", stats.text);
    // The plugin folder is the operator's: /plugins is not a clone owner's command.
    h.send_text(owner, clone, "/plugins reload").expect("send");
    let answer = expect(h, clone, owner, "an answer to /plugins", |m| m.text.contains("/plugins")).await;
    assert!(!answer.text.starts_with("Reloaded"), "{}", answer.text);
    host.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn botfather_s_forwarded_message_clones_and_bad_or_duplicate_tokens_are_refused() {
    let host = clone_host(|_| {}).await;
    let (h, main, owner) = (&host.w.h, host.w.bot, host.w.user);
    let other = h.add_user("Bob", Some("bob"));
    h.send_text(other, main, "/start").expect("send");
    expect(h, main, other, "welcome", |m| m.text.contains("Send me any file")).await;

    // Bob forwards BotFather's message: that is a clone.
    let (bobs, bobs_token, msg) = h.new_bot(other, "Bobs").expect("a bot");
    h.forward_from_botfather(other, msg, main).expect("forward");
    expect(h, main, other, "the clone runs", |m| m.text.contains("is running")).await;
    h.send_text(other, bobs, "/start").expect("send");
    expect(h, bobs, other, "the clone answers", |m| m.text.contains("Send me any file")).await;

    let refused = async |user: AccountId, text: &str, why: &'static str, needle: &str| {
        answered(h, main, user, text, why, needle).await;
    };
    // The same text typed or pasted is not BotFather's message.
    let (_, token, _) = h.new_bot(owner, "Pasted").expect("a bot");
    let fake = beamgram_sim_congratulations("Pasted_bot", &token);
    refused(owner, &fake, "a pasted message", "not forwarded from @BotFather").await;
    refused(owner, "/clone 123:abc", "a malformed token", "not a bot token").await;
    refused(owner, &format!("/clone {}", wrong_secret(&token)), "a wrong secret", "did not accept that token").await;
    // The main bot's own id (its token id) is never a clone, whatever the secret.
    let main_id = TOKEN.split(':').next().expect("id");
    refused(
        owner,
        &format!("/clone {main_id}:{}", "y".repeat(35)),
        "the host's own bot",
        "a bot this host already runs",
    )
    .await;
    refused(other, &format!("/clone {bobs_token}"), "Bob's own again", "already your clone").await;
    refused(owner, &format!("/clone {bobs_token}"), "someone else's", "someone else's clone").await;
    // Bob may have one clone (clones.per_user = 1).
    let (_, second, _) = h.new_bot(other, "Second").expect("a bot");
    refused(other, &format!("/clone {second}"), "over the limit", "the most one user may have").await;
    // Eve cannot stop, start or delete Bob's clone; /clones is the operator's.
    let bobs_name = h.username_of(bobs).expect("name");
    let eve = h.add_user("Eve", None);
    for verb in ["stop", "start", "delete"] {
        refused(eve, &format!("/clone {verb} @{bobs_name}"), "not hers", "is not your clone").await;
    }
    h.send_text(other, bobs, "/start").expect("send");
    let answered =
        |s: &SimHandle| s.messages_from(bobs, other).iter().filter(|m| m.text.contains("Send me any file")).count();
    h.wait_for(common::EXPECT_WAIT, "Bob's clone still runs", |s| (answered(s) == 2).then_some(()))
        .await
        .expect("runs");
    refused(other, "/clones", "not an admin", "That command is for admins.").await;
    host.stop().await;
}

/// The simulator's BotFather text, typed by hand.
fn beamgram_sim_congratulations(username: &str, token: &str) -> String {
    beamgram_sim::botfather::congratulations(username, token)
}

fn wrong_secret(token: &str) -> String {
    let (id, secret) = token.split_once(':').expect("a token");
    let flipped: String = secret.chars().rev().collect();
    format!("{id}:{flipped}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn owners_stop_start_and_delete_their_clone_and_admins_list_them() {
    let host = clone_host(|_| {}).await;
    let (h, main, owner) = (&host.w.h, host.w.bot, host.w.user);
    let (clone, _) = clone_by_token(&host, owner, "Managed").await;
    let name = h.username_of(clone).expect("name");
    h.send_text(owner, main, "/clones").expect("send");
    let list = expect(h, main, owner, "the list", |m| m.text.starts_with("Clones (")).await;
    assert!(list.text.contains(&format!("@{name} — owner {owner} — 0 users — running")), "{}", list.text);

    h.send_text(owner, main, "/clone stop").expect("send");
    expect(h, main, owner, "stopped", |m| m.text.starts_with("⏹")).await;
    h.send_text(owner, clone, "/start").expect("send");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(h.messages_from(clone, owner).is_empty(), "a stopped clone answers nothing");
    h.send_text(owner, main, "/clone start").expect("send");
    expect(h, main, owner, "started", |m| m.text.starts_with("▶️")).await;
    // The /start sent while it was stopped is answered on resuming (catch-up).
    expect(h, clone, owner, "the clone answers again", |m| m.text.contains("Send me any file")).await;

    h.send_text(owner, clone, "/setwelcome Welcome to my file bot!").expect("send");
    expect(h, clone, owner, "welcome set", |m| m.text.starts_with("✅ /start now greets")).await;
    let greeted =
        |s: &SimHandle| s.messages_from(clone, owner).iter().any(|m| m.text.starts_with("Welcome to my file bot!"));
    h.send_text(owner, clone, "/start").expect("send");
    h.wait_for(common::EXPECT_WAIT, "the new welcome", |s| greeted(s).then_some(())).await.expect("greeted");

    h.send_text(owner, main, "/clone delete").expect("send");
    expect(h, main, owner, "deleted", |m| m.text.starts_with("🗑")).await;
    h.send_text(owner, main, "/clones").expect("send");
    expect(h, main, owner, "none left", |m| m.text == "No clones yet.").await;
    host.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_revoked_token_stops_the_clone_its_owner_is_told_and_a_new_token_brings_it_back() {
    let host = clone_host(|c| c.clones.token_check_secs = 1).await;
    let (h, main, owner) = (&host.w.h, host.w.bot, host.w.user);
    let (clone, _) = clone_by_token(&host, owner, "Fragile").await;
    let new_token = h.revoke_token(clone).expect("revoked");
    expect(h, main, owner, "the owner is told", |m| {
        m.text.starts_with("⚠️ Your clone @") && m.text.contains("stopped")
    })
    .await;
    // Nothing else is affected: the main bot answers.
    h.send_text(owner, main, "/start").expect("send");
    expect(h, main, owner, "the main bot answers", |m| m.text.contains("Send me any file")).await;
    h.send_text(owner, main, "/clone start").expect("send");
    expect(h, main, owner, "start refused", |m| m.text.contains("token was revoked")).await;
    h.send_text(owner, main, &format!("/clone {new_token}")).expect("send");
    let back = |s: &SimHandle| s.messages_from(main, owner).iter().filter(|m| m.text.contains("is running")).count();
    h.wait_for(common::EXPECT_WAIT, "running again", |s| (back(s) == 2).then_some(())).await.expect("back");
    h.send_text(owner, clone, "/start").expect("send");
    expect(h, clone, owner, "the clone answers", |m| m.text.contains("Send me any file")).await;
    host.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_clone_s_broadcast_reaches_only_the_clone_s_users() {
    let host = clone_host(|_| {}).await;
    let (h, main, owner) = (&host.w.h, host.w.bot, host.w.user);
    let (clone, _) = clone_by_token(&host, owner, "Caster").await;
    let (fan, main_only) = (h.add_user("Fan", None), h.add_user("MainOnly", None));
    for (u, b) in [(fan, clone), (main_only, main), (owner, clone)] {
        h.send_text(u, b, "/start").expect("send");
        expect(h, b, u, "welcome", |m| m.text.contains("Send me any file")).await;
    }
    let source = h.send_text(owner, clone, "📢 News for my users").expect("send");
    h.send_reply(owner, clone, source, "/broadcast").expect("send");
    let done = expect(h, clone, owner, "the broadcast finished", |m| m.text.starts_with("📣 Broadcast finished")).await;
    assert!(done.text.contains(": 2/2\n"), "the owner and the fan, nobody else:\n{}", done.text);
    assert!(h.messages_from(clone, fan).iter().any(|m| m.text == "📢 News for my users"), "the fan got it");
    let leaked = |b| h.messages_from(b, main_only).iter().any(|m: &SeenMessage| m.text.contains("News for my users"));
    assert!(!leaked(main) && !leaked(clone), "the main bot's user got nothing");
    // The main bot's /stats does not count the clone's users.
    h.send_text(owner, main, "/stats").expect("send");
    let stats = expect(h, main, owner, "the main stats", |m| m.text.contains("Users")).await;
    assert!(stats.text.contains("👤 Users: 2 ("), "the owner and MainOnly, not the fan:\n{}", stats.text);
    host.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_clone_owner_s_shortener_shortens_their_users_links_only() {
    let fake = common::shortener::fake_shortener().await;
    let site = fake.addr.to_string();
    let allowed = site.clone();
    let host = clone_host(move |c| {
        c.links.shortener_sites = vec![allowed];
        c.links.shortener_scheme = "http".into();
    })
    .await;
    let (h, main, owner) = (&host.w.h, host.w.bot, host.w.user);
    let (clone, _) = clone_by_token(&host, owner, "Earner").await;
    set_bin(h, owner, clone).await;
    let visitor = h.add_user("Visitor", None);
    let said = async |who: AccountId, text: &str, why: &'static str, needle: &str| {
        answered(h, clone, who, text, why, needle).await;
    };
    said(visitor, &format!("/setshortener {site} good"), "not the owner", "for this bot's owner").await;
    said(owner, "/setshortener evil.example good", "an unlisted site", "not allowed here").await;
    said(owner, &format!("/setshortener {site} wrong"), "a bad key", "did not shorten a test link").await;
    said(owner, &format!("/setshortener {site} good"), "a working key", "works").await;

    let links_of = async |who: AccountId, bot: AccountId, name: &str| {
        h.send_file(who, bot, FileSpec::document(name, "text/plain", b"hello".to_vec()), "").expect("send");
        let m = expect(h, bot, who, "the links", |m| m.text.contains(name) && !m.buttons.is_empty()).await;
        url_buttons(&m).into_iter().map(|(_, u)| u).collect::<Vec<_>>()
    };
    let short = links_of(visitor, clone, "a.txt").await;
    assert!(!short.is_empty() && short.iter().all(|u| u.starts_with("https://sho.rt/")), "{short:?}");
    // The main bot's users are not the clone owner's: their links stay plain.
    let plain = links_of(owner, main, "b.txt").await;
    assert!(plain.iter().all(|u| u.starts_with(&host.base)), "{plain:?}");
    said(owner, "/setshortener off", "off", "no longer shortened").await;
    let plain = links_of(visitor, clone, "c.txt").await;
    assert!(plain.iter().all(|u| u.starts_with(&host.base)), "{plain:?}");
    host.stop().await;
}

/// One clone waiting out a FLOOD_WAIT (its sends, not the main bot's) holds up nobody else: its
/// pacing and users are its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_clone_in_flood_wait_slows_no_one_else() {
    let host = clone_host(|_| {}).await;
    let (h, main, owner) = (&host.w.h, host.w.bot, host.w.user);
    let (clone, _) = clone_by_token(&host, owner, "Flooded").await;
    let fan = h.add_user("Fan", None);
    host.w.h.inject(FaultRule::new("messages.sendMessage", Fault::FloodWait(8)).for_account(clone));
    h.send_text(fan, clone, "/start").expect("send");
    tokio::time::sleep(Duration::from_millis(300)).await;
    h.send_text(owner, main, "/start").expect("send");
    h.send_text(fan, main, "/start").expect("send");
    expect(h, main, owner, "the main bot answers", |m| m.text.contains("Send me any file")).await;
    expect(h, main, fan, "the main bot answers the fan", |m| m.text.contains("Send me any file")).await;
    assert!(h.messages_from(clone, fan).is_empty(), "the clone is still waiting out its FLOOD_WAIT");
    expect(h, clone, fan, "the clone answers once it may", |m| m.text.contains("Send me any file")).await;
    assert!(host.w.h.faults_fired() >= 1, "the fault fired");
    host.stop().await;
}
