//! What the bot does with a private message: files are copied to the bin channel and
//! answered with their details; `/start` gets a welcome.

use grammers_client::InvocationError;
use grammers_client::media::Media;
use grammers_client::message::{Button, InputMessage, ReplyMarkup};
use grammers_client::update::Message;

use super::BotContext;
use crate::humanize;
use crate::links::LinkTarget;

pub async fn on_message(ctx: &BotContext, m: Message) -> Result<(), InvocationError> {
    let sender = m.sender_id().and_then(|s| s.bare_id()).unwrap_or_default();
    let allowed = &ctx.config.access.allowed_users;
    if !allowed.is_empty() && !allowed.contains(&sender) {
        m.reply(InputMessage::new().text("Sorry, this bot is private.")).await?;
        return Ok(());
    }
    if let Some(media) = m.media() {
        return on_file(ctx, &m, media).await;
    }
    if super::dispatch::on_text(ctx, &m).await {
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

async fn on_file(ctx: &BotContext, m: &Message, media: Media) -> Result<(), InvocationError> {
    let Some(info) = FileInfo::of(&media) else {
        m.reply(InputMessage::new().text("That kind of message has no file I can link to.")).await?;
        return Ok(());
    };
    let copy = m.forward_to(ctx.bin).await?;
    tracing::info!(bin_message = copy.id(), name = %info.name, size = info.size, "file copied to the bin channel");
    let ttl = ctx.config.links.ttl_secs;
    let expires = if ttl == 0 { 0 } else { (now_secs() + ttl).min(u32::MAX as u64) as u32 };
    let links = ctx.signer.links(LinkTarget { message_id: copy.id(), expires }, &info.name);
    if super::dispatch::on_file(ctx, m, copy.id(), links.clone()).await {
        return Ok(());
    }
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
