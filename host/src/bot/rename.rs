//! `/rename <new name>`, sent as a reply to a file the user sent: new links under that name
//! (the download's file name, the player's title); the file's older links keep the name they
//! had. A name without an extension keeps the file's (`/rename Holiday` on `a.mkv` gives
//! `Holiday.mkv`).

use grammers_client::message::{Button, ReplyMarkup};
use grammers_client::update::Message;

use super::UpdateContext;
use crate::links::LinkTarget;
use crate::telegram::outbox::{Actor, Draft};

/// Longest name accepted, in characters.
const MAX_NAME: usize = 200;

const USAGE: &str = "Reply to a file you sent with /rename <new name> to get links under that name.";

/// The name to use, or why `wanted` cannot be one.
fn new_name(wanted: &str, old: &str) -> Result<String, &'static str> {
    let wanted = wanted.trim();
    if wanted.is_empty() {
        return Err(USAGE);
    }
    if wanted.chars().count() > MAX_NAME {
        return Err("That name is too long (200 characters at most).");
    }
    if wanted.chars().any(|c| c.is_control() || c == '/' || c == '\\') || wanted == "." || wanted == ".." {
        return Err("A name cannot contain / or \\ or control characters.");
    }
    let extension = |n: &str| {
        n.rsplit_once('.')
            .filter(|(stem, ext)| !stem.is_empty() && !ext.is_empty() && ext.len() <= 8)
            .map(|(_, e)| e.to_string())
    };
    Ok(match (extension(wanted), extension(old)) {
        (None, Some(ext)) => format!("{wanted}.{ext}"),
        _ => wanted.to_string(),
    })
}

pub async fn command(ctx: &UpdateContext, m: &Message, user: i64, args: &str) {
    let chat = m.peer_id().bot_api_dialog_id_unchecked();
    let bin = ctx.config.telegram.bin_channel;
    let Some(replied) = m.reply_to_message_id() else { return ctx.answer(m, USAGE).await };
    let file = match ctx.store.file_sent_at(bin, chat, replied).await {
        Ok(Some(f)) if f.sender_id == user => f,
        Ok(_) => return ctx.answer(m, USAGE).await,
        Err(e) => {
            tracing::error!("could not look up the replied-to file: {e}");
            return ctx.answer(m, "Sorry, I cannot rename files right now. Please try again later.").await;
        }
    };
    let name = match new_name(args, &file.name) {
        Ok(n) => n,
        Err(why) => return ctx.answer(m, why).await,
    };
    let id = match ctx.store.add_link_name(bin, file.bin_message_id, &name).await {
        Ok(id) => id,
        Err(e) => {
            tracing::error!("could not record a new name: {e}");
            return ctx.answer(m, "Sorry, I cannot rename files right now. Please try again later.").await;
        }
    };
    let target = LinkTarget { name: Some(id), ..ctx.signer.target(file.bin_message_id, ctx.config.links.ttl_secs) };
    let links = ctx.signer.links(target, &name);
    let text = format!(
        "✏️ Renamed to {name}. New links (the old ones keep the old name):\n\n▶️ Stream: {}\n⬇️ Download: {}",
        links.watch, links.download
    );
    let buttons = ReplyMarkup::from_buttons(&[vec![
        Button::url("▶️ Stream", &links.watch),
        Button::url("⬇️ Download", &links.download),
    ]]);
    let draft = Draft { text: text.clone(), markup: Some(buttons), reply_to: Some(m.id()), ..Draft::default() };
    // Telegram refuses URL buttons to some hosts (a bare IP, localhost): the links are in the text.
    if ctx.outbox.send(Actor::Host, chat, draft).await.is_err() {
        ctx.answer(m, text).await;
    }
}

#[cfg(test)]
mod tests {
    use super::new_name;

    #[test]
    fn names() {
        assert_eq!(new_name(" Holiday 2026.mkv ", "a.mp4"), Ok("Holiday 2026.mkv".into()));
        assert_eq!(new_name("Holiday", "a.mkv"), Ok("Holiday.mkv".into()), "the extension is kept");
        assert_eq!(new_name("Holiday", "README"), Ok("Holiday".into()));
        assert_eq!(new_name("v1.2 final", "a.mp4"), Ok("v1.2 final".into()), "'2 final' is no extension");
        for bad in ["", "  ", "a/b.mkv", "a\\\\b", "x\u{7}.mkv", ".", ".."] {
            assert!(new_name(bad, "a.mkv").is_err(), "{bad:?}");
        }
        assert!(new_name(&"x".repeat(201), "a.mkv").is_err());
    }
}
