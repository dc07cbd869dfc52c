//! Host secrets (the link-signing key), made once and kept.

use super::db::args;
use super::{Store, StoreError};

impl Store {
    /// The secret called `name`, created from `make` on first use. Two processes racing to
    /// create it agree on whichever was written first.
    pub async fn secret_or_create(&self, name: &str, make: impl FnOnce() -> Vec<u8>) -> Result<Vec<u8>, StoreError> {
        if let Some(v) = self.secret(name).await? {
            return Ok(v);
        }
        let sql = "INSERT INTO secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING";
        self.pool.execute(sql, args![name, make().as_slice()]).await?;
        self.secret(name).await?.ok_or_else(|| StoreError::Limit(format!("secret {name} vanished")))
    }

    pub async fn secret(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let row = self.pool.fetch_optional("SELECT value FROM secrets WHERE name = ?", args![name]).await?;
        Ok(row.map(|r| r.bytes("value")).transpose()?)
    }
}
