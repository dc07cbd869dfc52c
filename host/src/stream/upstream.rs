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

/// Where one chunk's fetch stands: the file's current reference and DC, and the retries spent.
struct Attempt<'a> {
    props: Arc<FileProps>,
    /// A thumbnail's size type when the request is for one, not for the file.
    thumb: Option<&'a str>,
    dc: i32,
    refreshes: u32,
    transient: u32,
}

impl Upstream {
    /// One chunk of the file, or (with `thumb`, a size type from its thumbnails) of one of its
    /// thumbnails, with every recovery the file's own chunks get.
    pub async fn fetch(
        &self,
        props: Arc<FileProps>,
        req: ChunkRequest,
        thumb: Option<&str>,
    ) -> Result<Bytes, StreamError> {
        let deadline = Instant::now() + self.deadline;
        let mut at = Attempt { dc: props.dc_id, props, thumb, refreshes: 0, transient: 0 };
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
            let outcome = match self.get_file(&conn, &at, &req).await? {
                Ok(bytes) => Outcome::Done(bytes),
                Err(e) => self.recover(&conn, &mut at, e).await?,
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

    /// One `upload.getFile` on `conn`: the bytes, or the error to recover from (a CDN redirect,
    /// which bots never get, is an error of its own).
    async fn get_file(
        &self,
        conn: &Connection,
        at: &Attempt<'_>,
        req: &ChunkRequest,
    ) -> Result<Result<Bytes, InvocationError>, StreamError> {
        let started = Instant::now();
        let mut location = at.props.location.clone();
        if let (Some(size), tl::enums::InputFileLocation::InputDocumentFileLocation(d)) = (at.thumb, &mut location) {
            d.thumb_size = size.to_string();
        }
        let request = tl::functions::upload::GetFile {
            precise: req.precise,
            cdn_supported: false,
            location,
            offset: req.offset as i64,
            limit: req.limit as i32,
        };
        let call = conn.client.invoke_in_dc(at.dc, &request);
        let result = match tokio::time::timeout(CALL_TIMEOUT, call).await {
            Ok(r) => r,
            Err(_) => Err(InvocationError::Dropped("getFile timed out")),
        };
        match result {
            Ok(tl::enums::upload::File::File(f)) => {
                conn.succeeded();
                self.metrics.upstream_call(started.elapsed(), f.bytes.len());
                Ok(Ok(Bytes::from(f.bytes)))
            }
            Ok(tl::enums::upload::File::CdnRedirect(_)) => Err(StreamError::Upstream("unexpected CDN redirect".into())),
            Err(e) => Ok(Err(e)),
        }
    }

    /// What to do after a failed call: rest the connection, refresh the reference, follow the
    /// file to its DC, authorize there, or back off — or give up with the error.
    async fn recover(
        &self,
        conn: &Connection,
        at: &mut Attempt<'_>,
        e: InvocationError,
    ) -> Result<Outcome, StreamError> {
        let InvocationError::Rpc(e) = e else {
            if at.transient >= MAX_TRANSIENT {
                return Err(StreamError::upstream(e));
            }
            at.transient += 1;
            if conn.failed() {
                // Counted once per event: a dropped connection fails all its requests at once.
                self.metrics.upstream_errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            tracing::debug!(connection = %conn.name, "getFile failed ({e}); retrying");
            return Ok(Outcome::RetryAfter(backoff(at.transient)));
        };
        self.metrics.upstream_errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        match (e.code, e.name.as_str()) {
            (420, _) => {
                self.metrics.flood_waits.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                self.metrics.traffic.flood_wait(crate::clock::unix_secs());
                conn.flood_wait(e.value.unwrap_or(1));
                Ok(Outcome::Retry)
            }
            (_, "FILE_REFERENCE_EXPIRED" | "FILE_REFERENCE_INVALID") if at.refreshes < MAX_REFRESHES => {
                at.refreshes += 1;
                at.props = self.props.refresh(&at.props).await?;
                Ok(Outcome::Retry)
            }
            (303, "FILE_MIGRATE") => {
                at.dc = e
                    .value
                    .map(|v| v as i32)
                    .ok_or_else(|| StreamError::Upstream("FILE_MIGRATE without a DC".into()))?;
                Ok(Outcome::Retry)
            }
            (401, "AUTH_KEY_UNREGISTERED") if at.transient < MAX_TRANSIENT => {
                at.transient += 1;
                authorize(conn, at.dc).await?;
                Ok(Outcome::Retry)
            }
            (code, _) if code >= 500 && at.transient < MAX_TRANSIENT => {
                at.transient += 1;
                Ok(Outcome::RetryAfter(backoff(at.transient)))
            }
            _ => Err(StreamError::Telegram { code: e.code, name: e.name.clone() }),
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
