//! Outbound HTTP for plugins: deny by default, only to the hosts the operator allowed for that
//! plugin, with a timeout and a cap on the response size. Redirects are not followed (a plugin
//! sees the 3xx and its Location, and cannot be bounced to a host it may not reach).

use std::collections::HashMap;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::{Method, Request, Uri};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

pub const MAX_RESPONSE: usize = 1024 * 1024;
pub const TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum OutboundError {
    #[error("{0}")]
    NotAllowed(String),
    #[error("{0}")]
    Limit(String),
    #[error("{0}")]
    Failed(String),
}

pub struct Outbound {
    client: Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>,
    /// Hosts each plugin may reach: `example.org`, or `*.example.org` for its subdomains.
    allow: HashMap<String, Vec<String>>,
}

fn host_allowed(allow: &[String], host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    allow.iter().any(|a| {
        let a = a.to_ascii_lowercase();
        match a.strip_prefix("*.") {
            Some(domain) => host.ends_with(&format!(".{domain}")),
            None => host == a,
        }
    })
}

fn parse(url: &str) -> Result<Uri, OutboundError> {
    let uri: Uri = url.parse().map_err(|_| OutboundError::Failed(format!("'{url}' is not a URL")))?;
    if !matches!(uri.scheme_str(), Some("http" | "https")) {
        return Err(OutboundError::Failed("only http:// and https:// URLs".into()));
    }
    Ok(uri)
}

impl Outbound {
    pub fn new(allow: HashMap<String, Vec<String>>) -> Outbound {
        let https =
            hyper_rustls::HttpsConnectorBuilder::new().with_webpki_roots().https_or_http().enable_http1().build();
        Outbound { client: Client::builder(TokioExecutor::new()).build(https), allow }
    }

    pub async fn request(
        &self,
        plugin: &str,
        method: Method,
        url: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Result<(u16, Vec<u8>), OutboundError> {
        let uri = parse(url)?;
        let host = uri.host().unwrap_or_default();
        let allowed = self.allow.get(plugin).is_some_and(|a| host_allowed(a, host));
        if !allowed {
            tracing::warn!(plugin, host, "outbound request to a host the operator did not allow");
            return Err(OutboundError::NotAllowed(format!(
                "{host} is not in this plugin's allowed hosts (plugins.http_allow)"
            )));
        }
        self.fetch(method, url, content_type, body).await
    }

    /// A request the caller has already checked against its own allow-list.
    pub(crate) async fn fetch(
        &self,
        method: Method,
        url: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Result<(u16, Vec<u8>), OutboundError> {
        let uri = parse(url)?;
        let mut req = Request::builder()
            .method(method)
            .uri(uri)
            .header(hyper::header::USER_AGENT, concat!("beamgram/", env!("CARGO_PKG_VERSION")));
        if let Some(ct) = content_type {
            req = req.header(hyper::header::CONTENT_TYPE, ct);
        }
        let req = req.body(Full::new(Bytes::from(body))).map_err(|e| OutboundError::Failed(e.to_string()))?;
        let call = async {
            let resp = self.client.request(req).await.map_err(|e| OutboundError::Failed(format!("{e}")))?;
            let status = resp.status().as_u16();
            let body = Limited::new(resp.into_body(), MAX_RESPONSE)
                .collect()
                .await
                .map_err(|_| OutboundError::Limit(format!("the response is larger than {MAX_RESPONSE} bytes")))?
                .to_bytes();
            Ok((status, body.to_vec()))
        };
        tokio::time::timeout(TIMEOUT, call)
            .await
            .map_err(|_| OutboundError::Failed(format!("no answer within {TIMEOUT:?}")))?
    }
}

#[cfg(test)]
mod tests {
    use super::host_allowed;

    #[test]
    fn allow_list_matching() {
        let a = vec!["gplinks.com".to_string(), "*.short.example".to_string()];
        assert!(host_allowed(&a, "gplinks.com") && host_allowed(&a, "GPLINKS.com."));
        assert!(host_allowed(&a, "api.short.example"));
        assert!(
            !host_allowed(&a, "short.example")
                && !host_allowed(&a, "evilgplinks.com")
                && !host_allowed(&a, "gplinks.com.evil")
        );
        assert!(!host_allowed(&[], "anything"));
    }
}
