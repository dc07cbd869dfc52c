//! The environment layer: `BEAMGRAM_SECTION__KEY` variables, and the names existing
//! file-stream bots use, parsed here so a bad value is reported under its own name.

use figment::Figment;
use figment::providers::Serialized;
use figment::value::{Dict, Value};

use super::{ConfigError, bad};

fn insert(dict: &mut Dict, path: &[&str], value: Value) {
    match path {
        [] => {}
        [last] => {
            dict.insert((*last).to_string(), value);
        }
        [first, rest @ ..] => {
            let entry = dict.entry((*first).to_string()).or_insert_with(|| Value::from(Dict::new()));
            if let Value::Dict(_, inner) = entry {
                insert(inner, rest, value);
            }
        }
    }
}

fn int(name: &str, v: &str) -> Result<i64, ConfigError> {
    v.trim().parse::<i64>().map_err(|_| bad(name, format!("expected a whole number, got '{v}'")))
}

fn ids(name: &str, v: &str) -> Result<Vec<i64>, ConfigError> {
    v.split([',', ' ', ';']).filter(|s| !s.trim().is_empty()).map(|s| int(name, s)).collect()
}

/// Strict booleans: `bool("False")` being true is a classic bug of Python bots.
pub fn boolean(name: &str, v: &str) -> Result<bool, ConfigError> {
    match v.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" | "" => Ok(false),
        _ => Err(bad(name, format!("expected true or false, got '{v}'"))),
    }
}

/// The environment as a configuration layer: `BEAMGRAM_SECTION__KEY` for any key, then the
/// names other bots use (they win over the generic form, as their users expect).
pub fn provider(env: &[(String, String)]) -> Result<Figment, ConfigError> {
    let mut d = Dict::new();
    let get = |name: &str| env.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    generic_keys(env, &mut d);
    telegram_keys(env, &get, &mut d)?;
    http_keys(&get, &mut d)?;
    let text = |v: &str| Value::from(v.trim().to_string());
    if let Some(v) = get("HASH_LENGTH") {
        let n = int("HASH_LENGTH", v)?;
        insert(&mut d, &["links", "hash_length"], Value::from(n.max(0) as u64));
    }
    if let Some(v) = get("ALLOWED_USERS") {
        insert(&mut d, &["access", "allowed_users"], Value::from(ids("ALLOWED_USERS", v)?));
    }
    if let Some(v) = get("ADMINS") {
        insert(&mut d, &["access", "admins"], Value::from(ids("ADMINS", v)?));
    }
    // FORCE_SUB_CHANNELS="@news, -1001234567890 https://t.me/+AbCd" (AUTH_CHANNEL, as other
    // bots name a single one).
    if let Some(v) = get("FORCE_SUB_CHANNELS").or_else(|| get("AUTH_CHANNEL")) {
        let entries: Vec<Value> =
            v.split(',').map(str::trim).filter(|e| !e.is_empty()).map(|e| Value::from(e.to_string())).collect();
        insert(&mut d, &["access", "force_subscribe"], Value::from(entries));
    }
    // PROTECT_CONTENT=true (everything), or the kinds: "video,audio".
    if let Some(v) = get("PROTECT_CONTENT") {
        let kinds: Vec<Value> = match v.trim().to_ascii_lowercase().as_str() {
            "true" | "yes" | "on" | "1" => vec![Value::from("all")],
            "false" | "no" | "off" | "0" | "" => Vec::new(),
            list => {
                list.split(',').map(str::trim).filter(|k| !k.is_empty()).map(|k| Value::from(k.to_string())).collect()
            }
        };
        insert(&mut d, &["access", "protect_content"], Value::from(kinds));
    }
    if let Some(v) = get("DATABASE_URL") {
        insert(&mut d, &["storage", "database_url"], text(v));
    }
    Ok(Figment::from(Serialized::defaults(d)))
}

/// `BEAMGRAM_HTTP__PORT=9000` → `http.port = 9000`.
fn generic_keys(env: &[(String, String)], d: &mut Dict) {
    for (k, v) in env {
        if let Some(rest) = k.strip_prefix("BEAMGRAM_") {
            let path: Vec<String> = rest.split("__").map(|s| s.to_ascii_lowercase()).collect();
            let path: Vec<&str> = path.iter().map(String::as_str).collect();
            let value = v.parse::<Value>().unwrap_or_else(|_| Value::from(v.clone()));
            insert(d, &path, value);
        }
    }
}

/// API_ID, API_HASH, BOT_TOKEN, BIN_CHANNEL (or LOG_CHANNEL), MULTI_TOKEN1…
fn telegram_keys<'a>(
    env: &'a [(String, String)],
    get: &impl Fn(&str) -> Option<&'a str>,
    d: &mut Dict,
) -> Result<(), ConfigError> {
    if let Some(v) = get("API_ID") {
        let n = int("API_ID", v)?;
        let n = i32::try_from(n).map_err(|_| bad("API_ID", format!("{n} is out of range")))?;
        insert(d, &["telegram", "api_id"], Value::from(n));
    }
    for (name, key) in [("API_HASH", "api_hash"), ("BOT_TOKEN", "bot_token")] {
        if let Some(v) = get(name) {
            insert(d, &["telegram", key], Value::from(v.trim().to_string()));
        }
    }
    for name in ["LOG_CHANNEL", "BIN_CHANNEL"] {
        if let Some(v) = get(name) {
            insert(d, &["telegram", "bin_channel"], Value::from(int(name, v)?));
        }
    }
    let mut multi: Vec<(u32, String)> = env
        .iter()
        .filter_map(|(k, v)| {
            k.strip_prefix("MULTI_TOKEN").and_then(|n| n.parse::<u32>().ok()).map(|n| (n, v.trim().to_string()))
        })
        .filter(|(_, v)| !v.is_empty())
        .collect();
    if !multi.is_empty() {
        multi.sort();
        let tokens: Vec<String> = multi.into_iter().map(|(_, v)| v).collect();
        insert(d, &["telegram", "multi_tokens"], Value::from(tokens));
    }
    Ok(())
}

/// PORT, BIND_ADDRESS, and the public URL from HOST (a full URL, as the Go bot has it) or FQDN
/// (a bare domain, with HAS_SSL, as the Python ones have it).
fn http_keys<'a>(get: &impl Fn(&str) -> Option<&'a str>, d: &mut Dict) -> Result<(), ConfigError> {
    if let Some(v) = get("PORT") {
        let p = int("PORT", v)?;
        let p = u16::try_from(p)
            .ok()
            .filter(|p| *p > 0)
            .ok_or_else(|| bad("PORT", format!("{p} is not a TCP port (1-65535)")))?;
        insert(d, &["http", "port"], Value::from(p));
    }
    if let Some(v) = get("BIND_ADDRESS") {
        insert(d, &["http", "bind"], Value::from(v.trim().to_string()));
    }
    if let Some(v) = get("HOST").filter(|v| !v.trim().is_empty()) {
        insert(d, &["http", "public_url"], Value::from(v.trim().to_string()));
    } else if let Some(v) = get("FQDN").filter(|v| !v.trim().is_empty()) {
        let v = v.trim();
        let url = if v.contains("://") {
            v.to_string()
        } else {
            let ssl = get("HAS_SSL").map(|s| boolean("HAS_SSL", s)).transpose()?.unwrap_or(false);
            format!("{}://{v}", if ssl { "https" } else { "http" })
        };
        insert(d, &["http", "public_url"], Value::from(url));
    }
    Ok(())
}
