//! Signed links: `/stream/<token>/<name>`, `/watch/<token>`, `/thumb/<token>`, `/subs/<token>/<n>`.
//!
//! A token names a message of the bin channel and carries an HMAC-SHA256 signature over it
//! (and over the bin channel, so a link cannot be replayed against another one), cut to
//! `links.hash_length` characters. Existing bots sign with nothing (a 6-hex hash of public data)
//! or with guessable prefixes; a forged or altered link here fails a constant-time check.
//!
//! A clone bot's tokens start with its id and a dot (`<bot>.<payload><signature>`) so the HTTP
//! side knows whose client reads the file, and its id is signed too: a token minted for one
//! bot's file never opens another bot's, even with the same channel and message id.
//!
//! A link to a renamed file (`/rename`) carries the name's id, signed as well:
//! `[<bot>.]n<id>.<payload><signature>`. The name itself is in the store, so the old links keep
//! the old name and no one can choose a name by editing a link.

mod admin_token;
mod extras;
mod revocations;

pub use admin_token::ADMIN_LINK_SECS;
pub use extras::FileExtras;
pub use revocations::Revocations;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use hmac::{Hmac, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// Characters left as they are in a URL path segment.
const PATH_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');
/// Bytes of (message id, expiry) before the signature.
const PAYLOAD: usize = 8;
const PAYLOAD_CHARS: usize = 11;

#[derive(Clone)]
pub struct LinkSigner {
    secret: Vec<u8>,
    bin_channel: i64,
    hash_length: usize,
    base_url: String,
    /// The clone these links belong to; `None` for the main bot (whose tokens have no prefix,
    /// so links made before clones existed keep working).
    bot: Option<i64>,
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("the link is malformed")]
    Malformed,
    #[error("the link's signature does not match")]
    BadSignature,
    #[error("the link expired")]
    Expired,
}

/// What a verified token names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LinkTarget {
    pub message_id: i32,
    /// Unix seconds; 0 never expires.
    pub expires: u32,
    /// Another name its sender gave the file (`/rename`), by its id in the store.
    pub name: Option<u32>,
}

/// The links of one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkSet {
    pub stream: String,
    pub download: String,
    pub watch: String,
    /// The thumbnail (a video's poster, a song's cover); answers 404 for files without one.
    pub thumb: String,
}

impl LinkSigner {
    pub fn new(secret: Vec<u8>, bin_channel: i64, hash_length: usize, base_url: &str) -> Self {
        Self { secret, bin_channel, hash_length, base_url: base_url.trim_end_matches('/').to_string(), bot: None }
    }

    /// The signer of clone `bot`'s links: same secret, its own bin channel and its id signed.
    pub fn for_clone(&self, bot: i64, bin_channel: i64) -> LinkSigner {
        LinkSigner { bin_channel, bot: Some(bot), ..self.clone() }
    }

    /// The clone a token belongs to (`None`: the main bot's, or not a token at all).
    pub fn clone_of(token: &str) -> Option<i64> {
        let (bot, _) = token.split_once('.')?;
        bot.parse().ok().filter(|b: &i64| *b > 0)
    }

    fn signature(&self, payload: &[u8; PAYLOAD], name: Option<u32>) -> String {
        // new_from_slice only fails for algorithms with a fixed key size; HMAC takes any.
        let mut mac = match Hmac::<Sha256>::new_from_slice(&self.secret) {
            Ok(m) => m,
            Err(_) => return String::new(),
        };
        mac.update(b"beamgram-link-v1");
        mac.update(&self.bin_channel.to_be_bytes());
        if let Some(bot) = self.bot {
            mac.update(b"clone");
            mac.update(&bot.to_be_bytes());
        }
        if let Some(n) = name {
            mac.update(b"name");
            mac.update(&n.to_be_bytes());
        }
        mac.update(payload);
        let mut sig = B64.encode(mac.finalize().into_bytes());
        sig.truncate(self.hash_length);
        sig
    }

    pub fn token(&self, target: LinkTarget) -> String {
        let mut payload = [0u8; PAYLOAD];
        payload[..4].copy_from_slice(&(target.message_id as u32).to_be_bytes());
        payload[4..].copy_from_slice(&target.expires.to_be_bytes());
        let prefix = self.bot.map(|b| format!("{b}.")).unwrap_or_default();
        let name = target.name.map(|n| format!("n{n}.")).unwrap_or_default();
        format!("{prefix}{name}{}{}", B64.encode(payload), self.signature(&payload, target.name))
    }

    pub fn verify(&self, token: &str, now: u64) -> Result<LinkTarget, LinkError> {
        let token = match self.bot {
            Some(bot) => token.strip_prefix(&format!("{bot}.")).ok_or(LinkError::Malformed)?,
            None => token,
        };
        let (name, token) = match token.strip_prefix('n').and_then(|t| t.split_once('.')) {
            Some((n, rest)) => (Some(n.parse::<u32>().map_err(|_| LinkError::Malformed)?), rest),
            None => (None, token),
        };
        if token.len() != PAYLOAD_CHARS + self.hash_length || !token.is_ascii() {
            return Err(LinkError::Malformed);
        }
        let (p, sig) = token.split_at(PAYLOAD_CHARS);
        let bytes = B64.decode(p).map_err(|_| LinkError::Malformed)?;
        let payload: [u8; PAYLOAD] = bytes.try_into().map_err(|_| LinkError::Malformed)?;
        if !bool::from(self.signature(&payload, name).as_bytes().ct_eq(sig.as_bytes())) {
            return Err(LinkError::BadSignature);
        }
        let message_id = u32::from_be_bytes([payload[0], payload[1], payload[2], payload[3]]) as i32;
        let expires = u32::from_be_bytes([payload[4], payload[5], payload[6], payload[7]]);
        if expires != 0 && now > expires as u64 {
            return Err(LinkError::Expired);
        }
        Ok(LinkTarget { message_id, expires, name })
    }

    /// What a new link to `message_id` names: expiring after `ttl_secs` (`links.ttl_secs`; 0
    /// never expires).
    pub fn target(&self, message_id: i32, ttl_secs: u64) -> LinkTarget {
        let now = crate::clock::unix_secs();
        let expires = if ttl_secs == 0 { 0 } else { (now + ttl_secs).min(u32::MAX as u64) as u32 };
        LinkTarget { message_id, expires, name: None }
    }

    /// The token inside one of this bot's links (`…/stream/<token>/…`, `…/watch/<token>`).
    pub fn token_in(link: &str) -> Option<&str> {
        let after =
            ["/stream/", "/watch/", "/thumb/"].iter().find_map(|p| link.find(p).map(|i| &link[i + p.len()..]))?;
        let end = after.find(['/', '?', '#']).unwrap_or(after.len());
        Some(&after[..end]).filter(|t| !t.is_empty())
    }

    /// The callback-data key, derived from the link secret (so buttons survive restarts) but
    /// never equal to it.
    pub fn callback_key(&self) -> Vec<u8> {
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.secret) else { return Vec::new() };
        mac.update(b"beamgram-callback-key-v1");
        mac.finalize().into_bytes().to_vec()
    }

    pub fn links(&self, target: LinkTarget, file_name: &str) -> LinkSet {
        let token = self.token(target);
        let name = utf8_percent_encode(file_name, PATH_SEGMENT).to_string();
        LinkSet {
            stream: format!("{}/stream/{token}/{name}", self.base_url),
            download: format!("{}/stream/{token}/{name}?download=1", self.base_url),
            watch: format!("{}/watch/{token}", self.base_url),
            thumb: format!("{}/thumb/{token}", self.base_url),
        }
    }
}

/// The signing secret, made once (32 random bytes) and kept in the store: links stay valid
/// across restarts. A secret file left by an older version is taken over, so its links do too.
pub async fn signing_secret(
    store: &crate::storage::Store,
    legacy_file: &std::path::Path,
) -> Result<Vec<u8>, crate::storage::StoreError> {
    store
        .secret_or_create("link-signing", || match std::fs::read(legacy_file) {
            Ok(s) if s.len() >= 32 => s,
            _ => rand::random::<[u8; 32]>().to_vec(),
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer() -> LinkSigner {
        LinkSigner::new(vec![9; 32], -1001, 16, "http://h:1/")
    }

    #[test]
    fn round_trip_and_forgery() {
        let s = signer();
        let t = LinkTarget { message_id: 42, expires: 0, name: None };
        let token = s.token(t);
        assert_eq!(token.len(), 11 + 16);
        assert_eq!(s.verify(&token, 5), Ok(t));
        // another message id with the same signature
        let other = s.token(LinkTarget { message_id: 43, expires: 0, name: None });
        let forged = format!("{}{}", &other[..11], &token[11..]);
        assert_eq!(s.verify(&forged, 5), Err(LinkError::BadSignature));
        // another bin channel or secret
        assert_eq!(LinkSigner::new(vec![9; 32], -1002, 16, "").verify(&token, 5), Err(LinkError::BadSignature));
        assert_eq!(LinkSigner::new(vec![8; 32], -1001, 16, "").verify(&token, 5), Err(LinkError::BadSignature));
        assert_eq!(s.verify("short", 5), Err(LinkError::Malformed));
        assert_eq!(s.verify(&format!("{}é", &token[..token.len() - 1]), 5), Err(LinkError::Malformed));
    }

    #[test]
    fn a_clone_token_opens_that_clone_s_files_only() {
        let main = signer();
        let a = main.for_clone(111, -1001);
        let b = main.for_clone(222, -1001);
        let t = LinkTarget { message_id: 42, expires: 0, name: None };
        let token = a.token(t);
        assert!(token.starts_with("111."), "{token}");
        assert_eq!(LinkSigner::clone_of(&token), Some(111));
        assert_eq!(a.verify(&token, 5), Ok(t));
        // Same channel and message: the main bot and clone b refuse it, with or without the prefix.
        assert_eq!(main.verify(&token, 5), Err(LinkError::Malformed));
        assert_eq!(b.verify(&token, 5), Err(LinkError::Malformed));
        let moved = format!("222.{}", &token[4..]);
        assert_eq!(b.verify(&moved, 5), Err(LinkError::BadSignature));
        assert_eq!(main.verify(&token[4..], 5), Err(LinkError::BadSignature));
        // The main bot's tokens are unchanged by clones existing and open nothing of a clone's.
        let m = main.token(t);
        assert_eq!(LinkSigner::clone_of(&m), None);
        assert_eq!(a.verify(&format!("111.{m}"), 5), Err(LinkError::BadSignature));
        assert_eq!(LinkSigner::clone_of("0.abc"), None);
        assert_eq!(LinkSigner::clone_of("x.abc"), None);
        assert!(a.links(t, "f.mp4").watch.contains("/watch/111."));
    }

    #[test]
    fn a_renamed_link_carries_its_name_id_signed() {
        let s = signer();
        let plain = LinkTarget { message_id: 42, expires: 0, name: None };
        let renamed = LinkTarget { name: Some(7), ..plain };
        let token = s.token(renamed);
        assert!(token.starts_with("n7."), "{token}");
        assert_eq!(s.verify(&token, 5), Ok(renamed));
        assert_eq!(LinkSigner::clone_of(&token), None, "still the main bot's");
        // Another name's id, or none, does not verify.
        assert_eq!(s.verify(&token.replacen("n7.", "n8.", 1), 5), Err(LinkError::BadSignature));
        assert_eq!(s.verify(&token[3..], 5), Err(LinkError::BadSignature));
        assert_eq!(s.verify(&format!("n7.{}", s.token(plain)), 5), Err(LinkError::BadSignature));
        assert_eq!(s.verify(&token.replacen("n7.", "nx.", 1), 5), Err(LinkError::Malformed));
        // A clone's renamed link: its prefix, then the name.
        let clone = s.for_clone(111, -1001);
        let t = clone.token(renamed);
        assert!(t.starts_with("111.n7."), "{t}");
        assert_eq!(LinkSigner::clone_of(&t), Some(111));
        assert_eq!(clone.verify(&t, 5), Ok(renamed));
        assert_eq!(LinkSigner::token_in(&s.links(renamed, "a b.mkv").stream), Some(token.as_str()));
    }

    #[test]
    fn expiry() {
        let s = signer();
        let token = s.token(LinkTarget { message_id: 1, expires: 100, name: None });
        assert!(s.verify(&token, 100).is_ok());
        assert_eq!(s.verify(&token, 101), Err(LinkError::Expired));
    }

    #[test]
    fn tokens_are_found_in_links() {
        assert_eq!(LinkSigner::token_in("http://h/stream/abc/name.mp4?download=1"), Some("abc"));
        assert_eq!(LinkSigner::token_in("https://h/watch/xyz"), Some("xyz"));
        assert_eq!(LinkSigner::token_in("https://h/watch/"), None);
        assert_eq!(LinkSigner::token_in("https://t.me/x"), None);
    }

    #[test]
    fn urls_escape_the_name() {
        let l = signer().links(LinkTarget { message_id: 7, expires: 0, name: None }, "Фильм 1/2 #x.mkv");
        assert!(l.stream.starts_with("http://h:1/stream/"));
        assert!(l.stream.ends_with("/%D0%A4%D0%B8%D0%BB%D1%8C%D0%BC%201%2F2%20%23x.mkv"), "{}", l.stream);
        assert!(l.download.ends_with("?download=1"));
    }
}
