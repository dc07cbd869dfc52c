//! Who a request is from. Behind a load balancer every connection comes from the balancer, so
//! per-address caps would count every viewer as one; the operator names the balancers it runs
//! (`http.trusted_proxies`) and, for connections from them only, the client is the address the
//! balancer appended last to `X-Forwarded-For`. Anyone else's `X-Forwarded-For` is ignored: a
//! client cannot pick the address it is counted as.

use std::net::IpAddr;

/// The address a request counts as: `peer`, or when `peer` is trusted and says so, the last
/// address of its `X-Forwarded-For`.
pub fn client_ip(peer: IpAddr, forwarded_for: Option<&str>, trusted: &[IpAddr]) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    forwarded_for.and_then(|v| v.rsplit(',').next()).and_then(|last| last.trim().parse().ok()).unwrap_or(peer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_trusted_proxies_speak_for_their_clients() {
        let proxy: IpAddr = "10.0.0.2".parse().expect("ip");
        let viewer: IpAddr = "203.0.113.7".parse().expect("ip");
        let trusted = [proxy];
        assert_eq!(client_ip(proxy, Some("198.51.100.1, 203.0.113.7"), &trusted), viewer, "the balancer's last entry");
        assert_eq!(client_ip(proxy, None, &trusted), proxy);
        assert_eq!(client_ip(proxy, Some("garbage"), &trusted), proxy);
        // A client claiming to be someone else is counted as itself.
        assert_eq!(client_ip(viewer, Some("1.2.3.4"), &trusted), viewer);
        assert_eq!(client_ip(viewer, Some("1.2.3.4"), &[]), viewer);
    }
}
