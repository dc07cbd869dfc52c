//! `beamgram doctor`: the checks behind the questions operators of file-stream bots ask most —
//! links that point at the wrong host, port or scheme; a helper bot missing from the bin
//! channel (its links answer "file not found"); api_id/api_hash copied wrong; a database or a
//! plugin folder that does not work. Each problem is one line that says how to fix it.
//!
//! [`examine`] runs every check from configuration alone (`beamgram doctor`, which exits non-zero
//! when a line is a problem); [`at_start`] runs the Telegram and public-URL checks with the
//! clients a starting bot already has, and logs problems as warnings.
//!
//! The standalone run logs its bots in with sessions it keeps in memory only: that is what
//! proves api_id/api_hash and the tokens valid, and it never touches the sessions a running bot
//! uses.

use std::fmt;
use std::path::Path;
use std::time::Duration;

use grammers_client::{Client, InvocationError};
use grammers_tl_types as tl;
use http_body_util::{BodyExt, Empty, Limited};
use hyper_util::client::legacy::Client as HttpClient;
use hyper_util::rt::TokioExecutor;

use crate::config::Config;
use crate::plugins::outbound::Outbound;
use crate::plugins::services::ImportServices;
use crate::plugins::{LoadError, PluginHost};
use crate::storage::Store;
use crate::telegram::{BotClient, TelegramError, bare_channel_id};

/// How long the public URL has to answer.
const URL_TIMEOUT: Duration = Duration::from_secs(10);

/// One line of the report: a check that passed, or a problem and its fix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub ok: bool,
    pub line: String,
}

impl Finding {
    fn ok(line: impl Into<String>) -> Finding {
        Finding { ok: true, line: line.into() }
    }

    fn problem(line: impl Into<String>) -> Finding {
        Finding { ok: false, line: line.into() }
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", if self.ok { "ok     " } else { "PROBLEM" }, self.line)
    }
}

/// Everything [`examine`] found, in the order it checked.
#[derive(Debug, Default)]
pub struct Report {
    pub findings: Vec<Finding>,
}

impl Report {
    pub fn healthy(&self) -> bool {
        self.findings.iter().all(|f| f.ok)
    }

    pub fn problems(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| !f.ok)
    }
}

/// Every check, from the configuration alone.
pub async fn examine(config: &Config) -> Report {
    let mut report = Report::default();
    let store = match Store::open(Some(&config.storage.database_url), &config.storage.data_dir).await {
        Ok(store) => {
            report.findings.push(database_writable(&store).await);
            Some(store)
        }
        Err(e) => {
            report.findings.push(Finding::problem(format!(
                "the database cannot be opened ({e}): check storage.database_url (DATABASE_URL) and that {} is writable",
                config.storage.data_dir.display()
            )));
            None
        }
    };
    report.findings.extend(plugins_load(config, store.clone()).await);
    report.findings.extend(telegram(config).await);
    report.findings.push(public_url_standalone(config).await);
    if let Some(s) = store {
        s.close().await;
    }
    report
}

/// The checks a starting bot can make with what it has — its logged-in clients (the main bot's
/// and the helpers', with their usernames) and its links' base URL, which its own server answers
/// — logged as warnings; returns the problems.
pub async fn at_start(
    config: &Config,
    main: (Client, String),
    helpers: Vec<(Client, String)>,
    public_url: &str,
) -> Vec<Finding> {
    let bin = config.telegram.bin_channel;
    let mut found = vec![bin_channel_post(&main.0, &main.1, bin).await];
    for (i, (client, username)) in helpers.iter().enumerate() {
        found.push(helper_reads(client, username, i + 1, bin).await);
    }
    found.push(links_reach_users(config, public_url));
    found.push(public_url_answers(public_url, None).await);
    let problems: Vec<Finding> = found.into_iter().filter(|f| !f.ok).collect();
    for p in &problems {
        tracing::warn!("doctor: {}", p.line);
    }
    problems
}

/// A write and its undoing, under a name no plugin can have.
async fn database_writable(store: &Store) -> Finding {
    const WHO: &str = "@doctor";
    let probe = async {
        store.kv_set(WHO, "probe", &crate::storage::now_ms().to_le_bytes()).await?;
        store.kv_delete(WHO, "probe").await
    };
    match probe.await {
        Ok(_) => Finding::ok(format!("the database ({}) is writable", store.backend())),
        Err(e) => Finding::problem(format!(
            "the database ({}) cannot be written ({e}): free disk space, fix the file's or the role's permissions",
            store.backend()
        )),
    }
}

/// Every `.wasm` of the plugin folder loads (compiled, interface version accepted, info valid).
async fn plugins_load(config: &Config, store: Option<Store>) -> Vec<Finding> {
    let dir = &config.plugins.dir;
    if !dir.is_dir() {
        return vec![Finding::problem(format!(
            "there is no plugin folder at {}: set plugins.dir, or put the release's plugins/ folder there",
            dir.display()
        ))];
    }
    let store = match store {
        Some(s) => s,
        None => match Store::in_memory().await {
            Ok(s) => s,
            Err(e) => return vec![Finding::problem(format!("the plugins could not be checked: {e}"))],
        },
    };
    // The bot's own compile cache: a plugin checked here starts at once in the bot afterwards.
    let settings = crate::plugins::PluginSettings::from_config(config);
    let services = ImportServices::new(store, Outbound::new(Default::default(), &[]));
    let host = match PluginHost::new(settings, std::sync::Arc::new(services)) {
        Ok(h) => h,
        Err(e) => return vec![Finding::problem(format!("the plugin engine cannot start: {e}"))],
    };
    let failed = host.load_dir().await;
    let mut found: Vec<Finding> = failed.iter().map(|e| Finding::problem(plugin_problem(e, dir))).collect();
    let loaded = host.list().len();
    if failed.is_empty() {
        found.push(Finding::ok(format!("{loaded} plugin(s) in {} load", dir.display())));
    }
    found
}

/// A plugin that did not load, and what to do about it.
fn plugin_problem(e: &LoadError, dir: &Path) -> String {
    let dir = dir.display();
    match e {
        LoadError::Read { .. } => format!("{e}: make it readable by this user"),
        LoadError::Compile { .. } | LoadError::Incompatible { .. } | LoadError::Describe { .. } => {
            format!("{e}: rebuild it for this beamgram (docs/plugins.md), or remove it from {dir}")
        }
        LoadError::Conflict { .. } | LoadError::Duplicate { .. } | LoadError::StartPrefix { .. } => {
            format!("{e}: keep only one of the two in {dir}")
        }
        LoadError::Name { .. } | LoadError::Runtime(_) => e.to_string(),
    }
}

/// The main bot and every helper log in; the main bot can post in the bin channel and every
/// helper can read it.
async fn telegram(config: &Config) -> Vec<Finding> {
    let sessions = match Store::in_memory().await {
        Ok(s) => s,
        Err(e) => return vec![Finding::problem(format!("Telegram could not be checked: {e}"))],
    };
    let bin = config.telegram.bin_channel;
    let mut found = Vec::new();
    match BotClient::connect(&config.telegram, &config.telegram.bot_token, &sessions).await {
        Ok(main) => {
            found.push(Finding::ok(format!("the bot @{} logs in (api_id/api_hash accepted)", main.username)));
            found.push(bin_channel_post(&main.client, &main.username, bin).await);
            main.client.disconnect();
        }
        Err(e) => found.push(login_problem("the bot (telegram.bot_token)", &e)),
    }
    for (i, token) in config.telegram.multi_tokens.iter().enumerate() {
        let who = format!("helper bot {} (MULTI_TOKEN{})", i + 1, i + 1);
        match BotClient::connect(&config.telegram, token, &sessions).await {
            Ok(helper) => {
                found.push(helper_reads(&helper.client, &helper.username, i + 1, bin).await);
                helper.client.disconnect();
            }
            Err(e) => found.push(login_problem(&who, &e)),
        }
    }
    found
}

fn login_problem(who: &str, e: &TelegramError) -> Finding {
    let rpc = match e {
        TelegramError::Login { source: InvocationError::Rpc(r), .. } => Some(r.name.as_str()),
        _ => None,
    };
    Finding::problem(match rpc {
        Some(n) if n.starts_with("API_ID") => format!(
            "Telegram refuses telegram.api_id / telegram.api_hash ({n}): copy both again from https://my.telegram.org → API development tools"
        ),
        Some(n) if n.starts_with("ACCESS_TOKEN") || n.starts_with("BOT_") => {
            format!("Telegram refuses the token of {who} ({n}): copy it again from @BotFather (/token), or remove it")
        }
        _ => format!("{who} cannot log in to Telegram ({e}): check this host's network and telegram.* settings"),
    })
}

fn channel(bin: i64) -> tl::enums::InputChannel {
    // Bots may name a channel they are in with access hash 0.
    tl::types::InputChannel { channel_id: bare_channel_id(bin), access_hash: 0 }.into()
}

/// The main bot is an administrator of the bin channel allowed to post (files are copied there).
pub async fn bin_channel_post(client: &Client, username: &str, bin: i64) -> Finding {
    let fix = format!(
        "add @{username} to the channel as an administrator with 'Post messages' (or set BIN_CHANNEL to a channel it administers)"
    );
    let asked = client
        .invoke(&tl::functions::channels::GetParticipant {
            channel: channel(bin),
            participant: tl::enums::InputPeer::PeerSelf,
        })
        .await;
    let can_post = match &asked {
        Ok(tl::enums::channels::ChannelParticipant::Participant(p)) => match &p.participant {
            tl::enums::ChannelParticipant::Creator(_) => true,
            tl::enums::ChannelParticipant::Admin(a) => {
                let tl::enums::ChatAdminRights::Rights(r) = &a.admin_rights;
                r.post_messages
            }
            _ => false,
        },
        Err(_) => false,
    };
    match (&asked, can_post) {
        (_, true) => Finding::ok(format!("@{username} can post in BIN_CHANNEL {bin}")),
        (Ok(_), false) => {
            Finding::problem(format!("@{username} is in BIN_CHANNEL {bin} but may not post there: {fix}"))
        }
        (Err(e), false) => Finding::problem(format!("@{username} cannot reach BIN_CHANNEL {bin} ({e}): {fix}")),
    }
}

/// A `MULTI_TOKEN` helper can read the bin channel (it streams from it).
pub async fn helper_reads(client: &Client, username: &str, index: usize, bin: i64) -> Finding {
    let read = client
        .invoke(&tl::functions::channels::GetMessages {
            channel: channel(bin),
            id: vec![tl::types::InputMessageId { id: 1 }.into()],
        })
        .await;
    match read {
        Ok(_) => Finding::ok(format!("helper bot @{username} (MULTI_TOKEN{index}) can read BIN_CHANNEL {bin}")),
        Err(e) => Finding::problem(format!(
            "helper bot @{username} (MULTI_TOKEN{index}) cannot read BIN_CHANNEL {bin} ({e}), so links it serves fail with 'file not found': add @{username} to that channel as an administrator"
        )),
    }
}

fn is_loopback_host(url: &str) -> bool {
    let host = url.split("://").nth(1).unwrap_or(url).split(['/', '?']).next().unwrap_or("");
    let host =
        host.rsplit_once(':').filter(|(h, p)| !h.is_empty() && p.parse::<u16>().is_ok()).map_or(host, |(h, _)| h);
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost") || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Links that only this machine can open, from a server other machines can reach: the most
/// common misconfiguration (no public URL set behind a public listener).
fn links_reach_users(config: &Config, public_url: &str) -> Finding {
    let bind_loopback = config.http.bind.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
        || config.http.bind.eq_ignore_ascii_case("localhost");
    if is_loopback_host(public_url) && !bind_loopback {
        let unset = if config.http.public_url.is_empty() { " because http.public_url is not set" } else { "" };
        return Finding::problem(format!(
            "links point at {public_url}{unset}, which only this machine can open: set http.public_url (PUBLIC_URL / FQDN) to the https://host users reach"
        ));
    }
    Finding::ok(format!("links point at {public_url}"))
}

/// Before the bot runs: when this host's port is free, answers `/healthz` on it with a
/// one-time word, so an answer through the public URL proves it reaches *this* port (not some
/// other server); when the port is taken (the bot runs), asks it as it is.
async fn public_url_standalone(config: &Config) -> Finding {
    let addr = format!("{}:{}", config.http.bind, config.http.port);
    let listener = match tokio::net::TcpListener::bind(&addr).await {
        Ok(l) => l,
        Err(_) => {
            let public_url = config.public_url(config.http.port);
            let reach = links_reach_users(config, &public_url);
            return match reach.ok {
                true => public_url_answers(&public_url, None).await,
                false => reach,
            };
        }
    };
    // Port 0 (any free port) gets the one just bound, as the bot's own links would.
    let port = listener.local_addr().map(|a| a.port()).unwrap_or(config.http.port);
    let public_url = config.public_url(port);
    let reach = links_reach_users(config, &public_url);
    if !reach.ok {
        return reach;
    }
    let word = format!("beamgram-doctor-{:016x}", rand::random::<u64>());
    let answer = word.clone();
    let router = axum::Router::new().route("/healthz", axum::routing::get(move || async move { answer }));
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    let found = public_url_answers(&public_url, Some(&word)).await;
    server.abort();
    found
}

/// `GET <public_url>/healthz` from this host answers 200 (with `word` in it, when given).
async fn public_url_answers(public_url: &str, word: Option<&str>) -> Finding {
    let url = format!("{public_url}/healthz");
    let fix = "fix http.public_url (scheme, host and port users reach) or the proxy / firewall in front of beamgram";
    match get(&url).await {
        Ok((200, body)) if word.is_none_or(|w| body.contains(w)) => {
            Finding::ok(format!("{url} answers from this host"))
        }
        Ok((200, _)) => {
            Finding::problem(format!("{url} is answered by another server, not by beamgram's port here: {fix}"))
        }
        Ok((status, _)) => Finding::problem(format!("{url} answers {status}, not 200: {fix}")),
        Err(e) => Finding::problem(format!("{url} does not answer from this host ({e}): {fix}")),
    }
}

/// A GET through any proxy-free route, http or https, with a deadline and a small body cap.
async fn get(url: &str) -> Result<(u16, String), String> {
    let https = hyper_rustls::HttpsConnectorBuilder::new().with_webpki_roots().https_or_http().enable_http1().build();
    let client: HttpClient<_, Empty<bytes::Bytes>> = HttpClient::builder(TokioExecutor::new()).build(https);
    let uri: hyper::Uri = url.parse().map_err(|e| format!("not a URL: {e}"))?;
    let call = async {
        let resp = client.get(uri).await.map_err(|e| crate::plugins::outbound::with_causes(&e))?;
        let status = resp.status().as_u16();
        let body = Limited::new(resp.into_body(), 4096).collect().await.map_err(|e| e.to_string())?.to_bytes();
        Ok((status, String::from_utf8_lossy(&body).into_owned()))
    };
    tokio::time::timeout(URL_TIMEOUT, call).await.map_err(|_| format!("no answer within {URL_TIMEOUT:?}"))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts() {
        for u in
            ["http://127.0.0.1:8080", "http://localhost", "https://LOCALHOST:443/x", "http://[::1]:80", "127.0.0.5"]
        {
            assert!(is_loopback_host(u), "{u}");
        }
        for u in
            ["https://files.example.org", "http://10.0.0.2:8080", "http://[2001:db8::1]:80", "http://localhost.evil"]
        {
            assert!(!is_loopback_host(u), "{u}");
        }
    }

    #[test]
    fn loopback_links_from_a_public_listener_are_a_problem() {
        let mut c = Config::default();
        c.http.bind = "0.0.0.0".into();
        let f = links_reach_users(&c, &c.public_url(8080));
        assert!(!f.ok && f.line.contains("http.public_url is not set"), "{f}");
        c.http.public_url = "https://files.example.org".into();
        assert!(links_reach_users(&c, &c.public_url(8080)).ok);
        // The demo and `dev`: loopback both ways is right.
        let mut local = Config::default();
        local.http.bind = "127.0.0.1".into();
        assert!(links_reach_users(&local, &local.public_url(8080)).ok);
    }

    #[test]
    fn a_report_is_healthy_only_without_problems() {
        let mut r = Report { findings: vec![Finding::ok("a")] };
        assert!(r.healthy());
        r.findings.push(Finding::problem("b — fix it"));
        assert!(!r.healthy());
        assert_eq!(r.problems().count(), 1);
        assert_eq!(r.findings[1].to_string(), "PROBLEM b — fix it");
    }
}
