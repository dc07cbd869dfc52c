//! Commands as users type them: `/name@bot args`. Pure: no Telegram, no context.

/// A parsed `/command@bot args`.
#[derive(Debug, PartialEq, Eq)]
pub struct ParsedCommand<'a> {
    pub name: String,
    pub bot: Option<&'a str>,
    pub args: &'a str,
}

pub fn parse(text: &str) -> Option<ParsedCommand<'_>> {
    let rest = text.strip_prefix('/')?;
    let (head, args) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    let (name, bot) = match head.split_once('@') {
        Some((n, b)) => (n, Some(b)),
        None => (head, None),
    };
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return None;
    }
    Some(ParsedCommand { name: name.to_ascii_lowercase(), bot, args: args.trim() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_commands() {
        assert_eq!(parse("/hello"), Some(ParsedCommand { name: "hello".into(), bot: None, args: "" }));
        assert_eq!(
            parse("/Hello@MyBot  a b "),
            Some(ParsedCommand { name: "hello".into(), bot: Some("MyBot"), args: "a b" })
        );
        assert_eq!(
            parse("/batch https://t.me/c/1/2 https://t.me/c/1/9").map(|c| c.args),
            Some("https://t.me/c/1/2 https://t.me/c/1/9")
        );
        assert_eq!(parse("hello"), None);
        assert_eq!(parse("/"), None);
        assert_eq!(parse("/a-b"), None);
    }
}
