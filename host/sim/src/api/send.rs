//! Delivering a message, shared by the bots' API calls and the scripted users: stores it,
//! advances pts in every box it lands in, and pushes it to connected bots.

use grammers_tl_types as tl;

use super::{RpcErr, err};
use crate::Shared;
use crate::render;
use crate::world::{AccountId, Body, ChannelId, World, now};

pub fn updates(update: Vec<tl::enums::Update>, world: &World, me: AccountId) -> tl::enums::Updates {
    let (users, chats) = super::updates::peers(world, me);
    tl::types::Updates { updates: update, users, chats, date: now(), seq: 0 }.into()
}

fn message_id_update(id: i32, random_id: Option<i64>) -> Option<tl::enums::Update> {
    random_id.map(|random_id| tl::types::UpdateMessageId { id, random_id }.into())
}

pub fn check_body(body: &Body) -> Result<(), RpcErr> {
    if body.text.chars().count() > if body.media.is_some() { 1024 } else { 4096 } {
        return Err(err(400, if body.media.is_some() { "MEDIA_CAPTION_TOO_LONG" } else { "MESSAGE_TOO_LONG" }));
    }
    if body.text.trim().is_empty() && body.media.is_none() {
        return Err(err(400, "MESSAGE_EMPTY"));
    }
    if let Some(tl::enums::ReplyMarkup::ReplyInlineMarkup(m)) = &body.markup {
        for tl::enums::KeyboardInlineButtonRow::Row(row) in &m.rows {
            for tl::enums::KeyboardInlineButton::Button(b) in &row.buttons {
                match &b.r#type {
                    tl::enums::InlineButtonType::Callback(c) if c.data.len() > 64 || c.data.is_empty() => {
                        return Err(err(400, "BUTTON_DATA_INVALID"));
                    }
                    tl::enums::InlineButtonType::Url(u)
                        if !(u.url.starts_with("http://")
                            || u.url.starts_with("https://")
                            || u.url.starts_with("tg://")) =>
                    {
                        return Err(err(400, "BUTTON_URL_INVALID"));
                    }
                    _ => {}
                }
            }
        }
    }
    Ok(())
}

/// Sends a private message; returns the updates the sender gets back (its own message, with
/// the random id mapped) and the message's id as the sender sees it.
pub fn private(
    shared: &Shared,
    world: &mut World,
    sender: AccountId,
    recipient: AccountId,
    reply_to: Option<i32>,
    body: Body,
    random_id: Option<i64>,
) -> Result<(tl::enums::Updates, i32), RpcErr> {
    check_body(&body)?;
    let (Some(s), Some(r)) = (world.account(sender), world.account(recipient)) else {
        return Err(err(400, "PEER_ID_INVALID"));
    };
    if s.bot && r.bot {
        return Err(err(400, "USER_IS_BOT"));
    }
    if s.bot && s.blocked.contains(&recipient) {
        return Err(err(403, "USER_IS_BLOCKED"));
    }
    if s.bot
        && let Err(wait) = shared.chat_limit(sender, recipient)
    {
        return Err(err(420, format!("FLOOD_WAIT_{wait}")));
    }
    let reply_to = reply_to.and_then(|r| world.private_index_of(sender, r));
    let idx = world.add_private(sender, recipient, reply_to, body).ok_or_else(|| err(400, "PEER_ID_INVALID"))?;
    let mut sender_updates = Vec::new();
    for (side, is_sender) in [(sender, true), (recipient, false)] {
        if !world.account(side).is_some_and(|a| a.bot) {
            continue;
        }
        let rendered = render::private_message(world, &world.private[idx], side);
        let logged = world
            .log_account(side, 1, |pts| tl::types::UpdateNewMessage { message: rendered, pts, pts_count: 1 }.into());
        if let Some((_, u)) = logged {
            if is_sender {
                sender_updates.extend(message_id_update(world.private[idx].id_for(side), random_id));
                sender_updates.push(u);
            } else {
                let push = updates(vec![u], world, side);
                shared.push(world, side, push);
            }
        }
    }
    shared.bump();
    let id = world.private[idx].id_for(sender);
    Ok((updates(sender_updates, world, sender), id))
}

/// Posts to a channel; the poster must administer it.
pub fn channel(
    shared: &Shared,
    world: &mut World,
    channel: ChannelId,
    from: AccountId,
    body: Body,
    random_id: Option<i64>,
) -> Result<(tl::enums::Updates, i32), RpcErr> {
    check_body(&body)?;
    // In a channel only admins post; in a group its members write too.
    if !world.channels.get(&channel).is_some_and(|c| c.admins.contains(&from) || (c.group && c.members.contains(&from)))
    {
        return Err(err(403, "CHAT_WRITE_FORBIDDEN"));
    }
    let id = world.add_channel_message(channel, Some(from), body).ok_or_else(|| err(400, "CHANNEL_INVALID"))?;
    let Some(ch) = world.channels.get(&channel) else {
        return Err(err(400, "CHANNEL_INVALID"));
    };
    let rendered_for_sender = ch.messages.get(&id).map(|m| render::channel_message(world, ch, m, from));
    let rendered = ch.messages.get(&id).map(|m| render::channel_message(world, ch, m, 0));
    let (Some(mine), Some(theirs)) = (rendered_for_sender, rendered) else {
        return Err(err(400, "CHANNEL_INVALID"));
    };
    let logged = world.log_channel(channel, 1, |pts| {
        tl::types::UpdateNewChannelMessage { message: theirs, pts, pts_count: 1 }.into()
    });
    let Some((pts, update)) = logged else {
        return Err(err(400, "CHANNEL_INVALID"));
    };
    for bot in world.channel_bots(channel) {
        if bot != from {
            let push = updates(vec![update.clone()], world, bot);
            shared.push(world, bot, push);
        }
    }
    shared.bump();
    let mut mine_updates: Vec<tl::enums::Update> = message_id_update(id, random_id).into_iter().collect();
    mine_updates.push(tl::types::UpdateNewChannelMessage { message: mine, pts, pts_count: 1 }.into());
    Ok((updates(mine_updates, world, from), id))
}
