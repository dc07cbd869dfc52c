//! `users`: the bot's users. Listing, banning and statistics need the `users` grant; one
//! user's record and settings need `user-data`.

use crate::plugins::bindings::beamgram::plugin::users::{
    BotStats, FileTraffic, Host, PluginStatus, TrafficToday, User,
};
use crate::plugins::bindings::types::{HostError, Permission};
use crate::plugins::host::kv::host_error;
use crate::plugins::services::ImportServices;
use crate::plugins::state::PluginState;
use crate::storage::StoredUser;

fn user(u: StoredUser) -> User {
    User {
        id: u.id,
        name: u.name,
        username: u.username,
        first_seen_ms: u.first_seen_ms.max(0) as u64,
        last_seen_ms: u.last_seen_ms.max(0) as u64,
        banned: u.banned,
        verified_until_ms: u.verified_until_ms.map(|v| v.max(0) as u64),
        blocked_bot: u.blocked_bot,
    }
}

fn users(v: Vec<StoredUser>) -> Vec<User> {
    v.into_iter().map(user).collect()
}

async fn stats(services: &ImportServices) -> Result<BotStats, HostError> {
    {
        let store = &services.store;
        let counts = store.user_counts().await.map_err(host_error)?;
        let (files, file_bytes) = store.file_totals().await.map_err(host_error)?;
        let pending = store.jobs_pending().await.map_err(host_error)?;
        let load = |f: fn(&crate::metrics::Metrics) -> &std::sync::atomic::AtomicU64| {
            services.stream_metrics.as_deref().map(|m| f(m).load(std::sync::atomic::Ordering::Relaxed)).unwrap_or(0)
        };
        let plugins = services
            .registry
            .list()
            .iter()
            .map(|p| PluginStatus {
                name: p.info.name.clone(),
                version: p.info.version.clone(),
                commands: p.info.commands.len() as u32,
            })
            .collect();
        Ok(BotStats {
            users: counts.total,
            banned: counts.banned,
            blocked_bot: counts.blocked_bot,
            files,
            file_bytes,
            active_streams: load(|m| &m.active_streams),
            bytes_served: load(|m| &m.bytes_streamed),
            pending_wake_ups: pending,
            plugins,
        })
    }
}

/// Today's streaming as this process served it (nothing when it streams nothing).
fn traffic(services: &ImportServices) -> TrafficToday {
    let Some(m) = services.stream_metrics.as_deref() else {
        return TrafficToday { streams_now: 0, bytes_today: 0, top_files: Vec::new(), flood_waits_last_hour: 0 };
    };
    let t = m.traffic.snapshot(crate::clock::unix_secs(), 5);
    TrafficToday {
        streams_now: m.active_streams.load(std::sync::atomic::Ordering::Relaxed),
        bytes_today: t.bytes_today,
        top_files: t.top_files.into_iter().map(|(name, bytes)| FileTraffic { name, bytes }).collect(),
        flood_waits_last_hour: t.flood_waits_last_hour,
    }
}

impl Host for PluginState {
    async fn count(&mut self) -> wasmtime::Result<Result<u64, HostError>> {
        if let Err(e) = self.check(Permission::Users) {
            return Ok(Err(e));
        }
        Ok(self.services.store.user_counts().await.map(|c| c.total).map_err(host_error))
    }

    async fn page(&mut self, offset: u64, limit: u32) -> wasmtime::Result<Result<Vec<User>, HostError>> {
        if let Err(e) = self.check(Permission::Users) {
            return Ok(Err(e));
        }
        Ok(self.services.store.users_page(offset, limit).await.map(users).map_err(host_error))
    }

    async fn after(&mut self, after_id: i64, limit: u32) -> wasmtime::Result<Result<Vec<User>, HostError>> {
        if let Err(e) = self.check(Permission::Users) {
            return Ok(Err(e));
        }
        Ok(self.services.store.users_after(after_id, limit).await.map(users).map_err(host_error))
    }

    async fn set_banned(&mut self, user_id: i64, banned: bool) -> wasmtime::Result<Result<bool, HostError>> {
        if let Err(e) = self.check(Permission::Users) {
            return Ok(Err(e));
        }
        tracing::info!(plugin = %self.plugin, user_id, banned, "ban changed by a plugin");
        let changed = self.services.store.set_banned(user_id, banned).await.map_err(host_error);
        if banned
            && changed.is_ok()
            && let Some(bot) = &self.services.bot
            && bot.ban_revokes_links
            && let Some(revoked) = &bot.revoked
        {
            match revoked.revoke_sender(user_id, 0).await {
                Ok(n) => tracing::info!(user_id, files = n, "the banned user's links were revoked"),
                Err(e) => tracing::error!(user_id, "could not revoke the banned user's links: {e}"),
            }
        }
        Ok(changed)
    }

    async fn stats(&mut self) -> wasmtime::Result<Result<BotStats, HostError>> {
        if let Err(e) = self.check(Permission::Users) {
            return Ok(Err(e));
        }
        let services = self.services.clone();
        Ok(stats(&services).await)
    }

    async fn traffic(&mut self) -> wasmtime::Result<Result<TrafficToday, HostError>> {
        if let Err(e) = self.check(Permission::Users) {
            return Ok(Err(e));
        }
        Ok(Ok(traffic(&self.services)))
    }

    async fn get(&mut self, user_id: i64) -> wasmtime::Result<Result<Option<User>, HostError>> {
        if let Err(e) = self.check(Permission::UserData).and_then(|_| self.may_touch_user(user_id)) {
            return Ok(Err(e));
        }
        Ok(self.services.store.user(user_id).await.map(|u| u.map(user)).map_err(host_error))
    }

    async fn set_verified_until(
        &mut self,
        user_id: i64,
        until_ms: Option<u64>,
    ) -> wasmtime::Result<Result<(), HostError>> {
        if let Err(e) = self.check(Permission::UserData).and_then(|_| self.may_touch_user(user_id)) {
            return Ok(Err(e));
        }
        let until = until_ms.map(|v| v.min(i64::MAX as u64) as i64);
        Ok(self.services.store.set_verified_until(user_id, until).await.map_err(host_error))
    }

    /// The plugin's own setting for the event's user.
    async fn get_setting(&mut self, user_id: i64, key: String) -> wasmtime::Result<Result<Option<String>, HostError>> {
        if let Err(e) = self.check(Permission::UserData).and_then(|_| self.may_touch_user(user_id)) {
            return Ok(Err(e));
        }
        Ok(self.services.store.user_setting(&self.plugin, user_id, &key).await.map_err(host_error))
    }

    async fn set_setting(
        &mut self,
        user_id: i64,
        key: String,
        value: Option<String>,
    ) -> wasmtime::Result<Result<(), HostError>> {
        if let Err(e) = self.check(Permission::UserData).and_then(|_| self.may_touch_user(user_id)) {
            return Ok(Err(e));
        }
        Ok(self
            .services
            .store
            .set_user_setting(&self.plugin, user_id, &key, value.as_deref())
            .await
            .map_err(host_error))
    }
}
