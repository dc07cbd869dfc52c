//! A stand-in for a link shortener's `GET /api?api=KEY&url=URL` on loopback, for the tests of
//! the shortener plugin and of a clone owner's shortener.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// A stand-in for a shortener's `GET /api?api=KEY&url=URL`, on loopback. Key `good` works;
/// anything else is refused; `down` makes it answer 502.
pub struct FakeShortener {
    pub addr: std::net::SocketAddr,
    pub calls: Arc<AtomicUsize>,
    pub down: Arc<AtomicBool>,
    pub last_url: Arc<std::sync::Mutex<String>>,
}

pub async fn fake_shortener() -> FakeShortener {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (calls, down, last_url) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicBool::new(false)), Arc::default());
    let (c, d, l): (_, _, Arc<std::sync::Mutex<String>>) = (calls.clone(), down.clone(), Arc::clone(&last_url));
    tokio::spawn(async move {
        loop {
            let Ok((mut s, _)) = listener.accept().await else { return };
            let n = c.fetch_add(1, Ordering::SeqCst) + 1;
            let mut buf = vec![0u8; 8192];
            let len = s.read(&mut buf).await.unwrap_or(0);
            let req = String::from_utf8_lossy(&buf[..len]).to_string();
            let target = req.split_whitespace().nth(1).unwrap_or_default().to_string();
            let query = target.split_once('?').map(|(_, q)| q).unwrap_or_default().to_string();
            let param = |k: &str| {
                query
                    .split('&')
                    .find_map(|p| p.strip_prefix(&format!("{k}=")))
                    .map(|v| percent_encoding::percent_decode_str(v).decode_utf8_lossy().to_string())
            };
            if let Some(u) = param("url") {
                *l.lock().expect("lock") = u;
            }
            let (status, body) = if d.load(Ordering::SeqCst) {
                ("502 Bad Gateway", "oops".to_string())
            } else if param("api").as_deref() == Some("good") && target.starts_with("/api?") {
                ("200 OK", format!(r#"{{"status":"success","shortenedUrl":"https:\/\/sho.rt\/{n}"}}"#))
            } else {
                ("200 OK", r#"{"status":"error","message":["Invalid API token."]}"#.to_string())
            };
            let resp = format!(
                "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = s.write_all(resp.as_bytes()).await;
        }
    });
    FakeShortener { addr, calls, down, last_url }
}
