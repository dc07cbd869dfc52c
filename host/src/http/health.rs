//! `/healthz` (the process answers), `/readyz` (it can reach Telegram), `/metrics`.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;

use super::HttpState;

pub async fn healthz() -> &'static str {
    "ok\n"
}

pub async fn readyz(State(st): State<Arc<HttpState>>) -> impl IntoResponse {
    if st.streamer.is_ready() {
        (StatusCode::OK, "ready\n")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "no Telegram client is connected\n")
    }
}

pub async fn metrics(State(st): State<Arc<HttpState>>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], st.metrics.render(&st.streamer.loads()))
}
