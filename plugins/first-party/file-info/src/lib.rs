//! The reply to every received file: name, size, type, duration and resolution, with
//! **Stream** (the watch page), **Download** and **Copy link** buttons. Links go through the
//! user's shortener when they chose one (falling back to the plain links with a note).
//!
//! Config (`[plugins.config.file-info]`): `template` — the text, with `{name}`, `{size}`,
//! `{mime}`, `{kind}`, `{duration}`, `{resolution}`, `{stream}`, `{download}`, `{watch}` and
//! `{caption}` (the caption the user sent the file with; read from Telegram only when the
//! template has it). A line whose placeholders are all empty (no duration for a document) is
//! left out.

use beamgram_plugin::prelude::*;
use beamgram_plugin::{FileInfo, MediaKind, telegram};

mod format;

struct FileInfoReply;

pub const DEFAULT_TEMPLATE: &str =
    "📄 {name}\n💾 {size} · {mime}\n⏱ {duration}\n🖥 {resolution}\n\n▶️ Stream: {watch}\n⬇️ Download: {download}";

fn kind(k: MediaKind) -> &'static str {
    match k {
        MediaKind::Video => "video",
        MediaKind::Audio => "audio",
        MediaKind::Voice => "voice",
        MediaKind::Photo => "photo",
        MediaKind::Animation => "animation",
        MediaKind::Document => "document",
    }
}

/// The caption the file came with: the text of the user's own message, in their own chat.
fn caption(event: &FileReceived) -> String {
    match telegram::get_messages(event.chat_id, &[event.message_id]) {
        Ok(found) => found.into_iter().next().map(|m| m.text).unwrap_or_default(),
        Err(e) => {
            log_warn(&format!("could not read the file's caption: {e:?}"));
            String::new()
        }
    }
}

fn values(f: &FileInfo, stream: &str, download: &str, watch: &str) -> Vec<(&'static str, String)> {
    let resolution = match (f.width, f.height, f.kind) {
        (Some(w), Some(h), MediaKind::Video | MediaKind::Photo | MediaKind::Animation) if w > 0 && h > 0 => {
            format!("{w}×{h}")
        }
        _ => String::new(),
    };
    vec![
        ("name", f.name.clone()),
        ("size", format::bytes(f.size)),
        ("mime", f.mime.clone()),
        ("kind", kind(f.kind).into()),
        ("duration", f.duration_secs.filter(|d| *d > 0.0).map(format::duration).unwrap_or_default()),
        ("resolution", resolution),
        ("stream", stream.into()),
        ("download", download.into()),
        ("watch", watch.into()),
    ]
}

impl Plugin for FileInfoReply {
    fn info() -> PluginInfo {
        PluginInfo::new("file-info", env!("CARGO_PKG_VERSION"))
            .wants(EventKinds::FILE_RECEIVED)
            .permission(Permission::Links, "to shorten links for users who chose a shortener")
            .permission(Permission::Telegram, "to read the file's caption when the template shows {caption}")
    }

    fn on_file(event: FileReceived) -> Outcome {
        let f = &event.file;
        let plain = [f.links.watch_url.clone(), f.links.download_url.clone(), f.links.stream_url.clone()];
        let mut short = Vec::new();
        let mut note = None;
        for url in &plain {
            match shorten_or_plain(event.user_id, url) {
                (s, None) => short.push(s),
                // One failure is enough: the rest stay plain too, so the set is consistent.
                (_, n) => {
                    note = n;
                    break;
                }
            }
        }
        let [watch, download, stream] = if note.is_none() && short.len() == 3 {
            [short[0].clone(), short[1].clone(), short[2].clone()]
        } else {
            plain
        };
        let template = setting("template").map(|t| t.replace("\\n", "\n")).unwrap_or_else(|| DEFAULT_TEMPLATE.into());
        let mut values = values(f, &stream, &download, &watch);
        if template.contains("{caption}") {
            values.push(("caption", caption(&event)));
        }
        let mut text = format::render(&template, &values);
        if let Some(n) = note {
            text.push_str("\n\n");
            text.push_str(&n);
        }
        let keyboard = vec![
            vec![button_url("▶️ Stream", watch), button_url("⬇️ Download", download)],
            vec![button_copy("🔗 Copy link", stream)],
        ];
        Ok(vec![reply_with(text, keyboard)])
    }
}

beamgram_plugin::register!(FileInfoReply);
