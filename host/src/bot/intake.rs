//! What the bot does with a private message: the sender is recorded (and refused when not
//! allowed or banned); files are copied to the bin channel, recorded and handed to the plugins
//! (gate, reply, follow-up); other messages go to command dispatch.

use grammers_client::InvocationError;
use grammers_client::media::Media;
use grammers_client::message::{Button, InputMessage, ReplyMarkup};
use grammers_client::peer::Peer;
use grammers_client::update::Message;

use super::BotContext;
use super::actions::Origin;
use super::dispatch;
use crate::humanize;
use crate::links::{FileLinks, LinkTarget};
use crate::plugins::bindings::types::{Event, EventKinds, FileReceived, FileReplied, MessageRef};
use crate::storage::{FileRecord, SeenUser};

pub async fn on_message(ctx: &BotContext, m: Message) -> Result<(), InvocationError> {
    let sender = m.sender_id().and_then(|s| s.bare_id()).unwrap_or_default();
    let allowed = &ctx.config.access.allowed_users;
    if !allowed.is_empty() && !allowed.contains(&sender) && !dispatch::is_admin(ctx, sender) {
        m.reply(InputMessage::new().text("Sorry, this bot is private.")).await?;
        return Ok(());
    }
    if !record_sender(ctx, &m, sender).await {
        m.reply(InputMessage::new().text("You are banned from using this bot.")).await?;
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
    m.reply(InputMessage::new().text(reply)).await?;
    Ok(())
}

/// Records the sender; false when they are banned. A store failure lets them through (and is
/// logged): an unreadable database must not lock everyone out.
async fn record_sender(ctx: &BotContext, m: &Message, id: i64) -> bool {
    let (first, last, username) = match m.sender() {
        Some(Peer::User(u)) => (u.first_name().unwrap_or_default(), u.last_name().unwrap_or_default(), u.username()),
        _ => ("", "", None),
    };
    match ctx.store.user_seen(&SeenUser { id, first_name: first, last_name: last, username }).await {
        Ok(u) => !u.banned || dispatch::is_admin(ctx, id),
        Err(e) => {
            tracing::error!("could not record user {id}: {e}");
            true
        }
    }
}

async fn on_file(ctx: &BotContext, m: &Message, media: Media) -> Result<(), InvocationError> {
    let Some(info) = FileInfo::of(&media) else {
        m.reply(InputMessage::new().text("That kind of message has no file I can link to.")).await?;
        return Ok(());
    };
    let copy = m.forward_to(ctx.bin).await?;
    let sender = m.sender_id().and_then(|s| s.bare_id()).unwrap_or_default();
    tracing::info!(bin_message = copy.id(), name = %info.name, size = info.size, "file copied to the bin channel");
    let record = FileRecord {
        bin_channel: ctx.config.telegram.bin_channel,
        bin_message_id: copy.id(),
        sender_id: sender,
        chat_id: m.peer_id().bot_api_dialog_id_unchecked(),
        message_id: m.id(),
        name: &info.name,
        mime: &info.mime,
        size: info.size,
    };
    if let Err(e) = ctx.store.record_file(&record).await {
        tracing::error!(bin_message = copy.id(), "could not record the file: {e}");
    }
    let ttl = ctx.config.links.ttl_secs;
    let expires = if ttl == 0 { 0 } else { (now_secs() + ttl).min(u32::MAX as u64) as u32 };
    let links = ctx.signer.links(LinkTarget { message_id: copy.id(), expires }, &info.name);
    if to_plugins(ctx, m, copy.id(), links.clone()).await {
        return Ok(());
    }
    ctx.pacer.ready(m.peer_id().bot_api_dialog_id_unchecked()).await;
    builtin_reply(m, &info, &links).await
}

/// The file through the plugins: gates first (any that answers stops it), then the plugins
/// that reply to files, then those that follow up on the replies. False when no plugin
/// replies to files (the built-in reply goes out).
async fn to_plugins(ctx: &BotContext, m: &Message, bin_message: i32, links: FileLinks) -> bool {
    let Some(host) = &ctx.plugins else { return false };
    let repliers = host.wanting(EventKinds::FILE_RECEIVED);
    let gates = host.wanting(EventKinds::FILE_GATE);
    let followers = host.wanting(EventKinds::FILE_REPLIED);
    if repliers.is_empty() && gates.is_empty() {
        return false;
    }
    let Some(streamer) = host.services.bot.as_ref().and_then(|b| b.streamer.as_ref()) else { return false };
    let props = match streamer.props(bin_message).await {
        Ok(p) => p,
        Err(e) => {
            tracing::warn!("the copied file cannot be read back: {e}");
            return false;
        }
    };
    let user = m.sender_id().and_then(|s| s.bare_id()).unwrap_or_default();
    let chat = m.peer_id().bot_api_dialog_id_unchecked();
    let origin = || Origin { chat_id: chat, message_id: m.id(), callback: None };
    let received = FileReceived {
        chat_id: chat,
        user_id: user,
        message_id: m.id(),
        file: crate::plugins::host::links::file_info(&props, links),
        is_admin: dispatch::is_admin(ctx, user),
    };
    for gate in &gates {
        let ran = dispatch::run(ctx, gate, Event::FileGate(received.clone()), origin(), Some(m)).await;
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
        let ran = dispatch::run(ctx, p, Event::FileReceived(received.clone()), origin(), Some(m)).await;
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
        dispatch::run(ctx, p, event, origin(), None).await;
    }
    true
}

async fn builtin_reply(m: &Message, info: &FileInfo, links: &FileLinks) -> Result<(), InvocationError> {
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
    match m.reply(InputMessage::new().text(text.clone()).reply_markup(buttons)).await {
        // Telegram refuses URL buttons to some hosts (a bare IP, localhost): the links are in
        // the text anyway.
        Err(InvocationError::Rpc(e)) if e.name == "BUTTON_URL_INVALID" => {
            m.reply(InputMessage::new().text(text)).await?;
        }
        r => {
            r?;
        }
    }
    Ok(())
}

fn now_secs() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

struct FileInfo {
    name: String,
    size: u64,
    mime: String,
}

impl FileInfo {
    fn of(media: &Media) -> Option<FileInfo> {
        match media {
            Media::Document(d) => Some(FileInfo {
                name: d.name().filter(|n| !n.is_empty()).unwrap_or("file").to_string(),
                size: d.size().unwrap_or(0) as u64,
                mime: d.mime_type().unwrap_or("application/octet-stream").to_string(),
            }),
            Media::Photo(p) => Some(FileInfo {
                name: format!("photo_{}.jpg", p.id()),
                size: p.size().unwrap_or(0) as u64,
                mime: "image/jpeg".into(),
            }),
            _ => None,
        }
    }
}
