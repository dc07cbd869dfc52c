//! One plugin call: a fresh store from the cached pre-instance (nothing carries over between
//! calls or chats, and a trap cannot poison the next call), guest CPU bounded by epochs, memory
//! by the store's limits, the whole call by a wall-clock deadline that also covers time spent
//! awaiting host calls, and the guest's stdout/stderr forwarded to the log under its name.

use std::sync::Arc;
use std::time::Duration;

use wasmtime::{CallHook, Engine, UpdateDeadline};

use super::Loaded;
use super::bindings::types::{Action, Event, PluginError, PluginInfo};
use super::services::ImportServices;
use super::state::{CallScope, PluginState};

/// Fuel per millisecond of the CPU limit. Fuel counts the guest's instructions whatever the
/// clock says; every import call costs [`IMPORT_FUEL`] of it as well, so a call is bounded
/// however it spends its time — computing, or calling imports (granted or denied) in a loop.
const FUEL_PER_CPU_MS: u64 = 10_000_000;
/// What one import call costs in fuel: a call with the default 200 ms limit can make some
/// 10,000 of them (a /batch of 200 files makes about 250).
pub const IMPORT_FUEL: u64 = 200_000;

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
    services: &Arc<ImportServices>,
    limits: &Limits,
    scope: CallScope,
) -> wasmtime::Result<wasmtime::Store<PluginState>> {
    let state =
        PluginState::new(&plugin.info.name, plugin.granted.clone(), scope, services.clone(), limits.memory_bytes);
    let clock = state.clock.clone();
    let mut store = wasmtime::Store::new(engine, state);
    store.limiter(|s| &mut s.limits);
    store.set_fuel(fuel_for(limits.cpu))?;
    // The guest clock runs exactly while WebAssembly does; each import call pays its fuel.
    store.call_hook(|mut ctx, hook| {
        match hook {
            CallHook::CallingWasm | CallHook::ReturningFromHost => ctx.data().clock.start(),
            CallHook::ReturningFromWasm => ctx.data().clock.stop(),
            CallHook::CallingHost => {
                ctx.data().clock.stop();
                let left = ctx.get_fuel()?;
                if left < IMPORT_FUEL {
                    return Err(wasmtime::format_err!(
                        "the plugin ran out of fuel (its CPU limit, counted in instructions and import calls)"
                    ));
                }
                ctx.set_fuel(left - IMPORT_FUEL)?;
            }
        }
        Ok(())
    });
    store.set_epoch_deadline(1);
    let cpu = limits.cpu;
    store.epoch_deadline_callback(move |ctx| {
        if ctx.data().clock.used() > cpu {
            return Err(wasmtime::format_err!("the plugin used more than {cpu:?} of CPU"));
        }
        // Yield to tokio (plain Yield would starve its timers and I/O), with the clock stopped
        // while other tasks run, then go on.
        clock.stop();
        let clock = clock.clone();
        Ok(UpdateDeadline::YieldCustom(
            1,
            Box::pin(async move {
                tokio::task::yield_now().await;
                clock.start();
            }),
        ))
    });
    Ok(store)
}

fn fuel_for(cpu: Duration) -> u64 {
    (cpu.as_millis() as u64).max(1).saturating_mul(FUEL_PER_CPU_MS)
}

fn forward_output(plugin: &str, store: &wasmtime::Store<PluginState>) {
    for (stream, pipe) in [("stdout", &store.data().stdout), ("stderr", &store.data().stderr)] {
        let text = pipe.contents();
        for line in String::from_utf8_lossy(&text).lines().filter(|l| !l.trim().is_empty()) {
            tracing::warn!(plugin, stream, "{}", crate::logging::escaped(line));
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
    services: &Arc<ImportServices>,
    limits: &Limits,
    event: &Event,
    scope: CallScope,
) -> Result<Vec<Action>, CallError> {
    let mut store = new_store(engine, plugin, services, limits, scope).map_err(|e| CallError::Trap(trap_text(&e)))?;
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
    services: &Arc<ImportServices>,
    limits: &Limits,
) -> Result<PluginInfo, CallError> {
    let mut store = new_store(engine, plugin, services, limits, CallScope::default())
        .map_err(|e| CallError::Trap(trap_text(&e)))?;
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
