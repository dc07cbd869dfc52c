//! The `beamgram` binary as its own process against a simulator in the test: started, its log
//! kept for assertions and failure messages, killed without warning or stopped with SIGTERM.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use beamgram_sim::SimHandle;

use super::{SimSetup, TOKEN, eventually};

/// The bot process, with its log kept for assertions and failure messages.
pub struct Bot {
    child: Child,
    log: Arc<Mutex<String>>,
}

impl Bot {
    pub fn start(config: &Path) -> Bot {
        Bot::start_with(config, &[])
    }

    /// With extra `run` flags (`--role bot`).
    pub fn start_with(config: &Path, extra: &[&str]) -> Bot {
        let mut child = Command::new(env!("CARGO_BIN_EXE_beamgram"))
            .args(["--config", config.to_str().expect("utf8"), "run"])
            .args(extra)
            .env("RUST_LOG", "info")
            .env_remove("BEAMGRAM_TEST_LOG")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the bot starts");
        let log = Arc::new(Mutex::new(String::new()));
        let (stderr, sink) = (child.stderr.take().expect("stderr"), log.clone());
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Ok(mut l) = sink.lock() {
                    l.push_str(&line);
                    l.push('\n');
                }
            }
        });
        Bot { child, log }
    }

    pub fn log(&self) -> String {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }

    pub async fn ready(&self) -> String {
        let ready = |log: String| log.lines().find(|l| l.contains("bot ready")).map(str::to_string);
        if !eventually(Duration::from_secs(60), async || ready(self.log()).is_some()).await {
            panic!("the bot did not start:\n{}", self.log());
        }
        ready(self.log()).unwrap_or_default()
    }

    /// `kill -9`: no shutdown, no final save.
    pub fn kill(mut self) {
        self.child.kill().expect("SIGKILL");
        let _ = self.child.wait();
    }

    pub fn stop(mut self) {
        self.kill_gently();
    }

    fn kill_gently(&mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let _ = self.child.wait();
    }
}

impl Drop for Bot {
    /// A test that fails half-way leaves no process behind.
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Writes `dir/beamgram.toml` for a bot process on the world's simulator: the bot, its bin
/// channel, loopback on a free port, `data` under `dir`, the plugins in `plugins` (not watched),
/// the world's user as the admin. `http_extra` and `storage_extra` add lines to their sections,
/// `extra` whole sections.
pub fn bot_config(
    w: &SimSetup,
    dir: &Path,
    plugins: &Path,
    http_extra: &str,
    storage_extra: &str,
    extra: &str,
) -> PathBuf {
    let text = format!(
        "[telegram]\nsimulator = \"{sim}\"\nbot_token = \"{TOKEN}\"\nbin_channel = {bin}\n\n\
         [http]\nbind = \"127.0.0.1\"\nport = 0\n{http_extra}\n\n\
         [storage]\ndata_dir = \"{data}\"\n{storage_extra}\n\n\
         [plugins]\ndir = \"{plugins}\"\nwatch = false\n\n[access]\nadmins = [{admin}]\n\n{extra}\n",
        sim = w.h.address(),
        bin = SimHandle::bot_api_channel_id(w.bin),
        data = dir.join("data").display(),
        plugins = plugins.display(),
        admin = w.user,
    );
    let path = dir.join("beamgram.toml");
    std::fs::write(&path, text).expect("config");
    path
}
