//! One plugin call: a fresh store from the cached pre-instance (nothing carries over between
//! calls or chats, and a trap cannot poison the next call), guest CPU bounded by epochs, memory
//! by the store's limits, the whole call by a wall-clock deadline that also covers time spent
//! awaiting host calls, and the guest's stdout/stderr forwarded to the log under its name.

use std::sync::Arc;
use std::time::Duration;

use wasmtime::{Engine, Store, UpdateDeadline};

use super::Loaded;
use super::bindings::types::{Action, Event, PluginError, PluginInfo};
use super::engine::EPOCH_TICK;
use super::services::HostServices;
use super::state::PluginState;

/// Fuel per call: a backstop far above what the CPU deadline allows.
const FUEL: u64 = 50_000_000_000;

#[derive(Clone, Debug)]
pub struct Limits {
    pub memory_bytes: u64,
    /// Guest CPU time per call.
    pub cpu: Duration,
    /// The whole call, host calls included.
    pub wall: Duration,
    pub max_actions: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum CallError {
    #[error("the plugin failed: {0}")]
    Trap(String),
    #[error("the plugin took longer than {0:?}")]
    WallClock(Duration),
    #[error("the plugin returned {0} actions; the limit is {1}")]
    TooManyActions(usize, usize),
    #[error("{0}")]
    Plugin(PluginErrorText),
}

/// A plugin's own error, kept displayable.
#[derive(Debug)]
pub struct PluginErrorText(pub PluginError);

impl std::fmt::Display for PluginErrorText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            PluginError::BadInput(s) => write!(f, "{s}"),
            PluginError::Denied(p) => write!(f, "the plugin lacks the {p:?} permission"),
            PluginError::Failed(s) => write!(f, "the plugin failed: {s}"),
        }
    }
}

fn new_store(
    engine: &Engine,
    plugin: &Loaded,
    services: &Arc<HostServices>,
    limits: &Limits,
) -> wasmtime::Result<Store<PluginState>> {
    let state = PluginState::new(&plugin.info.name, plugin.granted.clone(), services.clone(), limits.memory_bytes);
    let mut store = Store::new(engine, state);
    store.limiter(|s| &mut s.limits);
    store.set_fuel(FUEL)?;
    store.set_epoch_deadline(1);
    let max_ticks = (limits.cpu.as_millis() / EPOCH_TICK.as_millis()).max(1) as u64;
    let cpu = limits.cpu;
    store.epoch_deadline_callback(move |mut ctx| {
        let s = ctx.data_mut();
        if s.host_calls == s.host_calls_seen {
            s.cpu_ticks += 1;
        }
        s.host_calls_seen = s.host_calls;
        if s.cpu_ticks > max_ticks {
            return Err(wasmtime::format_err!("the plugin used more than {cpu:?} of CPU"));
        }
        // Yield to tokio (plain Yield would starve its timers and I/O), then go on.
        Ok(UpdateDeadline::YieldCustom(1, Box::pin(tokio::task::yield_now())))
    });
    Ok(store)
}

fn forward_output(plugin: &str, store: &Store<PluginState>) {
    for (stream, pipe) in [("stdout", &store.data().stdout), ("stderr", &store.data().stderr)] {
        let text = pipe.contents();
        for line in String::from_utf8_lossy(&text).lines().filter(|l| !l.trim().is_empty()) {
            tracing::warn!(plugin, stream, "{line}");
        }
    }
}

fn trap_text(e: &wasmtime::Error) -> String {
    let mut s = format!("{e}");
    if let Some(t) = e.downcast_ref::<wasmtime::Trap>() {
        s = format!("{t}");
    }
    for cause in e.chain().skip(1) {
        let c = cause.to_string();
        if !s.contains(&c) {
            s.push_str(": ");
            s.push_str(&c);
        }
    }
    s
}

pub async fn handle(
    engine: &Engine,
    plugin: &Loaded,
    services: &Arc<HostServices>,
    limits: &Limits,
    event: &Event,
) -> Result<Vec<Action>, CallError> {
    let mut store = new_store(engine, plugin, services, limits).map_err(|e| CallError::Trap(trap_text(&e)))?;
    let run = async {
        let instance = plugin.pre.instantiate_async(&mut store).await?;
        instance.call_handle(&mut store, event).await
    };
    let result = tokio::time::timeout(limits.wall, run).await;
    forward_output(&plugin.info.name, &store);
    match result {
        Err(_) => Err(CallError::WallClock(limits.wall)),
        Ok(Err(e)) => Err(CallError::Trap(trap_text(&e))),
        Ok(Ok(Err(e))) => Err(CallError::Plugin(PluginErrorText(e))),
        Ok(Ok(Ok(actions))) if actions.len() > limits.max_actions => {
            Err(CallError::TooManyActions(actions.len(), limits.max_actions))
        }
        Ok(Ok(Ok(actions))) => Ok(actions),
    }
}

/// `describe()` in a fresh store: the load-time smoke test.
pub async fn describe(
    engine: &Engine,
    plugin: &Loaded,
    services: &Arc<HostServices>,
    limits: &Limits,
) -> Result<PluginInfo, CallError> {
    let mut store = new_store(engine, plugin, services, limits).map_err(|e| CallError::Trap(trap_text(&e)))?;
    let run = async {
        let instance = plugin.pre.instantiate_async(&mut store).await?;
        instance.call_describe(&mut store).await
    };
    let result = tokio::time::timeout(limits.wall, run).await;
    forward_output(&plugin.info.name, &store);
    match result {
        Err(_) => Err(CallError::WallClock(limits.wall)),
        Ok(Err(e)) => Err(CallError::Trap(trap_text(&e))),
        Ok(Ok(info)) => Ok(info),
    }
}
