//! Peak memory with 1,000 slow readers (16 KiB every 100 ms) of 50 distinct files, in a fresh
//! process so earlier phases do not count.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::{MIB, peak_rss_mib, start};

pub async fn run() {
    let cache_mib: Option<u64> =
        std::env::args().skip_while(|a| a != "--cache-mib").nth(1).and_then(|v| v.parse().ok());
    let mut b = start(|c| {
        if let Some(m) = cache_mib {
            c.stream.chunk_cache_mib = m;
        }
    })
    .await;
    b.shape();
    let files = 50;
    let mut paths = Vec::new();
    for i in 0..files {
        paths.push(b.file(64 * MIB, 100 + i).await);
    }
    let base_rss = peak_rss_mib();
    let addr = b.addr();
    let mut tasks = Vec::new();
    for i in 0..1000 {
        let (a, p) = (addr.clone(), paths[i % paths.len()].clone());
        tasks.push(tokio::spawn(async move {
            let Ok(mut s) = TcpStream::connect(&a).await else { return 0u64 };
            let _ = s.write_all(format!("GET {p} HTTP/1.1\r\nHost: {a}\r\nConnection: close\r\n\r\n").as_bytes()).await;
            let mut buf = vec![0u8; 16 * 1024];
            let mut got = 0;
            // 16 KiB every 100 ms: 160 KB/s, far slower than the server could send.
            for _ in 0..100 {
                match s.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => got += n as u64,
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            got
        }));
    }
    let mut total = 0;
    for t in tasks {
        total += t.await.unwrap_or(0);
    }
    let cache = cache_mib.map_or("default 256 MiB".to_string(), |m| format!("{m} MiB"));
    println!("1,000 slow readers (16 KiB per 100 ms, 50 distinct 64 MiB files, 10 s), chunk cache {cache}:");
    println!(
        "  peak RSS {:.0} MiB (the bot and the 1,000 clients, not the simulator; {:.0} MiB before they started), read {:.0} MiB",
        peak_rss_mib(),
        base_rss,
        total as f64 / MIB as f64
    );
    b.stop().await;
}
