//! The bot's update loop: reads updates in order, hands each to a handler task, and on
//! shutdown stops reading, lets running handlers finish (with a deadline) and saves state.

mod actions;
pub mod dispatch;
mod intake;
pub mod scheduler;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use grammers_client::sender::UpdatesConfiguration;
use grammers_client::update::Update;
use grammers_session::types::{PeerAuth, PeerId, PeerRef};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tracing::Instrument;

use crate::config::Config;
use crate::links::LinkSigner;
use crate::plugins::PluginHost;
use crate::storage::Store;
use crate::telegram::pacer::Pacer;
use crate::telegram::{BotClient, TelegramError};

/// How long running handlers get to finish once shutdown starts.
const DRAIN_DEADLINE: Duration = Duration::from_secs(10);
/// Handlers running at once; more updates wait, so a burst cannot exhaust memory.
const MAX_IN_FLIGHT: usize = 64;

/// What every handler needs, shared.
pub struct BotContext {
    pub client: grammers_client::Client,
    pub config: Config,
    /// Where received files are copied so their links outlive the user's copy.
    pub bin: PeerRef,
    pub signer: LinkSigner,
    pub plugins: Option<Arc<PluginHost>>,
    /// The bot's own username, to tell `/cmd@us` from `/cmd@another_bot`.
    pub username: String,
    /// Users, files and the session state live here.
    pub store: Store,
    /// Every send to a chat waits its turn here (Telegram's per-chat rate).
    pub pacer: Arc<Pacer>,
}

impl BotContext {
    pub fn new(
        client: grammers_client::Client,
        config: Config,
        signer: LinkSigner,
        plugins: Option<Arc<PluginHost>>,
        username: String,
        store: Store,
        pacer: Arc<Pacer>,
    ) -> BotContext {
        let id =
            PeerId::from_bot_api_dialog_id(config.telegram.bin_channel).unwrap_or_else(|| PeerId::channel_unchecked(0));
        BotContext {
            client,
            config,
            bin: PeerRef { id, auth: PeerAuth::default() },
            signer,
            plugins,
            username,
            store,
            pacer,
        }
    }
}

/// Runs until `shutdown` completes or the connection to Telegram is gone for good.
pub async fn run(
    bot: &mut BotClient,
    ctx: Arc<BotContext>,
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
    let mut tasks = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        let update = tokio::select! {
            _ = &mut shutdown => break,
            u = stream.next() => u,
        };
        while tasks.try_join_next().is_some() {}
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
        let Ok(permit) = permits.clone().acquire_owned().await else {
            break;
        };
        let ctx = ctx.clone();
        let span = tracing::info_span!("update", chat = update_chat(&update));
        tasks.spawn(
            async move {
                handle(&ctx, update).await;
                drop(permit);
            }
            .instrument(span),
        );
    }
    while tasks.try_join_next().is_some() {}
    tracing::info!(in_flight = tasks.len(), "no longer taking updates; letting handlers finish");
    if tokio::time::timeout(DRAIN_DEADLINE, async { while tasks.join_next().await.is_some() {} }).await.is_err() {
        tracing::warn!(abandoned = tasks.len(), "handlers did not finish in time");
        tasks.abort_all();
    }
    if let Err(e) = stream.sync_update_state().await {
        tracing::warn!("could not save the update state: {e}");
    }
    Ok(())
}

fn update_chat(u: &Update) -> i64 {
    match u {
        Update::NewMessage(m) | Update::MessageEdited(m) => m.peer_id().bot_api_dialog_id_unchecked(),
        Update::CallbackQuery(q) => q.peer_id().bot_api_dialog_id_unchecked(),
        _ => 0,
    }
}

async fn handle(ctx: &BotContext, update: Update) {
    let result = match update {
        Update::NewMessage(m) if !m.outgoing() && m.peer_id().kind() == grammers_session::types::PeerKind::User => {
            intake::on_message(ctx, m).await
        }
        Update::CallbackQuery(q) => {
            let user = q.sender_id().bare_id().unwrap_or_default();
            if ctx.store.user(user).await.ok().flatten().is_some_and(|u| u.banned) && !dispatch::is_admin(ctx, user) {
                let _ = q.answer().text("You are banned from using this bot.").send().await;
            } else {
                dispatch::on_callback(ctx, &q).await;
            }
            Ok(())
        }
        _ => Ok(()),
    };
    if let Err(e) = result {
        tracing::warn!("handling the update failed: {e}");
    }
}
