//! Answers every received file with its details and links, as a file-info plugin would.
use beamgram_plugin::prelude::*;
use beamgram_plugin::{FileReceived, MediaKind};

struct FileInfoPlugin;

impl Plugin for FileInfoPlugin {
    fn info() -> PluginInfo {
        PluginInfo::new("fileinfo", "0.1.0").wants(EventKinds::FILE_RECEIVED)
    }

    fn on_file(f: FileReceived) -> Outcome {
        let file = f.file;
        let kind = match file.kind {
            MediaKind::Video => "video",
            MediaKind::Audio => "audio",
            MediaKind::Voice => "voice",
            MediaKind::Photo => "photo",
            MediaKind::Animation => "animation",
            MediaKind::Document => "document",
        };
        let size = match (file.width, file.height) {
            (Some(w), Some(h)) => format!(" {w}x{h}"),
            _ => String::new(),
        };
        let keyboard = vec![vec![
            button_url("Watch", file.links.watch_url.clone()),
            button_url("Download", file.links.download_url.clone()),
        ]];
        Ok(vec![reply_with(
            format!("{} · {} bytes · {}{}\nstream: {}", file.name, file.size, kind, size, file.links.stream_url),
            keyboard,
        )])
    }
}

beamgram_plugin::register!(FileInfoPlugin);
