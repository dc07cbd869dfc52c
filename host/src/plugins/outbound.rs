//! Outbound HTTP for plugins: deny by default, only to the hosts the operator allowed for that
//! plugin, with a timeout and a cap on the response size. Redirects are not followed (a plugin
//! sees the 3xx and its Location, and cannot be bounced to a host it may not reach).
//!
//! An allowed name must not lead inside: names are resolved by a resolver that drops loopback,
//! private, link-local (cloud metadata), unique-local and other internal addresses, at connect
//! time (so a name cannot be re-pointed between a check and the connection). Only addresses the
//! operator writes out as such (`"10.0.0.5"` in an allow-list or `links.shortener_sites`) may
//! be internal. Plain `http://` only where the operator wrote the entry as `http://host`.

use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::{Method, Request, Uri};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::connect::dns::Name;
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

type Connector = hyper_rustls::HttpsConnector<HttpConnector<Resolver>>;

pub struct Outbound {
    client: Client<Connector, Full<Bytes>>,
    /// Hosts each plugin may reach: `example.org`, `*.example.org` for its subdomains, and
    /// `http://host` where plain HTTP is allowed.
    allow: HashMap<String, Vec<String>>,
}

/// An allow-list entry matching `host`; whether it allows plain http.
fn allow_entry(allow: &[String], host: &str) -> Option<bool> {
    let host = host.trim_end_matches('.').trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase();
    allow.iter().find_map(|a| {
        let a = a.to_ascii_lowercase();
        let (http, name) = match a.strip_prefix("http://") {
            Some(n) => (true, n.to_string()),
            None => (false, a.strip_prefix("https://").unwrap_or(&a).to_string()),
        };
        let name = name.trim_end_matches('/');
        let hit = match name.strip_prefix("*.") {
            Some(domain) => host.ends_with(&format!(".{domain}")),
            None => host == name,
        };
        hit.then_some(http)
    })
}

#[cfg(test)]
fn host_allowed(allow: &[String], host: &str) -> bool {
    allow_entry(allow, host).is_some()
}

/// An error and what caused it, on one line ("client error (Connect): x resolves to …").
pub(crate) fn with_causes(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let text = c.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        cause = c.source();
    }
    out
}

/// Addresses that lead inside the operator's network or machine.
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || o[0] == 0
                || (o[0] == 100 && (64..128).contains(&o[1]))
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_internal(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
        }
    }
}

/// The resolver every outbound connection uses: internal addresses are dropped unless listed.
#[derive(Clone)]
struct Resolver {
    explicit: Arc<HashSet<IpAddr>>,
}

impl tower::Service<Name> for Resolver {
    type Response = std::vec::IntoIter<SocketAddr>;
    type Error = std::io::Error;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, _: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), Self::Error>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, name: Name) -> Self::Future {
        let explicit = self.explicit.clone();
        Box::pin(async move {
            let host = name.as_str().to_string();
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let outside: Vec<SocketAddr> =
                found.iter().copied().filter(|a| !is_internal(a.ip()) || explicit.contains(&a.ip())).collect();
            if outside.is_empty() {
                tracing::warn!(host, "outbound request refused: the name resolves to internal addresses only");
                return Err(std::io::Error::new(
                    std::io::ErrorKind::PermissionDenied,
                    format!("{host} resolves to an internal address"),
                ));
            }
            Ok(outside.into_iter())
        })
    }
}

fn parse(url: &str) -> Result<Uri, OutboundError> {
    let uri: Uri = url.parse().map_err(|_| OutboundError::Failed(format!("'{url}' is not a URL")))?;
    if !matches!(uri.scheme_str(), Some("http" | "https")) {
        return Err(OutboundError::Failed("only http:// and https:// URLs".into()));
    }
    Ok(uri)
}

impl Outbound {
    /// `allow`: each plugin's hosts; `also_explicit`: other entries the operator wrote (the
    /// shortener sites), whose literal addresses may be internal too.
    pub fn new(allow: HashMap<String, Vec<String>>, also_explicit: &[String]) -> Outbound {
        let explicit: HashSet<IpAddr> = allow
            .values()
            .flatten()
            .chain(also_explicit)
            .filter_map(|e| {
                let e = e.trim_start_matches("http://").trim_start_matches("https://");
                e.parse::<IpAddr>().ok().or_else(|| e.parse::<SocketAddr>().ok().map(|s| s.ip()))
            })
            .collect();
        let mut http = HttpConnector::new_with_resolver(Resolver { explicit: Arc::new(explicit) });
        http.enforce_http(false);
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_webpki_roots()
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
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
        let Some(http_ok) = self.allow.get(plugin).and_then(|a| allow_entry(a, host)) else {
            tracing::warn!(plugin, host, "outbound request to a host the operator did not allow");
            return Err(OutboundError::NotAllowed(format!(
                "{host} is not in this plugin's allowed hosts (plugins.http_allow)"
            )));
        };
        if uri.scheme_str() == Some("http") && !http_ok {
            tracing::warn!(
                plugin,
                host,
                "outbound plain-http request refused (https only unless allowed as http://host)"
            );
            return Err(OutboundError::NotAllowed(format!("https only for {host} (allow it as http://{host})")));
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
            let resp = self.client.request(req).await.map_err(|e| OutboundError::Failed(with_causes(&e)))?;
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
    use super::{allow_entry, host_allowed, is_internal};

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
        let h = vec!["http://local.test".to_string(), "secure.test".to_string()];
        assert_eq!(allow_entry(&h, "local.test"), Some(true));
        assert_eq!(allow_entry(&h, "secure.test"), Some(false), "https only");
    }

    #[test]
    fn internal_addresses() {
        for a in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "fc00::1",
            "fd12::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::",
        ] {
            assert!(is_internal(a.parse().expect("ip")), "{a} is internal");
        }
        for a in ["1.1.1.1", "172.32.0.1", "8.8.8.8", "2606:4700::1111", "::ffff:8.8.8.8"] {
            assert!(!is_internal(a.parse().expect("ip")), "{a} is not internal");
        }
    }
}
