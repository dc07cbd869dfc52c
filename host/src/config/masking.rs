//! `config check`'s view of the configuration: everything as it is in force, with every secret
//! masked — the API hash, bot tokens (their id kept), the database password, the metrics token,
//! the simulator's seed, and plugin settings whose names say they are credentials.

use super::Config;

impl Config {
    /// The effective configuration as TOML, secrets masked.
    pub fn masked(&self) -> String {
        let mut c = self.clone();
        c.telegram.api_hash = mask(&c.telegram.api_hash);
        c.telegram.bot_token = mask_token(&c.telegram.bot_token);
        c.telegram.multi_tokens = c.telegram.multi_tokens.iter().map(|t| mask_token(t)).collect();
        c.storage.database_url = mask_url(&c.storage.database_url);
        c.http.metrics_token = mask(&c.http.metrics_token);
        // The simulator's seed is what its authorization keys derive from.
        c.telegram.simulator = c.telegram.simulator.as_deref().map(mask_sim_seed);
        for table in c.plugins.config.values_mut() {
            for (key, value) in table.0.iter_mut() {
                if looks_secret(key) {
                    *value = toml::Value::String("********".into());
                }
            }
        }
        toml::to_string_pretty(&c).unwrap_or_else(|e| format!("# could not render: {e}"))
    }
}

fn mask(s: &str) -> String {
    if s.is_empty() { String::new() } else { "********".into() }
}

fn mask_token(t: &str) -> String {
    match t.split_once(':') {
        Some((id, _)) => format!("{id}:********"),
        None => mask(t),
    }
}

/// A plugin setting whose name says it is a credential (`api_key`, `token`, `password`, …).
fn looks_secret(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    ["key", "token", "secret", "password", "passwd", "credential", "auth", "cookie", "session"]
        .iter()
        .any(|w| k.contains(w))
}

fn mask_sim_seed(addr: &str) -> String {
    match (addr.find('@'), addr.find('/')) {
        (Some(at), Some(slash)) if slash > at => format!("{}@********{}", &addr[..at], &addr[slash..]),
        _ => mask(addr),
    }
}

fn mask_url(u: &str) -> String {
    match (u.find("://"), u.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}********{}", &u[..s + 3], &u[at..]),
        _ => u.to_string(),
    }
}
