//! Leases: which process of several may do something only one may do (take a bot's updates).
//! A lease is held until it expires; its holder renews it well before, and anyone may take an
//! expired one. Fencing is by time: a holder that cannot renew stops before its lease runs out.

use super::db::args;
use super::{Store, StoreError, now_ms};

impl Store {
    /// Takes or renews lease `name` for `holder` for `ttl_ms`; false while someone else holds it.
    pub async fn lease_take(&self, name: &str, holder: &str, ttl_ms: i64) -> Result<bool, StoreError> {
        let now = now_ms();
        let changed = self
            .pool
            .execute(
                "INSERT INTO leases (name, holder, expires_ms) VALUES (?, ?, ?)
                 ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_ms = excluded.expires_ms
                 WHERE leases.expires_ms < ? OR leases.holder = ?",
                args![name, holder, now + ttl_ms, now, holder],
            )
            .await?;
        Ok(changed > 0)
    }

    /// Gives the lease up (a clean stop), so a standby need not wait for it to expire.
    pub async fn lease_release(&self, name: &str, holder: &str) -> Result<(), StoreError> {
        self.pool.execute("DELETE FROM leases WHERE name = ? AND holder = ?", args![name, holder]).await?;
        Ok(())
    }

    /// Who holds the lease and until when (unix ms), if anyone.
    pub async fn lease_holder(&self, name: &str) -> Result<Option<(String, i64)>, StoreError> {
        let row = self.pool.fetch_optional("SELECT holder, expires_ms FROM leases WHERE name = ?", args![name]).await?;
        Ok(row.map(|r| Ok::<_, sqlx::Error>((r.text("holder")?, r.int("expires_ms")?))).transpose()?)
    }
}
