//! The one way out to Telegram. Every send, edit, delete, forward and upload — the host's own
//! replies, file intake, plugin actions, plugin imports and scheduled wake-ups — goes through
//! [`Outbox`], which in one place:
//!
//! - checks who may act where ([`Actor`]): chat 0 is never a chat (and never an alias for the
//!   bin channel); a plugin acting outside the chat its event came from needs `telegram`; the
//!   bin channel (every user's files) needs the operator's `bin-channel` grant;
//! - paces every message under Telegram's per-chat and all-chats rates ([`Pacer`]);
//! - splits texts over Telegram's 4,096-character limit on line boundaries (an edit, which
//!   cannot become two messages, is cut with an ellipsis instead);
//! - maps Telegram's errors, recording users who blocked the bot.

use std::sync::Arc;

use grammers_client::message::{InputMessage, ReplyMarkup};
use grammers_client::{Client, InvocationError, tl};
use grammers_session::types::{PeerAuth, PeerId, PeerRef};

use super::pacer::Pacer;
use super::send_key::{self, SendKey};
use crate::storage::Store;

/// Telegram's limit on a message's text, in UTF-16 code units.
pub const MAX_TEXT: usize = 4096;

/// A message to send: text, optional buttons (on the last part), optional reply (on the first),
/// and for a wake-up's sends the key that makes them idempotent.
#[derive(Default)]
pub struct Draft {
    pub text: String,
    pub markup: Option<ReplyMarkup>,
    pub reply_to: Option<i32>,
    pub key: Option<SendKey>,
    /// Protected content (Telegram's `noforwards`): the recipient cannot forward or save it.
    pub protect: bool,
}

impl Draft {
    pub fn text(text: impl Into<String>) -> Draft {
        Draft { text: text.into(), ..Draft::default() }
    }

    pub fn reply_to(mut self, id: i32) -> Draft {
        self.reply_to = Some(id);
        self
    }
}

/// Who asks the outbox to act.
#[derive(Clone, Copy, Debug)]
pub enum Actor<'a> {
    /// The host itself (intake, its own replies, notices to admins).
    Host,
    Plugin(PluginActor<'a>),
}

#[derive(Clone, Copy, Debug)]
pub struct PluginActor<'a> {
    pub name: &'a str,
    /// The chat the plugin's event came from; none for a wake-up.
    pub origin_chat: Option<i64>,
    /// Granted `telegram`: may act in chats other than the event's.
    pub telegram: bool,
    /// Granted `bin-channel`.
    pub bin_channel: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    #[error("{0}")]
    Denied(String),
    #[error("{0}")]
    Invalid(String),
    #[error("no such chat or message")]
    NotFound,
    #[error("the user blocked the bot")]
    Blocked,
    #[error(transparent)]
    Telegram(InvocationError),
}

/// What `Outbox::forward` copies where.
pub struct Forward {
    pub from: i64,
    pub ids: Vec<i32>,
    pub to: i64,
    pub drop_author: bool,
    pub key: Option<SendKey>,
}

/// Every Telegram call in here is boxed: grammers' call futures are tens of KB, and unboxed they
/// would sit inside every handler that sends something (debug builds overflowed the worker's
/// stack once the clone commands added a few more levels).
pub struct Outbox {
    client: Client,
    pacer: Arc<Pacer>,
    store: Store,
    /// Bot API id of the bin channel.
    bin_channel: i64,
}

/// `-100…` and user ids to a peer; 0 and malformed ids are refused.
pub fn peer(chat_id: i64) -> Result<PeerRef, OutboxError> {
    if chat_id == 0 {
        return Err(OutboxError::Invalid("0 is not a chat".into()));
    }
    let id = PeerId::from_bot_api_dialog_id(chat_id)
        .ok_or_else(|| OutboxError::Invalid(format!("{chat_id} is not a chat")))?;
    Ok(PeerRef { id, auth: PeerAuth::default() })
}

fn mapped(e: InvocationError) -> OutboxError {
    match e {
        InvocationError::Rpc(r)
            if matches!(
                r.name.as_str(),
                "MESSAGE_ID_INVALID" | "PEER_ID_INVALID" | "CHANNEL_INVALID" | "CHAT_ID_INVALID"
            ) =>
        {
            OutboxError::NotFound
        }
        InvocationError::Rpc(r)
            if matches!(r.name.as_str(), "USER_IS_BLOCKED" | "INPUT_USER_DEACTIVATED" | "USER_DEACTIVATED") =>
        {
            OutboxError::Blocked
        }
        other => OutboxError::Telegram(other),
    }
}

impl Outbox {
    pub fn new(client: Client, pacer: Arc<Pacer>, store: Store, bin_channel: i64) -> Outbox {
        Outbox { client, pacer, store, bin_channel }
    }

    pub fn bin_channel(&self) -> i64 {
        self.bin_channel
    }

    /// Whether `actor` may write (send, edit, delete, forward into) in `chat`.
    pub fn may_write(&self, actor: Actor<'_>, chat: i64) -> Result<(), OutboxError> {
        if chat == 0 {
            return Err(OutboxError::Invalid("0 is not a chat".into()));
        }
        let Actor::Plugin(p) = actor else { return Ok(()) };
        if chat == self.bin_channel {
            return if p.bin_channel {
                Ok(())
            } else {
                Err(OutboxError::Denied(format!("plugin {} may not touch the bin channel (grant bin-channel)", p.name)))
            };
        }
        if Some(chat) == p.origin_chat || p.telegram {
            Ok(())
        } else {
            Err(OutboxError::Denied(format!(
                "plugin {} may act only in the chat of its event without the telegram permission",
                p.name
            )))
        }
    }

    async fn noted<T>(&self, chat: i64, r: Result<T, InvocationError>) -> Result<T, OutboxError> {
        let r = r.map_err(mapped);
        if matches!(r, Err(OutboxError::Blocked))
            && chat > 0
            && let Err(e) = self.store.set_blocked_bot(chat).await
        {
            tracing::warn!("store: {e}");
        }
        r
    }

    /// Sends `draft` to `chat`, in several messages when its text is too long; the ids sent.
    pub async fn send(&self, actor: Actor<'_>, chat: i64, draft: Draft) -> Result<Vec<i32>, OutboxError> {
        self.may_write(actor, chat)?;
        let to = peer(chat)?;
        let parts = split_text(&draft.text, MAX_TEXT);
        let last = parts.len() - 1;
        let mut ids = Vec::with_capacity(parts.len());
        for (i, part) in parts.into_iter().enumerate() {
            let reply_to = draft.reply_to.filter(|_| i == 0);
            let markup = draft.markup.as_ref().filter(|_| i == last).map(|k| k.raw.clone());
            self.pacer.ready(chat).await;
            // grammers' send has no `noforwards`: protected and keyed sends are made here.
            if draft.key.is_some() || draft.protect {
                let random_id = draft.key.as_ref().map_or_else(rand::random, |k| k.random_id(i));
                let send = send_key::send(&self.client, to, part, reply_to, markup, random_id, draft.protect);
                match self.noted(chat, Box::pin(send).await).await? {
                    Some(id) => ids.push(id),
                    None => tracing::info!(chat, "not sent again: an interrupted earlier try of this wake-up sent it"),
                }
                continue;
            }
            let mut m = InputMessage::new().text(part).reply_to(reply_to);
            if let Some(raw) = markup {
                m = m.reply_markup(ReplyMarkup { raw });
            }
            let sent = Box::pin(self.client.send_message(to, m)).await;
            ids.push(self.noted(chat, sent).await?.id());
        }
        Ok(ids)
    }

    pub async fn edit(&self, actor: Actor<'_>, chat: i64, message_id: i32, draft: Draft) -> Result<(), OutboxError> {
        self.may_write(actor, chat)?;
        let mut m = InputMessage::new().text(cut_text(&draft.text, MAX_TEXT));
        if let Some(k) = draft.markup {
            m = m.reply_markup(k);
        }
        self.pacer.ready(chat).await;
        let r = Box::pin(self.client.edit_message(peer(chat)?, message_id, m)).await;
        self.noted(chat, r).await
    }

    /// Sets a message's buttons and leaves its text (a channel post's caption) alone.
    pub async fn edit_markup(
        &self,
        actor: Actor<'_>,
        chat: i64,
        message_id: i32,
        markup: ReplyMarkup,
    ) -> Result<(), OutboxError> {
        self.may_write(actor, chat)?;
        let request = tl::functions::messages::EditMessage {
            no_webpage: false,
            invert_media: false,
            peer: peer(chat)?.into(),
            id: message_id,
            message: None,
            media: None,
            reply_markup: Some(markup.raw),
            entities: None,
            schedule_date: None,
            schedule_repeat_period: None,
            quick_reply_shortcut_id: None,
            rich_message: None,
        };
        self.pacer.ready(chat).await;
        let r = Box::pin(self.client.invoke(&request)).await.map(drop);
        self.noted(chat, r).await
    }

    pub async fn delete(&self, actor: Actor<'_>, chat: i64, ids: &[i32]) -> Result<(), OutboxError> {
        self.may_write(actor, chat)?;
        let r = Box::pin(self.client.delete_messages(peer(chat)?, ids)).await.map(drop);
        self.noted(chat, r).await
    }

    /// Copies messages to `to`; with `drop_author` they arrive as the bot's own. The new ids, in
    /// order (missing ones left out). Reading `from` is the caller's check. With a key, a copy
    /// Telegram already has from an earlier try under the same key is not made again: the
    /// answer is then an empty list.
    pub async fn forward(&self, actor: Actor<'_>, f: Forward) -> Result<Vec<i32>, OutboxError> {
        let Forward { from, ids, to, drop_author, key } = f;
        self.may_write(actor, to)?;
        if ids.is_empty() || ids.len() > 100 {
            return Err(OutboxError::Invalid("1 to 100 messages per call".into()));
        }
        let random_id: Vec<i64> = match &key {
            Some(k) => (0..ids.len()).map(|i| k.random_id(i)).collect(),
            None => ids.iter().map(|_| rand::random()).collect(),
        };
        let request = tl::functions::messages::ForwardMessages {
            silent: false,
            background: false,
            with_my_score: false,
            drop_author,
            drop_media_captions: false,
            from_peer: peer(from)?.into(),
            id: ids,
            random_id: random_id.clone(),
            to_peer: peer(to)?.into(),
            top_msg_id: None,
            reply_to: None,
            schedule_date: None,
            schedule_repeat_period: None,
            send_as: None,
            noforwards: false,
            quick_reply_shortcut: None,
            allow_paid_floodskip: false,
            effect: None,
            video_timestamp: None,
            allow_paid_stars: None,
            suggested_post: None,
            from_ephemeral: false,
        };
        self.pacer.ready(to).await;
        let r = Box::pin(self.client.invoke(&request)).await;
        if key.is_some()
            && let Err(e) = &r
            && send_key::is_duplicate(e)
        {
            tracing::info!(chat = to, "not sent again: an interrupted earlier try of this wake-up sent it");
            return Ok(Vec::new());
        }
        let updates = match self.noted(to, r).await? {
            tl::enums::Updates::Updates(u) => u.updates,
            tl::enums::Updates::Combined(u) => u.updates,
            _ => Vec::new(),
        };
        // Telegram tells which random id became which message id.
        let by_random: std::collections::HashMap<i64, i32> = updates
            .iter()
            .filter_map(|u| match u {
                tl::enums::Update::MessageId(m) => Some((m.random_id, m.id)),
                _ => None,
            })
            .collect();
        Ok(random_id.iter().filter_map(|r| by_random.get(r).copied()).collect())
    }

    /// A file the host received, copied into the bin channel (the host's own act, paced like
    /// every other send); the copy's id.
    pub async fn copy_to_bin(&self, from: i64, message_id: i32) -> Result<i32, OutboxError> {
        let bin = self.bin_channel;
        let copy = Forward { from, ids: vec![message_id], to: bin, drop_author: false, key: None };
        self.forward(Actor::Host, copy).await?.into_iter().next().ok_or(OutboxError::NotFound)
    }

    /// Uploads a small file made by the bot and sends it with a caption.
    pub async fn send_document(
        &self,
        actor: Actor<'_>,
        chat: i64,
        name: String,
        content: Vec<u8>,
        caption: String,
    ) -> Result<i32, OutboxError> {
        self.may_write(actor, chat)?;
        let to = peer(chat)?;
        let size = content.len();
        let mut reader = std::io::Cursor::new(content);
        let uploaded = self
            .client
            .upload_stream(&mut reader, size, name)
            .await
            .map_err(|e| OutboxError::Invalid(format!("upload failed: {e}")))?;
        let m = InputMessage::new().text(cut_text(&caption, 1024)).document(uploaded);
        self.pacer.ready(chat).await;
        let r = Box::pin(self.client.send_message(to, m)).await;
        Ok(self.noted(chat, r).await?.id())
    }
}

fn utf16_len(s: &str) -> usize {
    s.chars().map(char::len_utf16).sum()
}

/// `text` in parts of at most `max` UTF-16 units, cut after a newline where there is one, else
/// after a space, else anywhere (on a character boundary). Always at least one part.
pub fn split_text(text: &str, max: usize) -> Vec<String> {
    let mut parts = Vec::new();
    let mut rest = text;
    while utf16_len(rest) > max {
        // The longest prefix within the limit.
        let mut units = 0;
        let mut end = 0;
        for (i, c) in rest.char_indices() {
            if units + c.len_utf16() > max {
                break;
            }
            units += c.len_utf16();
            end = i + c.len_utf8();
        }
        let window = &rest[..end];
        let cut = window.rfind('\n').or_else(|| window.rfind(' ')).map(|i| i + 1).filter(|&i| i > 0).unwrap_or(end);
        parts.push(rest[..cut].trim_end_matches('\n').to_string());
        rest = &rest[cut..];
    }
    parts.push(rest.to_string());
    parts
}

/// `text` cut to at most `max` UTF-16 units, ending in `…` when it was cut.
pub fn cut_text(text: &str, max: usize) -> String {
    if utf16_len(text) <= max {
        return text.to_string();
    }
    let mut out = String::new();
    let mut units = 0;
    for c in text.chars() {
        if units + c.len_utf16() > max - 1 {
            break;
        }
        units += c.len_utf16();
        out.push(c);
    }
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_texts_stay_whole() {
        assert_eq!(split_text("hello", 10), vec!["hello"]);
        assert_eq!(split_text("", 10), vec![""]);
    }

    #[test]
    fn long_texts_split_on_lines_and_lose_nothing() {
        let lines: Vec<String> = (0..500).map(|i| format!("line {i:03} with some words")).collect();
        let text = lines.join("\n");
        let parts = split_text(&text, 4096);
        assert!(parts.len() > 1);
        assert!(parts.iter().all(|p| utf16_len(p) <= 4096));
        assert!(parts.iter().all(|p| p.starts_with("line ")), "every part starts at a line");
        assert_eq!(parts.join("\n"), text);
    }

    #[test]
    fn one_long_line_splits_on_spaces_then_anywhere() {
        let words = "word ".repeat(2000);
        let parts = split_text(&words, 4096);
        assert!(parts.iter().all(|p| utf16_len(p) <= 4096));
        assert_eq!(parts.concat(), words);
        let solid = "😀".repeat(3000); // two UTF-16 units each
        let parts = split_text(&solid, 4096);
        assert!(parts.iter().all(|p| utf16_len(p) <= 4096));
        assert_eq!(parts.concat(), solid);
    }

    #[test]
    fn cut_marks_what_it_dropped() {
        assert_eq!(cut_text("abc", 3), "abc");
        assert_eq!(cut_text("abcdef", 4), "abc…");
    }

    #[test]
    fn chat_zero_is_never_a_chat() {
        assert!(matches!(peer(0), Err(OutboxError::Invalid(_))));
        assert!(peer(-1001234567890).is_ok());
    }
}
