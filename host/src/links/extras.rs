//! What a file's sender added to it, as its links read it: a video's subtitle tracks (the watch
//! page, `/subs`) and the other names it was given (`/rename`; a renamed link names one). One
//! bot's view of the store, bound to its bin channel; names never change, so they are cached.

use std::time::Duration;

use moka::future::Cache;

use crate::storage::{Store, StoreError, SubtitleTrack};

#[derive(Clone)]
pub struct FileExtras {
    store: Store,
    bin_channel: i64,
    names: Cache<(i32, u32), String>,
}

impl FileExtras {
    pub fn new(store: Store, bin_channel: i64) -> FileExtras {
        let names = Cache::builder().max_capacity(10_000).time_to_live(Duration::from_secs(3600)).build();
        FileExtras { store, bin_channel, names }
    }

    /// The tracks attached to the video at this bin-channel message, in order.
    pub async fn tracks(&self, video_message: i32) -> Result<Vec<SubtitleTrack>, StoreError> {
        self.store.subtitles_of(self.bin_channel, video_message).await
    }

    /// The name `id` given to the file at this bin-channel message.
    pub async fn name(&self, message: i32, id: u32) -> Result<Option<String>, StoreError> {
        if let Some(n) = self.names.get(&(message, id)).await {
            return Ok(Some(n));
        }
        let found = self.store.link_name(self.bin_channel, message, id).await?;
        if let Some(n) = &found {
            self.names.insert((message, id), n.clone()).await;
        }
        Ok(found)
    }
}
