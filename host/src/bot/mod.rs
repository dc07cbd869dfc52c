//! The bot's update loop: reads updates in order, hands each to a handler task, and on
//! shutdown stops reading, lets running handlers finish (with a deadline) and saves state.

mod actions;
mod channel_mode;
pub mod clones;
pub mod command;
pub mod dispatch;
mod intake;
pub mod lease;
mod received;
mod rename;
mod revoke;
pub mod scheduler;
pub mod subscribe;
mod subtitles;
pub mod user_gate;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use grammers_client::sender::UpdatesConfiguration;
use grammers_client::update::Update;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tracing::Instrument;

use crate::config::Config;
use crate::links::LinkSigner;
use crate::plugins::PluginHost;
use crate::storage::Store;
use crate::telegram::outbox::{Actor, Draft, Outbox};
use crate::telegram::{BotClient, TelegramError};
use user_gate::{Admission, UserGate, UserLimits};

/// How long running handlers get to finish once shutdown starts.
const DRAIN_DEADLINE: Duration = Duration::from_secs(10);
/// Handlers running at once; more updates wait, so a burst cannot exhaust memory.
const MAX_IN_FLIGHT: usize = 64;
/// Updates admitted (running or waiting for a slot) at once, across all users.
const MAX_ADMITTED: usize = 1024;

/// What every handler needs, shared.
pub struct UpdateContext {
    pub client: grammers_client::Client,
    pub config: Config,
    pub signer: LinkSigner,
    pub plugins: Option<Arc<PluginHost>>,
    /// The bot's own username, to tell `/cmd@us` from `/cmd@another_bot`.
    pub username: String,
    /// Users, files and the session state live here.
    pub store: Store,
    /// Every message the bot sends, edits, forwards or deletes goes out here.
    pub outbox: Arc<Outbox>,
    /// Each user's share of the handlers.
    pub users: Arc<UserGate>,
    /// Links revoked, checked by the HTTP side too.
    pub revoked: crate::links::Revocations,
    /// The operator's bot or a user's clone.
    pub role: Role,
    /// The channels users must join before they get links, and what is known of who has.
    pub subscriptions: Arc<subscribe::Subscriptions>,
}

/// Which bot an update loop runs.
pub enum Role {
    /// The operator's bot; `clones` is there when cloning is on.
    Main { clones: Option<Arc<clones::Clones>> },
    /// A user's clone, administered by its owner alone.
    Clone { owner: i64, clones: std::sync::Weak<clones::Clones> },
}

impl UpdateContext {
    /// `bot`: the logged-in client and its username.
    pub fn new(
        bot: (grammers_client::Client, String),
        config: Config,
        signer: LinkSigner,
        plugins: Option<Arc<PluginHost>>,
        store: Store,
        outbox: Arc<Outbox>,
        revoked: crate::links::Revocations,
    ) -> UpdateContext {
        let (client, username) = bot;
        let a = &config.access;
        let users = UserGate::new(UserLimits {
            concurrency: a.user_concurrency,
            queued: a.user_queue,
            burst: a.user_burst,
            per_minute: a.user_per_minute,
        });
        let role = Role::Main { clones: None };
        let subscriptions = Arc::new(subscribe::Subscriptions::new(&a.force_subscribe));
        UpdateContext { client, config, signer, plugins, username, store, outbox, users, revoked, role, subscriptions }
    }

    /// The bot's streamer (none before a clone has a bin channel): what reads its files back.
    pub fn streamer(&self) -> Option<Arc<crate::stream::ByteStreamer>> {
        self.plugins.as_ref()?.services.bot.as_ref()?.streamer.clone()
    }

    pub fn is_admin(&self, user: i64) -> bool {
        self.config.access.admins.contains(&user)
    }

    /// An answer to message `m`, in its chat.
    pub async fn answer(&self, m: &grammers_client::update::Message, text: impl Into<String>) {
        self.say(m.peer_id().bot_api_dialog_id_unchecked(), Draft::text(text).reply_to(m.id())).await;
    }

    /// A message from the host to `chat`.
    pub async fn say(&self, chat: i64, draft: Draft) {
        if let Err(e) = self.outbox.send(Actor::Host, chat, draft).await {
            tracing::warn!(chat, "could not answer: {e}");
        }
    }
}

/// Runs until `shutdown` completes or the connection to Telegram is gone for good. Each update
/// is handled with the context `contexts` holds when it arrives: a clone's owner changes its
/// settings without the update stream stopping (grammers' `next()` is not safe to interrupt,
/// and an update arriving while a bot reconnects must not be lost).
pub async fn take_updates(
    bot: &mut BotClient,
    contexts: tokio::sync::watch::Receiver<Arc<UpdateContext>>,
    shutdown: impl Future<Output = ()>,
) -> Result<(), TelegramError> {
    let Some(rx) = bot.updates.take() else {
        return Ok(());
    };
    let mut stream = bot
        .client
        .stream_updates(rx, UpdatesConfiguration { catch_up: true })
        .await
        .map_err(|e| TelegramError::Updates(e.to_string()))?;
    let permits = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
    let admitted = Arc::new(Semaphore::new(MAX_ADMITTED));
    let mut tasks = JoinSet::new();
    // Channel posts go to one worker, in order (see `channel_mode`).
    let (posts, queue) = tokio::sync::mpsc::unbounded_channel();
    let mut channel_posts = tokio::spawn(channel_mode::work(contexts.clone(), queue));
    tokio::pin!(shutdown);
    loop {
        let update = tokio::select! {
            _ = &mut shutdown => break,
            u = stream.next() => u,
        };
        while tasks.try_join_next().is_some() {}
        let ctx = contexts.borrow().clone();
        let update = match update {
            Ok(u) => u,
            Err(e) => {
                tracing::error!("update stream ended: {e}");
                break;
            }
        };
        // Stored before the update is handled (`next` is not safe to interrupt, so this cannot
        // run on a timer): after a kill -9 the bot resumes past this update instead of
        // answering it twice. One small write per update.
        if let Err(e) = stream.sync_update_state().await {
            tracing::warn!("could not read the update state: {e}");
        } else if let Err(e) = bot.save().await {
            tracing::warn!("could not save the session: {e}");
        }
        let update = match update {
            Update::NewMessage(m) if m.peer_id().kind() == grammers_session::types::PeerKind::Channel => {
                let _ = posts.send(m);
                continue;
            }
            other => other,
        };
        let user = update_user(&update);
        let ticket = match user {
            Some(u) => match ctx.users.admit(u, ctx.is_admin(u)) {
                Admission::Go(t) => Some(t),
                Admission::SlowDown { tell } => {
                    tracing::info!(user = u, "update refused: the user is over their share");
                    if tell {
                        let ctx = ctx.clone();
                        tasks.spawn(async move { slow_down(&ctx, update).await });
                    }
                    continue;
                }
            },
            None => None,
        };
        let Ok(admitted) = admitted.clone().acquire_owned().await else {
            break;
        };
        let (ctx, permits) = (ctx.clone(), permits.clone());
        let span = tracing::info_span!("update", chat = update_chat(&update));
        tasks.spawn(
            async move {
                // The user's own turn first, then a shared slot: one user's backlog waits in
                // its own queue and holds none of the slots everyone shares.
                let _turn = match &ticket {
                    Some(t) => t.turn().await,
                    None => None,
                };
                let Ok(_slot) = permits.acquire_owned().await else { return };
                handle(&ctx, update).await;
                drop((ticket, admitted));
            }
            .instrument(span),
        );
    }
    while tasks.try_join_next().is_some() {}
    tracing::info!(in_flight = tasks.len(), "no longer taking updates; letting handlers finish");
    drop(posts);
    let drained = async {
        while tasks.join_next().await.is_some() {}
        let _ = (&mut channel_posts).await;
    };
    if tokio::time::timeout(DRAIN_DEADLINE, drained).await.is_err() {
        tracing::warn!(abandoned = tasks.len(), "handlers did not finish in time");
        tasks.abort_all();
        channel_posts.abort();
    }
    if let Err(e) = stream.sync_update_state().await {
        tracing::warn!("could not save the update state: {e}");
    }
    Ok(())
}

/// The user behind an update that takes a handler: a private message or a button press.
fn update_user(u: &Update) -> Option<i64> {
    match u {
        Update::NewMessage(m) if !m.outgoing() && m.peer_id().kind() == grammers_session::types::PeerKind::User => {
            m.sender_id().and_then(|s| s.bare_id())
        }
        Update::CallbackQuery(q) => q.sender_id().bare_id(),
        _ => None,
    }
}

const SLOW_DOWN: &str = "⏳ Slow down: you are sending faster than I can answer. Try again in a few seconds.";

async fn slow_down(ctx: &UpdateContext, update: Update) {
    match update {
        Update::NewMessage(m) => ctx.say(m.peer_id().bot_api_dialog_id_unchecked(), Draft::text(SLOW_DOWN)).await,
        Update::CallbackQuery(q) => {
            let _ = q.answer().text(SLOW_DOWN).send().await;
        }
        _ => {}
    }
}

fn update_chat(u: &Update) -> i64 {
    match u {
        Update::NewMessage(m) | Update::MessageEdited(m) => m.peer_id().bot_api_dialog_id_unchecked(),
        Update::CallbackQuery(q) => q.peer_id().bot_api_dialog_id_unchecked(),
        _ => 0,
    }
}

async fn handle(ctx: &UpdateContext, update: Update) {
    let result = match update {
        Update::NewMessage(m) if !m.outgoing() && m.peer_id().kind() == grammers_session::types::PeerKind::User => {
            intake::on_message(ctx, m).await
        }
        Update::CallbackQuery(q) => {
            // Buttons obey the same rules as messages: private bots and bans apply to presses.
            let user = q.sender_id().bare_id().unwrap_or_default();
            match intake::refusal(ctx, user).await {
                Some(why) => {
                    let _ = q.answer().text(why).send().await;
                }
                None => dispatch::on_callback(ctx, &q).await,
            }
            Ok(())
        }
        _ => Ok(()),
    };
    if let Err(e) = result {
        tracing::warn!("handling the update failed: {e}");
    }
}
