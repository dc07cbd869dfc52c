//! Turns the simulator's state into the TL objects a client receives.

use grammers_tl_types as tl;

use super::world::{Account, Body, Channel, ChannelMessage, FileKind, PrivateMessage, SimFile, World};

pub fn user(acc: &Account, viewer: i64) -> tl::enums::User {
    tl::types::User {
        is_self: acc.id == viewer,
        contact: false,
        mutual_contact: false,
        deleted: false,
        bot: acc.bot,
        bot_chat_history: false,
        bot_nochats: false,
        verified: false,
        restricted: false,
        min: false,
        bot_inline_geo: false,
        support: false,
        scam: false,
        apply_min_photo: false,
        fake: false,
        bot_attach_menu: false,
        premium: false,
        attach_menu_enabled: false,
        bot_can_edit: false,
        close_friend: false,
        stories_hidden: false,
        stories_unavailable: true,
        contact_require_premium: false,
        bot_business: false,
        bot_has_main_app: false,
        bot_forum_view: false,
        bot_forum_can_manage_topics: false,
        bot_can_manage_bots: false,
        bot_guestchat: false,
        bot_guard: false,
        id: acc.id,
        access_hash: Some(acc.access_hash),
        first_name: Some(acc.first_name.clone()),
        last_name: None,
        username: acc.username.clone(),
        phone: None,
        photo: None,
        status: None,
        bot_info_version: acc.bot.then_some(1),
        restriction_reason: None,
        bot_inline_placeholder: None,
        lang_code: Some("en".into()),
        emoji_status: None,
        usernames: None,
        stories_max_id: None,
        color: None,
        profile_color: None,
        bot_active_users: None,
        bot_verification_icon: None,
        send_paid_messages_stars: None,
        linked_community_id: None,
    }
    .into()
}

pub fn channel(ch: &Channel, viewer: i64) -> tl::enums::Chat {
    tl::types::Channel {
        creator: false,
        left: !ch.admins.contains(&viewer) && !ch.members.contains(&viewer),
        broadcast: !ch.group,
        verified: false,
        megagroup: ch.group,
        restricted: false,
        signatures: false,
        min: false,
        scam: false,
        has_link: false,
        has_geo: false,
        slowmode_enabled: false,
        call_active: false,
        call_not_empty: false,
        fake: false,
        gigagroup: false,
        noforwards: false,
        join_to_send: false,
        join_request: false,
        forum: false,
        stories_hidden: false,
        stories_hidden_min: false,
        stories_unavailable: true,
        signature_profiles: false,
        autotranslation: false,
        broadcast_messages_allowed: false,
        monoforum: false,
        forum_tabs: false,
        id: ch.id,
        access_hash: Some(ch.access_hash),
        title: ch.title.clone(),
        username: ch.username.clone(),
        photo: tl::enums::ChatPhoto::Empty,
        date: 0,
        restriction_reason: None,
        admin_rights: None,
        banned_rights: None,
        default_banned_rights: None,
        participants_count: Some(ch.admins.len() as i32),
        usernames: None,
        stories_max_id: None,
        color: None,
        profile_color: None,
        emoji_status: None,
        level: None,
        subscription_until_date: None,
        bot_verification_icon: None,
        send_paid_messages_stars: None,
        linked_monoforum_id: None,
        linked_community_id: None,
    }
    .into()
}

pub fn media(file: &SimFile) -> tl::enums::MessageMedia {
    match file.kind {
        FileKind::Photo { width, height } => photo(file, width, height),
        _ => document(file),
    }
}

fn photo(file: &SimFile, width: i32, height: i32) -> tl::enums::MessageMedia {
    let photo = tl::types::Photo {
        has_stickers: false,
        id: file.id,
        access_hash: file.access_hash,
        file_reference: file.file_reference.clone(),
        date: file.date,
        sizes: vec![
            tl::types::PhotoSize { r#type: "y".into(), w: width, h: height, size: file.content.len() as i32 }.into(),
        ],
        video_sizes: None,
        dc_id: file.dc_id,
    };
    tl::types::MessageMediaPhoto {
        spoiler: false,
        live_photo: false,
        photo: Some(photo.into()),
        ttl_seconds: None,
        video: None,
    }
    .into()
}

fn document(file: &SimFile) -> tl::enums::MessageMedia {
    let mut attributes: Vec<tl::enums::DocumentAttribute> =
        vec![tl::types::DocumentAttributeFilename { file_name: file.name.clone() }.into()];
    attributes.extend(kind_attributes(&file.kind));
    let document = tl::types::Document {
        id: file.id,
        access_hash: file.access_hash,
        file_reference: file.file_reference.clone(),
        date: file.date,
        mime_type: file.mime.clone(),
        size: file.content.len() as i64,
        thumbs: file.thumb.as_ref().map(|t| {
            vec![
                // Telegram lists a tiny inline preview first; clients must pick a real size.
                tl::types::PhotoStrippedSize { r#type: "i".into(), bytes: vec![1, 40, 40] }.into(),
                tl::types::PhotoSize { r#type: "m".into(), w: t.w, h: t.h, size: t.bytes.len() as i32 }.into(),
            ]
        }),
        video_thumbs: None,
        dc_id: file.dc_id,
        attributes,
    };
    tl::types::MessageMediaDocument {
        nopremium: false,
        spoiler: false,
        video: matches!(file.kind, FileKind::Video { .. }),
        round: false,
        voice: matches!(file.kind, FileKind::Voice { .. }),
        document: Some(document.into()),
        alt_documents: None,
        video_cover: None,
        video_timestamp: None,
        ttl_seconds: None,
    }
    .into()
}

/// The document attributes that say what kind of media a file is.
fn kind_attributes(kind: &FileKind) -> Vec<tl::enums::DocumentAttribute> {
    let audio = |voice, duration, title: &Option<String>, performer: &Option<String>| {
        tl::types::DocumentAttributeAudio {
            voice,
            duration,
            title: title.clone(),
            performer: performer.clone(),
            waveform: None,
        }
        .into()
    };
    match kind {
        FileKind::Video { duration, width, height } => vec![
            tl::types::DocumentAttributeVideo {
                round_message: false,
                supports_streaming: true,
                nosound: false,
                duration: *duration,
                w: *width,
                h: *height,
                preload_prefix_size: None,
                video_start_ts: None,
                video_codec: None,
            }
            .into(),
        ],
        FileKind::Audio { duration, title, performer } => vec![audio(false, *duration, title, performer)],
        FileKind::Voice { duration } => vec![audio(true, *duration, &None, &None)],
        FileKind::Animation { width, height } => vec![
            tl::enums::DocumentAttribute::Animated,
            tl::types::DocumentAttributeImageSize { w: *width, h: *height }.into(),
        ],
        FileKind::Document | FileKind::Photo { .. } => Vec::new(),
    }
}

/// Who and where a rendered message is: everything but its body.
struct Header {
    id: i32,
    out: bool,
    from: Option<tl::enums::Peer>,
    peer: tl::enums::Peer,
    date: i32,
    reply_to: Option<i32>,
    post: bool,
}

fn reply_header(to: i32) -> tl::enums::MessageReplyHeader {
    tl::types::MessageReplyHeader {
        reply_to_scheduled: false,
        forum_topic: false,
        quote: false,
        reply_to_ephemeral: false,
        reply_to_msg_id: Some(to),
        reply_to_peer_id: None,
        reply_from: None,
        reply_media: None,
        reply_to_top_id: None,
        quote_text: None,
        quote_entities: None,
        quote_offset: None,
        todo_item_id: None,
        poll_option: None,
    }
    .into()
}

fn message(world: &World, h: Header, body: &Body) -> tl::enums::Message {
    tl::types::Message {
        out: h.out,
        mentioned: false,
        media_unread: false,
        silent: false,
        post: h.post,
        from_scheduled: false,
        legacy: false,
        edit_hide: false,
        pinned: false,
        noforwards: body.protected,
        invert_media: false,
        offline: false,
        video_processing_pending: false,
        paid_suggested_post_stars: false,
        paid_suggested_post_ton: false,
        id: h.id,
        from_id: h.from,
        from_boosts_applied: None,
        from_rank: None,
        peer_id: h.peer,
        saved_peer_id: None,
        fwd_from: body.fwd_from.clone(),
        via_bot_id: None,
        via_business_bot_id: None,
        guestchat_via_from: None,
        reply_to: h.reply_to.map(reply_header),
        date: h.date,
        message: body.text.clone(),
        media: body.media.and_then(|f| world.files.get(&f)).map(media),
        reply_markup: body.markup.clone(),
        entities: None,
        views: None,
        forwards: None,
        replies: None,
        edit_date: body.edit_date,
        post_author: None,
        grouped_id: body.grouped_id,
        reactions: None,
        restriction_reason: None,
        ttl_period: None,
        quick_reply_shortcut_id: None,
        effect: None,
        factcheck: None,
        report_delivery_until_date: None,
        paid_message_stars: None,
        suggested_post: None,
        schedule_repeat_period: None,
        summary_from_language: None,
        rich_message: None,
    }
    .into()
}

/// "Forwarded from": where a copied message came from (`post`: the channel post's id).
pub fn forward_header(from: tl::enums::Peer, date: i32, post: Option<i32>) -> tl::enums::MessageFwdHeader {
    tl::types::MessageFwdHeader {
        imported: false,
        saved_out: false,
        from_id: Some(from),
        from_name: None,
        date,
        channel_post: post,
        post_author: None,
        saved_from_peer: None,
        saved_from_msg_id: None,
        saved_from_id: None,
        saved_from_name: None,
        saved_date: None,
        psa_type: None,
    }
    .into()
}

pub fn peer_user(id: i64) -> tl::enums::Peer {
    tl::types::PeerUser { user_id: id }.into()
}

pub fn peer_channel(id: i64) -> tl::enums::Peer {
    tl::types::PeerChannel { channel_id: id }.into()
}

/// A private message as `owner` sees it.
pub fn private_message(world: &World, m: &PrivateMessage, owner: i64) -> tl::enums::Message {
    let out = m.sender == owner;
    let other = if out { m.recipient } else { m.sender };
    let reply_to = m.reply_to.and_then(|i| world.private.get(i)).map(|r| r.id_for(owner));
    let h = Header {
        id: m.id_for(owner),
        out,
        from: Some(peer_user(m.sender)),
        peer: peer_user(other),
        date: m.date,
        reply_to,
        post: false,
    };
    message(world, h, &m.body)
}

pub fn channel_message(world: &World, ch: &Channel, m: &ChannelMessage, viewer: i64) -> tl::enums::Message {
    let h = Header {
        id: m.id,
        out: m.from == Some(viewer),
        // Posts by the channel itself (its owner, scripted) carry no author, as on Telegram.
        from: m.from.filter(|f| *f > 0).map(peer_user),
        peer: peer_channel(ch.id),
        date: m.date,
        reply_to: None,
        post: !ch.group,
    };
    message(world, h, &m.body)
}
