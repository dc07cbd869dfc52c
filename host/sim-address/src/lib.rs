//! How a bot finds the simulator: a one-line address that carries the DC endpoints, the API
//! credentials it accepts and the seed its authorization keys derive from.
//!
//! grammers cannot complete a key exchange with anyone but Telegram (the RSA keys are built
//! in), so a bot's session is pre-seeded instead: both sides derive the same per-DC keys from
//! the seed and the bot token, and the simulator accepts exactly those.

use std::collections::HashMap;
use std::fmt;
use std::net::{Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::str::FromStr;

use grammers_session::SessionData;
use grammers_session::types::DcOption;
use sha2::{Digest, Sha256};

pub const SCHEME: &str = "beamgram-sim://";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimAddress {
    pub api_id: i32,
    pub api_hash: String,
    pub seed: [u8; 32],
    pub dcs: Vec<(i32, SocketAddrV4)>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("not a simulator address ({0}); expected {SCHEME}API_ID:API_HASH@SEED/2=127.0.0.1:PORT,4=127.0.0.1:PORT")]
pub struct AddressError(pub String);

impl fmt::Display for SimAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{SCHEME}{}:{}@", self.api_id, self.api_hash)?;
        for b in self.seed {
            write!(f, "{b:02x}")?;
        }
        let dcs: Vec<String> = self.dcs.iter().map(|(id, a)| format!("{id}={a}")).collect();
        write!(f, "/{}", dcs.join(","))
    }
}

impl FromStr for SimAddress {
    type Err = AddressError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = |why: &str| AddressError(why.to_string());
        let rest = s.trim().strip_prefix(SCHEME).ok_or_else(|| bad("it does not start with the scheme"))?;
        let (creds, rest) = rest.split_once('@').ok_or_else(|| bad("no '@'"))?;
        let (id, hash) = creds.split_once(':').ok_or_else(|| bad("no API_ID:API_HASH"))?;
        let api_id = id.parse().map_err(|_| bad("API_ID is not a number"))?;
        let (seed_hex, dcs) = rest.split_once('/').ok_or_else(|| bad("no DC list"))?;
        if seed_hex.len() != 64 {
            return Err(bad("the seed is not 64 hex digits"));
        }
        let mut seed = [0u8; 32];
        for (i, b) in seed.iter_mut().enumerate() {
            *b = u8::from_str_radix(&seed_hex[i * 2..i * 2 + 2], 16).map_err(|_| bad("the seed is not hex"))?;
        }
        let dcs = dcs
            .split(',')
            .map(|d| {
                let (id, addr) = d.split_once('=').ok_or_else(|| bad("a DC is not ID=ADDRESS"))?;
                Ok((
                    id.parse().map_err(|_| bad("a DC id is not a number"))?,
                    addr.parse().map_err(|_| bad("a DC address is not IPv4:PORT"))?,
                ))
            })
            .collect::<Result<Vec<_>, AddressError>>()?;
        if dcs.is_empty() {
            return Err(bad("no DCs"));
        }
        Ok(SimAddress { api_id, api_hash: hash.to_string(), seed, dcs })
    }
}

/// The 2048-bit key a bot holds for one DC: SHA-256 in counter mode over the seed, the bot
/// token and the DC id.
pub fn derive_key(seed: &[u8; 32], token: &str, dc: i32) -> [u8; 256] {
    let mut out = [0u8; 256];
    for (i, chunk) in out.chunks_mut(32).enumerate() {
        let mut h = Sha256::new();
        h.update(seed);
        h.update(token.as_bytes());
        h.update(dc.to_le_bytes());
        h.update((i as u32).to_le_bytes());
        chunk.copy_from_slice(&h.finalize());
    }
    out
}

impl SimAddress {
    /// A fresh session for `token`: every simulated DC with its address and derived key.
    pub fn session_for(&self, token: &str, home_dc: i32) -> SessionData {
        let dc_options: HashMap<i32, DcOption> = self
            .dcs
            .iter()
            .map(|(id, addr)| {
                let v6 = SocketAddrV6::new(Ipv6Addr::LOCALHOST, addr.port(), 0, 0);
                (*id, DcOption { id: *id, ipv4: *addr, ipv6: v6, auth_key: Some(derive_key(&self.seed, token, *id)) })
            })
            .collect();
        SessionData { home_dc, dc_options, ..SessionData::default() }
    }

    pub fn socket(&self, dc: i32) -> Option<SocketAddr> {
        self.dcs.iter().find(|(id, _)| *id == dc).map(|(_, a)| SocketAddr::V4(*a))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_text() {
        let a = SimAddress {
            api_id: 1,
            api_hash: "abc".into(),
            seed: [7; 32],
            dcs: vec![(2, "127.0.0.1:9002".parse().expect("addr")), (4, "127.0.0.1:9004".parse().expect("addr"))],
        };
        assert_eq!(a.to_string().parse::<SimAddress>(), Ok(a.clone()));
        assert!("http://x".parse::<SimAddress>().is_err());
        assert!(format!("{SCHEME}1:x@00/2=1.2.3.4:5").parse::<SimAddress>().is_err());
        let s = a.session_for("t", 2);
        assert_eq!(s.home_dc, 2);
        assert_ne!(s.dc_options[&2].auth_key, s.dc_options[&4].auth_key);
    }
}
