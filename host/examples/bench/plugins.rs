//! What the plugin runtime costs: command round trips (a fresh instance per call) against the
//! same work done natively, and how long a hot swap takes while calls keep coming.

use std::time::{Duration, Instant};

use super::pct;

/// Command round trips through the plugin runtime against the same work done natively, and
/// how long a hot swap takes while calls keep coming.
pub async fn run() {
    use beamgram::plugins::bindings::types::{Command, Event};
    use beamgram::plugins::services::ImportServices;
    use beamgram::plugins::{Limits, PluginHost, PluginSettings};
    use std::sync::Arc;

    let wasm_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../plugins/target/test-wasm");
    let (v1, v2) = (wasm_dir.join("test_hello.wasm"), wasm_dir.join("test_hello_v2.wasm"));
    if !v1.exists() || !v2.exists() {
        println!("\nplugins: skipped (build the test plugins with `just plugins`)");
        return;
    }
    let work = std::env::temp_dir().join(format!("beamgram-bench-plugins-{}", std::process::id()));
    let dir = work.join("plugins");
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::copy(&v1, dir.join("hello.wasm"));
    let settings = PluginSettings {
        dir: dir.clone(),
        cache_dir: work.join("cache"),
        limits: Limits {
            memory_bytes: 64 << 20,
            cpu: Duration::from_millis(200),
            wall: Duration::from_secs(10),
            max_actions: 50,
        },
        concurrency: 8,
        grants: Default::default(),
        grant_requested: true,
    };
    let services = Arc::new(ImportServices::new(
        beamgram::storage::Store::in_memory().await.expect("store"),
        beamgram::plugins::outbound::Outbound::new(Default::default(), &[]),
    ));
    let host = PluginHost::new(settings, services).expect("plugin host");
    let t = Instant::now();
    let plugin = host.load(&dir.join("hello.wasm")).await.expect("load");
    let first_load = t.elapsed();
    let event = |i: i32| {
        Event::Command(Command {
            chat_id: 1,
            user_id: 2,
            message_id: i,
            name: "hello".into(),
            raw_args: "bench".into(),
            args: vec!["bench".into()],
            is_admin: false,
            reply_to: None,
        })
    };
    for i in 0..200 {
        let _ = host.call(&plugin, &event(i)).await;
    }
    let mut wasm_times = Vec::new();
    for i in 0..2000 {
        let t = Instant::now();
        let r = host.call(&plugin, &event(i)).await;
        wasm_times.push(t.elapsed());
        assert!(r.is_ok());
    }
    // The same work in Rust: parse nothing, build the same reply and keyboard.
    let mut native_times = Vec::new();
    for i in 0..2000 {
        let t = Instant::now();
        let reply = std::hint::black_box(native_hello(std::hint::black_box("bench"), i));
        native_times.push(t.elapsed());
        drop(reply);
    }
    let (w50, w99) = (pct(&mut wasm_times, 0.5), pct(&mut wasm_times, 0.99));
    let (n50, n99) = (pct(&mut native_times, 0.5), pct(&mut native_times, 0.99));
    println!("\nplugin command round trip (/hello: fresh instance per call, 2,000 calls):");
    println!(
        "  plugin p50 {:.0} µs, p99 {:.0} µs; native handler p50 {:.2} µs, p99 {:.2} µs",
        w50.as_secs_f64() * 1e6,
        w99.as_secs_f64() * 1e6,
        n50.as_secs_f64() * 1e6,
        n99.as_secs_f64() * 1e6
    );

    // Hot swap under load: a caller loops while v2 replaces v1.
    let host2 = host.clone();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stop2 = stop.clone();
    let caller = tokio::spawn(async move {
        let (mut ok, mut failed) = (0u64, 0u64);
        while !stop2.load(std::sync::atomic::Ordering::Relaxed) {
            let p = host2.get("hello").expect("loaded");
            match host2.call(&p, &event(1)).await {
                Ok(_) => ok += 1,
                Err(_) => failed += 1,
            }
        }
        (ok, failed)
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let _ = std::fs::copy(&v2, dir.join("hello.wasm"));
    let t = Instant::now();
    host.load(&dir.join("hello.wasm")).await.expect("swap");
    let cold_swap = t.elapsed();
    let _ = std::fs::copy(&v1, dir.join("hello.wasm"));
    let t = Instant::now();
    host.load(&dir.join("hello.wasm")).await.expect("swap back");
    let cached_swap = t.elapsed();
    tokio::time::sleep(Duration::from_millis(100)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let (ok, failed) = caller.await.unwrap_or((0, 0));
    println!("hot swap while calls run:");
    println!(
        "  first load {:.0} ms; swap to a new build {:.0} ms (compile + smoke test); swap to a cached build {:.1} ms; calls during the swaps: {ok} ok, {failed} failed",
        first_load.as_secs_f64() * 1e3,
        cold_swap.as_secs_f64() * 1e3,
        cached_swap.as_secs_f64() * 1e3
    );
    let _ = std::fs::remove_dir_all(work);
}

fn native_hello(args: &str, i: i32) -> (String, Vec<Vec<(String, String)>>) {
    (
        format!("hello v1, {args} {i}"),
        vec![vec![("Again".into(), "xxxx|again".into()), ("Docs".into(), "https://example.org/docs".into())]],
    )
}
