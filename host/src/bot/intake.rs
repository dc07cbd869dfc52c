//! What the bot does with a private message: the sender is recorded (and refused when not
//! allowed or banned); files are copied to the bin channel, recorded and handed to the plugins
//! (gate, reply, follow-up) — except a subtitle file replying to the sender's video, which is
//! attached to it; other messages go to command dispatch.

use grammers_client::InvocationError;
use grammers_client::media::Media;
use grammers_client::message::{Button, ReplyMarkup};
use grammers_client::peer::Peer;
use grammers_client::update::Message;

use super::UpdateContext;
use super::actions::Origin;
use super::dispatch;
use super::received::Received;
use crate::humanize;
use crate::links::LinkSet;
use crate::plugins::bindings::types::{Event, EventKinds, FileReceived, FileReplied, MessageRef};
use crate::storage::SeenUser;
use crate::telegram::outbox::{Actor, Draft, OutboxError};

pub async fn on_message(ctx: &UpdateContext, m: Message) -> Result<(), InvocationError> {
    let sender = m.sender_id().and_then(|s| s.bare_id()).unwrap_or_default();
    let chat = m.peer_id().bot_api_dialog_id_unchecked();
    if let Some(why) = not_allowed(ctx, sender) {
        ctx.say(chat, Draft::text(why).reply_to(m.id())).await;
        return Ok(());
    }
    if let Some(why) = record_sender(ctx, &m, sender).await {
        ctx.say(chat, Draft::text(why).reply_to(m.id())).await;
        return Ok(());
    }
    if held_back(ctx, &m, chat, sender).await {
        return Ok(());
    }
    if let Some(media) = m.media() {
        return on_file(ctx, &m, media).await;
    }
    if dispatch::on_text(ctx, &m).await {
        return Ok(());
    }
    let text = m.text().trim();
    let reply = if text == "/start" || text.starts_with("/start ") {
        "Hi! Send me a file and I will answer with links to stream or download it."
    } else {
        "Send me a file (video, audio, document or photo) to get its links."
    };
    ctx.say(chat, Draft::text(reply).reply_to(m.id())).await;
    Ok(())
}

/// Files and commands (but `/start` and `/help`) wait until the sender joined the channels the
/// operator requires (see [`super::subscribe`]).
async fn held_back(ctx: &UpdateContext, m: &Message, chat: i64, sender: i64) -> bool {
    let text = m.text().trim();
    let command = text.strip_prefix('/').map(|c| c.split([' ', '@']).next().unwrap_or(""));
    let gated = m.media().is_some() || command.is_some_and(|c| c != "start" && c != "help");
    gated && super::subscribe::hold(ctx, chat, m.id(), sender).await
}

const PRIVATE: &str = "Sorry, this bot is private.";
const BANNED: &str = "You are banned from using this bot.";
const STORE_DOWN: &str = "Sorry, I can't check your account right now. Please try again in a minute.";

/// Outside `ALLOWED_USERS` (when set); admins never are.
fn not_allowed(ctx: &UpdateContext, user: i64) -> Option<&'static str> {
    let allowed = &ctx.config.access.allowed_users;
    (!allowed.is_empty() && !allowed.contains(&user) && !ctx.is_admin(user)).then_some(PRIVATE)
}

/// Why `user` may not use the bot right now (private bot, banned, or their record cannot be
/// read: bans fail closed), for updates that do not record the sender (button presses).
pub async fn refusal(ctx: &UpdateContext, user: i64) -> Option<&'static str> {
    if let Some(why) = not_allowed(ctx, user) {
        return Some(why);
    }
    if ctx.is_admin(user) {
        return None;
    }
    match ctx.store.user(user).await {
        Ok(u) => u.is_some_and(|u| u.banned).then_some(BANNED),
        Err(e) => {
            tracing::error!("could not read user {user}: {e}");
            Some(STORE_DOWN)
        }
    }
}

/// Records the sender; why they may not go on (banned, or the store cannot say: bans fail
/// closed, admins are never locked out).
async fn record_sender(ctx: &UpdateContext, m: &Message, id: i64) -> Option<&'static str> {
    let (first, last, username) = match m.sender() {
        Some(Peer::User(u)) => (u.first_name().unwrap_or_default(), u.last_name().unwrap_or_default(), u.username()),
        _ => ("", "", None),
    };
    let admin = ctx.is_admin(id);
    match ctx.store.user_seen(&SeenUser { id, first_name: first, last_name: last, username }).await {
        Ok(u) => (u.banned && !admin).then_some(BANNED),
        Err(e) => {
            tracing::error!("could not record user {id}: {e}");
            (!admin).then_some(STORE_DOWN)
        }
    }
}

async fn on_file(ctx: &UpdateContext, m: &Message, media: Media) -> Result<(), InvocationError> {
    let chat = m.peer_id().bot_api_dialog_id_unchecked();
    let Some(info) = Received::of(&media) else {
        ctx.say(chat, Draft::text("That kind of message has no file I can link to.").reply_to(m.id())).await;
        return Ok(());
    };
    if ctx.config.telegram.bin_channel == 0 {
        let sender = m.sender_id().and_then(|s| s.bare_id()).unwrap_or_default();
        super::clones::owner::no_bin(ctx, chat, m.id(), sender).await;
        return Ok(());
    }
    let copy = match ctx.outbox.copy_to_bin(chat, m.id()).await {
        Ok(id) => id,
        Err(e) => {
            tracing::error!("could not copy a file to the bin channel: {e}");
            ctx.say(chat, Draft::text("Sorry, I could not store that file. Please try again later.").reply_to(m.id()))
                .await;
            return Ok(());
        }
    };
    let sender = m.sender_id().and_then(|s| s.bare_id()).unwrap_or_default();
    tracing::info!(bin_message = copy, name = %crate::logging::escaped(&info.name), size = info.size, "file copied to the bin channel");
    info.record(ctx, copy, sender, (chat, m.id())).await;
    if super::subtitles::attach(ctx, m, &info.name, copy).await {
        return Ok(());
    }
    let links = ctx.signer.links(ctx.signer.target(copy, ctx.config.links.ttl_secs), &info.name);
    if to_plugins(ctx, m, copy, links.clone()).await {
        return Ok(());
    }
    builtin_reply(ctx, m, &info, &links).await
}

/// The file through the plugins: gates first (any that answers stops it), then the plugins
/// that reply to files, then those that follow up on the replies. False when no plugin
/// replies to files (the built-in reply goes out).
async fn to_plugins(ctx: &UpdateContext, m: &Message, bin_message: i32, links: LinkSet) -> bool {
    let Some(host) = &ctx.plugins else { return false };
    let repliers = host.wanting(EventKinds::FILE_RECEIVED);
    let gates = host.wanting(EventKinds::FILE_GATE);
    let followers = host.wanting(EventKinds::FILE_REPLIED);
    if repliers.is_empty() && gates.is_empty() {
        return false;
    }
    let Some(streamer) = ctx.streamer() else { return false };
    let props = match streamer.props(bin_message).await {
        Ok(p) => p,
        Err(e) => {
            tracing::warn!("the copied file cannot be read back: {e}");
            return false;
        }
    };
    let user = m.sender_id().and_then(|s| s.bare_id()).unwrap_or_default();
    let chat = m.peer_id().bot_api_dialog_id_unchecked();
    let protect = ctx.config.access.protects(props.kind.name());
    let origin = || Origin { chat_id: Some(chat), message_id: m.id(), callback: None, job: None, protect };
    let received = FileReceived {
        chat_id: chat,
        user_id: user,
        message_id: m.id(),
        file: crate::plugins::host::links::file_info(&props, links),
        is_admin: ctx.is_admin(user),
    };
    for gate in &gates {
        let ran = dispatch::call_plugin(ctx, gate, Event::FileGate(received.clone()), origin(), Some(m)).await;
        if ran.actions > 0 {
            tracing::info!(plugin = %gate.info.name, "a gate plugin held the file back");
            return true;
        }
    }
    if repliers.is_empty() {
        return false;
    }
    let mut replies: Vec<MessageRef> = Vec::new();
    for p in &repliers {
        let ran = dispatch::call_plugin(ctx, p, Event::FileReceived(received.clone()), origin(), Some(m)).await;
        replies.extend(ran.sent);
    }
    for p in &followers {
        let event = Event::FileReplied(FileReplied {
            chat_id: chat,
            user_id: user,
            message_id: m.id(),
            file: received.file.clone(),
            replies: replies.clone(),
        });
        dispatch::call_plugin(ctx, p, event, origin(), None).await;
    }
    true
}

async fn builtin_reply(
    ctx: &UpdateContext,
    m: &Message,
    info: &Received,
    links: &LinkSet,
) -> Result<(), InvocationError> {
    let text = format!(
        "📄 {}\n💾 {} · {}\n\n▶️ Stream: {}\n⬇️ Download: {}",
        info.name,
        humanize::bytes(info.size),
        info.mime,
        links.watch,
        links.download
    );
    let buttons = ReplyMarkup::from_buttons(&[vec![
        Button::url("▶️ Stream", &links.watch),
        Button::url("⬇️ Download", &links.download),
    ]]);
    let chat = m.peer_id().bot_api_dialog_id_unchecked();
    let kind = ["video", "audio", "image"]
        .into_iter()
        .find(|k| info.mime.starts_with(&format!("{k}/")))
        .map_or("document", |k| if k == "image" { "photo" } else { k });
    let protect = ctx.config.access.protects(kind);
    let draft = Draft { text: text.clone(), markup: Some(buttons), reply_to: Some(m.id()), key: None, protect };
    match ctx.outbox.send(Actor::Host, chat, draft).await {
        // Telegram refuses URL buttons to some hosts (a bare IP, localhost): the links are in
        // the text anyway.
        Err(OutboxError::Telegram(InvocationError::Rpc(e))) if e.name == "BUTTON_URL_INVALID" => {
            ctx.say(chat, Draft { protect, ..Draft::text(text).reply_to(m.id()) }).await;
        }
        Err(e) => tracing::warn!("could not answer a file: {e}"),
        Ok(_) => {}
    }
    Ok(())
}
