//! The wasmtime engine every plugin runs on: compiled code cached on disk, instances from a
//! pooling allocator, guest time bounded by epochs (a ticker thread) with fuel as a backstop.

use std::path::Path;
use std::sync::Weak;
use std::time::Duration;

use wasmtime::{Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

/// How often the epoch advances: the granularity of guest CPU limits.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);

#[derive(Debug, thiserror::Error)]
#[error("cannot set up the WebAssembly engine: {0}")]
pub struct EngineError(String);

pub fn new(cache_dir: &Path, memory_bytes: u64) -> Result<Engine, EngineError> {
    let mut config = wasmtime::Config::new();
    config.epoch_interruption(true);
    config.consume_fuel(true);
    config.max_wasm_stack(1 << 20);
    // Reserve only what a plugin may use (plus a small guard) instead of wasmtime's 4 GiB per
    // memory: bounds checks become explicit, and the pool's address space stays modest
    // (256 × 64 MiB) even with several engines in one process, as in the tests.
    config.memory_reservation(memory_bytes);
    config.memory_guard_size(64 * 1024);
    config.memory_reservation_for_growth(0);
    let mut pool = PoolingAllocationConfig::default();
    pool.total_component_instances(256);
    pool.total_core_instances(512);
    pool.total_memories(256);
    pool.total_tables(512);
    pool.max_memory_size(memory_bytes as usize);
    config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    // Compiled code is cached by wasmtime under `cache_dir`, keyed by the engine's settings and
    // the module's hash: a restart with N plugins compiles nothing.
    let _ = std::fs::create_dir_all(cache_dir);
    let dir = std::path::absolute(cache_dir).map_err(|e| EngineError(e.to_string()))?;
    let mut cache = wasmtime::CacheConfig::new();
    cache.with_directory(dir);
    let cache = wasmtime::Cache::new(cache).map_err(|e| EngineError(e.to_string()))?;
    config.cache(Some(cache));
    Engine::new(&config).map_err(|e| EngineError(e.to_string()))
}

/// Advances the engine's epoch until the engine is dropped.
pub fn start_ticker(engine: Weak<Engine>) {
    std::thread::Builder::new()
        .name("plugin-epoch".into())
        .spawn(move || {
            while let Some(e) = engine.upgrade() {
                e.increment_epoch();
                drop(e);
                std::thread::sleep(EPOCH_TICK);
            }
        })
        .map(drop)
        .unwrap_or_else(|e| tracing::error!("no epoch ticker, plugin CPU limits will not work: {e}"));
}
