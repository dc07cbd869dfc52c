//! What the host learns of a received file from its message (name, size, type), and the
//! record of its bin-channel copy — for files sent to the bot and channel posts alike.

use grammers_client::media::Media;

use super::UpdateContext;
use crate::storage::FileRecord;

/// What the host learns of a received file from its message.
pub struct Received {
    pub name: String,
    pub size: u64,
    pub mime: String,
}

impl Received {
    /// Records the file's bin-channel copy `copy`: who sent it (`sender`), from which message
    /// of which chat (`from`). A failure is logged; the links work without the record.
    pub async fn record(&self, ctx: &UpdateContext, copy: i32, sender: i64, from: (i64, i32)) {
        let record = FileRecord {
            bin_channel: ctx.config.telegram.bin_channel,
            bin_message_id: copy,
            sender_id: sender,
            chat_id: from.0,
            message_id: from.1,
            name: &self.name,
            mime: &self.mime,
            size: self.size,
        };
        if let Err(e) = ctx.store.record_file(&record).await {
            tracing::error!(bin_message = copy, "could not record the file: {e}");
        }
    }

    pub fn of(media: &Media) -> Option<Received> {
        match media {
            Media::Document(d) => Some(Received {
                name: d.name().filter(|n| !n.is_empty()).unwrap_or("file").to_string(),
                size: d.size().unwrap_or(0) as u64,
                mime: d.mime_type().unwrap_or("application/octet-stream").to_string(),
            }),
            Media::Photo(p) => Some(Received {
                name: format!("photo_{}.jpg", p.id()),
                size: p.size().unwrap_or(0) as u64,
                mime: "image/jpeg".into(),
            }),
            _ => None,
        }
    }
}
