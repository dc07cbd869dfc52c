//! A `stream` node serves clones' links too. It runs no clones: the first request for a clone's
//! link looks the clone up in the store and logs that clone in with a session of the node's own
//! (kept under the node's name, so a restart logs nothing in again), with a streamer on the
//! clone's bin channel. The record is looked at again every [`RECHECK`], so a clone its owner
//! stopped or deleted, or whose bin channel changed, stops being served from here within that.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::Served;
use crate::config::{StreamConfig, TelegramConfig};
use crate::links::{LinkSigner, Revocations};
use crate::metrics::Metrics;
use crate::storage::{CloneState, Store};
use crate::stream::ByteStreamer;
use crate::telegram::BotClient;

/// How long a clone's record is trusted before it is read again.
pub const RECHECK: Duration = Duration::from_secs(10);

struct Running {
    served: Arc<Served>,
    client: BotClient,
    bin: i64,
    checked: Instant,
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
    /// One lookup or login at a time: they are rare, and two for one clone would log in twice.
    running: tokio::sync::Mutex<HashMap<i64, Running>>,
}

impl CloneLinks {
    pub fn new(
        telegram: TelegramConfig,
        stream: StreamConfig,
        store: Store,
        node: String,
        signer: LinkSigner,
        metrics: Arc<Metrics>,
    ) -> CloneLinks {
        CloneLinks { telegram, stream, store, node, signer, metrics, running: Default::default() }
    }

    /// Clone `bot`'s link services, logging it in on first use; `None` when it is not a running
    /// clone with a bin channel (its links then answer as unknown), or cannot log in.
    pub async fn served(&self, bot: i64) -> Option<Arc<Served>> {
        let mut running = self.running.lock().await;
        if let Some(r) = running.get(&bot)
            && r.checked.elapsed() < RECHECK
        {
            return Some(r.served.clone());
        }
        let record = match self.store.clone_record(bot).await {
            Ok(r) => r,
            Err(e) => {
                // The store is down: keep serving what was already checked.
                tracing::warn!(bot, "clone lookup failed: {e}");
                return running.get(&bot).map(|r| r.served.clone());
            }
        };
        let wanted = record.filter(|r| r.state == CloneState::Running).and_then(|r| Some((r.bin_channel?, r.token)));
        let Some((bin, token)) = wanted else {
            if let Some(gone) = running.remove(&bot) {
                tracing::info!(bot, "clone no longer served here: stopped, deleted or without a bin channel");
                gone.served.streamer.close();
                gone.client.close().await;
            }
            return None;
        };
        if let Some(r) = running.get_mut(&bot)
            && r.bin == bin
        {
            r.checked = Instant::now();
            return Some(r.served.clone());
        }
        if let Some(old) = running.remove(&bot) {
            old.served.streamer.close();
            old.client.close().await;
        }
        let sessions = self.store.for_bot(bot).for_node(&self.node);
        let mut client = match Box::pin(BotClient::connect(&self.telegram, &token, &sessions)).await {
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
        });
        tracing::info!(bot, username = %client.username, "serving the clone's links");
        running.insert(bot, Running { served: served.clone(), client, bin, checked: Instant::now() });
        Some(served)
    }

    /// Saves the clones' sessions and closes their connections (at shutdown).
    pub async fn close(&self) {
        for (_, r) in self.running.lock().await.drain() {
            r.served.streamer.close();
            r.client.close().await;
        }
    }
}
