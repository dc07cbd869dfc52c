//! Who may read which chat through a plugin. The bot can read every channel it sits in — the
//! bin channel holds every user's files — so a plugin reading messages or making links on a
//! user's behalf (/batch) may reach only what that user could read themselves:
//!
//! - the bin channel: admins only (or a plugin granted `bin-channel`);
//! - a public channel or group (it has a username): anyone;
//! - a private one: its members, as Telegram says (`channels.getParticipant`; a yes is kept a
//!   minute, a no is asked again next time);
//! - a private chat: only the user's own chat with the bot.
//!
//! Admins may read whatever the bot reads; a wake-up (no user) acts with the plugin's own grants.

use std::time::Duration;

use grammers_client::{Client, InvocationError, tl};
use moka::future::Cache;

use super::bindings::types::{HostError, Permission};
use super::grants::Grants;
use super::scope::CallScope;

const FRESH: Duration = Duration::from_secs(60);

pub struct Readers {
    client: Client,
    /// Bot API id of the bin channel.
    bin_channel: i64,
    /// (user, chat) pairs Telegram said yes to.
    cache: Cache<(i64, i64), ()>,
}

fn channel_id(chat: i64) -> Option<i64> {
    (chat < -1_000_000_000_000).then(|| -(chat + 1_000_000_000_000))
}

impl Readers {
    pub fn new(client: Client, bin_channel: i64) -> Readers {
        Readers { client, bin_channel, cache: Cache::builder().max_capacity(100_000).time_to_live(FRESH).build() }
    }

    /// Whether a call for `scope` with `grants` may read `chat`'s messages and files.
    pub async fn check(&self, scope: &CallScope, grants: &Grants, chat: i64) -> Result<(), HostError> {
        let denied = || Err(HostError::Denied(Permission::Telegram));
        if chat == 0 {
            return Err(HostError::NotFound);
        }
        if chat == self.bin_channel {
            return if scope.admin || grants.bin_channel { Ok(()) } else { denied() };
        }
        let Some(user) = scope.user else { return Ok(()) };
        if scope.admin {
            return Ok(());
        }
        if chat > 0 {
            return if chat == user { Ok(()) } else { denied() };
        }
        // Only a yes is kept: someone who joins after a refusal may try again at once.
        if self.cache.get(&(user, chat)).await.is_some() {
            return Ok(());
        }
        match may_read(&self.client, user, chat).await {
            Ok(true) => {
                self.cache.insert((user, chat), ()).await;
                Ok(())
            }
            Ok(false) => denied(),
            Err(e) => Err(HostError::Failed(format!("could not check who may read that chat: {e}"))),
        }
    }
}

async fn may_read(client: &Client, user: i64, chat: i64) -> Result<bool, InvocationError> {
    let Some(id) = channel_id(chat) else {
        // A basic group: bots cannot ask who is in it, so it is not batchable by non-admins.
        return Ok(false);
    };
    let channel: tl::enums::InputChannel = tl::types::InputChannel { channel_id: id, access_hash: 0 }.into();
    let chats = client.invoke(&tl::functions::channels::GetChannels { id: vec![channel.clone()] }).await?;
    let list = match chats {
        tl::enums::messages::Chats::Chats(c) => c.chats,
        tl::enums::messages::Chats::Slice(c) => c.chats,
    };
    let public = list.iter().any(|c| match c {
        tl::enums::Chat::Channel(ch) => ch.id == id && ch.username.as_deref().is_some_and(|u| !u.is_empty()),
        _ => false,
    });
    if public {
        return Ok(true);
    }
    let asked = client
        .invoke(&tl::functions::channels::GetParticipant {
            channel,
            participant: tl::types::InputPeerUser { user_id: user, access_hash: 0 }.into(),
        })
        .await;
    match asked {
        Ok(_) => Ok(true),
        Err(InvocationError::Rpc(e))
            if matches!(e.name.as_str(), "USER_NOT_PARTICIPANT" | "PARTICIPANT_ID_INVALID") =>
        {
            Ok(false)
        }
        Err(e) => Err(e),
    }
}
