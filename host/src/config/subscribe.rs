//! `access.force_subscribe`: the channels a user must have joined before they get links, as
//! operators write them — `@username`, or a `-100…` id followed by the invite link users join
//! by (`"-1001234567890 https://t.me/+AbCd"`; a public channel's id needs none).

use serde::{Deserialize, Serialize};

/// One required channel.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SubscribeTo {
    Username(String),
    Id { id: i64, invite: Option<String> },
}

impl SubscribeTo {
    pub fn parse(entry: &str) -> Result<SubscribeTo, String> {
        let mut parts = entry.split_whitespace();
        let first = parts.next().ok_or("an empty entry")?;
        let second = parts.next();
        if parts.next().is_some() {
            return Err(format!("'{entry}' has more than a channel and an invite link"));
        }
        if let Some(name) = first.strip_prefix('@') {
            let valid = (4..=32).contains(&name.len())
                && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                && name.starts_with(|c: char| c.is_ascii_alphabetic());
            if !valid || second.is_some() {
                return Err(format!("'{entry}' is not a channel username (@name, 4–32 letters, digits, _)"));
            }
            return Ok(SubscribeTo::Username(name.to_string()));
        }
        let id: i64 = first.parse().map_err(|_| format!("'{first}' is neither @username nor a -100… channel id"))?;
        if id > -1_000_000_000_001 {
            return Err(format!("'{first}' is not a channel id (they start with -100)"));
        }
        let invite = match second {
            None => None,
            Some(url) if url.starts_with("https://t.me/") || url.starts_with("https://telegram.me/") => {
                Some(url.to_string())
            }
            Some(url) => return Err(format!("'{url}' is not an invite link (https://t.me/+…)")),
        };
        Ok(SubscribeTo::Id { id, invite })
    }
}

#[cfg(test)]
mod tests {
    use super::SubscribeTo;

    #[test]
    fn entries() {
        assert_eq!(SubscribeTo::parse("@news_ch"), Ok(SubscribeTo::Username("news_ch".into())));
        assert_eq!(
            SubscribeTo::parse(" -1001234567890  https://t.me/+AbCd "),
            Ok(SubscribeTo::Id { id: -1001234567890, invite: Some("https://t.me/+AbCd".into()) })
        );
        assert_eq!(SubscribeTo::parse("-1001234567890"), Ok(SubscribeTo::Id { id: -1001234567890, invite: None }));
        for bad in [
            "",
            "news",
            "@ab",
            "@bad-name",
            "@news https://t.me/x",
            "1234",
            "-1001 x",
            "-1001234567890 http://evil",
            "-1001234567890 a b",
        ] {
            assert!(SubscribeTo::parse(bad).is_err(), "{bad}");
        }
    }
}
