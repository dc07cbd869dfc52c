//! Keeps the bot under Telegram's per-chat send rate (about one message a second per chat,
//! short bursts allowed): a send to a chat that is over it waits its turn here instead of
//! earning a FLOOD_WAIT. An album of ten files gets ten replies, spaced, none refused. All
//! chats together are held to about 28 a second, under the ~30 Telegram allows a bot (a
//! broadcast to thousands of users goes at that pace).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

pub struct Pacer {
    interval: Duration,
    burst: u32,
    /// Across all chats.
    global_interval: Duration,
    /// Per chat, the theoretical time of the next send (GCRA): a send may go when that is at
    /// most `burst - 1` intervals ahead of now.
    next: Mutex<HashMap<i64, Instant>>,
}

/// The key the all-chats budget is kept under (no chat has this id).
const ALL: i64 = i64::MIN;
const GLOBAL_BURST: u32 = 30;
/// Chats remembered before old entries are dropped.
const MAX_CHATS: usize = 10_000;

impl Default for Pacer {
    fn default() -> Self {
        Pacer::new(Duration::from_secs(1), 3)
    }
}

impl Pacer {
    pub fn new(interval: Duration, burst: u32) -> Pacer {
        Pacer { interval, burst: burst.max(1), global_interval: Duration::from_millis(35), next: Mutex::default() }
    }

    /// Waits until a message may go to `chat`, and books its slot.
    pub async fn ready(&self, chat: i64) {
        tokio::time::sleep_until(self.book(chat, Instant::now())).await;
        // The all-chats budget is booked once this chat's turn has come, not ahead of it.
        tokio::time::sleep_until(self.book_all(Instant::now())).await;
    }

    fn book(&self, chat: i64, now: Instant) -> Instant {
        self.slot(chat, self.interval, self.burst, now)
    }

    fn book_all(&self, now: Instant) -> Instant {
        self.slot(ALL, self.global_interval, GLOBAL_BURST, now)
    }

    fn slot(&self, key: i64, interval: Duration, burst: u32, now: Instant) -> Instant {
        let mut next = self.next.lock().unwrap_or_else(|p| p.into_inner());
        if next.len() > MAX_CHATS {
            next.retain(|k, t| *k == ALL || *t > now);
        }
        let tat = next.get(&key).copied().unwrap_or(now).max(now);
        let slack = interval * (burst - 1);
        let at = if tat.duration_since(now) > slack { tat - slack } else { now };
        next.insert(key, tat + interval);
        at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bursts_then_spaces_per_chat() {
        let p = Pacer::new(Duration::from_secs(1), 3);
        let now = Instant::now();
        let slots: Vec<u64> = (0..6).map(|_| p.book(1, now).duration_since(now).as_millis() as u64).collect();
        assert_eq!(slots, vec![0, 0, 0, 1000, 2000, 3000]);
        assert_eq!(p.book(2, now), now, "another chat is not held up");
        // After a quiet while the burst is available again.
        let later = now + Duration::from_secs(10);
        assert_eq!(p.book(1, later), later);
    }

    #[test]
    fn all_chats_together_stay_under_thirty_a_second() {
        let p = Pacer::default();
        let now = Instant::now();
        let slots: Vec<Instant> = (0..100).map(|_| p.book_all(now)).collect();
        assert!(slots[..30].iter().all(|s| *s == now), "a burst of 30 goes at once");
        let last = slots[99].duration_since(now);
        assert!(last >= Duration::from_millis(70 * 35) && last < Duration::from_secs(3), "{last:?}");
    }
}
