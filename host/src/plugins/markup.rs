//! Turning what plugins describe (outgoing messages, keyboards) into what Telegram takes, and
//! tagging callback data with the plugin it belongs to.

use grammers_client::message::{Button, ReplyMarkup};

use super::bindings::types::{ButtonAction, Keyboard, Outgoing};
use crate::telegram::outbox::Draft;

/// Telegram's limit on callback data.
pub const CALLBACK_DATA_MAX: usize = 64;
/// Characters of MAC in front of a plugin's callback data.
const TAG_LEN: usize = 7;

/// Tags callback data with a MAC of (plugin, data) under a key only the host has, so a press
/// reaches the plugin that made the button and no other: a user who sends crafted callback data
/// (any client can) cannot aim it at a plugin, nor change the data of a button they were given.
#[derive(Clone)]
pub struct CallbackTags {
    key: Vec<u8>,
}

impl CallbackTags {
    /// Keyed by the link-signing secret (kept in the store), so buttons survive restarts.
    pub fn new(secret: &[u8]) -> CallbackTags {
        CallbackTags { key: secret.to_vec() }
    }

    /// A throwaway key: processes with no bot (loading checks, benchmarks).
    pub fn random() -> CallbackTags {
        CallbackTags { key: rand::random::<[u8; 32]>().to_vec() }
    }

    fn mac(&self, plugin: &str, data: &str) -> String {
        use base64::Engine;
        use hmac::{Hmac, Mac};
        let Ok(mut mac) = Hmac::<sha2::Sha256>::new_from_slice(&self.key) else { return String::new() };
        mac.update(b"beamgram-callback-v1");
        mac.update(plugin.as_bytes());
        mac.update(&[0]);
        mac.update(data.as_bytes());
        let mut tag = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        tag.truncate(TAG_LEN);
        tag
    }

    /// `tag|data`, refused when it would exceed Telegram's 64 bytes.
    pub fn tag_data(&self, plugin: &str, data: &str) -> Result<String, String> {
        let tagged = format!("{}|{data}", self.mac(plugin, data));
        if tagged.len() > CALLBACK_DATA_MAX {
            return Err(format!(
                "callback data is at most {} bytes, got {}",
                CALLBACK_DATA_MAX - TAG_LEN - 1,
                data.len()
            ));
        }
        Ok(tagged)
    }

    /// Which of `plugins` made this callback data, and the plugin's own part of it.
    pub fn owner<'a, 'p>(
        &self,
        data: &'a str,
        plugins: impl IntoIterator<Item = &'p str>,
    ) -> Option<(&'p str, &'a str)> {
        use subtle::ConstantTimeEq;
        let (tag, rest) = data.split_once('|').filter(|(t, _)| t.len() == TAG_LEN)?;
        plugins.into_iter().find(|p| bool::from(self.mac(p, rest).as_bytes().ct_eq(tag.as_bytes()))).map(|p| (p, rest))
    }
}

pub fn keyboard(tags: &CallbackTags, plugin: &str, rows: &Keyboard) -> Result<ReplyMarkup, String> {
    let mut out = Vec::new();
    for row in rows {
        let mut r = Vec::new();
        for b in row {
            r.push(match &b.action {
                ButtonAction::Url(u) => Button::url(b.text.clone(), u.clone()),
                ButtonAction::Callback(d) => Button::data(b.text.clone(), tags.tag_data(plugin, d)?.into_bytes()),
                ButtonAction::Copy(text) => copy_button(&b.text, text),
            });
        }
        out.push(r);
    }
    Ok(ReplyMarkup::from_buttons(&out))
}

fn copy_button(label: &str, text: &str) -> Button {
    use grammers_client::tl;
    Button {
        raw: tl::types::KeyboardInlineButton {
            text: label.to_string(),
            r#type: tl::types::InlineButtonTypeCopy { copy_text: text.to_string() }.into(),
            style: None,
        }
        .into(),
    }
}

/// A plugin's message as the outbox takes it.
pub fn draft(tags: &CallbackTags, plugin: &str, o: &Outgoing) -> Result<Draft, String> {
    let markup = match &o.keyboard {
        Some(k) => Some(keyboard(tags, plugin, k)?),
        None => None,
    };
    Ok(Draft { text: o.text.clone(), markup, reply_to: o.reply_to, ..Draft::default() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_macs_of_plugin_and_data() {
        let tags = CallbackTags::new(&[7; 32]);
        let t = tags.tag_data("hello", "again").expect("fits");
        assert_eq!(t.len(), 7 + 1 + 5);
        assert_eq!(tags.owner(&t, ["batch", "hello"]), Some(("hello", "again")));
        // Another plugin's name, changed data, or another key: no owner.
        let forged = format!("{}|other", &t[..7]);
        assert_eq!(tags.owner(&forged, ["batch", "hello"]), None);
        assert_eq!(CallbackTags::new(&[8; 32]).owner(&t, ["hello"]), None);
        assert_eq!(tags.owner("|again", ["hello"]), None);
        assert!(tags.tag_data("hello", &"x".repeat(57)).is_err());
        assert!(tags.tag_data("hello", &"x".repeat(56)).is_ok());
    }
}
