//! Keeps a window of chunk fetches in flight ahead of the reader and hands them out in order.
//!
//! The window follows the reader, the way TCP's congestion window follows acknowledgements: it
//! starts at two fetches, opens by one whenever the reader had to wait for a chunk (Telegram is
//! the bottleneck: more in flight helps), and closes by one whenever the reader takes longer
//! between chunks than a fetch takes (the reader is the bottleneck: more would only sit in
//! memory). A chunk that is simply there already proves nothing: with several connections,
//! later chunks often finish first.
//! A fast reader reaches the full window within a few chunks; a thousand slow readers do not
//! hold a thousand full windows. Nothing waits for a whole batch: each chunk is handed out as
//! soon as it and the ones before it are in.

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::future::BoxFuture;
use futures_util::stream::{FuturesOrdered, Stream, StreamExt};

use super::StreamError;
use super::planner::ChunkRequest;

const INITIAL_WINDOW: usize = 2;

pub struct Pipeline<F> {
    plan: VecDeque<ChunkRequest>,
    fetch: F,
    in_flight: FuturesOrdered<BoxFuture<'static, (Result<Bytes, StreamError>, Duration)>>,
    window: usize,
    max_window: usize,
    /// The reader asked for the next chunk before it was there.
    starved: bool,
    /// When the reader last took a chunk.
    last_take: Option<Instant>,
    /// Smoothed time one fetch takes (request to answer).
    fetch_time: Duration,
    failed: bool,
}

impl<F> Pipeline<F>
where
    F: FnMut(ChunkRequest) -> BoxFuture<'static, Result<Bytes, StreamError>>,
{
    pub fn new(plan: Vec<ChunkRequest>, max_window: usize, fetch: F) -> Self {
        let max_window = max_window.max(1);
        Pipeline {
            plan: plan.into(),
            fetch,
            in_flight: FuturesOrdered::new(),
            window: INITIAL_WINDOW.min(max_window),
            max_window,
            starved: false,
            last_take: None,
            fetch_time: Duration::ZERO,
            failed: false,
        }
    }

    /// The current window (for tests).
    pub fn window(&self) -> usize {
        self.window
    }
}

impl<F> Stream for Pipeline<F>
where
    F: FnMut(ChunkRequest) -> BoxFuture<'static, Result<Bytes, StreamError>> + Unpin,
{
    type Item = Result<Bytes, StreamError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.failed {
            return Poll::Ready(None);
        }
        while this.in_flight.len() < this.window {
            let Some(req) = this.plan.pop_front() else { break };
            let fetch = (this.fetch)(req);
            this.in_flight.push_back(Box::pin(async move {
                let started = Instant::now();
                let r = fetch.await;
                (r, started.elapsed())
            }));
        }
        match this.in_flight.poll_next_unpin(cx) {
            Poll::Ready(Some((Ok(b), took))) => {
                this.fetch_time = if this.fetch_time.is_zero() { took } else { (this.fetch_time * 7 + took) / 8 };
                let now = Instant::now();
                let reader_pace = this.last_take.map(|t| now - t);
                if this.starved {
                    this.window = (this.window + 1).min(this.max_window);
                } else if reader_pace.is_some_and(|p| p > this.fetch_time) {
                    this.window = (this.window - 1).max(INITIAL_WINDOW.min(this.max_window));
                }
                this.starved = false;
                this.last_take = Some(now);
                Poll::Ready(Some(Ok(b)))
            }
            Poll::Ready(Some((Err(e), _))) => {
                // One error ends the stream: what follows would have a hole in it.
                this.failed = true;
                this.in_flight = FuturesOrdered::new();
                Poll::Ready(Some(Err(e)))
            }
            Poll::Pending => {
                this.starved = true;
                Poll::Pending
            }
            Poll::Ready(None) => Poll::Ready(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use futures_util::FutureExt;

    use super::*;

    fn reqs(n: u64) -> Vec<ChunkRequest> {
        (0..n).map(|i| ChunkRequest { offset: i * 1024, limit: 1024, precise: true, skip: 0, take: 1024 }).collect()
    }

    fn pipeline(
        n: u64,
        started: Arc<AtomicUsize>,
    ) -> Pipeline<impl FnMut(ChunkRequest) -> BoxFuture<'static, Result<Bytes, StreamError>>> {
        // Later chunks finish first; the order handed out must still hold.
        Pipeline::new(reqs(n), 8, move |r| {
            started.fetch_add(1, Ordering::SeqCst);
            let delay = 5 + (n - r.offset / 1024) % 3;
            async move {
                tokio::time::sleep(std::time::Duration::from_millis(delay)).await;
                Ok(Bytes::from(r.offset.to_be_bytes().to_vec()))
            }
            .boxed()
        })
    }

    #[tokio::test]
    async fn a_fast_reader_opens_the_window_in_order() {
        let started = Arc::new(AtomicUsize::new(0));
        let mut p = pipeline(30, started.clone());
        let first = p.next().await.expect("item").expect("ok");
        assert_eq!(first, Bytes::from(0u64.to_be_bytes().to_vec()));
        assert_eq!(
            started.load(Ordering::SeqCst),
            2,
            "only the initial window is fetched before the first chunk is taken"
        );
        let mut n = 1;
        let mut widest = 0;
        while let Some(item) = p.next().await {
            assert_eq!(item.expect("ok"), Bytes::from((n * 1024u64).to_be_bytes().to_vec()));
            widest = widest.max(p.window());
            n += 1;
        }
        assert_eq!(n, 30);
        assert_eq!(widest, 8, "a reader that always waits gets the full window");
    }

    #[tokio::test]
    async fn a_slow_reader_keeps_the_window_small() {
        let started = Arc::new(AtomicUsize::new(0));
        let mut p = pipeline(12, started.clone());
        let mut widest = 0;
        while let Some(item) = p.next().await {
            item.expect("ok");
            widest = widest.max(p.window());
            // Much slower than the fetches: every chunk is there before it is asked for.
            tokio::time::sleep(std::time::Duration::from_millis(30)).await;
        }
        assert!(widest <= 3, "window grew to {widest} for a slow reader");
    }

    #[tokio::test]
    async fn an_error_ends_the_stream() {
        let mut p = Pipeline::new(reqs(5), 4, |r| {
            async move { if r.offset == 2048 { Err(StreamError::NotFound) } else { Ok(Bytes::from_static(b"x")) } }
                .boxed()
        });
        assert!(p.next().await.expect("item").is_ok());
        assert!(p.next().await.expect("item").is_ok());
        assert!(p.next().await.expect("item").is_err());
        assert!(p.next().await.is_none());
    }
}
