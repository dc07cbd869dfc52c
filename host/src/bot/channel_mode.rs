//! Channel mode: in a channel the bot administers, once its admins switch it on, every new
//! media post (each item of an album too) gets **Stream** / **Download** buttons — the file is
//! copied to the bin channel and the post's buttons are set, its caption left alone — without
//! the post's author doing anything. In a group (a supergroup the bot is in), where the bot
//! cannot edit its members' messages, it answers each file with a reply carrying the buttons.
//!
//! Switched with `/channel on|off|status` posted in the channel (only its admins can post
//! there) or in the group (by one of its admins, asked of Telegram), or from the bot's private
//! chat with the chat named (`/channel on @news`), where the sender must be one of its admins.
//!
//! Posts are handled one at a time, in the order they came, by one worker: a FLOOD_WAIT on a
//! busy channel is waited out and the same post tried again, so none is skipped or overtaken.
//! A post deleted before its turn, or edited later, is nobody's problem: the first is logged
//! and passed over, the second is not a new post. Plugins do not see channel posts (the 0.2
//! interface has no event for them); this is the host's.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use grammers_client::InvocationError;
use grammers_client::message::{Button, ReplyMarkup};
use grammers_client::update::Message;
use grammers_tl_types as tl;
use tokio::sync::{mpsc, watch};

use super::UpdateContext;
use super::received::Received;
use super::subscribe;
use crate::config::SubscribeTo;
use crate::telegram::outbox::{Actor, Draft, OutboxError};

/// How long one post may wait on FLOOD_WAITs in all before it is given up (and logged).
const MAX_WAIT: Duration = Duration::from_secs(600);

/// Handles the channel posts the update loop sends, one at a time, each with the bot's context
/// of the moment; returns when the sender is dropped and the queue is empty.
pub async fn work(contexts: watch::Receiver<Arc<UpdateContext>>, mut posts: mpsc::UnboundedReceiver<Message>) {
    while let Some(m) = posts.recv().await {
        let ctx = contexts.borrow().clone();
        on_post(&ctx, &m).await;
    }
}

async fn on_post(ctx: &UpdateContext, m: &Message) {
    let channel = m.peer_id().bot_api_dialog_id_unchecked();
    if channel == ctx.config.telegram.bin_channel || m.outgoing() {
        return;
    }
    if let Some(arg) = command_arg(m.text(), &ctx.username) {
        return in_channel(ctx, m, channel, arg).await;
    }
    let Some(file) = m.media().as_ref().and_then(Received::of) else { return };
    match ctx.store.channel_mode(channel).await {
        Ok(true) if !m.post() => answer_in_group(ctx, m, channel, &file).await,
        Ok(true) => add_buttons(ctx, m, channel, &file).await,
        Ok(false) => {}
        Err(e) => tracing::error!(channel, "cannot read the channel's mode: {e}; the post gets no buttons"),
    }
}

/// `on`, `off` or `status` of a `/channel` command (`/channel@this_bot on` too).
fn command_arg<'a>(text: &'a str, username: &str) -> Option<&'a str> {
    let rest = text.trim().strip_prefix("/channel")?;
    let rest = match rest.strip_prefix('@') {
        Some(r) => {
            let (bot, after) = r.split_once(' ').unwrap_or((r, ""));
            if !bot.eq_ignore_ascii_case(username) {
                return None;
            }
            after
        }
        None if rest.is_empty() || rest.starts_with(' ') => rest,
        None => return None,
    };
    Some(rest.trim())
}

/// The word of a `/channel` command: whether it switches on, off, or asks.
fn switch(arg: &str) -> Option<Option<bool>> {
    match arg.split_whitespace().next().map(str::to_ascii_lowercase).as_deref() {
        Some("on") => Some(Some(true)),
        Some("off") => Some(Some(false)),
        Some("status") | None => Some(None),
        _ => None,
    }
}

fn state_text(on: bool) -> &'static str {
    match on {
        true => "✅ Channel mode is on: new media posts here get Stream / Download buttons.",
        false => "Channel mode is off: posts here are left as they are. /channel on to switch it on.",
    }
}

/// A `/channel` command posted in the channel (only its admins can post) — or written in a
/// group by one of its admins: done, the command post removed, the new state posted.
async fn in_channel(ctx: &UpdateContext, m: &Message, channel: i64, arg: &str) {
    if !m.post() {
        let sender = m.sender_id().and_then(|s| s.bare_id()).unwrap_or_default();
        let group = SubscribeTo::Id { id: channel, invite: None };
        let admin = match subscribe::look_up(ctx, &group).await {
            Ok(g) => {
                rights(ctx, &g, tl::types::InputPeerUser { user_id: sender, access_hash: 0 }.into()).await.is_some()
            }
            Err(_) => false,
        };
        if !admin {
            return ctx
                .say(channel, Draft::text("Only the group's administrators can do that.").reply_to(m.id()))
                .await;
        }
    }
    let on = match switch(arg) {
        Some(Some(on)) => match ctx.store.set_channel_mode(channel, on, 0).await {
            Ok(()) => on,
            Err(e) => {
                tracing::error!(channel, "cannot switch channel mode: {e}");
                return;
            }
        },
        Some(None) => ctx.store.channel_mode(channel).await.unwrap_or(false),
        None => return ctx.say(channel, Draft::text("Usage: /channel on | off | status")).await,
    };
    tracing::info!(channel, on, "channel mode set in the channel");
    let post = [m.id()];
    if let Err(e) = patiently(|| ctx.outbox.delete(Actor::Host, channel, &post)).await {
        tracing::debug!(channel, "the command post stays: {e}");
    }
    ctx.say(channel, Draft::text(state_text(on))).await;
}

/// `/channel on|off|status <@channel or -100… id>` in the bot's private chat: for the channel's
/// admins only, and only where the bot can edit posts.
pub async fn command(ctx: &UpdateContext, m: &Message, user: i64, args: &str) {
    let usage = "Usage: /channel on|off|status @yourchannel (or its -100… id). Make me an administrator of the \
                 channel first; then its new media posts get Stream / Download buttons. You can also post \
                 /channel on in the channel itself.";
    let mut words = args.split_whitespace();
    let (Some(action), Some(name)) = (words.next().and_then(switch), words.next()) else {
        return ctx.answer(m, usage).await;
    };
    let Ok(to) = SubscribeTo::parse(name) else { return ctx.answer(m, usage).await };
    let found = match subscribe::look_up(ctx, &to).await {
        Ok(c) => c,
        Err(e) => return ctx.answer(m, format!("I cannot find {name} ({e}).")).await,
    };
    let bot_api_id = crate::telegram::bot_api_channel_id(found.id);
    match rights(ctx, &found, tl::enums::InputPeer::PeerSelf).await {
        // A channel's posts are edited; in a group the bot replies, so any admin will do.
        Some(r) if r.edit_messages || found.group => {}
        _ => {
            let fix = format!("Make @{} an administrator of {} with “Edit messages” first.", ctx.username, found.title);
            return ctx.answer(m, fix).await;
        }
    }
    let asker = tl::types::InputPeerUser { user_id: user, access_hash: 0 }.into();
    if rights(ctx, &found, asker).await.is_none() {
        return ctx.answer(m, format!("Only the administrators of {} can do that.", found.title)).await;
    }
    let on = match action {
        Some(on) => match ctx.store.set_channel_mode(bot_api_id, on, user).await {
            Ok(()) => on,
            Err(e) => {
                tracing::error!("cannot switch channel mode: {e}");
                return ctx.answer(m, "Sorry, I cannot do that right now. Please try again later.").await;
            }
        },
        None => ctx.store.channel_mode(bot_api_id).await.unwrap_or(false),
    };
    ctx.answer(m, format!("{}: {}", found.title, state_text(on))).await;
}

/// What someone may do in the channel as its admin (the creator may do everything); `None`
/// when they are not an admin there or Telegram will not say.
async fn rights(
    ctx: &UpdateContext,
    channel: &subscribe::Channel,
    who: tl::enums::InputPeer,
) -> Option<tl::types::ChatAdminRights> {
    let asked = tl::functions::channels::GetParticipant { channel: channel.input.clone(), participant: who };
    let tl::enums::channels::ChannelParticipant::Participant(p) = ctx.client.invoke(&asked).await.ok()?;
    match p.participant {
        tl::enums::ChannelParticipant::Admin(a) => {
            let tl::enums::ChatAdminRights::Rights(r) = a.admin_rights;
            Some(r)
        }
        tl::enums::ChannelParticipant::Creator(c) => {
            let tl::enums::ChatAdminRights::Rights(mut r) = c.admin_rights;
            r.edit_messages = true;
            Some(r)
        }
        _ => None,
    }
}

/// Copies the message's file to the bin channel and records who sent it; its links as
/// Stream / Download buttons (`None`: the message is gone, or the copy failed, logged).
async fn copy_with_buttons(
    ctx: &UpdateContext,
    m: &Message,
    chat: i64,
    file: &Received,
) -> Option<tl::enums::ReplyMarkup> {
    let copy = match patiently(|| ctx.outbox.copy_to_bin(chat, m.id())).await {
        Ok(id) => id,
        Err(OutboxError::NotFound) => {
            tracing::info!(chat, message = m.id(), "the message is gone; no links");
            return None;
        }
        Err(e) => {
            tracing::error!(chat, message = m.id(), "could not copy a file to the bin channel: {e}");
            return None;
        }
    };
    // A channel post's author is the channel; a group message's, its member.
    let sender = m.sender_id().and_then(|s| s.bare_id()).filter(|_| !m.post()).unwrap_or(chat);
    file.record(ctx, copy, sender, (chat, m.id())).await;
    let links = ctx.signer.links(ctx.signer.target(copy, ctx.config.links.ttl_secs), &file.name);
    let buttons = [vec![Button::url("▶️ Stream", &links.watch), Button::url("⬇️ Download", &links.download)]];
    Some(ReplyMarkup::from_buttons(&buttons).raw)
}

/// A channel post: its file's links put on it as buttons.
async fn add_buttons(ctx: &UpdateContext, m: &Message, channel: i64, file: &Received) {
    let Some(markup) = copy_with_buttons(ctx, m, channel, file).await else { return };
    let edit = || ctx.outbox.edit_markup(Actor::Host, channel, m.id(), ReplyMarkup { raw: markup.clone() });
    match patiently(edit).await {
        Ok(()) => tracing::info!(channel, post = m.id(), "channel post given its links"),
        Err(OutboxError::NotFound) => tracing::info!(channel, post = m.id(), "the post was deleted meanwhile"),
        Err(e) => tracing::warn!(channel, post = m.id(), "could not put the links on a channel post: {e}"),
    }
}

/// A group's file: answered with a reply carrying its links (the bot cannot edit a member's
/// message).
async fn answer_in_group(ctx: &UpdateContext, m: &Message, group: i64, file: &Received) {
    let Some(markup) = copy_with_buttons(ctx, m, group, file).await else { return };
    let text = format!("📄 {} · {}", file.name, crate::humanize::bytes(file.size));
    let send = || {
        let markup = Some(ReplyMarkup { raw: markup.clone() });
        ctx.outbox.send(
            Actor::Host,
            group,
            Draft { text: text.clone(), markup, reply_to: Some(m.id()), ..Draft::default() },
        )
    };
    if let Err(e) = patiently(send).await {
        tracing::warn!(group, message = m.id(), "could not answer a group's file: {e}");
    }
}

/// Runs `step`, waiting out every FLOOD_WAIT Telegram asks for (up to [`MAX_WAIT`] in all), so
/// the post is neither skipped nor overtaken by the next.
async fn patiently<T, F, Fut>(mut step: F) -> Result<T, OutboxError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, OutboxError>>,
{
    let mut waited = Duration::ZERO;
    loop {
        match step().await {
            Err(OutboxError::Telegram(InvocationError::Rpc(r))) if r.code == 420 && waited < MAX_WAIT => {
                let wait = Duration::from_secs(r.value.unwrap_or(1).into());
                tracing::info!(wait_secs = wait.as_secs(), "channel mode: Telegram asks to wait; waiting");
                tokio::time::sleep(wait).await;
                waited += wait;
            }
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_in_a_channel() {
        assert_eq!(command_arg("/channel on", "beam_bot"), Some("on"));
        assert_eq!(command_arg("/channel@Beam_Bot off", "beam_bot"), Some("off"));
        assert_eq!(command_arg("/channel", "beam_bot"), Some(""));
        assert_eq!(command_arg("/channel@other_bot on", "beam_bot"), None, "another bot's");
        assert_eq!(command_arg("/channels", "beam_bot"), None);
        assert_eq!(command_arg("a /channel on", "beam_bot"), None);
        assert_eq!(switch("ON"), Some(Some(true)));
        assert_eq!(switch("off now"), Some(Some(false)));
        assert_eq!(switch(""), Some(None));
        assert_eq!(switch("maybe"), None);
    }
}
