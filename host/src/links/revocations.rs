//! Revoked links. A file's sender (or an admin) can make its links stop working, and a ban can
//! take a user's links with it; those links answer 410 Gone. The check runs once per request,
//! at its start, against a short cache in front of the store: a chunk costs no database read,
//! and a revocation made in this process applies at once (elsewhere within the cache's life).

use std::sync::Arc;
use std::time::Duration;

use moka::future::Cache;

use crate::storage::{Store, StoreError};

/// How long a "not revoked" answer is trusted.
const FRESH: Duration = Duration::from_secs(10);

#[derive(Clone)]
pub struct Revocations {
    store: Store,
    /// Bot API id of the bin channel the links point into.
    bin_channel: i64,
    cache: Cache<i32, bool>,
}

impl Revocations {
    pub fn new(store: Store, bin_channel: i64) -> Revocations {
        Revocations { store, bin_channel, cache: Cache::builder().max_capacity(100_000).time_to_live(FRESH).build() }
    }

    /// Whether the file at this bin-channel message has been revoked.
    pub async fn is_revoked(&self, bin_message_id: i32) -> Result<bool, Arc<StoreError>> {
        let (store, bin) = (self.store.clone(), self.bin_channel);
        self.cache.try_get_with(bin_message_id, async move { store.is_revoked(bin, bin_message_id).await }).await
    }

    pub async fn revoke(&self, bin_message_id: i32, by: i64) -> Result<(), StoreError> {
        self.store.revoke_file(self.bin_channel, bin_message_id, by).await?;
        self.cache.insert(bin_message_id, true).await;
        Ok(())
    }

    /// Revokes every file `sender` sent; how many.
    pub async fn revoke_sender(&self, sender: i64, by: i64) -> Result<u64, StoreError> {
        let n = self.store.revoke_files_of(self.bin_channel, sender, by).await?;
        self.cache.invalidate_all();
        Ok(n)
    }

    /// Who sent the file, when it was recorded.
    pub async fn sender(&self, bin_message_id: i32) -> Result<Option<i64>, StoreError> {
        self.store.file_sender(self.bin_channel, bin_message_id).await
    }
}
