//! Finding a bot token in what a user sends: `/clone <token>`, or BotFather's "Done!
//! Congratulations on your new bot" message forwarded. Pure: no Telegram, no store.

/// BotFather's user id on Telegram; a forwarded message counts only when its origin is this.
pub const BOTFATHER_ID: i64 = 93_372_553;

/// The words BotFather's message starts its answer to /newbot with.
pub const CONGRATULATIONS: &str = "Congratulations on your new bot";

/// The first word of `text` shaped like a bot token: `<bot id>:<secret>`, the id 1–20 digits,
/// the secret 30–64 characters of `A–Z a–z 0–9 _ -`.
pub fn find(text: &str) -> Option<&str> {
    text.split(|c: char| c.is_whitespace() || c == '`').find(|w| is_token(w))
}

pub fn is_token(word: &str) -> bool {
    let Some((id, secret)) = word.split_once(':') else { return false };
    (1..=20).contains(&id.len())
        && id.bytes().all(|b| b.is_ascii_digit())
        && !id.starts_with('0')
        && (30..=64).contains(&secret.len())
        && secret.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// The bot id a token names.
pub fn bot_id(token: &str) -> Option<i64> {
    token.split_once(':')?.0.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: &str = "6123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0";

    #[test]
    fn finds_the_token_in_botfather_s_message() {
        let msg = format!(
            "Done! Congratulations on your new bot. You will find it at t.me/x_bot.\n\nUse this token to access the HTTP API:\n{T}\nKeep your token secure"
        );
        assert_eq!(find(&msg), Some(T));
        assert_eq!(find(&format!("/clone {T}")), Some(T));
        assert_eq!(find(&format!("`{T}`")), Some(T));
        assert_eq!(bot_id(T), Some(6_123_456_789));
    }

    #[test]
    fn refuses_what_is_not_a_token() {
        for bad in [
            "",
            "hello",
            "123:short",
            ":AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0",
            "12a4:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0",
            "0123:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0",
            "123:AAHdqTcvCH1vGWJxfSeofSAs0K5PAL/saw0",
            "123456789012345678901:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0",
            "https://t.me/x:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0",
        ] {
            assert_eq!(find(bad), None, "{bad}");
        }
    }
}
