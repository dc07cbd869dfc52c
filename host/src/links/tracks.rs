//! The subtitle tracks of a link's video, as the watch page and `/subs` read them: one bot's
//! view of the store, bound to its bin channel.

use crate::storage::{Store, StoreError, SubtitleTrack};

#[derive(Clone)]
pub struct SubtitleTracks {
    store: Store,
    bin_channel: i64,
}

impl SubtitleTracks {
    pub fn new(store: Store, bin_channel: i64) -> SubtitleTracks {
        SubtitleTracks { store, bin_channel }
    }

    /// The tracks attached to the video at this bin-channel message, in order.
    pub async fn of(&self, video_message: i32) -> Result<Vec<SubtitleTrack>, StoreError> {
        self.store.subtitles_of(self.bin_channel, video_message).await
    }
}
