//! `GET /watch/<token>`: a self-contained player page (no CDN, nothing but what beamgram
//! serves) with the file's name and size, an HTML5 player, a download button, copy-link and
//! "open in" VLC, MX Player and mpv.
//!
//! Everything about the file goes into the page as one JSON blob (escaped for a `<script>`
//! element) that the page's own script reads and puts in place as text, so a file name cannot
//! become markup. The one exception is the head: the title and the Open Graph / Twitter card
//! tags that link previews (Telegram's among them) read without running scripts; those values
//! are HTML-escaped. A file with a thumbnail gets it as the video's poster or the song's cover
//! and as the preview's image (`/thumb/<token>`, same token as the stream); a video's attached
//! subtitles are its `<track>`s (`/subs/<token>/<n>.vtt`).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};

use super::content_type::served_as;
use super::stream_route::resolve;
use super::{HttpState, Served};
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

/// What a link preview shows of a file.
struct Preview<'a> {
    name: &'a str,
    /// "size · type".
    description: &'a str,
    kind: &'a str,
    /// The watch page's own address.
    url: &'a str,
    /// An absolute image address: the poster or cover, or a picture itself.
    image: Option<&'a str>,
}

/// The page's title and the tags a link preview reads: the file's name, its size and type, and
/// its picture when it has one (a large card then).
fn head(p: &Preview<'_>) -> String {
    let og_type = match p.kind {
        "video" => "video.other",
        "audio" => "music.song",
        _ => "website",
    };
    let (name, description, url) = (escape_html(p.name), escape_html(p.description), escape_html(p.url));
    let card = if p.image.is_some() { "summary_large_image" } else { "summary" };
    let mut out = format!(
        "<title>{name}</title>\n\
         <meta name=\"description\" content=\"{description}\">\n\
         <meta property=\"og:type\" content=\"{og_type}\">\n\
         <meta property=\"og:site_name\" content=\"beamgram\">\n\
         <meta property=\"og:title\" content=\"{name}\">\n\
         <meta property=\"og:description\" content=\"{description}\">\n\
         <meta property=\"og:url\" content=\"{url}\">\n\
         <meta name=\"twitter:card\" content=\"{card}\">\n\
         <meta name=\"twitter:title\" content=\"{name}\">\n\
         <meta name=\"twitter:description\" content=\"{description}\">"
    );
    if let Some(image) = p.image.map(escape_html) {
        out.push_str(&format!(
            "\n<meta property=\"og:image\" content=\"{image}\">\n<meta name=\"twitter:image\" content=\"{image}\">"
        ));
    }
    out
}

/// The video's subtitle tracks as the page's script adds them (`<track>` elements).
async fn subtitle_tracks(served: &Served, token: &str, video: i32) -> Vec<serde_json::Value> {
    let tracks = served.extras.tracks(video).await.unwrap_or_else(|e| {
        tracing::warn!("could not read the subtitle tracks: {e}");
        Vec::new()
    });
    tracks
        .iter()
        .enumerate()
        .map(|(i, t)| serde_json::json!({ "src": format!("/subs/{token}/{i}.vtt"), "label": t.label, "lang": t.lang }))
        .collect()
}

pub async fn handle(State(st): State<Arc<HttpState>>, Path(token): Path<String>) -> Response {
    let (served, target, props) = match resolve(&st, &token).await {
        Ok(found) => found,
        Err(r) => return r,
    };
    let links = served.signer.links(target, &props.name);
    // Same-origin paths: the page works whatever name the server is reached by.
    let path = |url: &str, route: &str| url.find(route).map(|i| url[i..].to_string()).unwrap_or_default();
    let (mime, _) = served_as(&props.mime);
    let kind = ["video", "audio", "image"].into_iter().find(|k| mime.starts_with(&format!("{k}/"))).unwrap_or("none");
    let tracks = match kind {
        "video" => subtitle_tracks(&served, &token, target.message_id).await,
        _ => Vec::new(),
    };
    let poster = props.thumb.is_some().then(|| path(&links.thumb, "/thumb/"));
    let data = serde_json::json!({
        "name": props.name,
        "size": humanize::bytes(props.size),
        "mime": mime,
        "kind": kind,
        "stream": path(&links.stream, "/stream/"),
        "download": path(&links.download, "/stream/"),
        "poster": poster,
        "tracks": tracks,
    });
    let description = format!("{} · {}", humanize::bytes(props.size), mime);
    let image = match (&poster, kind) {
        (Some(_), _) => Some(links.thumb.as_str()),
        (None, "image") => Some(links.stream.as_str()),
        (None, _) => None,
    };
    let preview = Preview { name: &props.name, description: &description, kind, url: &links.watch, image };
    let page = TEMPLATE.replace("{{META}}", &head(&preview)).replace("{{DATA}}", &script_json(&data));
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
        let hostile = "\"><script>alert(1)</script>'&";
        let h = head(&Preview {
            name: hostile,
            description: "1 MiB · video/mp4",
            kind: "video",
            url: "https://x/watch/t",
            image: Some("https://x/thumb/t\"><script>"),
        });
        assert!(!h.contains("<script") && !h.contains("'&"), "{h}");
        assert!(h.contains("content=\"&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&#39;&amp;\""), "{h}");
        assert!(h.contains("<meta property=\"og:type\" content=\"video.other\">"));
        assert!(h.contains("<meta property=\"og:image\" content=\"https://x/thumb/t&quot;&gt;&lt;script&gt;\">"));
        assert!(h.contains("content=\"summary_large_image\""));
        assert_eq!(h.matches('<').count(), 13, "a title (two tags) and eleven meta tags, nothing more: {h}");
    }

    #[test]
    fn a_file_without_a_picture_gets_a_small_card_and_no_image() {
        let h = head(&Preview {
            name: "a.zip",
            description: "1 MiB · application/zip",
            kind: "none",
            url: "u",
            image: None,
        });
        assert!(h.contains("content=\"summary\"") && !h.contains("og:image"), "{h}");
        assert!(h.contains("<meta property=\"og:type\" content=\"website\">"));
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
