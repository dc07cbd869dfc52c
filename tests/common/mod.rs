//! Helpers shared by the black-box tests: a simulator with a bot, a user and a bin channel,
//! and a real grammers client logged in as the bot.
#![allow(dead_code)] // each test binary uses its own part of it

pub mod host;
pub mod logs;
pub mod postgres;
pub mod process;
pub mod shortener;
pub mod staging;

use std::sync::Arc;
use std::time::Duration;

use beamgram_sim::{AccountId, ChannelId, SeenButton, SeenMessage, SimConfig, SimHandle, Simulator};
use grammers_client::client::UpdateStream;
use grammers_client::sender::UpdatesConfiguration;
use grammers_client::{Client, SenderPool};
use grammers_session::storages::MemorySession;

pub const TOKEN: &str = "1000:test-bot-token";
pub const WAIT: Duration = Duration::from_secs(20);

pub struct SimSetup {
    pub sim: Simulator,
    pub h: SimHandle,
    pub bot: AccountId,
    pub user: AccountId,
    pub bin: ChannelId,
}

pub async fn world() -> SimSetup {
    let sim = Simulator::start(SimConfig::default()).await.expect("simulator starts");
    let h = sim.handle();
    let bot = h.add_bot(TOKEN, "test_bot", "Test Bot");
    let user = h.add_user("Alice", Some("alice"));
    let bin = h.add_channel("bin", None, &[bot]);
    SimSetup { sim, h, bot, user, bin }
}

pub struct Bot {
    pub client: Client,
    pub updates: Option<tokio::sync::mpsc::Receiver<grammers_session::updates::UpdatesLike>>,
    pub runner: tokio::task::JoinHandle<()>,
}

/// A real grammers client on a session pre-seeded for `token`; not yet signed in.
pub fn connect(h: &SimHandle, token: &str) -> Bot {
    let session = Arc::new(MemorySession::from(h.session_for(token)));
    let pool = SenderPool::new(session, h.address().api_id);
    let client = Client::new(pool.handle);
    let runner = tokio::spawn(pool.runner.run());
    Bot { client, updates: Some(pool.updates), runner }
}

pub async fn signed_in(h: &SimHandle, token: &str) -> Bot {
    let bot = connect(h, token);
    bot.client.bot_sign_in(token, &h.address().api_hash).await.expect("bot signs in");
    bot
}

impl Bot {
    pub async fn stream(&mut self) -> UpdateStream {
        let rx = self.updates.take().expect("updates taken once");
        self.client.stream_updates(rx, UpdatesConfiguration { catch_up: false }).await.expect("update stream")
    }
}

/// How long a test waits for the bot to say something.
pub const EXPECT_WAIT: Duration = Duration::from_secs(30);

/// Waits for a message from the bot to `user` that `pred` accepts.
pub async fn expect(
    h: &SimHandle,
    bot: AccountId,
    user: AccountId,
    what: &'static str,
    pred: impl Fn(&SeenMessage) -> bool,
) -> SeenMessage {
    h.wait_for(EXPECT_WAIT, what, |s| s.messages_from(bot, user).into_iter().find(|m| pred(m)))
        .await
        .unwrap_or_else(|_| panic!("{what}; the bot sent: {:#?}", h.messages_from(bot, user)))
}

/// `user` sends `text` to `bot`; the bot's next message to them, which must contain `needle`.
pub async fn answered(
    h: &SimHandle,
    bot: AccountId,
    user: AccountId,
    text: &str,
    why: &'static str,
    needle: &str,
) -> SeenMessage {
    let before = h.messages_from(bot, user).len();
    h.send_text(user, bot, text).expect("send");
    let m = h
        .wait_for(EXPECT_WAIT, why, |s| s.messages_from(bot, user).into_iter().nth(before))
        .await
        .unwrap_or_else(|_| panic!("{why}: no answer"));
    assert!(m.text.contains(needle), "{why}: {}", m.text);
    m
}

/// Waits until exactly `n` of the bot's messages to `user` start with `prefix`.
pub async fn expect_count(h: &SimHandle, bot: AccountId, user: AccountId, prefix: &str, n: usize) {
    let count = |s: &SimHandle| s.messages_from(bot, user).iter().filter(|m| m.text.starts_with(prefix)).count();
    h.wait_for(EXPECT_WAIT, "a count of messages", |s| (count(s) == n).then_some(())).await.unwrap_or_else(|_| {
        panic!("{n} messages starting {prefix:?}; the bot sent: {:#?}", h.messages_from(bot, user))
    });
}

/// Waits until `check` holds, asking again every 50 ms, for at most `timeout`; whether it held.
/// For what a test can only poll (a metric, a log line, a file); what the simulator sees is
/// better awaited with `SimHandle::wait_for`.
pub async fn eventually(timeout: Duration, mut check: impl AsyncFnMut() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if check().await {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The (label, link) of a message's URL and copy-text buttons.
pub fn url_buttons(m: &SeenMessage) -> Vec<(String, String)> {
    m.buttons
        .iter()
        .flatten()
        .filter_map(|b| match b {
            SeenButton::Url { text, url } => Some((text.clone(), url.clone())),
            SeenButton::Copy { text, copied } => Some((text.clone(), copied.clone())),
            _ => None,
        })
        .collect()
}
