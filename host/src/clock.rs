//! The wall clock as Unix seconds: what link expiry, admin tokens and today's traffic are
//! measured in (0 if the clock is before 1970).

pub fn unix_secs() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}
