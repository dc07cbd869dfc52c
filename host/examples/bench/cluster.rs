//! Stream nodes scale out: eight viewers of eight different files through nginx (the shipped
//! `deploy/nginx/beamgram.conf`), served by one `stream` process and then by two, on one
//! PostgreSQL database, against the simulator's modelled DC link. Each stream node is a process
//! of its own (this binary with `--stream-child`) with its own Telegram connections, as in a
//! deployment. Skipped, saying so, without PostgreSQL or nginx.

use std::io::{BufRead, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use beamgram::App;
use beamgram::config::{Config, Role};

use super::{CAP, MB, MIB, RTT, get};

const VIEWERS: usize = 8;
const FILE_MIB: u64 = 96;

/// A fresh schema on the local (or `BEAMGRAM_TEST_POSTGRES`) server, as a database URL.
async fn schema() -> Option<String> {
    let url =
        std::env::var("BEAMGRAM_TEST_POSTGRES").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let admin = tokio::time::timeout(Duration::from_secs(5), sqlx::PgPool::connect(&url)).await.ok()?.ok()?;
    let schema = format!("bench_cluster_{}", std::process::id());
    for sql in [format!("DROP SCHEMA IF EXISTS {schema} CASCADE"), format!("CREATE SCHEMA {schema}")] {
        sqlx::query(&sql).execute(&admin).await.ok()?;
    }
    admin.close().await;
    Some(format!("{url}?options=-c%20search_path%3D{schema}"))
}

fn nginx() -> Option<String> {
    ["nginx", "/usr/sbin/nginx"]
        .into_iter()
        .find(|n| Command::new(n).arg("-v").stderr(Stdio::null()).status().is_ok_and(|s| s.success()))
        .map(str::to_string)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).unwrap_or(0)
}

/// A `stream` process; stops when its stdin closes.
struct StreamNode {
    child: Child,
    stdin: Option<ChildStdin>,
    port: u16,
}

impl StreamNode {
    fn start(sim: &str, bin: i64, url: &str, name: &str) -> StreamNode {
        let exe = std::env::current_exe().expect("exe");
        let mut child = Command::new(exe)
            .args(["--stream-child", sim, &bin.to_string(), url, name])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("stream node");
        let stdin = child.stdin.take();
        let mut lines = std::io::BufReader::new(child.stdout.take().expect("stdout")).lines();
        let port = lines.next().and_then(Result::ok).and_then(|l| l.trim().parse().ok()).expect("the node's port");
        StreamNode { child, stdin, port }
    }
}

impl Drop for StreamNode {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let _ = self.child.wait();
    }
}

/// The child side: a `stream` node on `url`; prints its port, serves until stdin closes.
pub async fn child() {
    let args: Vec<String> = std::env::args().skip_while(|a| a != "--stream-child").skip(1).collect();
    let [sim, bin, url, name] = &args[..] else { panic!("--stream-child SIM BIN URL NAME") };
    let mut c = Config::default();
    c.telegram.simulator = Some(sim.clone());
    c.telegram.bot_token = super::TOKEN.into();
    c.telegram.bin_channel = bin.parse().expect("bin");
    c.http.bind = "127.0.0.1".into();
    c.http.port = 0;
    c.http.max_streams_per_ip = 5000;
    c.http.max_connections_per_ip = 5000;
    c.http.max_connections = 5000;
    c.http.trusted_proxies = vec![[127, 0, 0, 1].into()];
    c.storage.database_url = url.clone();
    c.storage.data_dir = std::env::temp_dir().join(format!("beamgram-bench-{name}-{}", std::process::id()));
    c.plugins.dir = c.storage.data_dir.join("no-plugins");
    c.node.role = Role::Stream;
    c.node.name = name.clone();
    let app = App::start(c).await.expect("stream node");
    let port = app.public_url().rsplit(':').next().unwrap_or("0").trim_end_matches('/').to_string();
    println!("{port}");
    let _ = std::io::stdout().flush();
    let stdin_closed = tokio::task::spawn_blocking(|| {
        let mut sink = String::new();
        while std::io::stdin().read_line(&mut sink).is_ok_and(|n| n > 0) {}
    });
    let _ = app
        .serve(async move {
            let _ = stdin_closed.await;
        })
        .await;
}

/// nginx with the shipped file, its addresses moved to loopback; `nodes` behind it.
struct Nginx(Child, std::path::PathBuf);

impl Nginx {
    fn start(bin: &str, listen: u16, nodes: &[u16]) -> Nginx {
        let shipped = include_str!("../../../deploy/nginx/beamgram.conf");
        let servers: String =
            nodes.iter().map(|p| format!("server 127.0.0.1:{p} max_fails=1 fail_timeout=10s;\n        ")).collect();
        let conf = shipped
            .replace("listen 8080;", &format!("listen 127.0.0.1:{listen};"))
            .replace("server stream1:8080 max_fails=1 fail_timeout=10s;\n        ", &servers)
            .replace("server stream2:8080 max_fails=1 fail_timeout=10s;\n        ", "");
        let prefix = std::env::temp_dir().join(format!("beamgram-bench-nginx-{}-{listen}", std::process::id()));
        std::fs::create_dir_all(prefix.join("logs")).expect("nginx prefix");
        std::fs::write(prefix.join("nginx.conf"), conf).expect("nginx.conf");
        let child = Command::new(bin)
            .args(["-p", &prefix.display().to_string(), "-c", &prefix.join("nginx.conf").display().to_string()])
            .args(["-g", &format!("daemon off; pid {};", prefix.join("nginx.pid").display())])
            .stderr(Stdio::null())
            .spawn()
            .expect("nginx");
        Nginx(child, prefix)
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.0.id().to_string()]).status();
        let _ = self.0.wait();
        let _ = std::fs::remove_dir_all(&self.1);
    }
}

/// MB/s for all viewers together, each reading its own file through the balancer.
async fn viewers(balancer: &str, paths: &[String]) -> f64 {
    let started = Instant::now();
    let tasks: Vec<_> = paths
        .iter()
        .map(|p| {
            let (a, p) = (balancer.to_string(), p.clone());
            tokio::spawn(async move { get(&a, &p, None, true).await.1 })
        })
        .collect();
    let mut bytes = 0;
    for t in tasks {
        bytes += t.await.unwrap_or(0);
    }
    let want = FILE_MIB * MIB * paths.len() as u64;
    if bytes != want {
        println!("  (short: {bytes} of {want} bytes arrived)");
    }
    bytes as f64 / started.elapsed().as_secs_f64() / MB
}

/// One measured phase.
struct Phase {
    rate: f64,
    /// CPU seconds of the stream nodes and of the simulator, and how busy the machine was.
    nodes_cpu: f64,
    sim_cpu: f64,
    busy: f64,
    /// Files each node served, "a/b".
    split: String,
}

impl Phase {
    fn line(&self, what: &str, connections: f64, versus: Option<&Phase>) -> String {
        let cap = connections * CAP as f64 / MB;
        let ratio = versus.map(|v| format!(" = {:.2}x one node", self.rate / v.rate)).unwrap_or_default();
        format!(
            "  {what}: {:6.1} MB/s = {:3.0} % of the cap of their {connections} connections, files per node {} \
             (CPU s: nodes {:.1}, simulator {:.1}; machine {:.0} % busy){ratio}",
            self.rate,
            self.rate / cap * 100.0,
            self.split,
            self.nodes_cpu,
            self.sim_cpu,
            self.busy * 100.0
        )
    }
}

/// Eight viewers of `paths` through `balancer` at once, measured.
async fn measure(balancer: &str, paths: &[String], nodes: &[StreamNode], sim: u32) -> Phase {
    let served0: Vec<f64> = nodes.iter().map(|n| streamed(n.port)).collect();
    let sim = sim.to_string();
    let (cpu0, sim0, machine0) = (children_cpu(nodes), super::cpu_seconds_of(&sim), machine_ticks());
    let rate = viewers(balancer, paths).await;
    let machine1 = machine_ticks();
    let file = (FILE_MIB * MIB) as f64;
    let split: Vec<String> =
        nodes.iter().zip(&served0).map(|(n, before)| format!("{:.0}", (streamed(n.port) - before) / file)).collect();
    Phase {
        rate,
        nodes_cpu: children_cpu(nodes) - cpu0,
        sim_cpu: super::cpu_seconds_of(&sim) - sim0,
        busy: (machine1.0 - machine0.0) as f64 / (machine1.1 - machine0.1).max(1) as f64,
        split: split.join("/"),
    }
}

/// The node (index into `nodes`) the balancer sends `path` to: the one whose byte count moves
/// when one byte of it is asked for.
async fn node_of(balancer: &str, path: &str, nodes: &[StreamNode]) -> Option<usize> {
    let before: Vec<f64> = nodes.iter().map(|n| streamed(n.port)).collect();
    let _ = get(balancer, path, Some((0, 0)), true).await;
    nodes.iter().zip(&before).position(|(n, b)| streamed(n.port) > *b)
}

pub async fn run() {
    let (Some(url), Some(nginx)) = (schema().await, nginx()) else {
        println!("\ncluster: skipped (needs PostgreSQL on 127.0.0.1:5432 or BEAMGRAM_TEST_POSTGRES, and nginx)");
        return;
    };
    // The bot node that takes the files in; its own links are not read.
    let mut b = super::start(|c| {
        c.storage.database_url = url.clone();
        c.node.role = Role::Bot;
        c.node.lease_secs = 4;
    })
    .await;
    let sim = tokio::task::block_in_place(|| b.ask("address"));
    let bin: i64 = tokio::task::block_in_place(|| b.ask("bin")).parse().expect("bin");
    // Every phase reads files no node has read before (a node's chunk cache would flatter
    // it): eight for one node, eight for two as the balancer hashes them, and from sixteen
    // more, eight that it happens to split evenly (the nodes' capacity apart from the hash's luck).
    let mut pool = Vec::new();
    for i in 0..4 * VIEWERS {
        pool.push(b.file(FILE_MIB * MIB, 500 + i as u64).await);
    }
    let (for_one, rest) = pool.split_at(VIEWERS);
    let (as_hashed, candidates) = rest.split_at(VIEWERS);
    let nodes = [StreamNode::start(&sim, bin, &url, "s1"), StreamNode::start(&sim, bin, &url, "s2")];
    b.shape();
    let child = b.child.id();

    let listen = free_port();
    let lb = Nginx::start(&nginx, listen, &[nodes[0].port, nodes[1].port]);
    let balancer = format!("127.0.0.1:{listen}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    // Where each file goes (the one byte asked for also warms both nodes' connections).
    for p in as_hashed {
        let _ = get(&balancer, p, Some((0, 0)), true).await;
    }
    let mut on = [Vec::new(), Vec::new()];
    for p in candidates {
        if let Some(i) = node_of(&balancer, p, &nodes).await {
            on[i].push(p.clone());
        }
    }
    let even: Vec<String> = on.iter().flat_map(|files| files.iter().take(VIEWERS / 2).cloned()).collect();
    let two_hashed = measure(&balancer, as_hashed, &nodes, child).await;
    let two_even = if even.len() == VIEWERS { Some(measure(&balancer, &even, &nodes, child).await) } else { None };
    drop(lb);

    let listen = free_port();
    let lb = Nginx::start(&nginx, listen, &[nodes[0].port]);
    let balancer = format!("127.0.0.1:{listen}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    for p in for_one {
        let _ = get(&balancer, p, Some((0, 0)), true).await;
    }
    let one = measure(&balancer, for_one, &nodes[..1], child).await;
    drop(lb);

    println!(
        "\ncluster: {VIEWERS} viewers of {VIEWERS} different {FILE_MIB} MiB files through nginx, stream nodes on PostgreSQL \
         ({} ms round trip, {} MB/s per Telegram connection, 4 connections per node):",
        RTT.as_millis(),
        CAP as f64 / MB
    );
    println!("{}", one.line("1 stream node ", 4.0, None));
    println!("{}", two_hashed.line("2 stream nodes", 8.0, Some(&one)));
    match &two_even {
        Some(p) => println!("{}", p.line("2, files even ", 8.0, Some(&one))),
        None => println!(
            "  (of {} more files, too few went to one node: {}/{})",
            candidates.len(),
            on[0].len(),
            on[1].len()
        ),
    }
    drop(nodes);
    b.stop().await;
}

/// The whole machine's (busy, total) CPU ticks so far: what else on these cores (the simulator,
/// nginx, the viewers) leaves the stream nodes.
fn machine_ticks() -> (u64, u64) {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let ticks: Vec<u64> =
        stat.lines().next().unwrap_or("").split_whitespace().skip(1).filter_map(|v| v.parse().ok()).collect();
    let total: u64 = ticks.iter().take(8).sum();
    let idle = ticks.get(3).copied().unwrap_or(0) + ticks.get(4).copied().unwrap_or(0);
    (total - idle, total)
}

/// Bytes a stream node has sent to viewers so far (its `/metrics`).
fn streamed(port: u16) -> f64 {
    use std::io::Read;
    let mut body = String::new();
    if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
        let _ = s.write_all(b"GET /metrics HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n");
        let _ = s.read_to_string(&mut body);
    }
    body.lines()
        .find_map(|l| l.strip_prefix("beamgram_bytes_streamed_total "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0)
}

/// CPU seconds the stream node processes used so far.
fn children_cpu(nodes: &[StreamNode]) -> f64 {
    nodes.iter().map(|n| super::cpu_seconds_of(&n.child.id().to_string())).sum()
}
