//! @BotFather: bots made while the simulator runs, the way a person makes one on Telegram. A
//! user asks for a bot and gets BotFather's "Done! Congratulations on your new bot" message with
//! its token in their chat with BotFather; they can forward that message to another bot (a
//! file-store bot's `/clone`), and BotFather can revoke a token (the bot's sessions end).

use super::address;
use super::api::send;
use super::crypto::AuthKey;
use super::world::{Account, AccountId, Body, KeyEntry};
use super::{SimError, SimHandle, render};

/// BotFather's user id, the same as on Telegram (a forwarded message's origin says it).
pub const BOTFATHER_ID: AccountId = 93_372_553;

/// What BotFather answers a new bot with (the shape file-store bots parse for the token).
pub fn congratulations(username: &str, token: &str) -> String {
    format!(
        "Done! Congratulations on your new bot. You will find it at t.me/{username}. You can now add a \
         description, about section and profile picture for your bot, see /help for a list of commands.\n\n\
         Use this token to access the HTTP API:\n{token}\nKeep your token secure and store it safely, it can be \
         used by anyone to control your bot."
    )
}

fn new_token(bot: AccountId) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
    let secret: String = (0..35).map(|_| ALPHABET[rand::random::<usize>() % ALPHABET.len()] as char).collect();
    format!("{}:{secret}", bot - 7_000_000_000 + 6_000_000_000)
}

impl SimHandle {
    /// BotFather itself, made on first use.
    fn botfather(&self) {
        let mut world = self.shared.world();
        world
            .accounts
            .entry(BOTFATHER_ID)
            .or_insert_with(|| Account::new(BOTFATHER_ID, "BotFather", Some("BotFather"), true, None));
    }

    /// `user` asks BotFather for a bot called `name`: it exists at once, as `@<name>_bot` (or
    /// `@<name>` when that already ends in `bot`), and BotFather's message with the token lands
    /// in the user's chat with BotFather. The bot, its token, and that message's id (as the user
    /// sees it).
    pub fn new_bot(&self, user: AccountId, name: &str) -> Result<(AccountId, String, i32), SimError> {
        self.botfather();
        let base: String = name.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
        let username = if base.to_ascii_lowercase().ends_with("bot") { base.clone() } else { format!("{base}_bot") };
        if self.shared.world().accounts.values().any(|a| a.username.as_deref() == Some(username.as_str())) {
            return Err(SimError::Taken(username));
        }
        // The token names the bot, so make the account first, then give it its token.
        let bot = self.new_account(name, Some(&username), true, None);
        let token = new_token(bot);
        self.set_token(bot, &token);
        let body = Body { text: congratulations(&username, &token), ..Body::default() };
        let mut world = self.shared.world();
        let (_, _) = send::private(&self.shared, &mut world, BOTFATHER_ID, user, None, body, None)?;
        let id = world
            .private
            .iter()
            .rev()
            .find(|m| m.sender == BOTFATHER_ID && m.recipient == user)
            .map(|m| m.id_for(user))
            .ok_or(SimError::NotFound("BotFather's message"))?;
        Ok((bot, token, id))
    }

    /// The user forwards a message of their chat with BotFather (`message`, as they see it) to
    /// `to`: it arrives with a forward header naming BotFather, as on Telegram.
    pub fn forward_from_botfather(&self, user: AccountId, message: i32, to: AccountId) -> Result<i32, SimError> {
        let mut world = self.shared.world();
        let m = world.private_by_owner_id(user, message).ok_or(SimError::NotFound("message"))?;
        if m.sender != BOTFATHER_ID {
            return Err(SimError::NotFound("a message from BotFather"));
        }
        let header = render::forward_header(render::peer_user(BOTFATHER_ID), m.date, None);
        let body = Body { text: m.body.text.clone(), fwd_from: Some(header), ..Body::default() };
        Ok(send::private(&self.shared, &mut world, user, to, None, body, None)?.1)
    }

    /// BotFather revokes `bot`'s token: the old one no longer logs in, every session of the bot
    /// ends (AUTH_KEY_UNREGISTERED), and the new token is returned.
    pub fn revoke_token(&self, bot: AccountId) -> Result<String, SimError> {
        let token = new_token(bot);
        {
            let mut world = self.shared.world();
            if !world.account(bot).is_some_and(|a| a.bot) {
                return Err(SimError::NotFound("bot"));
            }
            for k in world.keys.values_mut() {
                if k.account == Some(bot) {
                    k.account = None;
                }
            }
        }
        self.set_token(bot, &token);
        self.shared.bump();
        Ok(token)
    }

    /// Gives a bot its token and the per-DC keys sessions for it use.
    fn set_token(&self, bot: AccountId, token: &str) {
        let mut world = self.shared.world();
        if let Some(a) = world.accounts.get_mut(&bot) {
            a.token = Some(token.to_string());
        }
        for (dc, _) in &self.shared.dcs {
            let key = AuthKey::new(address::derive_key(&self.shared.seed, token, *dc));
            world.keys.insert(key.id_u64(), KeyEntry { key, dc: *dc, account: None });
        }
    }

    /// Every bot by username (BotFather's included), for the console.
    pub fn bot_named(&self, username: &str) -> Option<AccountId> {
        let name = username.trim_start_matches('@');
        self.shared
            .world()
            .accounts
            .values()
            .find(|a| a.bot && a.username.as_deref().is_some_and(|u| u.eq_ignore_ascii_case(name)))
            .map(|a| a.id)
    }

    pub fn username_of(&self, account: AccountId) -> Option<String> {
        self.shared.world().account(account).and_then(|a| a.username.clone())
    }

    /// Every bot account.
    pub fn bots(&self) -> Vec<AccountId> {
        let mut ids: Vec<AccountId> = self.shared.world().accounts.values().filter(|a| a.bot).map(|a| a.id).collect();
        ids.sort();
        ids
    }
}

#[cfg(test)]
mod tests {
    use grammers_tl_types as tl;

    use super::*;

    #[tokio::test]
    async fn botfather_makes_bots_forwards_and_revokes() {
        let sim = crate::Simulator::start(crate::SimConfig::default()).await.expect("starts");
        let h = sim.handle();
        let user = h.add_user("Ann", Some("ann"));
        let host = h.add_bot("1:host", "host_bot", "Host");
        let (bot, token, msg) = h.new_bot(user, "Films").expect("made");
        assert_eq!(h.username_of(bot).as_deref(), Some("Films_bot"));
        assert_eq!(h.bot_named("@films_bot"), Some(bot));
        let told = h.messages_from(BOTFATHER_ID, user);
        assert!(
            told.iter().any(|m| m.id == msg && m.text.contains(&token) && m.text.starts_with("Done! Congratulations"))
        );
        assert!(matches!(h.new_bot(user, "Films"), Err(SimError::Taken(_))), "usernames are unique");
        // Forwarded to the host bot, it carries BotFather as its origin.
        h.forward_from_botfather(user, msg, host).expect("forwarded");
        let from = {
            let world = h.shared.world();
            let fwd = world.private.iter().rev().find(|m| m.recipient == host).expect("delivered");
            match &fwd.body.fwd_from {
                Some(tl::enums::MessageFwdHeader::Header(f)) => f.from_id.clone(),
                None => None,
            }
        };
        assert_eq!(from, Some(render::peer_user(BOTFATHER_ID)));
        assert!(h.forward_from_botfather(user, 999, host).is_err());
        // A revoked token no longer logs in; the new one does.
        let new = h.revoke_token(bot).expect("revoked");
        assert_ne!(new, token);
        assert!(h.shared.world().bot_by_token(&token).is_none());
        assert_eq!(h.shared.world().bot_by_token(&new).map(|a| a.id), Some(bot));
        sim.shutdown().await;
    }
}
