//! The plugin runtime black-box: real components (built by `just plugins`) in a running bot
//! against the simulator — routing, permissions, sandboxing, limits, hot swap and rollback.

mod common;

use std::path::Path;
use std::time::Duration;

use beamgram_sim::SeenButton;
use common::host::*;
use common::staging::{deploy, wasm};

fn logged(needle: &str) -> bool {
    common::logs::logged(needle)
}

async fn with_plugins(names: &[&str], admin: bool) -> Host {
    common::logs::capture();
    let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    host_with(move |c, w| {
        for n in &names {
            // A plugin's file is named after the plugin (test_hello.wasm declares "hello").
            deploy(&c.plugins.dir, &wasm(n), &format!("{}.wasm", n.trim_start_matches("test_")));
        }
        c.plugins.grants.insert("hello".into(), vec!["kv".into()]);
        c.plugins.cpu_ms = 300;
        if admin {
            c.access.admins = vec![w.user];
        }
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn commands_buttons_kv_and_help() {
    let host = with_plugins(&["test_hello"], false).await;
    let m = host.ask("/hello there").await;
    assert_eq!(m.text, "hello v1, there");
    let Some(SeenButton::Callback { data, .. }) = m.buttons.first().and_then(|r| r.first()).cloned() else {
        panic!("{:?}", m.buttons)
    };
    assert!(data.ends_with(b"|again") && data.len() == 7 + 1 + 5, "callback data is tagged with the plugin: {data:?}");
    assert_eq!(m.buttons[0][1], SeenButton::Url { text: "Docs".into(), url: "https://example.org/docs".into() });
    let answer = host.w.h.press_button(host.w.user, m.id, &data, Duration::from_secs(20)).await.expect("answered");
    assert_eq!(answer.text.as_deref(), Some("pressed again (v1)"));

    assert_eq!(host.ask("/hi@test_bot").await.text, "hello v1, world", "aliases and @bot work");
    assert_eq!(host.ask("/count").await.text, "count 1");
    assert_eq!(host.ask("/count").await.text, "count 2");
    let store = beamgram::storage::Store::open(None, &host.data).await.expect("the bot's database");
    assert!(!store.kv_keys("hello", "", 10).await.expect("keys").is_empty(), "kv is in the database");
    assert_eq!(host.ask("/secret").await.text, "That command is for admins.");
    assert!(host.ask("/nope").await.text.contains("I don't know /nope"));
    let help = host.ask("/help").await.text;
    for line in ["/hello — Say hello", "/count — Count how often you asked", "/slow — Answer after half a second"]
    {
        assert!(help.contains(line), "{help}");
    }
    assert!(!help.contains("/secret"), "admin-only commands are not shown to others: {help}");
    let menu = host.w.h.bot_commands(host.w.bot);
    assert!(menu.iter().any(|(c, _)| c == "hello") && !menu.iter().any(|(c, _)| c == "secret"), "{menu:?}");
    host.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn admins_get_admin_commands_and_the_plugin_list() {
    let host = with_plugins(&["test_hello"], true).await;
    assert_eq!(host.ask("/secret").await.text, "the secret is 42");
    assert!(host.ask("/help").await.text.contains("/secret — Only for admins"));
    let list = host.ask("/plugins").await.text;
    assert!(list.contains("hello 0.1.0") && list.contains("granted: kv"), "{list}");
    host.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn misbehaving_plugins_fail_alone() {
    let host = with_plugins(
        &["test_hello", "test_panicker", "test_spinner", "test_hog", "test_escaper", "test_sneaky"],
        false,
    )
    .await;
    let sorry = "Sorry, that did not work. The problem was logged.";

    assert_eq!(host.ask("/panic").await.text, sorry);
    assert!(logged("boom from the panicker plugin"), "the guest's panic message reaches the host log");
    assert_eq!(host.ask("/hello").await.text, "hello v1, world");

    assert_eq!(host.ask("/spin").await.text, sorry);
    // Whichever of the CPU limit's two gauges runs out first (the guest clock, checked at each
    // epoch tick, or the fuel when a loaded machine delays the ticks) is named.
    assert!(logged("used more than") || logged("ran out of fuel"), "the CPU limit is named in the log");
    assert_eq!(host.ask("/hello").await.text, "hello v1, world");

    assert_eq!(host.ask("/hog").await.text, sorry);
    assert_eq!(host.ask("/hello").await.text, "hello v1, world");

    let escape = host.ask("/escape").await.text;
    assert!(
        escape.starts_with("fs: refused") && escape.contains("net: refused") && escape.ends_with("env vars: 0"),
        "{escape}"
    );

    assert_eq!(host.ask("/sneak").await.text, "denied: Permission::Kv");
    assert!(logged("plugin called an import it was not granted"));
    assert!(logged("sneaky"), "the denial names the plugin");
    assert_eq!(host.ask("/count").await.text, "count 1", "the granted plugin still has kv");
    host.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hot_swap_keeps_in_flight_calls_and_rolls_back_broken_files() {
    let host = with_plugins(&["test_hello"], true).await;
    let dir = host.data.join("plugins");
    // /slow is in flight when v2 arrives: it finishes on v1.
    let n = host.expect_extra();
    host.w.h.send_text(host.w.user, host.w.bot, "/slow").expect("send");
    tokio::time::sleep(Duration::from_millis(100)).await;
    deploy(&dir, &wasm("test_hello_v2"), "hello.wasm");
    let slow =
        host.w.h.wait_for_message(host.w.bot, host.w.user, n, Duration::from_secs(20)).await.expect("slow answer");
    assert_eq!(slow.text, "slow done v1");
    // The admin is told about the reload; new calls see v2.
    let note = host
        .w
        .h
        .wait_for_message(host.w.bot, host.w.user, host.expect_extra(), Duration::from_secs(20))
        .await
        .expect("notice");
    assert!(note.text.contains("Plugin hello (re)loaded"), "{}", note.text);
    assert_eq!(host.ask("/hello").await.text, "hello v2, world");

    // A truncated file is refused; v2 keeps serving.
    let bytes = std::fs::read(wasm("test_hello")).expect("read");
    let broken = host.data.join("broken.wasm");
    std::fs::write(&broken, &bytes[..bytes.len() / 2]).expect("write");
    deploy(&dir, &broken, "hello.wasm");
    let note = host
        .w
        .h
        .wait_for_message(host.w.bot, host.w.user, host.expect_extra(), Duration::from_secs(20))
        .await
        .expect("notice");
    assert!(
        note.text.contains("reload refused") && note.text.contains("previous version keeps serving"),
        "{}",
        note.text
    );
    assert_eq!(host.ask("/hello").await.text, "hello v2, world");

    // A plugin built for another interface version is refused, naming both versions.
    deploy(&dir, &wasm("test_future"), "future.wasm");
    let note = host
        .w
        .h
        .wait_for_message(host.w.bot, host.w.user, host.expect_extra(), Duration::from_secs(20))
        .await
        .expect("notice");
    assert!(
        note.text.contains("beamgram:plugin@9.0.0") && note.text.contains("beamgram:plugin@0.2.1"),
        "{}",
        note.text
    );
    assert!(host.ask("/future").await.text.contains("I don't know /future"));
    assert_eq!(host.ask("/hello").await.text, "hello v2, world");
    host.stop().await;
}

/// Interface versions, one plugin built for each kept in `wit/` (with wit-bindgen directly; the
/// SDK builds 0.2.1): 0.2.0, the previous patch, loads unchanged and uses what 0.2.0 had; 0.1.0
/// is refused at load with a message naming both versions (and `test_future`, above, claiming
/// 9.0.0, likewise).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_plugin_built_for_each_kept_interface_version_loads_or_is_refused_by_name() {
    common::logs::capture();
    let host = host_with(|c, _| {
        deploy(&c.plugins.dir, &wasm("test_legacy"), "legacy.wasm");
        deploy(&c.plugins.dir, &wasm("test_ancient"), "ancient.wasm");
        c.plugins.grants.insert("legacy".into(), vec!["users".into()]);
    })
    .await;
    assert_eq!(host.ask("/legacy").await.text, "built for 0.2.0, running here; 1 users");
    assert!(
        common::logs::lines_with(&["ancient.wasm", "beamgram:plugin@0.1.0", "beamgram:plugin@0.2.1"]) >= 1,
        "the 0.1.0 build is refused naming both versions:\n{}",
        common::logs::text()
    );
    assert!(host.ask("/ancient").await.text.contains("I don't know /ancient"));
    host.stop().await;
}

/// `beamgram plugin new` makes a crate that builds with plain cargo and loads as it is.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_scaffold_builds_and_loads() {
    let work = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../plugins/target/scaffold-test");
    let _ = std::fs::remove_dir_all(work.join("greeter"));
    std::fs::create_dir_all(&work).expect("dir");
    let made = std::process::Command::new(env!("CARGO_BIN_EXE_beamgram"))
        .args(["plugin", "new", "greeter", "--dir"])
        .arg(&work)
        .output()
        .expect("beamgram runs");
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let built = std::process::Command::new(env!("CARGO"))
        .args(["build", "--target", "wasm32-wasip2", "--release", "--quiet"])
        .current_dir(work.join("greeter"))
        // Shared between runs, so only the first run compiles wit-bindgen.
        .arg("--target-dir")
        .arg(work.join("target"))
        .output()
        .expect("cargo runs");
    assert!(built.status.success(), "{}", String::from_utf8_lossy(&built.stderr));
    let wasm = work.join("target/wasm32-wasip2/release/greeter.wasm");
    let host = host_with(|c, _| deploy(&c.plugins.dir, &wasm, "greeter.wasm")).await;
    let m = host.ask("/greeter Ann").await;
    assert_eq!(m.text, "Hello, Ann!");
    host.stop().await;
}

/// The `http` import reaches only hosts the operator allowed for the plugin (a local server
/// stands in for the outside world), and nothing without the grant.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn outbound_http_only_to_allowed_hosts() {
    let server = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = server.local_addr().expect("addr").port();
    let app = axum::Router::new()
        .route("/api", axum::routing::get(|| async { r#"{"status":"success","shortenedUrl":"https://s.example/x"}"# }));
    tokio::spawn(async move { axum::serve(server, app).await });

    let host = host_with(|c, _| {
        deploy(&c.plugins.dir, &wasm("test_fetcher"), "fetcher.wasm");
        c.plugins.grants.insert("fetcher".into(), vec!["http".into()]);
        // Plain http and a loopback address: both only because the operator lists them.
        c.plugins.http_allow.insert("fetcher".into(), vec!["http://127.0.0.1".into()]);
    })
    .await;
    let ok = host.ask(&format!("/fetch http://127.0.0.1:{port}/api")).await.text;
    assert_eq!(ok, r#"200: {"status":"success","shortenedUrl":"https://s.example/x"}"#);
    let other = host.ask(&format!("/fetch http://localhost:{port}/api")).await.text;
    assert_eq!(other, "denied: Permission::Http", "localhost is not on the list, even if it is the same machine");
    host.stop().await;

    let ungranted = host_with(|c, _| {
        deploy(&c.plugins.dir, &wasm("test_fetcher"), "fetcher.wasm");
        c.plugins.http_allow.insert("fetcher".into(), vec!["http://127.0.0.1".into()]);
    })
    .await;
    assert_eq!(ungranted.ask(&format!("/fetch http://127.0.0.1:{port}/api")).await.text, "denied: Permission::Http");
    ungranted.stop().await;
}

/// A plugin that wants files gets each one with its properties and signed links, and its reply
/// replaces the built-in one; the link it was given streams the file.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn file_received_events_carry_working_links() {
    use beamgram_sim::{FileKind, FileSpec};
    let host = host_with(|c, _| {
        deploy(&c.plugins.dir, &wasm("test_fileinfo"), "fileinfo.wasm");
        c.plugins.grants.insert("fileinfo".into(), vec!["file-received".into()]);
    })
    .await;
    let spec = FileSpec::seeded("clip.mkv", "video/x-matroska", 700_000, 31).kind(FileKind::Video {
        duration: 12.0,
        width: 1280,
        height: 720,
    });
    host.w.h.send_file(host.w.user, host.w.bot, spec, "").expect("send");
    let m = host
        .w
        .h
        .wait_for_message(host.w.bot, host.w.user, host.expect_extra(), Duration::from_secs(20))
        .await
        .expect("reply");
    let (first, stream) = m.text.split_once("\nstream: ").expect("two lines");
    assert_eq!(first, "clip.mkv · 700000 bytes · video 1280x720");
    assert!(matches!(&m.buttons[0][0], SeenButton::Url { text, url } if text == "Watch" && url.contains("/watch/")));
    let (_, got) = curl(&[stream]).await;
    assert!(got == beamgram_sim::content::seeded_range(31, 0, 700_000), "the plugin's link streams the file");
    host.stop().await;
}
