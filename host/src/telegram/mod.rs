//! Telegram sessions: a logged-in grammers client per bot token, on Telegram or on a
//! simulator, with its session kept in the store.

pub mod outbox;
pub mod pacer;
pub mod send_key;
pub mod session;

use std::sync::Arc;

use grammers_client::Client;
use grammers_client::sender::{ConnectionParams, SenderPool};
use grammers_session::SessionData;
use grammers_session::storages::MemorySession;
use grammers_session::updates::UpdatesLike;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::config::TelegramConfig;
use crate::storage::Store;
use beamgram_sim_address::SimAddress;

#[derive(Debug, thiserror::Error)]
pub enum TelegramError {
    #[error(transparent)]
    Session(#[from] session::SessionError),
    #[error("bad simulator address: {0}")]
    Simulator(#[from] beamgram_sim_address::AddressError),
    #[error("Telegram refused the login of bot {bot}: {source}")]
    Login { bot: String, source: grammers_client::InvocationError },
    #[error("Telegram call failed: {0}")]
    Call(#[from] grammers_client::InvocationError),
    #[error("cannot follow the bot's updates: {0}")]
    Updates(String),
}

/// `-1001234567890` (Bot API style) → `1234567890` (MTProto).
pub fn bare_channel_id(bot_api_id: i64) -> i64 {
    -(bot_api_id + 1_000_000_000_000)
}

/// `1234567890` (MTProto) → `-1001234567890` (Bot API style).
pub fn bot_api_channel_id(bare: i64) -> i64 {
    -(bare + 1_000_000_000_000)
}

/// Whether Telegram refused a call because the bot's token or session is dead for good
/// (revoked in @BotFather, the bot deleted): retrying cannot help, a new token can.
pub fn token_is_dead(e: &grammers_client::InvocationError) -> bool {
    match e {
        grammers_client::InvocationError::Rpc(r) => {
            r.code == 401
                || [
                    "ACCESS_TOKEN_INVALID",
                    "ACCESS_TOKEN_EXPIRED",
                    "AUTH_KEY_UNREGISTERED",
                    "USER_DEACTIVATED",
                    "BOT_INVALID",
                ]
                .iter()
                .any(|n| r.name.starts_with(n))
        }
        _ => false,
    }
}

/// One logged-in bot.
pub struct BotClient {
    pub client: Client,
    /// Taken once by whoever processes this bot's updates.
    pub updates: Option<mpsc::Receiver<UpdatesLike>>,
    pub id: i64,
    pub username: String,
    /// Kept to write the session back on shutdown.
    session: Arc<MemorySession>,
    store: Store,
    /// The id the session is stored under (from the token, known before logging in).
    token_id: i64,
    dc_ids: Vec<i32>,
    api_id: i32,
    runner: JoinHandle<()>,
}

impl BotClient {
    /// Opens the bot's session (stored, or fresh for the configured endpoint) and logs in only
    /// when the stored authorization is no longer valid.
    pub async fn connect(cfg: &TelegramConfig, token: &str, store: &Store) -> Result<BotClient, TelegramError> {
        let sim: Option<SimAddress> = cfg.simulator.as_deref().map(str::parse).transpose()?;
        let (api_id, api_hash) = match &sim {
            Some(s) => (s.api_id, s.api_hash.clone()),
            None => (cfg.api_id, cfg.api_hash.clone()),
        };
        let token_id = session::bot_id(token);
        let data = match session::load(store, token_id).await? {
            Some(d) => d,
            None => match &sim {
                Some(s) => s.session_for(token, 2),
                None => SessionData::default(),
            },
        };
        let dc_ids: Vec<i32> = match &sim {
            Some(s) => s.dcs.iter().map(|(id, _)| *id).collect(),
            None => (1..=5).collect(),
        };
        let session = Arc::new(MemorySession::from(data));
        let pool = SenderPool::with_configuration(session.clone(), api_id, ConnectionParams::default());
        let client = Client::new(pool.handle);
        let runner = tokio::spawn(pool.runner.run());
        let bot_id = token.split(':').next().unwrap_or_default().to_string();
        let authorized =
            client.is_authorized().await.map_err(|source| TelegramError::Login { bot: bot_id.clone(), source })?;
        if !authorized {
            tracing::info!(bot = %bot_id, "logging in");
            client
                .bot_sign_in(token, &api_hash)
                .await
                .map_err(|source| TelegramError::Login { bot: bot_id.clone(), source })?;
        }
        let me = client.get_me().await?;
        let bot = BotClient {
            client,
            updates: Some(pool.updates),
            id: me.id().bare_id_unchecked(),
            username: me.username().unwrap_or_default().to_string(),
            session,
            store: store.clone(),
            token_id,
            dc_ids,
            api_id,
            runner,
        };
        bot.save().await?;
        tracing::info!(bot = bot.id, username = %bot.username, resumed = authorized, "bot ready");
        Ok(bot)
    }

    /// The session as it is now (addresses and keys, no peers): download connections start
    /// from it, already authorized on the bot's home DC.
    pub async fn snapshot(&self) -> SessionData {
        use grammers_session::Session;
        let mut data = SessionData::default();
        if let Ok(home) = self.session.home_dc_id() {
            data.home_dc = home;
        }
        for id in &self.dc_ids {
            if let Ok(Some(dc)) = self.session.dc_option(*id) {
                data.dc_options.insert(*id, dc);
            }
        }
        data
    }

    pub fn api_id(&self) -> i32 {
        self.api_id
    }

    pub async fn save(&self) -> Result<(), TelegramError> {
        session::save(self.session.as_ref(), &self.dc_ids, &self.store, self.token_id).await?;
        Ok(())
    }

    /// Saves the session and closes every connection.
    pub async fn close(self) {
        if let Err(e) = self.save().await {
            tracing::warn!(bot = self.id, "could not save the session: {e}");
        }
        self.client.disconnect();
        let _ = self.runner.await;
    }
}
