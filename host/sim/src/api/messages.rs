//! `messages.*`: what a bot sends, edits, deletes, forwards and reads, and its answers to
//! button presses.

use grammers_tl_types as tl;

use super::{CallCtx, RpcErr, Target, err, resolve_peer, send};
use crate::render;
use crate::world::{AccountId, Body, World, now};

fn reply_to_id(r: &Option<tl::enums::InputReplyTo>) -> Option<i32> {
    match r {
        Some(tl::enums::InputReplyTo::Message(m)) => Some(m.reply_to_msg_id),
        _ => None,
    }
}

/// Refuses a send whose random ids this sender used before, as Telegram does.
fn unused(world: &World, me: AccountId, random_ids: &[i64]) -> Result<(), RpcErr> {
    match random_ids.iter().any(|r| world.random_ids.contains(&(me, *r))) {
        true => Err(err(400, "RANDOM_ID_DUPLICATE")),
        false => Ok(()),
    }
}

fn deliver(
    ctx: &CallCtx,
    world: &mut World,
    me: AccountId,
    to: Target,
    reply_to: Option<i32>,
    body: Body,
    random_id: i64,
) -> Result<tl::enums::Updates, RpcErr> {
    unused(world, me, &[random_id])?;
    let sent = match to {
        Target::User(u) => send::private(&ctx.shared, world, me, u, reply_to, body, Some(random_id)).map(|r| r.0),
        Target::Channel(c) => send::channel(&ctx.shared, world, c, me, body, Some(random_id)).map(|r| r.0),
    }?;
    world.random_ids.insert((me, random_id));
    Ok(sent)
}

pub fn send_message(ctx: &CallCtx, req: tl::functions::messages::SendMessage) -> Result<tl::enums::Updates, RpcErr> {
    let mut world = ctx.shared.world();
    let me = ctx.me(&world)?;
    let to = resolve_peer(&world, me, &req.peer)?;
    let body = Body { text: req.message, markup: req.reply_markup, protected: req.noforwards, ..Body::default() };
    deliver(ctx, &mut world, me, to, reply_to_id(&req.reply_to), body, req.random_id)
}

pub fn send_media(ctx: &CallCtx, req: tl::functions::messages::SendMedia) -> Result<tl::enums::Updates, RpcErr> {
    let mut world = ctx.shared.world();
    let me = ctx.me(&world)?;
    let to = resolve_peer(&world, me, &req.peer)?;
    let file = super::upload::input_media_file(&mut world, me, ctx.dc, req.media)?;
    let body = Body {
        text: req.message,
        media: Some(file),
        markup: req.reply_markup,
        protected: req.noforwards,
        ..Body::default()
    };
    deliver(ctx, &mut world, me, to, reply_to_id(&req.reply_to), body, req.random_id)
}

fn apply_edit(
    body: &mut Body,
    text: Option<String>,
    markup: Option<tl::enums::ReplyMarkup>,
    media: Option<i64>,
) -> Result<(), RpcErr> {
    let before = (body.text.clone(), body.markup.clone(), body.media);
    if let Some(t) = text {
        body.text = t;
    }
    if markup.is_some() {
        body.markup = markup;
    }
    if media.is_some() {
        body.media = media;
    }
    if (body.text.clone(), body.markup.clone(), body.media) == before {
        return Err(err(400, "MESSAGE_NOT_MODIFIED"));
    }
    body.edit_date = Some(now());
    send::check_body(body)
}

pub fn edit_message(ctx: &CallCtx, req: tl::functions::messages::EditMessage) -> Result<tl::enums::Updates, RpcErr> {
    let mut world = ctx.shared.world();
    let me = ctx.me(&world)?;
    let to = resolve_peer(&world, me, &req.peer)?;
    let media = match req.media {
        Some(m) => Some(super::upload::input_media_file(&mut world, me, ctx.dc, m)?),
        None => None,
    };
    match to {
        Target::User(_) => {
            let idx = world.private_index_of(me, req.id).ok_or_else(|| err(400, "MESSAGE_ID_INVALID"))?;
            if world.private[idx].sender != me {
                return Err(err(403, "MESSAGE_AUTHOR_REQUIRED"));
            }
            let mut body = world.private[idx].body.clone();
            apply_edit(&mut body, req.message, req.reply_markup, media)?;
            world.private[idx].body = body;
            let rendered = render::private_message(&world, &world.private[idx], me);
            let logged = world
                .log_account(me, 1, |pts| tl::types::UpdateEditMessage { message: rendered, pts, pts_count: 1 }.into());
            ctx.shared.bump();
            Ok(send::updates(logged.map(|l| l.1).into_iter().collect(), &world, me))
        }
        Target::Channel(c) => {
            let ch = world.channels.get_mut(&c).ok_or_else(|| err(400, "CHANNEL_INVALID"))?;
            let admin = ch.admins.contains(&me);
            let msg = ch.messages.get_mut(&req.id).ok_or_else(|| err(400, "MESSAGE_ID_INVALID"))?;
            // A channel's admins may edit its posts (they all have "Edit messages" here).
            if msg.from != Some(me) && !admin {
                return Err(err(403, "MESSAGE_AUTHOR_REQUIRED"));
            }
            let mut body = msg.body.clone();
            apply_edit(&mut body, req.message, req.reply_markup, media)?;
            msg.body = body;
            let (ch, msg) = (world.channels[&c].clone(), world.channels[&c].messages[&req.id].clone());
            let rendered = render::channel_message(&world, &ch, &msg, me);
            let logged = world.log_channel(c, 1, |pts| {
                tl::types::UpdateEditChannelMessage { message: rendered, pts, pts_count: 1 }.into()
            });
            ctx.shared.bump();
            Ok(send::updates(logged.map(|l| l.1).into_iter().collect(), &world, me))
        }
    }
}

pub fn delete_messages(
    ctx: &CallCtx,
    req: tl::functions::messages::DeleteMessages,
) -> Result<tl::enums::messages::AffectedMessages, RpcErr> {
    let mut world = ctx.shared.world();
    let me = ctx.me(&world)?;
    let mut gone = Vec::new();
    for id in req.id {
        if let Some(idx) = world.private_index_of(me, id) {
            world.private[idx].deleted = true;
            gone.push(id);
        }
    }
    let pts = world.account(me).map_or(0, |a| a.pts);
    if gone.is_empty() {
        return Ok(tl::types::messages::AffectedMessages { pts, pts_count: 0 }.into());
    }
    let n = gone.len() as i32;
    let logged =
        world.log_account(me, n, |pts| tl::types::UpdateDeleteMessages { messages: gone, pts, pts_count: n }.into());
    ctx.shared.bump();
    Ok(tl::types::messages::AffectedMessages { pts: logged.map_or(pts, |l| l.0), pts_count: n }.into())
}

pub fn forward_messages(
    ctx: &CallCtx,
    req: tl::functions::messages::ForwardMessages,
) -> Result<tl::enums::Updates, RpcErr> {
    let mut world = ctx.shared.world();
    let me = ctx.me(&world)?;
    let from = resolve_peer(&world, me, &req.from_peer)?;
    let to = resolve_peer(&world, me, &req.to_peer)?;
    if req.id.is_empty() || req.id.len() != req.random_id.len() || req.id.len() > 100 {
        return Err(err(400, "RANDOM_ID_INVALID"));
    }
    unused(&world, me, &req.random_id)?;
    let mut all = Vec::new();
    for (id, random_id) in req.id.iter().zip(&req.random_id) {
        let (mut body, origin, date, post) = match from {
            Target::User(_) => {
                let m = world.private_by_owner_id(me, *id).ok_or_else(|| err(400, "MESSAGE_ID_INVALID"))?;
                (m.body.clone(), render::peer_user(m.sender), m.date, None)
            }
            Target::Channel(c) => {
                let m = world
                    .channels
                    .get(&c)
                    .and_then(|ch| ch.messages.get(id))
                    .ok_or_else(|| err(400, "MESSAGE_ID_INVALID"))?;
                (m.body.clone(), render::peer_channel(c), m.date, Some(*id))
            }
        };
        body.markup = None;
        body.edit_date = None;
        body.grouped_id = None;
        if body.fwd_from.is_none() && !req.drop_author {
            body.fwd_from = Some(render::forward_header(origin, date, post));
        }
        if req.drop_author {
            body.fwd_from = None;
        }
        if let tl::enums::Updates::Updates(u) = deliver(ctx, &mut world, me, to, None, body, *random_id)? {
            all.extend(u.updates);
        }
    }
    Ok(send::updates(all, &world, me))
}

pub fn get_messages(
    ctx: &CallCtx,
    req: tl::functions::messages::GetMessages,
) -> Result<tl::enums::messages::Messages, RpcErr> {
    let world = ctx.shared.world();
    let me = ctx.me(&world)?;
    let messages = req
        .id
        .iter()
        .map(|m| {
            let id = match m {
                tl::enums::InputMessage::Id(i) => i.id,
                // "The message this one answers" (how clients fetch a reply's target).
                tl::enums::InputMessage::ReplyTo(r) => world
                    .private_by_owner_id(me, r.id)
                    .and_then(|p| p.reply_to)
                    .and_then(|i| world.private.get(i))
                    .map_or(0, |target| target.id_for(me)),
                _ => 0,
            };
            match world.private_by_owner_id(me, id) {
                Some(p) => render::private_message(&world, p, me),
                None => tl::types::MessageEmpty { id, peer_id: None }.into(),
            }
        })
        .collect();
    let (users, chats) = super::updates::peers(&world, me);
    Ok(tl::types::messages::Messages { messages, topics: Vec::new(), chats, users }.into())
}

pub fn set_bot_callback_answer(
    ctx: &CallCtx,
    req: tl::functions::messages::SetBotCallbackAnswer,
) -> Result<bool, RpcErr> {
    {
        let world = ctx.shared.world();
        ctx.me(&world)?;
    }
    let answer = crate::CallbackAnswer { text: req.message, alert: req.alert, url: req.url };
    if ctx.shared.answer_callback(req.query_id, answer) { Ok(true) } else { Err(err(400, "QUERY_ID_INVALID")) }
}
