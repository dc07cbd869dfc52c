//! How many connections the server holds: a cap per client address (so one address — a
//! slowloris sending a header byte a second, a runaway download manager — cannot take every
//! connection) and a cap in all (so the process refuses politely instead of running out of file
//! descriptors). A refused connection gets a one-line answer and is closed at once: 429 for an
//! address over its share, 503 with Retry-After when the server is full.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

pub struct ConnLimits {
    per_ip: usize,
    total: usize,
    open: Mutex<(usize, HashMap<IpAddr, usize>)>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// This address holds its share.
    Address,
    /// The server holds all it may.
    Full,
}

impl Refusal {
    /// What the refused client reads before the connection closes.
    pub fn answer(&self) -> &'static [u8] {
        match self {
            Refusal::Address => {
                b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 1\r\nContent-Length: 39\r\nConnection: close\r\n\r\ntoo many connections from your address\n"
            }
            Refusal::Full => {
                b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Length: 23\r\nConnection: close\r\n\r\nthe server is too busy\n"
            }
        }
    }
}

/// One admitted connection; its place is given back when it is dropped.
pub struct Admitted {
    limits: Arc<ConnLimits>,
    ip: IpAddr,
}

impl ConnLimits {
    pub fn new(per_ip: usize, total: usize) -> Arc<ConnLimits> {
        Arc::new(ConnLimits { per_ip: per_ip.max(1), total: total.max(1), open: Mutex::default() })
    }

    /// A trusted proxy's connections count towards the total only: it carries many clients.
    pub fn admit(self: &Arc<Self>, ip: IpAddr, trusted_proxy: bool) -> Result<Admitted, Refusal> {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        if open.0 >= self.total {
            return Err(Refusal::Full);
        }
        let mine = open.1.entry(ip).or_default();
        if *mine >= self.per_ip && !trusted_proxy {
            return Err(Refusal::Address);
        }
        *mine += 1;
        open.0 += 1;
        Ok(Admitted { limits: self.clone(), ip })
    }
}

impl Drop for Admitted {
    fn drop(&mut self) {
        let mut open = self.limits.open.lock().unwrap_or_else(|p| p.into_inner());
        open.0 = open.0.saturating_sub(1);
        if let Some(n) = open.1.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                open.1.remove(&self.ip);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_address_then_in_all_and_given_back() {
        let l = ConnLimits::new(2, 3);
        let a: IpAddr = "10.0.0.1".parse().expect("ip");
        let b: IpAddr = "10.0.0.2".parse().expect("ip");
        let a1 = l.admit(a, false).expect("first");
        let _a2 = l.admit(a, false).expect("second");
        assert_eq!(l.admit(a, false).err(), Some(Refusal::Address));
        let _b1 = l.admit(b, false).expect("another address");
        assert_eq!(l.admit(b, false).err(), Some(Refusal::Full), "three in all");
        drop(a1);
        assert!(l.admit(b, false).is_ok(), "a place was given back");
        let p = ConnLimits::new(1, 3);
        let (_p1, _p2) = (p.admit(a, true).expect("a proxy"), p.admit(a, true).expect("past the address cap"));
        let _p3 = p.admit(b, true).expect("a third");
        assert_eq!(p.admit(b, true).err(), Some(Refusal::Full), "the total still counts");
        assert!(std::str::from_utf8(Refusal::Full.answer()).is_ok_and(|s| s.ends_with("busy\n")));
        for r in [Refusal::Address, Refusal::Full] {
            let text = std::str::from_utf8(r.answer()).expect("ascii");
            let (head, body) = text.split_once("\r\n\r\n").expect("head and body");
            assert!(head.contains(&format!("Content-Length: {}", body.len())), "{head}");
        }
    }
}
