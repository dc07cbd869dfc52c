//! What one plugin call's store holds: who the plugin is and what it was granted, the WASI
//! sandbox (no files, no environment, no sockets; stdout and stderr captured), the limits, and
//! the host services its imports reach.

use std::sync::Arc;

use wasmtime::component::ResourceTable;
use wasmtime::{StoreLimits, StoreLimitsBuilder};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

use super::bindings::types::{HostError, Permission};
use super::services::HostServices;

/// Bytes of stdout/stderr kept per call (a guest's panic message is well within).
pub const OUTPUT_CAPTURE: usize = 16 * 1024;

pub struct PluginState {
    pub plugin: String,
    pub granted: Arc<Vec<Permission>>,
    pub services: Arc<HostServices>,
    pub limits: StoreLimits,
    /// Ticks of guest execution seen by the epoch callback in this call.
    pub cpu_ticks: u64,
    /// Checked imports called so far, and the count the epoch callback saw last: a tick that
    /// ends with the guest coming back from an import was spent in the host (awaiting
    /// Telegram, say), which the wall-clock limit covers, not the CPU limit.
    pub host_calls: u64,
    pub host_calls_seen: u64,
    wasi: WasiCtx,
    table: ResourceTable,
    pub stdout: MemoryOutputPipe,
    pub stderr: MemoryOutputPipe,
}

impl PluginState {
    pub fn new(plugin: &str, granted: Arc<Vec<Permission>>, services: Arc<HostServices>, memory_bytes: u64) -> Self {
        let stdout = MemoryOutputPipe::new(OUTPUT_CAPTURE);
        let stderr = MemoryOutputPipe::new(OUTPUT_CAPTURE);
        let wasi = WasiCtxBuilder::new()
            .stdout(stdout.clone())
            .stderr(stderr.clone())
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .build();
        let limits = StoreLimitsBuilder::new()
            .memory_size(memory_bytes as usize)
            .table_elements(100_000)
            .instances(32)
            .tables(32)
            .memories(8)
            .build();
        PluginState {
            plugin: plugin.to_string(),
            granted,
            services,
            limits,
            cpu_ticks: 0,
            host_calls: 0,
            host_calls_seen: 0,
            wasi,
            table: ResourceTable::new(),
            stdout,
            stderr,
        }
    }

    /// The capability check every import makes first.
    pub fn check(&mut self, p: Permission) -> Result<(), HostError> {
        self.host_calls += 1;
        if self.granted.contains(&p) {
            Ok(())
        } else {
            self.services.metrics.denied.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            tracing::warn!(plugin = %self.plugin, permission = ?p, "plugin called an import it was not granted");
            Err(HostError::Denied(p))
        }
    }
}

impl WasiView for PluginState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}
