//! Tries to leave the sandbox on /escape: files, environment and sockets must all fail.
use beamgram_plugin::prelude::*;

struct Escaper;

impl Plugin for Escaper {
    fn info() -> PluginInfo {
        PluginInfo::new("escaper", "0.1.0").command("escape", "Try to read files and open sockets")
    }

    fn on_command(_: Command) -> Outcome {
        let fs = match std::fs::read_to_string("/etc/passwd") {
            Ok(s) => format!("READ {} bytes", s.len()),
            Err(e) => format!("refused ({e})"),
        };
        let net = match std::net::TcpStream::connect("127.0.0.1:80") {
            Ok(_) => "CONNECTED".to_string(),
            Err(e) => format!("refused ({e})"),
        };
        let env = std::env::vars().count();
        Ok(vec![reply(format!("fs: {fs}; net: {net}; env vars: {env}"))])
    }
}

beamgram_plugin::register!(Escaper);
