//! Fair shares for users: one user cannot take the handler slots everyone shares. Each user has
//! a few handlers running at once (the rest of their updates queue behind them, a bounded few)
//! and a token bucket of updates per minute; past either, the update is refused with a polite
//! "slow down" (said at most once per quiet spell, so refusing costs no flood of replies). The
//! check runs before an update takes a shared slot. Admins are not rate-limited.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

#[derive(Clone, Copy, Debug)]
pub struct UserLimits {
    /// Handlers of one user running at once.
    pub concurrency: usize,
    /// Updates of one user admitted but not finished (running or waiting their turn).
    pub queued: usize,
    /// Updates a user may send in a burst, and per minute after it.
    pub burst: u32,
    pub per_minute: u32,
}

/// Users tracked before idle ones are forgotten.
const MAX_USERS: usize = 10_000;
/// A user told to slow down is not told again within this.
const TELL_EVERY: Duration = Duration::from_secs(10);

struct UserState {
    running: Arc<Semaphore>,
    admitted: usize,
    tokens: f64,
    refilled: Instant,
    told: Option<Instant>,
}

pub struct UserGate {
    limits: UserLimits,
    users: Mutex<HashMap<i64, UserState>>,
}

pub enum Admission {
    Go(Ticket),
    /// Refused; `tell` says whether to answer the user (once per spell).
    SlowDown {
        tell: bool,
    },
}

/// An admitted update: wait for [`Ticket::turn`] before taking a shared slot.
pub struct Ticket {
    gate: Arc<UserGate>,
    user: i64,
    running: Arc<Semaphore>,
}

impl Ticket {
    /// Waits until fewer than `concurrency` of this user's handlers run.
    pub async fn turn(&self) -> Option<OwnedSemaphorePermit> {
        self.running.clone().acquire_owned().await.ok()
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let mut users = self.gate.users.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(u) = users.get_mut(&self.user) {
            u.admitted = u.admitted.saturating_sub(1);
        }
    }
}

impl UserGate {
    pub fn new(limits: UserLimits) -> Arc<UserGate> {
        Arc::new(UserGate { limits, users: Mutex::default() })
    }

    pub fn admit(self: &Arc<Self>, user: i64, rate_exempt: bool) -> Admission {
        self.admit_at(user, rate_exempt, Instant::now())
    }

    fn admit_at(self: &Arc<Self>, user: i64, rate_exempt: bool, now: Instant) -> Admission {
        let l = self.limits;
        let mut users = self.users.lock().unwrap_or_else(|p| p.into_inner());
        if users.len() > MAX_USERS {
            let full = l.burst as f64;
            users.retain(|_, u| u.admitted > 0 || u.tokens + refill(&l, u.refilled, now) < full);
        }
        let u = users.entry(user).or_insert_with(|| UserState {
            running: Arc::new(Semaphore::new(l.concurrency.max(1))),
            admitted: 0,
            tokens: l.burst as f64,
            refilled: now,
            told: None,
        });
        u.tokens = (u.tokens + refill(&l, u.refilled, now)).min(l.burst as f64);
        u.refilled = now;
        let over_rate = !rate_exempt && u.tokens < 1.0;
        if over_rate || u.admitted >= l.queued.max(l.concurrency).max(1) {
            let tell = u.told.is_none_or(|t| now.duration_since(t) >= TELL_EVERY);
            if tell {
                u.told = Some(now);
            }
            return Admission::SlowDown { tell };
        }
        if !rate_exempt {
            u.tokens -= 1.0;
        }
        u.admitted += 1;
        Admission::Go(Ticket { gate: self.clone(), user, running: u.running.clone() })
    }
}

fn refill(l: &UserLimits, since: Instant, now: Instant) -> f64 {
    now.duration_since(since).as_secs_f64() * l.per_minute as f64 / 60.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gate(burst: u32, per_minute: u32, queued: usize) -> Arc<UserGate> {
        UserGate::new(UserLimits { concurrency: 2, queued, burst, per_minute })
    }

    #[test]
    fn a_burst_then_the_rate_then_refused_with_one_notice() {
        let g = gate(3, 60, 100);
        let now = Instant::now();
        let mut tickets = Vec::new();
        for _ in 0..3 {
            match g.admit_at(1, false, now) {
                Admission::Go(t) => tickets.push(t),
                Admission::SlowDown { .. } => panic!("within the burst"),
            }
        }
        assert!(matches!(g.admit_at(1, false, now), Admission::SlowDown { tell: true }));
        assert!(matches!(g.admit_at(1, false, now), Admission::SlowDown { tell: false }), "told once");
        assert!(matches!(g.admit_at(2, false, now), Admission::Go(_)), "another user is not held up");
        assert!(matches!(g.admit_at(1, false, now + Duration::from_secs(1)), Admission::Go(_)), "a token a second");
        assert!(matches!(g.admit_at(1, true, now), Admission::Go(_)), "admins are not rate-limited");
    }

    #[test]
    fn admitted_updates_are_bounded_per_user_and_freed_when_done() {
        let g = gate(100, 6000, 4);
        let now = Instant::now();
        let held: Vec<Ticket> = (0..4)
            .map(|_| match g.admit_at(1, true, now) {
                Admission::Go(t) => t,
                Admission::SlowDown { .. } => panic!("within the queue"),
            })
            .collect();
        assert!(matches!(g.admit_at(1, true, now), Admission::SlowDown { .. }), "admins too: the queue is bounded");
        drop(held);
        assert!(matches!(g.admit_at(1, true, now), Admission::Go(_)));
    }

    #[tokio::test]
    async fn two_run_at_once_per_user() {
        let g = gate(100, 6000, 10);
        let tickets: Vec<Ticket> = (0..3)
            .map(|_| match g.admit(7, true) {
                Admission::Go(t) => t,
                Admission::SlowDown { .. } => panic!("admitted"),
            })
            .collect();
        let a = tickets[0].turn().await;
        let b = tickets[1].turn().await;
        assert!(a.is_some() && b.is_some());
        let third = tokio::time::timeout(Duration::from_millis(50), tickets[2].turn()).await;
        assert!(third.is_err(), "the third waits for one of the first two");
        drop(a);
        assert!(tickets[2].turn().await.is_some());
    }
}
