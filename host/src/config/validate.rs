//! What types alone cannot check: value ranges, addresses, tokens, grants, the simulator
//! address; and what `run` needs beyond that (Telegram credentials). Each problem is one
//! [`ConfigError`] naming its key, as the operator wrote it.

use beamgram_sim_address::SimAddress;

use super::{Config, ConfigError, bad};

impl Config {
    /// Checks what types alone cannot; `run` needs Telegram credentials, the simulator-backed
    /// commands fill them in themselves.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !matches!(self.links.shortener_scheme.as_str(), "https" | "http") {
            return Err(bad(
                "links.shortener_scheme",
                format!("must be https or http, got '{}'", self.links.shortener_scheme),
            ));
        }
        if self.links.hash_length < 8 || self.links.hash_length > 43 {
            return Err(bad(
                "links.hash_length (HASH_LENGTH)",
                format!("must be 8 to 43, got {}", self.links.hash_length),
            ));
        }
        let url = &self.http.public_url;
        if !(url.is_empty() || url.starts_with("http://") || url.starts_with("https://")) {
            return Err(bad(
                "http.public_url (FQDN/HOST)",
                format!("must start with http:// or https://, got '{}'", self.http.public_url),
            ));
        }
        let st = &self.stream;
        if !(1..=64).contains(&st.window) {
            return Err(bad("stream.window", format!("must be 1 to 64, got {}", st.window)));
        }
        if !(1..=16).contains(&st.connections_per_dc) {
            return Err(bad("stream.connections_per_dc", format!("must be 1 to 16, got {}", st.connections_per_dc)));
        }
        if st.chunk_deadline_secs == 0
            || self.http.max_streams_per_ip == 0
            || self.http.header_timeout_secs == 0
            || self.http.stall_timeout_secs == 0
            || self.http.max_connections_per_ip == 0
            || self.http.max_connections == 0
        {
            return Err(bad(
                "stream.chunk_deadline_secs / http.max_streams_per_ip / http.header_timeout_secs / http.stall_timeout_secs / http.max_connections(_per_ip)",
                "must be at least 1",
            ));
        }
        for (name, grants) in &self.plugins.grants {
            crate::plugins::grants::Grants::parse(grants)
                .map_err(|e| bad(format!("plugins.grants.{name}"), e.to_string()))?;
        }
        let a = &self.access;
        if let Some(k) = a.protect_content.iter().find(|k| *k != "all" && !super::FILE_KINDS.contains(&k.as_str())) {
            return Err(bad(
                "access.protect_content (PROTECT_CONTENT)",
                format!("'{k}' is not a kind of file: all, or {}", super::FILE_KINDS.join(", ")),
            ));
        }
        for entry in &a.force_subscribe {
            super::SubscribeTo::parse(entry).map_err(|e| bad("access.force_subscribe (FORCE_SUB_CHANNELS)", e))?;
        }
        if a.user_concurrency == 0 || a.user_queue == 0 || a.user_burst == 0 || a.user_per_minute == 0 {
            return Err(bad(
                "access.user_concurrency / user_queue / user_burst / user_per_minute",
                "must be at least 1",
            ));
        }
        if self.node.lease_secs < 3 {
            return Err(bad("node.lease_secs", "must be at least 3 (it is renewed every third of it)"));
        }
        if self.clones.token_check_secs == 0 {
            return Err(bad("clones.token_check_secs", "must be at least 1"));
        }
        let pl = &self.plugins;
        if pl.cpu_ms == 0 || pl.wall_secs == 0 || pl.memory_mib == 0 || pl.concurrency == 0 {
            return Err(bad("plugins.cpu_ms / wall_secs / memory_mib / concurrency", "must be at least 1"));
        }
        if self.http.bind.parse::<std::net::IpAddr>().is_err() {
            return Err(bad("http.bind (BIND_ADDRESS)", format!("'{}' is not an IP address", self.http.bind)));
        }
        if let Some(sim) = &self.telegram.simulator {
            sim.parse::<SimAddress>().map_err(|e| bad("telegram.simulator", e.to_string()))?;
        }
        for (i, t) in std::iter::once(&self.telegram.bot_token).chain(&self.telegram.multi_tokens).enumerate() {
            if !t.is_empty() && !valid_token(t) {
                let key = if i == 0 {
                    "telegram.bot_token (BOT_TOKEN)".to_string()
                } else {
                    format!("telegram.multi_tokens[{}] (MULTI_TOKEN{i})", i - 1)
                };
                return Err(bad(key, "is not a bot token (expected DIGITS:SECRET, as @BotFather gives it)"));
            }
        }
        if self.telegram.bin_channel != 0 && self.telegram.bin_channel > -1_000_000_000_000 {
            return Err(bad(
                "telegram.bin_channel (BIN_CHANNEL)",
                format!("{} is not a channel id (they start with -100)", self.telegram.bin_channel),
            ));
        }
        Ok(())
    }

    /// What `run` needs beyond [`Config::validate`].
    pub fn require_telegram(&self) -> Result<(), ConfigError> {
        let t = &self.telegram;
        if t.simulator.is_none() {
            if t.api_id <= 0 {
                return Err(bad("telegram.api_id (API_ID)", "is required: get one at my.telegram.org"));
            }
            if t.api_hash.len() != 32 || !t.api_hash.chars().all(|c| c.is_ascii_hexdigit()) {
                return Err(bad("telegram.api_hash (API_HASH)", "is required: 32 hex digits from my.telegram.org"));
            }
        }
        if t.bot_token.is_empty() {
            return Err(bad("telegram.bot_token (BOT_TOKEN)", "is required: the token @BotFather gave you"));
        }
        if t.bin_channel == 0 {
            return Err(bad(
                "telegram.bin_channel (BIN_CHANNEL)",
                "is required: the -100… id of a channel where the bot is admin",
            ));
        }
        Ok(())
    }
}

fn valid_token(t: &str) -> bool {
    match t.split_once(':') {
        Some((id, secret)) => !id.is_empty() && id.chars().all(|c| c.is_ascii_digit()) && !secret.is_empty(),
        None => false,
    }
}
