//! Routes messages and button presses to plugins: `/cmd@bot args` to the plugin that registered
//! the command (admin-only commands checked first), presses to the plugin whose tag starts the
//! callback data, `/start <payload>` by payload prefix; builds `/help` and the command menu from
//! the loaded plugins; answers `/plugins` (list, reload) for admins.

use std::sync::Arc;

use grammers_client::tl;
use grammers_client::update::{CallbackQuery, Message};

use super::UpdateContext;
use super::actions::{self, Origin};
use super::command::parse;
use crate::plugins::bindings::types::{
    Callback, Command, Event, EventKinds, MessageRef, MessageSummary, PluginError, TextMessage,
};
use crate::plugins::{CallError, Loaded};
use crate::telegram::outbox::{Actor, Draft};

pub fn help_text(ctx: &UpdateContext, admin: bool) -> String {
    let mut out = String::from("What I can do:\n");
    out.push_str("• Send me a file: I answer with links to stream and download it.\n");
    out.push_str("/help — this list\n");
    let Some(host) = &ctx.plugins else { return out };
    let mut admin_lines = Vec::new();
    let plugin_commands = host.list().into_iter().flat_map(|p| p.info.commands.clone());
    for c in plugin_commands.chain(host.services.builtins.iter().cloned()) {
        let line = format!("/{} — {}", c.name, c.description);
        if c.admin_only {
            admin_lines.push(line)
        } else {
            out.push_str(&line);
            out.push('\n')
        }
    }
    if admin {
        out.push_str("\nFor admins:\n");
        out.push_str(&admin_lines.join("\n"));
    }
    out
}

/// Publishes the plugins' public commands as the bot's command menu (`bots.setBotCommands`).
pub async fn publish_commands(ctx: &UpdateContext) {
    let Some(host) = &ctx.plugins else { return };
    let mut commands = vec![
        tl::types::BotCommand { ephemeral: false, command: "help".into(), description: "What this bot can do".into() }
            .into(),
    ];
    let plugin_commands = host.list().into_iter().flat_map(|p| p.info.commands.clone());
    for c in plugin_commands.chain(host.services.builtins.iter().cloned()).filter(|c| !c.admin_only) {
        commands.push(tl::types::BotCommand { ephemeral: false, command: c.name, description: c.description }.into());
    }
    let req = tl::functions::bots::SetBotCommands {
        scope: tl::enums::BotCommandScope::Default,
        lang_code: String::new(),
        commands,
    };
    if let Err(e) = ctx.client.invoke(&req).await {
        tracing::warn!("could not publish the command menu: {e}");
    }
}

/// A message to every admin (plugin reload failures and the like).
pub async fn tell_admins(ctx: &UpdateContext, text: &str) {
    for admin in &ctx.config.access.admins {
        if let Err(e) = ctx.outbox.send(Actor::Host, *admin, Draft::text(text)).await {
            tracing::warn!(admin, "could not tell an admin: {e}");
        }
    }
}

const SORRY: &str = "Sorry, that did not work. The problem was logged.";

/// What a plugin call came to.
pub struct Ran {
    /// Actions the plugin returned (0 also when it failed).
    pub actions: usize,
    /// The messages its actions sent.
    pub sent: Vec<MessageRef>,
}

/// Runs an event through a plugin and carries out its actions; tells the user when it fails
/// (the plugin failed, or what it asked for could not be done): nothing is silently dropped.
pub async fn call_plugin(
    ctx: &UpdateContext,
    plugin: &Arc<Loaded>,
    event: Event,
    origin: Origin<'_>,
    m: Option<&Message>,
) -> Ran {
    let failed = Ran { actions: 0, sent: Vec::new() };
    let Some(host) = &ctx.plugins else { return failed };
    let apology = |text: String| async move {
        if let Some(m) = m {
            ctx.answer(m, text).await;
        } else if let Some(q) = origin.callback {
            let _ = q.answer().text(text).send().await;
        }
    };
    match host.call(plugin, &event).await {
        Ok(actions) => {
            let n = actions.len();
            match actions::carry_out(ctx, plugin, &origin, actions).await {
                Ok(sent) => Ran { actions: n, sent },
                Err(e) => {
                    tracing::warn!(plugin = %plugin.info.name, "could not carry out the plugin's actions: {e}");
                    apology(SORRY.into()).await;
                    Ran { actions: n, sent: Vec::new() }
                }
            }
        }
        Err(CallError::Plugin(t)) => {
            match &t.0 {
                PluginError::BadInput(s) => apology(s.clone()).await,
                _ => apology("Sorry, that did not work.".into()).await,
            }
            failed
        }
        Err(_) => {
            apology(SORRY.into()).await;
            failed
        }
    }
}

/// A text message: a command for a plugin (or a built-in), or text for plugins that want it.
/// Returns false when nothing handled it.
pub async fn on_text(ctx: &UpdateContext, m: &Message) -> bool {
    let user = m.sender_id().and_then(|s| s.bare_id()).unwrap_or_default();
    let chat = m.peer_id().bot_api_dialog_id_unchecked();
    let admin = ctx.is_admin(user);
    // Boxed, like the clone commands below: they log bots in and out, large futures that would
    // otherwise sit in every text handler's frame.
    if Box::pin(super::clones::commands::on_botfather_message(ctx, m)).await {
        return true;
    }
    let Some(cmd) = parse(m.text()) else {
        let Some(host) = &ctx.plugins else { return false };
        let wanting = host.wanting(EventKinds::TEXT);
        for p in &wanting {
            let event = Event::Text(TextMessage {
                chat_id: chat,
                user_id: user,
                message_id: m.id(),
                text: m.text().to_string(),
            });
            call_plugin(
                ctx,
                p,
                event,
                Origin { chat_id: Some(chat), message_id: m.id(), callback: None, job: None, protect: false },
                Some(m),
            )
            .await;
        }
        return !wanting.is_empty();
    };
    if cmd.bot.is_some_and(|b| !b.eq_ignore_ascii_case(&ctx.username)) {
        return true; // addressed to another bot
    }
    if cmd.name == "help" && ctx.plugins.as_ref().and_then(|h| h.command("help")).is_none() {
        ctx.answer(m, help_text(ctx, admin)).await;
        return true;
    }
    if cmd.name == "revoke" {
        super::revoke::command(ctx, m, user, admin, cmd.args).await;
        return true;
    }
    if cmd.name == "channel" {
        super::channel_mode::command(ctx, m, user, cmd.args).await;
        return true;
    }
    if cmd.name == "rename" {
        super::rename::command(ctx, m, user, cmd.args).await;
        return true;
    }
    // The live stats page is the operator's (a clone's owner has /stats in their clone).
    if cmd.name == "admin_link" && admin && matches!(ctx.role, super::Role::Main { .. }) {
        let link = ctx.signer.admin_link(crate::clock::unix_secs());
        let minutes = crate::links::ADMIN_LINK_SECS / 60;
        ctx.answer(m, format!("📈 Live stats for the next {minutes} minutes (keep this link to yourself):\n{link}"))
            .await;
        return true;
    }
    if Box::pin(super::clones::commands::on_command(ctx, m, user, admin, &cmd)).await {
        return true;
    }
    // The plugin folder is the host's: a clone's owner is admin of their clone only.
    if cmd.name == "plugins" && admin && matches!(ctx.role, super::Role::Main { .. }) {
        plugins_command(ctx, m, cmd.args).await;
        return true;
    }
    let Some(host) = &ctx.plugins else { return false };
    let found = if cmd.name == "start" && !cmd.args.is_empty() {
        host.by_start_prefix(cmd.args)
            .map(|p| (p, "start".to_string(), false))
            .or_else(|| host.command("start").map(|(p, s)| (p, s.name, s.admin_only)))
    } else {
        host.command(&cmd.name).map(|(p, s)| (p, s.name, s.admin_only))
    };
    let Some((plugin, name, admin_only)) = found else {
        if cmd.name == "start" {
            return false;
        }
        ctx.answer(m, format!("I don't know /{}. /help lists what I can do.", cmd.name)).await;
        return true;
    };
    if admin_only && !admin {
        ctx.answer(m, "That command is for admins.").await;
        return true;
    }
    let reply_to = match m.get_reply().await {
        // grammers turns a missing message (deleted since) into an empty one with id 0.
        Ok(Some(r)) if r.id() > 0 => Some(MessageSummary {
            chat_id: chat,
            message_id: r.id(),
            sender_id: r.sender_id().and_then(|s| s.bot_api_dialog_id()),
            text: r.text().to_string(),
            has_file: r.media().is_some(),
            file_name: None,
        }),
        _ => None,
    };
    let event = Event::Command(Command {
        chat_id: chat,
        user_id: user,
        message_id: m.id(),
        name,
        raw_args: cmd.args.to_string(),
        args: cmd.args.split_whitespace().map(str::to_string).collect(),
        is_admin: admin,
        reply_to,
    });
    call_plugin(
        ctx,
        &plugin,
        event,
        Origin { chat_id: Some(chat), message_id: m.id(), callback: None, job: None, protect: false },
        Some(m),
    )
    .await;
    true
}

pub async fn on_callback(ctx: &UpdateContext, q: &CallbackQuery) {
    let data = String::from_utf8_lossy(q.data()).to_string();
    if super::subscribe::on_retry(ctx, q, &data).await {
        return;
    }
    // The plugin whose MAC tags the data; crafted or altered data matches none.
    let found = ctx.plugins.as_ref().and_then(|host| {
        let plugins = host.list();
        let (name, rest) = host.services.tags.owner(&data, plugins.iter().map(|p| p.info.name.as_str()))?;
        Some((host.get(name)?, rest.to_string()))
    });
    let Some((plugin, rest)) = found else {
        let _ = q.answer().text("This button no longer does anything.").send().await;
        return;
    };
    let user = q.sender_id().bare_id().unwrap_or_default();
    let chat = q.peer_id().bot_api_dialog_id_unchecked();
    let message_id = match &q.raw {
        tl::enums::Update::BotCallbackQuery(u) => u.msg_id,
        _ => 0,
    };
    let event = Event::Callback(Callback {
        chat_id: chat,
        user_id: user,
        message_id,
        data: rest,
        is_admin: ctx.is_admin(user),
    });
    call_plugin(
        ctx,
        &plugin,
        event,
        Origin { chat_id: Some(chat), message_id, callback: Some(q), job: None, protect: false },
        None,
    )
    .await;
}

async fn plugins_command(ctx: &UpdateContext, m: &Message, args: &str) {
    let Some(host) = &ctx.plugins else {
        ctx.answer(m, "Plugins are not enabled.").await;
        return;
    };
    if args == "reload" {
        let errors = host.load_dir().await;
        publish_commands(ctx).await;
        let mut text = format!("Reloaded: {} plugins running.", host.list().len());
        for e in errors {
            text.push_str(&format!("\n✗ {e}"));
        }
        ctx.answer(m, text).await;
        return;
    }
    let mut text = String::from("Plugins:\n");
    for p in host.list() {
        let granted = p.granted.names();
        let file = p.path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
        text.push_str(&format!(
            "• {} {} — {} commands, granted: {}\n  file {file} sha256 {}{}\n",
            p.info.name,
            p.info.version,
            p.info.commands.len(),
            if granted.is_empty() { "nothing".into() } else { granted.join(", ") },
            &crate::plugins::grants::to_hex(&p.hash)[..16],
            if p.first_party { " (first-party build)" } else { "" },
        ));
    }
    ctx.answer(m, text).await;
}
