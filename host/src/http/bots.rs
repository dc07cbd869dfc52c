//! Which bot serves a link. The main bot's tokens have no prefix; a clone's start with its id
//! (see `links`), and only that clone's client can read its bin channel, so the request goes
//! to the streamer, signer and revocations of the bot the token names. Clones come and go
//! while the server runs; the table is swapped under a short lock, never held across a read.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use crate::links::{FileExtras, LinkSigner, Revocations};
use crate::stream::ByteStreamer;

/// Everything one bot's links need on the HTTP side.
pub struct Served {
    pub streamer: Arc<ByteStreamer>,
    pub signer: LinkSigner,
    pub revoked: Revocations,
    /// What senders added to its files: subtitle tracks, other names.
    pub extras: FileExtras,
}

/// The running clones' link services, by bot id; shared with whoever starts and stops clones.
#[derive(Clone, Default)]
pub struct CloneRoutes {
    bots: Arc<RwLock<HashMap<i64, Arc<Served>>>>,
}

impl CloneRoutes {
    pub fn insert(&self, bot: i64, served: Served) {
        if let Ok(mut m) = self.bots.write() {
            m.insert(bot, Arc::new(served));
        }
    }

    /// The clone stopped: its links answer 404 until it runs again.
    pub fn remove(&self, bot: i64) -> Option<Arc<Served>> {
        self.bots.write().ok()?.remove(&bot)
    }

    pub fn get(&self, bot: i64) -> Option<Arc<Served>> {
        self.bots.read().ok()?.get(&bot).cloned()
    }
}
