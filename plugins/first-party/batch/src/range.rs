//! Telegram message links: `t.me/c/<channel>/<message>` (private channels, by id) and
//! `t.me/<username>/<message>` (public ones), with or without `https://`, also `telegram.me`.

#[derive(Debug, PartialEq, Eq)]
pub enum MessageLink {
    Private { channel: i64, message: i32 },
    Public { username: String, message: i32 },
}

impl MessageLink {
    pub fn message(&self) -> i32 {
        match self {
            MessageLink::Private { message, .. } | MessageLink::Public { message, .. } => *message,
        }
    }

    pub fn same_chat(&self, other: &MessageLink) -> bool {
        match (self, other) {
            (MessageLink::Private { channel: a, .. }, MessageLink::Private { channel: b, .. }) => a == b,
            (MessageLink::Public { username: a, .. }, MessageLink::Public { username: b, .. }) => {
                a.eq_ignore_ascii_case(b)
            }
            _ => false,
        }
    }
}

pub fn parse_link(s: &str) -> Option<MessageLink> {
    let s = s.trim().trim_start_matches("https://").trim_start_matches("http://");
    let path = s.strip_prefix("t.me/").or_else(|| s.strip_prefix("telegram.me/"))?;
    let path = path.split(['?', '#']).next()?;
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    let message = |p: &str| p.parse::<i32>().ok().filter(|m| *m > 0);
    match parts.as_slice() {
        // A topic link (`c/<id>/<topic>/<message>`) names the message last.
        ["c", channel, .., last] => Some(MessageLink::Private {
            channel: channel.parse().ok().filter(|c: &i64| *c > 0 && *c < 1_000_000_000_000)?,
            message: message(last)?,
        }),
        [username, last] => {
            let ok = username.len() >= 4
                && username.len() <= 32
                && username.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            ok.then(|| Some(MessageLink::Public { username: username.to_string(), message: message(last)? }))?
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links() {
        assert_eq!(
            parse_link("https://t.me/c/1234567890/15"),
            Some(MessageLink::Private { channel: 1234567890, message: 15 })
        );
        assert_eq!(
            parse_link("t.me/c/1234567890/7/15"),
            Some(MessageLink::Private { channel: 1234567890, message: 15 })
        );
        assert_eq!(
            parse_link("https://t.me/some_channel/9?single"),
            Some(MessageLink::Public { username: "some_channel".into(), message: 9 })
        );
        assert_eq!(parse_link("https://example.com/c/1/2"), None);
        assert_eq!(parse_link("https://t.me/c/abc/2"), None);
        assert_eq!(parse_link("https://t.me/c/1/0"), None);
        assert_eq!(parse_link("https://t.me/x/2"), None);
        assert_eq!(parse_link("hello"), None);
    }
}
