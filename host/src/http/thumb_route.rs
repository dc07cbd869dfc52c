//! `GET /thumb/<token>`: a file's thumbnail — a video's frame, a song's cover — under the same
//! signed token as its stream, so it is exactly as reachable as the file (expired, revoked or
//! forged links get the same answers). The watch page shows it as the poster and link previews
//! (`og:image`) read it.
//!
//! Only bytes that are an image a browser shows are served, with their true type and
//! `nosniff`: whatever Telegram holds under a thumbnail never reaches a browser as anything else.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::HttpState;
use super::stream_route::{resolve, stream_error, text};

/// The image type of `bytes` by its signature: JPEG (what Telegram makes), PNG or WebP.
fn image_type(bytes: &[u8]) -> Option<&'static str> {
    match bytes {
        [0xFF, 0xD8, 0xFF, ..] => Some("image/jpeg"),
        [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1A, b'\n', ..] => Some("image/png"),
        [b'R', b'I', b'F', b'F', _, _, _, _, b'W', b'E', b'B', b'P', ..] => Some("image/webp"),
        _ => None,
    }
}

pub async fn handle(State(st): State<Arc<HttpState>>, Path(token): Path<String>) -> Response {
    let (served, _, props) = match resolve(&st, &token).await {
        Ok(found) => found,
        Err(r) => return r,
    };
    let bytes = match served.streamer.thumbnail(&props).await {
        Ok(Some(b)) => b,
        Ok(None) => return text(StatusCode::NOT_FOUND, "this file has no preview image"),
        Err(e) => return stream_error(&e),
    };
    let Some(mime) = image_type(&bytes) else {
        tracing::warn!(message = props.message_id, "a thumbnail from Telegram is not an image; not served");
        return text(StatusCode::NOT_FOUND, "this file has no preview image");
    };
    let mut r = bytes.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    // Private: a revoked link's poster must not live on in a shared cache.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=3600"));
    r
}

#[cfg(test)]
mod tests {
    use super::image_type;

    #[test]
    fn only_images_are_recognised() {
        assert_eq!(image_type(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]), Some("image/jpeg"));
        assert_eq!(image_type(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), Some("image/png"));
        assert_eq!(image_type(b"RIFF\x10\0\0\0WEBPVP8 "), Some("image/webp"));
        for not in [&b""[..], b"\xFF\xD8", b"<svg onload=alert(1)>", b"<html>", b"RIFF\x10\0\0\0WAVEfmt ", b"GIF89a"] {
            assert_eq!(image_type(not), None, "{not:?}");
        }
    }
}
