//! Idempotent sends. Telegram refuses a second message with a `random_id` the bot used before
//! (`RANDOM_ID_DUPLICATE`). A wake-up delivered again — after a `kill -9`, or by the standby
//! process that took over — is the same stored job, so the sends it makes get random ids derived
//! from the job and what is sent: the copies Telegram already has are not made again, and the
//! ones it never got go out. Nobody is skipped and nobody gets a message twice.

use grammers_client::{Client, InvocationError, tl};
use grammers_session::types::PeerRef;
use sha2::{Digest, Sha256};

/// The key of one send; the random id of each of its messages derives from it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SendKey(pub [u8; 32]);

impl SendKey {
    /// The key of the `n`-th identical send `what` (from 1; 0 names the send itself) that
    /// `plugin`'s wake-up for job `(id, created_ms)` makes. Counting identical sends keeps a plugin
    /// that sends the same thing twice in one wake-up sending it twice.
    pub fn derive(plugin: &str, job: (i64, i64), what: &[impl AsRef<[u8]>], n: u32) -> SendKey {
        let mut h = Sha256::new();
        h.update(b"beamgram send key\0");
        h.update(plugin.as_bytes());
        h.update(job.0.to_be_bytes());
        h.update(job.1.to_be_bytes());
        for part in what.iter().map(AsRef::as_ref) {
            h.update((part.len() as u64).to_be_bytes());
            h.update(part);
        }
        h.update(n.to_be_bytes());
        SendKey(h.finalize().into())
    }

    /// The random id of the `i`-th message of the send.
    pub fn random_id(&self, i: usize) -> i64 {
        let d = Sha256::new().chain_update(self.0).chain_update((i as u64).to_be_bytes()).finalize();
        i64::from_be_bytes([d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]])
    }
}

/// The keys of one wake-up delivery's sends, identical sends counted apart.
pub struct SendKeys {
    plugin: String,
    job: (i64, i64),
    seen: std::collections::HashMap<SendKey, u32>,
}

impl SendKeys {
    pub fn new(plugin: &str, job: (i64, i64)) -> SendKeys {
        SendKeys { plugin: plugin.into(), job, seen: Default::default() }
    }

    /// The key of the next send `what`.
    pub fn next(&mut self, what: &[impl AsRef<[u8]>]) -> SendKey {
        let n = self.seen.entry(SendKey::derive(&self.plugin, self.job, what, 0)).or_insert(0);
        *n += 1;
        SendKey::derive(&self.plugin, self.job, what, *n)
    }
}

/// What makes two text sends the same send: the chat and the text.
pub fn text_send(chat: i64, text: &str) -> [Vec<u8>; 3] {
    [b"send".to_vec(), chat.to_be_bytes().to_vec(), text.as_bytes().to_vec()]
}

/// Whether Telegram refused a send because a message with its random id exists already.
pub fn is_duplicate(e: &InvocationError) -> bool {
    matches!(e, InvocationError::Rpc(r) if r.name == "RANDOM_ID_DUPLICATE")
}

/// Sends a text message with the given random id (`noforwards`: protected content): its id,
/// or `None` when an earlier try with that random id got through already.
pub async fn send(
    client: &Client,
    to: PeerRef,
    text: String,
    reply_to: Option<i32>,
    markup: Option<tl::enums::ReplyMarkup>,
    random_id: i64,
    noforwards: bool,
) -> Result<Option<i32>, InvocationError> {
    let request = tl::functions::messages::SendMessage {
        no_webpage: true,
        silent: false,
        background: false,
        clear_draft: false,
        peer: to.into(),
        reply_to: reply_to.map(|id| {
            tl::types::InputReplyToMessage {
                reply_to_msg_id: id,
                top_msg_id: None,
                reply_to_peer_id: None,
                quote_text: None,
                quote_entities: None,
                quote_offset: None,
                monoforum_peer_id: None,
                todo_item_id: None,
                poll_option: None,
            }
            .into()
        }),
        message: text,
        random_id,
        reply_markup: markup,
        entities: None,
        schedule_date: None,
        schedule_repeat_period: None,
        send_as: None,
        noforwards,
        update_stickersets_order: false,
        invert_media: false,
        quick_reply_shortcut: None,
        effect: None,
        allow_paid_floodskip: false,
        allow_paid_stars: None,
        suggested_post: None,
        rich_message: None,
    };
    let updates = match client.invoke(&request).await {
        Ok(u) => u,
        Err(e) if is_duplicate(&e) => return Ok(None),
        Err(e) => return Err(e),
    };
    let found = match updates {
        tl::enums::Updates::UpdateShortSentMessage(m) => Some(m.id),
        tl::enums::Updates::Updates(u) => id_of(&u.updates, random_id),
        tl::enums::Updates::Combined(u) => id_of(&u.updates, random_id),
        _ => None,
    };
    Ok(found)
}

fn id_of(updates: &[tl::enums::Update], random_id: i64) -> Option<i32> {
    updates.iter().find_map(|u| match u {
        tl::enums::Update::MessageId(m) if m.random_id == random_id => Some(m.id),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_tell_jobs_sends_and_repeats_apart() {
        let what: [&[u8]; 2] = [b"send", b"hello"];
        let k = SendKey::derive("p", (1, 100), &what, 1);
        assert_eq!(k, SendKey::derive("p", (1, 100), &what, 1), "the same job's same send: the same key");
        for other in [
            SendKey::derive("q", (1, 100), &what, 1),
            SendKey::derive("p", (2, 100), &what, 1),
            SendKey::derive("p", (1, 101), &what, 1),
            SendKey::derive("p", (1, 100), &[&b"send"[..], b"hellO"], 1),
            SendKey::derive("p", (1, 100), &[&b"sendh"[..], b"ello"], 1),
            SendKey::derive("p", (1, 100), &what, 2),
        ] {
            assert_ne!(k, other);
        }
        assert_ne!(k.random_id(0), k.random_id(1), "each message of a long text has its own id");
        let mut keys = SendKeys::new("p", (1, 100));
        assert_eq!(keys.next(&what), k, "the first of its kind");
        assert_eq!(keys.next(&what), SendKey::derive("p", (1, 100), &what, 2), "a repeat is counted apart");
    }
}
