//! `/batch <first message link> <last message link>`: links for every file in a range of a
//! channel the bot can read. One progress message is edited at a bounded rate; the answer is
//! the list, plus a `.txt` of every link when the list is long.
//!
//! Config (`[plugins.config.batch]`): `max_messages` (200), `progress_every_ms` (3000).

use beamgram_plugin::prelude::*;
use beamgram_plugin::{FileInfo, HostError, clock, links, telegram};

mod range;

use range::{MessageLink, parse_link};

struct Batch;

/// Messages asked of Telegram per call (its own limit is 100 for channels).
const PAGE: usize = 100;
/// Files listed in the message itself; the rest are in the attached file.
const LISTED: usize = 20;

fn chat_of(link: &MessageLink) -> Result<i64, PluginError> {
    match link {
        MessageLink::Private { channel, .. } => Ok(-1_000_000_000_000 - channel),
        MessageLink::Public { username, .. } => telegram::resolve_username(username)
            .map_err(|_| bad_input(format!("I can't find @{username}. Is the link right?"))),
    }
}

/// What a refused read or link means for the user.
fn unreadable(e: HostError) -> PluginError {
    match e {
        // The host lets a user batch only chats they can read themselves.
        HostError::Denied(Permission::Telegram) => bad_input(
            "You can only batch chats you can read yourself: a public channel, or a private one you are a member of.",
        ),
        // The host hands out links only to verified users (when verification is on).
        HostError::Denied(Permission::Links) => {
            bad_input("Please verify first: send me any file and open the verification link I answer with.")
        }
        HostError::Denied(_) => failed("the batch plugin lacks the telegram or links permission"),
        other => {
            log_warn(&format!("reading the chat failed: {other:?}"));
            bad_input("I can't read that chat. Add me to the channel (as an admin for private ones) and try again.")
        }
    }
}

fn progress(chat: i64, id: i32, text: String) {
    let target = MessageRef { chat_id: chat, message_id: id };
    // A progress edit that fails (same text, flood) is not worth stopping for.
    let _ = telegram::edit_message(target, &Outgoing { text, keyboard: None, reply_to: None });
}

impl Plugin for Batch {
    fn info() -> PluginInfo {
        PluginInfo::new("batch", env!("CARGO_PKG_VERSION"))
            .command("batch", "Links for every file between two message links: /batch <first> <last>")
            .permission(Permission::Telegram, "to read the channel and report progress")
            .permission(Permission::Links, "to copy the files to the bin channel and make their links")
    }

    fn on_command(c: Command) -> Outcome {
        let (chat, ids) = requested_range(&c)?;
        let count = ids.len();
        let started = telegram::send_message(
            c.chat_id,
            &Outgoing {
                text: format!("⏳ Collecting links… 0/{count}"), keyboard: None, reply_to: Some(c.message_id)
            },
        )
        .map_err(|e| failed(format!("could not start: {e:?}")))?;
        let (files, missed) = collect(&c, chat, &ids, started)?;
        answer(&c, started, count, &files, missed)?;
        Ok(Vec::new())
    }
}

/// The chat and message ids the command's two links span, or why they cannot be batched.
fn requested_range(c: &Command) -> Result<(i64, Vec<i32>), PluginError> {
    let usage = "Usage: /batch <first message link> <last message link>\n\
                 e.g. /batch https://t.me/c/1234567890/10 https://t.me/c/1234567890/60";
    let [first, last] = c.args.as_slice() else { return Err(bad_input(usage)) };
    let (Some(first), Some(last)) = (parse_link(first), parse_link(last)) else {
        return Err(bad_input(format!("Those are not message links.\n{usage}")));
    };
    if !first.same_chat(&last) {
        return Err(bad_input("Both links must point into the same chat."));
    }
    let (from, to) = (first.message(), last.message());
    if from > to {
        return Err(bad_input("The first link comes after the last one: give them in order (first, then last)."));
    }
    let cap: i32 = setting_or("max_messages", 200);
    let count = to - from + 1;
    if count > cap {
        return Err(bad_input(format!("That is {count} messages; the most I do at once is {cap}. Split the range.")));
    }
    Ok((chat_of(&first)?, (from..=to).collect()))
}

/// The files of those messages with their links, a page at a time, editing the progress
/// message now and then; and how many files Telegram would not copy (a FLOOD_WAIT longer than
/// the host waits out, say): reported, not silently left out.
fn collect(c: &Command, chat: i64, ids: &[i32], started: i32) -> Result<(Vec<FileInfo>, usize), PluginError> {
    let every: u64 = setting_or("progress_every_ms", 3000);
    let mut files: Vec<FileInfo> = Vec::new();
    let mut missed = 0;
    let mut last_edit = clock::now_ms();
    for (n, page) in ids.chunks(PAGE).enumerate() {
        let found = telegram::get_messages(chat, page).map_err(|e| {
            progress(c.chat_id, started, "❌ Stopped: I can't read that chat.".into());
            unreadable(e)
        })?;
        for m in found.iter().filter(|m| m.has_file) {
            match links::file_of(chat, m.message_id) {
                Ok(Some(f)) => files.push(f),
                Ok(None) => {}
                Err(e @ HostError::Denied(_)) => {
                    progress(c.chat_id, started, "❌ Stopped.".into());
                    return Err(unreadable(e));
                }
                Err(e) => {
                    missed += 1;
                    log_warn(&format!("message {}: {e:?}", m.message_id));
                }
            }
        }
        let done = ((n + 1) * PAGE).min(ids.len());
        if clock::now_ms().saturating_sub(last_edit) >= every && done < ids.len() {
            let count = ids.len();
            progress(c.chat_id, started, format!("⏳ Collecting links… {done}/{count} ({} files)", files.len()));
            last_edit = clock::now_ms();
        }
    }
    Ok((files, missed))
}

/// The result in the progress message (the first links, shortened when the user chose a
/// shortener), and every link in a `links.txt` when there are more.
fn answer(c: &Command, started: i32, count: usize, files: &[FileInfo], missed: usize) -> Result<(), PluginError> {
    let warning = if missed > 0 {
        format!("\n⚠️ {missed} files could not be linked (Telegram refused to copy them); try those again later.\n")
    } else {
        String::new()
    };
    if files.is_empty() {
        progress(c.chat_id, started, format!("No files linked in those {count} messages.{warning}"));
        return Ok(());
    }
    let mut text = format!("✅ {} files in {count} messages:\n{warning}", files.len());
    for (i, f) in files.iter().take(LISTED).enumerate() {
        let (watch, _) = shorten_or_plain(c.user_id, &f.links.watch_url);
        text.push_str(&format!("\n{}. {}\n{}\n", i + 1, f.name, watch));
    }
    if files.len() > LISTED {
        text.push_str(&format!("\n…and {} more: every link is in the file below.", files.len() - LISTED));
    }
    progress(c.chat_id, started, text);
    if files.len() > LISTED {
        let mut all = String::new();
        for (i, f) in files.iter().enumerate() {
            all.push_str(&format!(
                "{}. {}\n   watch:    {}\n   stream:   {}\n   download: {}\n\n",
                i + 1,
                f.name,
                f.links.watch_url,
                f.links.stream_url,
                f.links.download_url
            ));
        }
        telegram::send_document(c.chat_id, "links.txt", all.as_bytes(), &format!("All {} links", files.len()))
            .map_err(|e| failed(format!("could not send the list: {e:?}")))?;
    }
    Ok(())
}

beamgram_plugin::register!(Batch);
