//! `beamgram sim`: the simulator on its own, with a console to play the user. The command's
//! arguments and body live here, with the simulator; the `beamgram` binary only parses them
//! and hands over its shutdown signal.

use std::future::Future;
use std::time::Duration;

use clap::Args;

use crate::{LinkProfile, SimConfig, SimHandle, Simulator, faults};

#[derive(Args, Clone, Debug)]
pub struct SimArgs {
    /// DC n listens on BASE+n; 0 picks free ports.
    #[arg(long, default_value_t = 0)]
    pub base_port: u16,
    /// 64 hex digits; the same seed gives the same keys (and address) across restarts.
    #[arg(long)]
    pub seed: Option<String>,
    /// Bot tokens the simulator accepts (repeatable).
    #[arg(long = "bot", value_name = "TOKEN", default_value = "100001:beamgram-sim-token")]
    pub bots: Vec<String>,
    /// Inject a fault (repeatable): METHOD=FAULT[@DC][,skip=N][,times=N].
    #[arg(long = "fault", value_name = "RULE")]
    pub faults: Vec<String>,
    /// Added round trip per request, in milliseconds.
    #[arg(long, default_value_t = 0)]
    pub rtt_ms: u64,
    /// Bytes per second per connection (0: unlimited).
    #[arg(long, default_value_t = 0)]
    pub bandwidth: u64,
    /// Do not read commands from standard input.
    #[arg(long)]
    pub no_console: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum SimCliError {
    /// A bad argument: the flag and what is wrong with it (exit code 2).
    #[error("{flag}: {problem}")]
    Usage { flag: &'static str, problem: String },
    #[error("cannot listen: {0}")]
    Listen(std::io::Error),
}

/// Runs the simulator until `shutdown` completes, printing its address and, unless
/// `--no-console`, reading console commands from stdin.
pub async fn serve(args: &SimArgs, shutdown: impl Future<Output = ()>) -> Result<(), SimCliError> {
    let usage = |flag, problem: String| SimCliError::Usage { flag, problem };
    let mut config = SimConfig { base_port: args.base_port, ..SimConfig::default() };
    if let Some(seed) = &args.seed {
        config.seed = parse_seed(seed).ok_or_else(|| usage("--seed", "must be 64 hex digits".into()))?;
    }
    let rules = args.faults.iter().map(|f| faults::parse_rule(f)).collect::<Result<Vec<_>, _>>();
    let rules = rules.map_err(|e| usage("--fault", e))?;
    if let Some(t) = args.bots.iter().find(|t| !valid_token(t)) {
        return Err(usage("--bot", format!("'{t}' is not a bot token (DIGITS:SECRET)")));
    }
    let sim = Simulator::start(config).await.map_err(SimCliError::Listen)?;
    let h = sim.handle();
    rules.into_iter().for_each(|r| h.inject(r));
    h.set_all_links(LinkProfile {
        rtt: Duration::from_millis(args.rtt_ms),
        bandwidth: (args.bandwidth > 0).then_some(args.bandwidth),
    });
    let bots: Vec<_> = args
        .bots
        .iter()
        .enumerate()
        .map(|(i, t)| h.add_bot(t, &format!("sim_bot_{}", i + 1), &format!("Sim Bot {}", i + 1)))
        .collect();
    let user = h.add_user("Console User", Some("console_user"));
    let bin = h.add_channel("bin", None, &bots);
    println!("beamgram simulator running (stop with Ctrl-C)");
    println!("  address:     {}", h.address());
    for t in &args.bots {
        println!("  bot token:   {t}");
    }
    println!("  bin channel: {}", SimHandle::bot_api_channel_id(bin));
    println!("point a bot at it:");
    println!(
        "  beamgram run --simulator '{}'  # with BOT_TOKEN={} BIN_CHANNEL={}",
        h.address(),
        args.bots[0],
        SimHandle::bot_api_channel_id(bin)
    );
    tokio::pin!(shutdown);
    if args.no_console {
        (&mut shutdown).await;
    } else {
        tokio::select! {
            _ = crate::console::talk(h.clone(), bots, user) => (&mut shutdown).await,
            _ = &mut shutdown => {}
        }
    }
    sim.shutdown().await;
    Ok(())
}

fn valid_token(t: &str) -> bool {
    t.split_once(':').is_some_and(|(id, s)| !id.is_empty() && id.chars().all(|c| c.is_ascii_digit()) && !s.is_empty())
}

fn parse_seed(s: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    if s.len() != 64 {
        return None;
    }
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(s.get(i * 2..i * 2 + 2)?, 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_and_tokens() {
        assert_eq!(parse_seed(&"0a".repeat(32)), Some([10; 32]));
        assert_eq!(parse_seed("0a"), None);
        assert_eq!(parse_seed(&"zz".repeat(32)), None);
        assert!(valid_token("1:a") && !valid_token("a:1") && !valid_token("1:") && !valid_token("1"));
    }
}
