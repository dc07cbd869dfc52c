//! `updates.*`: the state and the differences a client asks for after a gap or a restart.

use grammers_tl_types as tl;

use super::{CallCtx, RpcErr, resolve_channel};
use crate::render;
use crate::world::{World, now};

fn state(pts: i32) -> tl::enums::updates::State {
    tl::types::updates::State { pts, qts: 0, date: now(), seq: 0, unread_count: 0 }.into()
}

pub fn get_state(ctx: &CallCtx, _: tl::functions::updates::GetState) -> Result<tl::enums::updates::State, RpcErr> {
    let world = ctx.shared.world();
    let me = ctx.me(&world)?;
    Ok(state(world.account(me).map_or(0, |a| a.pts)))
}

/// Every account and the viewer's channels: the simulated world is small, and a client must be
/// able to resolve every peer an update names.
pub fn peers(world: &World, me: i64) -> (Vec<tl::enums::User>, Vec<tl::enums::Chat>) {
    let users = world.accounts.values().map(|a| render::user(a, me)).collect();
    let chats = world.channels.values().filter(|c| c.admins.contains(&me)).map(|c| render::channel(c, me)).collect();
    (users, chats)
}

fn split(updates: Vec<tl::enums::Update>) -> (Vec<tl::enums::Message>, Vec<tl::enums::Update>) {
    let mut messages = Vec::new();
    let mut other = Vec::new();
    for u in updates {
        match u {
            tl::enums::Update::NewMessage(m) => messages.push(m.message),
            tl::enums::Update::NewChannelMessage(m) => messages.push(m.message),
            u => other.push(u),
        }
    }
    (messages, other)
}

pub fn get_difference(
    ctx: &CallCtx,
    req: tl::functions::updates::GetDifference,
) -> Result<tl::enums::updates::Difference, RpcErr> {
    let world = ctx.shared.world();
    let me = ctx.me(&world)?;
    let Some(acc) = world.account(me) else {
        return Err(super::err(400, "USER_INVALID"));
    };
    let missed: Vec<_> = acc.log.iter().filter(|l| l.pts > req.pts).map(|l| l.update.clone()).collect();
    if missed.is_empty() {
        return Ok(tl::types::updates::DifferenceEmpty { date: now(), seq: 0 }.into());
    }
    let (new_messages, other_updates) = split(missed);
    let (users, chats) = peers(&world, me);
    Ok(tl::types::updates::Difference {
        new_messages,
        new_encrypted_messages: Vec::new(),
        other_updates,
        chats,
        users,
        state: state(acc.pts),
    }
    .into())
}

pub fn get_channel_difference(
    ctx: &CallCtx,
    req: tl::functions::updates::GetChannelDifference,
) -> Result<tl::enums::updates::ChannelDifference, RpcErr> {
    let world = ctx.shared.world();
    let me = ctx.me(&world)?;
    let id = resolve_channel(&world, me, &req.channel)?;
    let Some(ch) = world.channels.get(&id) else {
        return Err(super::err(400, "CHANNEL_INVALID"));
    };
    let limit = if req.limit > 0 { req.limit as usize } else { 100 };
    let missed: Vec<_> = ch.log.iter().filter(|l| l.pts > req.pts).take(limit).collect();
    let Some(last) = missed.last().map(|l| l.pts) else {
        return Ok(tl::types::updates::ChannelDifferenceEmpty { r#final: true, pts: ch.pts, timeout: None }.into());
    };
    let (new_messages, other_updates) = split(missed.into_iter().map(|l| l.update.clone()).collect());
    let (users, chats) = peers(&world, me);
    Ok(tl::types::updates::ChannelDifference {
        r#final: last == ch.pts,
        pts: last,
        timeout: None,
        new_messages,
        other_updates,
        chats,
        users,
    }
    .into())
}
