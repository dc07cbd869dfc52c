//! `telegram`: messages on the bot's behalf. Flood waits under a minute are slept out by the
//! client (the plugin's wall-clock limit still applies); longer ones come back as `failed`.

use grammers_session::types::{PeerAuth, PeerId, PeerRef};

use crate::plugins::bindings::beamgram::plugin::telegram::Host;
use crate::plugins::bindings::types::{HostError, MessageRef, MessageSummary, Outgoing, Permission};
use crate::plugins::markup;
use crate::plugins::services::BotSide;
use crate::plugins::state::PluginState;

pub fn peer(bot: &BotSide, chat_id: i64) -> Result<PeerRef, HostError> {
    let id = if chat_id == 0 { bot.bin_channel } else { chat_id };
    let id =
        PeerId::from_bot_api_dialog_id(id).ok_or_else(|| HostError::Failed(format!("{chat_id} is not a chat id")))?;
    Ok(PeerRef { id, auth: PeerAuth::default() })
}

pub fn failed(e: grammers_client::InvocationError) -> HostError {
    match e {
        grammers_client::InvocationError::Rpc(r) if r.name == "MESSAGE_ID_INVALID" || r.name == "PEER_ID_INVALID" => {
            HostError::NotFound
        }
        grammers_client::InvocationError::Rpc(r)
            if matches!(r.name.as_str(), "USER_IS_BLOCKED" | "INPUT_USER_DEACTIVATED" | "USER_DEACTIVATED") =>
        {
            HostError::Blocked
        }
        other => HostError::Failed(other.to_string()),
    }
}

pub fn summary(m: &grammers_client::message::Message, chat_id: i64) -> MessageSummary {
    let media = m.media();
    let file_name = match &media {
        Some(grammers_client::media::Media::Document(d)) => d.name().map(str::to_string),
        _ => None,
    };
    MessageSummary {
        chat_id,
        message_id: m.id(),
        sender_id: m.sender_id().and_then(|s| s.bot_api_dialog_id()),
        text: m.text().to_string(),
        has_file: media.is_some(),
        file_name,
    }
}

/// What a Telegram-reaching import needs, taken out of the store before any `.await` (the store
/// itself is not `Sync`).
pub struct BotCall {
    pub services: std::sync::Arc<crate::plugins::services::HostServices>,
    pub plugin: String,
}

impl BotCall {
    pub fn bot(&self) -> Result<&BotSide, HostError> {
        self.services.bot.as_ref().ok_or_else(|| HostError::Failed("no Telegram client in this process".into()))
    }
}

impl PluginState {
    pub fn bot_call(&mut self, p: Permission) -> Result<BotCall, HostError> {
        self.check(p)?;
        Ok(BotCall { services: self.services.clone(), plugin: self.plugin.clone() })
    }
}

impl BotCall {
    async fn send(&self, chat_id: i64, message: Outgoing) -> Result<i32, HostError> {
        let bot = self.bot()?;
        let input = markup::message(&self.plugin, &message).map_err(HostError::Limit)?;
        bot.pacer.ready(chat_id).await;
        let sent = bot.client.send_message(peer(bot, chat_id)?, input).await.map(|m| m.id()).map_err(failed);
        self.note_blocked(chat_id, &sent).await;
        sent
    }

    /// Remembers users who blocked the bot (the statistics count them; writing again clears it).
    async fn note_blocked<T>(&self, chat_id: i64, r: &Result<T, HostError>) {
        if matches!(r, Err(HostError::Blocked))
            && chat_id > 0
            && let Err(e) = self.services.store.set_blocked_bot(chat_id).await
        {
            tracing::warn!("store: {e}");
        }
    }

    async fn forward(&self, from: i64, ids: Vec<i32>, to: i64, drop_author: bool) -> Result<Vec<i32>, HostError> {
        use grammers_client::tl;
        let bot = self.bot()?;
        if ids.is_empty() || ids.len() > 100 {
            return Err(HostError::Limit("1 to 100 messages per call".into()));
        }
        let random_id: Vec<i64> = ids.iter().map(|_| rand::random()).collect();
        let request = tl::functions::messages::ForwardMessages {
            silent: false,
            background: false,
            with_my_score: false,
            drop_author,
            drop_media_captions: false,
            from_peer: peer(bot, from)?.into(),
            id: ids,
            random_id: random_id.clone(),
            to_peer: peer(bot, to)?.into(),
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
        bot.pacer.ready(to).await;
        let result = bot.client.invoke(&request).await.map_err(failed);
        self.note_blocked(to, &result).await;
        let updates = match result? {
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

    async fn send_document(
        &self,
        chat_id: i64,
        name: String,
        content: Vec<u8>,
        caption: String,
    ) -> Result<i32, HostError> {
        const MAX: usize = 10 * 1024 * 1024;
        let bot = self.bot()?;
        if content.len() > MAX {
            return Err(HostError::Limit(format!("documents are at most {MAX} bytes")));
        }
        let size = content.len();
        let mut reader = std::io::Cursor::new(content);
        let uploaded =
            bot.client.upload_stream(&mut reader, size, name).await.map_err(|e| HostError::Failed(e.to_string()))?;
        let input = grammers_client::message::InputMessage::new().text(caption).document(uploaded);
        bot.pacer.ready(chat_id).await;
        let sent = bot.client.send_message(peer(bot, chat_id)?, input).await.map(|m| m.id()).map_err(failed);
        self.note_blocked(chat_id, &sent).await;
        sent
    }

    async fn resolve(&self, username: &str) -> Result<i64, HostError> {
        let bot = self.bot()?;
        let name = username.trim().trim_start_matches('@');
        if name.is_empty() || name.len() > 64 {
            return Err(HostError::NotFound);
        }
        match bot.client.resolve_username(name).await.map_err(failed)? {
            Some(p) => Ok(p.id().bot_api_dialog_id_unchecked()),
            None => Err(HostError::NotFound),
        }
    }

    async fn edit(&self, target: MessageRef, message: Outgoing) -> Result<(), HostError> {
        let bot = self.bot()?;
        let input = markup::message(&self.plugin, &message).map_err(HostError::Limit)?;
        bot.client.edit_message(peer(bot, target.chat_id)?, target.message_id, input).await.map_err(failed)
    }

    async fn delete(&self, target: MessageRef) -> Result<(), HostError> {
        let bot = self.bot()?;
        bot.client.delete_messages(peer(bot, target.chat_id)?, &[target.message_id]).await.map(drop).map_err(failed)
    }

    async fn get(&self, chat_id: i64, ids: Vec<i32>) -> Result<Vec<MessageSummary>, HostError> {
        let bot = self.bot()?;
        if ids.len() > 200 {
            return Err(HostError::Limit("at most 200 messages per call".into()));
        }
        let found = bot.client.get_messages_by_id(peer(bot, chat_id)?, &ids).await.map_err(failed)?;
        // grammers turns Telegram's bare messageEmpty (a missing id) into an empty message.
        Ok(found
            .iter()
            .flatten()
            .filter(|m| !(m.text().is_empty() && m.media().is_none()))
            .map(|m| summary(m, chat_id))
            .collect())
    }
}

impl Host for PluginState {
    async fn send_message(&mut self, chat_id: i64, message: Outgoing) -> wasmtime::Result<Result<i32, HostError>> {
        let call = match self.bot_call(Permission::Telegram) {
            Ok(c) => c,
            Err(e) => return Ok(Err(e)),
        };
        Ok(call.send(chat_id, message).await)
    }

    async fn edit_message(&mut self, target: MessageRef, message: Outgoing) -> wasmtime::Result<Result<(), HostError>> {
        let call = match self.bot_call(Permission::Telegram) {
            Ok(c) => c,
            Err(e) => return Ok(Err(e)),
        };
        Ok(call.edit(target, message).await)
    }

    async fn delete_message(&mut self, target: MessageRef) -> wasmtime::Result<Result<(), HostError>> {
        let call = match self.bot_call(Permission::Telegram) {
            Ok(c) => c,
            Err(e) => return Ok(Err(e)),
        };
        Ok(call.delete(target).await)
    }

    async fn forward_messages(
        &mut self,
        from_chat: i64,
        ids: Vec<i32>,
        to_chat: i64,
        drop_author: bool,
    ) -> wasmtime::Result<Result<Vec<i32>, HostError>> {
        let call = match self.bot_call(Permission::Telegram) {
            Ok(c) => c,
            Err(e) => return Ok(Err(e)),
        };
        Ok(call.forward(from_chat, ids, to_chat, drop_author).await)
    }

    async fn send_document(
        &mut self,
        chat_id: i64,
        file_name: String,
        content: Vec<u8>,
        caption: String,
    ) -> wasmtime::Result<Result<i32, HostError>> {
        let call = match self.bot_call(Permission::Telegram) {
            Ok(c) => c,
            Err(e) => return Ok(Err(e)),
        };
        Ok(call.send_document(chat_id, file_name, content, caption).await)
    }

    async fn resolve_username(&mut self, username: String) -> wasmtime::Result<Result<i64, HostError>> {
        let call = match self.bot_call(Permission::Telegram) {
            Ok(c) => c,
            Err(e) => return Ok(Err(e)),
        };
        Ok(call.resolve(&username).await)
    }

    async fn get_messages(
        &mut self,
        chat_id: i64,
        ids: Vec<i32>,
    ) -> wasmtime::Result<Result<Vec<MessageSummary>, HostError>> {
        let call = match self.bot_call(Permission::Telegram) {
            Ok(c) => c,
            Err(e) => return Ok(Err(e)),
        };
        Ok(call.get(chat_id, ids).await)
    }
}
