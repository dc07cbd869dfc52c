//! The HTTP server: file streams, the web player with its posters and subtitles, health and
//! metrics, the admin page.
//!
//! mini-redis style: [`run`] takes a bound listener and a shutdown future; on shutdown it stops
//! accepting and gives open streams a deadline to finish.

mod admin_page;
pub mod bots;
pub mod client_ip;
pub mod clone_links;
mod conn_limit;
pub mod content_type;
mod health;
mod player;
pub mod range;
mod stall;
mod stream_route;
mod subtitle_route;
mod thumb_route;

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tower::ServiceExt;

use crate::links::LinkSigner;
use crate::metrics::Metrics;
pub use bots::{CloneRoutes, Served};

/// The client's address, put in every request by the accept loop.
#[derive(Clone, Copy, Debug)]
pub struct ClientIp(pub IpAddr);

#[derive(Clone, Debug)]
pub struct HttpSettings {
    /// A client must send its request headers within this (slowloris).
    pub header_timeout: Duration,
    /// How long open streams may go on after shutdown starts.
    pub drain: Duration,
    pub max_streams_per_ip: usize,
    /// `/metrics` wants `Authorization: Bearer <this>` when set.
    pub metrics_token: String,
    /// A client that reads nothing of a response for this long is disconnected.
    pub stall_timeout: Duration,
    /// Connections held open at once, per client address and in all.
    pub max_connections_per_ip: usize,
    pub max_connections: usize,
    /// Load balancers whose `X-Forwarded-For` names the client (and which the per-address
    /// connection cap does not count as one client).
    pub trusted_proxies: Vec<IpAddr>,
    /// This process's name and role, for `/readyz` and `/metrics`.
    pub node: String,
    pub role: crate::config::Role,
}

pub struct HttpState {
    /// The main bot's links (and the streamer `/readyz` and `/metrics` report on).
    pub main: Arc<Served>,
    /// The running clones' links.
    pub clones: CloneRoutes,
    /// On a `stream` node, which runs no clones: clones logged in when their links are asked for.
    pub clone_links: Option<Arc<clone_links::CloneLinks>>,
    pub metrics: Arc<Metrics>,
    pub settings: HttpSettings,
    /// The main bot's store, for the admin page's user and file counts.
    pub store: crate::storage::Store,
    /// Open streams per client address, to cap what one address can hold open.
    streams_per_ip: Mutex<HashMap<IpAddr, usize>>,
}

impl HttpState {
    /// `main`: the main bot's link services.
    pub fn new(
        main: Served,
        clones: CloneRoutes,
        clone_links: Option<Arc<clone_links::CloneLinks>>,
        settings: HttpSettings,
        store: crate::storage::Store,
    ) -> Arc<HttpState> {
        let metrics = main.streamer.metrics.clone();
        let main = Arc::new(main);
        Arc::new(HttpState { main, clones, clone_links, metrics, settings, store, streams_per_ip: Mutex::default() })
    }

    /// The bot whose links `token` is one of: a clone's when it names one that runs (here, or
    /// on a stream node, logged in on demand), else the main bot's (whose signer then refuses a
    /// token of a clone that is not running).
    pub async fn served_for(&self, token: &str) -> Arc<Served> {
        let Some(bot) = LinkSigner::clone_of(token) else { return self.main.clone() };
        if let Some(s) = self.clones.get(bot) {
            return s;
        }
        match &self.clone_links {
            Some(links) => links.served(bot).await.unwrap_or_else(|| self.main.clone()),
            None => self.main.clone(),
        }
    }
}

/// Held while a stream's body is being sent; releases its per-address slot when dropped.
pub struct StreamSlot {
    state: Arc<HttpState>,
    ip: IpAddr,
}

impl StreamSlot {
    pub fn acquire(state: &Arc<HttpState>, ip: IpAddr) -> Option<StreamSlot> {
        let mut m = state.streams_per_ip.lock().unwrap_or_else(|p| p.into_inner());
        let n = m.entry(ip).or_default();
        if *n >= state.settings.max_streams_per_ip {
            return None;
        }
        *n += 1;
        state.metrics.active_streams.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Some(StreamSlot { state: state.clone(), ip })
    }
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        let mut m = self.state.streams_per_ip.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = m.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                m.remove(&self.ip);
            }
        }
        self.state.metrics.active_streams.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
}

pub fn router(state: Arc<HttpState>) -> Router {
    Router::new()
        .route("/stream/{token}", get(stream_route::handle))
        .route("/stream/{token}/{*name}", get(stream_route::handle))
        .route("/watch/{token}", get(player::handle))
        .route("/thumb/{token}", get(thumb_route::handle))
        .route("/subs/{token}/{n}", get(subtitle_route::handle))
        .route("/admin/{token}", get(admin_page::page))
        .route("/admin/{token}/stats.json", get(admin_page::stats))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .fallback(|| async { (axum::http::StatusCode::NOT_FOUND, "not found\n") })
        .with_state(state)
}

/// Serves until `shutdown` completes, then drains open connections for `settings.drain`.
pub async fn serve(listener: TcpListener, state: Arc<HttpState>, shutdown: impl Future<Output = ()>) {
    let router = router(state.clone());
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(state.settings.header_timeout);
    let limits = conn_limit::ConnLimits::new(state.settings.max_connections_per_ip, state.settings.max_connections);
    tokio::pin!(shutdown);
    loop {
        let (stream, addr) = tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait a little instead of spinning.
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let trusted = state.settings.trusted_proxies.contains(&addr.ip());
        let admitted = match limits.admit(addr.ip(), trusted) {
            Ok(a) => a,
            Err(refusal) => {
                // Best effort and never waiting: the answer fits any socket buffer.
                let _ = stream.try_write(refusal.answer());
                tracing::debug!(client = %addr, ?refusal, "connection refused");
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let metrics = state.metrics.clone();
        let proxies = state.settings.trusted_proxies.clone();
        let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
            let forwarded = req.headers().get("x-forwarded-for").and_then(|v| v.to_str().ok());
            let client = client_ip::client_ip(addr.ip(), forwarded, &proxies);
            req.extensions_mut().insert(ClientIp(client));
            let router = router.clone();
            let metrics = metrics.clone();
            async move {
                let resp = router.oneshot(req).await.unwrap_or_else(|e: Infallible| match e {});
                metrics.request(resp.status().as_u16());
                Ok::<_, Infallible>(resp)
            }
        });
        let io = TokioIo::new(stall::StallGuard::new(stream, state.settings.stall_timeout));
        let conn = graceful.watch(http.serve_connection(io, service));
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(client = %addr, "connection ended: {e}");
            }
            drop(admitted);
        });
    }
    drop(listener);
    tracing::info!("HTTP: no longer accepting; draining open streams");
    tokio::select! {
        _ = graceful.shutdown() => {}
        _ = tokio::time::sleep(state.settings.drain) => tracing::warn!("HTTP: streams still open after the drain deadline; closing them"),
    }
}
