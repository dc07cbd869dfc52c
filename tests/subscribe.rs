//! Force-subscribe: users get links only after joining the channels in
//! `access.force_subscribe` — a "Join" button per missing channel and a "Try again" that checks
//! again with Telegram; admins are exempt; a channel the bot cannot check is reported to the
//! admins once (and not required meanwhile).

mod common;

use std::time::Duration;

use beamgram_sim::{FileSpec, SeenButton, SeenMessage, SimHandle};
use common::expect;
use common::host::host_with;

fn doc(name: &str) -> FileSpec {
    FileSpec::document(name, "application/pdf", vec![9; 2000])
}

fn has_links(m: &SeenMessage) -> bool {
    m.text.contains("Download: ")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn links_wait_until_the_user_joined_every_required_channel() {
    let (mut news, mut club, mut boss) = (0, 0, 0);
    let host = host_with(|c, w| {
        news = w.h.add_channel("News", Some("news_ch"), &[w.bot]);
        club = w.h.add_channel("Private club", None, &[w.bot]);
        boss = w.h.add_user("Boss", None);
        c.access.admins = vec![boss];
        c.access.force_subscribe =
            vec!["@news_ch".into(), format!("{} https://t.me/+club", SimHandle::bot_api_channel_id(club))];
    })
    .await;
    let (h, bot, user) = (&host.w.h, host.w.bot, host.w.user);

    h.send_file(user, bot, doc("a.pdf"), "").expect("send");
    let prompt = expect(h, bot, user, "the join prompt", |m| m.text.contains("please join")).await;
    assert!(prompt.text.contains("News, Private club"), "{}", prompt.text);
    assert!(h.channel_messages(host.w.bin).is_empty(), "nothing is stored for a user who has not joined");
    let buttons: Vec<&SeenButton> = prompt.buttons.iter().flatten().collect();
    assert_eq!(buttons.len(), 3, "{buttons:?}");
    assert_eq!(buttons[0], &SeenButton::Url { text: "Join News".into(), url: "https://t.me/news_ch".into() });
    assert_eq!(buttons[1], &SeenButton::Url { text: "Join Private club".into(), url: "https://t.me/+club".into() });
    let SeenButton::Callback { text, data } = buttons[2] else { panic!("a Try again button: {buttons:?}") };
    assert_eq!(text, "🔄 Try again");

    // Commands wait too, but /start and /help do not.
    h.send_text(user, bot, "/revoke x").expect("send");
    expect(h, bot, user, "a command is held back", |m| m.id > prompt.id && m.text.contains("please join")).await;
    h.send_text(user, bot, "/start").expect("send");
    expect(h, bot, user, "the welcome", |m| m.text.starts_with("Hi!")).await;

    h.join_channel(news, user).expect("join");
    let answer = h.press_button(user, prompt.id, data, Duration::from_secs(20)).await.expect("answered");
    assert_eq!(answer.text.as_deref(), Some("Not yet: please join Private club first."));
    assert!(answer.alert);

    h.join_channel(club, user).expect("join");
    let answer = h.press_button(user, prompt.id, data, Duration::from_secs(20)).await.expect("answered");
    assert_eq!(answer.text.as_deref(), Some("Thanks for joining!"));
    expect(h, bot, user, "the prompt says thanks", |m| {
        m.id == prompt.id && m.text.starts_with("✅ Thanks for joining")
    })
    .await;

    h.send_file(user, bot, doc("b.pdf"), "").expect("send");
    expect(h, bot, user, "links once joined", |m| has_links(m) && m.text.contains("b.pdf")).await;
    // Asked again within a minute: Telegram is not asked again.
    let asked = h.calls("channels.getParticipant", None);
    h.send_file(user, bot, doc("c.pdf"), "").expect("send");
    expect(h, bot, user, "links", |m| has_links(m) && m.text.contains("c.pdf")).await;
    assert_eq!(h.calls("channels.getParticipant", None), asked, "memberships are remembered briefly");

    // Admins are exempt.
    h.send_file(boss, bot, doc("d.pdf"), "").expect("send");
    expect(h, bot, boss, "links for an admin", |m| has_links(m) && m.text.contains("d.pdf")).await;
    host.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_channel_the_bot_cannot_check_is_reported_once_not_required_silently() {
    let mut boss = 0;
    let host = host_with(|c, w| {
        // The bot is not an administrator there: it cannot see who joined.
        w.h.add_channel("Elsewhere", Some("elsewhere_ch"), &[]);
        boss = w.h.add_user("Boss", None);
        c.access.admins = vec![boss];
        c.access.force_subscribe = vec!["@elsewhere_ch".into()];
    })
    .await;
    let (h, bot, user) = (&host.w.h, host.w.bot, host.w.user);
    for name in ["a.pdf", "b.pdf"] {
        h.send_file(user, bot, doc(name), "").expect("send");
        expect(h, bot, user, "links", |m| has_links(m) && m.text.contains(name)).await;
    }
    let report = expect(h, bot, boss, "the admin is told", |m| m.text.contains("Force-subscribe")).await;
    assert!(
        report.text.contains("@elsewhere_ch") && report.text.contains("Make @test_bot an administrator"),
        "{}",
        report.text
    );
    let reports = h.messages_from(bot, boss).iter().filter(|m| m.text.contains("Force-subscribe")).count();
    assert_eq!(reports, 1, "once, not per user or file");
    host.stop().await;
}
