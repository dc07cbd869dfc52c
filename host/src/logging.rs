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
