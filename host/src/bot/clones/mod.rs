//! Clone bots: a user brings a bot token (`/clone <token>`, or BotFather's message forwarded)
//! and this host runs a copy of the bot for them, for as long as the token works.
//!
//! A clone is a second update loop in the same process, with everything per bot that must be
//! per bot: its own Telegram session (kept in the store, so restarts do not log in again), its
//! own store view (users, settings, kv, jobs and files are its own — `Store::for_bot`), its own
//! outbox pacing and per-user limits (one flooded clone slows no one else), its own bin channel
//! (set by its owner with `/setbin`) and link signer (its links open its files only). What is
//! shared is what costs memory and CPU once: the plugin engine and compiled plugins (a
//! registry view limits a clone to `clones.plugins`), the HTTP server, the metrics.
//!
//! - `mod.rs` (here): the manager — start, stop, delete, restart, the per-clone task.
//! - [`run`]: one clone's loops, put together and taken apart.
//! - [`commands`]: `/clone` and `/clones` in the main bot; [`owner`]: `/setbin` and
//!   `/setwelcome` in a clone; [`token`]: finding a token in a message.

pub mod commands;
pub mod owner;
mod run;
pub mod token;

use std::collections::HashMap;
use std::sync::{Arc, Weak};
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::Config;
use crate::http::CloneRoutes;
use crate::links::LinkSigner;
use crate::metrics::Metrics;
use crate::plugins::PluginHost;
use crate::storage::{CloneRecord, CloneState, Store};
use crate::telegram::outbox::{Actor, Draft, Outbox};
use crate::telegram::{BotClient, TelegramError, token_is_dead};

/// How long a login of a new clone may take before the user is told it failed.
const LOGIN_DEADLINE: Duration = Duration::from_secs(30);
/// First and longest wait before a clone whose connection failed (not its token) tries again.
const RETRY_FIRST: Duration = Duration::from_secs(2);
const RETRY_MAX: Duration = Duration::from_secs(300);

/// What every clone borrows from the host.
pub struct Shared {
    /// The main bot's configuration; each clone derives its own from it.
    pub config: Config,
    /// The main bot's store handle (clones get `for_bot` views of it).
    pub store: Store,
    pub plugins: Option<Arc<PluginHost>>,
    pub routes: CloneRoutes,
    pub metrics: Arc<Metrics>,
    /// The main bot's signer; a clone's is derived from it (same secret, its id signed in).
    pub signer: LinkSigner,
    /// The main bot's outbox: owners hear about their clones from the main bot.
    pub main_outbox: Arc<Outbox>,
    /// Token ids of the bots this host runs from its configuration (main and helpers): never
    /// accepted as a clone.
    pub reserved: Vec<i64>,
}

struct Running {
    stop: watch::Sender<bool>,
    /// Rebuilds the clone's context from its record (its owner changed a setting).
    reload: Arc<tokio::sync::Notify>,
    task: JoinHandle<()>,
}

/// Why a clone's run ended.
#[derive(Debug)]
enum Ended {
    /// Asked to stop (owner, operator or shutdown).
    Stopped,
    /// Telegram no longer accepts its token.
    Revoked(String),
    /// Its connection failed; worth another try.
    Failed(String),
}

/// Why a clone could not be made; the text is the user's answer.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{0}")]
pub struct Refusal(pub String);

fn refuse<T>(text: impl Into<String>) -> Result<T, Refusal> {
    Err(Refusal(text.into()))
}

pub struct Clones {
    shared: Arc<Shared>,
    /// Each running clone's task. A plain mutex, never held across an await; `spawn` is not
    /// async, so a clone's task (whose handlers may start clones) has a nameable type.
    running: std::sync::Mutex<HashMap<i64, Running>>,
    /// One `/clone <token>` at a time: two users sending the same token at once must not both
    /// pass the checks and log the bot in twice.
    creating: tokio::sync::Mutex<()>,
    me: Weak<Clones>,
}

impl Clones {
    pub fn new(shared: Shared) -> Arc<Clones> {
        Arc::new_cyclic(|me| Clones {
            shared: Arc::new(shared),
            running: Default::default(),
            creating: tokio::sync::Mutex::new(()),
            me: me.clone(),
        })
    }

    pub fn config(&self) -> &crate::config::ClonesConfig {
        &self.shared.config.clones
    }

    pub fn store(&self) -> &Store {
        &self.shared.store
    }

    /// Starts every clone that was running when the host last stopped (from their stored
    /// sessions: no login).
    pub async fn start_all(&self) {
        if !self.config().enabled {
            return;
        }
        match self.shared.store.clones().await {
            Ok(all) => {
                for rec in all.into_iter().filter(|c| c.state == CloneState::Running) {
                    self.spawn(rec, None);
                }
            }
            Err(e) => tracing::error!("cannot read the clones: {e}"),
        }
    }

    /// Stops every clone (the host is shutting down); their state stays `running`.
    pub async fn stop_all(&self) {
        let all: Vec<Running> = self.running().drain().map(|(_, r)| r).collect();
        for r in &all {
            let _ = r.stop.send(true);
        }
        for r in all {
            let _ = r.task.await;
        }
    }

    pub fn is_running(&self, bot: i64) -> bool {
        self.running().contains_key(&bot)
    }

    fn running(&self) -> std::sync::MutexGuard<'_, HashMap<i64, Running>> {
        self.running.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Logs the bot of `token` in and runs it as `owner`'s clone. The checks come before any
    /// login: clones enabled, the owner allowed and under their limit, the token well formed
    /// and not one of this host's own bots or a clone that runs.
    pub async fn create(&self, owner: i64, owner_is_admin: bool, token: &str) -> Result<CloneRecord, Refusal> {
        let cfg = self.config();
        if !cfg.enabled {
            return refuse("Cloning is switched off on this bot.");
        }
        let allowed = &self.shared.config.access.allowed_users;
        if cfg.owners_must_be_allowed && !allowed.is_empty() && !allowed.contains(&owner) && !owner_is_admin {
            return refuse("Sorry, only this bot's allowed users may clone it.");
        }
        let Some(token_id) = token::bot_id(token).filter(|_| token::is_token(token)) else {
            return refuse("That is not a bot token. It looks like 123456789:AAH… — @BotFather sends it.");
        };
        if self.shared.reserved.contains(&token_id) {
            return refuse("That token belongs to a bot this host already runs; it cannot be a clone.");
        }
        let _one_at_a_time = self.creating.lock().await;
        let store = &self.shared.store;
        let all = store.clones().await.map_err(|e| store_refusal(&e))?;
        let existing = all.iter().find(|c| token::bot_id(&c.token) == Some(token_id));
        if let Some(c) = existing.filter(|c| c.state != CloneState::Revoked) {
            return if c.owner_id == owner {
                refuse(format!("@{} is already your clone here ({}). /clone start runs it again.", c.username, c.state))
            } else {
                refuse(format!("@{} already runs here as someone else's clone.", c.username))
            };
        }
        let mine = all.iter().filter(|c| c.owner_id == owner && Some(c.bot_id) != existing.map(|e| e.bot_id)).count();
        if !owner_is_admin && mine >= cfg.per_user {
            return refuse(format!(
                "You already have {mine} clone(s), the most one user may have here. /clone delete frees a place."
            ));
        }
        if existing.is_none() && all.len() >= cfg.max_total {
            return refuse("This host runs as many clones as it can; try again later.");
        }
        let login = Box::pin(BotClient::connect(&self.shared.config.telegram, token, store));
        let bot = match tokio::time::timeout(LOGIN_DEADLINE, login).await {
            Ok(Ok(bot)) => bot,
            Ok(Err(TelegramError::Login { source, .. })) if token_is_dead(&source) => {
                return refuse(
                    "Telegram did not accept that token (revoked or mistyped?). Copy it again from @BotFather.",
                );
            }
            Ok(Err(e)) => {
                tracing::warn!(token_id, "a clone could not log in: {e}");
                return refuse("Telegram did not accept that token. Check it in @BotFather and try again.");
            }
            Err(_) => return refuse("Telegram did not answer in time; try again in a minute."),
        };
        if let Err(e) = store.clone_saved(bot.id, owner, &bot.username, token).await {
            bot.close().await;
            return Err(store_refusal(&e));
        }
        let rec = store
            .clone_record(bot.id)
            .await
            .ok()
            .flatten()
            .ok_or_else(|| Refusal("Sorry, the clone was not saved.".into()))?;
        tracing::info!(clone = rec.bot_id, username = %rec.username, owner, "clone created");
        self.spawn(rec.clone(), Some(bot));
        Ok(rec)
    }

    /// Stops a clone and remembers it stopped (it stays stopped across restarts).
    pub async fn stop(&self, bot: i64) -> Result<(), crate::storage::StoreError> {
        self.halt(bot).await;
        self.shared.store.set_clone_state(bot, CloneState::Stopped).await
    }

    /// Runs a stopped clone again.
    pub async fn start(&self, bot: i64) -> Result<bool, crate::storage::StoreError> {
        let Some(rec) = self.shared.store.clone_record(bot).await? else { return Ok(false) };
        if rec.state == CloneState::Revoked {
            return Ok(false);
        }
        self.shared.store.set_clone_state(bot, CloneState::Running).await?;
        self.spawn(CloneRecord { state: CloneState::Running, ..rec }, None);
        Ok(true)
    }

    /// Stops a clone and forgets it and its users' data; its session is dropped, so its token
    /// can be used elsewhere.
    pub async fn delete(&self, bot: i64) -> Result<(), crate::storage::StoreError> {
        self.halt(bot).await;
        self.shared.store.delete_clone(bot).await
    }

    /// Applies a clone's changed settings (bin channel, welcome) from the store, without
    /// stopping its update stream.
    pub fn reload(&self, bot: i64) {
        if let Some(r) = self.running().get(&bot) {
            r.reload.notify_one();
        }
    }

    async fn halt(&self, bot: i64) {
        let running = self.running().remove(&bot);
        if let Some(r) = running {
            let _ = r.stop.send(true);
            let _ = r.task.await;
        }
    }

    /// Runs the clone in a task of its own until it is stopped or its token dies.
    fn spawn(&self, rec: CloneRecord, bot: Option<BotClient>) {
        let (stop, mut stopped) = watch::channel(false);
        let reload = Arc::new(tokio::sync::Notify::new());
        let (shared, me, id, reloads) = (self.shared.clone(), self.me.clone(), rec.bot_id, reload.clone());
        let task = tokio::spawn(async move {
            let run = keep_running(&shared, &rec, bot, &mut stopped, &reloads, &me);
            if let Some(Ended::Revoked(why)) = Box::pin(run).await {
                revoked(&shared, &rec, &why).await;
                if let Some(me) = me.upgrade() {
                    me.running().remove(&id);
                }
            }
        });
        let old = self.running().insert(id, Running { stop, reload, task });
        if let Some(old) = old {
            let _ = old.stop.send(true);
        }
    }
}

/// One clone's life: log in (or resume its session), run, and when only the connection failed
/// (not the token), wait with backoff and go again. `None` when stopped while waiting.
async fn keep_running(
    shared: &Arc<Shared>,
    rec: &CloneRecord,
    mut bot: Option<BotClient>,
    stopped: &mut watch::Receiver<bool>,
    reload: &Arc<tokio::sync::Notify>,
    me: &Weak<Clones>,
) -> Option<Ended> {
    let mut wait = RETRY_FIRST;
    loop {
        let client = match bot.take() {
            Some(b) => b,
            None => {
                let login = tokio::time::timeout(
                    LOGIN_DEADLINE,
                    Box::pin(BotClient::connect(&shared.config.telegram, &rec.token, &shared.store)),
                );
                let result = tokio::select! {
                    r = login => r,
                    _ = stopped.wait_for(|s| *s) => return None,
                };
                match result {
                    Ok(Ok(b)) => b,
                    Ok(Err(TelegramError::Login { source, .. })) if token_is_dead(&source) => {
                        return Some(Ended::Revoked(source.to_string()));
                    }
                    Ok(Err(e)) => {
                        pause(Ended::Failed(e.to_string()), &mut wait, stopped, rec).await?;
                        continue;
                    }
                    Err(_) => {
                        pause(Ended::Failed("the login timed out".into()), &mut wait, stopped, rec).await?;
                        continue;
                    }
                }
            }
        };
        // Boxed: a clone's whole bot is a large future, and debug builds copy futures on the
        // worker's stack.
        match Box::pin(run::serve(shared, rec, client, stopped.clone(), reload.clone(), me.clone())).await {
            Ended::Failed(why) => pause(Ended::Failed(why), &mut wait, stopped, rec).await?,
            other => return Some(other),
        }
    }
}

/// Logs why a clone stopped working and waits before the next try (doubling, up to a limit);
/// `None` when it is stopped meanwhile.
async fn pause(why: Ended, wait: &mut Duration, stopped: &mut watch::Receiver<bool>, rec: &CloneRecord) -> Option<()> {
    tracing::warn!(clone = rec.bot_id, username = %rec.username, retry_in_secs = wait.as_secs(), "clone stopped working: {why:?}");
    let delay = *wait;
    *wait = (*wait * 2).min(RETRY_MAX);
    tokio::select! {
        _ = tokio::time::sleep(delay) => Some(()),
        _ = stopped.wait_for(|s| *s) => None,
    }
}

/// The token died: the clone is marked revoked (it will not start again until a new token) and
/// its owner hears it from the main bot.
async fn revoked(shared: &Shared, rec: &CloneRecord, why: &str) {
    tracing::warn!(clone = rec.bot_id, username = %rec.username, "clone stopped: Telegram no longer accepts its token ({why})");
    if let Err(e) = shared.store.set_clone_state(rec.bot_id, CloneState::Revoked).await {
        tracing::error!(clone = rec.bot_id, "cannot record the revoked clone: {e}");
    }
    let text = format!(
        "⚠️ Your clone @{} stopped: Telegram no longer accepts its token (revoked in @BotFather, or the bot was deleted).\n\
         Send /clone <new token> here to bring it back with its users and settings.",
        rec.username
    );
    if let Err(e) = shared.main_outbox.send(Actor::Host, rec.owner_id, Draft::text(text)).await {
        tracing::warn!(owner = rec.owner_id, "could not tell a clone's owner: {e}");
    }
}

fn store_refusal(e: &crate::storage::StoreError) -> Refusal {
    tracing::error!("clones: {e}");
    Refusal("Sorry, I can't reach my database right now. Please try again in a minute.".into())
}
