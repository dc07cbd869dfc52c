//! Keeps a bot's MTProto session (DC addresses, authorization keys, update state) on disk, so a
//! restart neither logs in again (Telegram answers repeated bot logins with long FLOOD_WAITs)
//! nor misses the updates that arrived while it was down.

use std::net::{SocketAddrV4, SocketAddrV6};
use std::path::{Path, PathBuf};

use grammers_session::types::{ChannelState, DcOption, UpdatesState};
use grammers_session::{Session, SessionData};
use serde::{Deserialize, Serialize};

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("reading session {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("session file {path} is damaged ({source}); move it away to log in afresh")]
    Parse { path: PathBuf, source: serde_json::Error },
    #[error("writing session {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
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

pub fn path_for(data_dir: &Path, token: &str) -> PathBuf {
    let bot_id = token.split(':').next().unwrap_or("bot");
    data_dir.join("sessions").join(format!("{bot_id}.json"))
}

pub fn load(path: &Path) -> Result<Option<SessionData>, SessionError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(SessionError::Read { path: path.into(), source });
        }
    };
    let s: Stored = serde_json::from_str(&text).map_err(|source| SessionError::Parse { path: path.into(), source })?;
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

/// Writes what a session knows, atomically (temp file + rename), so a crash mid-write
/// leaves the previous session intact.
pub async fn save<S>(session: &S, dc_ids: &[i32], path: &Path) -> Result<(), SessionError>
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
    let write = |source| SessionError::Write { path: path.into(), source };
    if let Some(dir) = path.parent() {
        tokio::fs::create_dir_all(dir).await.map_err(write)?;
    }
    let tmp = path.with_extension("json.tmp");
    let text = serde_json::to_vec_pretty(&stored).map_err(|e| write(std::io::Error::other(e)))?;
    tokio::fs::write(&tmp, text).await.map_err(write)?;
    tokio::fs::rename(&tmp, path).await.map_err(write)
}
