//! `channels.*`: reading and deleting messages of a channel the bot administers (the bin channel).

use grammers_tl_types as tl;

use super::{CallCtx, RpcErr, err, resolve_channel};
use crate::sim::render;

pub fn get_messages(
    ctx: &CallCtx,
    req: tl::functions::channels::GetMessages,
) -> Result<tl::enums::messages::Messages, RpcErr> {
    let world = ctx.shared.world();
    let me = ctx.me(&world)?;
    let id = resolve_channel(&world, me, &req.channel)?;
    let ch = world.channels.get(&id).ok_or_else(|| err(400, "CHANNEL_INVALID"))?;
    if req.id.len() > 200 {
        return Err(err(400, "LIMIT_INVALID"));
    }
    let messages = req
        .id
        .iter()
        .map(|m| {
            let wanted = match m {
                tl::enums::InputMessage::Id(i) => i.id,
                _ => 0,
            };
            match ch.messages.get(&wanted) {
                Some(msg) => render::channel_message(&world, ch, msg, me),
                // Telegram answers a missing or deleted id with a bare messageEmpty.
                None => tl::types::MessageEmpty { id: wanted, peer_id: None }.into(),
            }
        })
        .collect::<Vec<_>>();
    let (users, chats) = super::updates::peers(&world, me);
    Ok(tl::types::messages::ChannelMessages {
        inexact: false,
        pts: ch.pts,
        count: messages.len() as i32,
        offset_id_offset: None,
        messages,
        topics: Vec::new(),
        chats,
        users,
    }
    .into())
}

pub fn delete_messages(
    ctx: &CallCtx,
    req: tl::functions::channels::DeleteMessages,
) -> Result<tl::enums::messages::AffectedMessages, RpcErr> {
    let mut world = ctx.shared.world();
    let me = ctx.me(&world)?;
    let id = resolve_channel(&world, me, &req.channel)?;
    let ch = world.channels.get_mut(&id).ok_or_else(|| err(400, "CHANNEL_INVALID"))?;
    let gone: Vec<i32> = req.id.into_iter().filter(|m| ch.messages.remove(m).is_some()).collect();
    if gone.is_empty() {
        return Ok(tl::types::messages::AffectedMessages { pts: ch.pts, pts_count: 0 }.into());
    }
    let n = gone.len() as i32;
    let logged = world.log_channel(id, n, |pts| {
        tl::types::UpdateDeleteChannelMessages { channel_id: id, messages: gone, pts, pts_count: n }.into()
    });
    ctx.shared.bump();
    Ok(tl::types::messages::AffectedMessages { pts: logged.map_or(0, |l| l.0), pts_count: n }.into())
}

pub fn get_channels(
    ctx: &CallCtx,
    req: tl::functions::channels::GetChannels,
) -> Result<tl::enums::messages::Chats, RpcErr> {
    let world = ctx.shared.world();
    let me = ctx.me(&world)?;
    let mut chats = Vec::new();
    for c in &req.id {
        let id = resolve_channel(&world, me, c)?;
        if let Some(ch) = world.channels.get(&id) {
            chats.push(render::channel(ch, me));
        }
    }
    Ok(tl::types::messages::Chats { chats }.into())
}
