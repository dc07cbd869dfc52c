//! What the operator lets a plugin do, and where first-party defaults come from.
//!
//! A grant is more than the WIT `permission` list: seeing users' files and messages is a
//! capability too (the events a plugin subscribes to), and so are the two powers no ordinary
//! grant includes — touching the bin channel (every user's files) and other users' data. All of
//! them are written as names in `[plugins.grants]`:
//!
//! - imports: `kv`, `telegram`, `links`, `users`, `user-data`, `schedule`, `http`;
//! - events: `file-received`, `file-gate`, `file-replied`, `text`;
//! - powers: `bin-channel` (send, edit, delete, read and forward in the bin channel),
//!   `any-user-data` (settings and records of users other than the event's, and other plugins'
//!   settings).
//!
//! First-party defaults follow the file, not the name a plugin claims: they apply only to a
//! build whose SHA-256 is listed under that name in the plugin folder's `first-party.sha256`
//! (written by `just plugins` next to the builds it ships).

use std::collections::HashMap;
use std::path::Path;

use super::bindings::types::{EventKinds, Permission};

/// The manifest of first-party builds in a plugin folder: `<sha256 hex>  <name>` per line.
pub const MANIFEST: &str = "first-party.sha256";

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Grants {
    pub imports: Vec<Permission>,
    pub events: EventKinds,
    pub bin_channel: bool,
    pub any_user_data: bool,
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "'{0}' is not a grant (kv, telegram, links, users, user-data, schedule, http, file-received, file-gate, file-replied, text, bin-channel, any-user-data)"
)]
pub struct UnknownGrant(pub String);

pub fn permission_name(p: Permission) -> &'static str {
    match p {
        Permission::Kv => "kv",
        Permission::Telegram => "telegram",
        Permission::Links => "links",
        Permission::Users => "users",
        Permission::UserData => "user-data",
        Permission::Schedule => "schedule",
        Permission::Http => "http",
    }
}

pub fn parse_permission(s: &str) -> Option<Permission> {
    Some(match s {
        "kv" => Permission::Kv,
        "telegram" => Permission::Telegram,
        "links" => Permission::Links,
        "users" => Permission::Users,
        "user-data" | "user_data" => Permission::UserData,
        "schedule" => Permission::Schedule,
        "http" => Permission::Http,
        _ => return None,
    })
}

/// Every event kind with its grant name.
pub const EVENT_NAMES: [(EventKinds, &str); 4] = [
    (EventKinds::FILE_RECEIVED, "file-received"),
    (EventKinds::FILE_GATE, "file-gate"),
    (EventKinds::FILE_REPLIED, "file-replied"),
    (EventKinds::TEXT, "text"),
];

impl Grants {
    pub fn parse<S: AsRef<str>>(names: &[S]) -> Result<Grants, UnknownGrant> {
        let mut g = Grants::default();
        for n in names {
            let n = n.as_ref().trim();
            if let Some(p) = parse_permission(n) {
                if !g.imports.contains(&p) {
                    g.imports.push(p);
                }
            } else if let Some((k, _)) = EVENT_NAMES.iter().find(|(_, name)| *name == n) {
                g.events |= *k;
            } else if n == "bin-channel" {
                g.bin_channel = true;
            } else if n == "any-user-data" {
                g.any_user_data = true;
            } else {
                return Err(UnknownGrant(n.to_string()));
            }
        }
        Ok(g)
    }

    pub fn has(&self, p: Permission) -> bool {
        self.imports.contains(&p)
    }

    /// The grant names, for `/plugins` and the load log.
    pub fn names(&self) -> Vec<&'static str> {
        let mut out: Vec<&'static str> = self.imports.iter().map(|p| permission_name(*p)).collect();
        out.extend(EVENT_NAMES.iter().filter(|(k, _)| self.events.contains(*k)).map(|(_, n)| *n));
        if self.bin_channel {
            out.push("bin-channel");
        }
        if self.any_user_data {
            out.push("any-user-data");
        }
        out
    }

    /// What a plugin gets when it asks for `requested` imports and `wanted` events: the part
    /// of each that this grant covers.
    pub fn limited_to(&self, requested: &[Permission], wanted: EventKinds) -> Grants {
        Grants {
            imports: self.imports.iter().copied().filter(|p| requested.contains(p)).collect(),
            events: self.events & wanted,
            bin_channel: self.bin_channel,
            any_user_data: self.any_user_data,
        }
    }

    /// Everything asked for (`beamgram dev`, on the simulator only): imports and events, never
    /// the two powers.
    pub fn everything_requested(requested: &[Permission], wanted: EventKinds) -> Grants {
        Grants { imports: requested.to_vec(), events: wanted, bin_channel: false, any_user_data: false }
    }
}

/// What the first-party plugins need, by name.
pub fn first_party_defaults(name: &str) -> Option<Grants> {
    let names: &[&str] = match name {
        "start" => &[],
        "file-info" => &["links", "telegram", "file-received"],
        "batch" => &["telegram", "links"],
        "auto-delete" => &["schedule", "telegram", "kv", "file-replied"],
        "shortener" => &["user-data", "links", "text"],
        "verify" => &["user-data", "kv", "links", "schedule", "file-gate"],
        "admin" => &["users", "telegram", "kv", "schedule"],
        _ => return None,
    };
    Grants::parse(names).ok()
}

/// The first-party builds listed in a plugin folder, by name: `name → sha256`.
pub async fn read_manifest(dir: &Path) -> HashMap<String, [u8; 32]> {
    let Ok(text) = tokio::fs::read_to_string(dir.join(MANIFEST)).await else { return HashMap::new() };
    parse_manifest(&text)
}

pub fn parse_manifest(text: &str) -> HashMap<String, [u8; 32]> {
    let mut out = HashMap::new();
    for line in text.lines() {
        let mut parts = line.split_whitespace();
        let (Some(hex), Some(name)) = (parts.next(), parts.next()) else { continue };
        if let Some(hash) = from_hex(hex) {
            out.insert(name.to_string(), hash);
        }
    }
    out
}

pub fn to_hex(hash: &[u8]) -> String {
    hash.iter().map(|b| format!("{b:02x}")).collect()
}

fn from_hex(s: &str) -> Option<[u8; 32]> {
    if s.len() != 64 || !s.is_ascii() {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(&s[i * 2..i * 2 + 2], 16).ok()?;
    }
    Some(out)
}

/// The plugin name a file may declare: its stem, with `_` read as `-` (cargo cannot put a `-` in
/// a `.wasm` name: `file_info.wasm` is plugin `file-info`).
pub fn name_for_file(path: &Path) -> String {
    path.file_stem().map(|s| s.to_string_lossy().replace('_', "-")).unwrap_or_default()
}

/// Whether `declared` may be loaded from `path`.
pub fn name_matches_file(declared: &str, path: &Path) -> bool {
    declared.replace('_', "-") == name_for_file(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_kind_of_grant_and_refuses_unknown_ones() {
        let g = Grants::parse(&["kv", "text", "bin-channel", "file-received"]).expect("valid");
        assert_eq!(g.imports, vec![Permission::Kv]);
        assert!(g.events.contains(EventKinds::TEXT | EventKinds::FILE_RECEIVED));
        assert!(!g.events.contains(EventKinds::FILE_GATE));
        assert!(g.bin_channel && !g.any_user_data);
        assert_eq!(g.names(), vec!["kv", "file-received", "text", "bin-channel"]);
        assert_eq!(Grants::parse(&["root"]), Err(UnknownGrant("root".into())));
    }

    #[test]
    fn a_grant_covers_only_what_was_asked() {
        let g = Grants::parse(&["kv", "telegram", "text"]).expect("valid");
        let got = g.limited_to(&[Permission::Kv, Permission::Http], EventKinds::TEXT | EventKinds::FILE_RECEIVED);
        assert_eq!(got.imports, vec![Permission::Kv]);
        assert_eq!(got.events, EventKinds::TEXT);
        let dev = Grants::everything_requested(&[Permission::Http], EventKinds::FILE_GATE);
        assert!(!dev.bin_channel && !dev.any_user_data, "dev mode never grants the powers");
    }

    #[test]
    fn manifest_and_names() {
        let hash = [0xabu8; 32];
        let m = parse_manifest(&format!("{}  admin\nnonsense\n{}  short\n", to_hex(&hash), "ab"));
        assert_eq!(m.get("admin"), Some(&hash));
        assert_eq!(m.len(), 1);
        assert!(name_matches_file("file-info", Path::new("/p/file_info.wasm")));
        assert!(name_matches_file("admin", Path::new("/p/admin.wasm")));
        assert!(!name_matches_file("admin", Path::new("/p/zzz.wasm")));
        assert!(!name_matches_file("", Path::new("/p/.wasm")));
    }
}
