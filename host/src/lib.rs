//! beamgram: a Telegram bot host that turns files into HTTP stream links and runs chat
//! commands as sandboxed WebAssembly plugins.
//!
//! Layout:
//! - [`config`]: layered configuration (defaults < `beamgram.toml` < environment < flags).
//! - [`telegram`]: logged-in grammers clients and their sessions on disk.
//! - [`bot`]: the update loop and what the bot does with a message.
//! - [`sim`]: the built-in Telegram simulator (`beamgram sim`, `beamgram demo`, the tests).
//! - [`demo`]: the simulator and the bot together, on embedded defaults.
//!
//! Data flows one way: Telegram update → dispatch → handler → Telegram.

pub mod bot;
pub mod config;
pub mod demo;
pub mod humanize;
pub mod logging;
pub mod shutdown;
pub mod sim;
pub mod telegram;

use std::future::Future;

use config::{Config, ConfigError};
use telegram::{BotClient, TelegramError};

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("configuration: {0}")]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Telegram(#[from] TelegramError),
}

/// A bot host whose clients are logged in, ready to [`App::serve`].
pub struct App {
    config: Config,
    main: BotClient,
    /// `MULTI_TOKEN` bots: logged in so they can share the streaming load; they take no updates.
    helpers: Vec<BotClient>,
}

impl App {
    pub async fn start(config: Config) -> Result<App, RunError> {
        config.require_telegram()?;
        let data_dir = config.storage.data_dir.clone();
        let main =
            BotClient::connect(&config.telegram, &config.telegram.bot_token, &data_dir).await?;
        let mut helpers = Vec::new();
        for token in &config.telegram.multi_tokens {
            let mut helper = BotClient::connect(&config.telegram, token, &data_dir).await?;
            // Dropping the receiver tells the sender pool nobody reads this bot's updates.
            helper.updates.take();
            helpers.push(helper);
        }
        Ok(App {
            config,
            main,
            helpers,
        })
    }

    pub fn bot_id(&self) -> i64 {
        self.main.id
    }

    /// Serves until `shutdown` completes, then drains and saves every session.
    pub async fn serve(mut self, shutdown: impl Future<Output = ()>) -> Result<(), RunError> {
        let result = bot::run(&mut self.main, self.config.clone(), shutdown).await;
        self.main.close().await;
        for h in self.helpers {
            h.close().await;
        }
        tracing::info!("stopped");
        Ok(result?)
    }
}

/// Logs in and serves until `shutdown` completes.
pub async fn run(config: Config, shutdown: impl Future<Output = ()>) -> Result<(), RunError> {
    App::start(config).await?.serve(shutdown).await
}
