//! What the streamer knows about a file: where it lives (location, file reference, DC), its
//! size, type and name. Cached per bin-channel message, with one upstream call however many
//! requests miss at once.

use std::sync::Arc;
use std::time::Duration;

use grammers_client::Client;
use grammers_tl_types as tl;
use moka::future::Cache;
use moka::ops::compute::{CompResult, Op};

use super::StreamError;
use crate::metrics::Metrics;

#[derive(Clone, Debug, PartialEq)]
pub enum Media {
    Video { duration: f64, width: i32, height: i32 },
    Audio { duration: i32, title: Option<String>, performer: Option<String> },
    Voice { duration: i32 },
    Animation,
    Photo { width: i32, height: i32 },
    Document,
}

impl Media {
    /// The kind's name, as `access.protect_content` and plugins' `media-kind` name it.
    pub fn name(&self) -> &'static str {
        match self {
            Media::Video { .. } => "video",
            Media::Audio { .. } => "audio",
            Media::Voice { .. } => "voice",
            Media::Animation => "animation",
            Media::Photo { .. } => "photo",
            Media::Document => "document",
        }
    }
}

#[derive(Clone, Debug)]
pub struct FileProps {
    pub message_id: i32,
    pub location: tl::enums::InputFileLocation,
    pub dc_id: i32,
    pub size: u64,
    pub mime: String,
    pub name: String,
    /// Stable for the file's content (the document id): the ETag and the chunk cache key.
    pub unique_id: i64,
    /// Unix seconds the file was uploaded: Last-Modified.
    pub date: i32,
    pub kind: Media,
    /// The document's best thumbnail (a video's frame, a song's cover), if Telegram made one.
    pub thumb: Option<Thumb>,
}

/// A thumbnail of a document: which size to ask `upload.getFile` for, and its length.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Thumb {
    pub size_type: String,
    pub size: u32,
}

/// Thumbnails are fetched in one `upload.getFile` call of this many bytes; larger ones (which
/// Telegram does not make) are not offered.
pub const MAX_THUMB_BYTES: u32 = 512 * 1024;

/// The largest real thumbnail among a document's sizes (stripped and vector previews are
/// inline stand-ins, not images a browser can show).
fn best_thumb(sizes: &[tl::enums::PhotoSize]) -> Option<Thumb> {
    sizes
        .iter()
        .filter_map(|s| match s {
            tl::enums::PhotoSize::Size(s) => Some((s.w as i64 * s.h as i64, &s.r#type, s.size)),
            tl::enums::PhotoSize::Progressive(s) => {
                Some((s.w as i64 * s.h as i64, &s.r#type, s.sizes.iter().max().copied().unwrap_or(0)))
            }
            _ => None,
        })
        .filter(|(_, _, size)| *size > 0 && (*size as u32) <= MAX_THUMB_BYTES)
        .max_by_key(|(area, _, _)| *area)
        .map(|(_, ty, size)| Thumb { size_type: ty.clone(), size: size as u32 })
}

impl FileProps {
    pub fn file_reference(&self) -> &[u8] {
        match &self.location {
            tl::enums::InputFileLocation::InputDocumentFileLocation(d) => &d.file_reference,
            tl::enums::InputFileLocation::InputPhotoFileLocation(p) => &p.file_reference,
            _ => &[],
        }
    }

    /// Reads a message's file, if it has one.
    pub fn from_message(msg: &tl::enums::Message) -> Option<FileProps> {
        let tl::enums::Message::Message(m) = msg else { return None };
        match m.media.as_ref()? {
            tl::enums::MessageMedia::Document(md) => {
                let Some(tl::enums::Document::Document(d)) = &md.document else { return None };
                Some(document(m.id, d, md.voice))
            }
            tl::enums::MessageMedia::Photo(mp) => {
                let Some(tl::enums::Photo::Photo(p)) = &mp.photo else { return None };
                photo(m.id, p)
            }
            _ => None,
        }
    }
}

fn extension(mime: &str) -> &'static str {
    match mime {
        "video/mp4" => "mp4",
        "video/x-matroska" => "mkv",
        "video/webm" => "webm",
        "audio/mpeg" => "mp3",
        "audio/ogg" => "ogg",
        "audio/mp4" => "m4a",
        "image/jpeg" => "jpg",
        "image/png" => "png",
        "image/gif" => "gif",
        "application/pdf" => "pdf",
        "application/zip" => "zip",
        _ => "bin",
    }
}

fn document(message_id: i32, d: &tl::types::Document, voice: bool) -> FileProps {
    let mut name = None;
    let mut kind = Media::Document;
    for a in &d.attributes {
        match a {
            tl::enums::DocumentAttribute::Filename(f) if !f.file_name.trim().is_empty() => {
                name = Some(f.file_name.clone())
            }
            tl::enums::DocumentAttribute::Video(v) => {
                kind = Media::Video { duration: v.duration, width: v.w, height: v.h }
            }
            tl::enums::DocumentAttribute::Audio(a) if a.voice || voice => kind = Media::Voice { duration: a.duration },
            tl::enums::DocumentAttribute::Audio(a) => {
                kind = Media::Audio { duration: a.duration, title: a.title.clone(), performer: a.performer.clone() }
            }
            tl::enums::DocumentAttribute::Animated if kind == Media::Document => kind = Media::Animation,
            _ => {}
        }
    }
    let mime = if d.mime_type.is_empty() { "application/octet-stream".to_string() } else { d.mime_type.clone() };
    FileProps {
        message_id,
        location: tl::types::InputDocumentFileLocation {
            id: d.id,
            access_hash: d.access_hash,
            file_reference: d.file_reference.clone(),
            thumb_size: String::new(),
        }
        .into(),
        dc_id: d.dc_id,
        size: d.size.max(0) as u64,
        name: name.unwrap_or_else(|| format!("file_{}.{}", message_id, extension(&mime))),
        mime,
        unique_id: d.id,
        date: d.date,
        kind,
        thumb: d.thumbs.as_deref().and_then(best_thumb),
    }
}

fn photo(message_id: i32, p: &tl::types::Photo) -> Option<FileProps> {
    // The largest size is the photo itself; the others are thumbnails.
    let (ty, w, h, size) = p
        .sizes
        .iter()
        .filter_map(|s| match s {
            tl::enums::PhotoSize::Size(s) => Some((s.r#type.clone(), s.w, s.h, s.size as u64)),
            tl::enums::PhotoSize::Progressive(s) => {
                Some((s.r#type.clone(), s.w, s.h, s.sizes.iter().max().copied().unwrap_or(0) as u64))
            }
            _ => None,
        })
        .max_by_key(|s| s.3)?;
    Some(FileProps {
        message_id,
        location: tl::types::InputPhotoFileLocation {
            id: p.id,
            access_hash: p.access_hash,
            file_reference: p.file_reference.clone(),
            thumb_size: ty,
        }
        .into(),
        dc_id: p.dc_id,
        size,
        mime: "image/jpeg".into(),
        name: format!("photo_{message_id}.jpg"),
        unique_id: p.id,
        date: p.date,
        kind: Media::Photo { width: w, height: h },
        // A photo is its own preview.
        thumb: None,
    })
}

/// The properties cache of one bin channel.
pub struct PropsCache {
    client: Client,
    channel: tl::enums::InputChannel,
    cache: Cache<i32, Arc<FileProps>>,
    metrics: Arc<Metrics>,
}

impl PropsCache {
    pub fn new(client: Client, bin_channel_id: i64, ttl: Duration, entries: u64, metrics: Arc<Metrics>) -> Self {
        Self {
            client,
            // Bots may name a channel they administer with access hash 0.
            channel: tl::types::InputChannel { channel_id: bin_channel_id, access_hash: 0 }.into(),
            cache: Cache::builder().max_capacity(entries).time_to_live(ttl).build(),
            metrics,
        }
    }

    pub async fn get(&self, message_id: i32) -> Result<Arc<FileProps>, StreamError> {
        if let Some(p) = self.cache.get(&message_id).await {
            self.metrics.props_hits.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            return Ok(p);
        }
        self.metrics.props_misses.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.cache.try_get_with(message_id, self.fetch(message_id, false)).await.map_err(|e| (*e).clone())
    }

    /// A fresh copy after FILE_REFERENCE_EXPIRED. Refreshes of one message run one at a time
    /// (a key-level lock), so callers holding the same stale reference share one upstream call:
    /// whoever comes second finds a different reference already cached and takes it. (Checking
    /// and invalidating as two steps let a late caller throw away a refresh that had just landed
    /// and fetch again.)
    pub async fn refresh(&self, stale: &FileProps) -> Result<Arc<FileProps>, StreamError> {
        let done = self
            .cache
            .entry(stale.message_id)
            .and_try_compute_with(|current| async move {
                match current {
                    Some(e) if e.value().file_reference() != stale.file_reference() => Ok(Op::Nop),
                    _ => self.fetch(stale.message_id, true).await.map(Op::Put),
                }
            })
            .await?;
        match done {
            CompResult::Inserted(e) | CompResult::ReplacedWith(e) | CompResult::Unchanged(e) => Ok(e.into_value()),
            CompResult::StillNone(_) | CompResult::Removed(_) => Err(StreamError::NotFound),
        }
    }

    async fn fetch(&self, message_id: i32, refresh: bool) -> Result<Arc<FileProps>, StreamError> {
        if refresh {
            self.metrics.reference_refreshes.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        let req = tl::functions::channels::GetMessages {
            channel: self.channel.clone(),
            id: vec![tl::types::InputMessageId { id: message_id }.into()],
        };
        let res = self.client.invoke(&req).await.map_err(StreamError::upstream)?;
        let messages = match res {
            tl::enums::messages::Messages::Messages(m) => m.messages,
            tl::enums::messages::Messages::Slice(m) => m.messages,
            tl::enums::messages::Messages::ChannelMessages(m) => m.messages,
            tl::enums::messages::Messages::NotModified(_) => Vec::new(),
        };
        messages.iter().find_map(FileProps::from_message).map(Arc::new).ok_or(StreamError::NotFound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn size(ty: &str, w: i32, h: i32, size: i32) -> tl::enums::PhotoSize {
        tl::types::PhotoSize { r#type: ty.into(), w, h, size }.into()
    }

    #[test]
    fn the_largest_real_thumbnail_is_chosen() {
        let sizes = vec![
            tl::types::PhotoStrippedSize { r#type: "i".into(), bytes: vec![1, 2, 3] }.into(),
            size("s", 90, 50, 2_000),
            size("m", 320, 180, 14_000),
            tl::types::PhotoPathSize { r#type: "j".into(), bytes: vec![4, 5] }.into(),
        ];
        assert_eq!(best_thumb(&sizes), Some(Thumb { size_type: "m".into(), size: 14_000 }));
        let progressive =
            tl::types::PhotoSizeProgressive { r#type: "x".into(), w: 800, h: 450, sizes: vec![9, 900, 40_000] };
        let with = [sizes.clone(), vec![progressive.into()]].concat();
        assert_eq!(best_thumb(&with), Some(Thumb { size_type: "x".into(), size: 40_000 }));
    }

    #[test]
    fn no_thumbnail_without_a_usable_size() {
        assert_eq!(best_thumb(&[]), None);
        let inline_only = [tl::types::PhotoStrippedSize { r#type: "i".into(), bytes: vec![1] }.into()];
        assert_eq!(best_thumb(&inline_only), None);
        // Empty, or more than one call can fetch: not offered rather than served cut.
        assert_eq!(best_thumb(&[size("m", 320, 180, 0)]), None);
        assert_eq!(best_thumb(&[size("y", 4000, 3000, MAX_THUMB_BYTES as i32 + 1)]), None);
    }
}
