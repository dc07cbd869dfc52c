//! The scripted side of the simulator: creating accounts and channels, users who send text
//! and files to a bot and press its buttons, and reading back everything the bot sent.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use grammers_session::SessionData;
use grammers_tl_types as tl;
use tokio::sync::oneshot;

use super::api::send;
use super::crypto::AuthKey;
pub use super::world::FileSpec;
use super::world::{Account, AccountId, Body, Channel, ChannelId, FileId, KeyEntry, SimFile};
use super::{CallbackAnswer, SimHandle, address, lock, render};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SimError {
    #[error("no such {0}")]
    NotFound(&'static str),
    #[error("Telegram refused: {code} {name}")]
    Rpc { code: i32, name: String },
    #[error("the message has no button with that callback data")]
    NoSuchButton,
    #[error("timed out waiting for {0}")]
    Timeout(&'static str),
    #[error("the username @{0} is taken")]
    Taken(String),
}

impl From<super::api::RpcErr> for SimError {
    fn from(e: super::api::RpcErr) -> Self {
        SimError::Rpc { code: e.code, name: e.name }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SeenButton {
    Url {
        text: String,
        url: String,
    },
    Callback {
        text: String,
        data: Vec<u8>,
    },
    /// Copies `copied` to the clipboard when pressed.
    Copy {
        text: String,
        copied: String,
    },
    Other {
        text: String,
    },
}

/// A message as the scripted user sees it.
#[derive(Clone, Debug)]
pub struct SeenMessage {
    pub id: i32,
    pub from: AccountId,
    pub text: String,
    pub media: Option<FileId>,
    pub buttons: Vec<Vec<SeenButton>>,
    pub reply_to: Option<i32>,
    pub edited: bool,
    pub deleted: bool,
    /// Sent with `noforwards` (protected content).
    pub protected: bool,
}

fn buttons(markup: &Option<tl::enums::ReplyMarkup>) -> Vec<Vec<SeenButton>> {
    let Some(tl::enums::ReplyMarkup::ReplyInlineMarkup(m)) = markup else {
        return Vec::new();
    };
    m.rows
        .iter()
        .map(|tl::enums::KeyboardInlineButtonRow::Row(r)| {
            r.buttons
                .iter()
                .map(|tl::enums::KeyboardInlineButton::Button(b)| match &b.r#type {
                    tl::enums::InlineButtonType::Url(u) => SeenButton::Url { text: b.text.clone(), url: u.url.clone() },
                    tl::enums::InlineButtonType::Callback(c) => {
                        SeenButton::Callback { text: b.text.clone(), data: c.data.clone() }
                    }
                    tl::enums::InlineButtonType::Copy(c) => {
                        SeenButton::Copy { text: b.text.clone(), copied: c.copy_text.clone() }
                    }
                    _ => SeenButton::Other { text: b.text.clone() },
                })
                .collect()
        })
        .collect()
}

impl SimHandle {
    pub(crate) fn new_account(
        &self,
        first_name: &str,
        username: Option<&str>,
        bot: bool,
        token: Option<&str>,
    ) -> AccountId {
        let mut world = self.shared.world();
        let id = 7_000_000_000 + world.fresh_id();
        world.accounts.insert(id, Account::new(id, first_name, username, bot, token));
        if let Some(token) = token {
            for (dc, _) in &self.shared.dcs {
                let key = AuthKey::new(address::derive_key(&self.shared.seed, token, *dc));
                world.keys.insert(key.id_u64(), KeyEntry { key, dc: *dc, account: None });
            }
        }
        id
    }

    /// Registers a bot; its token is what `auth.importBotAuthorization` accepts.
    pub fn add_bot(&self, token: &str, username: &str, name: &str) -> AccountId {
        self.new_account(name, Some(username), true, Some(token))
    }

    pub fn add_user(&self, first_name: &str, username: Option<&str>) -> AccountId {
        self.new_account(first_name, username, false, None)
    }

    /// A broadcast channel administered by `admins` (the bin channel is one).
    pub fn add_channel(&self, title: &str, username: Option<&str>, admins: &[AccountId]) -> ChannelId {
        self.add_chat(title, username, admins, false)
    }

    /// A supergroup: its members write in it as well as its admins.
    pub fn add_group(&self, title: &str, username: Option<&str>, admins: &[AccountId]) -> ChannelId {
        self.add_chat(title, username, admins, true)
    }

    fn add_chat(&self, title: &str, username: Option<&str>, admins: &[AccountId], group: bool) -> ChannelId {
        let mut world = self.shared.world();
        let id = 1_000_000_000 + world.fresh_id();
        world.channels.insert(
            id,
            Channel {
                id,
                access_hash: rand::random(),
                title: title.into(),
                username: username.map(str::to_string),
                pts: 1,
                next_msg_id: 0,
                messages: BTreeMap::new(),
                admins: admins.iter().copied().collect(),
                members: HashSet::new(),
                group,
                log: Vec::new(),
            },
        );
        id
    }

    /// `user` joins `channel` as a subscriber.
    pub fn join_channel(&self, channel: ChannelId, user: AccountId) -> Result<(), SimError> {
        let mut world = self.shared.world();
        world.channels.get_mut(&channel).ok_or(SimError::NotFound("channel"))?.members.insert(user);
        Ok(())
    }

    /// Deletes a channel message, as an admin of the channel would.
    pub fn delete_channel_message(&self, channel: ChannelId, id: i32) -> Result<(), SimError> {
        let mut world = self.shared.world();
        world.channels.get_mut(&channel).ok_or(SimError::NotFound("channel"))?.messages.remove(&id);
        Ok(())
    }

    /// The Bot API style id (`-100…`) operators put in BIN_CHANNEL.
    pub fn bot_api_channel_id(channel: ChannelId) -> i64 {
        -1_000_000_000_000 - channel
    }

    /// A session for a bot with this token: every DC's address and its pre-shared key.
    pub fn session_for(&self, token: &str) -> SessionData {
        let home = self.shared.world().bot_by_token(token).map_or(2, |b| b.home_dc);
        self.address().session_for(token, home)
    }

    pub fn send_text(&self, user: AccountId, bot: AccountId, text: &str) -> Result<i32, SimError> {
        let body = Body { text: text.into(), ..Body::default() };
        let mut world = self.shared.world();
        Ok(send::private(&self.shared, &mut world, user, bot, None, body, None)?.1)
    }

    /// The user answers one of the messages of their chat with the bot (`reply_to` is the
    /// message id as the user sees it).
    pub fn send_reply(&self, user: AccountId, bot: AccountId, reply_to: i32, text: &str) -> Result<i32, SimError> {
        let body = Body { text: text.into(), ..Body::default() };
        let mut world = self.shared.world();
        Ok(send::private(&self.shared, &mut world, user, bot, Some(reply_to), body, None)?.1)
    }

    pub fn add_file(&self, spec: FileSpec) -> FileId {
        self.shared.world().add_file(spec)
    }

    /// Sends a file (with a caption) to a bot; returns the user's message id and the file.
    pub fn send_file(
        &self,
        user: AccountId,
        bot: AccountId,
        spec: FileSpec,
        caption: &str,
    ) -> Result<(i32, FileId), SimError> {
        let file = self.add_file(spec);
        let body = Body { text: caption.into(), media: Some(file), ..Body::default() };
        let mut world = self.shared.world();
        Ok((send::private(&self.shared, &mut world, user, bot, None, body, None)?.1, file))
    }

    /// Sends a file as a reply to one of the messages of the user's chat with the bot
    /// (`reply_to` as the user sees it); returns the user's message id.
    pub fn send_file_reply(
        &self,
        user: AccountId,
        bot: AccountId,
        reply_to: i32,
        spec: FileSpec,
    ) -> Result<i32, SimError> {
        let file = self.add_file(spec);
        let body = Body { media: Some(file), ..Body::default() };
        let mut world = self.shared.world();
        Ok(send::private(&self.shared, &mut world, user, bot, Some(reply_to), body, None)?.1)
    }

    /// Posts to a channel as its owner would (not as any bot).
    pub fn channel_post(&self, channel: ChannelId, text: &str, file: Option<FileSpec>) -> Result<i32, SimError> {
        let media = file.map(|f| self.add_file(f));
        let ids = self.post_as_owner(channel, vec![Body { text: text.into(), media, ..Body::default() }])?;
        ids.first().copied().ok_or(SimError::NotFound("post"))
    }

    /// A member (or admin) writes in a group, with a file or not; the message's id.
    pub fn group_message(
        &self,
        group: ChannelId,
        user: AccountId,
        text: &str,
        file: Option<FileSpec>,
    ) -> Result<i32, SimError> {
        let media = file.map(|f| self.add_file(f));
        let body = Body { text: text.into(), media, ..Body::default() };
        let mut world = self.shared.world();
        Ok(send::channel(&self.shared, &mut world, group, user, body, None)?.1)
    }

    /// Posts an album (one post per file, sharing a grouped id) as the channel's owner would.
    pub fn channel_album(&self, channel: ChannelId, files: Vec<FileSpec>) -> Result<Vec<i32>, SimError> {
        let grouped = i64::from(rand::random::<u32>()) + 1;
        let bodies = files
            .into_iter()
            .map(|f| Body { media: Some(self.add_file(f)), grouped_id: Some(grouped), ..Body::default() })
            .collect();
        self.post_as_owner(channel, bodies)
    }

    /// The channel's owner (not any bot) posts `bodies`, in order; their ids.
    fn post_as_owner(&self, channel: ChannelId, bodies: Vec<Body>) -> Result<Vec<i32>, SimError> {
        let mut world = self.shared.world();
        let owner = -channel;
        world.channels.get_mut(&channel).ok_or(SimError::NotFound("channel"))?.admins.insert(owner);
        let mut ids = Vec::new();
        let mut result = Ok(());
        for body in bodies {
            match send::channel(&self.shared, &mut world, channel, owner, body, None) {
                Ok((_, id)) => ids.push(id),
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
        }
        if let Some(c) = world.channels.get_mut(&channel) {
            c.admins.remove(&owner);
        }
        result?;
        Ok(ids)
    }

    /// Everything `bot` sent to `user`, oldest first, as the user sees it (deleted ones flagged).
    pub fn messages_from(&self, bot: AccountId, user: AccountId) -> Vec<SeenMessage> {
        let world = self.shared.world();
        world
            .private
            .iter()
            .filter(|m| m.sender == bot && m.recipient == user)
            .map(|m| SeenMessage {
                id: m.recipient_msg_id,
                from: bot,
                text: m.body.text.clone(),
                media: m.body.media,
                buttons: buttons(&m.body.markup),
                reply_to: m.reply_to.and_then(|i| world.private.get(i)).map(|r| r.id_for(user)),
                edited: m.body.edit_date.is_some(),
                deleted: m.deleted,
                protected: m.body.protected,
            })
            .collect()
    }

    pub fn channel_messages(&self, channel: ChannelId) -> Vec<SeenMessage> {
        let world = self.shared.world();
        let Some(ch) = world.channels.get(&channel) else {
            return Vec::new();
        };
        ch.messages
            .values()
            .map(|m| SeenMessage {
                id: m.id,
                from: m.from.unwrap_or(0),
                text: m.body.text.clone(),
                media: m.body.media,
                buttons: buttons(&m.body.markup),
                reply_to: None,
                edited: m.body.edit_date.is_some(),
                deleted: false,
                protected: m.body.protected,
            })
            .collect()
    }

    pub fn file(&self, id: FileId) -> Option<SimFile> {
        self.shared.world().files.get(&id).cloned()
    }

    pub fn bot_commands(&self, bot: AccountId) -> Vec<(String, String)> {
        self.shared.world().account(bot).map(|a| a.commands.clone()).unwrap_or_default()
    }

    /// The user blocks the bot: the bot's messages to them fail from now on.
    pub fn block(&self, user: AccountId, bot: AccountId) {
        if let Some(b) = self.shared.world().accounts.get_mut(&bot) {
            b.blocked.insert(user);
        }
    }

    /// Waits until `check` returns something (re-checked after every change), or times out.
    pub async fn wait_for<T>(
        &self,
        timeout: Duration,
        what: &'static str,
        mut check: impl FnMut(&SimHandle) -> Option<T>,
    ) -> Result<T, SimError> {
        let mut rx = self.shared.changes.subscribe();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            rx.mark_unchanged();
            if let Some(v) = check(self) {
                return Ok(v);
            }
            if tokio::time::timeout_at(deadline, rx.changed()).await.is_err() {
                return Err(SimError::Timeout(what));
            }
        }
    }

    /// Waits for the `n`-th message (counting from 1) the bot sent to the user.
    pub async fn wait_for_message(
        &self,
        bot: AccountId,
        user: AccountId,
        n: usize,
        timeout: Duration,
    ) -> Result<SeenMessage, SimError> {
        self.wait_for(timeout, "the bot's message", |s| s.messages_from(bot, user).get(n - 1).cloned()).await
    }

    /// Presses an inline button and waits for the bot's answer, like a Telegram app does.
    pub async fn press_button(
        &self,
        user: AccountId,
        msg_id: i32,
        data: &[u8],
        timeout: Duration,
    ) -> Result<CallbackAnswer, SimError> {
        self.callback(user, msg_id, data, timeout, true).await
    }

    /// Sends callback data of the user's choosing for a message of the bot's, as a modified
    /// client can (Telegram does not check the data against the message's buttons); waits up
    /// to 30 s for the answer.
    pub async fn press_forged(&self, user: AccountId, msg_id: i32, data: &[u8]) -> Result<CallbackAnswer, SimError> {
        self.callback(user, msg_id, data, Duration::from_secs(30), false).await
    }

    async fn callback(
        &self,
        user: AccountId,
        msg_id: i32,
        data: &[u8],
        timeout: Duration,
        honest: bool,
    ) -> Result<CallbackAnswer, SimError> {
        let (tx, rx) = oneshot::channel();
        let query_id: i64 = rand::random();
        {
            let world = self.shared.world();
            let idx = world.private_index_of(user, msg_id).ok_or(SimError::NotFound("message"))?;
            let m = &world.private[idx];
            let has = buttons(&m.body.markup)
                .iter()
                .flatten()
                .any(|b| matches!(b, SeenButton::Callback { data: d, .. } if d == data));
            if (honest && !has) || m.recipient != user {
                return Err(SimError::NoSuchButton);
            }
            let bot = m.sender;
            let update = tl::types::UpdateBotCallbackQuery {
                query_id,
                user_id: user,
                peer: render::peer_user(user),
                msg_id: m.sender_msg_id,
                chat_instance: user ^ bot,
                data: Some(data.to_vec()),
                game_short_name: None,
            };
            lock(&self.shared.callbacks).insert(query_id, tx);
            let push = send::updates(vec![update.into()], &world, bot);
            self.shared.push(&world, bot, push);
        }
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(answer)) => Ok(answer),
            _ => {
                lock(&self.shared.callbacks).remove(&query_id);
                Err(SimError::Timeout("the bot's callback answer"))
            }
        }
    }
}
