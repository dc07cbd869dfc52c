//! The shutdown signal: SIGINT (Ctrl-C) or SIGTERM (systemd, docker stop, kill).

use std::future::Future;

/// Completes on the first SIGINT or SIGTERM. The handlers are installed when this is called,
/// not when the future is first polled: a signal that arrives in between (a process stopped
/// right after it printed that it started) is a graceful stop, not the default kill.
pub fn signal() -> impl Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let handlers = (signal(SignalKind::interrupt()), signal(SignalKind::terminate()));
        async move {
            match handlers {
                (Ok(mut int), Ok(mut term)) => {
                    tokio::select! {
                        _ = int.recv() => tracing::info!("SIGINT received, shutting down"),
                        _ = term.recv() => tracing::info!("SIGTERM received, shutting down"),
                    }
                }
                _ => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
