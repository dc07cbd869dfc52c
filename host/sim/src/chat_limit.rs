//! Telegram's per-chat send limit for bots: about one message a second to one chat, with
//! short bursts; beyond that, `FLOOD_WAIT`. Off unless a test (or `beamgram sim`) turns it on,
//! and counted, so a test can show the bot never hit it.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use super::world::AccountId;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChatLimit {
    /// Messages that may go at once.
    pub burst: u32,
    /// Then one per this long.
    pub interval: Duration,
}

#[derive(Default)]
pub struct ChatLimiter {
    pub limit: Option<ChatLimit>,
    /// Per (bot, chat): the theoretical time of the next allowed send (GCRA).
    next: HashMap<(AccountId, i64), Instant>,
    pub refused: u64,
}

impl ChatLimiter {
    /// Ok, or the seconds to wait.
    pub fn check(&mut self, bot: AccountId, chat: i64) -> Result<(), u32> {
        let Some(l) = self.limit else { return Ok(()) };
        let now = Instant::now();
        let tat = self.next.get(&(bot, chat)).copied().unwrap_or(now).max(now);
        let slack = l.interval * l.burst.max(1).saturating_sub(1);
        let ahead = tat.duration_since(now);
        if ahead > slack {
            self.refused += 1;
            return Err((ahead - slack).as_secs_f64().ceil().max(1.0) as u32);
        }
        self.next.insert((bot, chat), tat + l.interval);
        Ok(())
    }
}
