//! A whole beamgram (bot + streamer + HTTP) in the test process against the simulator, and the
//! real HTTP clients the streaming tests drive.

use std::path::PathBuf;
use std::time::Duration;

use beamgram::App;
use beamgram::config::Config;
use beamgram_sim::{FileSpec, SimHandle};

use super::{SimSetup, TOKEN, world};

pub struct Host {
    pub w: SimSetup,
    pub base: String,
    replies: std::sync::atomic::AtomicUsize,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
    /// The bot's data folder, inside `_scratch`.
    pub data: PathBuf,
    /// Removed when the host is dropped, even when a test fails halfway.
    _scratch: tempfile::TempDir,
}

/// The links the bot answered a file with.
#[derive(Clone, Debug)]
pub struct Links {
    pub stream: String,
    pub download: String,
    pub watch: String,
}

impl Links {
    /// The file's thumbnail (not in the reply; the watch page and link previews carry it).
    pub fn thumb(&self) -> String {
        self.watch.replacen("/watch/", "/thumb/", 1)
    }
}

pub async fn host() -> Host {
    host_with(|_, _| {}).await
}

pub async fn host_with(adjust: impl FnOnce(&mut Config, &SimSetup)) -> Host {
    // `BEAMGRAM_TEST_LOG=debug cargo test …` shows what the bot did.
    if let Ok(filter) = std::env::var("BEAMGRAM_TEST_LOG") {
        let _ = tracing_subscriber::fmt().with_env_filter(filter).with_test_writer().try_init();
    }
    let w = world().await;
    let scratch = tempfile::Builder::new().prefix("beamgram-host-").tempdir().expect("a temporary folder");
    let data = scratch.path().join("data");
    let mut config = Config::default();
    config.telegram.simulator = Some(w.h.address().to_string());
    config.telegram.bot_token = TOKEN.into();
    config.telegram.bin_channel = SimHandle::bot_api_channel_id(w.bin);
    config.http.bind = "127.0.0.1".into();
    config.http.port = 0;
    config.storage.data_dir = data.clone();
    // No plugins unless a test asks for them.
    config.plugins.dir = data.join("plugins");
    adjust(&mut config, &w);
    let app = App::start(config).await.expect("beamgram starts");
    let base = app.public_url().to_string();
    let (stop, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        app.serve(async move {
            let _ = rx.await;
        })
        .await
        .expect("serves");
    });
    Host { w, base, replies: 0.into(), stop: Some(stop), task: Some(task), data, _scratch: scratch }
}

impl Host {
    /// The user sends a file; returns the links of the bot's answer.
    pub async fn send(&self, spec: FileSpec) -> Links {
        self.send_file(spec).await.1
    }

    /// The user sends a file; the message id it has in the user's chat, and the links.
    pub async fn send_file(&self, spec: FileSpec) -> (i32, Links) {
        let n = self.replies.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        let (sent, _) = self.w.h.send_file(self.w.user, self.w.bot, spec, "").expect("user sends");
        let reply =
            self.w.h.wait_for_message(self.w.bot, self.w.user, n, Duration::from_secs(30)).await.expect("bot answers");
        let find = |label: &str| {
            reply
                .text
                .lines()
                .find_map(|l| l.split_once(label).map(|(_, u)| u.trim().to_string()))
                .unwrap_or_else(|| panic!("no {label} in {:?}", reply.text))
        };
        let download = find("Download: ");
        (
            sent,
            Links { stream: download.trim_end_matches("?download=1").to_string(), watch: find("Stream: "), download },
        )
    }

    /// The user sends text; returns the bot's `n`-th message to them (counting from 1).
    pub async fn ask(&self, text: &str) -> beamgram_sim::SeenMessage {
        let n = self.replies.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        self.w.h.send_text(self.w.user, self.w.bot, text).expect("user sends");
        self.w.h.wait_for_message(self.w.bot, self.w.user, n, Duration::from_secs(30)).await.expect("bot answers")
    }

    /// The `/metrics` text the host serves.
    pub async fn metrics(&self) -> String {
        String::from_utf8_lossy(&curl(&[&format!("{}/metrics", self.base)]).await.1).into_owned()
    }

    /// Counts a bot message that arrived without being asked for (admin notices).
    pub fn expect_extra(&self) -> usize {
        self.replies.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1
    }

    /// Stops the bot the way a signal would and waits for it to finish.
    pub async fn stop(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            let _ = t.await;
        }
    }
}

impl Drop for Host {
    /// A test that panics before `stop` still stops its bot (the folder goes with `_scratch`).
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            t.abort();
        }
    }
}

/// Whether a real client is installed. Missing on CI (`CI=true`) is a failure; elsewhere the
/// test says loudly that it skips.
pub fn tool(name: &str, package: &str) -> bool {
    // Look the program up on PATH (not `--version`: ffmpeg and ffprobe only know `-version`).
    let found =
        std::env::var_os("PATH").is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(name).is_file()));
    if !found {
        if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
            panic!("{name} is missing on CI (install the Debian package {package})");
        }
        eprintln!("\n*** SKIPPED: this test needs {name} (Debian package {package}), which is not installed ***\n");
    }
    found
}

/// `curl` with a deadline, run without blocking the test's runtime; (exit status, body).
pub async fn curl(args: &[&str]) -> (std::process::ExitStatus, Vec<u8>) {
    let o = tokio::process::Command::new("curl")
        .args(["-sS", "--max-time", "120"])
        .args(args)
        .output()
        .await
        .expect("curl runs");
    (o.status, o.stdout)
}

/// The status code curl saw.
pub async fn status_of(args: &[&str]) -> u16 {
    let mut a = vec!["-o", "/dev/null", "-w", "%{http_code}"];
    a.extend_from_slice(args);
    let (_, out) = curl(&a).await;
    String::from_utf8_lossy(&out).trim().parse().unwrap_or(0)
}

/// Response headers (lower-cased names) of a request.
pub async fn headers(args: &[&str]) -> Vec<(String, String)> {
    let mut a = vec!["-D", "-", "-o", "/dev/null"];
    a.extend_from_slice(args);
    let (_, out) = curl(&a).await;
    String::from_utf8_lossy(&out)
        .lines()
        .filter_map(|l| l.split_once(':').map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string())))
        .collect()
}

/// A Prometheus sample's value in `/metrics` text (`name value`).
pub fn metric(text: &str, name: &str) -> Option<f64> {
    text.lines().find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
}

pub fn header<'a>(h: &'a [(String, String)], name: &str) -> Option<&'a str> {
    h.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}
