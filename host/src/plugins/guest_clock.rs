//! Guest CPU time of one call, measured exactly: the clock runs while WebAssembly runs and
//! stops on every way out of it (an import call, the end of the call, a yield to the async
//! runtime), so waiting for Telegram or for a turn on a busy runtime is never charged, and a
//! guest that loops on imports is charged every instruction it runs between them. Imports
//! themselves are paid for in fuel (see `call.rs`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

pub struct GuestClock {
    base: Instant,
    /// Nanoseconds counted so far.
    used: AtomicU64,
    /// Nanoseconds since `base` when the clock last started, plus one; 0 while stopped.
    since: AtomicU64,
}

impl Default for GuestClock {
    fn default() -> Self {
        GuestClock { base: Instant::now(), used: AtomicU64::new(0), since: AtomicU64::new(0) }
    }
}

impl GuestClock {
    fn now(&self) -> u64 {
        self.base.elapsed().as_nanos() as u64 + 1
    }

    pub fn start(&self) {
        let _ = self.since.compare_exchange(0, self.now(), Ordering::AcqRel, Ordering::Acquire);
    }

    pub fn stop(&self) {
        let since = self.since.swap(0, Ordering::AcqRel);
        if since != 0 {
            self.used.fetch_add(self.now().saturating_sub(since), Ordering::AcqRel);
        }
    }

    /// Time counted, the running stretch included.
    pub fn used(&self) -> Duration {
        let since = self.since.load(Ordering::Acquire);
        let running = if since == 0 { 0 } else { self.now().saturating_sub(since) };
        Duration::from_nanos(self.used.load(Ordering::Acquire) + running)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_only_while_running() {
        let c = GuestClock::default();
        c.start();
        std::thread::sleep(Duration::from_millis(20));
        c.stop();
        let after_run = c.used();
        assert!(after_run >= Duration::from_millis(20));
        std::thread::sleep(Duration::from_millis(30));
        assert_eq!(c.used(), after_run, "stopped: nothing more counted");
        c.start();
        c.start(); // a second start does not reset the stretch
        std::thread::sleep(Duration::from_millis(5));
        assert!(c.used() >= after_run + Duration::from_millis(5));
    }
}
