//! Turning what plugins describe (outgoing messages, keyboards) into what Telegram takes, and
//! tagging callback data with the plugin it belongs to.

use grammers_client::message::{Button, InputMessage, ReplyMarkup};

use super::bindings::types::{ButtonAction, Keyboard, Outgoing};

/// Telegram's limit on callback data.
pub const CALLBACK_DATA_MAX: usize = 64;

/// A short tag for a plugin, put in front of its callback data so presses find their way back:
/// stable across restarts and reloads (derived from the name), four characters.
pub fn callback_tag(plugin: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in plugin.bytes() {
        h = (h ^ b as u64).wrapping_mul(0x0100_0000_01b3);
    }
    const ALPHABET: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    (0..4).map(|i| ALPHABET[((h >> (i * 8)) % 36) as usize] as char).collect()
}

/// `tag|data`, refused when it would exceed Telegram's 64 bytes.
pub fn tag_data(plugin: &str, data: &str) -> Result<String, String> {
    let tagged = format!("{}|{data}", callback_tag(plugin));
    if tagged.len() > CALLBACK_DATA_MAX {
        return Err(format!("callback data is at most {} bytes, got {}", CALLBACK_DATA_MAX - 5, data.len()));
    }
    Ok(tagged)
}

pub fn split_tag(data: &str) -> Option<(&str, &str)> {
    data.split_once('|').filter(|(t, _)| t.len() == 4)
}

pub fn keyboard(plugin: &str, rows: &Keyboard) -> Result<ReplyMarkup, String> {
    let mut out = Vec::new();
    for row in rows {
        let mut r = Vec::new();
        for b in row {
            r.push(match &b.action {
                ButtonAction::Url(u) => Button::url(b.text.clone(), u.clone()),
                ButtonAction::Callback(d) => Button::data(b.text.clone(), tag_data(plugin, d)?.into_bytes()),
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

pub fn message(plugin: &str, o: &Outgoing) -> Result<InputMessage, String> {
    let mut m = InputMessage::new().text(o.text.clone());
    if let Some(k) = &o.keyboard {
        m = m.reply_markup(keyboard(plugin, k)?);
    }
    if let Some(r) = o.reply_to {
        m = m.reply_to(Some(r));
    }
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_stable_short_and_checked() {
        assert_eq!(callback_tag("hello"), callback_tag("hello"));
        assert_ne!(callback_tag("hello"), callback_tag("batch"));
        let t = tag_data("hello", "again").expect("fits");
        assert_eq!(split_tag(&t), Some((callback_tag("hello").as_str(), "again")));
        assert!(tag_data("hello", &"x".repeat(60)).is_err());
        assert!(tag_data("hello", &"x".repeat(59)).is_ok());
    }
}
