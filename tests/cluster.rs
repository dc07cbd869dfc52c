//! The deployment shape for a popular bot, all on loopback: PostgreSQL, two `bot` processes, two
//! `stream` processes and nginx in front with `deploy/nginx/beamgram.conf` as shipped (ports
//! changed). A file's links go through the balancer byte-exact; when the stream node serving a
//! download is killed, the download resumes (`curl -C -`) through the balancer on the other
//! node and finishes byte-exact; when the active bot node is killed (`kill -9`) mid-broadcast,
//! the standby carries the broadcast on within 10 s and every user gets it exactly once.
//! Skipped loudly without PostgreSQL or nginx; failures with `CI=true`.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use beamgram_sim::{AccountId, FileSpec, LinkProfile, SimHandle};
use common::host::{curl, tool};
use common::postgres::{postgres, shared_config};
use common::process::Bot;
use common::{SimSetup, eventually, expect, world};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

fn config(w: &SimSetup, dir: &Path, database_url: &str, balancer: u16) -> PathBuf {
    let http = format!("public_url = \"http://127.0.0.1:{balancer}\"\ntrusted_proxies = [\"127.0.0.1\"]");
    shared_config(w, dir, database_url, &http, &["start", "admin"])
}

/// nginx with the shipped configuration, its addresses moved to loopback; killed when dropped.
struct Nginx(Child);

impl Nginx {
    fn start(dir: &Path, listen: u16, nodes: [u16; 2]) -> Nginx {
        let shipped = include_str!("../deploy/nginx/beamgram.conf");
        let conf = shipped
            .replace("listen 8080;", &format!("listen 127.0.0.1:{listen};"))
            .replace("stream1:8080 ", &format!("127.0.0.1:{} ", nodes[0]))
            .replace("stream2:8080 ", &format!("127.0.0.1:{} ", nodes[1]));
        for (from, to) in [("listen 8080;", "listen"), ("stream1:8080", "node 1"), ("stream2:8080", "node 2")] {
            assert!(shipped.contains(from) && !conf.contains(from), "the test moves the shipped {to} to loopback");
        }
        let prefix = dir.join("nginx");
        std::fs::create_dir_all(prefix.join("temp")).expect("nginx prefix");
        std::fs::create_dir_all(prefix.join("logs")).expect("nginx logs");
        let file = prefix.join("nginx.conf");
        std::fs::write(&file, conf).expect("nginx.conf");
        let pid = prefix.join("nginx.pid");
        let child = Command::new("nginx")
            .args(["-p", prefix.to_str().expect("utf8"), "-c", file.to_str().expect("utf8")])
            .args(["-g", &format!("daemon off; pid {};", pid.display())])
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("nginx starts");
        Nginx(child)
    }
}

impl Drop for Nginx {
    /// SIGTERM, not SIGKILL: the master takes its workers with it.
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.0.id().to_string()]).status();
        let _ = self.0.wait();
    }
}

/// A stream node's `beamgram_active_streams` (a 64 MiB file at 3 MB/s outlasts every buffer
/// between the node and curl, so the node is still sending when it is killed).
async fn active_streams(port: u16) -> u64 {
    let (_, body) = curl(&["-s", &format!("http://127.0.0.1:{port}/metrics")]).await;
    common::host::metric(&String::from_utf8_lossy(&body), "beamgram_active_streams").unwrap_or(0.0) as u64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn links_go_through_the_balancer_and_survive_their_stream_node_dying() {
    if !tool("nginx", "nginx-light") || !tool("curl", "curl") {
        return;
    }
    let Some(db) = postgres("cluster").await else { return };
    let w = world().await;
    let (h, bot, user) = (&w.h, w.bot, w.user);
    let dir = std::env::temp_dir().join(format!("beamgram-cluster-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let (lb, nodes) = (free_port(), [free_port(), free_port()]);
    let cfg = config(&w, &dir, &db, lb);

    let b1 = Bot::start_with(&cfg, &["--role", "bot", "--node", "b1"]);
    b1.ready().await;
    let b2 = Bot::start_with(&cfg, &["--role", "bot", "--node", "b2"]);
    assert!(eventually(Duration::from_secs(30), async || b2.log().contains("standby")).await, "{}", b2.log());
    let port = |p: u16| p.to_string();
    let (p1, p2) = (port(nodes[0]), port(nodes[1]));
    let s1 = Bot::start_with(&cfg, &["--role", "stream", "--node", "s1", "--port", &p1]);
    let s2 = Bot::start_with(&cfg, &["--role", "stream", "--node", "s2", "--port", &p2]);
    for s in [&s1, &s2] {
        assert!(
            eventually(Duration::from_secs(60), async || s.log().contains("links point here")).await,
            "{}",
            s.log()
        );
    }
    let nginx = Nginx::start(&dir, lb, nodes);
    let through = format!("http://127.0.0.1:{lb}");
    let up =
        eventually(Duration::from_secs(20), async || curl(&["-sf", &format!("{through}/healthz")]).await.0.success())
            .await;
    assert!(up, "nginx answers");

    let spec = FileSpec::seeded("film.mkv", "video/x-matroska", 64 * 1024 * 1024 + 5, 4242);
    let want = spec.content.read(0, spec.content.len() as usize);
    h.send_file(user, bot, spec, "").expect("send");
    let reply = h.wait_for_message(bot, user, 1, Duration::from_secs(30)).await.expect("links");
    let link =
        reply.text.lines().find_map(|l| l.split_once("Download: ").map(|(_, u)| u.trim().to_string())).expect("a link");
    assert!(link.starts_with(&through), "links name the balancer: {link}");
    let (status, body) = curl(&["-sf", &link]).await;
    assert!(status.success() && body == want, "through the balancer, byte-exact");

    // A slow download; the node serving it is killed half-way.
    let out = dir.join("film.mkv");
    let mut slow = Command::new("curl")
        .args(["-s", "--limit-rate", "3m", "-o", out.to_str().expect("utf8"), &link])
        .spawn()
        .expect("curl");
    let mut serving = None;
    let found = eventually(Duration::from_secs(20), async || {
        for (i, p) in nodes.iter().enumerate() {
            if active_streams(*p).await > 0 {
                serving = Some(i);
                return true;
            }
        }
        false
    })
    .await;
    assert!(found, "one stream node serves the download");
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (dead, alive) = match serving {
        Some(0) => (s1, s2),
        _ => (s2, s1),
    };
    dead.kill();
    let cut = slow.wait().expect("curl ends");
    let partial = std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0);
    assert!(!cut.success() && partial > 0 && partial < want.len() as u64, "cut short at {partial} bytes");
    let (status, _) = curl(&["-sf", "-C", "-", "-o", out.to_str().expect("utf8"), &link]).await;
    assert!(status.success(), "resumed through the balancer on the other node:\n{}", alive.log());
    let got = std::fs::read(&out).expect("the file");
    assert!(got == want, "byte-exact after the resume ({} of {} bytes)", got.len(), want.len());
    // The balancer sends the link to the surviving node from now on.
    let (status, body) = curl(&["-sf", &link]).await;
    assert!(status.success() && body == want);
    alive.stop();

    // The active bot node dies mid-broadcast.
    let b2 = broadcast_survives_the_active_node_dying(&w, b1, b2).await;
    b2.stop();
    drop(nginx);
    let _ = std::fs::remove_dir_all(dir);
}

/// `b1` (active) is killed with `kill -9` while a broadcast to 30 users runs; `b2` (standby) must
/// carry it on within 10 s, and every user gets the message exactly once. Returns `b2`.
async fn broadcast_survives_the_active_node_dying(w: &SimSetup, b1: Bot, b2: Bot) -> Bot {
    let (h, bot, admin) = (&w.h, w.bot, w.user);
    let mut users = vec![admin];
    for i in 0..30 {
        let u = h.add_user(&format!("Viewer {i}"), None);
        h.send_text(u, bot, "/start").expect("send");
        users.push(u);
    }
    for u in &users[1..] {
        expect(h, bot, *u, "welcome", |m| m.text.contains("Send me any file")).await;
    }
    const NEWS: &str = "📢 The cluster is live";
    let got = |s: &SimHandle, u: AccountId| s.messages_from(bot, u).iter().filter(|m| m.text == NEWS).count();
    let delivered = |s: &SimHandle| users.iter().filter(|u| got(s, **u) > 0).count();
    // A slow link keeps the broadcast going for a while (each send is a round trip).
    h.set_all_links(LinkProfile { rtt: Duration::from_millis(80), bandwidth: None });
    let source = h.send_text(admin, bot, NEWS).expect("send");
    h.send_reply(admin, bot, source, "/broadcast").expect("send");
    h.wait_for(Duration::from_secs(30), "a quarter delivered", |s| (delivered(s) >= 8).then_some(()))
        .await
        .unwrap_or_else(|_| panic!("the broadcast does not run:\n{}", b1.log()));
    let logins = h.logins();
    b1.kill();
    let killed = Instant::now();
    let before = delivered(h);
    assert!(before < users.len() - 4, "killed mid-way ({before} delivered)");
    let resumed =
        h.wait_for(Duration::from_secs(30), "the standby carries on", |s| (delivered(s) > before).then_some(())).await;
    let took = killed.elapsed();
    assert!(resumed.is_ok(), "the standby never carried the broadcast on:\n{}", b2.log());
    assert!(took <= Duration::from_secs(10), "hand-over took {took:?}, more than 10 s:\n{}", b2.log());
    eprintln!("broadcast hand-over: {took:?} from kill -9 to the standby's next message");
    h.set_all_links(LinkProfile::default());
    let done = expect(h, bot, admin, "the broadcast finished", |m| m.text.starts_with("📣 Broadcast finished")).await;
    for u in &users {
        assert_eq!(got(h, *u), 1, "user {u} got the broadcast {} times, not exactly once", got(h, *u));
    }
    assert!(done.text.contains("✅ delivered 31"), "{}", done.text);
    assert_eq!(h.logins(), logins, "the standby resumed the stored session: no second login");
    b2
}
