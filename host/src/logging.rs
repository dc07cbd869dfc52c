//! Logs to stderr, filtered by `RUST_LOG`, as text for people or JSON for collectors.

use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// What is logged when `RUST_LOG` is not set: our own info, and only warnings from the
/// MTProto stack (it is chatty about every connection).
const DEFAULT_FILTER: &str = "info,grammers_mtsender=warn,grammers_client=warn,grammers_session=warn";

pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(ansi);
    // A second init (tests) is harmless: keep whichever subscriber came first.
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).with_current_span(true).try_init(),
    };
}

/// Text from outside (file names, plugin log lines) made safe for a one-line log record: line
/// breaks and other control characters are written as escapes, so nobody can forge a log line
/// or send escape sequences to the operator's terminal.
pub fn escaped(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(char::is_control) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_what_could_forge_a_line() {
        assert_eq!(super::escaped("movie.mkv"), "movie.mkv");
        assert_eq!(
            super::escaped("a.mkv\n2026-01-01T00:00:00Z  INFO admin logged in\r\u{1b}[31m"),
            "a.mkv\\n2026-01-01T00:00:00Z  INFO admin logged in\\r\\u{1b}[31m"
        );
    }
}
