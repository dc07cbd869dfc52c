use figment::Figment;

use super::*;

fn load(env: &[(&str, &str)]) -> Result<Config, ConfigError> {
    Config::load(Sources {
        file: None,
        env: env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        overrides: Figment::new(),
    })
}

#[test]
fn defaults_are_valid() {
    let c = load(&[]).expect("defaults load");
    assert_eq!(c.http.port, 8080);
    assert_eq!(c.public_url(c.http.port), "http://127.0.0.1:8080");
}

#[test]
fn legacy_names_map_onto_the_config() {
    let c = load(&[
        ("API_ID", "12345"),
        ("API_HASH", "0123456789abcdef0123456789abcdef"),
        ("BOT_TOKEN", "123:abc"),
        ("LOG_CHANNEL", "-1001234567890"),
        ("MULTI_TOKEN2", "3:c"),
        ("MULTI_TOKEN1", "2:b"),
        ("PORT", "9000"),
        ("FQDN", "files.example.org"),
        ("HAS_SSL", "False"),
        ("ALLOWED_USERS", "1, 2 3"),
        ("ADMINS", "7"),
        ("HASH_LENGTH", "20"),
        ("FORCE_SUB_CHANNELS", "@news_ch, -1001234567891 https://t.me/+AbCd"),
        ("PROTECT_CONTENT", "video, audio"),
    ])
    .expect("loads");
    assert!(c.access.protects("video") && c.access.protects("audio") && !c.access.protects("document"));
    assert!(load(&[("PROTECT_CONTENT", "True")]).expect("loads").access.protects("photo"), "true protects everything");
    assert_eq!(c.access.force_subscribe, vec!["@news_ch", "-1001234567891 https://t.me/+AbCd"]);
    assert_eq!(c.telegram.api_id, 12345);
    assert_eq!(c.telegram.bin_channel, -1001234567890);
    assert_eq!(c.telegram.multi_tokens, vec!["2:b", "3:c"]);
    assert_eq!(c.http.port, 9000);
    assert_eq!(c.public_url(9000), "http://files.example.org", "HAS_SSL=False is false");
    assert_eq!(c.access.allowed_users, vec![1, 2, 3]);
    assert_eq!(c.links.hash_length, 20);
    c.require_telegram().expect("complete");
}

#[test]
fn bad_values_name_their_key() {
    assert_eq!(load(&[("API_ID", "abc")]).unwrap_err().key, "API_ID");
    assert_eq!(load(&[("PORT", "70000")]).unwrap_err().key, "PORT");
    assert_eq!(load(&[("HAS_SSL", "maybe"), ("FQDN", "x")]).unwrap_err().key, "HAS_SSL");
    assert_eq!(load(&[("ADMINS", "1,x")]).unwrap_err().key, "ADMINS");
    assert!(load(&[("BOT_TOKEN", "nocolon")]).unwrap_err().key.contains("BOT_TOKEN"));
    assert!(load(&[("BIN_CHANNEL", "12345")]).unwrap_err().key.contains("BIN_CHANNEL"));
    assert!(load(&[("HASH_LENGTH", "2")]).unwrap_err().key.contains("HASH_LENGTH"));
    assert!(load(&[("AUTH_CHANNEL", "news")]).unwrap_err().key.contains("FORCE_SUB_CHANNELS"));
    assert!(load(&[("PROTECT_CONTENT", "videos")]).unwrap_err().key.contains("PROTECT_CONTENT"));
    assert_eq!(load(&[("BEAMGRAM_HTTP__PORT", "x")]).unwrap_err().key, "http.port");
    assert!(load(&[]).expect("loads").require_telegram().unwrap_err().key.contains("API_ID"));
}

#[test]
fn prefixed_env_and_overrides_layer_in_order() {
    let c = Config::load(Sources {
        file: None,
        env: vec![("BEAMGRAM_HTTP__PORT".into(), "9100".into()), ("PORT".into(), "9200".into())],
        overrides: Figment::from(figment::providers::Serialized::default("http.bind", "127.0.0.1")),
    })
    .expect("loads");
    assert_eq!(c.http.port, 9200);
    assert_eq!(c.http.bind, "127.0.0.1");
}

#[test]
fn unknown_keys_in_the_file_are_refused() {
    let dir = std::env::temp_dir().join(format!("beamgram-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("beamgram.toml");
    std::fs::write(&file, "[http]\nprot = 1\n").expect("write");
    let e = Config::load(Sources { file: Some(&file), env: vec![], overrides: Figment::new() }).unwrap_err();
    assert!(e.problem.contains("prot"), "{e}");
}

#[test]
fn secrets_are_masked() {
    let mut c = Config::default();
    c.telegram.bot_token = "123:secret".into();
    c.telegram.api_hash = "0123456789abcdef0123456789abcdef".into();
    c.storage.database_url = "postgres://u:pw@db/x".into();
    let m = c.masked();
    assert!(!m.contains("secret") && !m.contains("0123456789abcdef") && !m.contains("pw@"), "{m}");
    assert!(m.contains("123:********"));
}

#[test]
fn config_check_masks_plugin_secrets_and_the_simulator_seed() {
    let mut c = load(&[]).expect("defaults");
    let table = PluginTable(
        [
            ("api_key".to_string(), toml::Value::String("sk-live-123".into())),
            ("bot_token".to_string(), toml::Value::String("tok-456".into())),
            ("template".to_string(), toml::Value::String("{name}".into())),
        ]
        .into_iter()
        .collect(),
    );
    c.plugins.config.insert("shortener".into(), table);
    let seed = "ab".repeat(32);
    c.telegram.simulator = Some(format!("beamgram-sim://1:hash@{seed}/2=127.0.0.1:1"));
    c.http.metrics_token = "metrics-secret".into();
    let shown = c.masked();
    for secret in ["sk-live-123", "tok-456", seed.as_str(), "metrics-secret"] {
        assert!(!shown.contains(secret), "{secret} leaked:\n{shown}");
    }
    assert!(shown.contains("{name}"), "ordinary settings are shown:\n{shown}");
}

#[test]
fn unknown_grants_are_refused_by_name() {
    let mut c = load(&[]).expect("defaults");
    c.plugins.grants.insert("hello".into(), vec!["kv".into(), "root".into()]);
    let e = c.validate().expect_err("refused");
    assert!(e.key.contains("plugins.grants.hello") && e.problem.contains("'root'"), "{e}");
}
