//! Counters for `/metrics`, in the Prometheus text format. Plain atomics: the handful of
//! series here do not justify a metrics framework.

use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

/// Upper bounds (seconds) of the upstream latency histogram.
const BUCKETS: [f64; 10] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

#[derive(Default)]
pub struct Metrics {
    requests: Mutex<Vec<(u16, u64)>>,
    pub bytes_streamed: AtomicU64,
    pub upstream_calls: AtomicU64,
    upstream_latency: [AtomicU64; BUCKETS.len() + 1],
    upstream_latency_sum_us: AtomicU64,
    pub upstream_errors: AtomicU64,
    pub upstream_bytes: AtomicU64,
    pub flood_waits: AtomicU64,
    pub reference_refreshes: AtomicU64,
    pub props_hits: AtomicU64,
    pub props_misses: AtomicU64,
    pub chunk_hits: AtomicU64,
    pub chunk_misses: AtomicU64,
    pub active_streams: AtomicU64,
    /// Today's bytes per file and the last hour's FLOOD_WAITs, for admins.
    pub traffic: crate::traffic::Traffic,
}

impl Metrics {
    pub fn request(&self, status: u16) {
        let mut r = self.requests.lock().unwrap_or_else(|p| p.into_inner());
        match r.iter_mut().find(|(s, _)| *s == status) {
            Some((_, n)) => *n += 1,
            None => r.push((status, 1)),
        }
    }

    pub fn upstream_call(&self, took: Duration, bytes: usize) {
        self.upstream_calls.fetch_add(1, Relaxed);
        self.upstream_bytes.fetch_add(bytes as u64, Relaxed);
        let secs = took.as_secs_f64();
        let bucket = BUCKETS.iter().position(|b| secs <= *b).unwrap_or(BUCKETS.len());
        self.upstream_latency[bucket].fetch_add(1, Relaxed);
        self.upstream_latency_sum_us.fetch_add(took.as_micros() as u64, Relaxed);
    }

    /// The Prometheus exposition; `clients` are (name, active streams) of the client pool.
    pub fn render(&self, clients: &[(String, u64)]) -> String {
        let mut o = String::new();
        let _ = writeln!(o, "# TYPE beamgram_http_requests_total counter");
        let mut r = self.requests.lock().unwrap_or_else(|p| p.into_inner()).clone();
        r.sort();
        for (s, n) in r {
            let _ = writeln!(o, "beamgram_http_requests_total{{status=\"{s}\"}} {n}");
        }
        let counters = [
            ("beamgram_bytes_streamed_total", &self.bytes_streamed),
            ("beamgram_upstream_bytes_total", &self.upstream_bytes),
            ("beamgram_upstream_errors_total", &self.upstream_errors),
            ("beamgram_flood_waits_total", &self.flood_waits),
            ("beamgram_file_reference_refreshes_total", &self.reference_refreshes),
            ("beamgram_properties_cache_hits_total", &self.props_hits),
            ("beamgram_properties_cache_misses_total", &self.props_misses),
            ("beamgram_chunk_cache_hits_total", &self.chunk_hits),
            ("beamgram_chunk_cache_misses_total", &self.chunk_misses),
        ];
        for (name, v) in counters {
            let _ = writeln!(o, "# TYPE {name} counter\n{name} {}", v.load(Relaxed));
        }
        let _ = writeln!(
            o,
            "# TYPE beamgram_active_streams gauge\nbeamgram_active_streams {}",
            self.active_streams.load(Relaxed)
        );
        let _ = writeln!(o, "# TYPE beamgram_client_active_requests gauge");
        for (name, n) in clients {
            let _ = writeln!(o, "beamgram_client_active_requests{{client=\"{name}\"}} {n}");
        }
        let _ = writeln!(o, "# TYPE beamgram_upstream_getfile_seconds histogram");
        let mut cumulative = 0;
        for (i, b) in BUCKETS.iter().enumerate() {
            cumulative += self.upstream_latency[i].load(Relaxed);
            let _ = writeln!(o, "beamgram_upstream_getfile_seconds_bucket{{le=\"{b}\"}} {cumulative}");
        }
        cumulative += self.upstream_latency[BUCKETS.len()].load(Relaxed);
        let _ = writeln!(o, "beamgram_upstream_getfile_seconds_bucket{{le=\"+Inf\"}} {cumulative}");
        let _ = writeln!(
            o,
            "beamgram_upstream_getfile_seconds_sum {}",
            self.upstream_latency_sum_us.load(Relaxed) as f64 / 1e6
        );
        let _ = writeln!(o, "beamgram_upstream_getfile_seconds_count {}", self.upstream_calls.load(Relaxed));
        o
    }
}
