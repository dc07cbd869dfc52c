//! One client connection to a simulated DC: Full-transport framing, MTProto 2.0 decryption,
//! service messages, RPC dispatch, and the shaped writer that models the link.

use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use grammers_tl_types::{self as tl, Deserializable, Identifiable, Serializable};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::Shared;
use super::api::{self, CallCtx};
use super::crypto::{self, AuthKey};
use super::to_client::ToClient;

const MSG_CONTAINER: u32 = 0x73f1_f8dc;
const GZIP_PACKED: u32 = 0x3072_cfa1;
const RPC_RESULT: u32 = 0xf35c_6d01;
/// Frames above this are not something a client sends; refuse instead of allocating.
const MAX_FRAME: usize = 2 << 20;

static NEXT_CONN: AtomicU64 = AtomicU64::new(1);

/// A registered connection, so updates can be pushed to the account bound to its key.
pub(super) struct ConnEntry {
    pub dc: i32,
    pub key_id: u64,
    pub tx: mpsc::UnboundedSender<ToClient>,
}

#[derive(Debug, thiserror::Error)]
enum FrameError {
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    #[error("bad frame length {0}")]
    BadLength(i64),
    #[error("bad transport sequence number (expected {expected}, got {got})")]
    BadSeq { expected: i32, got: i32 },
    #[error("bad CRC32")]
    BadCrc,
}

async fn read_frame(r: &mut OwnedReadHalf, seq: &mut i32) -> Result<Vec<u8>, FrameError> {
    let mut len = [0u8; 4];
    r.read_exact(&mut len).await?;
    let len = i32::from_le_bytes(len) as i64;
    if !(12..=MAX_FRAME as i64).contains(&len) {
        return Err(FrameError::BadLength(len));
    }
    let mut rest = vec![0u8; len as usize - 4];
    r.read_exact(&mut rest).await?;
    let got = i32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]);
    if got != *seq {
        return Err(FrameError::BadSeq { expected: *seq, got });
    }
    let crc_at = rest.len() - 4;
    let mut h = crc32fast::Hasher::new();
    h.update(&(len as i32).to_le_bytes());
    h.update(&rest[..crc_at]);
    if h.finalize().to_le_bytes() != rest[crc_at..] {
        return Err(FrameError::BadCrc);
    }
    *seq += 1;
    rest.truncate(crc_at);
    rest.drain(..4);
    Ok(rest)
}

fn frame(payload: &[u8], seq: i32) -> Vec<u8> {
    let len = (payload.len() + 12) as i32;
    let mut out = Vec::with_capacity(len as usize);
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&seq.to_le_bytes());
    out.extend_from_slice(payload);
    let crc = crc32fast::hash(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

pub(super) async fn serve(shared: Arc<Shared>, dc: i32, stream: TcpStream) {
    let _ = stream.set_nodelay(true);
    let peer = stream.peer_addr().ok();
    let (mut reader, writer) = stream.into_split();
    let mut recv_seq = 0;
    let first = match read_frame(&mut reader, &mut recv_seq).await {
        Ok(f) => f,
        Err(e) => {
            tracing::debug!(dc, ?peer, "connection closed before its first frame: {e}");
            return;
        }
    };
    let key_id = match first.get(..8) {
        Some(b) => u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]),
        None => return,
    };
    let Some(key) = shared.key(key_id) else {
        // What Telegram does for an unknown authorization key: a bare negative length.
        tracing::info!(dc, ?peer, "unknown auth key {key_id:016x}: answering -404");
        let mut w = writer;
        let _ = w.write_all(&(-404i32).to_le_bytes()).await;
        return;
    };

    let conn_id = NEXT_CONN.fetch_add(1, Ordering::Relaxed);
    let (tx, rx) = mpsc::unbounded_channel();
    shared.conns.lock().unwrap_or_else(|p| p.into_inner()).insert(conn_id, ConnEntry { dc, key_id, tx: tx.clone() });
    let session_id = Arc::new(AtomicU64::new(0));
    let writer_task = tokio::spawn(write_loop(shared.clone(), dc, key.clone(), session_id.clone(), writer, rx));

    let ctx = CallCtx { shared: shared.clone(), dc, key_id, conn_tx: tx.clone() };
    let mut frame = first;
    loop {
        if let Err(e) = handle_packet(&ctx, &key, &session_id, &mut frame) {
            tracing::warn!(dc, conn_id, "dropping connection: {e}");
            break;
        }
        if ctx.conn_tx.is_closed() {
            break;
        }
        frame = match read_frame(&mut reader, &mut recv_seq).await {
            Ok(f) => f,
            Err(FrameError::Io(_)) => break,
            Err(e) => {
                tracing::warn!(dc, conn_id, "bad frame, closing: {e}");
                break;
            }
        };
    }
    shared.conns.lock().unwrap_or_else(|p| p.into_inner()).remove(&conn_id);
    let _ = tx.send(ToClient::Close);
    let _ = writer_task.await;
}

fn handle_packet(ctx: &CallCtx, key: &AuthKey, session_id: &AtomicU64, packet: &mut [u8]) -> Result<(), String> {
    let plain = crypto::decrypt_from_client(key, packet).map_err(|e| e.to_string())?;
    if plain.len() < 32 {
        return Err("encrypted message too short".into());
    }
    let sid = u64::from_le_bytes(plain[8..16].try_into().map_err(|_| "short header")?);
    session_id.store(sid, Ordering::Relaxed);
    let msg_id = i64::from_le_bytes(plain[16..24].try_into().map_err(|_| "short header")?);
    let len = u32::from_le_bytes(plain[28..32].try_into().map_err(|_| "short header")?) as usize;
    let body = plain.get(32..32 + len).ok_or("message length past the packet")?;
    process(ctx, msg_id, body)
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    b.get(at..at + 4).map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

/// Handles one message: containers and gzip recurse, service messages are answered bare, and
/// anything else is an RPC whose answer goes back inside `rpc_result`.
fn process(ctx: &CallCtx, msg_id: i64, body: &[u8]) -> Result<(), String> {
    let id = u32_at(body, 0).ok_or("empty message body")?;
    match id {
        MSG_CONTAINER => {
            let count = u32_at(body, 4).ok_or("short container")? as usize;
            let mut at = 8;
            for _ in 0..count {
                let inner_id = body.get(at..at + 8).ok_or("short container")?;
                let inner_id = i64::from_le_bytes(inner_id.try_into().map_err(|_| "short container")?);
                let len = u32_at(body, at + 12).ok_or("short container")? as usize;
                let inner = body.get(at + 16..at + 16 + len).ok_or("container item past its end")?;
                process(ctx, inner_id, inner)?;
                at += 16 + len;
            }
            Ok(())
        }
        GZIP_PACKED => {
            let packed = Vec::<u8>::from_bytes(&body[4..]).map_err(|e| e.to_string())?;
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(&packed[..]).read_to_end(&mut out).map_err(|e| e.to_string())?;
            process(ctx, msg_id, &out)
        }
        tl::types::MsgsAck::CONSTRUCTOR_ID => Ok(()),
        tl::functions::Ping::CONSTRUCTOR_ID | tl::functions::PingDelayDisconnect::CONSTRUCTOR_ID => {
            let ping_id = body.get(4..12).ok_or("short ping")?;
            let ping_id = i64::from_le_bytes(ping_id.try_into().map_err(|_| "short ping")?);
            ctx.send_now(tl::enums::Pong::Pong(tl::types::Pong { msg_id, ping_id }).to_bytes());
            Ok(())
        }
        tl::functions::GetFutureSalts::CONSTRUCTOR_ID => {
            let now = super::world::now();
            let salts = tl::types::FutureSalts {
                req_msg_id: msg_id,
                now,
                salts: tl::RawVec(vec![tl::types::FutureSalt {
                    valid_since: now - 60,
                    valid_until: now + 3600,
                    salt: 0,
                }]),
            };
            // Bare, not in rpc_result: grammers stalls otherwise.
            ctx.send_now(tl::enums::FutureSalts::Salts(salts).to_bytes());
            Ok(())
        }
        tl::functions::DestroySession::CONSTRUCTOR_ID | tl::functions::RpcDropAnswer::CONSTRUCTOR_ID => Ok(()),
        _ => {
            let method = tl::name_for_id(id);
            let result = api::dispatch(ctx, method, body);
            let mut out = Vec::with_capacity(12 + result.as_ref().map_or(64, |r| r.len()));
            out.extend_from_slice(&RPC_RESULT.to_le_bytes());
            out.extend_from_slice(&msg_id.to_le_bytes());
            match result {
                Ok(bytes) => out.extend_from_slice(&bytes),
                Err(api::Reply::Error(e)) => {
                    tracing::debug!(dc = ctx.dc, method, code = e.code, name = %e.name, "rpc error");
                    out.extend_from_slice(
                        &tl::enums::RpcError::Error(tl::types::RpcError { error_code: e.code, error_message: e.name })
                            .to_bytes(),
                    );
                }
                Err(api::Reply::Drop) => {
                    let _ = ctx.conn_tx.send(ToClient::Close);
                    return Ok(());
                }
            }
            ctx.send_reply(out);
            Ok(())
        }
    }
}

async fn write_loop(
    shared: Arc<Shared>,
    dc: i32,
    key: AuthKey,
    session_id: Arc<AtomicU64>,
    mut w: OwnedWriteHalf,
    mut rx: mpsc::UnboundedReceiver<ToClient>,
) {
    let mut seq = 0i32;
    let mut msg_seq = 0i64;
    // When the simulated link has finished sending what was already written.
    let mut link_free = Instant::now();
    while let Some(out) = rx.recv().await {
        let (body, ready) = match out {
            ToClient::Message { body, ready } => (body, ready),
            ToClient::Close => break,
        };
        let link = shared.link(dc);
        tokio::time::sleep_until(ready).await;
        msg_seq += 1;
        let secs = super::world::now() as i64;
        // Server message ids are ≡ 1 (mod 4) for answers; the client does not check them.
        let msg_id = (secs << 32) | ((msg_seq << 2) & 0xffff_fffc) | 1;
        let mut plain = Vec::with_capacity(32 + body.len() + 32);
        plain.extend_from_slice(&0i64.to_le_bytes());
        plain.extend_from_slice(&session_id.load(Ordering::Relaxed).to_le_bytes());
        plain.extend_from_slice(&msg_id.to_le_bytes());
        plain.extend_from_slice(&((msg_seq * 2 + 1) as i32).to_le_bytes());
        plain.extend_from_slice(&(body.len() as i32).to_le_bytes());
        plain.extend_from_slice(&body);
        drop(body);
        let packet = frame(&crypto::encrypt_for_client(&key, plain), seq);
        seq += 1;
        if let Some(bps) = link.bandwidth.filter(|b| *b > 0) {
            // Transmission starts when the answer is ready and the link is free; computed from
            // those instants (not from "now" after a sleep) so timer rounding does not add up.
            let start = link_free.max(ready);
            link_free = start + Duration::from_secs_f64(packet.len() as f64 / bps as f64);
            tokio::time::sleep_until(link_free).await;
        }
        shared.count_sent(packet.len());
        if w.write_all(&packet).await.is_err() {
            break;
        }
    }
    let _ = w.shutdown().await;
}
