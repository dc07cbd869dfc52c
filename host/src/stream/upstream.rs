//! One `upload.getFile` call that survives what Telegram throws at it: FLOOD_WAIT (another
//! connection, or wait within the deadline), FILE_REFERENCE_EXPIRED (refresh the message and
//! retry), FILE_MIGRATE (go to that DC), AUTH_KEY_UNREGISTERED (export/import authorization
//! once per DC and connection), dropped connections and server errors (back off and retry).

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use grammers_client::InvocationError;
use grammers_tl_types as tl;
use tokio::time::Instant;

use super::StreamError;
use super::planner::ChunkRequest;
use super::pool::{Connection, Pool};
use super::props::{FileProps, PropsCache};
use crate::metrics::Metrics;

/// A single call that takes longer than this is treated as a dropped connection.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);
const MAX_REFRESHES: u32 = 3;
const MAX_TRANSIENT: u32 = 6;

pub struct Upstream {
    pub pool: Pool,
    pub props: PropsCache,
    pub metrics: Arc<Metrics>,
    /// How long one chunk may take in all, waits included.
    pub deadline: Duration,
}

enum Outcome {
    Done(Bytes),
    Retry,
    RetryAfter(Duration),
}

impl Upstream {
    pub async fn fetch(&self, props: Arc<FileProps>, req: ChunkRequest) -> Result<Bytes, StreamError> {
        let deadline = Instant::now() + self.deadline;
        let mut props = props;
        let mut dc = props.dc_id;
        let (mut refreshes, mut transient) = (0, 0);
        loop {
            let (conn, _busy) = match self.pool.pick(req.limit as usize) {
                Ok(c) => c,
                Err(wait) => {
                    if Instant::now() + wait > deadline {
                        return Err(StreamError::FloodWait(wait.as_secs().max(1) as u32));
                    }
                    tokio::time::sleep(wait).await;
                    continue;
                }
            };
            let started = Instant::now();
            let request = tl::functions::upload::GetFile {
                precise: req.precise,
                cdn_supported: false,
                location: props.location.clone(),
                offset: req.offset as i64,
                limit: req.limit as i32,
            };
            let call = conn.client.invoke_in_dc(dc, &request);
            let result = match tokio::time::timeout(CALL_TIMEOUT, call).await {
                Ok(r) => r,
                Err(_) => Err(InvocationError::Dropped("getFile timed out")),
            };
            let outcome = match result {
                Ok(tl::enums::upload::File::File(f)) => {
                    conn.succeeded();
                    self.metrics.upstream_call(started.elapsed(), f.bytes.len());
                    Outcome::Done(Bytes::from(f.bytes))
                }
                Ok(tl::enums::upload::File::CdnRedirect(_)) => {
                    return Err(StreamError::Upstream("unexpected CDN redirect".into()));
                }
                Err(InvocationError::Rpc(e)) => {
                    self.metrics.upstream_errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    match (e.code, e.name.as_str()) {
                        (420, _) => {
                            self.metrics.flood_waits.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            conn.flood_wait(e.value.unwrap_or(1));
                            Outcome::Retry
                        }
                        (_, "FILE_REFERENCE_EXPIRED" | "FILE_REFERENCE_INVALID") if refreshes < MAX_REFRESHES => {
                            refreshes += 1;
                            props = self.props.refresh(&props).await?;
                            Outcome::Retry
                        }
                        (303, "FILE_MIGRATE") => {
                            dc = e
                                .value
                                .map(|v| v as i32)
                                .ok_or_else(|| StreamError::Upstream("FILE_MIGRATE without a DC".into()))?;
                            Outcome::Retry
                        }
                        (401, "AUTH_KEY_UNREGISTERED") if transient < MAX_TRANSIENT => {
                            transient += 1;
                            authorize(&conn, dc).await?;
                            Outcome::Retry
                        }
                        (code, _) if code >= 500 && transient < MAX_TRANSIENT => {
                            transient += 1;
                            Outcome::RetryAfter(backoff(transient))
                        }
                        _ => return Err(StreamError::Telegram { code: e.code, name: e.name.clone() }),
                    }
                }
                Err(e) if transient < MAX_TRANSIENT => {
                    transient += 1;
                    conn.failed();
                    tracing::debug!(connection = %conn.name, "getFile failed ({e}); retrying");
                    Outcome::RetryAfter(backoff(transient))
                }
                Err(e) => return Err(StreamError::upstream(e)),
            };
            match outcome {
                Outcome::Done(b) => return Ok(b),
                Outcome::Retry => {}
                Outcome::RetryAfter(d) => {
                    if Instant::now() + d > deadline {
                        return Err(StreamError::Upstream("gave up after repeated failures".into()));
                    }
                    tokio::time::sleep(d).await;
                }
            }
            if Instant::now() > deadline {
                return Err(StreamError::Upstream("deadline exceeded".into()));
            }
        }
    }
}

fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(100 << attempt.min(6))
}

/// Makes `conn`'s session valid on `dc`: `auth.exportAuthorization` on its home DC, then
/// `auth.importAuthorization` on `dc` (retried on AUTH_BYTES_INVALID, as Telegram asks). Done
/// once per DC and connection; concurrent callers wait for the first.
async fn authorize(conn: &Connection, dc: i32) -> Result<(), StreamError> {
    let mut done = conn.authorized.lock().await;
    if done.contains(&dc) {
        return Ok(());
    }
    let mut last = None;
    for _ in 0..3 {
        let exported = conn
            .client
            .invoke(&tl::functions::auth::ExportAuthorization { dc_id: dc })
            .await
            .map_err(StreamError::upstream)?;
        let tl::enums::auth::ExportedAuthorization::Authorization(x) = exported;
        match conn.client.invoke_in_dc(dc, &tl::functions::auth::ImportAuthorization { id: x.id, bytes: x.bytes }).await
        {
            Ok(_) => {
                done.insert(dc);
                tracing::debug!(connection = %conn.name, dc, "authorized on another DC");
                return Ok(());
            }
            Err(InvocationError::Rpc(e)) if e.name == "AUTH_BYTES_INVALID" => last = Some(e.name),
            Err(e) => return Err(StreamError::upstream(e)),
        }
    }
    Err(StreamError::Upstream(format!("could not authorize on DC {dc}: {}", last.unwrap_or_default())))
}
