//! Keeps a bot's MTProto session (DC addresses, authorization keys, update state) in the
//! store, so a restart neither logs in again (Telegram answers repeated bot logins with long
//! FLOOD_WAITs) nor misses the updates that arrived while it was down.

use std::net::{SocketAddrV4, SocketAddrV6};

use grammers_session::types::{ChannelState, DcOption, UpdatesState};
use grammers_session::{Session, SessionData};
use serde::{Deserialize, Serialize};

use crate::storage::Store;

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("the stored session of bot {bot} is damaged ({source}); delete its row in `sessions` to log in afresh")]
    Parse { bot: i64, source: serde_json::Error },
    #[error("session store: {0}")]
    Store(#[from] crate::storage::StoreError),
    #[error("reading the live session: {0}")]
    Live(String),
}

#[derive(Serialize, Deserialize)]
struct StoredDc {
    id: i32,
    ipv4: SocketAddrV4,
    ipv6: SocketAddrV6,
    auth_key: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct Stored {
    home_dc: i32,
    dcs: Vec<StoredDc>,
    pts: i32,
    qts: i32,
    date: i32,
    seq: i32,
    channels: Vec<(i64, i32)>,
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn unhex(s: &str) -> Option<[u8; 256]> {
    if s.len() != 512 {
        return None;
    }
    let mut out = [0u8; 256];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(s.get(i * 2..i * 2 + 2)?, 16).ok()?;
    }
    Some(out)
}

/// The bot id of a token (`123:abc` → 123); sessions are stored under it.
pub fn bot_id(token: &str) -> i64 {
    token.split(':').next().and_then(|id| id.parse().ok()).unwrap_or(0)
}

pub async fn load(store: &Store, bot: i64) -> Result<Option<SessionData>, SessionError> {
    let Some(text) = store.session(bot).await? else { return Ok(None) };
    let s: Stored = serde_json::from_str(&text).map_err(|source| SessionError::Parse { bot, source })?;
    let dc_options = s
        .dcs
        .into_iter()
        .map(|d| {
            (d.id, DcOption { id: d.id, ipv4: d.ipv4, ipv6: d.ipv6, auth_key: d.auth_key.as_deref().and_then(unhex) })
        })
        .collect();
    Ok(Some(SessionData {
        home_dc: s.home_dc,
        dc_options,
        updates_state: UpdatesState {
            pts: s.pts,
            qts: s.qts,
            date: s.date,
            seq: s.seq,
            channels: s.channels.into_iter().map(|(id, pts)| ChannelState { id, pts }).collect(),
        },
        ..SessionData::default()
    }))
}

/// Writes what a session knows, in one transaction, so a crash mid-write leaves the previous
/// session intact.
pub async fn save<S>(session: &S, dc_ids: &[i32], store: &Store, bot: i64) -> Result<(), SessionError>
where
    S: Session,
    S::Error: std::fmt::Display,
{
    let live = |e: S::Error| SessionError::Live(e.to_string());
    let home_dc = session.home_dc_id().map_err(live)?;
    let mut dcs = Vec::new();
    for id in dc_ids {
        if let Some(d) = session.dc_option(*id).map_err(live)? {
            dcs.push(StoredDc { id: d.id, ipv4: d.ipv4, ipv6: d.ipv6, auth_key: d.auth_key.map(|k| hex(&k)) });
        }
    }
    let st = session.updates_state().await.map_err(live)?;
    let stored = Stored {
        home_dc,
        dcs,
        pts: st.pts,
        qts: st.qts,
        date: st.date,
        seq: st.seq,
        channels: st.channels.iter().map(|c| (c.id, c.pts)).collect(),
    };
    let text = serde_json::to_string(&stored).map_err(|e| SessionError::Live(e.to_string()))?;
    Ok(store.save_session(bot, &text).await?)
}
