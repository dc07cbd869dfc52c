//! `just bench`: the streaming engine against the simulator with a modelled DC link.
//!
//! Needs nothing but this repository: it starts a simulator, a bot and the HTTP server in this
//! process and reads from it over loopback with a minimal HTTP client. Prints the figures that
//! BENCHMARKS.md records.

#[path = "bench/clones.rs"]
mod clones;
#[path = "bench/cluster.rs"]
mod cluster;
#[path = "bench/plugins.rs"]
mod plugins;
#[path = "bench/slow_readers.rs"]
mod slow_readers;
#[path = "bench/store.rs"]
mod store;
use std::time::{Duration, Instant};

use beamgram::App;
use beamgram::config::Config;
use beamgram_sim::{FileKind, FileSpec, LinkProfile, SimConfig, SimHandle, Simulator};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const MB: f64 = 1e6;
const MIB: u64 = 1024 * 1024;
const RTT: Duration = Duration::from_millis(50);
const CAP: u64 = 40_000_000;
const TOKEN: &str = "424242:bench-token";

/// The simulator runs in a child process (this binary with `--sim-child`), so the figures
/// (CPU, RSS) are the bot's, not the bot's plus the simulator's.
struct Bench {
    child: std::process::Child,
    to_sim: std::process::ChildStdin,
    from_sim: std::io::Lines<std::io::BufReader<std::process::ChildStdout>>,
    base: String,
    stop: tokio::sync::oneshot::Sender<()>,
}

fn sim_line(from: &mut std::io::Lines<std::io::BufReader<std::process::ChildStdout>>) -> String {
    from.next().and_then(Result::ok).unwrap_or_default()
}

async fn start(adjust: impl FnOnce(&mut Config)) -> Bench {
    use std::io::BufRead;
    let exe = std::env::current_exe().expect("exe");
    let mut child = std::process::Command::new(exe)
        .arg("--sim-child")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("simulator process");
    let to_sim = child.stdin.take().expect("stdin");
    let mut from_sim = std::io::BufReader::new(child.stdout.take().expect("stdout")).lines();
    let address = sim_line(&mut from_sim);
    let bin: i64 = sim_line(&mut from_sim).parse().expect("bin channel");
    let mut c = Config::default();
    c.telegram.simulator = Some(address);
    c.telegram.bot_token = TOKEN.into();
    c.telegram.bin_channel = bin;
    c.http.bind = "127.0.0.1".into();
    c.http.port = 0;
    // Every benchmark client comes from 127.0.0.1: lift the per-address caps.
    c.http.max_streams_per_ip = 5000;
    c.http.max_connections_per_ip = 5000;
    c.http.max_connections = 5000;
    // The bench's one user sends dozens of files in a row, each copied to the bin channel: the
    // per-user rate and the per-chat send pace (what Telegram asks of real bots) are not measured.
    c.access.user_burst = 10_000;
    c.access.user_per_minute = 10_000;
    c.telegram.send_interval_ms = 0;
    c.storage.data_dir = std::env::temp_dir().join(format!("beamgram-bench-{}-{}", std::process::id(), rand_u32()));
    c.plugins.dir = c.storage.data_dir.join("no-plugins");
    adjust(&mut c);
    let app = App::start(c).await.expect("app");
    let base = app.public_url().to_string();
    let (stop, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(app.serve(async move {
        let _ = rx.await;
    }));
    Bench { child, to_sim, from_sim, base, stop }
}

fn rand_u32() -> u32 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0)
}

impl Bench {
    fn ask(&mut self, line: &str) -> String {
        use std::io::Write;
        let _ = writeln!(self.to_sim, "{line}");
        let _ = self.to_sim.flush();
        sim_line(&mut self.from_sim)
    }

    /// Has the simulated user send a seeded file; returns the path of its stream link.
    async fn file(&mut self, size: u64, seed: u64) -> String {
        let url = tokio::task::block_in_place(|| self.ask(&format!("file {size} {seed}")));
        url.trim_start_matches(&self.base).trim_end_matches("?download=1").to_string()
    }

    fn shape(&mut self) {
        let _ = tokio::task::block_in_place(|| self.ask(&format!("shape {} {CAP}", RTT.as_millis())));
    }

    fn served(&mut self) -> u64 {
        tokio::task::block_in_place(|| self.ask("served")).parse().unwrap_or(0)
    }

    fn addr(&self) -> String {
        self.base.trim_start_matches("http://").to_string()
    }

    async fn stop(mut self) {
        let _ = self.stop.send(());
        tokio::time::sleep(Duration::from_millis(200)).await;
        drop(self.to_sim);
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The simulator side: a bot, a user and a bin channel; one command per stdin line.
async fn sim_child() {
    use std::io::BufRead;
    let sim = Simulator::start(SimConfig::default()).await.expect("simulator");
    let h = sim.handle();
    let bot = h.add_bot(TOKEN, "bench_bot", "Bench");
    let user = h.add_user("Reader", None);
    let bin = h.add_channel("bin", None, &[bot]);
    println!("{}", h.address());
    println!("{}", SimHandle::bot_api_channel_id(bin));
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut replies = 0;
    while let Some(line) = rx.recv().await {
        let parts: Vec<&str> = line.split_whitespace().collect();
        let answer = match parts.as_slice() {
            ["file", size, seed] => {
                let (size, seed) = (size.parse().unwrap_or(0), seed.parse().unwrap_or(0));
                let spec = FileSpec::seeded("bench.mkv", "video/x-matroska", size, seed).kind(FileKind::Video {
                    duration: 600.0,
                    width: 1920,
                    height: 1080,
                });
                replies += 1;
                let _ = h.send_file(user, bot, spec, "");
                match h.wait_for_message(bot, user, replies, Duration::from_secs(60)).await {
                    Ok(m) => m
                        .text
                        .lines()
                        .find_map(|l| l.split_once("Download: ").map(|x| x.1.trim().to_string()))
                        .unwrap_or_default(),
                    Err(e) => format!("error {e}"),
                }
            }
            ["shape", rtt, cap] => {
                h.set_all_links(LinkProfile {
                    rtt: Duration::from_millis(rtt.parse().unwrap_or(0)),
                    bandwidth: cap.parse().ok(),
                });
                "ok".into()
            }
            ["served"] => h.file_bytes_served().to_string(),
            ["address"] => h.address().to_string(),
            ["bin"] => SimHandle::bot_api_channel_id(bin).to_string(),
            ["clones", n] => clones::make(&h, bot, n.parse().unwrap_or(0)).await,
            _ => "?".into(),
        };
        println!("{answer}");
    }
}

/// GET with an optional range: (time to the first body byte, body bytes, total time).
async fn get(addr: &str, path: &str, range: Option<(u64, u64)>, read_body: bool) -> (Duration, u64, Duration) {
    let started = Instant::now();
    let mut s = TcpStream::connect(addr).await.expect("connect");
    let _ = s.set_nodelay(true);
    let range = range.map(|(a, b)| format!("Range: bytes={a}-{b}\r\n")).unwrap_or_default();
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n{range}Connection: close\r\n\r\n").as_bytes())
        .await
        .expect("write");
    let mut buf = vec![0u8; 256 * 1024];
    let mut head = Vec::new();
    let mut in_body = false;
    let (mut ttfb, mut body) = (Duration::ZERO, 0u64);
    loop {
        let n = s.read(&mut buf).await.expect("read");
        if n == 0 {
            break;
        }
        let fresh = if in_body {
            n
        } else {
            head.extend_from_slice(&buf[..n]);
            match head.windows(4).position(|w| w == b"\r\n\r\n") {
                Some(i) => {
                    in_body = true;
                    head.len() - (i + 4)
                }
                None => continue,
            }
        };
        if fresh > 0 && ttfb.is_zero() {
            ttfb = started.elapsed();
            if !read_body {
                break;
            }
        }
        body += fresh as u64;
    }
    (ttfb, body, started.elapsed())
}

fn cpu_seconds() -> f64 {
    cpu_seconds_of("self")
}

/// User and system CPU seconds of process `pid` ("self" for this one).
fn cpu_seconds_of(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat.rsplit(')').next().unwrap_or("").split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .unwrap_or(0.0)
        / 1024.0
}

async fn throughput(window: usize, connections: usize) -> f64 {
    let mut b = start(|c| {
        c.stream.window = window;
        c.stream.connections_per_dc = connections;
    })
    .await;
    let path = b.file(bench_mib() * MIB, 1).await;
    b.shape();
    let (_, bytes, took) = get(&b.addr(), &path, None, true).await;
    b.stop().await;
    bytes as f64 / took.as_secs_f64() / MB
}

/// Seeks with a warm properties cache; returns the running bench for the next phase.
async fn seeks() -> Bench {
    let mut b = start(|_| {}).await;
    let size = 256 * MIB;
    let path = b.file(size, 2).await;
    b.shape();
    let _ = get(&b.addr(), &path, Some((0, 0)), false).await;
    let mut ttfb = Vec::new();
    let mut x: u64 = 88172645463325252;
    for _ in 0..50 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let start = x % (size - 2 * MIB);
        let (t, _, _) = get(&b.addr(), &path, Some((start, start + MIB)), false).await;
        ttfb.push(t);
    }
    let (p50, p95) = (pct(&mut ttfb, 0.5), pct(&mut ttfb, 0.95));
    println!("\nseek time to first byte, 50 random ranges of a 256 MiB file, warm cache:");
    println!(
        "  p50 {:.1} ms, p95 {:.1} ms (round trip {} ms)",
        p50.as_secs_f64() * 1e3,
        p95.as_secs_f64() * 1e3,
        RTT.as_millis()
    );
    b
}

/// Size of the throughput file: long enough that the start (one lookup, the window opening)
/// weighs little. `BENCH_MIB` overrides it.
fn bench_mib() -> u64 {
    std::env::var("BENCH_MIB").ok().and_then(|v| v.parse().ok()).unwrap_or(160)
}

fn pct(v: &mut [Duration], p: f64) -> Duration {
    v.sort();
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    if std::env::args().any(|a| a == "--slow-readers") {
        slow_readers::run().await;
        return;
    }
    if std::env::args().any(|a| a == "--sim-child") {
        sim_child().await;
        return;
    }
    if std::env::args().any(|a| a == "--seeks") {
        seeks().await.stop().await;
        return;
    }
    if std::env::args().any(|a| a == "--store") {
        store::run().await;
        return;
    }
    if std::env::args().any(|a| a == "--stream-child") {
        cluster::child().await;
        return;
    }
    if std::env::args().any(|a| a == "--cluster") {
        cluster::run().await;
        return;
    }
    if std::env::args().any(|a| a == "--clones") {
        clones::run().await;
        return;
    }
    if std::env::args().any(|a| a == "--plugins") {
        plugins::run().await;
        return;
    }
    if let Some(spec) = std::env::args().skip_while(|a| a != "--throughput").nth(1) {
        // --throughput WINDOW:CONNECTIONS, for exploring one configuration.
        let (w, k) = spec.split_once(':').and_then(|(w, k)| Some((w.parse().ok()?, k.parse().ok()?))).unwrap_or((8, 1));
        println!("window {w}, {k} connections: {:.1} MB/s", throughput(w, k).await);
        return;
    }
    println!(
        "beamgram bench — simulator link: {} ms round trip, {} MB/s per connection\n",
        RTT.as_millis(),
        CAP as f64 / MB
    );

    let seq = throughput(1, 1).await;
    let win = throughput(8, 1).await;
    let multi = throughput(8, 4).await;
    let wide = throughput(32, 4).await;
    println!("single stream, {} MiB, measured from the request (first lookup included):", bench_mib());
    println!(
        "  window 1, 1 connection (sequential, like existing bots): {seq:6.1} MB/s = {:5.1} % of the cap",
        seq / (CAP as f64 / MB) * 100.0
    );
    println!(
        "  window 8, 1 connection:                                {win:6.1} MB/s = {:5.1} % of the cap, {:.2}x window 1",
        win / (CAP as f64 / MB) * 100.0,
        win / seq
    );
    println!(
        "  window 8, 4 connections (default):                     {multi:6.1} MB/s = {:5.2}x the one-connection cap",
        multi / (CAP as f64 / MB)
    );
    println!(
        "  window 32, 4 connections:                              {wide:6.1} MB/s = {:5.2}x the one-connection cap",
        wide / (CAP as f64 / MB)
    );

    // Seeks with a warm properties cache.
    let mut b = seeks().await;

    // Eight viewers of one file at once.
    let path = b.file(64 * MIB, 3).await;
    let before = b.served();
    let addr = b.addr();
    let viewers: Vec<_> = (0..8)
        .map(|_| {
            tokio::spawn({
                let (a, p) = (addr.clone(), path.clone());
                async move { get(&a, &p, None, true).await.1 }
            })
        })
        .collect();
    let mut served = 0;
    for v in viewers {
        served += v.await.unwrap_or(0);
    }
    let upstream = b.served() - before;
    println!("\n8 concurrent viewers of one 64 MiB file:");
    println!(
        "  served {:.0} MiB to viewers, fetched {:.1} MiB from Telegram: {:.2}x the file",
        served as f64 / MIB as f64,
        upstream as f64 / MIB as f64,
        upstream as f64 / (64 * MIB) as f64
    );
    b.stop().await;

    // CPU per GiB, no shaping.
    let mut b = start(|_| {}).await;
    let path = b.file(1024 * MIB, 4).await;
    let cpu0 = cpu_seconds();
    let (_, bytes, took) = get(&b.addr(), &path, None, true).await;
    let cpu = cpu_seconds() - cpu0;
    println!(
        "\nunshaped, 1 GiB in one stream: {:.0} MB/s, {:.2} CPU s per GiB (the bot alone: the simulator runs in another process)",
        bytes as f64 / took.as_secs_f64() / MB,
        cpu / (bytes as f64 / (1u64 << 30) as f64)
    );
    b.stop().await;

    plugins::run().await;
    store::run().await;
    cluster::run().await;

    // Clones at rest, in a fresh process.
    let exe = std::env::current_exe().expect("exe");
    let out = std::process::Command::new(&exe).arg("--clones").output().expect("clones");
    print!("{}", String::from_utf8_lossy(&out.stdout));

    // Peak RSS with 1,000 slow readers, in a fresh process so earlier phases do not count.
    for extra in [&[][..], &["--cache-mib", "32"][..]] {
        let out = std::process::Command::new(&exe).arg("--slow-readers").args(extra).output().expect("slow readers");
        print!("\n{}", String::from_utf8_lossy(&out.stdout));
    }
}
