//! Delivers the plugins' durable wake-ups: sleeps until the earliest job is due (or a plugin
//! schedules an earlier one), hands each due job to its plugin as a `wake-up` event and carries
//! out the actions. A job leaves the store only once its plugin handled it, so a crash or a
//! restart delivers it late, never not; a failing job is retried with backoff, then dropped.
//! A job delivered again (after a `kill -9`, or by the standby that took over) is the same job:
//! the sends it makes carry keys derived from it, so the copies Telegram already has are not
//! made twice (`telegram::send_key`).

use std::collections::HashSet;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::UpdateContext;
use super::actions::Origin;
use crate::plugins::JobKey;
use crate::plugins::bindings::types::{Event, WakeUp};
use crate::storage::{Job, now_ms};

/// Longest sleep between looks at the table (jobs added by another process show up then).
const IDLE_LOOK: Duration = Duration::from_secs(30);
/// Tries before a job that keeps failing is dropped.
const MAX_ATTEMPTS: i64 = 8;
/// Jobs running at once; a broadcast's long wake-up must not hold back auto-deletes.
const PARALLEL: usize = 8;

pub async fn wake_plugins(ctx: Arc<UpdateContext>, stop: impl Future<Output = ()>) {
    let Some(host) = ctx.plugins.clone() else { return stop.await };
    let services = host.services.clone();
    // Jobs being delivered, by (plugin, payload): two wake-ups that say the same thing never run
    // at once (after a crash a plugin may find both its interrupted wake-up and the one it had
    // already scheduled next; a broadcast must not run twice side by side).
    let running: Arc<Mutex<HashSet<(String, String)>>> = Arc::default();
    let permits = Arc::new(tokio::sync::Semaphore::new(PARALLEL));
    let mut tasks = tokio::task::JoinSet::new();
    tokio::pin!(stop);
    loop {
        while tasks.try_join_next().is_some() {}
        let now = now_ms();
        let due = match ctx.store.jobs_due(now, 64).await {
            Ok(d) => d,
            Err(e) => {
                tracing::error!("scheduler: {e}");
                Vec::new()
            }
        };
        let mut held_back = false;
        for job in due {
            let key = (job.plugin.clone(), job.payload.clone());
            let fresh = running.lock().map(|mut r| r.insert(key.clone())).unwrap_or(false);
            if !fresh {
                held_back = true;
                continue;
            }
            let Ok(permit) = permits.clone().acquire_owned().await else { break };
            let (ctx, running, services) = (ctx.clone(), running.clone(), services.clone());
            tasks.spawn(async move {
                deliver(&ctx, &job).await;
                if let Ok(mut r) = running.lock() {
                    r.remove(&key);
                }
                drop(permit);
                // A job held back behind this one may be due.
                services.jobs_changed.notify_one();
            });
        }
        let next = ctx.store.next_job_due().await.ok().flatten();
        // A job held back behind a running twin is due already: the twin's end wakes the loop
        // (with a slow look as a fallback) rather than polling.
        let floor = if held_back { 1000 } else { 50 };
        let wait = next
            .map(|at| Duration::from_millis((at - now_ms()).clamp(floor, IDLE_LOOK.as_millis() as i64) as u64))
            .unwrap_or(IDLE_LOOK);
        tokio::select! {
            _ = &mut stop => break,
            _ = services.jobs_changed.notified() => {}
            _ = tokio::time::sleep(wait) => {}
        }
    }
    // Running wake-ups finish (the update loop gives its handlers the same courtesy); what is
    // not done stays in the table for the next start.
    let _ = tokio::time::timeout(Duration::from_secs(10), async { while tasks.join_next().await.is_some() {} }).await;
}

async fn deliver(ctx: &UpdateContext, job: &Job) {
    let Some(host) = &ctx.plugins else { return };
    let outcome = match host.get(&job.plugin) {
        None => Err("its plugin is not loaded".to_string()),
        Some(plugin) => {
            let event = Event::WakeUp(WakeUp { payload: job.payload.clone(), due_ms: job.due_ms.max(0) as u64 });
            let key = JobKey { id: job.id, created_ms: job.created_ms };
            match host.wake(&plugin, &event, key).await {
                Ok(actions) => {
                    let origin =
                        Origin { chat_id: None, message_id: 0, callback: None, job: Some(key), protect: false };
                    if let Err(e) = super::actions::carry_out(ctx, &plugin, &origin, actions).await {
                        // The plugin did its part; a message that cannot be sent is not retried.
                        tracing::warn!(plugin = %job.plugin, "wake-up actions failed: {e}");
                    }
                    Ok(())
                }
                Err(e) => Err(e.to_string()),
            }
        }
    };
    let result = match outcome {
        Ok(()) => ctx.store.job_done(job.id).await,
        Err(why) if job.attempts + 1 >= MAX_ATTEMPTS => {
            tracing::error!(plugin = %job.plugin, job = job.id, "wake-up dropped after {MAX_ATTEMPTS} tries: {why}");
            ctx.store.job_done(job.id).await
        }
        Err(why) => {
            let backoff = 5_000i64 << job.attempts.clamp(0, 10);
            tracing::warn!(plugin = %job.plugin, job = job.id, retry_in_ms = backoff, "wake-up failed: {why}");
            ctx.store.job_retry(job.id, now_ms() + backoff).await
        }
    };
    if let Err(e) = result {
        tracing::error!(job = job.id, "scheduler: {e}");
    }
}
