//! `GET /subs/<token>/<n>`: the `n`-th subtitle track of the link's video as WebVTT, converted
//! from the attached SRT or VTT file on the way out (see [`crate::subtitles`]). Reachable
//! exactly as the video is: same token, same expiry and revocation.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::HttpState;
use super::stream_route::{resolve, stream_error, text};
use crate::subtitles;

pub async fn handle(State(st): State<Arc<HttpState>>, Path(params): Path<HashMap<String, String>>) -> Response {
    let token = params.get("token").map(String::as_str).unwrap_or_default();
    let (served, target, _) = match resolve(&st, token).await {
        Ok(found) => found,
        Err(r) => return r,
    };
    let Some(n) = params.get("n").map(|n| n.trim_end_matches(".vtt")).and_then(|n| n.parse::<usize>().ok()) else {
        return text(StatusCode::NOT_FOUND, "no such subtitle track");
    };
    let track = match served.extras.tracks(target.message_id).await {
        Ok(tracks) => match tracks.into_iter().nth(n) {
            Some(t) => t,
            None => return text(StatusCode::NOT_FOUND, "no such subtitle track"),
        },
        Err(e) => {
            tracing::error!("could not read the subtitle tracks: {e}");
            return text(StatusCode::SERVICE_UNAVAILABLE, "the subtitles cannot be read right now");
        }
    };
    let file = match served.streamer.props(track.message).await {
        Ok(p) => p,
        Err(e) => return stream_error(&e),
    };
    let bytes = match served.streamer.whole(file, subtitles::MAX_BYTES).await {
        Ok(Some(b)) => b,
        Ok(None) => return text(StatusCode::NOT_FOUND, "the subtitle file is too large"),
        Err(e) => return stream_error(&e),
    };
    let vtt = match subtitles::to_webvtt(&bytes) {
        Ok(v) => v,
        Err(e) => return text(StatusCode::UNPROCESSABLE_ENTITY, format!("the subtitle file cannot be read: {e}")),
    };
    let mut r = vtt.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/vtt; charset=utf-8"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=300"));
    r
}
