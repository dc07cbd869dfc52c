//! `links`: a message's file with signed stream/download/watch links. Files of other channels
//! are copied to the bin channel first, so their links do not depend on that channel.

use crate::plugins::bindings::beamgram::plugin::links::Host;
use crate::plugins::bindings::types::{FileInfo, FileLinks, HostError, MediaKind, Permission};
use crate::plugins::host::kv::host_error;
use crate::plugins::host::telegram::ImportCall;
use crate::plugins::shortener::{self, KEY_SETTING, SHORTENER_PLUGIN, SITE_SETTING};
use crate::plugins::state::PluginState;
use crate::stream::StreamError;
use crate::stream::props::{self, FileProps};

pub fn file_info(p: &FileProps, links: crate::links::LinkSet) -> FileInfo {
    let (kind, duration, width, height) = match &p.kind {
        props::Media::Video { duration, width, height } => {
            (MediaKind::Video, Some(*duration), Some(*width as u32), Some(*height as u32))
        }
        props::Media::Audio { duration, .. } => (MediaKind::Audio, Some(*duration as f64), None, None),
        props::Media::Voice { duration } => (MediaKind::Voice, Some(*duration as f64), None, None),
        props::Media::Animation => (MediaKind::Animation, None, None, None),
        props::Media::Photo { width, height } => (MediaKind::Photo, None, Some(*width as u32), Some(*height as u32)),
        props::Media::Document => (MediaKind::Document, None, None, None),
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

/// Whether links for users need a verification first: the `verify` plugin is loaded and
/// enabled. Links a plugin makes for a user honour it like the host's own file replies.
fn verification_required(services: &crate::plugins::services::ImportServices) -> bool {
    let enabled = services.config.get("verify").and_then(|c| c.get("enabled")).is_some_and(|v| v == "true");
    enabled && services.registry.get("verify").is_some()
}

impl ImportCall {
    async fn file_of(&self, chat_id: i64, message_id: i32) -> Result<Option<FileInfo>, HostError> {
        let bot = self.bot()?;
        let (Some(streamer), Some(signer)) = (&bot.streamer, &bot.signer) else {
            return Err(HostError::Failed("links are not served by this process".into()));
        };
        self.may_read(chat_id).await?;
        if let Some(user) = self.scope.user
            && !self.scope.admin
            && verification_required(&self.services)
        {
            let until = self.services.store.user(user).await.map_err(host_error)?.and_then(|u| u.verified_until_ms);
            if until.is_none_or(|t| t <= crate::storage::now_ms()) {
                tracing::info!(plugin = %self.plugin, user, "links refused: the user is not verified");
                return Err(HostError::Denied(Permission::Links));
            }
        }
        let bin = bot.outbox.bin_channel();
        let bin_id = if chat_id == bin {
            message_id
        } else {
            // The host's own copy into the bin channel (paced like every send), so the link
            // does not depend on the other chat.
            match bot.outbox.copy_to_bin(chat_id, message_id).await {
                Ok(id) => id,
                Err(crate::telegram::outbox::OutboxError::NotFound) => return Ok(None),
                Err(e) => return Err(super::telegram::outbox_error(e)),
            }
        };
        match streamer.props(bin_id).await {
            Ok(p) => {
                if chat_id != bin {
                    let record = crate::storage::FileRecord {
                        bin_channel: bin,
                        bin_message_id: bin_id,
                        sender_id: self.scope.user.unwrap_or(0),
                        chat_id,
                        message_id,
                        name: &p.name,
                        mime: &p.mime,
                        size: p.size,
                    };
                    if let Err(e) = self.services.store.record_file(&record).await {
                        tracing::warn!("could not record a linked file: {e}");
                    }
                }
                let target = signer.target(bin_id, bot.link_ttl_secs);
                Ok(Some(file_info(&p, signer.links(target, &p.name))))
            }
            Err(StreamError::NotFound) => Ok(None),
            Err(e) => Err(HostError::Failed(e.to_string())),
        }
    }
}

impl Host for PluginState {
    async fn file_of(
        &mut self,
        chat_id: i64,
        message_id: i32,
    ) -> wasmtime::Result<Result<Option<FileInfo>, HostError>> {
        let call = match self.import_call(Permission::Links) {
            Ok(c) => c,
            Err(e) => return Ok(Err(e)),
        };
        Ok(call.file_of(chat_id, message_id).await)
    }

    /// Shortens with the event's user's own shortener (their key is theirs to spend), or, when
    /// they chose none, the bot's (a clone owner's, for their clone's users).
    async fn shorten(&mut self, user_id: i64, url: String) -> wasmtime::Result<Result<String, HostError>> {
        if let Err(e) = self.check(Permission::Links).and_then(|_| self.may_touch_user(user_id)) {
            return Ok(Err(e));
        }
        let services = self.services.clone();
        let setting = |k| services.store.user_setting(SHORTENER_PLUGIN, user_id, k);
        let (site, key) = match (setting(SITE_SETTING).await, setting(KEY_SETTING).await) {
            (Ok(Some(site)), Ok(Some(key))) => (site, key),
            (Ok(_), Ok(_)) => match &services.shortener.default {
                Some((site, key)) => (site.clone(), key.clone()),
                None => return Ok(Ok(url)),
            },
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
