//! Moving an install from one database to another (`beamgram db migrate-from-sqlite`): every
//! table, row for row, into an empty database, in one transaction — users, files (their
//! subtitles and other names), kv, jobs, sessions (no bot logs in again) and the link secret
//! (old links keep working).

use super::db::{Arg, Row, args};
use super::{Store, StoreError};

#[derive(Clone, Copy)]
enum Kind {
    Int,
    OptInt,
    Text,
    OptText,
    Bytes,
    Bool,
}

use Kind::*;

/// Every table and column of the schema (version 4), in an order that inserts cleanly. Leases
/// are not copied: they belong to processes that run now.
const TABLES: &[(&str, &[(&str, Kind)])] = &[
    ("secrets", &[("name", Text), ("value", Bytes)]),
    ("sessions", &[("bot_id", Int), ("node", Text), ("data", Text), ("updated_ms", Int)]),
    (
        "users",
        &[
            ("bot", Int),
            ("id", Int),
            ("first_name", Text),
            ("last_name", Text),
            ("username", OptText),
            ("first_seen_ms", Int),
            ("last_seen_ms", Int),
            ("banned", Bool),
            ("verified_until_ms", OptInt),
            ("blocked_bot", Bool),
        ],
    ),
    ("plugin_user_settings", &[("bot", Int), ("plugin", Text), ("user_id", Int), ("key", Text), ("value", Text)]),
    ("plugin_kv", &[("bot", Int), ("plugin", Text), ("key", Text), ("value", Bytes)]),
    (
        "jobs",
        &[
            ("id", Int),
            ("bot", Int),
            ("plugin", Text),
            ("due_ms", Int),
            ("payload", Text),
            ("attempts", Int),
            ("created_ms", Int),
        ],
    ),
    (
        "files",
        &[
            ("bot", Int),
            ("bin_channel", Int),
            ("bin_message_id", Int),
            ("sender_id", Int),
            ("chat_id", Int),
            ("message_id", Int),
            ("name", Text),
            ("mime", Text),
            ("size", Int),
            ("received_ms", Int),
        ],
    ),
    ("revoked_files", &[("bin_channel", Int), ("bin_message_id", Int), ("revoked_ms", Int), ("revoked_by", Int)]),
    (
        "subtitles",
        &[
            ("bot", Int),
            ("bin_channel", Int),
            ("video_message", Int),
            ("subtitle_message", Int),
            ("label", Text),
            ("lang", OptText),
            ("added_ms", Int),
        ],
    ),
    ("channel_modes", &[("bot", Int), ("channel_id", Int), ("enabled", Bool), ("set_by", Int), ("set_ms", Int)]),
    (
        "link_names",
        &[("bot", Int), ("bin_channel", Int), ("bin_message", Int), ("id", Int), ("name", Text), ("created_ms", Int)],
    ),
    (
        "clones",
        &[
            ("bot_id", Int),
            ("owner_id", Int),
            ("username", Text),
            ("token", Text),
            ("bin_channel", OptInt),
            ("welcome", OptText),
            ("shortener_site", OptText),
            ("shortener_key", OptText),
            ("state", Text),
            ("created_ms", Int),
        ],
    ),
];

fn value(row: &Row, col: &str, kind: Kind) -> Result<Arg, sqlx::Error> {
    Ok(match kind {
        Int => Arg::Int(row.int(col)?),
        OptInt => Arg::OptInt(row.opt_int(col)?),
        Text => Arg::Text(row.text(col)?),
        OptText => Arg::OptText(row.opt_text(col)?),
        Bytes => Arg::Bytes(row.bytes(col)?),
        Bool => Arg::Bool(row.bool(col)?),
    })
}

impl Store {
    /// Copies every row of this database into `to`, which must be empty; rows per table.
    pub async fn copy_into(&self, to: &Store) -> Result<Vec<(&'static str, usize)>, StoreError> {
        for (table, _) in TABLES {
            let n = to.pool.fetch_one(&format!("SELECT COUNT(*) FROM {table}"), args![]).await?.first_int()?;
            if n.unwrap_or(0) > 0 {
                return Err(StoreError::Open {
                    url: "the target database".into(),
                    problem: format!("it is not empty ({table} has rows); copy into a new database"),
                });
            }
        }
        let mut steps: Vec<(String, Vec<Arg>)> = Vec::new();
        let mut counts = Vec::new();
        for (table, cols) in TABLES {
            let names: Vec<&str> = cols.iter().map(|c| c.0).collect();
            let insert =
                format!("INSERT INTO {table} ({}) VALUES ({})", names.join(", "), vec!["?"; names.len()].join(", "));
            let rows = self.pool.fetch_all(&format!("SELECT {} FROM {table}", names.join(", ")), args![]).await?;
            counts.push((*table, rows.len()));
            for row in &rows {
                let values = cols.iter().map(|(c, k)| value(row, c, *k)).collect::<Result<Vec<_>, _>>()?;
                steps.push((insert.clone(), values));
            }
        }
        if to.pool.is_postgres() {
            // Jobs keep their ids; new ones continue after them.
            let next = "SELECT setval(pg_get_serial_sequence('jobs', 'id'), (SELECT COALESCE(MAX(id), 0) + 1 FROM jobs), false)";
            steps.push((next.to_string(), Vec::new()));
        }
        to.pool.transaction(None, &steps).await?;
        Ok(counts)
    }
}
