//! Everything the host logs in a test process, for assertions on what operators see.

use std::io::Write;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

fn log() -> &'static Mutex<Vec<u8>> {
    static LOG: OnceLock<Mutex<Vec<u8>>> = OnceLock::new();
    LOG.get_or_init(|| {
        struct W;
        impl Write for W {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                log().lock().unwrap_or_else(|p| p.into_inner()).extend_from_slice(b);
                std::io::stderr().write(b)
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let _ = tracing_subscriber::fmt().with_ansi(false).with_writer(|| W).with_env_filter("info").try_init();
        Mutex::new(Vec::new())
    })
}

/// Starts capturing (call before the host starts).
pub fn capture() {
    let _ = log();
}

pub fn text() -> String {
    String::from_utf8_lossy(&log().lock().unwrap_or_else(|p| p.into_inner())).into_owned()
}

pub fn logged(needle: &str) -> bool {
    text().contains(needle)
}

/// Lines containing every one of `needles`.
pub fn lines_with(needles: &[&str]) -> usize {
    text().lines().filter(|l| needles.iter().all(|n| l.contains(n))).count()
}

/// Waits (up to 30 s) until `needle` has been logged.
pub async fn wait_logged(needle: &str) -> bool {
    super::eventually(Duration::from_secs(30), async || logged(needle)).await
}
