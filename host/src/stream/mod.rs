//! The ByteStreamer: bytes of a Telegram file, any range, straight from Telegram.
//!
//! Request → properties (cached) → chunk plan → pipelined fetches (a window of requests in
//! flight, spread over the download connections, delivered in order) → bytes. Chunks are
//! shared between concurrent viewers through a byte-weighted cache, in flight too.

pub mod pipeline;
pub mod planner;
pub mod pool;
pub mod props;
mod upstream;

use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use std::collections::HashMap;
use std::sync::Mutex;

use bytes::Bytes;
use futures_util::future::{BoxFuture, Shared};
use futures_util::{FutureExt, Stream};
use moka::future::Cache;

use crate::metrics::Metrics;
use planner::ChunkRequest;
use pool::Pool;
use props::{FileProps, PropsCache};
use upstream::Upstream;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StreamError {
    #[error("no file at that link (the message is gone or has no media)")]
    NotFound,
    #[error("Telegram asks to wait {0} s")]
    FloodWait(u32),
    #[error("Telegram refused: {code} {name}")]
    Telegram { code: i32, name: String },
    #[error("Telegram is unreachable: {0}")]
    Upstream(String),
    #[error("Telegram sent {got} bytes where {want} were expected")]
    ShortRead { got: usize, want: usize },
}

impl StreamError {
    pub fn upstream(e: grammers_client::InvocationError) -> StreamError {
        match e {
            grammers_client::InvocationError::Rpc(r) if r.code == 420 => StreamError::FloodWait(r.value.unwrap_or(1)),
            grammers_client::InvocationError::Rpc(r)
                if r.name == "MESSAGE_ID_INVALID" || r.name == "CHANNEL_INVALID" =>
            {
                StreamError::NotFound
            }
            grammers_client::InvocationError::Rpc(r) => StreamError::Telegram { code: r.code, name: r.name },
            other => StreamError::Upstream(other.to_string()),
        }
    }
}

#[derive(Clone, Debug)]
pub struct StreamSettings {
    /// getFile requests in flight per stream.
    pub window: usize,
    pub chunk_cache_bytes: u64,
    pub chunk_deadline: Duration,
}

type ChunkKey = (i64, u64, u32, bool);

/// Memory for cached thumbnails (typically 10–50 KiB each).
const THUMB_CACHE_BYTES: u64 = 16 * 1024 * 1024;
type InFlight = Shared<BoxFuture<'static, Result<Bytes, StreamError>>>;

pub struct ByteStreamer {
    upstream: Upstream,
    /// Shared by every stream: concurrent viewers of one file fetch each block once.
    chunks: Cache<ChunkKey, Bytes>,
    /// Fetches under way, joined by anyone who needs the same chunk. Each runs as its own task:
    /// tied to the stream that started it, a viewer whose client stopped reading (so whose
    /// body is no longer polled) would stall every other viewer waiting on that chunk.
    in_flight: Mutex<HashMap<ChunkKey, InFlight>>,
    /// Thumbnails by document id: a watch page's poster is asked for by every visitor.
    thumbs: Cache<i64, Bytes>,
    window: usize,
    pub metrics: Arc<Metrics>,
}

impl ByteStreamer {
    pub fn new(pool: Pool, props: PropsCache, settings: &StreamSettings, metrics: Arc<Metrics>) -> ByteStreamer {
        let chunks = Cache::builder()
            .weigher(|_, v: &Bytes| v.len().try_into().unwrap_or(u32::MAX))
            .max_capacity(settings.chunk_cache_bytes)
            .build();
        ByteStreamer {
            upstream: Upstream { pool, props, metrics: metrics.clone(), deadline: settings.chunk_deadline },
            chunks,
            in_flight: Mutex::default(),
            thumbs: Cache::builder()
                .weigher(|_, v: &Bytes| v.len().try_into().unwrap_or(u32::MAX))
                .max_capacity(THUMB_CACHE_BYTES)
                .time_to_live(Duration::from_secs(3600))
                .build(),
            window: settings.window.max(1),
            metrics,
        }
    }

    /// The streamer of one bin channel (`bin`, Bot API id): `bots` download (their sessions,
    /// already authorized), `client` reads the messages' file properties.
    pub fn for_channel(
        bots: Vec<(String, i32, grammers_session::SessionData)>,
        client: grammers_client::Client,
        bin: i64,
        config: &crate::config::StreamConfig,
        metrics: Arc<Metrics>,
    ) -> ByteStreamer {
        let pool = Pool::new(bots, config.connections_per_dc);
        let ttl = Duration::from_secs(config.props_cache_ttl_secs);
        let props = PropsCache::new(
            client,
            crate::telegram::bare_channel_id(bin),
            ttl,
            config.props_cache_entries,
            metrics.clone(),
        );
        let settings = StreamSettings {
            window: config.window,
            chunk_cache_bytes: config.chunk_cache_mib * 1024 * 1024,
            chunk_deadline: Duration::from_secs(config.chunk_deadline_secs),
        };
        ByteStreamer::new(pool, props, &settings, metrics)
    }

    pub async fn props(&self, message_id: i32) -> Result<Arc<FileProps>, StreamError> {
        self.upstream.props.get(message_id).await
    }

    /// The file's thumbnail (a video's poster, a song's cover), if it has one; fetched once
    /// however many ask at the same time, then kept for an hour.
    pub async fn thumbnail(&self, props: &Arc<FileProps>) -> Result<Option<Bytes>, StreamError> {
        let Some(thumb) = props.thumb.as_ref() else { return Ok(None) };
        let req = ChunkRequest { offset: 0, limit: props::MAX_THUMB_BYTES, precise: false, skip: 0, take: thumb.size };
        let fetch = self.upstream.fetch(props.clone(), req, Some(&thumb.size_type));
        self.thumbs.try_get_with(props.unique_id, fetch).await.map(Some).map_err(|e| (*e).clone())
    }

    /// A small file whole (a subtitle file), fetched like any stream; `None` when it is larger
    /// than `max` bytes.
    pub async fn whole(self: &Arc<Self>, props: Arc<FileProps>, max: u64) -> Result<Option<Bytes>, StreamError> {
        use futures_util::StreamExt;
        if props.size > max {
            return Ok(None);
        }
        if props.size == 0 {
            return Ok(Some(Bytes::new()));
        }
        let mut out = Vec::with_capacity(props.size as usize);
        let mut body = std::pin::pin!(self.body(props.clone(), 0, props.size - 1));
        while let Some(part) = body.next().await {
            out.extend_from_slice(&part?);
        }
        Ok(Some(Bytes::from(out)))
    }

    /// A connection can fetch now: there is one, and not every one is resting.
    pub fn is_ready(&self) -> bool {
        !self.upstream.pool.is_empty() && self.upstream.pool.all_resting().is_none()
    }

    pub fn loads(&self) -> Vec<(String, u64)> {
        self.upstream.pool.loads()
    }

    pub fn close(&self) {
        self.upstream.pool.close();
    }

    async fn chunk(self: &Arc<Self>, props: Arc<FileProps>, req: ChunkRequest) -> Result<Bytes, StreamError> {
        let key = (props.unique_id, req.offset, req.limit, req.precise);
        if let Some(b) = self.chunks.get(&key).await {
            self.metrics.chunk_hits.fetch_add(1, Relaxed);
            return Ok(b);
        }
        let fetch = {
            let mut in_flight = self.in_flight.lock().unwrap_or_else(|p| p.into_inner());
            match in_flight.get(&key) {
                Some(f) => {
                    self.metrics.chunk_hits.fetch_add(1, Relaxed);
                    f.clone()
                }
                None => {
                    self.metrics.chunk_misses.fetch_add(1, Relaxed);
                    let this = self.clone();
                    let task = tokio::spawn(async move {
                        let result = this.upstream.fetch(props, req, None).await;
                        if let Ok(b) = &result {
                            this.chunks.insert(key, b.clone()).await;
                        }
                        this.in_flight.lock().unwrap_or_else(|p| p.into_inner()).remove(&key);
                        result
                    });
                    let f = async move {
                        task.await.unwrap_or_else(|e| Err(StreamError::Upstream(format!("fetch task failed: {e}"))))
                    }
                    .boxed()
                    .shared();
                    in_flight.insert(key, f.clone());
                    f
                }
            }
        };
        fetch.await
    }

    /// Bytes `start..=end` of the file, in order; an error ends the stream (the HTTP body is
    /// then cut short with an error, never passed off as complete).
    pub fn body(
        self: &Arc<Self>,
        props: Arc<FileProps>,
        start: u64,
        end: u64,
    ) -> impl Stream<Item = Result<Bytes, StreamError>> + Send + 'static {
        let this = self.clone();
        let plan = planner::plan(props.size, start, end);
        pipeline::Pipeline::new(plan, self.window, move |req| {
            let this = this.clone();
            let props = props.clone();
            async move {
                let data = this.chunk(props.clone(), req).await?;
                let (skip, take) = (req.skip as usize, req.take as usize);
                if data.len() < skip + take {
                    return Err(StreamError::ShortRead { got: data.len().saturating_sub(skip), want: take });
                }
                this.metrics.bytes_streamed.fetch_add(take as u64, Relaxed);
                this.metrics.traffic.served(crate::clock::unix_secs(), props.unique_id, &props.name, take as u64);
                Ok(data.slice(skip..skip + take))
            }
            .boxed()
        })
    }
}
