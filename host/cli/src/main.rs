//! The `beamgram` command: parses the command line, sets up logging and hands over to the
//! library. Exit codes: 0 done, 1 failed, 2 bad configuration or usage.

use std::path::PathBuf;
use std::process::ExitCode;

use beamgram::config::{Config, ConfigError, LogFormat, Sources};
use beamgram_sim::cli::SimArgs;
use clap::{Args, Parser, Subcommand};
use figment::Figment;
use figment::providers::Serialized;

#[derive(Parser)]
#[command(
    name = "beamgram",
    version,
    about = "Telegram files as HTTP stream links; chat commands as WebAssembly plugins"
)]
struct Cli {
    /// Configuration file (default: ./beamgram.toml when present).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Log format on stderr.
    #[arg(long, global = true, value_enum)]
    log_format: Option<LogFormat>,
    /// Where sessions and the database live.
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the bot against Telegram (or a simulator given with --simulator).
    Run(RunArgs),
    /// Run only the Telegram simulator, with a console to play the user.
    Sim(SimArgs),
    /// Run the simulator and the bot together on built-in defaults; a user sends a sample video.
    Demo(RunArgs),
    /// Inspect the configuration.
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
    /// Write plugins.
    Plugin {
        #[command(subcommand)]
        action: PluginAction,
    },
    /// Database maintenance.
    Db {
        #[command(subcommand)]
        action: DbAction,
    },
    /// Check this installation: the database, the plugins, the bots' logins, the bin channel,
    /// the public URL. One line per problem with its fix; exit 1 when anything is wrong.
    Doctor,
    /// Ask a running beamgram's /healthz; exit 0 when healthy (a container's health check).
    Healthcheck {
        /// Default: http://127.0.0.1:<http.port>/healthz of this configuration.
        #[arg(long, value_name = "URL")]
        url: Option<String>,
    },
    /// Develop plugins: the simulator, the bot with your plugins (live reload) and a chat console.
    Dev {
        /// Folder with your .wasm files (e.g. target/wasm32-wasip2/release).
        #[arg(long, value_name = "DIR")]
        plugins: PathBuf,
    },
}

#[derive(Subcommand)]
enum PluginAction {
    /// Create a plugin crate that builds and loads as it is.
    New {
        name: String,
        /// Where to create it.
        #[arg(long, default_value = ".")]
        dir: PathBuf,
    },
}

#[derive(Subcommand)]
enum DbAction {
    /// Copy a single-node SQLite database (data/beamgram.db) into the empty PostgreSQL database
    /// DATABASE_URL names: users, files, kv, jobs, sessions and the link secret (old links keep
    /// working). Stop the bot first.
    MigrateFromSqlite { file: PathBuf },
}

#[derive(Subcommand)]
enum ConfigAction {
    /// Validate the configuration and print the effective values, secrets masked.
    Check,
}

#[derive(Args, Default)]
struct RunArgs {
    #[arg(long)]
    port: Option<u16>,
    #[arg(long, value_name = "IP")]
    bind: Option<String>,
    /// Base URL of the links, e.g. https://files.example.org
    #[arg(long, value_name = "URL")]
    public_url: Option<String>,
    /// A simulator address (as `beamgram sim` prints it) instead of Telegram.
    #[arg(long, value_name = "ADDRESS")]
    simulator: Option<String>,
    /// What this process does: all (default), bot (updates, plugins; one active per token) or
    /// stream (links only; any number).
    #[arg(long, value_enum)]
    role: Option<beamgram::config::Role>,
    /// This process's name (a stream node's sessions are kept under it); default: the host name.
    #[arg(long, value_name = "NAME")]
    node: Option<String>,
}

fn overrides(cli: &Cli, run: Option<&RunArgs>) -> Figment {
    let mut f = Figment::new();
    if let Some(d) = &cli.data_dir {
        f = f.merge(Serialized::default("storage.data_dir", d));
    }
    if let Some(l) = cli.log_format {
        f = f.merge(Serialized::default("log.format", l));
    }
    if let Some(r) = run {
        // The demo is for trying things on this machine: loopback unless told otherwise.
        if matches!(cli.command, Command::Demo(_)) && r.bind.is_none() {
            f = f.merge(Serialized::default("http.bind", "127.0.0.1"));
        }
        if let Some(p) = r.port {
            f = f.merge(Serialized::default("http.port", p));
        }
        if let Some(role) = r.role {
            f = f.merge(Serialized::default("node.role", role));
        }
        if let Some(n) = &r.node {
            f = f.merge(Serialized::default("node.name", n));
        }
        if let Some(b) = &r.bind {
            f = f.merge(Serialized::default("http.bind", b));
        }
        if let Some(u) = &r.public_url {
            f = f.merge(Serialized::default("http.public_url", u));
        }
        if let Some(s) = &r.simulator {
            f = f.merge(Serialized::default("telegram.simulator", s));
        }
    }
    f
}

fn load(cli: &Cli, run: Option<&RunArgs>) -> Result<Config, ConfigError> {
    Config::load(Sources {
        file: cli.config.as_deref(),
        env: std::env::vars().collect(),
        overrides: overrides(cli, run),
    })
}

fn config_failure(e: ConfigError) -> ExitCode {
    eprintln!("beamgram: configuration error: {e}");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("beamgram: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let code = rt.block_on(run_command());
    // A console's blocking read of stdin must not keep the process alive once it has stopped:
    // Ctrl-C ends `sim` and `dev` at once instead of waiting for stdin to close.
    rt.shutdown_timeout(std::time::Duration::from_millis(200));
    code
}

async fn run_command() -> ExitCode {
    let cli = Cli::parse();
    let run_args = match &cli.command {
        Command::Run(a) | Command::Demo(a) => Some(a),
        _ => None,
    };
    let config = match load(&cli, run_args) {
        Ok(c) => c,
        Err(e) => return config_failure(e),
    };
    beamgram::logging::init(config.log.format);
    match &cli.command {
        Command::Config { action: ConfigAction::Check } => {
            if let Err(e) = config.require_telegram() {
                println!("{}", config.masked());
                return config_failure(e);
            }
            println!("{}", config.masked());
            println!("# configuration is valid");
            ExitCode::SUCCESS
        }
        Command::Run(_) => match beamgram::run_bot(config, beamgram::shutdown::signal()).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(beamgram::RunError::Config(e)) => config_failure(e),
            Err(e) => {
                eprintln!("beamgram: {e}");
                ExitCode::FAILURE
            }
        },
        Command::Demo(_) => {
            let opts = beamgram_cli::demo::DemoOptions { data_dir: cli.data_dir.clone(), config };
            match beamgram_cli::demo::show(opts, beamgram::shutdown::signal()).await {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("beamgram demo: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Sim(args) => sim(args).await,
        Command::Healthcheck { url } => {
            let url = url.clone().unwrap_or_else(|| format!("http://127.0.0.1:{}/healthz", config.http.port));
            match beamgram_cli::healthcheck::check(&url, std::time::Duration::from_secs(5)).await {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("beamgram healthcheck: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Doctor => {
            if let Err(e) = config.require_telegram() {
                return config_failure(e);
            }
            let report = beamgram::doctor::examine(&config).await;
            for f in &report.findings {
                println!("{f}");
            }
            match report.healthy() {
                true => {
                    println!("no problems found");
                    ExitCode::SUCCESS
                }
                false => {
                    println!("{} problem(s) found", report.problems().count());
                    ExitCode::FAILURE
                }
            }
        }
        Command::Db { action: DbAction::MigrateFromSqlite { file } } => migrate_from_sqlite(&config, file).await,
        Command::Plugin { action: PluginAction::New { name, dir } } => {
            match beamgram::scaffold::new_plugin(name, dir) {
                Ok(root) => {
                    println!("created {}", root.display());
                    println!("build it:  cd {} && cargo build --target wasm32-wasip2 --release", root.display());
                    println!("try it:    beamgram dev --plugins {}/target/wasm32-wasip2/release", root.display());
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("beamgram plugin new: {e}");
                    ExitCode::from(2)
                }
            }
        }
        Command::Dev { plugins } => {
            match beamgram_cli::demo::dev(plugins.clone(), cli.data_dir.clone(), config, beamgram::shutdown::signal())
                .await
            {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("beamgram dev: {e}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

async fn migrate_from_sqlite(config: &beamgram::config::Config, file: &std::path::Path) -> ExitCode {
    use beamgram::storage::Store;
    let target = config.storage.database_url.trim();
    if !(target.starts_with("postgres://") || target.starts_with("postgresql://")) {
        return config_failure(beamgram::config::bad(
            "DATABASE_URL (storage.database_url)",
            "set it to the PostgreSQL database to fill (postgres://USER:PASSWORD@HOST/DB)",
        ));
    }
    if !file.is_file() {
        eprintln!("beamgram db: {} is not a file (the SQLite database is data/beamgram.db)", file.display());
        return ExitCode::from(2);
    }
    let source = match Store::open(Some(&format!("sqlite://{}", file.display())), &config.storage.data_dir).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("beamgram db: {e}");
            return ExitCode::FAILURE;
        }
    };
    let copied = match Store::open(Some(target), &config.storage.data_dir).await {
        Ok(to) => source.copy_into(&to).await,
        Err(e) => Err(e),
    };
    match copied {
        Ok(counts) => {
            for (table, n) in counts {
                println!("{table:>22}: {n} rows");
            }
            println!("copied {} into PostgreSQL; start the bot with this DATABASE_URL", file.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("beamgram db: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn sim(args: &SimArgs) -> ExitCode {
    match beamgram_sim::cli::serve(args, beamgram::shutdown::signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(beamgram_sim::cli::SimCliError::Usage { flag, problem }) => {
            config_failure(beamgram::config::bad(flag, problem))
        }
        Err(e) => {
            eprintln!("beamgram sim: {e}");
            ExitCode::FAILURE
        }
    }
}
