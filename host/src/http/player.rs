//! `GET /watch/<token>`: a self-contained player page (no CDN, nothing but what beamgram
//! serves) with the file's name and size, an HTML5 player, a download button, copy-link and
//! "open in" VLC, MX Player and mpv.
//!
//! Everything about the file goes into the page as one JSON blob (escaped for a `<script>`
//! element) that the page's own script reads and puts in place as text, so a file name cannot
//! become markup. The one exception is the head: the title and the Open Graph / Twitter card
//! tags that link previews (Telegram's among them) read without running scripts; those values
//! are HTML-escaped.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};

use super::HttpState;
use super::content_type::served_as;
use super::stream_route::resolve;
use crate::humanize;

const TEMPLATE: &str = include_str!("../../assets/player.html");

/// JSON that is safe inside `<script type="application/json">`: nothing in it can close the
/// element or start a comment.
fn script_json(v: &serde_json::Value) -> String {
    v.to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

/// Text made safe inside an HTML element or a quoted attribute.
fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The page's title and the tags a link preview reads: the file's name, its size and type.
fn head(name: &str, description: &str, kind: &str, url: &str) -> String {
    let og_type = match kind {
        "video" => "video.other",
        "audio" => "music.song",
        _ => "website",
    };
    let (name, description, url) = (escape_html(name), escape_html(description), escape_html(url));
    format!(
        "<title>{name}</title>\n\
         <meta name=\"description\" content=\"{description}\">\n\
         <meta property=\"og:type\" content=\"{og_type}\">\n\
         <meta property=\"og:site_name\" content=\"beamgram\">\n\
         <meta property=\"og:title\" content=\"{name}\">\n\
         <meta property=\"og:description\" content=\"{description}\">\n\
         <meta property=\"og:url\" content=\"{url}\">\n\
         <meta name=\"twitter:card\" content=\"summary\">\n\
         <meta name=\"twitter:title\" content=\"{name}\">\n\
         <meta name=\"twitter:description\" content=\"{description}\">"
    )
}

pub async fn handle(State(st): State<Arc<HttpState>>, Path(token): Path<String>) -> Response {
    let (served, target, props) = match resolve(&st, &token).await {
        Ok(found) => found,
        Err(r) => return r,
    };
    let links = served.signer.links(target, &props.name);
    // Same-origin paths: the page works whatever name the server is reached by.
    let path = |url: &str| url.find("/stream/").map(|i| url[i..].to_string()).unwrap_or_default();
    let (mime, _) = served_as(&props.mime);
    let kind = ["video", "audio", "image"].into_iter().find(|k| mime.starts_with(&format!("{k}/"))).unwrap_or("none");
    let data = serde_json::json!({
        "name": props.name,
        "size": humanize::bytes(props.size),
        "mime": mime,
        "kind": kind,
        "stream": path(&links.stream),
        "download": path(&links.download),
    });
    let description = format!("{} · {}", humanize::bytes(props.size), mime);
    let page = TEMPLATE
        .replace("{{META}}", &head(&props.name, &description, kind, &links.watch))
        .replace("{{DATA}}", &script_json(&data));
    let mut r = Html(page).into_response();
    r.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; media-src 'self'; img-src 'self'; style-src 'unsafe-inline'; script-src 'unsafe-inline'"),
    );
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preview_tags_cannot_be_broken_out_of() {
        let h = head("\"><script>alert(1)</script>'&", "1 MiB · video/mp4", "video", "https://x/watch/t");
        assert!(!h.contains("<script") && !h.contains("'&"), "{h}");
        assert!(h.contains("content=\"&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&#39;&amp;\""), "{h}");
        assert!(h.contains("<meta property=\"og:type\" content=\"video.other\">"));
        assert_eq!(h.matches('<').count(), 11, "a title (two tags) and nine meta tags, nothing more: {h}");
    }

    #[test]
    fn nothing_in_the_blob_can_leave_the_script_element() {
        let v = serde_json::json!({"name": "</script><script>alert(1)</script><!-- & \u{2028}"});
        let out = script_json(&v);
        assert!(!out.contains('<') && !out.contains('>') && !out.contains('&') && !out.contains('\u{2028}'));
        let back: serde_json::Value = serde_json::from_str(&out).expect("still JSON");
        assert_eq!(back, v, "and it reads back as the same value");
    }
}
