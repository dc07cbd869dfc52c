//! What one plugin call's store holds: who the plugin is and what it was granted, whom the call
//! is for (the event's user and chat, which bound what its imports reach), the WASI sandbox (no
//! files, no environment, no sockets; stdout and stderr captured), the limits, and the host
//! services its imports reach.

use std::sync::Arc;

use wasmtime::ResourceLimiter;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

use super::bindings::types::{HostError, Permission};
use super::grants::Grants;
use super::guest_clock::GuestClock;
pub use super::scope::CallScope;
use super::services::ImportServices;
use crate::telegram::send_key::{SendKey, SendKeys};

/// Bytes of stdout/stderr kept per call (a guest's panic message is well within).
pub const OUTPUT_CAPTURE: usize = 16 * 1024;

/// Memory for the whole call: every linear memory and table of every instance counted together
/// (a component can hold several), against one budget.
pub struct CallLimiter {
    budget: usize,
    used: usize,
}

/// Bytes a table element is counted as.
const TABLE_ELEMENT: usize = 8;

impl CallLimiter {
    pub fn new(budget: usize) -> CallLimiter {
        CallLimiter { budget, used: 0 }
    }

    fn grow(&mut self, bytes: usize) -> bool {
        match self.used.checked_add(bytes) {
            Some(total) if total <= self.budget => {
                self.used = total;
                true
            }
            _ => false,
        }
    }
}

impl ResourceLimiter for CallLimiter {
    fn memory_growing(&mut self, current: usize, desired: usize, _max: Option<usize>) -> wasmtime::Result<bool> {
        Ok(self.grow(desired.saturating_sub(current)))
    }

    fn table_growing(&mut self, current: usize, desired: usize, _max: Option<usize>) -> wasmtime::Result<bool> {
        Ok(self.grow(desired.saturating_sub(current).saturating_mul(TABLE_ELEMENT)))
    }

    fn instances(&self) -> usize {
        32
    }

    fn tables(&self) -> usize {
        32
    }

    fn memories(&self) -> usize {
        8
    }
}

pub struct PluginState {
    pub plugin: String,
    pub granted: Arc<Grants>,
    pub scope: CallScope,
    pub services: Arc<ImportServices>,
    pub limits: CallLimiter,
    /// Guest execution time of this call (time in imports excluded).
    pub clock: Arc<GuestClock>,
    /// A wake-up's send keys (see `send_key`).
    sends: Option<SendKeys>,
    wasi: WasiCtx,
    table: ResourceTable,
    pub stdout: MemoryOutputPipe,
    pub stderr: MemoryOutputPipe,
}

impl PluginState {
    pub fn new(
        plugin: &str,
        granted: Arc<Grants>,
        scope: CallScope,
        services: Arc<ImportServices>,
        memory_bytes: u64,
    ) -> Self {
        let stdout = MemoryOutputPipe::new(OUTPUT_CAPTURE);
        let stderr = MemoryOutputPipe::new(OUTPUT_CAPTURE);
        let wasi = WasiCtxBuilder::new()
            .stdout(stdout.clone())
            .stderr(stderr.clone())
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .build();
        PluginState {
            plugin: plugin.to_string(),
            granted,
            scope,
            services,
            limits: CallLimiter::new(memory_bytes as usize),
            clock: Arc::new(GuestClock::default()),
            sends: scope.job.map(|j| SendKeys::new(plugin, (j.id, j.created_ms))),
            wasi,
            table: ResourceTable::new(),
            stdout,
            stderr,
        }
    }

    /// The idempotency key of a send a wake-up makes (none outside one): the same job making the
    /// same send again — delivered again after a crash or on the standby that took over — gets
    /// the same key, so Telegram refuses the copy; the same send twice within one delivery is
    /// counted apart and goes out twice, as the plugin asked.
    pub fn send_key(&mut self, what: &[impl AsRef<[u8]>]) -> Option<SendKey> {
        self.sends.as_mut().map(|keys| keys.next(what))
    }

    /// The capability check every import makes first. Denials are logged once per plugin a
    /// minute, with a count: a guest looping on a denied import cannot flood the log.
    pub fn check(&mut self, p: Permission) -> Result<(), HostError> {
        if self.granted.has(p) {
            Ok(())
        } else {
            self.services.metrics.denied.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            self.services.denials.note(&self.plugin, super::grants::permission_name(p));
            Err(HostError::Denied(p))
        }
    }

    /// The user whose data an import may touch: the event's user, any user with the
    /// `any-user-data` grant. Denied otherwise (and for wake-ups, which have no user).
    pub fn may_touch_user(&mut self, user: i64) -> Result<(), HostError> {
        if self.granted.any_user_data || self.scope.user == Some(user) {
            Ok(())
        } else {
            self.services.metrics.denied.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            self.services.denials.note(&self.plugin, "another user's data (any-user-data)");
            Err(HostError::Denied(Permission::UserData))
        }
    }
}

impl WasiView for PluginState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memories_and_tables_share_one_budget() {
        let mut l = CallLimiter::new(10 * 65536);
        assert!(l.memory_growing(0, 4 * 65536, None).expect("ok"), "first memory");
        assert!(l.memory_growing(0, 4 * 65536, None).expect("ok"), "second memory");
        assert!(!l.memory_growing(0, 4 * 65536, None).expect("ok"), "a third would pass the budget");
        assert!(l.memory_growing(4 * 65536, 5 * 65536, None).expect("ok"), "growing within it");
        assert!(!l.table_growing(0, 65536, None).expect("ok"), "a big table counts too");
        assert!(l.table_growing(0, 1000, None).expect("ok"));
    }
}
