//! `beamgram sim`'s console: type as a Telegram user talking to a bot, and watch what the bot
//! answers. One line, one command; `help` lists them.

use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};

use super::faults::parse_rule;
use super::{AccountId, Content, FileKind, FileSpec, LinkProfile, SeenButton, SeenMessage, SimHandle};

const HELP: &str = "\
commands:
  send TEXT              the user sends TEXT to the bot (commands too: send /start)
  file PATH [CAPTION]    the user sends a file (videos by extension: .mp4 .mkv .webm)
  press MSG_ID DATA      the user presses the inline button with callback DATA
  show                   every message the bot sent to the user
  bot N | bot @NAME      talk to the N-th bot (1-based) of those given with --bot, or any by name
  newbot NAME            ask BotFather for a new bot: prints its token
  forward MSG_ID         forward BotFather's message MSG_ID to the bot you talk to
  channel NAME           a channel with you and the bot you talk to as admins: prints its id
  fault RULE             inject a fault, e.g. upload.getFile=flood:5,times=2
  fault                  list the armed faults
  fault clear            disarm every fault
  link RTT_MS [BYTES/S]  shape every DC's link (0 0 to reset)
  expire                 rotate every file reference (FILE_REFERENCE_EXPIRED next time)
  help                   this text";

/// Reads console commands from stdin until it closes, acting as `user` towards `bots`.
pub async fn talk(h: SimHandle, bots: Vec<AccountId>, user: AccountId) {
    println!("{HELP}");
    let mut bot = bots.first().copied().unwrap_or_default();
    let printer = {
        let h = h.clone();
        let numbered = bots.clone();
        tokio::spawn(async move {
            // Every bot's messages to the user, bots made later (BotFather's, a clone's) too.
            let mut seen: std::collections::HashMap<AccountId, usize> = std::collections::HashMap::new();
            loop {
                let _ = h
                    .wait_for(Duration::from_secs(3600), "changes", |s| {
                        s.bots()
                            .iter()
                            .any(|b| s.messages_from(*b, user).len() > seen.get(b).copied().unwrap_or(0))
                            .then_some(())
                    })
                    .await;
                for b in h.bots() {
                    let all = h.messages_from(b, user);
                    let n = seen.entry(b).or_default();
                    for m in &all[*n..] {
                        let who = match numbered.iter().position(|x| *x == b) {
                            Some(i) => format!("bot {}", i + 1),
                            None => h.username_of(b).map(|u| format!("@{u}")).unwrap_or_else(|| format!("bot {b}")),
                        };
                        println!("{who} → you (message {}):", m.id);
                        print_message(m);
                    }
                    *n = all.len();
                }
            }
        })
    };
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        let line = line.trim();
        let (cmd, rest) = line.split_once(' ').unwrap_or((line, ""));
        let result: Result<String, String> = match cmd {
            "" => continue,
            "help" => Ok(HELP.into()),
            "send" => h.send_text(user, bot, rest).map(|id| format!("sent (message {id})")).map_err(|e| e.to_string()),
            "file" => send_file(&h, user, bot, rest).await,
            "press" => press(&h, user, rest).await,
            "show" => {
                for m in h.messages_from(bot, user) {
                    println!(
                        "message {}{}:",
                        m.id,
                        if m.deleted {
                            " (deleted)"
                        } else if m.edited {
                            " (edited)"
                        } else {
                            ""
                        }
                    );
                    print_message(&m);
                }
                Ok(String::new())
            }
            "bot" => {
                let found = match rest.trim() {
                    name if name.starts_with('@') => h.bot_named(name),
                    n => n.parse::<usize>().ok().and_then(|n| bots.get(n.wrapping_sub(1))).copied(),
                };
                match found {
                    Some(b) => {
                        bot = b;
                        Ok(format!("talking to {}", rest.trim()))
                    }
                    None => Err(format!("no such bot (give 1 to {} or an @username)", bots.len())),
                }
            }
            "newbot" => match h.new_bot(user, rest.trim()) {
                Ok((b, token, _)) => Ok(format!(
                    "BotFather made @{}; its token: {token}\n(forward BotFather's message with `forward N`, or send the token)",
                    h.username_of(b).unwrap_or_default()
                )),
                Err(e) => Err(e.to_string()),
            },
            "forward" => match rest.trim().parse::<i32>() {
                Ok(id) => h
                    .forward_from_botfather(user, id, bot)
                    .map(|m| format!("forwarded (message {m})"))
                    .map_err(|e| e.to_string()),
                Err(_) => Err("usage: forward MSG_ID (a message of your chat with BotFather)".into()),
            },
            "channel" if rest.trim().is_empty() => Err("usage: channel NAME".into()),
            "channel" => {
                let id = h.add_channel(rest.trim(), None, &[user, bot]);
                Ok(format!("channel '{}' made; its id: {}", rest.trim(), SimHandle::bot_api_channel_id(id)))
            }
            "fault" => fault(&h, rest.trim()),
            "link" => link(&h, rest),
            "expire" => {
                h.expire_file_references();
                Ok("file references rotated".into())
            }
            other => Err(format!("unknown command '{other}' (try help)")),
        };
        match result {
            Ok(s) if s.is_empty() => {}
            Ok(s) => println!("{s}"),
            Err(e) => println!("error: {e}"),
        }
    }
    printer.abort();
}

async fn send_file(h: &SimHandle, user: AccountId, bot: AccountId, rest: &str) -> Result<String, String> {
    let (path, caption) = rest.split_once(' ').unwrap_or((rest, ""));
    let bytes = tokio::fs::read(path).await.map_err(|e| format!("{path}: {e}"))?;
    let name = std::path::Path::new(path)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".into());
    let ext = name.rsplit('.').next().unwrap_or_default().to_ascii_lowercase();
    let (mime, kind) = match ext.as_str() {
        "mp4" => ("video/mp4", FileKind::Video { duration: 0.0, width: 0, height: 0 }),
        "mkv" => ("video/x-matroska", FileKind::Video { duration: 0.0, width: 0, height: 0 }),
        "webm" => ("video/webm", FileKind::Video { duration: 0.0, width: 0, height: 0 }),
        "mp3" => ("audio/mpeg", FileKind::Audio { duration: 0, title: None, performer: None }),
        "pdf" => ("application/pdf", FileKind::Document),
        "txt" => ("text/plain", FileKind::Document),
        _ => ("application/octet-stream", FileKind::Document),
    };
    let spec = FileSpec { name, mime: mime.into(), kind, content: Content::Bytes(bytes.into()), dc: 2, thumb: None };
    h.send_file(user, bot, spec, caption).map(|(id, _)| format!("sent (message {id})")).map_err(|e| e.to_string())
}

async fn press(h: &SimHandle, user: AccountId, rest: &str) -> Result<String, String> {
    let (id, data) = rest.split_once(' ').ok_or("usage: press MSG_ID DATA")?;
    let id: i32 = id.parse().map_err(|_| "MSG_ID is a number")?;
    let answer = h.press_button(user, id, data.as_bytes(), Duration::from_secs(15)).await.map_err(|e| e.to_string())?;
    Ok(format!("bot answered: {}", answer.text.unwrap_or_default()))
}

fn fault(h: &SimHandle, rest: &str) -> Result<String, String> {
    match rest {
        "" => {
            let armed = h.armed_faults();
            if armed.is_empty() {
                return Ok("no faults armed".into());
            }
            Ok(armed.iter().map(|r| format!("armed: {r:?}")).collect::<Vec<_>>().join("\n"))
        }
        "clear" => {
            h.clear_faults();
            Ok("every fault cleared".into())
        }
        rule => parse_rule(rule).map(|r| {
            h.inject(r);
            "fault armed".to_string()
        }),
    }
}

/// A bot message as the console shows it: its text, then its buttons.
pub fn print_message(m: &SeenMessage) {
    for line in m.text.lines() {
        println!("  │ {line}");
    }
    for row in &m.buttons {
        let row: Vec<String> = row
            .iter()
            .map(|b| match b {
                SeenButton::Url { text, url } => format!("[{text} → {url}]"),
                SeenButton::Copy { text, copied } => format!("[{text}: copies {copied}]"),
                SeenButton::Callback { text, .. } | SeenButton::Other { text } => format!("[{text}]"),
            })
            .collect();
        println!("  │ {}", row.join(" "));
    }
}

fn link(h: &SimHandle, rest: &str) -> Result<String, String> {
    let mut it = rest.split_whitespace();
    let rtt: u64 =
        it.next().ok_or("usage: link RTT_MS [BYTES_PER_SECOND]")?.parse().map_err(|_| "RTT_MS is a number")?;
    let bw: u64 = it.next().map(|b| b.parse().map_err(|_| "BYTES_PER_SECOND is a number")).transpose()?.unwrap_or(0);
    h.set_all_links(LinkProfile { rtt: Duration::from_millis(rtt), bandwidth: (bw > 0).then_some(bw) });
    Ok("link shaped".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn faults_are_listed_and_cleared() {
        let sim = crate::Simulator::start(crate::SimConfig::default()).await.expect("starts");
        let h = sim.handle();
        assert_eq!(fault(&h, ""), Ok("no faults armed".into()));
        assert_eq!(fault(&h, "upload.getFile=flood:5,times=2"), Ok("fault armed".into()));
        let listed = fault(&h, "").expect("list");
        assert!(listed.contains("upload.getFile") && listed.contains("FloodWait(5)"), "{listed}");
        assert_eq!(fault(&h, "clear"), Ok("every fault cleared".into()));
        assert_eq!(fault(&h, ""), Ok("no faults armed".into()));
        assert!(fault(&h, "nonsense").is_err());
        sim.shutdown().await;
    }
}
