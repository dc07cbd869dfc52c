//! `links`: a message's file with signed stream/download/watch links. Files of other channels
//! are copied to the bin channel first, so their links do not depend on that channel.

use crate::plugins::bindings::beamgram::plugin::links::Host;
use crate::plugins::bindings::types::{FileInfo, FileLinks, HostError, MediaKind, Permission};
use crate::plugins::host::kv::host_error;
use crate::plugins::host::telegram::{failed, peer};
use crate::plugins::shortener::{self, KEY_SETTING, SITE_SETTING};
use crate::plugins::state::PluginState;
use crate::stream::StreamError;
use crate::stream::props::{self, FileProps};

pub fn file_info(p: &FileProps, links: crate::links::FileLinks) -> FileInfo {
    let (kind, duration, width, height) = match &p.kind {
        props::MediaKind::Video { duration, width, height } => {
            (MediaKind::Video, Some(*duration), Some(*width as u32), Some(*height as u32))
        }
        props::MediaKind::Audio { duration, .. } => (MediaKind::Audio, Some(*duration as f64), None, None),
        props::MediaKind::Voice { duration } => (MediaKind::Voice, Some(*duration as f64), None, None),
        props::MediaKind::Animation => (MediaKind::Animation, None, None, None),
        props::MediaKind::Photo { width, height } => {
            (MediaKind::Photo, None, Some(*width as u32), Some(*height as u32))
        }
        props::MediaKind::Document => (MediaKind::Document, None, None, None),
    };
    FileInfo {
        name: p.name.clone(),
        mime: p.mime.clone(),
        size: p.size,
        kind,
        duration_secs: duration,
        width,
        height,
        bin_message_id: p.message_id,
        links: FileLinks { stream_url: links.stream, download_url: links.download, watch_url: links.watch },
    }
}

impl Host for PluginState {
    async fn file_of(
        &mut self,
        chat_id: i64,
        message_id: i32,
    ) -> wasmtime::Result<Result<Option<FileInfo>, HostError>> {
        let call = match self.bot_call(Permission::Links) {
            Ok(c) => c,
            Err(e) => return Ok(Err(e)),
        };
        let result = async {
            let bot = call.bot()?;
            let (Some(streamer), Some(signer)) = (&bot.streamer, &bot.signer) else {
                return Err(HostError::Failed("links are not served by this process".into()));
            };
            let bin_id = if chat_id == 0 || chat_id == bot.bin_channel {
                message_id
            } else {
                let copied = bot
                    .client
                    .forward_messages(peer(bot, 0)?, &[message_id], peer(bot, chat_id)?)
                    .await
                    .map_err(failed)?;
                match copied.into_iter().flatten().next() {
                    Some(m) => m.id(),
                    None => return Err(HostError::NotFound),
                }
            };
            match streamer.props(bin_id).await {
                Ok(p) => Ok(Some(file_info(
                    &p,
                    signer.links(crate::links::LinkTarget { message_id: bin_id, expires: 0 }, &p.name),
                ))),
                Err(StreamError::NotFound) => Ok(None),
                Err(e) => Err(HostError::Failed(e.to_string())),
            }
        };
        Ok(result.await)
    }

    async fn shorten(&mut self, user_id: i64, url: String) -> wasmtime::Result<Result<String, HostError>> {
        if let Err(e) = self.check(Permission::Links) {
            return Ok(Err(e));
        }
        let services = self.services.clone();
        let setting = |k| services.store.user_setting(user_id, k);
        let (site, key) = match (setting(SITE_SETTING).await, setting(KEY_SETTING).await) {
            (Ok(Some(site)), Ok(Some(key))) => (site, key),
            (Ok(_), Ok(_)) => return Ok(Ok(url)),
            (Err(e), _) | (_, Err(e)) => return Ok(Err(host_error(e))),
        };
        let short = shortener::shorten(&services.outbound, &services.shortener, &site, &key, &url).await;
        Ok(short.map_err(|e| {
            tracing::info!(plugin = %self.plugin, user_id, %site, "shortening failed: {e}");
            HostError::Failed(e.to_string())
        }))
    }

    async fn shortener_sites(&mut self) -> wasmtime::Result<Vec<String>> {
        Ok(self.services.shortener.sites.clone())
    }

    async fn deep_link(&mut self, payload: String) -> wasmtime::Result<String> {
        let username = self.services.bot.as_ref().map(|b| b.username.as_str()).unwrap_or_default();
        // Telegram takes `A-Z a-z 0-9 _ -` in a start payload; anything else is escaped (and
        // then will not survive the trip, which the plugin learns from testing its link).
        const KEEP: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'_');
        let payload = percent_encoding::utf8_percent_encode(&payload, KEEP);
        Ok(format!("https://t.me/{username}?start={payload}"))
    }
}
