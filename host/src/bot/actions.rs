//! Carrying out what a plugin's `handle` returned, through the outbox (which checks where the
//! plugin may act, paces and splits).

use std::sync::Arc;

use super::UpdateContext;
use crate::plugins::bindings::types::{Action, MessageRef, Outgoing, Permission};
use crate::plugins::{Loaded, markup};
use crate::telegram::outbox::{Actor, OutboxError, PluginActor};
use crate::telegram::send_key::{SendKeys, text_send};

/// Where the event happened, for actions that refer to it.
pub struct Origin<'a> {
    /// None for a wake-up: it has no chat of its own.
    pub chat_id: Option<i64>,
    pub message_id: i32,
    pub callback: Option<&'a grammers_client::update::CallbackQuery>,
    /// The stored job, for a wake-up: its sends are keyed by it (see `telegram::send_key`).
    pub job: Option<crate::plugins::JobKey>,
    /// Answers to this event are protected content (`access.protect_content` names its file's
    /// kind).
    pub protect: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    #[error("the plugin's message is invalid: {0}")]
    Invalid(String),
    #[error(transparent)]
    Outbox(#[from] OutboxError),
    #[error(transparent)]
    Telegram(#[from] grammers_client::InvocationError),
}

/// How a plugin acts through the outbox for an event from `origin_chat`.
pub fn actor<'a>(plugin: &'a Loaded, origin_chat: Option<i64>) -> Actor<'a> {
    Actor::Plugin(PluginActor {
        name: &plugin.info.name,
        origin_chat,
        telegram: plugin.granted.has(Permission::Telegram),
        bin_channel: plugin.granted.bin_channel,
    })
}

pub async fn carry_out(
    ctx: &UpdateContext,
    plugin: &Arc<Loaded>,
    origin: &Origin<'_>,
    actions: Vec<Action>,
) -> Result<Vec<MessageRef>, ActionError> {
    let Some(host) = ctx.plugins.as_ref() else { return Ok(Vec::new()) };
    let tags = &host.services.tags;
    let name = plugin.info.name.as_str();
    let who = actor(plugin, origin.chat_id);
    let mut answered = false;
    // What was sent, for the plugins that follow up on replies (auto-delete).
    let mut sent = Vec::new();
    // A wake-up's sends are keyed by its job (see `telegram::send_key`).
    let mut keys = origin.job.map(|j| SendKeys::new(name, (j.id, j.created_ms)));
    for action in actions {
        match action {
            Action::Reply(o) => {
                let Some(chat) = origin.chat_id else {
                    return Err(ActionError::Invalid("a wake-up has no chat to reply in; use send".into()));
                };
                let o =
                    Outgoing { reply_to: o.reply_to.or(origin.callback.is_none().then_some(origin.message_id)), ..o };
                let mut draft = markup::draft(tags, name, &o).map_err(ActionError::Invalid)?;
                draft.protect = origin.protect;
                for id in ctx.outbox.send(who, chat, draft).await? {
                    sent.push(MessageRef { chat_id: chat, message_id: id });
                }
            }
            Action::Send((chat, o)) => {
                let mut draft = markup::draft(tags, name, &o).map_err(ActionError::Invalid)?;
                draft.key = keys.as_mut().map(|k| k.next(&text_send(chat, &o.text)));
                draft.protect = origin.protect;
                for id in ctx.outbox.send(who, chat, draft).await? {
                    sent.push(MessageRef { chat_id: chat, message_id: id });
                }
            }
            Action::Edit((target, o)) => {
                let draft = markup::draft(tags, name, &o).map_err(ActionError::Invalid)?;
                ctx.outbox.edit(who, target.chat_id, target.message_id, draft).await?;
            }
            Action::Delete(target) => {
                ctx.outbox.delete(who, target.chat_id, &[target.message_id]).await?;
            }
            Action::AnswerCallback((text, alert)) => {
                if let Some(q) = origin.callback
                    && !answered
                {
                    answered = true;
                    let a = q.answer();
                    if alert { a.alert(text).send().await? } else { a.text(text).send().await? }
                }
            }
        }
    }
    if let Some(q) = origin.callback
        && !answered
    {
        // Stops the button's spinner in the user's app.
        q.answer().send().await?;
    }
    Ok(sent)
}
