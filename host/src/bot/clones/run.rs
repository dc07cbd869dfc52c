//! One clone running: its context put together from the host's shared parts and its own
//! (store view, outbox, signer, streamer once it has a bin channel, plugin view), its update
//! loop, scheduler and token check run until it is stopped, then taken apart again.

use std::sync::{Arc, Weak};
use std::time::Duration;

use grammers_client::tl;
use tokio::sync::{Notify, watch};

use super::{Clones, Ended, Shared};
use crate::bot::{self, Role, UpdateContext};
use crate::config::Config;
use crate::http::Served;
use crate::links::{FileExtras, Revocations};
use crate::plugins::readers::Readers;
use crate::plugins::services::{BotImports, ImportServices};
use crate::storage::CloneRecord;
use crate::stream::ByteStreamer;
use crate::telegram::outbox::Outbox;
use crate::telegram::pacer::Pacer;
use crate::telegram::{BotClient, token_is_dead};

/// The clone's configuration: the host's, with the clone's owner as its only admin, its own
/// bin channel and welcome text, open to everyone (its owner decides who uses it: bans).
fn clone_config(host: &Config, rec: &CloneRecord) -> Config {
    let mut c = host.clone();
    c.access.admins = vec![rec.owner_id];
    c.access.allowed_users = Vec::new();
    // The operator's channels are not a clone's to require (nor can the clone check them).
    c.access.force_subscribe = Vec::new();
    c.telegram.bin_channel = rec.bin_channel.unwrap_or(0);
    c.telegram.bot_token = String::new();
    c.telegram.multi_tokens = Vec::new();
    if let Some(welcome) = &rec.welcome {
        c.plugins
            .config
            .entry("start".into())
            .or_default()
            .0
            .insert("welcome".into(), toml::Value::String(welcome.clone()));
    }
    c
}

/// What a clone's context is built from that stays while it runs: its client's parts.
struct ClientParts {
    client: grammers_client::Client,
    id: i64,
    username: String,
    api_id: i32,
    snapshot: grammers_session::SessionData,
}

/// One version of a clone's context (a new one when its owner changes a setting).
struct Built {
    ctx: Arc<UpdateContext>,
    bin: i64,
    streamer: Option<Arc<ByteStreamer>>,
}

/// The clone's context from its record; the streamer of `previous` is kept when the bin
/// channel did not change, and so are its users' turns.
fn build(
    shared: &Shared,
    rec: &CloneRecord,
    c: &ClientParts,
    clones: &Weak<Clones>,
    previous: Option<&Built>,
) -> Built {
    let config = clone_config(&shared.config, rec);
    let bin = config.telegram.bin_channel;
    let store = shared.store.for_bot(c.id);
    let t = &config.telegram;
    let pacer = Arc::new(Pacer::new(Duration::from_millis(t.send_interval_ms), t.send_burst));
    let outbox = Arc::new(Outbox::new(c.client.clone(), pacer, store.clone(), bin));
    let signer = shared.signer.for_clone(c.id, bin);
    let revoked = Revocations::new(store.clone(), bin);
    let extras = FileExtras::new(store.clone(), bin);
    // No channel yet, no links: files are refused with the way to set one up.
    let streamer = match previous {
        Some(p) if p.bin == bin => p.streamer.clone(),
        _ if bin == 0 => None,
        _ => {
            let snapshot = grammers_session::SessionData {
                home_dc: c.snapshot.home_dc,
                dc_options: c.snapshot.dc_options.clone(),
                ..Default::default()
            };
            let session = vec![(c.username.clone(), c.api_id, snapshot)];
            let s = ByteStreamer::for_channel(session, c.client.clone(), bin, &config.stream, shared.metrics.clone());
            Some(Arc::new(s))
        }
    };
    let plugins = shared.plugins.as_ref().map(|host| {
        let imports = BotImports {
            client: c.client.clone(),
            outbox: outbox.clone(),
            streamer: streamer.clone(),
            signer: Some(signer.clone()),
            revoked: Some(revoked.clone()),
            username: c.username.clone(),
            link_ttl_secs: config.links.ttl_secs,
            ban_revokes_links: config.access.ban_revokes_links,
            readers: Readers::new(c.client.clone(), bin),
        };
        let registry = Arc::new(host.services.registry.view(&config.clones.plugins));
        let mut services = ImportServices::for_bot(store.clone(), &config, imports, registry);
        services.shortener.default = rec.shortener.clone();
        services.builtins = super::owner::builtins();
        host.for_bot(Arc::new(services))
    });
    let mut ctx = UpdateContext::new(
        (c.client.clone(), c.username.clone()),
        config,
        signer.clone(),
        plugins,
        store,
        outbox,
        revoked.clone(),
    );
    ctx.role = Role::Clone { owner: rec.owner_id, clones: clones.clone() };
    if let Some(p) = previous {
        ctx.users = p.ctx.users.clone();
    }
    match &streamer {
        Some(s) => shared.routes.insert(c.id, Served { streamer: s.clone(), signer, revoked, extras }),
        None => drop(shared.routes.remove(c.id)),
    }
    Built { ctx: Arc::new(ctx), bin, streamer }
}

pub(super) async fn serve(
    shared: &Arc<Shared>,
    rec: &CloneRecord,
    mut client: BotClient,
    mut stop: watch::Receiver<bool>,
    reload: Arc<Notify>,
    clones: Weak<Clones>,
) -> Ended {
    let parts = ClientParts {
        client: client.client.clone(),
        id: client.id,
        username: client.username.clone(),
        api_id: client.api_id(),
        snapshot: client.snapshot().await,
    };
    let bot_id = parts.id;
    let mut current = build(shared, rec, &parts, &clones, None);
    let (contexts_tx, contexts) = watch::channel(current.ctx.clone());
    bot::dispatch::publish_commands(&current.ctx).await;
    tracing::info!(clone = bot_id, username = %parts.username, bin_set = current.bin != 0, "clone running");

    let (halt, halted) = watch::channel(false);
    let stopped = || {
        let mut rx = halted.clone();
        async move {
            let _ = rx.wait_for(|s| *s).await;
        }
    };
    let updates_ended = Notify::new();
    let every = Duration::from_secs(shared.config.clones.token_check_secs.max(1));
    let supervise = async {
        let why = loop {
            tokio::select! {
                _ = async { drop(stop.wait_for(|s| *s).await) } => break Ended::Stopped,
                why = token_died(&parts.client, every) => break Ended::Revoked(why),
                _ = updates_ended.notified() => break match check_token(&parts.client).await {
                    Err(why) => Ended::Revoked(why),
                    Ok(()) => Ended::Failed("its update stream ended".into()),
                },
                _ = reload.notified() => match shared.store.clone_record(bot_id).await {
                    // The owner changed a setting: the next update sees the new context; the
                    // update stream never stops.
                    Ok(Some(rec)) => {
                        let next = build(shared, &rec, &parts, &clones, Some(&current));
                        let _ = contexts_tx.send(next.ctx.clone());
                        bot::dispatch::publish_commands(&next.ctx).await;
                        let old = std::mem::replace(&mut current, next);
                        if let Some(s) = old.streamer.filter(|_| old.bin != current.bin) {
                            s.close();
                        }
                        tracing::info!(clone = bot_id, bin_set = current.bin != 0, "clone settings applied");
                    }
                    Ok(None) => break Ended::Stopped,
                    Err(e) => tracing::error!(clone = bot_id, "cannot read the clone's settings: {e}"),
                },
            }
        };
        let _ = halt.send(true);
        why
    };
    let updates = async {
        if let Err(e) = bot::take_updates(&mut client, contexts.clone(), stopped()).await {
            tracing::warn!(clone = bot_id, "clone updates: {e}");
        }
        updates_ended.notify_one();
    };
    // The scheduler runs with the context of the moment, started again when it changes.
    let scheduler = async {
        let mut contexts = contexts.clone();
        while !*halted.borrow() {
            let ctx = contexts.borrow_and_update().clone();
            let until = async {
                tokio::select! {
                    _ = stopped() => {}
                    _ = contexts.changed() => {}
                }
            };
            Box::pin(bot::scheduler::wake_plugins(ctx, until)).await;
        }
    };
    let (why, _, _) = tokio::join!(supervise, Box::pin(updates), scheduler);
    shared.routes.remove(bot_id);
    if let Some(s) = &current.streamer {
        s.close();
    }
    drop(current);
    client.close().await;
    tracing::info!(clone = bot_id, "clone stopped: {why:?}");
    why
}

/// Resolves when Telegram says the token is dead; asks every `every`.
async fn token_died(client: &grammers_client::Client, every: Duration) -> String {
    loop {
        tokio::time::sleep(every).await;
        if let Err(why) = check_token(client).await {
            return why;
        }
    }
}

/// `Err` only when Telegram refuses the session for good (a network failure is not a verdict).
async fn check_token(client: &grammers_client::Client) -> Result<(), String> {
    match client.invoke(&tl::functions::updates::GetState {}).await {
        Err(e) if token_is_dead(&e) => Err(e.to_string()),
        _ => Ok(()),
    }
}
