//! `GET /watch/<token>`: a self-contained player page (no CDN, nothing but what beamgram
//! serves) with the file's name and size, an HTML5 player, a download button, copy-link and
//! "open in" VLC, MX Player and mpv.
//!
//! Everything about the file goes into the page as one JSON blob (escaped for a `<script>`
//! element) that the page's own script reads and puts in place as text: no value is ever
//! spliced into HTML, so a file name cannot become markup.

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
    let page = TEMPLATE.replace("{{DATA}}", &script_json(&data));
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
    fn nothing_in_the_blob_can_leave_the_script_element() {
        let v = serde_json::json!({"name": "</script><script>alert(1)</script><!-- & \u{2028}"});
        let out = script_json(&v);
        assert!(!out.contains('<') && !out.contains('>') && !out.contains('&') && !out.contains('\u{2028}'));
        let back: serde_json::Value = serde_json::from_str(&out).expect("still JSON");
        assert_eq!(back, v, "and it reads back as the same value");
    }
}
