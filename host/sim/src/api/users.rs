//! `users.*`, `contacts.resolveUsername` and `bots.setBotCommands`.

use grammers_tl_types as tl;

use super::{CallCtx, RpcErr, err};
use crate::render;

pub fn get_users(ctx: &CallCtx, req: tl::functions::users::GetUsers) -> Result<Vec<tl::enums::User>, RpcErr> {
    let world = ctx.shared.world();
    let me = ctx.me(&world)?;
    let mut out = Vec::new();
    for input in &req.id {
        let acc = match input {
            tl::enums::InputUser::UserSelf => world.account(me),
            tl::enums::InputUser::User(u) => {
                world.account(u.user_id).filter(|a| a.access_hash == u.access_hash || u.access_hash == 0)
            }
            _ => None,
        };
        if let Some(a) = acc {
            out.push(render::user(a, me));
        }
    }
    Ok(out)
}

pub fn resolve_username(
    ctx: &CallCtx,
    req: tl::functions::contacts::ResolveUsername,
) -> Result<tl::enums::contacts::ResolvedPeer, RpcErr> {
    let world = ctx.shared.world();
    let me = ctx.me(&world)?;
    let name = req.username.trim_start_matches('@');
    if let Some(a) = world.account_by_username(name) {
        return Ok(tl::types::contacts::ResolvedPeer {
            peer: render::peer_user(a.id),
            chats: Vec::new(),
            users: vec![render::user(a, me)],
        }
        .into());
    }
    if let Some(c) = world.channel_by_username(name) {
        return Ok(tl::types::contacts::ResolvedPeer {
            peer: render::peer_channel(c.id),
            chats: vec![render::channel(c, me)],
            users: Vec::new(),
        }
        .into());
    }
    Err(err(400, "USERNAME_NOT_OCCUPIED"))
}

pub fn set_bot_commands(ctx: &CallCtx, req: tl::functions::bots::SetBotCommands) -> Result<bool, RpcErr> {
    let mut world = ctx.shared.world();
    let me = ctx.me(&world)?;
    let mut commands = Vec::new();
    for c in req.commands {
        let tl::enums::BotCommand::Command(c) = c;
        let valid = !c.command.is_empty()
            && c.command.len() <= 32
            && c.command.chars().all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_');
        if !valid {
            return Err(err(400, "BOT_COMMAND_INVALID"));
        }
        if c.description.is_empty() || c.description.chars().count() > 256 {
            return Err(err(400, "BOT_COMMAND_DESCRIPTION_INVALID"));
        }
        commands.push((c.command, c.description));
    }
    match world.accounts.get_mut(&me) {
        Some(acc) if acc.bot => acc.commands = commands,
        _ => return Err(err(400, "USER_BOT_REQUIRED")),
    }
    Ok(true)
}
