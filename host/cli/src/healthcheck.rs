//! `beamgram healthcheck`: asks a running beamgram's `/healthz` and exits 0 when it answers 200.
//! A container image holding only the release folder has no curl; its HEALTHCHECK runs this.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[derive(Debug, thiserror::Error)]
pub enum HealthError {
    #[error("{0} is not an http://HOST:PORT/PATH address")]
    Url(String),
    #[error("{url}: {problem}")]
    Unreachable { url: String, problem: String },
    #[error("{url} answered {status}")]
    Unhealthy { url: String, status: String },
}

/// GETs `url` (plain HTTP, a loopback or cluster-internal address) within `timeout`.
pub async fn check(url: &str, timeout: Duration) -> Result<(), HealthError> {
    let rest = url.strip_prefix("http://").ok_or_else(|| HealthError::Url(url.into()))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    if authority.is_empty() || !authority.contains(':') {
        return Err(HealthError::Url(url.into()));
    }
    let unreachable = |problem: String| HealthError::Unreachable { url: url.into(), problem };
    let ask = async {
        let mut conn = tokio::net::TcpStream::connect(authority).await?;
        let request = format!("GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n");
        conn.write_all(request.as_bytes()).await?;
        // The status line is all that counts; a health answer is a few bytes.
        let mut head = vec![0u8; 256];
        let mut got = 0;
        while got < head.len() && !head[..got].contains(&b'\n') {
            let n = conn.read(&mut head[got..]).await?;
            if n == 0 {
                break;
            }
            got += n;
        }
        head.truncate(got);
        Ok::<_, std::io::Error>(head)
    };
    let head = tokio::time::timeout(timeout, ask)
        .await
        .map_err(|_| unreachable(format!("no answer within {timeout:?}")))?
        .map_err(|e| unreachable(e.to_string()))?;
    let line = String::from_utf8_lossy(&head);
    let status = line.lines().next().unwrap_or("").trim().to_string();
    match status.split_whitespace().nth(1) {
        Some("200") => Ok(()),
        _ if status.is_empty() => Err(unreachable("the connection closed without an answer".into())),
        _ => Err(HealthError::Unhealthy { url: url.into(), status }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn refuses_what_it_cannot_ask() {
        for bad in ["https://127.0.0.1:1/healthz", "127.0.0.1:8080", "http:///healthz", "http://localhost/healthz"] {
            assert!(matches!(check(bad, Duration::from_secs(1)).await, Err(HealthError::Url(_))), "{bad}");
        }
    }

    #[tokio::test]
    async fn a_closed_port_is_unhealthy() {
        let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("port").port();
        let r = check(&format!("http://127.0.0.1:{port}/healthz"), Duration::from_secs(2)).await;
        assert!(matches!(r, Err(HealthError::Unreachable { .. })), "{r:?}");
    }

    #[tokio::test]
    async fn only_200_is_healthy() {
        for (answer, healthy) in
            [("HTTP/1.1 200 OK\r\n\r\nok", true), ("HTTP/1.1 503 Service Unavailable\r\n\r\n", false)]
        {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
            let port = listener.local_addr().expect("addr").port();
            tokio::spawn(async move {
                if let Ok((mut c, _)) = listener.accept().await {
                    let mut buf = [0u8; 512];
                    let _ = c.read(&mut buf).await;
                    let _ = c.write_all(answer.as_bytes()).await;
                }
            });
            let r = check(&format!("http://127.0.0.1:{port}/healthz"), Duration::from_secs(2)).await;
            assert_eq!(r.is_ok(), healthy, "{answer:?}: {r:?}");
        }
    }
}
