//! Force-subscribe: the channels in `access.force_subscribe` a user must have joined before the
//! bot gives them links. Files and commands (but `/start` and `/help`) from a user who has not
//! joined them all are answered with a "Join" button per missing channel and a "Try again"
//! button that checks again; admins are exempt.
//!
//! Membership is asked of Telegram (`channels.getParticipant`, which needs the bot to be an
//! administrator of the channel) and remembered for a minute ("Try again" forgets it). A channel
//! the bot cannot find or check is reported to the admins once — it is let through rather than
//! shutting every user out over the operator's configuration, but never silently.

use std::collections::HashSet;
use std::sync::Mutex;
use std::time::Duration;

use grammers_client::InvocationError;
use grammers_client::message::{Button, ReplyMarkup};
use grammers_client::update::CallbackQuery;
use grammers_tl_types as tl;
use moka::future::Cache;

use super::UpdateContext;
use crate::config::SubscribeTo;
use crate::telegram::bare_channel_id;
use crate::telegram::outbox::{Actor, Draft};

/// How long an answer about one user and channel is trusted.
const FRESH: Duration = Duration::from_secs(60);
/// The host's own callback data (tagged like a plugin's, under a name no plugin can have).
pub const HOST_TAG: &str = "@host";
const RETRY: &str = "fsub";

/// A channel as Telegram knows it.
#[derive(Clone)]
pub(super) struct Channel {
    pub(super) input: tl::enums::InputChannel,
    /// Bare (MTProto) id.
    pub(super) id: i64,
    pub(super) title: String,
    /// Where users join it: the configured invite link, or `t.me/<username>`.
    pub(super) url: Option<String>,
    /// A supergroup, not a broadcast channel.
    pub(super) group: bool,
}

/// A channel a user still has to join.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Missing {
    pub title: String,
    pub url: Option<String>,
}

pub struct Subscriptions {
    required: Vec<(String, SubscribeTo)>,
    /// Channels looked up so far, by entry.
    channels: Cache<String, Channel>,
    members: Cache<(i64, i64), bool>,
    /// Entries already reported to the admins as impossible to check.
    reported: Mutex<HashSet<String>>,
}

impl Subscriptions {
    /// From the configuration's entries (already validated; any that do not parse are skipped).
    pub fn new(entries: &[String]) -> Subscriptions {
        Subscriptions {
            required: entries.iter().filter_map(|e| Some((e.clone(), SubscribeTo::parse(e).ok()?))).collect(),
            channels: Cache::builder().max_capacity(64).time_to_live(Duration::from_secs(3600)).build(),
            members: Cache::builder().max_capacity(100_000).time_to_live(FRESH).build(),
            reported: Mutex::default(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.required.is_empty()
    }

    /// The required channels `user` has not joined, in the configured order.
    pub async fn missing(&self, ctx: &UpdateContext, user: i64) -> Vec<Missing> {
        let mut out = Vec::new();
        for (entry, to) in &self.required {
            let channel = match self.channels.get(entry).await {
                Some(c) => c,
                None => match look_up(ctx, to).await {
                    Ok(c) => {
                        self.channels.insert(entry.clone(), c.clone()).await;
                        c
                    }
                    Err(e) => {
                        self.report(ctx, entry, &format!("I cannot find it ({e})")).await;
                        continue;
                    }
                },
            };
            let joined = match self.members.get(&(user, channel.id)).await {
                Some(j) => j,
                None => match is_member(ctx, &channel, user).await {
                    Ok(j) => {
                        self.members.insert((user, channel.id), j).await;
                        j
                    }
                    Err(e) => {
                        self.report(ctx, entry, &format!("I cannot see who is in it ({e})")).await;
                        continue;
                    }
                },
            };
            if !joined {
                out.push(Missing { title: channel.title.clone(), url: channel.url.clone() });
            }
        }
        out
    }

    /// Forgets what is known of `user`'s memberships ("Try again").
    pub async fn forget(&self, user: i64) {
        for (_, c) in self.channels.iter() {
            self.members.invalidate(&(user, c.id)).await;
        }
    }

    /// Tells every admin, once per entry, that a required channel cannot be checked.
    async fn report(&self, ctx: &UpdateContext, entry: &str, why: &str) {
        let first = self.reported.lock().map(|mut r| r.insert(entry.to_string())).unwrap_or(false);
        if !first {
            return;
        }
        tracing::warn!(channel = entry, "force-subscribe: {why}");
        let text = format!(
            "⚠️ Force-subscribe: {why} — the channel {entry} in access.force_subscribe. Make @{} an administrator \
             there (or remove the entry). Until then users are not asked to join it.",
            ctx.username
        );
        for admin in &ctx.config.access.admins {
            ctx.say(*admin, Draft::text(text.clone())).await;
        }
    }
}

/// A channel named by `@username` or id, as the bot can see it.
pub(super) async fn look_up(ctx: &UpdateContext, to: &SubscribeTo) -> Result<Channel, String> {
    let (chats, invite) = match to {
        SubscribeTo::Username(name) => {
            let tl::enums::contacts::ResolvedPeer::Peer(r) = ctx
                .client
                .invoke(&tl::functions::contacts::ResolveUsername { username: name.clone(), referer: None })
                .await
                .map_err(|e| e.to_string())?;
            (r.chats, None)
        }
        SubscribeTo::Id { id, invite } => {
            let input = tl::types::InputChannel { channel_id: bare_channel_id(*id), access_hash: 0 }.into();
            let asked = ctx.client.invoke(&tl::functions::channels::GetChannels { id: vec![input] }).await;
            let chats = match asked.map_err(|e| e.to_string())? {
                tl::enums::messages::Chats::Chats(c) => c.chats,
                tl::enums::messages::Chats::Slice(c) => c.chats,
            };
            (chats, invite.clone())
        }
    };
    let channel = chats.into_iter().find_map(|c| match c {
        tl::enums::Chat::Channel(ch) => Some(ch),
        _ => None,
    });
    let Some(ch) = channel else { return Err("it is not a channel".into()) };
    let url = invite.or_else(|| ch.username.as_ref().filter(|u| !u.is_empty()).map(|u| format!("https://t.me/{u}")));
    Ok(Channel {
        input: tl::types::InputChannel { channel_id: ch.id, access_hash: ch.access_hash.unwrap_or(0) }.into(),
        id: ch.id,
        title: ch.title,
        url,
        group: ch.megagroup,
    })
}

/// Whether `user` is in the channel (left and banned users are not); an error when the bot
/// cannot tell.
async fn is_member(ctx: &UpdateContext, channel: &Channel, user: i64) -> Result<bool, InvocationError> {
    let asked = ctx
        .client
        .invoke(&tl::functions::channels::GetParticipant {
            channel: channel.input.clone(),
            participant: tl::types::InputPeerUser { user_id: user, access_hash: 0 }.into(),
        })
        .await;
    match asked {
        Ok(tl::enums::channels::ChannelParticipant::Participant(p)) => Ok(!matches!(
            p.participant,
            tl::enums::ChannelParticipant::Left(_) | tl::enums::ChannelParticipant::Banned(_)
        )),
        Err(InvocationError::Rpc(e)) if e.name == "USER_NOT_PARTICIPANT" => Ok(false),
        Err(e) => Err(e),
    }
}

/// Answers `chat`'s message `reply_to` with the channels `user` must join first, when there
/// are any; true when the message was held back.
pub async fn hold(ctx: &UpdateContext, chat: i64, reply_to: i32, user: i64) -> bool {
    if ctx.subscriptions.is_empty() || ctx.is_admin(user) {
        return false;
    }
    let missing = ctx.subscriptions.missing(ctx, user).await;
    if missing.is_empty() {
        return false;
    }
    let names: Vec<&str> = missing.iter().map(|m| m.title.as_str()).collect();
    let text = format!("📢 To use this bot, please join {} first, then press “Try again”.", names.join(", "));
    let mut rows: Vec<Vec<Button>> = missing
        .iter()
        .filter_map(|m| Some(vec![Button::url(format!("Join {}", m.title), m.url.as_deref()?)]))
        .collect();
    if let Some(data) = ctx.plugins.as_ref().and_then(|p| p.services.tags.tag_data(HOST_TAG, RETRY).ok()) {
        rows.push(vec![Button::data("🔄 Try again", data.into_bytes())]);
    }
    let draft =
        Draft { text, markup: Some(ReplyMarkup::from_buttons(&rows)), reply_to: Some(reply_to), ..Draft::default() };
    if let Err(e) = ctx.outbox.send(Actor::Host, chat, draft).await {
        tracing::warn!(chat, "could not ask the user to join: {e}");
    }
    true
}

/// A press of "Try again": checks again; the prompt becomes a thank-you once every channel is
/// joined, else the user is told which are missing. False when the data is not the host's.
pub async fn on_retry(ctx: &UpdateContext, q: &CallbackQuery, data: &str) -> bool {
    let ours =
        ctx.plugins.as_ref().and_then(|p| p.services.tags.owner(data, [HOST_TAG])).is_some_and(|(_, d)| d == RETRY);
    if !ours {
        return false;
    }
    let user = q.sender_id().bare_id().unwrap_or_default();
    ctx.subscriptions.forget(user).await;
    let missing = ctx.subscriptions.missing(ctx, user).await;
    if !missing.is_empty() {
        let names: Vec<&str> = missing.iter().map(|m| m.title.as_str()).collect();
        let text = format!("Not yet: please join {} first.", names.join(", "));
        let _ = q.answer().alert(text).send().await;
        return true;
    }
    let _ = q.answer().text("Thanks for joining!").send().await;
    let chat = q.peer_id().bot_api_dialog_id_unchecked();
    let message = match &q.raw {
        tl::enums::Update::BotCallbackQuery(u) => u.msg_id,
        _ => return true,
    };
    let thanks = Draft::text("✅ Thanks for joining! Send your file (or command) again.");
    if let Err(e) = ctx.outbox.edit(Actor::Host, chat, message, thanks).await {
        tracing::warn!(chat, "could not update the join prompt: {e}");
    }
    true
}
