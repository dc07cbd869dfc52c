//! The simulated Telegram's state: accounts, private chats, channels, files, authorization keys.
//!
//! Everything lives behind one mutex held only for short, non-async sections; the connection
//! tasks render what they need into TL objects while holding it and do their I/O after.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use grammers_tl_types as tl;

use super::content::Content;
use super::crypto::AuthKey;

pub type AccountId = i64;
pub type ChannelId = i64;
pub type FileId = i64;

/// A user or a bot.
#[derive(Clone, Debug)]
pub struct Account {
    pub id: AccountId,
    pub access_hash: i64,
    pub first_name: String,
    pub username: Option<String>,
    pub bot: bool,
    /// Bots only: the token `auth.importBotAuthorization` accepts.
    pub token: Option<String>,
    pub home_dc: i32,
    /// The account's common message box: private-chat message ids and pts.
    pub pts: i32,
    pub next_msg_id: i32,
    /// Every pts-carrying update of the common box, for `updates.getDifference`.
    pub log: Vec<Logged>,
    /// Users who blocked this bot (sending to them fails with USER_IS_BLOCKED).
    pub blocked: HashSet<AccountId>,
    /// Bots only: what `bots.setBotCommands` set, for tests and the console to show.
    pub commands: Vec<(String, String)>,
}

impl Account {
    /// A fresh account on DC 2 with an empty message box.
    pub fn new(id: AccountId, first_name: &str, username: Option<&str>, bot: bool, token: Option<&str>) -> Account {
        Account {
            id,
            access_hash: rand::random(),
            first_name: first_name.into(),
            username: username.map(str::to_string),
            bot,
            token: token.map(str::to_string),
            home_dc: 2,
            pts: 1,
            next_msg_id: 0,
            log: Vec::new(),
            blocked: HashSet::new(),
            commands: Vec::new(),
        }
    }
}

/// An update as it was pushed, kept so a client that missed it can catch up.
#[derive(Clone, Debug)]
pub struct Logged {
    pub pts: i32,
    pub update: tl::enums::Update,
}

/// What a message holds, whoever sees it.
#[derive(Clone, Debug, Default)]
pub struct Body {
    pub text: String,
    pub media: Option<FileId>,
    pub markup: Option<tl::enums::ReplyMarkup>,
    pub fwd_from: Option<tl::enums::MessageFwdHeader>,
    pub grouped_id: Option<i64>,
    pub edit_date: Option<i32>,
    /// Sent with `noforwards`: its recipient cannot forward or save it.
    pub protected: bool,
}

/// A message of a private chat: one record, seen under a different id by each side, the way
/// Telegram numbers private messages per account.
#[derive(Clone, Debug)]
pub struct PrivateMessage {
    pub sender: AccountId,
    pub recipient: AccountId,
    pub sender_msg_id: i32,
    pub recipient_msg_id: i32,
    pub date: i32,
    /// The replied-to message, as an index into [`World::private`] (each side numbers it).
    pub reply_to: Option<usize>,
    pub body: Body,
    pub deleted: bool,
}

impl PrivateMessage {
    /// The id under which `owner` sees this message.
    pub fn id_for(&self, owner: AccountId) -> i32 {
        if owner == self.sender { self.sender_msg_id } else { self.recipient_msg_id }
    }
}

#[derive(Clone, Debug)]
pub struct ChannelMessage {
    pub id: i32,
    pub from: Option<AccountId>,
    pub date: i32,
    pub body: Body,
}

#[derive(Clone, Debug)]
pub struct Channel {
    pub id: ChannelId,
    pub access_hash: i64,
    pub title: String,
    pub username: Option<String>,
    pub pts: i32,
    pub next_msg_id: i32,
    pub messages: BTreeMap<i32, ChannelMessage>,
    /// Accounts that may post and read (bots must be admins to see a channel at all).
    pub admins: HashSet<AccountId>,
    /// Subscribers who are not admins (they read; `channels.getParticipant` finds them).
    pub members: HashSet<AccountId>,
    /// A supergroup rather than a broadcast channel: members write too, messages have authors.
    pub group: bool,
    pub log: Vec<Logged>,
}

/// What kind of media a file is, with the attributes Telegram reports for it.
#[derive(Clone, Debug, PartialEq)]
pub enum FileKind {
    Document,
    Video { duration: f64, width: i32, height: i32 },
    Audio { duration: i32, title: Option<String>, performer: Option<String> },
    Voice { duration: i32 },
    Animation { width: i32, height: i32 },
    Photo { width: i32, height: i32 },
}

#[derive(Clone, Debug)]
pub struct SimFile {
    pub id: FileId,
    pub access_hash: i64,
    pub dc_id: i32,
    pub name: String,
    pub mime: String,
    pub kind: FileKind,
    pub content: Content,
    /// Rotated by [`World::rotate_file_reference`]; requests with an older one are refused
    /// with FILE_REFERENCE_EXPIRED, as Telegram does after a reference ages out.
    pub file_reference: Vec<u8>,
    pub date: i32,
    /// The document's thumbnail (Telegram's `m` size), as videos and music with a cover have.
    pub thumb: Option<Thumb>,
}

/// A JPEG thumbnail of a document, served by `upload.getFile` with `thumb_size = "m"`.
#[derive(Clone, Debug)]
pub struct Thumb {
    pub bytes: Arc<Vec<u8>>,
    pub w: i32,
    pub h: i32,
}

/// A file as it comes into the world: what a scripted user sends, or what a bot uploads.
#[derive(Clone, Debug)]
pub struct FileSpec {
    pub name: String,
    pub mime: String,
    pub kind: FileKind,
    pub content: Content,
    /// Where Telegram stores it: a bot on another DC gets FILE_MIGRATE when it downloads.
    pub dc: i32,
    /// A thumbnail (JPEG), as Telegram makes for videos and keeps for music with a cover.
    pub thumb: Option<Thumb>,
}

impl FileSpec {
    pub fn document(name: &str, mime: &str, bytes: Vec<u8>) -> Self {
        Self {
            name: name.into(),
            mime: mime.into(),
            kind: FileKind::Document,
            content: Content::Bytes(bytes.into()),
            dc: 2,
            thumb: None,
        }
    }

    /// A file of any size whose bytes are generated (see [`Content::Seeded`]).
    pub fn seeded(name: &str, mime: &str, size: u64, seed: u64) -> Self {
        Self {
            name: name.into(),
            mime: mime.into(),
            kind: FileKind::Document,
            content: Content::Seeded { seed, size },
            dc: 2,
            thumb: None,
        }
    }

    pub fn kind(mut self, kind: FileKind) -> Self {
        self.kind = kind;
        self
    }

    pub fn on_dc(mut self, dc: i32) -> Self {
        self.dc = dc;
        self
    }

    pub fn with_thumb(mut self, jpeg: &[u8], w: i32, h: i32) -> Self {
        self.thumb = Some(Thumb { bytes: jpeg.to_vec().into(), w, h });
        self
    }
}

/// An authorization key the simulator knows, and whom it is bound to.
#[derive(Clone)]
pub struct KeyEntry {
    pub key: AuthKey,
    pub dc: i32,
    pub account: Option<AccountId>,
}

#[derive(Default)]
pub struct World {
    pub accounts: HashMap<AccountId, Account>,
    pub private: Vec<PrivateMessage>,
    /// (owner, id as the owner sees it) → index into `private`.
    pub private_index: HashMap<(AccountId, i32), usize>,
    pub channels: HashMap<ChannelId, Channel>,
    pub files: HashMap<FileId, SimFile>,
    pub keys: HashMap<u64, KeyEntry>,
    /// `auth.exportAuthorization` results waiting for their import: id → (account, bytes, dc).
    pub exported: HashMap<i64, (AccountId, Vec<u8>, i32)>,
    /// Parts from `upload.saveFilePart`, by (uploader, client file id).
    pub uploads: HashMap<(AccountId, i64), BTreeMap<i32, Vec<u8>>>,
    /// Every `random_id` a sender used: Telegram refuses a second message with one
    /// (`RANDOM_ID_DUPLICATE`), which is what makes a repeated send after a crash harmless.
    pub random_ids: std::collections::HashSet<(AccountId, i64)>,
    pub next_id: i64,
}

pub fn now() -> i32 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i32).unwrap_or(0)
}

impl World {
    pub fn fresh_id(&mut self) -> i64 {
        self.next_id += 1;
        self.next_id
    }

    pub fn account(&self, id: AccountId) -> Option<&Account> {
        self.accounts.get(&id)
    }

    pub fn bot_by_token(&self, token: &str) -> Option<&Account> {
        self.accounts.values().find(|a| a.token.as_deref() == Some(token))
    }

    pub fn account_by_username(&self, name: &str) -> Option<&Account> {
        self.accounts.values().find(|a| a.username.as_deref().is_some_and(|u| u.eq_ignore_ascii_case(name)))
    }

    pub fn channel_by_username(&self, name: &str) -> Option<&Channel> {
        self.channels.values().find(|c| c.username.as_deref().is_some_and(|u| u.eq_ignore_ascii_case(name)))
    }

    /// Stores a private message in both boxes and returns its index; the pts updates are the
    /// caller's (it knows which side is a bot that needs pushing).
    pub fn add_private(
        &mut self,
        sender: AccountId,
        recipient: AccountId,
        reply_to: Option<usize>,
        body: Body,
    ) -> Option<usize> {
        let sender_msg_id = self.accounts.get_mut(&sender).map(|a| {
            a.next_msg_id += 1;
            a.next_msg_id
        })?;
        let recipient_msg_id = self.accounts.get_mut(&recipient).map(|a| {
            a.next_msg_id += 1;
            a.next_msg_id
        })?;
        let idx = self.private.len();
        self.private.push(PrivateMessage {
            sender,
            recipient,
            sender_msg_id,
            recipient_msg_id,
            date: now(),
            reply_to,
            body,
            deleted: false,
        });
        self.private_index.insert((sender, sender_msg_id), idx);
        self.private_index.insert((recipient, recipient_msg_id), idx);
        Some(idx)
    }

    pub fn private_index_of(&self, owner: AccountId, id: i32) -> Option<usize> {
        self.private_index.get(&(owner, id)).copied().filter(|i| self.private.get(*i).is_some_and(|m| !m.deleted))
    }

    pub fn private_by_owner_id(&self, owner: AccountId, id: i32) -> Option<&PrivateMessage> {
        self.private_index.get(&(owner, id)).and_then(|i| self.private.get(*i)).filter(|m| !m.deleted)
    }

    /// Appends a pts-carrying update to an account's box and returns the pts it got.
    pub fn log_account(
        &mut self,
        owner: AccountId,
        count: i32,
        make: impl FnOnce(i32) -> tl::enums::Update,
    ) -> Option<(i32, tl::enums::Update)> {
        let acc = self.accounts.get_mut(&owner)?;
        acc.pts += count;
        let update = make(acc.pts);
        acc.log.push(Logged { pts: acc.pts, update: update.clone() });
        Some((acc.pts, update))
    }

    pub fn log_channel(
        &mut self,
        channel: ChannelId,
        count: i32,
        make: impl FnOnce(i32) -> tl::enums::Update,
    ) -> Option<(i32, tl::enums::Update)> {
        let ch = self.channels.get_mut(&channel)?;
        ch.pts += count;
        let update = make(ch.pts);
        ch.log.push(Logged { pts: ch.pts, update: update.clone() });
        Some((ch.pts, update))
    }

    pub fn add_channel_message(&mut self, channel: ChannelId, from: Option<AccountId>, body: Body) -> Option<i32> {
        let ch = self.channels.get_mut(&channel)?;
        ch.next_msg_id += 1;
        let id = ch.next_msg_id;
        ch.messages.insert(id, ChannelMessage { id, from, date: now(), body });
        Some(id)
    }

    pub fn add_file(&mut self, spec: FileSpec) -> FileId {
        let FileSpec { name, mime, kind, content, dc: dc_id, thumb } = spec;
        let id = self.fresh_id() * 1_000_003;
        let access_hash: i64 = rand::random();
        let mut file_reference = vec![0u8; 16];
        rand::Rng::fill(&mut rand::thread_rng(), &mut file_reference[..]);
        self.files.insert(
            id,
            SimFile { id, access_hash, dc_id, name, mime, kind, content, file_reference, date: now(), thumb },
        );
        id
    }

    pub fn rotate_file_reference(&mut self, file: FileId) {
        if let Some(f) = self.files.get_mut(&file) {
            let mut r = vec![0u8; 16];
            rand::Rng::fill(&mut rand::thread_rng(), &mut r[..]);
            f.file_reference = r;
        }
    }

    /// The bot accounts that administer a channel (they receive its updates).
    pub fn channel_bots(&self, channel: ChannelId) -> Vec<AccountId> {
        self.channels
            .get(&channel)
            .map(|c| c.admins.iter().copied().filter(|a| self.accounts.get(a).is_some_and(|a| a.bot)).collect())
            .unwrap_or_default()
    }
}
