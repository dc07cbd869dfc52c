//! The bot's lease: of several processes that may take a token's updates (`bot` and `all`
//! roles), exactly one does. It waits for the lease before it logs in, renews it every third of
//! its life, and stops taking updates the moment it cannot (another process took it, or the
//! database stayed unreachable for two thirds of its life), well before a standby can take
//! over: updates are never handled by two processes at once.

use std::time::Duration;

use crate::storage::{Store, StoreError};

pub struct Lease {
    store: Store,
    name: String,
    holder: String,
    ttl: Duration,
}

impl Lease {
    /// Waits until this process holds the lease of bot `token_id`.
    pub async fn wait_for(store: &Store, token_id: i64, node: &str, ttl: Duration) -> Result<Lease, StoreError> {
        let name = format!("bot:{token_id}");
        let holder = format!("{node}/{}/{:08x}", std::process::id(), rand::random::<u32>());
        let ttl_ms = ttl.as_millis() as i64;
        let mut said = false;
        while !store.lease_take(&name, &holder, ttl_ms).await? {
            if !said {
                let other = store.lease_holder(&name).await?.map(|h| h.0).unwrap_or_default();
                tracing::info!(lease = %name, holder = %other, "standby: another process takes this bot's updates; taking over when its lease lapses");
                said = true;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        tracing::info!(lease = %name, holder = %holder, "active: this process takes the bot's updates");
        Ok(Lease { store: store.clone(), name, holder, ttl })
    }

    /// Renews the lease until it cannot; returns why (the process must stop taking updates).
    pub async fn keep(&self) -> String {
        let every = self.ttl / 3;
        let mut last = tokio::time::Instant::now();
        loop {
            tokio::time::sleep(every).await;
            match self.store.lease_take(&self.name, &self.holder, self.ttl.as_millis() as i64).await {
                Ok(true) => last = tokio::time::Instant::now(),
                Ok(false) => return "another process holds the lease".into(),
                Err(e) if last.elapsed() >= self.ttl * 2 / 3 => return format!("the database is unreachable: {e}"),
                Err(e) => tracing::warn!(lease = %self.name, "could not renew the lease (trying again): {e}"),
            }
        }
    }

    /// Gives the lease up on a clean stop, so a standby takes over at once.
    pub async fn release(&self) {
        if let Err(e) = self.store.lease_release(&self.name, &self.holder).await {
            tracing::warn!(lease = %self.name, "could not release the lease: {e}");
        }
    }
}
