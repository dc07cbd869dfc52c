//! What a stored file is served as. The MIME type comes from whoever sent the file, so it is
//! never trusted: it is normalised (one `type/subtype`, no parameters, nothing a header could be
//! split with), and only an allow-list of types browsers render harmlessly is served inline —
//! video, audio, raster images, PDF, and plain text (as `text/plain; charset=utf-8`). Anything
//! else (HTML, SVG, XML, JavaScript, a crafted type) is an attachment, and every `/stream`
//! response carries `Content-Security-Policy: sandbox` besides, so nothing stored can run
//! script on the links' origin.

/// The policy sent with every stream: no script, no plugins, no same-origin access, even when a
/// browser is talked into rendering the body.
pub const STREAM_CSP: &str = "sandbox; default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'";

/// Raster images browsers show without running anything (not SVG).
const RASTER: [&str; 7] =
    ["image/jpeg", "image/png", "image/gif", "image/webp", "image/avif", "image/bmp", "image/x-icon"];

/// `type/subtype`, lower-case, or `application/octet-stream` when the sender's value is not one.
pub fn normalise(mime: &str) -> String {
    let essence = mime.split([';', ',']).next().unwrap_or("").trim().to_ascii_lowercase();
    let token = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$&^_.+-".contains(&b));
    match essence.split_once('/') {
        Some((t, sub)) if token(t) && token(sub) => essence,
        _ => "application/octet-stream".into(),
    }
}

/// The Content-Type to send and whether the body may be shown inline.
pub fn served_as(mime: &str) -> (String, bool) {
    let m = normalise(mime);
    if m == "text/plain" {
        return ("text/plain; charset=utf-8".into(), true);
    }
    let inline =
        m.starts_with("video/") || m.starts_with("audio/") || RASTER.contains(&m.as_str()) || m == "application/pdf";
    (m, inline)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_harmless_types_are_inline() {
        assert_eq!(served_as("video/mp4"), ("video/mp4".into(), true));
        assert_eq!(served_as("audio/mpeg"), ("audio/mpeg".into(), true));
        assert_eq!(served_as("image/png"), ("image/png".into(), true));
        assert_eq!(served_as("application/pdf"), ("application/pdf".into(), true));
        assert_eq!(served_as("text/plain; charset=latin1"), ("text/plain; charset=utf-8".into(), true));
        for evil in ["image/svg+xml", "text/html", "application/xhtml+xml", "text/xml", "application/javascript"] {
            assert!(!served_as(evil).1, "{evil} must not be inline");
        }
    }

    #[test]
    fn crafted_types_are_normalised() {
        assert_eq!(normalise("Video/MP4; codecs=avc1"), "video/mp4");
        assert_eq!(normalise("image/png, text/html"), "image/png");
        assert_eq!(normalise("text/html\r\nSet-Cookie: x=1"), "application/octet-stream");
        assert_eq!(normalise("image/svg+xml"), "image/svg+xml");
        assert_eq!(normalise("nonsense"), "application/octet-stream");
        assert_eq!(normalise(""), "application/octet-stream");
        assert_eq!(normalise("a/b c"), "application/octet-stream");
    }
}
