//! What a file's sender added to it: subtitle tracks (both kept as bin-channel messages) and
//! other names (`/rename`); and finding the file a user's reply points at.

use super::db::args;
use super::{Store, StoreError, now_ms};

/// One attached track.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubtitleTrack {
    /// The subtitle file's bin-channel message.
    pub message: i32,
    pub label: String,
    /// A BCP 47 language tag, when the file name said.
    pub lang: Option<String>,
}

/// A file a user sent, found by where they sent it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SentFile {
    pub bin_message_id: i32,
    pub sender_id: i64,
    pub name: String,
    pub mime: String,
}

impl Store {
    /// The file recorded for the message `message_id` of chat `chat_id`, if the bot copied one.
    pub async fn file_sent_at(
        &self,
        bin_channel: i64,
        chat_id: i64,
        message_id: i32,
    ) -> Result<Option<SentFile>, StoreError> {
        let sql = "SELECT bin_message_id, sender_id, name, mime FROM files
                   WHERE bot = ? AND bin_channel = ? AND chat_id = ? AND message_id = ?";
        let row = self.pool.fetch_optional(sql, args![self.bot, bin_channel, chat_id, message_id]).await?;
        let Some(r) = row else { return Ok(None) };
        Ok(Some(SentFile {
            bin_message_id: r.int("bin_message_id")? as i32,
            sender_id: r.int("sender_id")?,
            name: r.text("name")?,
            mime: r.text("mime")?,
        }))
    }

    /// Attaches a track to a video (again: nothing changes).
    pub async fn attach_subtitle(
        &self,
        bin_channel: i64,
        video_message: i32,
        track: &SubtitleTrack,
    ) -> Result<(), StoreError> {
        self.pool
            .execute(
                "INSERT INTO subtitles (bot, bin_channel, video_message, subtitle_message, label, lang, added_ms)
                 VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (bin_channel, video_message, subtitle_message) DO NOTHING",
                args![
                    self.bot,
                    bin_channel,
                    video_message,
                    track.message,
                    track.label.as_str(),
                    track.lang.as_deref(),
                    now_ms()
                ],
            )
            .await?;
        Ok(())
    }

    /// A video's tracks, in the order they were attached.
    pub async fn subtitles_of(&self, bin_channel: i64, video_message: i32) -> Result<Vec<SubtitleTrack>, StoreError> {
        let sql = "SELECT subtitle_message, label, lang FROM subtitles
                   WHERE bot = ? AND bin_channel = ? AND video_message = ? ORDER BY added_ms, subtitle_message";
        let rows = self.pool.fetch_all(sql, args![self.bot, bin_channel, video_message]).await?;
        rows.iter()
            .map(|r| {
                Ok(SubtitleTrack {
                    message: r.int("subtitle_message")? as i32,
                    label: r.text("label")?,
                    lang: r.opt_text("lang")?,
                })
            })
            .collect()
    }
}

impl Store {
    /// Records another name for a file; its id (random, unique for that file), which the
    /// renamed link carries.
    pub async fn add_link_name(&self, bin_channel: i64, bin_message: i32, name: &str) -> Result<u32, StoreError> {
        for _ in 0..8 {
            let id: u32 = rand::random::<u32>() >> 1;
            let added = self
                .pool
                .execute(
                    "INSERT INTO link_names (bot, bin_channel, bin_message, id, name, created_ms) VALUES (?, ?, ?, ?, ?, ?)
                     ON CONFLICT (bin_channel, bin_message, id) DO NOTHING",
                    args![self.bot, bin_channel, bin_message, i64::from(id), name, now_ms()],
                )
                .await?;
            if added == 1 {
                return Ok(id);
            }
        }
        Err(StoreError::Limit("no free name id for this file".into()))
    }

    /// The name `id` of a file, if it was given.
    pub async fn link_name(&self, bin_channel: i64, bin_message: i32, id: u32) -> Result<Option<String>, StoreError> {
        let sql = "SELECT name FROM link_names WHERE bot = ? AND bin_channel = ? AND bin_message = ? AND id = ?";
        let row = self.pool.fetch_optional(sql, args![self.bot, bin_channel, bin_message, i64::from(id)]).await?;
        Ok(row.map(|r| r.text("name")).transpose()?)
    }
}
