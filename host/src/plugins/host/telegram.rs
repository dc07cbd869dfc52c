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
    pub fn bot_call(&self, p: Permission) -> Result<BotCall, HostError> {
        self.check(p)?;
        Ok(BotCall { services: self.services.clone(), plugin: self.plugin.clone() })
    }
}

impl BotCall {
    async fn send(&self, chat_id: i64, message: Outgoing) -> Result<i32, HostError> {
        let bot = self.bot()?;
        let input = markup::message(&self.plugin, &message).map_err(HostError::Limit)?;
        bot.client.send_message(peer(bot, chat_id)?, input).await.map(|m| m.id()).map_err(failed)
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
