//! A Telegram simulator: MTProto 2.0 servers on loopback, one per DC, that the real
//! grammers client logs into and talks to, plus a scripted "user" side.
//!
//! It is a product feature, not a test mock: `beamgram sim` and `beamgram demo` run it so that
//! operators and plugin authors can try a bot with no Telegram account. Tests use the same code.
//!
//! Layout: `conn` (framing, crypto, service messages, shaped writer) → `api` (one module per
//! API area) → `world` (state) and `render` (state → TL). `script` is the user side, `faults`
//! the knobs, `address` how a bot in another process finds the simulator.

mod api;
pub mod botfather;
pub mod chat_limit;
pub mod cli;
mod conn;
pub mod console;
pub mod content;
mod crypto;
pub mod faults;
mod render;
mod script;
mod to_client;
pub mod world;

/// How a bot finds the simulator (its own small crate, so the bot host can connect to a
/// simulator without compiling one).
pub use beamgram_sim_address as address;

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use grammers_tl_types::{self as tl, Serializable};
use tokio::net::TcpListener;
use tokio::sync::{oneshot, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;

pub use address::SimAddress;
pub use content::Content;
pub use faults::{Fault, FaultRule, LinkProfile};
pub use script::{FileSpec, SeenButton, SeenMessage, SimError};
pub use world::{AccountId, ChannelId, FileId, FileKind, Thumb};

use conn::ConnEntry;
use to_client::ToClient;
use world::World;

/// The DCs a simulator runs by default: all five, so any DC id a client picks resolves, with
/// DC 2 as everybody's home and DC 4 for files stored elsewhere.
pub const DEFAULT_DCS: [i32; 5] = [1, 2, 3, 4, 5];

#[derive(Clone, Debug)]
pub struct SimConfig {
    pub dcs: Vec<i32>,
    pub host: Ipv4Addr,
    /// DC `n` listens on `base_port + n`; 0 picks free ports.
    pub base_port: u16,
    pub api_id: i32,
    pub api_hash: String,
    /// Seed of every derived authorization key; random unless given.
    pub seed: [u8; 32],
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            dcs: DEFAULT_DCS.to_vec(),
            host: Ipv4Addr::LOCALHOST,
            base_port: 0,
            api_id: 1,
            api_hash: "beamgram-simulator".into(),
            seed: rand::random(),
        }
    }
}

pub(crate) struct ApiCreds {
    pub id: i32,
    pub hash: String,
}

/// What a bot answered to a button press.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CallbackAnswer {
    pub text: Option<String>,
    pub alert: bool,
    pub url: Option<String>,
}

/// State shared by every connection and the scripting handle.
pub(crate) struct Shared {
    world: Mutex<World>,
    faults: Mutex<faults::Faults>,
    /// Per-DC link shaping, read for every message sent so a test can change it mid-stream.
    links: RwLock<HashMap<i32, LinkProfile>>,
    conns: Mutex<HashMap<u64, ConnEntry>>,
    /// Button presses waiting for the bot's `setBotCallbackAnswer`.
    callbacks: Mutex<HashMap<i64, oneshot::Sender<CallbackAnswer>>>,
    /// Bumped on every change a scripted user could observe, so waits need no polling loop.
    changes: watch::Sender<u64>,
    dcs: Vec<(i32, SocketAddrV4)>,
    api: ApiCreds,
    seed: [u8; 32],
    calls: Mutex<HashMap<(String, i32), u64>>,
    logins: AtomicU64,
    /// Telegram's per-chat send limit for bots, when a test turns it on.
    chat_limit: Mutex<chat_limit::ChatLimiter>,
    bytes_sent: AtomicU64,
    file_bytes: AtomicU64,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock leaves plain data behind; keep serving it.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Shared {
    pub fn world(&self) -> MutexGuard<'_, World> {
        lock(&self.world)
    }

    pub fn link(&self, dc: i32) -> LinkProfile {
        self.links.read().map(|l| l.get(&dc).copied().unwrap_or_default()).unwrap_or_default()
    }

    fn key(&self, key_id: u64) -> Option<crypto::AuthKey> {
        self.world().keys.get(&key_id).map(|k| k.key.clone())
    }

    /// Ok, or the FLOOD_WAIT seconds for a bot sending to `chat` too fast.
    pub fn chat_limit(&self, bot: AccountId, chat: i64) -> Result<(), u32> {
        lock(&self.chat_limit).check(bot, chat)
    }

    pub fn bump(&self) {
        self.changes.send_modify(|n| *n += 1);
    }

    /// Sends updates to the connections of `account` on its home DC (where Telegram delivers
    /// them); the caller holds the world lock, so the order matches pts order.
    pub fn push(&self, world: &World, account: AccountId, updates: tl::enums::Updates) {
        let Some(home) = world.account(account).map(|a| a.home_dc) else {
            return;
        };
        let body = updates.to_bytes();
        let ready = Instant::now() + self.link(home).rtt / 2;
        for c in lock(&self.conns).values() {
            if c.dc == home && world.keys.get(&c.key_id).and_then(|k| k.account) == Some(account) {
                let _ = c.tx.send(ToClient::Message { body: body.clone(), ready });
            }
        }
    }

    pub fn answer_callback(&self, query_id: i64, answer: CallbackAnswer) -> bool {
        match lock(&self.callbacks).remove(&query_id) {
            Some(tx) => tx.send(answer).is_ok(),
            None => false,
        }
    }

    pub fn count_call(&self, method: &str, dc: i32) {
        *lock(&self.calls).entry((method.to_string(), dc)).or_default() += 1;
    }

    pub fn count_sent(&self, n: usize) {
        self.bytes_sent.fetch_add(n as u64, Ordering::Relaxed);
    }

    pub fn count_file_bytes(&self, n: usize) {
        self.file_bytes.fetch_add(n as u64, Ordering::Relaxed);
    }
}

/// A running simulator. Dropping it stops the listeners; [`Simulator::shutdown`] also waits.
pub struct Simulator {
    handle: SimHandle,
    tasks: JoinSet<()>,
}

/// A cheap, cloneable handle to script and inspect a running simulator.
#[derive(Clone)]
pub struct SimHandle {
    shared: Arc<Shared>,
}

impl Simulator {
    pub async fn start(config: SimConfig) -> std::io::Result<Simulator> {
        let mut listeners = Vec::new();
        for dc in &config.dcs {
            let port = if config.base_port == 0 { 0 } else { config.base_port + *dc as u16 };
            let l = TcpListener::bind(SocketAddr::from((config.host, port))).await?;
            let SocketAddr::V4(addr) = l.local_addr()? else {
                return Err(std::io::Error::other("the simulator listens on IPv4 only"));
            };
            listeners.push((*dc, addr, l));
        }
        let shared = Arc::new(Shared {
            world: Mutex::new(World::default()),
            faults: Mutex::default(),
            links: RwLock::default(),
            conns: Mutex::default(),
            callbacks: Mutex::default(),
            changes: watch::channel(0).0,
            dcs: listeners.iter().map(|(dc, a, _)| (*dc, *a)).collect(),
            api: ApiCreds { id: config.api_id, hash: config.api_hash },
            seed: config.seed,
            calls: Mutex::default(),
            logins: AtomicU64::new(0),
            chat_limit: Mutex::default(),
            bytes_sent: AtomicU64::new(0),
            file_bytes: AtomicU64::new(0),
        });
        let mut tasks = JoinSet::new();
        for (dc, addr, listener) in listeners {
            tracing::debug!(dc, %addr, "simulated DC listening");
            let shared = shared.clone();
            tasks.spawn(async move {
                let mut conns = JoinSet::new();
                loop {
                    match listener.accept().await {
                        Ok((stream, _)) => {
                            conns.spawn(conn::serve(shared.clone(), dc, stream));
                        }
                        Err(e) => tracing::warn!(dc, "accept failed: {e}"),
                    }
                    while conns.try_join_next().is_some() {}
                }
            });
        }
        Ok(Simulator { handle: SimHandle { shared }, tasks })
    }

    pub fn handle(&self) -> SimHandle {
        self.handle.clone()
    }

    /// Stops accepting and closes every connection.
    pub async fn shutdown(mut self) {
        self.handle.drop_connections(None);
        self.tasks.shutdown().await;
    }
}

impl SimHandle {
    /// The address a bot in another process uses to reach this simulator.
    pub fn address(&self) -> SimAddress {
        SimAddress {
            api_id: self.shared.api.id,
            api_hash: self.shared.api.hash.clone(),
            seed: self.shared.seed,
            dcs: self.shared.dcs.clone(),
        }
    }

    pub fn inject(&self, rule: FaultRule) {
        lock(&self.shared.faults).add(rule);
    }

    /// Turns Telegram's per-chat send limit for bots on (or off with `None`).
    pub fn set_chat_limit(&self, limit: Option<chat_limit::ChatLimit>) {
        lock(&self.shared.chat_limit).limit = limit;
    }

    /// Sends refused by the per-chat limit so far.
    pub fn chat_floods(&self) -> u64 {
        lock(&self.shared.chat_limit).refused
    }

    pub fn clear_faults(&self) {
        lock(&self.shared.faults).clear();
    }

    /// The faults armed and not yet spent.
    pub fn armed_faults(&self) -> Vec<FaultRule> {
        lock(&self.shared.faults).armed().to_vec()
    }

    /// How many injected faults have fired so far.
    pub fn faults_fired(&self) -> u64 {
        lock(&self.shared.faults).fired
    }

    pub fn set_link(&self, dc: i32, profile: LinkProfile) {
        if let Ok(mut l) = self.shared.links.write() {
            l.insert(dc, profile);
        }
    }

    pub fn set_all_links(&self, profile: LinkProfile) {
        for (dc, _) in self.shared.dcs.clone() {
            self.set_link(dc, profile);
        }
    }

    /// Closes the open connections to one DC, or to all.
    pub fn drop_connections(&self, dc: Option<i32>) {
        for c in lock(&self.shared.conns).values() {
            if dc.is_none_or(|d| d == c.dc) {
                let _ = c.tx.send(ToClient::Close);
            }
        }
    }

    /// Rotates every file reference, as happens to real ones after a while.
    pub fn expire_file_references(&self) {
        let mut world = self.shared.world();
        let ids: Vec<FileId> = world.files.keys().copied().collect();
        for id in ids {
            world.rotate_file_reference(id);
        }
    }

    /// Calls of a method (e.g. `upload.getFile`) on a DC, or on all DCs.
    pub fn calls(&self, method: &str, dc: Option<i32>) -> u64 {
        lock(&self.shared.calls)
            .iter()
            .filter(|((m, d), _)| m == method && dc.is_none_or(|x| x == *d))
            .map(|(_, n)| n)
            .sum()
    }

    pub fn logins(&self) -> u64 {
        self.shared.logins.load(Ordering::Relaxed)
    }

    /// File bytes served by `upload.getFile` so far.
    pub fn file_bytes_served(&self) -> u64 {
        self.shared.file_bytes.load(Ordering::Relaxed)
    }

    pub fn connections(&self) -> usize {
        lock(&self.shared.conns).len()
    }
}
