//! `GET|HEAD /stream/<token>[/<name>]`: a file with byte ranges, validators and the right
//! Content-Disposition, streamed from Telegram as the client reads.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use axum::Extension;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Deserialize;

use super::Served;
use super::content_type;
use super::range::{RangeDecision, decide};
use super::{ClientIp, HttpState, StreamSlot};
use crate::links::{LinkError, LinkSigner, LinkTarget};
use crate::stream::StreamError;
use crate::stream::props::FileProps;

/// RFC 5987 attr-char: what may stand unescaped in `filename*`.
const ATTR_CHAR: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'!')
    .remove(b'#')
    .remove(b'$')
    .remove(b'&')
    .remove(b'+')
    .remove(b'-')
    .remove(b'.')
    .remove(b'^')
    .remove(b'_')
    .remove(b'`')
    .remove(b'|')
    .remove(b'~');

#[derive(Deserialize)]
pub struct StreamQuery {
    download: Option<String>,
}

pub fn text(status: StatusCode, msg: impl Into<String>) -> Response {
    let mut r = (status, format!("{}\n", msg.into())).into_response();
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

pub fn verify(signer: &LinkSigner, token: &str) -> Result<LinkTarget, LinkError> {
    signer.verify(token, crate::clock::unix_secs())
}

/// The answer a forged, broken or expired link deserves.
pub fn link_error(e: LinkError) -> Response {
    match e {
        LinkError::Expired => text(StatusCode::GONE, "this link has expired"),
        LinkError::Malformed | LinkError::BadSignature => text(StatusCode::NOT_FOUND, "no such link"),
    }
}

pub fn stream_error(e: &StreamError) -> Response {
    match e {
        // The bin-channel message was deleted: the file is gone for good.
        StreamError::NotFound => text(StatusCode::GONE, "the file behind this link is gone"),
        StreamError::FloodWait(s) => {
            let mut r = text(StatusCode::SERVICE_UNAVAILABLE, format!("Telegram asks us to slow down; retry in {s} s"));
            if let Ok(v) = HeaderValue::from_str(&s.to_string()) {
                r.headers_mut().insert(header::RETRY_AFTER, v);
            }
            r
        }
        other => text(StatusCode::BAD_GATEWAY, format!("could not reach the file on Telegram: {other}")),
    }
}

pub fn content_disposition(name: &str, attachment: bool) -> String {
    let kind = if attachment { "attachment" } else { "inline" };
    let fallback: String = name
        .chars()
        .map(|c| if (c.is_ascii_graphic() || c == ' ') && c != '"' && c != '\\' { c } else { '_' })
        .collect();
    format!("{kind}; filename=\"{fallback}\"; filename*=UTF-8''{}", utf8_percent_encode(name, ATTR_CHAR))
}

fn etag(p: &FileProps) -> String {
    format!("\"{:x}\"", p.unique_id)
}

fn last_modified(p: &FileProps) -> String {
    httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(p.date.max(0) as u64))
}

fn matches_etag(list: &str, tag: &str) -> bool {
    list.split(',').map(|t| t.trim().trim_start_matches("W/")).any(|t| t == "*" || t == tag)
}

/// Both `/stream/<token>` and `/stream/<token>/<name>` (the name is for players' display only).
pub async fn handle(
    st: State<Arc<HttpState>>,
    Path(params): Path<HashMap<String, String>>,
    q: Query<StreamQuery>,
    method: Method,
    headers: HeaderMap,
    ip: Extension<ClientIp>,
) -> Response {
    let token = params.get("token").cloned().unwrap_or_default();
    serve(st, token, q, method, headers, ip).await
}

/// The link's bot and file — under the name the link gives it, for a renamed link — or the
/// answer its token or file deserve (a revoked link: 410, checked once here, not per chunk).
pub async fn resolve(st: &HttpState, token: &str) -> Result<(Arc<Served>, LinkTarget, Arc<FileProps>), Response> {
    let served = st.served_for(token).await;
    let target = verify(&served.signer, token).map_err(link_error)?;
    match served.revoked.is_revoked(target.message_id).await {
        Ok(false) => {}
        Ok(true) => return Err(text(StatusCode::GONE, "this link was revoked")),
        Err(e) => {
            tracing::error!("cannot read revocations: {e}");
            return Err(text(StatusCode::SERVICE_UNAVAILABLE, "try again shortly"));
        }
    }
    let props = served.streamer.props(target.message_id).await.map_err(|e| stream_error(&e))?;
    let Some(id) = target.name else { return Ok((served, target, props)) };
    match served.extras.name(target.message_id, id).await {
        Ok(Some(name)) => Ok((served, target, Arc::new(FileProps { name, ..(*props).clone() }))),
        Ok(None) => Err(text(StatusCode::NOT_FOUND, "no such link")),
        Err(e) => {
            tracing::error!("cannot read the file's names: {e}");
            Err(text(StatusCode::SERVICE_UNAVAILABLE, "try again shortly"))
        }
    }
}

async fn serve(
    State(st): State<Arc<HttpState>>,
    token: String,
    Query(q): Query<StreamQuery>,
    method: Method,
    headers: HeaderMap,
    Extension(ClientIp(ip)): Extension<ClientIp>,
) -> Response {
    let (served, props) = match resolve(&st, &token).await {
        Ok((s, _, p)) => (s, p),
        Err(r) => return r,
    };
    let (tag, modified) = (etag(&props), last_modified(&props));
    let header_str = |name| headers.get(name).and_then(|v: &HeaderValue| v.to_str().ok());
    if header_str(header::IF_NONE_MATCH).is_some_and(|v| matches_etag(v, &tag)) {
        let mut r = StatusCode::NOT_MODIFIED.into_response();
        r.headers_mut().insert(header::ETAG, HeaderValue::from_str(&tag).unwrap_or(HeaderValue::from_static("\"\"")));
        return r;
    }
    // If-Range: honour Range only while the client's copy is this file.
    let range = match header_str(header::IF_RANGE) {
        Some(v) if v.trim() != tag && v.trim() != modified => None,
        _ => header_str(header::RANGE),
    };
    let part = match part_of(range, props.size) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let download = q.download.as_deref().is_some_and(|d| d != "0" && d != "false");
    let h = response_headers(&props, &part, tag, modified, download);
    let body = if method == Method::HEAD || part.length == 0 {
        Body::empty()
    } else {
        let Some(slot) = StreamSlot::acquire(&st, ip) else {
            let mut r = text(StatusCode::TOO_MANY_REQUESTS, "too many streams open from your address");
            r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            return r;
        };
        // The first bytes come before any header: when they cannot come (every connection rests
        // past the chunk deadline, the file is gone), the client gets 503 with Retry-After (or
        // 410, 502) instead of a 200 that is reset after 0 bytes.
        let mut chunks = Box::pin(served.streamer.body(props, part.start, part.end));
        let first = match chunks.next().await {
            Some(Ok(b)) => b,
            Some(Err(e)) => return stream_error(&e),
            None => bytes::Bytes::new(),
        };
        let stream = futures_util::stream::once(async move { Ok(first) }).chain(chunks).map(move |chunk| {
            // The slot lives as long as the body does.
            let _held = &slot;
            chunk.map_err(|e| {
                tracing::warn!("stream cut short: {e}");
                std::io::Error::other(e)
            })
        });
        Body::from_stream(stream)
    };
    let mut resp = Response::new(body);
    *resp.status_mut() = part.status;
    *resp.headers_mut() = h;
    resp
}

/// The part of the file a request gets: its status (200 or 206) and byte span.
struct Part {
    status: StatusCode,
    start: u64,
    end: u64,
    length: u64,
}

/// The part `range` asks for, or the answer a bad or unsatisfiable range gets (400, 416).
fn part_of(range: Option<&str>, size: u64) -> Result<Part, Box<Response>> {
    let (status, start, end) = match decide(range, size) {
        Err(e) => return Err(Box::new(text(StatusCode::BAD_REQUEST, e.to_string()))),
        Ok(RangeDecision::Unsatisfiable) => {
            let mut r = text(StatusCode::RANGE_NOT_SATISFIABLE, format!("the file has {size} bytes"));
            if let Ok(v) = HeaderValue::from_str(&format!("bytes */{size}")) {
                r.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            return Err(Box::new(r));
        }
        Ok(RangeDecision::Full) => (StatusCode::OK, 0, size.saturating_sub(1)),
        Ok(RangeDecision::Partial { start, end }) => (StatusCode::PARTIAL_CONTENT, start, end),
    };
    let length = if size == 0 { 0 } else { end - start + 1 };
    Ok(Part { status, start, end, length })
}

/// Type, length, validators, disposition (inline only for harmless types) and the sandbox.
fn response_headers(props: &FileProps, part: &Part, tag: String, modified: String, download: bool) -> HeaderMap {
    let (content_type, inline_ok) = content_type::served_as(&props.mime);
    let mut h = HeaderMap::new();
    let mut put = |k: header::HeaderName, v: String| {
        if let Ok(v) = HeaderValue::from_str(&v) {
            h.insert(k, v);
        }
    };
    put(header::CONTENT_TYPE, content_type);
    put(header::CONTENT_LENGTH, part.length.to_string());
    put(header::ACCEPT_RANGES, "bytes".into());
    put(header::ETAG, tag);
    put(header::LAST_MODIFIED, modified);
    put(header::CONTENT_DISPOSITION, content_disposition(&props.name, download || !inline_ok));
    put(header::CACHE_CONTROL, "private, max-age=86400".into());
    put(header::X_CONTENT_TYPE_OPTIONS, "nosniff".into());
    put(header::CONTENT_SECURITY_POLICY, content_type::STREAM_CSP.into());
    if part.status == StatusCode::PARTIAL_CONTENT {
        put(header::CONTENT_RANGE, format!("bytes {}-{}/{}", part.start, part.end, props.size));
    }
    h
}
