//! `/healthz` (the process answers), `/readyz` (it can reach Telegram), `/metrics`.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use subtle::ConstantTimeEq;

use super::HttpState;

pub async fn healthz() -> &'static str {
    "ok\n"
}

pub async fn readyz(State(st): State<Arc<HttpState>>) -> impl IntoResponse {
    if st.main.streamer.is_ready() {
        (StatusCode::OK, "ready\n")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "no Telegram client is connected\n")
    }
}

pub async fn metrics(State(st): State<Arc<HttpState>>, headers: HeaderMap) -> Response {
    let want = &st.settings.metrics_token;
    if !want.is_empty() {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        if !bool::from(given.as_bytes().ct_eq(want.as_bytes())) {
            return (StatusCode::UNAUTHORIZED, [(header::WWW_AUTHENTICATE, "Bearer")], "a metrics token is required\n")
                .into_response();
        }
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], st.metrics.render(&st.main.streamer.loads()))
        .into_response()
}
