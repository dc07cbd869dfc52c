//! Channel mode: in a channel the bot administers, switched on by the channel's admins, every
//! new media post (each album item too) gets Stream / Download buttons — in order, FLOOD_WAITs
//! waited out, posts deleted or edited meanwhile no trouble.

mod common;

use beamgram_sim::{ChannelId, Fault, FaultRule, FileSpec, SeenButton, SeenMessage, SimHandle};
use common::host::*;
use common::{WAIT, expect};

fn doc(name: &str, seed: u8) -> FileSpec {
    FileSpec::document(name, "application/pdf", vec![seed; 3000 + seed as usize])
}

/// The post's Stream and Download URLs, once it has them.
fn links_of(m: &SeenMessage) -> Option<(String, String)> {
    let urls: Vec<(&str, &str)> = m
        .buttons
        .iter()
        .flatten()
        .filter_map(|b| match b {
            SeenButton::Url { text, url } => Some((text.as_str(), url.as_str())),
            _ => None,
        })
        .collect();
    let find = |label: &str| urls.iter().find(|(t, _)| t.contains(label)).map(|(_, u)| u.to_string());
    Some((find("Stream")?, find("Download")?))
}

fn post(h: &SimHandle, ch: ChannelId, id: i32) -> SeenMessage {
    h.channel_messages(ch).into_iter().find(|m| m.id == id).expect("the post")
}

async fn buttons_on(h: &SimHandle, ch: ChannelId, id: i32) -> (String, String) {
    h.wait_for(WAIT, "the post's buttons", |s| {
        s.channel_messages(ch).into_iter().find(|m| m.id == id).and_then(|m| links_of(&m))
    })
    .await
    .unwrap_or_else(|_| panic!("post {id} never got its buttons: {:?}", h.channel_messages(ch)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn media_posts_get_links_in_order_once_the_channel_s_admins_switch_it_on() {
    if !tool("curl", "curl") {
        return;
    }
    let mut news = 0;
    let host = host_with(|_, w| news = w.h.add_channel("News", Some("news_ch"), &[w.bot])).await;
    let h = &host.w.h;
    let before = h.channel_post(news, "before", Some(doc("before.pdf", 1))).expect("post");
    h.channel_post(news, "/channel on", None).expect("post");
    h.wait_for(WAIT, "the confirmation", |s| {
        s.channel_messages(news).into_iter().find(|m| m.text.starts_with("✅ Channel mode is on")).map(|_| ())
    })
    .await
    .expect("confirmed in the channel");
    assert!(h.channel_messages(news).iter().all(|m| m.text != "/channel on"), "the command post is removed");

    // A busy channel: Telegram makes the bot wait twice while it puts buttons on posts.
    h.inject(FaultRule::new("messages.editMessage", Fault::FloodWait(1)).times(2));
    let video = h.channel_post(news, "Episode 1", Some(doc("ep1.pdf", 2))).expect("post");
    let gone = h.channel_post(news, "oops", Some(doc("oops.pdf", 3))).expect("post");
    h.delete_channel_message(news, gone).expect("deleted before its turn");
    let album = h.channel_album(news, vec![doc("a.pdf", 4), doc("b.pdf", 5), doc("c.pdf", 6)]).expect("album");
    let text = h.channel_post(news, "just words", None).expect("post");
    let last = h.channel_post(news, "", Some(doc("last.pdf", 7))).expect("post");

    let mut urls = Vec::new();
    for id in [video].iter().chain(&album).chain([&last]) {
        urls.push(buttons_on(h, news, *id).await);
    }
    assert!(h.faults_fired() >= 2, "the FLOOD_WAITs happened");
    assert_eq!(post(h, news, video).text, "Episode 1", "the caption is left alone");
    assert!(links_of(&post(h, news, before)).is_none(), "posts from before it was on are left alone");
    assert!(links_of(&post(h, news, text)).is_none(), "a post without a file gets nothing");
    // In order: the bin channel holds the copies in the order of the posts.
    let copied: Vec<String> =
        h.channel_messages(host.w.bin).iter().filter_map(|m| m.media.and_then(|f| h.file(f)).map(|f| f.name)).collect();
    assert_eq!(copied, ["ep1.pdf", "a.pdf", "b.pdf", "c.pdf", "last.pdf"]);
    // Each link serves its post's file.
    for ((_, download), seed) in urls.iter().zip([2u8, 4, 5, 6, 7]) {
        let (_, body) = curl(&[download]).await;
        assert!(body == vec![seed; 3000 + seed as usize], "the post's own bytes");
    }
    // A post deleted or edited later breaks nothing; switched off, posts are left alone.
    h.delete_channel_message(news, album[1]).expect("delete");
    h.channel_post(news, "/channel off", None).expect("post");
    let after = h.channel_post(news, "after", Some(doc("after.pdf", 8))).expect("post");
    h.channel_post(news, "/channel status", None).expect("post");
    h.wait_for(WAIT, "the status", |s| {
        s.channel_messages(news).into_iter().find(|m| m.text.starts_with("Channel mode is off")).map(|_| ())
    })
    .await
    .expect("the status is posted");
    assert!(links_of(&post(h, news, after)).is_none(), "off: no buttons");
    host.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn from_the_private_chat_only_the_channel_s_admins_switch_it() {
    let (mut news, mut bob, mut other) = (0, 0, 0);
    let host = host_with(|_, w| {
        news = w.h.add_channel("News", Some("news_ch"), &[w.bot, w.user]);
        other = w.h.add_channel("Elsewhere", Some("elsewhere_ch"), &[w.user]);
        bob = w.h.add_user("Bob", None);
    })
    .await;
    let (h, bot, alice) = (&host.w.h, host.w.bot, host.w.user);
    h.send_text(bob, bot, "/channel on @news_ch").expect("send");
    expect(h, bot, bob, "refused", |m| m.text == "Only the administrators of News can do that.").await;
    h.send_text(alice, bot, "/channel on @elsewhere_ch").expect("send");
    expect(h, bot, alice, "the bot must be an admin there", |m| {
        m.text.starts_with("Make @test_bot an administrator of Elsewhere")
    })
    .await;
    h.send_text(alice, bot, "/channel on").expect("send");
    expect(h, bot, alice, "the usage", |m| m.text.starts_with("Usage: /channel on|off|status")).await;
    h.send_text(alice, bot, "/channel on @news_ch").expect("send");
    expect(h, bot, alice, "switched on", |m| m.text.starts_with("News: ✅ Channel mode is on")).await;
    let id = h.channel_post(news, "", Some(doc("x.pdf", 9))).expect("post");
    buttons_on(h, news, id).await;
    h.send_text(alice, bot, "/channel status @news_ch").expect("send");
    expect(h, bot, alice, "the status", |m| m.text.starts_with("News: ✅")).await;
    host.stop().await;
}

/// In a group the bot cannot edit its members' messages: it answers each file with a reply
/// carrying the links, once one of the group's admins switched it on (members cannot).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn in_a_group_files_are_answered_with_their_links() {
    if !tool("curl", "curl") {
        return;
    }
    let (mut group, mut bob) = (0, 0);
    let host = host_with(|_, w| {
        bob = w.h.add_user("Bob", None);
        group = w.h.add_group("Movie club", Some("movie_club"), &[w.bot, w.user]);
        w.h.join_channel(group, bob).expect("bob joins");
    })
    .await;
    let (h, alice) = (&host.w.h, host.w.user);
    let said = |text: &'static str| async move {
        h.wait_for(WAIT, "the bot's message", |s| {
            s.channel_messages(group).into_iter().find(|m| m.from == host.w.bot && m.text.starts_with(text)).map(|_| ())
        })
        .await
        .unwrap_or_else(|_| panic!("no '{text}' in {:?}", h.channel_messages(group)))
    };
    h.group_message(group, bob, "/channel on", None).expect("bob writes");
    said("Only the group's administrators can do that.").await;
    h.group_message(group, alice, "/channel on", None).expect("alice writes");
    said("✅ Channel mode is on").await;
    h.group_message(group, bob, "look", Some(doc("clip.pdf", 11))).expect("bob shares a file");
    let answer = h
        .wait_for(WAIT, "the links", |s| {
            s.channel_messages(group).into_iter().find(|m| m.text.starts_with("📄 clip.pdf"))
        })
        .await
        .expect("answered");
    let (_, download) = links_of(&answer).expect("Stream and Download buttons");
    let (_, body) = curl(&[&download]).await;
    assert!(body == vec![11u8; 3011], "the member's file, byte for byte");
    host.stop().await;
}
