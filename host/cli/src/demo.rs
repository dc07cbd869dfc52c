//! `beamgram demo`: the simulator and the bot in one process, on embedded defaults. A
//! simulated user sends the sample video; the bot's reply is printed; it keeps serving.

use std::future::Future;
use std::path::PathBuf;
use std::time::Duration;

use beamgram::config::Config;
use beamgram::{App, RunError};
use beamgram_sim::console::print_message;
use beamgram_sim::{Content, FileKind, FileSpec, SimConfig, SimHandle, Simulator};

/// The demo's sample video (see `host/assets/README.md` for how it was made).
pub const SAMPLE_VIDEO: &[u8] = include_bytes!("../../assets/sample.mp4");
/// Its thumbnail, 320×180, as Telegram makes for a video (same README).
pub const SAMPLE_POSTER: &[u8] = include_bytes!("../../assets/sample-poster.jpg");

/// The sample video as a simulated user sends it, named `name`, with its thumbnail.
pub fn sample_video(name: &str) -> FileSpec {
    FileSpec {
        name: name.into(),
        mime: "video/mp4".into(),
        kind: FileKind::Video { duration: 8.0, width: 640, height: 360 },
        content: Content::Bytes(SAMPLE_VIDEO.to_vec().into()),
        dc: 2,
        thumb: None,
    }
    .with_thumb(SAMPLE_POSTER, 320, 180)
}
pub const DEMO_TOKEN: &str = "100001:beamgram-demo-bot-token";

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("starting the simulator: {0}")]
    Simulator(std::io::Error),
    #[error(transparent)]
    Run(#[from] RunError),
    #[error("the simulated user could not reach the bot: {0}")]
    Script(#[from] beamgram_sim::SimError),
    #[error("the bot stopped abnormally: {0}")]
    Crashed(String),
}

pub struct DemoOptions {
    /// Where the bot keeps its state; a fresh temporary folder when `None`.
    pub data_dir: Option<PathBuf>,
    pub config: Config,
}

/// The bot serving in its own task until [`Serving::stop`].
struct Serving {
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Result<(), RunError>>,
}

impl Serving {
    fn start(app: App) -> Serving {
        let (stop, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(app.serve(async move {
            let _ = rx.await;
        }));
        Serving { stop, task }
    }

    async fn stop(self) -> Result<(), DemoError> {
        let _ = self.stop.send(());
        match self.task.await {
            Ok(r) => r.map_err(DemoError::from),
            Err(e) => Err(DemoError::Crashed(e.to_string())),
        }
    }
}

/// A simulator with the demo bot, a user and a bin channel, and a configuration pointing at it.
struct SimWorld {
    sim: Simulator,
    h: SimHandle,
    bot: beamgram_sim::AccountId,
    user: beamgram_sim::AccountId,
    bin: beamgram_sim::ChannelId,
    config: Config,
}

async fn sim_world(mut config: Config, data_dir: Option<PathBuf>, what: &str) -> Result<SimWorld, DemoError> {
    let sim = Simulator::start(SimConfig::default()).await.map_err(DemoError::Simulator)?;
    let h: SimHandle = sim.handle();
    let bot = h.add_bot(DEMO_TOKEN, "beamgram_demo_bot", "beamgram demo");
    let user = h.add_user("Demo User", Some("demo_user"));
    let bin = h.add_channel("beamgram bin", None, &[bot]);
    config.telegram.simulator = Some(h.address().to_string());
    config.telegram.bot_token = DEMO_TOKEN.into();
    config.telegram.bin_channel = SimHandle::bot_api_channel_id(bin);
    config.storage.data_dir = match data_dir {
        Some(d) => d,
        None => std::env::temp_dir().join(format!("beamgram-{what}-{}", std::process::id())),
    };
    Ok(SimWorld { sim, h, bot, user, bin, config })
}

/// What `beamgram dev` changes in the configuration: the author's plugin folder, watched, each
/// plugin granted the imports and events it asks for (never the powers), and — a development bot
/// on the author's machine — loopback only unless they asked for another address.
fn dev_settings(config: &mut Config, plugins: &std::path::Path) {
    config.plugins.dir = plugins.to_path_buf();
    config.plugins.watch = true;
    config.plugins.grant_requested = true;
    if config.http.bind == beamgram::config::HttpConfig::default().bind {
        config.http.bind = "127.0.0.1".into();
    }
}

/// `beamgram dev --plugins DIR`: the simulator and the bot with the author's plugins, reloaded
/// as they are rebuilt, and a console to talk to the bot as a Telegram user (an admin).
/// `data_dir`: where the bot keeps its state (`--data-dir`), kept after it stops; a temporary
/// folder, removed at the end, when none is given.
pub async fn dev(
    plugins: PathBuf,
    data_dir: Option<PathBuf>,
    mut config: Config,
    shutdown: impl Future<Output = ()>,
) -> Result<(), DemoError> {
    dev_settings(&mut config, &plugins);
    let keep = data_dir.is_some();
    let SimWorld { sim, h, bot, user, config, .. } = sim_world(config, data_dir, "dev").await?;
    let mut config = config;
    config.access.admins.push(user);
    println!(
        "beamgram dev: plugins from {} (reloaded when they change; each plugin gets the imports and events it asks for — never bin-channel or any-user-data, which only [plugins.grants] gives)",
        plugins.display()
    );
    let app = App::start(config.clone()).await?;
    println!("  web server: {}", app.public_url());
    let serving = Serving::start(app);
    println!(
        "You are Demo User (an admin). Try: send /help — or clone the bot: newbot Mine, forward N, bot @Mine_bot, channel files, send /setbin <id>\n"
    );
    tokio::pin!(shutdown);
    tokio::select! {
        _ = beamgram_sim::console::talk(h.clone(), vec![bot], user) => (&mut shutdown).await,
        _ = &mut shutdown => {}
    }
    let result = serving.stop().await;
    sim.shutdown().await;
    if !keep {
        let _ = std::fs::remove_dir_all(&config.storage.data_dir);
    }
    result
}

pub async fn show(opts: DemoOptions, shutdown: impl Future<Output = ()>) -> Result<(), DemoError> {
    let SimWorld { sim, h, bot, user, bin, config } = sim_world(opts.config, opts.data_dir, "demo").await?;
    println!("beamgram demo: a simulated Telegram on loopback with a bot, a user and a bin channel.");
    println!("  simulator: {}", h.address());
    let app = App::start(config.clone()).await?;
    println!("  web server: {}", app.public_url());

    let signer = app.signer().clone();
    let serving = Serving::start(app);

    let sample = sample_video("sample.mp4");
    println!("\nDemo User → bot: sample.mp4 ({} bytes)", SAMPLE_VIDEO.len());
    h.send_file(user, bot, sample, "")?;
    let reply = h.wait_for_message(bot, user, 1, Duration::from_secs(30)).await?;
    println!("bot → Demo User:");
    print_message(&reply);
    // The bin-channel copy is the newest post there; these are the links the reply carries.
    if let Some(copy) = h.channel_messages(bin).last() {
        let links =
            signer.links(beamgram::links::LinkTarget { message_id: copy.id, expires: 0, name: None }, "sample.mp4");
        println!("\nOpen them now:");
        println!("  stream:   {}", links.stream);
        println!("  download: {}", links.download);
        println!("  watch:    {}", links.watch);
    }
    println!("\nUsers can also get their own copy of this bot with /clone <token from @BotFather>;");
    println!("try it by hand in `beamgram dev` (newbot Mine, forward N, bot @Mine_bot, channel files, /setbin).");
    println!("\nThe bot keeps serving; press Ctrl-C to stop.");

    shutdown.await;
    let result = serving.stop().await;
    sim.shutdown().await;
    if config.storage.data_dir.starts_with(std::env::temp_dir()) {
        let _ = std::fs::remove_dir_all(&config.storage.data_dir);
    }
    println!("demo stopped.");
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dev_binds_loopback_unless_told_otherwise() {
        let mut c = Config::default();
        dev_settings(&mut c, std::path::Path::new("p"));
        assert_eq!(c.http.bind, "127.0.0.1");
        assert!(c.plugins.grant_requested && c.plugins.watch);
        let mut c = Config::default();
        c.http.bind = "192.0.2.1".into();
        dev_settings(&mut c, std::path::Path::new("p"));
        assert_eq!(c.http.bind, "192.0.2.1", "an address the author chose stays");
    }
}
