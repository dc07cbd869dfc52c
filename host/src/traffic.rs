//! Streaming at a glance, for admins (`/stats`, the admin page): bytes served since midnight
//! UTC, the files that took the most of them, and how often Telegram made downloads wait in the
//! last hour. Kept by this process in memory (a cluster's totals are the sum over its stream
//! nodes, which `/metrics` carries); time is passed in, so the day's turn and the hour's window
//! are tested without waiting.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

/// Files tracked in one day; past it the least-served half is forgotten.
const MAX_FILES: usize = 10_000;
const DAY: u64 = 86_400;
const HOUR: u64 = 3_600;

#[derive(Default)]
pub struct Traffic {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    /// Days since the epoch (UTC) the counts are of.
    day: u64,
    bytes_today: u64,
    /// Bytes served today per file (by document id), with its name.
    files: HashMap<i64, (String, u64)>,
    /// When Telegram asked for a wait (unix seconds), the last hour's.
    flood_waits: VecDeque<u64>,
}

/// What [`Traffic::snapshot`] reports.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrafficSnapshot {
    pub bytes_today: u64,
    /// (name, bytes today), most first.
    pub top_files: Vec<(String, u64)>,
    pub flood_waits_last_hour: u64,
}

impl Inner {
    fn turn_day(&mut self, now: u64) {
        if now / DAY != self.day {
            self.day = now / DAY;
            self.bytes_today = 0;
            self.files.clear();
        }
    }

    fn forget_old_waits(&mut self, now: u64) {
        while self.flood_waits.front().is_some_and(|t| now.saturating_sub(*t) >= HOUR) {
            self.flood_waits.pop_front();
        }
    }
}

impl Traffic {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// `bytes` of file `file` (its document id) named `name` went to a client at `now`.
    pub fn served(&self, now: u64, file: i64, name: &str, bytes: u64) {
        let mut t = self.lock();
        t.turn_day(now);
        t.bytes_today += bytes;
        if let Some((_, b)) = t.files.get_mut(&file) {
            *b += bytes;
            return;
        }
        if t.files.len() >= MAX_FILES {
            let mut sizes: Vec<u64> = t.files.values().map(|(_, b)| *b).collect();
            sizes.sort_unstable();
            let median = sizes[sizes.len() / 2];
            t.files.retain(|_, (_, b)| *b > median);
        }
        t.files.insert(file, (name.to_string(), bytes));
    }

    /// Telegram asked a download to wait, at `now`.
    pub fn flood_wait(&self, now: u64) {
        let mut t = self.lock();
        t.forget_old_waits(now);
        t.flood_waits.push_back(now);
    }

    /// Today's totals and the `top` files by bytes, as of `now`.
    pub fn snapshot(&self, now: u64, top: usize) -> TrafficSnapshot {
        let mut t = self.lock();
        t.turn_day(now);
        t.forget_old_waits(now);
        let mut files: Vec<(String, u64)> = t.files.values().cloned().collect();
        files.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        files.truncate(top);
        TrafficSnapshot {
            bytes_today: t.bytes_today,
            top_files: files,
            flood_waits_last_hour: t.flood_waits.len() as u64,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: u64 = 20_000 * DAY + 3_600;

    #[test]
    fn files_are_ranked_by_bytes_today() {
        let t = Traffic::default();
        t.served(T, 1, "a.mkv", 100);
        t.served(T, 2, "b.mp4", 300);
        t.served(T + 5, 1, "a.mkv", 250);
        t.served(T + 6, 3, "c.mp3", 10);
        let s = t.snapshot(T + 10, 2);
        assert_eq!(s.bytes_today, 660);
        assert_eq!(s.top_files, vec![("a.mkv".to_string(), 350), ("b.mp4".to_string(), 300)]);
    }

    #[test]
    fn a_new_day_starts_from_zero() {
        let t = Traffic::default();
        t.served(T, 1, "a.mkv", 100);
        let tomorrow = (T / DAY + 1) * DAY;
        assert_eq!(t.snapshot(tomorrow - 1, 5).bytes_today, 100);
        assert_eq!(t.snapshot(tomorrow, 5), TrafficSnapshot::default());
        t.served(tomorrow + 1, 2, "b", 7);
        assert_eq!(t.snapshot(tomorrow + 2, 5).top_files, vec![("b".to_string(), 7)]);
    }

    #[test]
    fn flood_waits_count_for_an_hour() {
        let t = Traffic::default();
        for s in [0, 10, 1_800] {
            t.flood_wait(T + s);
        }
        assert_eq!(t.snapshot(T + 1_800, 5).flood_waits_last_hour, 3);
        assert_eq!(t.snapshot(T + HOUR + 5, 5).flood_waits_last_hour, 2, "the first two are over an hour old");
        assert_eq!(t.snapshot(T + 2 * HOUR, 5).flood_waits_last_hour, 0);
    }

    #[test]
    fn memory_stays_bounded() {
        let t = Traffic::default();
        for i in 0..(MAX_FILES as i64 + 10) {
            t.served(T, i, "f", (i % 100) as u64 + 1);
        }
        assert!(t.lock().files.len() <= MAX_FILES);
        assert_eq!(t.snapshot(T, 1).top_files[0].1, 100, "the most served are kept");
    }
}
