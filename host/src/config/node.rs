//! `[node]`: what this process does when several share one database — its role and its name.

use serde::{Deserialize, Serialize};

/// What a process does.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Everything in one process (one machine, SQLite or PostgreSQL).
    #[default]
    All,
    /// Takes updates, runs plugins, the scheduler and clones; one of several `bot` processes for
    /// a token is active (a lease in the database), the others wait to take over.
    Bot,
    /// Serves `/stream` and `/watch` (and health, metrics) only; any number of them.
    Stream,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::All => "all",
            Role::Bot => "bot",
            Role::Stream => "stream",
        }
    }

    /// Whether this process takes updates (and so must hold the bot's lease).
    pub fn takes_updates(self) -> bool {
        matches!(self, Role::All | Role::Bot)
    }

    /// Whether it serves file links.
    pub fn streams(self) -> bool {
        matches!(self, Role::All | Role::Stream)
    }
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct NodeConfig {
    pub role: Role,
    /// This process's name: a `stream` node keeps its Telegram sessions under it (so a restart
    /// logs nothing in again), and `/metrics` carries it. Empty: the machine's host name.
    pub name: String,
    /// Seconds the active `bot` process's lease lasts without renewal (renewed every third of
    /// it): a standby takes over at most this long (plus a second) after the active one dies.
    pub lease_secs: u64,
}

impl Default for NodeConfig {
    fn default() -> Self {
        Self { role: Role::All, name: String::new(), lease_secs: 6 }
    }
}

impl NodeConfig {
    /// The name, or the host's name when none is set.
    pub fn resolved_name(&self) -> String {
        if !self.name.trim().is_empty() {
            return self.name.trim().to_string();
        }
        std::fs::read_to_string("/etc/hostname")
            .ok()
            .map(|h| h.trim().to_string())
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "node".into())
    }
}
