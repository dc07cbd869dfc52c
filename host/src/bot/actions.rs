//! Carrying out what a plugin's `handle` returned.

use std::sync::Arc;

use grammers_client::InvocationError;

use super::BotContext;
use crate::plugins::bindings::types::{Action, MessageRef, Outgoing, Permission};
use crate::plugins::host::telegram::peer;
use crate::plugins::services::BotSide;
use crate::plugins::{Loaded, markup};

/// Where the event happened, for actions that refer to it.
pub struct Origin<'a> {
    pub chat_id: i64,
    pub message_id: i32,
    pub callback: Option<&'a grammers_client::update::CallbackQuery>,
}

#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    #[error("the plugin's message is invalid: {0}")]
    Invalid(String),
    #[error("the plugin may not act outside the chat it was called in without the telegram permission")]
    Denied,
    #[error(transparent)]
    Telegram(#[from] InvocationError),
}

pub async fn run(
    ctx: &BotContext,
    plugin: &Arc<Loaded>,
    origin: &Origin<'_>,
    actions: Vec<Action>,
) -> Result<Vec<MessageRef>, ActionError> {
    let Some(bot) = ctx.plugins.as_ref().and_then(|p| p.services.bot.as_ref()) else { return Ok(Vec::new()) };
    let mut answered = false;
    // What was sent, for the plugins that follow up on replies (auto-delete).
    let mut sent = Vec::new();
    for action in actions {
        match action {
            Action::Reply(o) => {
                let o =
                    Outgoing { reply_to: o.reply_to.or((origin.callback.is_none()).then_some(origin.message_id)), ..o };
                if origin.chat_id == 0 {
                    return Err(ActionError::Invalid("a wake-up has no chat to reply in; use send".into()));
                }
                let id = send(bot, &plugin.info.name, origin.chat_id, &o).await?;
                sent.push(MessageRef { chat_id: origin.chat_id, message_id: id });
            }
            Action::Send((chat, o)) => {
                allowed(plugin, origin, chat)?;
                let id = send(bot, &plugin.info.name, chat, &o).await?;
                sent.push(MessageRef { chat_id: chat, message_id: id });
            }
            Action::Edit((target, o)) => {
                allowed(plugin, origin, target.chat_id)?;
                let input = markup::message(&plugin.info.name, &o).map_err(ActionError::Invalid)?;
                bot.client
                    .edit_message(
                        peer(bot, target.chat_id).map_err(|e| ActionError::Invalid(format!("{e:?}")))?,
                        target.message_id,
                        input,
                    )
                    .await?;
            }
            Action::Delete(target) => {
                allowed(plugin, origin, target.chat_id)?;
                bot.client
                    .delete_messages(
                        peer(bot, target.chat_id).map_err(|e| ActionError::Invalid(format!("{e:?}")))?,
                        &[target.message_id],
                    )
                    .await?;
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

fn allowed(plugin: &Loaded, origin: &Origin<'_>, chat: i64) -> Result<(), ActionError> {
    if chat == origin.chat_id || plugin.granted.contains(&Permission::Telegram) {
        Ok(())
    } else {
        Err(ActionError::Denied)
    }
}

async fn send(bot: &BotSide, plugin: &str, chat: i64, o: &Outgoing) -> Result<i32, ActionError> {
    let input = markup::message(plugin, o).map_err(ActionError::Invalid)?;
    bot.pacer.ready(chat).await;
    let m =
        bot.client.send_message(peer(bot, chat).map_err(|e| ActionError::Invalid(format!("{e:?}")))?, input).await?;
    Ok(m.id())
}
