//! A `stream` node serves clones' links too. It runs no clones: the first request for a clone's
//! link looks the clone up in the store and logs that clone in with a session of the node's own
//! (kept under the node's name, so a restart logs nothing in again), with a streamer on the
//! clone's bin channel. The record is looked at again every [`RECHECK`], so a clone its owner
//! stopped or deleted, or whose bin channel changed, stops being served from here within that.
//!
//! Anyone can make up a token naming a clone id (its signature can only be checked once the
//! clone's record is read): ids found to be no running clone are remembered for [`RECHECK`]
//! (at most [`MAX_UNKNOWN`] of them), and lookups do not wait for one another, so made-up ids
//! cost one indexed read each and hold up no real clone's viewers.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use super::Served;
use crate::config::{Config, StreamConfig, TelegramConfig};
use crate::links::{FileExtras, LinkSigner, Revocations};
use crate::metrics::Metrics;
use crate::storage::{CloneState, Store};
use crate::stream::ByteStreamer;
use crate::telegram::BotClient;

/// How long a clone's record is trusted before it is read again.
pub const RECHECK: Duration = Duration::from_secs(10);
/// Ids remembered as no running clone; beyond this the memory starts over.
pub const MAX_UNKNOWN: usize = 10_000;

/// A clone served here.
struct Running {
    served: Arc<Served>,
    /// Taken out to be closed (saving its session) when the clone stops being served here.
    client: tokio::sync::Mutex<Option<BotClient>>,
    bin: i64,
    /// When its record was last read.
    checked: Mutex<Instant>,
}

impl Running {
    fn fresh(&self) -> bool {
        self.checked.lock().is_ok_and(|at| at.elapsed() < RECHECK)
    }

    async fn close(&self) {
        self.served.streamer.close();
        if let Some(c) = self.client.lock().await.take() {
            c.close().await;
        }
    }
}

/// What a stream node needs to serve a clone it has not seen yet.
pub struct CloneLinks {
    telegram: TelegramConfig,
    stream: StreamConfig,
    /// The main bot's view of the database; sessions go under `node`.
    store: Store,
    node: String,
    signer: LinkSigner,
    metrics: Arc<Metrics>,
    running: RwLock<HashMap<i64, Arc<Running>>>,
    /// Ids that were no running clone, and when that was read.
    unknown: Mutex<HashMap<i64, Instant>>,
    /// One login at a time: two for one clone would log in twice.
    logins: tokio::sync::Mutex<()>,
}

impl CloneLinks {
    /// For a stream node named `node` with `config`, the main bot's `store` and `signer`.
    pub fn new(config: &Config, store: Store, node: String, signer: LinkSigner, metrics: Arc<Metrics>) -> CloneLinks {
        let (telegram, stream) = (config.telegram.clone(), config.stream.clone());
        let (running, unknown, logins) = Default::default();
        CloneLinks { telegram, stream, store, node, signer, metrics, running, unknown, logins }
    }

    fn get(&self, bot: i64) -> Option<Arc<Running>> {
        self.running.read().ok()?.get(&bot).cloned()
    }

    /// Clone `bot`'s link services, logging it in on first use; `None` when it is not a running
    /// clone with a bin channel (its links then answer as unknown), or cannot log in.
    pub async fn served(&self, bot: i64) -> Option<Arc<Served>> {
        let known = self.get(bot);
        if let Some(r) = known.as_ref().filter(|r| r.fresh()) {
            return Some(r.served.clone());
        }
        if known.is_none() && self.unknown.lock().ok()?.get(&bot).is_some_and(|at| at.elapsed() < RECHECK) {
            return None;
        }
        let record = match self.store.clone_record(bot).await {
            Ok(r) => r,
            Err(e) => {
                // The store is down: keep serving what was already checked.
                tracing::warn!(bot, "clone lookup failed: {e}");
                return known.map(|r| r.served.clone());
            }
        };
        let wanted = record.filter(|r| r.state == CloneState::Running).and_then(|r| Some((r.bin_channel?, r.token)));
        let Some((bin, token)) = wanted else {
            self.forget(bot).await;
            if let Ok(mut unknown) = self.unknown.lock() {
                if unknown.len() >= MAX_UNKNOWN {
                    unknown.clear();
                }
                unknown.insert(bot, Instant::now());
            }
            return None;
        };
        match known.filter(|r| r.bin == bin) {
            Some(r) => {
                if let Ok(mut at) = r.checked.lock() {
                    *at = Instant::now();
                }
                Some(r.served.clone())
            }
            None => self.log_in(bot, bin, &token).await,
        }
    }

    /// Logs clone `bot` in (unless a request that came first just did) with a streamer on `bin`.
    async fn log_in(&self, bot: i64, bin: i64, token: &str) -> Option<Arc<Served>> {
        let _one_at_a_time = self.logins.lock().await;
        if let Some(r) = self.get(bot).filter(|r| r.bin == bin && r.fresh()) {
            return Some(r.served.clone());
        }
        self.forget(bot).await;
        let sessions = self.store.for_bot(bot).for_node(&self.node);
        let mut client = match Box::pin(BotClient::connect(&self.telegram, token, &sessions)).await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(bot, "cannot serve the clone's links: {e}");
                return None;
            }
        };
        client.updates.take();
        let snapshot = vec![(client.username.clone(), client.api_id(), client.snapshot().await)];
        let streamer =
            ByteStreamer::for_channel(snapshot, client.client.clone(), bin, &self.stream, self.metrics.clone());
        let served = Arc::new(Served {
            streamer: Arc::new(streamer),
            signer: self.signer.for_clone(bot, bin),
            revoked: Revocations::new(self.store.for_bot(bot), bin),
            extras: FileExtras::new(self.store.for_bot(bot), bin),
        });
        tracing::info!(bot, username = %client.username, "serving the clone's links");
        let client = tokio::sync::Mutex::new(Some(client));
        let entry = Running { served: served.clone(), client, bin, checked: Mutex::new(Instant::now()) };
        self.running.write().ok()?.insert(bot, Arc::new(entry));
        Some(served)
    }

    /// Stops serving clone `bot` here (stopped, deleted, or moved to another bin channel).
    async fn forget(&self, bot: i64) {
        let gone = self.running.write().ok().and_then(|mut m| m.remove(&bot));
        if let Some(r) = gone {
            tracing::info!(bot, "clone no longer served here (stopped, deleted or moved)");
            r.close().await;
        }
    }

    /// Saves the clones' sessions and closes their connections (at shutdown).
    pub async fn close(&self) {
        let all: Vec<_> = self.running.write().map(|mut m| m.drain().map(|(_, r)| r).collect()).unwrap_or_default();
        for r in all {
            r.close().await;
        }
    }
}
