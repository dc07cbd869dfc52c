//! `beamgram doctor` against the simulator: a healthy installation passes with exit code 0;
//! each classic fault, set up on purpose, is one PROBLEM line that names the fix, and the exit
//! code is non-zero. The same checks run at start as warnings.

mod common;

use std::path::Path;
use std::time::Duration;

use beamgram_sim::{SimAddress, SimHandle};
use common::host::host_with;
use common::staging::first_party_into;
use common::{SimSetup, TOKEN, logs, world};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const HELPER: &str = "2000:helper-bot-token";

/// Writes a configuration: the world's simulator (or `sim`), `bin` as the bin channel, the
/// helper bots, loopback on `port`, `public_url` when given, the plugins in `plugins`.
struct Setup<'a> {
    sim: String,
    bin: i64,
    helpers: &'a [&'a str],
    port: u16,
    public_url: Option<String>,
    plugins: &'a Path,
    data_dir: std::path::PathBuf,
}

impl Setup<'_> {
    fn write(&self, dir: &Path) -> std::path::PathBuf {
        let helpers: Vec<String> = self.helpers.iter().map(|t| format!("\"{t}\"")).collect();
        let public_url = self.public_url.as_ref().map(|u| format!("public_url = \"{u}\"\n")).unwrap_or_default();
        let text = format!(
            "[telegram]\nsimulator = \"{}\"\nbot_token = \"{TOKEN}\"\nbin_channel = {}\nmulti_tokens = [{}]\n\n\
             [http]\nbind = \"127.0.0.1\"\nport = {}\n{public_url}\n\
             [storage]\ndata_dir = \"{}\"\n\n[plugins]\ndir = \"{}\"\nwatch = false\n",
            self.sim,
            self.bin,
            helpers.join(", "),
            self.port,
            self.data_dir.display(),
            self.plugins.display(),
        );
        let path = dir.join("beamgram.toml");
        std::fs::write(&path, text).expect("config");
        path
    }
}

fn healthy<'a>(w: &SimSetup, dir: &Path, plugins: &'a Path, helpers: &'a [&'a str]) -> Setup<'a> {
    Setup {
        sim: w.h.address().to_string(),
        bin: SimHandle::bot_api_channel_id(w.bin),
        helpers,
        port: 0,
        public_url: None,
        plugins,
        data_dir: dir.join("data"),
    }
}

/// Runs `beamgram doctor`; (exit code, stdout).
async fn doctor(config: &Path) -> (i32, String) {
    let mut c = tokio::process::Command::new(env!("CARGO_BIN_EXE_beamgram"));
    c.args(["--config", config.to_str().expect("utf8"), "doctor"]).env_remove("RUST_LOG");
    for k in ["API_ID", "API_HASH", "BOT_TOKEN", "BIN_CHANNEL", "MULTI_TOKEN1", "PORT", "HOST", "FQDN", "DATABASE_URL"]
    {
        c.env_remove(k);
    }
    let out = tokio::time::timeout(Duration::from_secs(120), c.output()).await.expect("doctor ends").expect("runs");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned())
}

fn problems(out: &str) -> Vec<&str> {
    out.lines().filter(|l| l.starts_with("PROBLEM")).collect()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_healthy_installation_passes() {
    let w = world().await;
    let helper = w.h.add_bot(HELPER, "helper_bot", "Helper");
    let dir = tempfile::tempdir().expect("tempdir");
    // The helper is an administrator of the bin channel, as it must be.
    let bin = w.h.add_channel("bin2", None, &[w.bot, helper]);
    let plugins = dir.path().join("plugins");
    first_party_into(&plugins, &["start"]);
    let mut setup = healthy(&w, dir.path(), &plugins, &[HELPER]);
    setup.bin = SimHandle::bot_api_channel_id(bin);
    let (code, out) = doctor(&setup.write(dir.path())).await;
    assert_eq!(code, 0, "{out}");
    assert!(problems(&out).is_empty(), "{out}");
    for line in [
        "the database (sqlite) is writable",
        "1 plugin(s) in",
        "the bot @test_bot logs in",
        "@test_bot can post in BIN_CHANNEL",
        "helper bot @helper_bot (MULTI_TOKEN1) can read BIN_CHANNEL",
        "/healthz answers from this host",
        "no problems found",
    ] {
        assert!(out.contains(line), "'{line}' in:\n{out}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn each_fault_is_one_line_with_its_fix() {
    let w = world().await;
    w.h.add_bot(HELPER, "helper_bot", "Helper");
    let dir = tempfile::tempdir().expect("tempdir");
    let plugins = dir.path().join("plugins");
    first_party_into(&plugins, &["start"]);
    std::fs::write(plugins.join("broken.wasm"), b"\0asm not really").expect("a broken plugin");
    // A bin channel the bot is not in; a helper that is not in it either; links that point at a
    // port nobody answers.
    let elsewhere = w.h.add_channel("not the bot's", None, &[]);
    let mut setup = healthy(&w, dir.path(), &plugins, &[HELPER]);
    setup.bin = SimHandle::bot_api_channel_id(elsewhere);
    setup.public_url = Some(format!("http://127.0.0.1:{}", free_port()));
    let (code, out) = doctor(&setup.write(dir.path())).await;
    assert_eq!(code, 1, "{out}");
    let p = problems(&out);
    assert_eq!(p.len(), 4, "one line per fault:\n{out}");
    let has = |needles: &[&str]| p.iter().any(|l| needles.iter().all(|n| l.contains(n)));
    assert!(has(&["broken.wasm", "rebuild it"]), "{out}");
    assert!(has(&["@test_bot cannot reach BIN_CHANNEL", "add @test_bot to the channel as an administrator"]), "{out}");
    assert!(
        has(&["helper bot @helper_bot (MULTI_TOKEN1) cannot read BIN_CHANNEL", "add @helper_bot to that channel"]),
        "the helper is named, with the fix:\n{out}"
    );
    assert!(has(&["/healthz does not answer from this host", "fix http.public_url"]), "{out}");
    assert!(out.contains("4 problem(s) found"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn wrong_api_credentials_a_broken_database_and_another_server_are_named() {
    let w = world().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let plugins = dir.path().join("plugins");
    first_party_into(&plugins, &["start"]);

    // api_hash copied wrong.
    let mut address: SimAddress = w.h.address().to_string().parse().expect("address");
    address.api_hash = "not-the-hash".into();
    let mut setup = healthy(&w, dir.path(), &plugins, &[]);
    setup.sim = address.to_string();
    let (code, out) = doctor(&setup.write(dir.path())).await;
    assert_eq!(code, 1, "{out}");
    let p = problems(&out);
    assert!(
        p.len() == 1 && p[0].contains("API_ID_INVALID") && p[0].contains("my.telegram.org"),
        "only the credentials:\n{out}"
    );

    // A data folder that cannot be one (a file stands there).
    let blocked = dir.path().join("blocked");
    std::fs::write(&blocked, b"a file").expect("file");
    let mut setup = healthy(&w, dir.path(), &plugins, &[]);
    setup.data_dir = blocked.clone();
    let (code, out) = doctor(&setup.write(dir.path())).await;
    assert_eq!(code, 1, "{out}");
    assert!(
        problems(&out).iter().any(|l| l.contains("the database cannot be opened") && l.contains("writable")),
        "{out}"
    );

    // The public URL reaches some other web server, not beamgram's port on this host.
    let other = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let other_url = format!("http://{}", other.local_addr().expect("addr"));
    tokio::spawn(async move {
        while let Ok((mut s, _)) = other.accept().await {
            let mut buf = [0u8; 1024];
            let _ = s.read(&mut buf).await;
            let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n").await;
        }
    });
    let mut setup = healthy(&w, dir.path(), &plugins, &[]);
    setup.public_url = Some(other_url);
    let (code, out) = doctor(&setup.write(dir.path())).await;
    assert_eq!(code, 1, "{out}");
    let p = problems(&out);
    assert!(p.len() == 1 && p[0].contains("is answered by another server"), "{out}");
}

/// A starting bot runs the same checks and says what is wrong in its log, without stopping.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_starting_bot_warns_about_a_helper_missing_from_the_bin_channel() {
    logs::capture();
    let host = host_with(|c, w| {
        w.h.add_bot(HELPER, "helper_bot", "Helper");
        c.telegram.multi_tokens.push(HELPER.into());
    })
    .await;
    assert!(
        logs::wait_logged("doctor: helper bot @helper_bot (MULTI_TOKEN1) cannot read BIN_CHANNEL").await,
        "{}",
        logs::text()
    );
    // And it still answers.
    let links = host.send(beamgram_sim::FileSpec::document("a.pdf", "application/pdf", vec![7; 1000])).await;
    assert!(links.stream.contains("/stream/"));
    host.stop().await;
}
