//! Keeps a window of chunk fetches in flight ahead of the reader and hands them out in order.
//!
//! The window opens gradually: two fetches at first, one more for every chunk the client takes,
//! up to the configured size. A fast reader reaches the full window within a few chunks (and
//! the bandwidth-delay product it needs); a reader that stops or crawls never has more than a
//! couple of chunks fetched ahead for it, so a thousand slow readers do not hold a thousand
//! full windows in memory. Nothing waits for a whole batch: each chunk is handed out as soon as
//! it and the ones before it are in.

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::future::BoxFuture;
use futures_util::stream::{FuturesOrdered, Stream, StreamExt};

use super::StreamError;
use super::planner::ChunkRequest;

const INITIAL_WINDOW: usize = 2;

pub struct Pipeline<F> {
    plan: VecDeque<ChunkRequest>,
    fetch: F,
    in_flight: FuturesOrdered<BoxFuture<'static, Result<Bytes, StreamError>>>,
    window: usize,
    max_window: usize,
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
            this.in_flight.push_back((this.fetch)(req));
        }
        match this.in_flight.poll_next_unpin(cx) {
            Poll::Ready(Some(Ok(b))) => {
                this.window = (this.window + 1).min(this.max_window);
                Poll::Ready(Some(Ok(b)))
            }
            Poll::Ready(Some(Err(e))) => {
                // One error ends the stream: what follows would have a hole in it.
                this.failed = true;
                this.in_flight = FuturesOrdered::new();
                Poll::Ready(Some(Err(e)))
            }
            other => other,
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

    #[tokio::test]
    async fn in_order_with_a_growing_window() {
        let started = Arc::new(AtomicUsize::new(0));
        let s = started.clone();
        // Later chunks finish first; order must still hold.
        let mut p = Pipeline::new(reqs(20), 8, move |r| {
            s.fetch_add(1, Ordering::SeqCst);
            let delay = 20 - r.offset / 1024;
            async move {
                tokio::time::sleep(std::time::Duration::from_millis(delay)).await;
                Ok(Bytes::from(r.offset.to_be_bytes().to_vec()))
            }
            .boxed()
        });
        let first = p.next().await.expect("item").expect("ok");
        assert_eq!(first, Bytes::from(0u64.to_be_bytes().to_vec()));
        assert_eq!(
            started.load(Ordering::SeqCst),
            2,
            "only the initial window is fetched before the first chunk is taken"
        );
        let mut n = 1;
        while let Some(item) = p.next().await {
            assert_eq!(item.expect("ok"), Bytes::from((n * 1024u64).to_be_bytes().to_vec()));
            n += 1;
        }
        assert_eq!(n, 20);
        assert_eq!(p.window(), 8);
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
