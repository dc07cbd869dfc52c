//! `GET /watch/<token>`: a self-contained player page (no CDN, nothing but what beamgram
//! serves) with the file's name and size, an HTML5 player, a download button, copy-link and
//! "open in" VLC, MX Player and mpv.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};

use super::HttpState;
use super::stream_route::resolve;
use crate::humanize;

const TEMPLATE: &str = include_str!("../../assets/player.html");

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

pub async fn handle(State(st): State<Arc<HttpState>>, Path(token): Path<String>) -> Response {
    let (target, props) = match resolve(&st, &token).await {
        Ok(found) => found,
        Err(r) => return r,
    };
    let links = st.signer.links(target, &props.name);
    // Same-origin paths: the page works whatever name the server is reached by.
    let path = |url: &str| url.find("/stream/").map(|i| url[i..].to_string()).unwrap_or_default();
    let (stream, download) = (escape(&path(&links.stream)), escape(&path(&links.download)));
    let mime = escape(&props.mime);
    let media = if props.mime.starts_with("video/") {
        format!(r#"<video id="media" controls preload="metadata" playsinline src="{stream}"></video>"#)
    } else if props.mime.starts_with("audio/") {
        format!(r#"<audio id="media" controls preload="metadata" src="{stream}"></audio>"#)
    } else if props.mime.starts_with("image/") {
        format!(r#"<img id="media" alt="{}" src="{stream}">"#, escape(&props.name))
    } else {
        r#"<p style="color:#ccc;padding:24px;margin:0">No preview for this kind of file.</p>"#.to_string()
    };
    let page = TEMPLATE
        .replace("{{NAME}}", &escape(&props.name))
        .replace("{{SIZE}}", &humanize::bytes(props.size))
        .replace("{{MIME}}", &mime)
        .replace("{{MEDIA}}", &media)
        .replace("{{STREAM}}", &stream)
        .replace("{{DOWNLOAD}}", &download);
    let mut r = Html(page).into_response();
    r.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; media-src 'self'; img-src 'self'; style-src 'unsafe-inline'; script-src 'unsafe-inline'"),
    );
    r
}
