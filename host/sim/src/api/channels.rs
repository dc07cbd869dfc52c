//! `channels.*`: reading and deleting messages of a channel the bot administers (the bin channel).

use grammers_tl_types as tl;

use super::{CallCtx, RpcErr, err, resolve_channel};
use crate::render;

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

/// Whether a user is in a channel; the caller must administer it (bots check subscriptions).
pub fn get_participant(
    ctx: &CallCtx,
    req: tl::functions::channels::GetParticipant,
) -> Result<tl::enums::channels::ChannelParticipant, RpcErr> {
    let world = ctx.shared.world();
    let me = ctx.me(&world)?;
    let id = resolve_channel(&world, me, &req.channel)?;
    let ch = world.channels.get(&id).ok_or_else(|| err(400, "CHANNEL_INVALID"))?;
    let user = match &req.participant {
        tl::enums::InputPeer::User(u) => u.user_id,
        tl::enums::InputPeer::UserFromMessage(u) => u.user_id,
        // A bot asking about itself: what it may do in the channel.
        tl::enums::InputPeer::PeerSelf => me,
        _ => return Err(err(400, "PARTICIPANT_ID_INVALID")),
    };
    if !world.accounts.contains_key(&user) {
        return Err(err(400, "PARTICIPANT_ID_INVALID"));
    }
    let participant: tl::enums::ChannelParticipant = if ch.admins.contains(&user) {
        tl::types::ChannelParticipantAdmin {
            can_edit: false,
            is_self: user == me,
            user_id: user,
            // `self` and `inviter_id` share one flag: Telegram says who added you when it is you.
            inviter_id: (user == me).then_some(user),
            promoted_by: user,
            date: 0,
            admin_rights: tl::types::ChatAdminRights {
                change_info: false,
                post_messages: true,
                edit_messages: true,
                delete_messages: true,
                ban_users: false,
                invite_users: false,
                pin_messages: false,
                add_admins: false,
                anonymous: false,
                manage_call: false,
                other: false,
                manage_topics: false,
                post_stories: false,
                edit_stories: false,
                delete_stories: false,
                manage_direct_messages: false,
                manage_ranks: false,
                manage_linked_peers: false,
                manage_welcome_messages: false,
            }
            .into(),
            rank: None,
        }
        .into()
    } else if ch.members.contains(&user) {
        tl::types::ChannelParticipant { user_id: user, date: 0, subscription_until_date: None, rank: None }.into()
    } else {
        return Err(err(400, "USER_NOT_PARTICIPANT"));
    };
    let (users, chats) = super::updates::peers(&world, me);
    Ok(tl::types::channels::ChannelParticipant { participant, chats, users }.into())
}
