//! The main bot's side of clones: `/clone` (how to, and `/clone <token>`), BotFather's message
//! forwarded, `/clone stop|start|delete [@name]`, and `/clones` for the operator's admins.

use std::sync::Arc;

use grammers_client::message::{Button, ReplyMarkup};
use grammers_client::tl;
use grammers_client::update::Message;

use super::{Clones, token};
use crate::bot::command::ParsedCommand;
use crate::bot::{Role, UpdateContext};
use crate::plugins::bindings::types::CommandSpec;
use crate::plugins::services::builtin;
use crate::storage::{CloneRecord, CloneState};
use crate::telegram::outbox::{Actor, Draft};

/// The host commands of the main bot, for /help and the command menu.
pub fn builtins(cloning: bool) -> Vec<CommandSpec> {
    let mut out = vec![
        builtin("revoke", "Make a link of a file you sent stop working: /revoke <link>", false),
        builtin("rename", "Reply to a file you sent: new links under another name", false),
        builtin("channel", "Stream / Download buttons on a channel's media posts: /channel on @channel", false),
    ];
    if cloning {
        out.push(builtin("clone", "Your own copy of this bot, with your bot token", false));
        out.push(builtin("clones", "Every clone with its owner, users and state", true));
    }
    out.push(builtin("plugins", "Loaded plugins; /plugins reload", true));
    out.push(builtin("admin_link", "A private page with live stats, for 15 minutes", true));
    out
}

const HOW_TO: &str = "🤖 Get your own copy of this bot:\n\
1. Open @BotFather, send /newbot and pick a name.\n\
2. Forward me BotFather's \"Done! Congratulations on your new bot\" message — or send /clone <token>.\n\
3. Open your bot and send it /setbin to choose the channel it keeps files in.\n\n\
Your bot answers files with stream and download links like this one; you are its admin (/stats, /broadcast, /setwelcome).\n\
Manage it here: /clone stop, /clone start, /clone delete.";

/// `/clone…` and `/clones` in the main bot (and a pointer to it in a clone); the clone-side
/// owner commands. True when the command was one of these.
pub async fn on_command(ctx: &UpdateContext, m: &Message, user: i64, admin: bool, cmd: &ParsedCommand<'_>) -> bool {
    let clones = match &ctx.role {
        Role::Clone { .. } => return super::owner::on_command(ctx, m, user, cmd).await,
        Role::Main { clones } => clones.clone(),
    };
    if cmd.name != "clone" && cmd.name != "clones" {
        return false;
    }
    let Some(clones) = clones.filter(|c| c.config().enabled) else {
        ctx.answer(m, "Cloning is switched off on this bot.").await;
        return true;
    };
    if cmd.name == "clones" {
        if admin {
            list_all(ctx, m, &clones).await;
        } else {
            ctx.answer(m, "That command is for admins.").await;
        }
        return true;
    }
    let mut words = cmd.args.split_whitespace();
    match (words.next(), words.next()) {
        (None, _) => how_to(ctx, m, &clones, user).await,
        (Some(verb @ ("stop" | "start" | "delete")), name) => control(ctx, m, &clones, user, admin, verb, name).await,
        (Some(_), _) => match token::find(cmd.args) {
            Some(t) => create(ctx, m, &clones, user, admin, t).await,
            None => ctx.answer(m, "That is not a bot token. /clone explains where to get one.").await,
        },
    }
    true
}

/// A message forwarded from BotFather (or pretending to be): true when it was about cloning.
pub async fn on_botfather_message(ctx: &UpdateContext, m: &Message) -> bool {
    let Role::Main { clones: Some(clones) } = &ctx.role else { return false };
    let text = m.text();
    let from_botfather = matches!(
        m.forward_header(),
        Some(tl::enums::MessageFwdHeader::Header(h))
            if matches!(h.from_id, Some(tl::enums::Peer::User(tl::types::PeerUser { user_id: token::BOTFATHER_ID })))
    );
    let looks_like_it = text.contains(token::CONGRATULATIONS);
    if !from_botfather && !looks_like_it {
        return false;
    }
    let user = m.sender_id().and_then(|s| s.bare_id()).unwrap_or_default();
    match token::find(text) {
        Some(t) if from_botfather => {
            let admin = ctx.is_admin(user);
            create(ctx, m, clones, user, admin, t).await;
        }
        Some(_) => {
            forget(ctx, m).await;
            let chat = m.peer_id().bot_api_dialog_id_unchecked();
            let text = "That message was not forwarded from @BotFather. Forward BotFather's own message, or send /clone <token>.";
            ctx.say(chat, Draft::text(text)).await;
        }
        None => ctx.answer(m, "I found no bot token in that message. /clone explains the steps.").await,
    }
    true
}

/// Deletes the user's message that carried a bot token (it is a password to their bot): the
/// chat keeps no copy of it.
async fn forget(ctx: &UpdateContext, m: &Message) {
    let chat = m.peer_id().bot_api_dialog_id_unchecked();
    if let Err(e) = ctx.outbox.delete(Actor::Host, chat, &[m.id()]).await {
        tracing::info!("could not delete a message holding a token: {e}");
    }
}

/// The answers to a message that held a token: not replies, the message is gone.
async fn create(ctx: &UpdateContext, m: &Message, clones: &Arc<Clones>, user: i64, admin: bool, token: &str) {
    forget(ctx, m).await;
    let chat = m.peer_id().bot_api_dialog_id_unchecked();
    match clones.create(user, admin, token).await {
        Ok(rec) => {
            let text = format!(
                "✅ Your bot @{} is running.\nOpen it and send /setbin to choose the channel it keeps files in; until then it \
                 answers files with the steps.\n(I deleted your message with its token: keep the token secret.)",
                rec.username
            );
            let button = Button::url(format!("Open @{}", rec.username), format!("https://t.me/{}", rec.username));
            let draft = Draft { text, markup: Some(ReplyMarkup::from_buttons(&[vec![button]])), ..Draft::default() };
            if let Err(e) = ctx.outbox.send(Actor::Host, chat, draft).await {
                tracing::warn!("could not confirm a clone: {e}");
                ctx.say(chat, Draft::text(format!("✅ Your bot @{} is running.", rec.username))).await;
            }
        }
        Err(refusal) => ctx.say(chat, Draft::text(format!("❌ {refusal}"))).await,
    }
}

async fn how_to(ctx: &UpdateContext, m: &Message, clones: &Clones, user: i64) {
    let mine = clones.store().clones_of(user).await.unwrap_or_default();
    let mut text = HOW_TO.to_string();
    if !mine.is_empty() {
        text.push_str("\n\nYour clones:");
        for c in &mine {
            text.push_str(&format!("\n• @{} — {}{}", c.username, c.state, bin_note(c)));
        }
    }
    ctx.answer(m, text).await;
}

fn bin_note(c: &CloneRecord) -> &'static str {
    if c.bin_channel.is_none() { " (no file channel yet: /setbin in it)" } else { "" }
}

/// The clone a `/clone <verb> [@name]` is about, or the answer why there is none.
async fn target(clones: &Clones, user: i64, admin: bool, name: Option<&str>) -> Result<CloneRecord, String> {
    let store = clones.store();
    match name.map(|n| n.trim_start_matches('@')) {
        Some(n) => {
            let all = store.clones().await.map_err(|e| e.to_string())?;
            match all.into_iter().find(|c| c.username.eq_ignore_ascii_case(n)) {
                Some(c) if c.owner_id == user || admin => Ok(c),
                Some(c) => Err(format!("@{} is not your clone.", c.username)),
                None => Err(format!("No clone @{n} runs here.")),
            }
        }
        None => {
            let mut mine = store.clones_of(user).await.map_err(|e| e.to_string())?;
            match mine.len() {
                0 => Err("You have no clone here. /clone explains how to make one.".into()),
                1 => Ok(mine.remove(0)),
                _ => Err("You have several clones: name one, e.g. /clone stop @name_bot".into()),
            }
        }
    }
}

async fn control(
    ctx: &UpdateContext,
    m: &Message,
    clones: &Clones,
    user: i64,
    admin: bool,
    verb: &str,
    name: Option<&str>,
) {
    let c = match target(clones, user, admin, name).await {
        Ok(c) => c,
        Err(why) => return ctx.answer(m, format!("❌ {why}")).await,
    };
    let answer = match verb {
        "stop" => {
            clones.stop(c.bot_id).await.map(|_| format!("⏹ @{} stopped. /clone start runs it again.", c.username))
        }
        "start" if c.state == CloneState::Revoked => {
            Ok(format!("❌ @{}'s token was revoked. Send /clone <new token> to bring it back.", c.username))
        }
        "start" => clones.start(c.bot_id).await.map(|_| format!("▶️ @{} is running.", c.username)),
        _ => clones.delete(c.bot_id).await.map(|_| {
            format!(
                "🗑 @{} is deleted here, with its users and settings. Its token is yours to use elsewhere.",
                c.username
            )
        }),
    };
    let text = answer.unwrap_or_else(|e| {
        tracing::error!(clone = c.bot_id, "/clone {verb}: {e}");
        "Sorry, that did not work. Please try again in a minute.".into()
    });
    if c.owner_id != user {
        tracing::info!(clone = c.bot_id, admin = user, verb, "an admin controlled someone's clone");
    }
    ctx.answer(m, text).await;
}

async fn list_all(ctx: &UpdateContext, m: &Message, clones: &Clones) {
    let store = clones.store();
    let all = match store.clones().await {
        Ok(a) => a,
        Err(e) => return ctx.answer(m, format!("Cannot read the clones: {e}")).await,
    };
    if all.is_empty() {
        return ctx.answer(m, "No clones yet.").await;
    }
    let mut text = format!("Clones ({} of at most {}):", all.len(), clones.config().max_total);
    for c in &all {
        let users = store.clone_user_count(c.bot_id).await.unwrap_or(0);
        let state = if c.state == CloneState::Running && !clones.is_running(c.bot_id) {
            "not running".to_string()
        } else {
            c.state.to_string()
        };
        text.push_str(&format!("\n• @{} — owner {} — {users} users — {state}{}", c.username, c.owner_id, bin_note(c)));
    }
    ctx.answer(m, text).await;
}
