//! The download connections: K per bot, for the main bot and every `MULTI_TOKEN` helper.
//!
//! Telegram caps bandwidth per connection and grammers decrypts each connection on one task,
//! so one connection tops out well below what a machine can stream; official clients open
//! several. Each connection here is its own grammers sender pool on a copy of the bot's
//! session (same authorization key, its own MTProto session), with no automatic retries: the
//! streamer decides what to do about a FLOOD_WAIT (another connection, or wait).

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::time::Duration;

use grammers_client::Client;
use grammers_client::sender::{ConnectionParams, NoRetries, SenderPool};
use grammers_session::SessionData;
use grammers_session::storages::MemorySession;
use tokio::sync::Mutex;
use tokio::time::Instant;

/// Consecutive failures after which a connection sits out for [`QUARANTINE`].
const FAILURES_BEFORE_QUARANTINE: u32 = 3;
const QUARANTINE: Duration = Duration::from_secs(30);
/// Failures this close together are one event: a dropped connection fails every request in
/// flight on it at once, and that is one failure, not eight.
const ONE_EVENT_MS: u64 = 1000;

pub struct Connection {
    pub name: String,
    pub client: Client,
    /// Requests in flight.
    in_flight: AtomicUsize,
    /// Bytes asked for and not yet received: the load the picker balances. A small seek
    /// request should not queue behind a connection still sending a big block.
    bytes_in_flight: AtomicUsize,
    /// Until when Telegram asked this connection to wait (ms since the pool's epoch).
    blocked_until_ms: AtomicU64,
    failures: AtomicU32,
    /// When the last counted failure happened (ms since the epoch, plus one; 0: never).
    last_failure_ms: AtomicU64,
    /// DCs this connection's session is authorized on besides home (export/import done).
    pub authorized: Mutex<HashSet<i32>>,
    epoch: Instant,
}

/// Takes a request off its connection's load when it ends, however it ends.
pub struct Busy(Arc<Connection>, usize);

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Relaxed);
        self.0.bytes_in_flight.fetch_sub(self.1, Relaxed);
    }
}

impl Connection {
    fn now_ms(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Relaxed)
    }

    fn blocked_for(&self) -> Duration {
        Duration::from_millis(self.blocked_until_ms.load(Relaxed).saturating_sub(self.now_ms()))
    }

    pub fn flood_wait(&self, secs: u32) {
        let until = self.now_ms() + secs as u64 * 1000;
        self.blocked_until_ms.fetch_max(until, Relaxed);
        tracing::info!(connection = %self.name, secs, "FLOOD_WAIT: connection rests");
    }

    /// A request failed without an answer (dropped, timed out). Whether it was counted: the
    /// other requests that fail with it in the same moment are the same event.
    pub fn failed(&self) -> bool {
        let now = self.now_ms() + 1;
        let last = self.last_failure_ms.load(Relaxed);
        if !is_new_event(last, now) || self.last_failure_ms.compare_exchange(last, now, Relaxed, Relaxed).is_err() {
            return false;
        }
        if self.failures.fetch_add(1, Relaxed) + 1 >= FAILURES_BEFORE_QUARANTINE {
            self.blocked_until_ms.fetch_max(self.now_ms() + QUARANTINE.as_millis() as u64, Relaxed);
            self.failures.store(0, Relaxed);
            tracing::warn!(connection = %self.name, "keeps failing; out of rotation for {QUARANTINE:?}");
        }
        true
    }

    pub fn succeeded(&self) {
        self.failures.store(0, Relaxed);
    }
}

/// Whether a failure at `now` is a new event after the one counted at `last` (0: none yet).
fn is_new_event(last: u64, now: u64) -> bool {
    last == 0 || now.saturating_sub(last) >= ONE_EVENT_MS
}

pub struct Pool {
    conns: Vec<Arc<Connection>>,
    /// Breaks ties between equally loaded connections.
    turn: AtomicUsize,
}

impl Pool {
    /// Opens `per_bot` connections for each bot session (`(name, api_id, session)`).
    pub fn new(bots: Vec<(String, i32, SessionData)>, per_bot: usize) -> Pool {
        let epoch = Instant::now();
        let mut conns = Vec::new();
        for (name, api_id, data) in bots {
            for k in 0..per_bot.max(1) {
                let session = Arc::new(MemorySession::from(clone_session(&data)));
                let params = ConnectionParams { retry_policy: Box::new(NoRetries), ..ConnectionParams::default() };
                let pool = SenderPool::with_configuration(session, api_id, params);
                let client = Client::new(pool.handle);
                // Dropping the receiver: download connections take no updates.
                drop(pool.updates);
                tokio::spawn(pool.runner.run());
                conns.push(Arc::new(Connection {
                    name: format!("{name}#{k}"),
                    client,
                    in_flight: AtomicUsize::new(0),
                    bytes_in_flight: AtomicUsize::new(0),
                    blocked_until_ms: AtomicU64::new(0),
                    failures: AtomicU32::new(0),
                    last_failure_ms: AtomicU64::new(0),
                    authorized: Mutex::new(HashSet::new()),
                    epoch,
                }));
            }
        }
        Pool { conns, turn: AtomicUsize::new(0) }
    }

    pub fn is_empty(&self) -> bool {
        self.conns.is_empty()
    }

    /// When every connection rests (FLOOD_WAIT or quarantine): how long until the first is back.
    pub fn all_resting(&self) -> Option<Duration> {
        self.conns.iter().map(|c| c.blocked_for()).min().filter(|d| !d.is_zero())
    }

    /// The connection with the fewest bytes outstanding that may be used now, for a request of
    /// `bytes`; if every one rests, how long until the first is back.
    pub fn pick(&self, bytes: usize) -> Result<(Arc<Connection>, Busy), Duration> {
        let start = self.turn.fetch_add(1, Relaxed);
        let n = self.conns.len();
        let mut best: Option<&Arc<Connection>> = None;
        for i in 0..n {
            let c = &self.conns[(start + i) % n];
            let load = |c: &Connection| c.bytes_in_flight.load(Relaxed);
            if c.blocked_for().is_zero() && best.is_none_or(|b| load(c) < load(b)) {
                best = Some(c);
            }
        }
        match best {
            Some(c) => {
                c.in_flight.fetch_add(1, Relaxed);
                c.bytes_in_flight.fetch_add(bytes, Relaxed);
                Ok((c.clone(), Busy(c.clone(), bytes)))
            }
            None => Err(self.conns.iter().map(|c| c.blocked_for()).min().unwrap_or(Duration::from_secs(1))),
        }
    }

    /// (name, requests in flight) of every connection, for `/metrics`.
    pub fn loads(&self) -> Vec<(String, u64)> {
        self.conns.iter().map(|c| (c.name.clone(), c.in_flight() as u64)).collect()
    }

    pub fn close(&self) {
        for c in &self.conns {
            c.client.disconnect();
        }
    }
}

fn clone_session(d: &SessionData) -> SessionData {
    SessionData {
        home_dc: d.home_dc,
        dc_options: d.dc_options.clone(),
        updates_state: Default::default(),
        ..SessionData::default()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn failures_in_one_moment_are_one_event() {
        assert!(super::is_new_event(0, 5), "the first failure counts");
        assert!(!super::is_new_event(1000, 1200), "the rest of a drop's in-flight requests do not");
        assert!(super::is_new_event(1000, 2000), "a later failure counts again");
    }
}
