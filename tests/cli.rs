//! The `beamgram` binary as a user runs it: `demo`, `sim` + `run` as separate processes,
//! configuration errors, and signals.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_beamgram");

fn beamgram(args: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    c.args(args).env_remove("RUST_LOG");
    // The operator's environment must not leak into the tests.
    for k in ["API_ID", "API_HASH", "BOT_TOKEN", "BIN_CHANNEL", "LOG_CHANNEL", "PORT", "HOST", "FQDN", "DATABASE_URL"] {
        c.env_remove(k);
    }
    c
}

/// Collects a child's output lines on a thread so a test can wait for a line with a deadline.
struct Lines(mpsc::Receiver<String>, Vec<String>);

impl Lines {
    fn of(r: impl std::io::Read + Send + 'static) -> Lines {
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(r).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Lines(rx, Vec::new())
    }

    fn wait_for(&mut self, needle: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        if let Some(l) = self.1.iter().find(|l| l.contains(needle)) {
            return l.clone();
        }
        while let Ok(line) = self.0.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            self.1.push(line.clone());
            if line.contains(needle) {
                return line;
            }
        }
        panic!("no line containing {needle:?} within {timeout:?}; got:\n{}", self.1.join("\n"));
    }

    fn rest(&mut self) -> String {
        while let Ok(l) = self.0.recv_timeout(Duration::from_millis(200)) {
            self.1.push(l);
        }
        self.1.join("\n")
    }
}

fn sigterm(child: &Child) {
    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().expect("kill runs");
    assert!(status.success());
}

fn wait_exit(child: &mut Child, timeout: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(s) = child.try_wait().expect("try_wait") {
            return s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("process did not exit within {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("beamgram-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

/// The demo's answer as it prints it — the file-info plugin's lines (so the first-party plugins
/// loaded), the links — and the stream link.
fn demo_answer(out: &mut Lines) -> String {
    out.wait_for("bot → Demo User", Duration::from_secs(60));
    out.wait_for("📄 sample.mp4", Duration::from_secs(5));
    out.wait_for("1.2 MiB · video/mp4", Duration::from_secs(5));
    out.wait_for("⏱ 0:00:08", Duration::from_secs(5));
    out.wait_for("🖥 640×360", Duration::from_secs(5));
    out.wait_for("[🔗 Copy link: copies http", Duration::from_secs(5));
    let stream = out.wait_for("  stream:   ", Duration::from_secs(5));
    let url = stream.split_whitespace().last().expect("stream url").to_string();
    out.wait_for("press Ctrl-C to stop", Duration::from_secs(5));
    url
}

/// The demo's stream link, fetched with curl, is the sample byte for byte.
fn fetch_sample(url: &str) {
    match Command::new("curl").args(["-sS", "--fail", url]).output() {
        Ok(o) => {
            assert!(o.status.success(), "the printed stream link works");
            assert_eq!(o.stdout, beamgram_cli::demo::SAMPLE_VIDEO, "byte for byte");
        }
        Err(e) if std::env::var("CI").is_ok_and(|v| v == "true") => panic!("curl is needed on CI: {e}"),
        Err(e) => eprintln!("SKIPPED the curl check of the demo's link: {e}"),
    }
}

/// Whether an ELF file asks for a program interpreter (is dynamically linked): a `PT_INTERP`
/// program header.
fn elf_interpreter(elf: &[u8]) -> bool {
    let u16_at = |o: usize| u16::from_le_bytes([elf[o], elf[o + 1]]) as usize;
    let u32_at = |o: usize| u32::from_le_bytes([elf[o], elf[o + 1], elf[o + 2], elf[o + 3]]);
    assert!(elf.len() > 64 && &elf[..4] == b"\x7fELF" && elf[4] == 2, "a 64-bit ELF file");
    let phoff = u64::from_le_bytes(elf[32..40].try_into().expect("8 bytes")) as usize;
    let (size, count) = (u16_at(54), u16_at(56));
    (0..count).any(|i| u32_at(phoff + i * size) == 3)
}

/// `just dist`'s folder run as an operator runs it: from an empty directory, with nothing on
/// PATH (no toolchain, no curl, no shell) and no environment from this machine. The static
/// binary finds its plugins beside itself and the demo answers as it does from a checkout.
#[test]
fn the_release_folder_runs_the_demo_from_an_empty_directory_without_a_toolchain() {
    let dist = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../dist");
    if !dist.join("beamgram").exists() {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("CI=true and dist/ is missing: .ci/run builds it with `just dist` before `just test`");
        }
        eprintln!("************ SKIPPING the release-folder test: no dist/ (build it with `just dist`) ************");
        return;
    }
    let binary = std::fs::read(dist.join("beamgram")).expect("dist/beamgram");
    assert!(!elf_interpreter(&binary), "dist/beamgram is static: no dynamic loader, no libc needed");
    assert!(binary.windows(14).any(|w| w == b".gnu_debuglink"), "the binary points at its split debug info");
    assert!(dist.join("beamgram.debug").metadata().is_ok_and(|m| m.len() > 0), "beamgram.debug is beside it");
    assert!(binary.len() < 80 << 20, "stripped, the binary stays small: {} bytes", binary.len());
    assert!(dist.join("plugins/first-party.sha256").exists() && dist.join("beamgram.example.toml").exists());
    drop(binary);

    let empty = temp_dir("dist-run");
    let nothing = empty.join("empty-path");
    std::fs::create_dir_all(&nothing).expect("an empty PATH folder");
    let mut demo = Command::new(dist.join("beamgram"));
    demo.current_dir(&empty).env_clear().env("PATH", &nothing).env("HOME", &empty);
    let log = demo_answers_and_stops(demo);
    assert!(log.contains("plugin loaded") && log.contains("file-info"), "plugins came from dist/plugins:\n{log}");
    let _ = std::fs::remove_dir_all(empty);
}

/// Runs `beamgram demo` as `command` says, checks its answer and its link, stops it with
/// SIGTERM and checks it stopped cleanly; its log.
fn demo_answers_and_stops(mut command: Command) -> String {
    let mut child = command
        .args(["demo", "--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("demo starts");
    let mut out = Lines::of(child.stdout.take().expect("stdout"));
    let mut err = Lines::of(child.stderr.take().expect("stderr"));
    let url = demo_answer(&mut out);
    fetch_sample(&url);
    sigterm(&child);
    let status = wait_exit(&mut child, Duration::from_secs(20));
    let log = err.rest();
    assert!(status.success(), "exit status {status:?}; stderr:\n{log}");
    out.wait_for("demo stopped.", Duration::from_secs(2));
    log
}

#[test]
fn demo_prints_the_bots_reply_and_stops_cleanly_on_sigterm() {
    // From the top of the repository, as `just demo` runs it: the first-party plugins in
    // plugins/dist answer.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut demo = beamgram(&[]);
    demo.current_dir(&root);
    let log = demo_answers_and_stops(demo);
    assert!(log.contains("SIGTERM received"), "{log}");
}

#[test]
fn bad_configuration_exits_2_naming_the_key() {
    let o = beamgram(&["config", "check"]).env("API_ID", "abc").output().expect("runs");
    assert_eq!(o.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("API_ID") && stderr.contains("abc"), "{stderr}");
    assert!(!stderr.contains("panicked") && !stderr.contains("backtrace"), "{stderr}");

    let dir = temp_dir("badtoml");
    let file = dir.join("beamgram.toml");
    std::fs::write(&file, "[http]\nport = \"eighty\"\n").expect("write");
    let o = beamgram(&["--config", file.to_str().expect("utf8"), "config", "check"]).output().expect("runs");
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("http.port"));

    // Nothing configured: run names the first missing key.
    let o = beamgram(&["run"]).current_dir(temp_dir("empty")).output().expect("runs");
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("API_ID"));
}

#[test]
fn config_check_prints_effective_values_with_secrets_masked() {
    let o = beamgram(&["config", "check"])
        .env("API_ID", "123")
        .env("API_HASH", "0123456789abcdef0123456789abcdef")
        .env("BOT_TOKEN", "42:very-secret")
        .env("BIN_CHANNEL", "-1001234567890")
        .env("PORT", "9090")
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{stdout}{}", String::from_utf8_lossy(&o.stderr));
    assert!(stdout.contains("port = 9090") && stdout.contains("42:********"), "{stdout}");
    assert!(!stdout.contains("very-secret") && !stdout.contains("0123456789abcdef"), "{stdout}");
}

/// `beamgram sim` in one process, `beamgram run --simulator` in another: the console user
/// talks to the bot, and a restarted bot resumes its session instead of logging in again.
#[test]
fn sim_and_run_as_separate_processes() {
    let mut sim = beamgram(&["sim", "--bot", "555:cross-process"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("sim starts");
    let mut sim_out = Lines::of(sim.stdout.take().expect("stdout"));
    let address =
        sim_out.wait_for("address:", Duration::from_secs(30)).split_whitespace().last().expect("address").to_string();
    let bin =
        sim_out.wait_for("bin channel:", Duration::from_secs(5)).split_whitespace().last().expect("bin").to_string();
    let data = temp_dir("crossproc");

    let start_bot = || {
        beamgram(&[
            "run",
            "--simulator",
            &address,
            "--data-dir",
            data.to_str().expect("utf8"),
            "--bind",
            "127.0.0.1",
            "--port",
            "0",
        ])
        .env("BOT_TOKEN", "555:cross-process")
        .env("BIN_CHANNEL", &bin)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("bot starts")
    };
    let mut bot = start_bot();
    let mut bot_err = Lines::of(bot.stderr.take().expect("stderr"));
    assert!(bot_err.wait_for("bot ready", Duration::from_secs(30)).contains("resumed=false"));

    let mut stdin = sim.stdin.take().expect("stdin");
    writeln!(stdin, "send /start").expect("console");
    sim_out.wait_for("Send me a file", Duration::from_secs(20));

    sigterm(&bot);
    assert!(wait_exit(&mut bot, Duration::from_secs(20)).success());
    assert!(data.join("beamgram.db").exists(), "the session was saved in the database");

    let mut bot = start_bot();
    let mut bot_err = Lines::of(bot.stderr.take().expect("stderr"));
    assert!(bot_err.wait_for("bot ready", Duration::from_secs(30)).contains("resumed=true"), "no second login");
    writeln!(stdin, "send hello again").expect("console");
    sim_out.wait_for("Send me a file (video", Duration::from_secs(20));

    sigterm(&bot);
    assert!(wait_exit(&mut bot, Duration::from_secs(20)).success());
    drop(stdin);
    sigterm(&sim);
    assert!(wait_exit(&mut sim, Duration::from_secs(20)).success());
}

/// A signal ends `sim` and `dev` at once, even while their console waits on an open stdin.
#[test]
fn a_signal_ends_sim_and_dev_while_their_console_waits() {
    let data = temp_dir("dev-data");
    let plugins = temp_dir("dev-plugins");
    std::fs::create_dir_all(&plugins).expect("plugins dir");
    let runs: [Vec<&str>; 2] = [
        vec!["sim"],
        vec!["dev", "--plugins", plugins.to_str().expect("utf8"), "--data-dir", data.to_str().expect("utf8")],
    ];
    for args in runs {
        let mut child =
            beamgram(&args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().expect("starts");
        // Stdin stays open: the console is blocked reading it.
        let _stdin = child.stdin.take().expect("stdin");
        let mut out = Lines::of(child.stdout.take().expect("stdout"));
        out.wait_for("help", Duration::from_secs(60));
        sigterm(&child);
        let status = wait_exit(&mut child, Duration::from_secs(10));
        assert!(status.success(), "{args:?}: {status}");
    }
    // `dev --data-dir` keeps its state there (the database with the link secret), so links made
    // before a restart still verify after it.
    assert!(data.join("beamgram.db").exists(), "dev used the given data folder");
    let _ = std::fs::remove_dir_all(&data);
    let _ = std::fs::remove_dir_all(&plugins);
}

/// `beamgram db migrate-from-sqlite` moves a single-node install into PostgreSQL: run against a
/// database the bot wrote (here through the store API), into a schema of its own.
#[test]
fn db_migrate_from_sqlite_fills_postgres() {
    let url =
        std::env::var("BEAMGRAM_TEST_POSTGRES").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let schema = format!("bg_cli_migrate_{}", std::process::id());
    let admin = rt.block_on(async { tokio::time::timeout(Duration::from_secs(5), sqlx::PgPool::connect(&url)).await });
    let Ok(Ok(admin)) = admin else {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("CI=true and PostgreSQL is unreachable");
        }
        eprintln!("******** SKIPPING db_migrate_from_sqlite_fills_postgres: no PostgreSQL server ********");
        return;
    };
    rt.block_on(async {
        for sql in [format!("DROP SCHEMA IF EXISTS {schema} CASCADE"), format!("CREATE SCHEMA {schema}")] {
            sqlx::query(&sql).execute(&admin).await.expect("schema");
        }
    });
    let target = format!("{url}?options=-c%20search_path%3D{schema}");
    let dir = temp_dir("migrate");
    rt.block_on(async {
        let s = beamgram::storage::Store::open(None, &dir).await.expect("sqlite");
        s.secret_or_create("link-signing", || vec![3; 32]).await.expect("secret");
        s.save_session(1000, "{}").await.expect("session");
        s.close().await;
    });
    let db = dir.join("beamgram.db");
    let o = beamgram(&["db", "migrate-from-sqlite", db.to_str().expect("utf8")]).output().expect("runs");
    assert_eq!(o.status.code(), Some(2), "no DATABASE_URL: {}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("DATABASE_URL"));
    let o = beamgram(&["db", "migrate-from-sqlite", db.to_str().expect("utf8")])
        .env("DATABASE_URL", &target)
        .output()
        .expect("runs");
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{out}\n{}", String::from_utf8_lossy(&o.stderr));
    assert!(out.contains("secrets: 1 rows") && out.contains("sessions: 1 rows"), "{out}");
    let again = beamgram(&["db", "migrate-from-sqlite", db.to_str().expect("utf8")])
        .env("DATABASE_URL", &target)
        .output()
        .expect("runs");
    assert!(!again.status.success() && String::from_utf8_lossy(&again.stderr).contains("not empty"));
    rt.block_on(async {
        let pg = beamgram::storage::Store::open(Some(&target), &dir).await.expect("postgres");
        assert_eq!(pg.secret("link-signing").await.expect("secret"), Some(vec![3; 32]), "old links keep working");
        pg.close().await;
        let _ = sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE")).execute(&admin).await;
    });
    let _ = std::fs::remove_dir_all(dir);
}
