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

/// Ready for this process's role: a `bot` process answers only while it is the active one (a
/// standby does not listen yet); `stream` and `all` need a connected download client.
pub async fn readyz(State(st): State<Arc<HttpState>>) -> impl IntoResponse {
    let role = st.settings.role;
    if !role.streams() {
        (StatusCode::OK, "ready: bot (active)\n".to_string())
    } else if st.main.streamer.is_ready() {
        (StatusCode::OK, format!("ready: {}\n", role.name()))
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "no Telegram client is connected\n".to_string())
    }
}

/// `beamgram_node_info{node, role} 1`, so dashboards tell the processes apart.
fn node_info(st: &HttpState) -> String {
    let node: String = st.settings.node.chars().filter(|c| !matches!(c, '"' | '\\' | '\n')).collect();
    format!(
        "# TYPE beamgram_node_info gauge\nbeamgram_node_info{{node=\"{node}\",role=\"{}\"}} 1\n",
        st.settings.role.name()
    )
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
    let body = node_info(&st) + &st.metrics.render(&st.main.streamer.loads());
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body).into_response()
}
