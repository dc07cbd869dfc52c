//! `telegram`: messages on the bot's behalf. Everything sent goes through the outbox (which
//! checks the bin channel, paces and splits); reads are checked against who the call is for
//! (`readers`). Flood waits under a minute are slept out by the client (the plugin's wall-clock
//! limit still applies); longer ones come back as `failed`.

use grammers_session::types::{PeerAuth, PeerId, PeerRef};

use crate::plugins::bindings::beamgram::plugin::telegram::Host;
use crate::plugins::bindings::types::{HostError, MessageRef, MessageSummary, Outgoing, Permission};
use crate::plugins::grants::Grants;
use crate::plugins::markup;
use crate::plugins::services::BotImports;
use crate::plugins::state::{CallScope, PluginState};
use crate::telegram::outbox::{Actor, Draft, Forward, OutboxError, PluginActor};
use crate::telegram::send_key::{SendKey, text_send};

/// A chat id to read from; 0 and malformed ids are not chats.
pub fn peer(chat_id: i64) -> Result<PeerRef, HostError> {
    if chat_id == 0 {
        return Err(HostError::NotFound);
    }
    let id = PeerId::from_bot_api_dialog_id(chat_id).ok_or(HostError::NotFound)?;
    Ok(PeerRef { id, auth: PeerAuth::default() })
}

pub fn failed(e: grammers_client::InvocationError) -> HostError {
    outbox_error(crate::telegram::outbox::OutboxError::Telegram(e))
}

pub fn outbox_error(e: OutboxError) -> HostError {
    match e {
        OutboxError::Denied(why) => {
            tracing::info!("{why}");
            HostError::Denied(Permission::Telegram)
        }
        OutboxError::Invalid(s) => HostError::Limit(s),
        OutboxError::NotFound => HostError::NotFound,
        OutboxError::Blocked => HostError::Blocked,
        OutboxError::Telegram(grammers_client::InvocationError::Rpc(r))
            if matches!(r.name.as_str(), "MESSAGE_ID_INVALID" | "PEER_ID_INVALID" | "CHANNEL_INVALID") =>
        {
            HostError::NotFound
        }
        OutboxError::Telegram(other) => HostError::Failed(other.to_string()),
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
pub struct ImportCall {
    pub services: std::sync::Arc<crate::plugins::services::ImportServices>,
    pub plugin: String,
    pub granted: std::sync::Arc<Grants>,
    pub scope: CallScope,
}

impl ImportCall {
    pub fn bot(&self) -> Result<&BotImports, HostError> {
        self.services.bot.as_ref().ok_or_else(|| HostError::Failed("no Telegram client in this process".into()))
    }

    /// How this call acts through the outbox.
    pub fn actor(&self) -> Actor<'_> {
        Actor::Plugin(PluginActor {
            name: &self.plugin,
            origin_chat: self.scope.chat,
            telegram: self.granted.has(Permission::Telegram),
            bin_channel: self.granted.bin_channel,
        })
    }

    /// Whether this call may read `chat` (see `readers`).
    pub async fn may_read(&self, chat: i64) -> Result<(), HostError> {
        let r = self.bot()?.readers.check(&self.scope, &self.granted, chat).await;
        if let Err(HostError::Denied(_)) = &r {
            tracing::info!(plugin = %self.plugin, user = ?self.scope.user, chat, "read refused: the user cannot read that chat");
        }
        r
    }
}

impl PluginState {
    pub fn import_call(&mut self, p: Permission) -> Result<ImportCall, HostError> {
        self.check(p)?;
        Ok(ImportCall {
            services: self.services.clone(),
            plugin: self.plugin.clone(),
            granted: self.granted.clone(),
            scope: self.scope,
        })
    }
}

impl ImportCall {
    fn draft(&self, message: &Outgoing) -> Result<crate::telegram::outbox::Draft, HostError> {
        markup::draft(&self.services.tags, &self.plugin, message).map_err(HostError::Limit)
    }

    async fn send(&self, chat_id: i64, message: Outgoing, key: Option<SendKey>) -> Result<i32, HostError> {
        let draft = Draft { key, ..self.draft(&message)? };
        let ids = self.bot()?.outbox.send(self.actor(), chat_id, draft).await.map_err(outbox_error)?;
        ids.last().copied().ok_or_else(|| match key {
            Some(_) => HostError::Failed("sent already, by an interrupted earlier try of this wake-up".into()),
            None => HostError::Failed("nothing was sent".into()),
        })
    }

    async fn forward(
        &self,
        from: i64,
        ids: Vec<i32>,
        to: i64,
        drop_author: bool,
        key: Option<SendKey>,
    ) -> Result<Vec<i32>, HostError> {
        self.may_read(from).await?;
        let forward = Forward { from, ids, to, drop_author, key };
        self.bot()?.outbox.forward(self.actor(), forward).await.map_err(outbox_error)
    }

    async fn send_document(
        &self,
        chat_id: i64,
        name: String,
        content: Vec<u8>,
        caption: String,
    ) -> Result<i32, HostError> {
        const MAX: usize = 10 * 1024 * 1024;
        if content.len() > MAX {
            return Err(HostError::Limit(format!("documents are at most {MAX} bytes")));
        }
        self.bot()?.outbox.send_document(self.actor(), chat_id, name, content, caption).await.map_err(outbox_error)
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
        let draft = self.draft(&message)?;
        self.bot()?.outbox.edit(self.actor(), target.chat_id, target.message_id, draft).await.map_err(outbox_error)
    }

    async fn delete(&self, target: MessageRef) -> Result<(), HostError> {
        self.bot()?.outbox.delete(self.actor(), target.chat_id, &[target.message_id]).await.map_err(outbox_error)
    }

    async fn get(&self, chat_id: i64, ids: Vec<i32>) -> Result<Vec<MessageSummary>, HostError> {
        let bot = self.bot()?;
        if ids.len() > 200 {
            return Err(HostError::Limit("at most 200 messages per call".into()));
        }
        self.may_read(chat_id).await?;
        let found = bot.client.get_messages_by_id(peer(chat_id)?, &ids).await.map_err(failed)?;
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
        let call = match self.import_call(Permission::Telegram) {
            Ok(c) => c,
            Err(e) => return Ok(Err(e)),
        };
        let key = self.send_key(&text_send(chat_id, &message.text));
        Ok(call.send(chat_id, message, key).await)
    }

    async fn edit_message(&mut self, target: MessageRef, message: Outgoing) -> wasmtime::Result<Result<(), HostError>> {
        let call = match self.import_call(Permission::Telegram) {
            Ok(c) => c,
            Err(e) => return Ok(Err(e)),
        };
        Ok(call.edit(target, message).await)
    }

    async fn delete_message(&mut self, target: MessageRef) -> wasmtime::Result<Result<(), HostError>> {
        let call = match self.import_call(Permission::Telegram) {
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
        let call = match self.import_call(Permission::Telegram) {
            Ok(c) => c,
            Err(e) => return Ok(Err(e)),
        };
        let listed: Vec<u8> = ids.iter().flat_map(|i| i.to_be_bytes()).collect();
        let what =
            [&b"forward"[..], &from_chat.to_be_bytes(), &listed, &to_chat.to_be_bytes(), &[u8::from(drop_author)]];
        let key = self.send_key(&what);
        Ok(call.forward(from_chat, ids, to_chat, drop_author, key).await)
    }

    async fn send_document(
        &mut self,
        chat_id: i64,
        file_name: String,
        content: Vec<u8>,
        caption: String,
    ) -> wasmtime::Result<Result<i32, HostError>> {
        let call = match self.import_call(Permission::Telegram) {
            Ok(c) => c,
            Err(e) => return Ok(Err(e)),
        };
        Ok(call.send_document(chat_id, file_name, content, caption).await)
    }

    async fn resolve_username(&mut self, username: String) -> wasmtime::Result<Result<i64, HostError>> {
        let call = match self.import_call(Permission::Telegram) {
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
        let call = match self.import_call(Permission::Telegram) {
            Ok(c) => c,
            Err(e) => return Ok(Err(e)),
        };
        Ok(call.get(chat_id, ids).await)
    }
}
