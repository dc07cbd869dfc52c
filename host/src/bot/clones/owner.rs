//! A clone's owner at work in their clone: `/setbin` (the guided choice of the channel the
//! clone keeps files in) and `/setwelcome`. Files sent before a channel is set get the steps
//! instead of links that could not outlive the sender's message.

use grammers_client::update::Message;

use crate::bot::command::ParsedCommand;
use crate::bot::{Role, UpdateContext};
use crate::plugins::bindings::types::CommandSpec;
use crate::plugins::services::builtin;
use crate::telegram::outbox::{Actor, Draft};

/// Longest welcome text (Telegram allows 4,096 characters; a welcome is read at a glance).
const MAX_WELCOME: usize = 1000;

/// The host commands of a clone, for /help and the command menu.
pub fn builtins() -> Vec<CommandSpec> {
    vec![
        builtin("revoke", "Make a link of a file you sent stop working: /revoke <link>", false),
        builtin("setbin", "Choose the channel this bot keeps files in", true),
        builtin("setwelcome", "Set the /start greeting (/setwelcome off: the default)", true),
        builtin("setshortener", "Shorten your users' links: /setshortener <site> <API key> (off to stop)", true),
    ]
}

const SETBIN_STEPS: &str = "📦 Where should I keep files? Links keep working only while their file is kept, so I copy every file to a channel of yours:\n\
1. Create a channel (private is fine).\n\
2. Add me to it as an admin who may post messages.\n\
3. Send /setbin <channel id> here — the id starts with -100 (forward a post of the channel to @userinfobot to see it).";

/// `/setbin` and `/setwelcome` (owner only; others are told so). True when it was one.
pub async fn on_command(ctx: &UpdateContext, m: &Message, user: i64, cmd: &ParsedCommand<'_>) -> bool {
    let Role::Clone { owner, clones } = &ctx.role else { return false };
    match cmd.name.as_str() {
        "clone" | "clones" => {
            ctx.answer(m, "Clones are made in the bot this one was cloned from.").await;
            return true;
        }
        "setbin" | "setwelcome" | "setshortener" if user != *owner => {
            ctx.answer(m, "That command is for this bot's owner.").await;
            return true;
        }
        "setbin" | "setwelcome" | "setshortener" => {}
        _ => return false,
    }
    let Some(clones) = clones.upgrade() else { return true };
    let bot = ctx.store.bot();
    let answer = match cmd.name.as_str() {
        "setbin" => set_bin(ctx, &clones, bot, cmd.args).await,
        "setwelcome" => set_welcome(ctx, bot, cmd.args).await,
        _ => set_shortener(ctx, bot, cmd.args).await,
    };
    if answer.is_ok() {
        clones.reload(bot);
    }
    ctx.answer(m, answer.unwrap_or_else(|e| e)).await;
    true
}

async fn set_bin(ctx: &UpdateContext, clones: &super::Clones, bot: i64, args: &str) -> Result<String, String> {
    if args.is_empty() {
        return Err(SETBIN_STEPS.into());
    }
    let channel: i64 = match args.trim().parse() {
        Ok(id) if id < -1_000_000_000_000 => id,
        _ => return Err(format!("'{args}' is not a channel id: it starts with -100.\n\n{SETBIN_STEPS}")),
    };
    if channel == clones.shared.config.telegram.bin_channel {
        return Err("That channel belongs to the host bot; create a channel of your own.".into());
    }
    let note = format!(
        "📦 @{} keeps the files sent to it in this channel. Do not delete its posts: their links would stop working.",
        ctx.username
    );
    if let Err(e) = ctx.outbox.send(Actor::Host, channel, Draft::text(note)).await {
        return Err(format!(
            "I cannot post in that channel ({e}). Add me to it as an admin who may post messages, then send /setbin {channel} again."
        ));
    }
    match ctx.store.set_clone_bin(bot, channel).await {
        Ok(true) => Ok("✅ Files will be kept in that channel. Send me a file to get its links.".into()),
        Ok(false) => Err("Another bot here keeps its files in that channel; create a channel for this one.".into()),
        Err(e) => {
            tracing::error!(clone = bot, "/setbin: {e}");
            Err("Sorry, I could not save that. Please try again in a minute.".into())
        }
    }
}

async fn set_welcome(ctx: &UpdateContext, bot: i64, args: &str) -> Result<String, String> {
    let welcome = match args.trim() {
        "" => {
            return Err(
                "Send /setwelcome <text> (the greeting /start shows), or /setwelcome off for the default.".into()
            );
        }
        "off" => None,
        t if t.chars().count() > MAX_WELCOME => return Err(format!("A welcome is at most {MAX_WELCOME} characters.")),
        t => Some(t),
    };
    match ctx.store.set_clone_welcome(bot, welcome).await {
        Ok(()) if welcome.is_some() => Ok("✅ /start now greets with your text.".into()),
        Ok(()) => Ok("✅ /start greets with the default text again.".into()),
        Err(e) => {
            tracing::error!(clone = bot, "/setwelcome: {e}");
            Err("Sorry, I could not save that. Please try again in a minute.".into())
        }
    }
}

/// The shortener every user of the clone gets unless they chose their own: one of the sites
/// the operator allows, checked with a test link before it is kept.
async fn set_shortener(ctx: &UpdateContext, bot: i64, args: &str) -> Result<String, String> {
    let Some(services) = ctx.plugins.as_ref().map(|p| p.services.clone()) else {
        return Err("Link shorteners are not enabled on this host.".into());
    };
    let settings = &services.shortener;
    if settings.sites.is_empty() {
        return Err("Link shorteners are not enabled on this host.".into());
    }
    let mut words = args.split_whitespace();
    let (site, key) = match (words.next(), words.next()) {
        (Some("off"), None) => {
            return match ctx.store.set_clone_shortener(bot, None).await {
                Ok(()) => Ok("✅ Your users' links are no longer shortened (unless they chose a shortener).".into()),
                Err(e) => Err(format!("Sorry, I could not save that ({e}).")),
            };
        }
        (Some(site), Some(key)) => (site, key),
        _ => {
            return Err(format!(
                "Send /setshortener <site> <API key> (sites allowed here: {}), or /setshortener off.",
                settings.sites.join(", ")
            ));
        }
    };
    if !crate::plugins::shortener::site_allowed(settings, site) {
        return Err(format!("{site} is not allowed here; choose one of: {}.", settings.sites.join(", ")));
    }
    let test =
        crate::plugins::shortener::shorten(&services.outbound, settings, site, key, "https://telegram.org/").await;
    if let Err(e) = test {
        return Err(format!("{site} did not shorten a test link ({e}); nothing was changed."));
    }
    match ctx.store.set_clone_shortener(bot, Some((site, key))).await {
        Ok(()) => Ok(format!(
            "✅ {site} works: your users' links go through it (users who chose their own shortener keep theirs)."
        )),
        Err(e) => {
            tracing::error!(clone = bot, "/setshortener: {e}");
            Err("Sorry, I could not save that. Please try again in a minute.".into())
        }
    }
}

/// A file sent to a clone that has no channel yet: its owner gets the steps, others a notice.
pub async fn no_bin(ctx: &UpdateContext, chat: i64, message_id: i32, user: i64) {
    let owner = matches!(ctx.role, Role::Clone { owner, .. } if owner == user);
    let text = if owner {
        format!("I can't keep files yet.\n\n{SETBIN_STEPS}")
    } else {
        "This bot is not ready for files yet: its owner has not chosen where it keeps them. Please try again later."
            .into()
    };
    ctx.say(chat, Draft::text(text).reply_to(message_id)).await;
}
