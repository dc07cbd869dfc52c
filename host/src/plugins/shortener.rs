//! Link shortening through the shortener a user picked: the common
//! `GET <site>/api?api=<key>&url=<url>` JSON API (AdLinkFly and its many clones), to the sites
//! the operator allows only.

use hyper::Method;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

use super::outbound::{Outbound, OutboundError};
use super::services::ShortenerSettings;

/// The plugin whose settings namespace holds a user's shortener choice.
pub const SHORTENER_PLUGIN: &str = "shortener";
/// The user settings a shortener choice is kept in.
pub const SITE_SETTING: &str = "shortener.site";
pub const KEY_SETTING: &str = "shortener.key";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ShortenError {
    #[error("{0} is not one of the shorteners this bot allows")]
    NotAllowed(String),
    #[error("the shortener did not answer usefully: {0}")]
    Failed(String),
}

pub fn site_allowed(settings: &ShortenerSettings, site: &str) -> bool {
    settings.sites.iter().any(|s| s.eq_ignore_ascii_case(site.trim()))
}

pub async fn shorten(
    outbound: &Outbound,
    settings: &ShortenerSettings,
    site: &str,
    key: &str,
    url: &str,
) -> Result<String, ShortenError> {
    if !site_allowed(settings, site) {
        return Err(ShortenError::NotAllowed(site.to_string()));
    }
    let scheme = if settings.scheme.is_empty() { "https" } else { settings.scheme.as_str() };
    let api = format!(
        "{scheme}://{}/api?api={}&url={}",
        site.trim().to_ascii_lowercase(),
        utf8_percent_encode(key, NON_ALPHANUMERIC),
        utf8_percent_encode(url, NON_ALPHANUMERIC)
    );
    let (status, body) = outbound.fetch(Method::GET, &api, None, Vec::new()).await.map_err(|e| match e {
        OutboundError::NotAllowed(s) | OutboundError::Limit(s) | OutboundError::Failed(s) => ShortenError::Failed(s),
    })?;
    if !(200..300).contains(&status) {
        return Err(ShortenError::Failed(format!("HTTP {status}")));
    }
    parse_answer(&body)
}

/// `{"status":"success","shortenedUrl":"…"}`; the clones name the field differently.
fn parse_answer(body: &[u8]) -> Result<String, ShortenError> {
    let v: serde_json::Value =
        serde_json::from_slice(body).map_err(|_| ShortenError::Failed("the answer is not JSON".into()))?;
    if v.get("status").and_then(|s| s.as_str()).is_some_and(|s| s.eq_ignore_ascii_case("error")) {
        let why = match v.get("message") {
            Some(serde_json::Value::Array(a)) => a.iter().filter_map(|m| m.as_str()).collect::<Vec<_>>().join("; "),
            Some(serde_json::Value::String(s)) => s.clone(),
            _ => "no reason given".into(),
        };
        return Err(ShortenError::Failed(why));
    }
    ["shortenedUrl", "shortened_url", "short_url", "shortlink", "short"]
        .iter()
        .find_map(|k| v.get(*k).and_then(|s| s.as_str()))
        .map(|s| s.replace("\\/", "/"))
        .filter(|s| s.starts_with("https://") || s.starts_with("http://"))
        .ok_or_else(|| ShortenError::Failed("no short link in the answer".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_of_the_common_api() {
        assert_eq!(
            parse_answer(br#"{"status":"success","shortenedUrl":"https:\/\/gp.link\/abc"}"#),
            Ok("https://gp.link/abc".into())
        );
        assert_eq!(parse_answer(br#"{"short_url":"https://x.y/1"}"#), Ok("https://x.y/1".into()));
        assert_eq!(
            parse_answer(br#"{"status":"error","message":["Invalid API token."]}"#),
            Err(ShortenError::Failed("Invalid API token.".into()))
        );
        assert!(parse_answer(b"<html>").is_err());
        assert!(parse_answer(br#"{"shortenedUrl":"javascript:alert(1)"}"#).is_err());
    }

    #[test]
    fn sites_match_exactly() {
        let s = ShortenerSettings { sites: vec!["gplinks.com".into()], scheme: "https".into(), default: None };
        assert!(site_allowed(&s, "GPLinks.com"));
        assert!(!site_allowed(&s, "evil.gplinks.com") && !site_allowed(&s, "gplinks.co"));
    }
}
