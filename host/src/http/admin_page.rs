//! `GET /admin/<token>` and `/admin/<token>/stats.json`: the operator's live view — users and
//! files, streams now, bytes served today, the files that took most of them, FLOOD_WAITs in the
//! last hour, each download connection's load — behind a short-lived token from `/admin_link`
//! (see [`crate::links`]). The page is static; its script reads the JSON every 2 s and puts every
//! value in as text. Nothing is cached, nothing leaks through a referrer, no frame can hold it.

use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;

use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};

use super::HttpState;
use super::stream_route::link_error;
use crate::humanize;

const PAGE: &str = include_str!("../../assets/admin.html");

fn private(mut r: Response) -> Response {
    let h = r.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; connect-src 'self'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; frame-ancestors 'none'",
        ),
    );
    r
}

/// The answer a token that does not open the page gets (none when it does).
fn refused(st: &HttpState, token: &str) -> Option<Response> {
    st.main.signer.verify_admin(token, crate::clock::unix_secs()).err().map(|e| private(link_error(e)))
}

pub async fn page(State(st): State<Arc<HttpState>>, Path(token): Path<String>) -> Response {
    if let Some(r) = refused(&st, &token) {
        return r;
    }
    private(Html(PAGE).into_response())
}

pub async fn stats(State(st): State<Arc<HttpState>>, Path(token): Path<String>) -> Response {
    if let Some(r) = refused(&st, &token) {
        return r;
    }
    let m = &st.metrics;
    let t = m.traffic.snapshot(crate::clock::unix_secs(), 10);
    let mut body = serde_json::json!({
        "node": st.settings.node,
        "role": st.settings.role.name(),
        "streams_now": m.active_streams.load(Relaxed),
        "served_since_start": humanize::bytes(m.bytes_streamed.load(Relaxed)),
        "served_today": humanize::bytes(t.bytes_today),
        "top_files": t.top_files.iter().map(|(name, b)| serde_json::json!({"name": name, "bytes": humanize::bytes(*b)})).collect::<Vec<_>>(),
        "flood_waits_last_hour": t.flood_waits_last_hour,
        "connections": st.main.streamer.loads().iter().map(|(name, n)| serde_json::json!({"name": name, "streams": n})).collect::<Vec<_>>(),
    });
    if let Ok(c) = st.store.user_counts().await {
        body["users"] = serde_json::json!({"total": c.total, "banned": c.banned, "blocked_bot": c.blocked_bot});
    }
    if let Ok((files, bytes)) = st.store.file_totals().await {
        body["files"] = serde_json::json!({"count": files, "bytes": humanize::bytes(bytes)});
    }
    let mut r = body.to_string().into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    private(r)
}
