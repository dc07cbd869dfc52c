//! The admin page's token (`/admin/<token>`, made by `/admin_link`): an expiry signed with the
//! link secret under a label of its own, so no file link opens the page and no admin token
//! opens a file; short-lived, and bound to the bot (its bin channel) like its links.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use super::{LinkError, LinkSigner};

/// How long an admin link works.
pub const ADMIN_LINK_SECS: u64 = 15 * 60;

impl LinkSigner {
    fn admin_signature(&self, expires: u64) -> String {
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.secret) else { return String::new() };
        mac.update(b"beamgram-admin-page-v1");
        mac.update(&self.bin_channel.to_be_bytes());
        mac.update(&self.bot.unwrap_or(0).to_be_bytes());
        mac.update(&expires.to_be_bytes());
        B64.encode(mac.finalize().into_bytes())
    }

    /// A token for the admin page valid until `expires` (unix seconds).
    pub fn admin_token(&self, expires: u64) -> String {
        format!("{expires}-{}", self.admin_signature(expires))
    }

    /// The admin page's address, valid for [`ADMIN_LINK_SECS`] from `now`.
    pub fn admin_link(&self, now: u64) -> String {
        format!("{}/admin/{}", self.base_url, self.admin_token(now + ADMIN_LINK_SECS))
    }

    pub fn verify_admin(&self, token: &str, now: u64) -> Result<(), LinkError> {
        let (expires, sig) = token.split_once('-').ok_or(LinkError::Malformed)?;
        let expires: u64 = expires.parse().map_err(|_| LinkError::Malformed)?;
        if !bool::from(self.admin_signature(expires).as_bytes().ct_eq(sig.as_bytes())) {
            return Err(LinkError::BadSignature);
        }
        if now > expires {
            return Err(LinkError::Expired);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::links::LinkTarget;

    #[test]
    fn admin_tokens_open_the_page_only_until_they_expire() {
        let s = LinkSigner::new(vec![7; 32], -100123, 16, "https://x");
        let t = s.admin_token(1_000);
        assert_eq!(s.verify_admin(&t, 999), Ok(()));
        assert_eq!(s.verify_admin(&t, 1_001), Err(LinkError::Expired));
        assert_eq!(
            s.verify_admin(&t.replacen("1000", "9000", 1), 999),
            Err(LinkError::BadSignature),
            "expiry is signed"
        );
        assert_eq!(s.verify_admin("nonsense", 0), Err(LinkError::Malformed));
        let other_bot = LinkSigner::new(vec![7; 32], -100999, 16, "https://x");
        assert_eq!(other_bot.verify_admin(&t, 999), Err(LinkError::BadSignature));
        assert_eq!(
            s.for_clone(5, -100123).verify_admin(&t, 999),
            Err(LinkError::BadSignature),
            "a clone's page is its own"
        );
        // A file token is no admin token, nor the other way round.
        let file = s.token(LinkTarget { message_id: 3, expires: 0, name: None });
        assert!(s.verify_admin(&file, 0).is_err());
        assert!(s.verify(&t, 0).is_err());
    }
}
