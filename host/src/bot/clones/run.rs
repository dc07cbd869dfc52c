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
use crate::links::Revocations;
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

pub(super) async fn serve(
    shared: &Arc<Shared>,
    rec: &CloneRecord,
    mut client: BotClient,
    mut stop: watch::Receiver<bool>,
    clones: Weak<Clones>,
) -> Ended {
    let config = clone_config(&shared.config, rec);
    let (bot_id, bin) = (client.id, config.telegram.bin_channel);
    let store = shared.store.for_bot(bot_id);
    let t = &config.telegram;
    let pacer = Arc::new(Pacer::new(Duration::from_millis(t.send_interval_ms), t.send_burst));
    let outbox = Arc::new(Outbox::new(client.client.clone(), pacer, store.clone(), bin));
    let signer = shared.signer.for_clone(bot_id, bin);
    let revoked = Revocations::new(store.clone(), bin);
    // No channel yet, no links: files are refused with the way to set one up.
    let streamer = if bin != 0 {
        let session = vec![(client.username.clone(), client.api_id(), client.snapshot().await)];
        let s = ByteStreamer::for_channel(session, client.client.clone(), bin, &config.stream, shared.metrics.clone());
        Some(Arc::new(s))
    } else {
        None
    };
    let plugins = shared.plugins.as_ref().map(|host| {
        let imports = BotImports {
            client: client.client.clone(),
            outbox: outbox.clone(),
            streamer: streamer.clone(),
            signer: Some(signer.clone()),
            revoked: Some(revoked.clone()),
            username: client.username.clone(),
            link_ttl_secs: config.links.ttl_secs,
            ban_revokes_links: config.access.ban_revokes_links,
            readers: Readers::new(client.client.clone(), bin),
        };
        let registry = Arc::new(host.services.registry.view(&config.clones.plugins));
        let mut services = ImportServices::for_bot(store.clone(), &config, imports, registry);
        services.builtins = super::owner::builtins();
        host.for_bot(Arc::new(services))
    });
    let mut ctx = UpdateContext::new(&client, config, signer.clone(), plugins, store, outbox, revoked.clone());
    ctx.role = Role::Clone { owner: rec.owner_id, clones };
    let ctx = Arc::new(ctx);
    if let Some(s) = &streamer {
        shared.routes.insert(bot_id, Served { streamer: s.clone(), signer, revoked });
    }
    bot::dispatch::publish_commands(&ctx).await;
    tracing::info!(clone = bot_id, username = %client.username, bin_set = bin != 0, "clone running");

    let (halt, halted) = watch::channel(false);
    let stopped = || {
        let mut rx = halted.clone();
        async move {
            let _ = rx.wait_for(|s| *s).await;
        }
    };
    let updates_ended = Notify::new();
    let probe = client.client.clone();
    let every = Duration::from_secs(shared.config.clones.token_check_secs.max(1));
    let supervise = async {
        let why = tokio::select! {
            _ = async { drop(stop.wait_for(|s| *s).await) } => Ended::Stopped,
            why = token_died(&probe, every) => Ended::Revoked(why),
            _ = updates_ended.notified() => match check_token(&probe).await {
                Err(why) => Ended::Revoked(why),
                Ok(()) => Ended::Failed("its update stream ended".into()),
            },
        };
        let _ = halt.send(true);
        why
    };
    let updates = async {
        if let Err(e) = bot::take_updates(&mut client, ctx.clone(), stopped()).await {
            tracing::warn!(clone = bot_id, "clone updates: {e}");
        }
        updates_ended.notify_one();
    };
    let scheduler = Box::pin(bot::scheduler::wake_plugins(ctx.clone(), stopped()));
    let (why, _, _) = tokio::join!(supervise, Box::pin(updates), scheduler);
    shared.routes.remove(bot_id);
    if let Some(s) = streamer {
        s.close();
    }
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
