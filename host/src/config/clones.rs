//! `[clones]`: whether users may bring their own bot token and have this host run a copy of
//! the bot for them, and within what limits.

use serde::{Deserialize, Serialize};

/// Plugins a clone loads unless the operator says otherwise: the user-facing first-party ones
/// (the admin plugin included: a clone's `/stats`, `/broadcast` and bans cover its own users).
/// The host's own admin tools (`/plugins`, `/clones`) never run on a clone.
pub const DEFAULT_CLONE_PLUGINS: [&str; 7] =
    ["start", "file-info", "batch", "shortener", "auto-delete", "verify", "admin"];

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ClonesConfig {
    /// Users may clone the bot with `/clone <token>`.
    pub enabled: bool,
    /// Clones one user may own (admins: no limit), and clones in all.
    pub per_user: usize,
    pub max_total: usize,
    /// Plugins clones load, by name.
    pub plugins: Vec<String>,
    /// With `access.allowed_users` set, only those users (and admins) may clone.
    pub owners_must_be_allowed: bool,
    /// How often each clone asks Telegram whether its token still works, in seconds (a token
    /// revoked in @BotFather stops the clone and its owner is told).
    pub token_check_secs: u64,
}

impl Default for ClonesConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            per_user: 1,
            max_total: 100,
            plugins: DEFAULT_CLONE_PLUGINS.iter().map(|s| s.to_string()).collect(),
            owners_must_be_allowed: true,
            token_check_secs: 60,
        }
    }
}
