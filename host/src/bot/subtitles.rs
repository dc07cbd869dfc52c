//! A `.srt` or `.vtt` that a user sends as a reply to a video *they* sent becomes one of that
//! video's subtitle tracks: the watch page offers it, named from the file name
//! (`Film.en.srt` → "English"). The file is checked before it is attached (a file with no
//! subtitle in it is refused with the reason), and the user is told either way. Any other reply
//! (to someone else's file, to a message that is not a video) is an ordinary file.

use grammers_client::update::Message;

use super::UpdateContext;
use crate::storage::SubtitleTrack;
use crate::subtitles::{self, MAX_BYTES, MAX_TRACKS};
use crate::telegram::outbox::Draft;

/// Attaches the file just copied to the bin channel (`copy`, named `name`) when it is a
/// subtitle file replying to the sender's own video; false when it is not one (it goes on as an
/// ordinary file).
pub async fn attach(ctx: &UpdateContext, m: &Message, name: &str, copy: i32) -> bool {
    if !subtitles::is_subtitle_name(name) {
        return false;
    }
    let Some(replied) = m.reply_to_message_id() else { return false };
    let chat = m.peer_id().bot_api_dialog_id_unchecked();
    let sender = m.sender_id().and_then(|s| s.bare_id()).unwrap_or_default();
    let bin = ctx.config.telegram.bin_channel;
    let say = |text: String| ctx.say(chat, Draft::text(text).reply_to(m.id()));
    let video = match ctx.store.file_sent_at(bin, chat, replied).await {
        Ok(Some(v)) if v.sender_id == sender && v.mime.starts_with("video/") => v,
        Ok(_) => return false,
        Err(e) => {
            tracing::error!("could not look up the replied-to file: {e}");
            say("Sorry, I could not attach those subtitles right now. Please try again later.".into()).await;
            return true;
        }
    };
    if let Some(why) = unreadable(ctx, copy).await {
        say(format!("I could not attach {name} to {}: {why}", video.name)).await;
        return true;
    }
    let attached = match ctx.store.subtitles_of(bin, video.bin_message_id).await {
        Ok(t) => t,
        Err(e) => {
            tracing::error!("could not read the subtitle tracks: {e}");
            say("Sorry, I could not attach those subtitles right now. Please try again later.".into()).await;
            return true;
        }
    };
    if attached.len() >= MAX_TRACKS {
        say(format!("{} already has {MAX_TRACKS} subtitle tracks; I cannot add more.", video.name)).await;
        return true;
    }
    let (lang, label) = subtitles::track_of(name);
    // Two tracks with one label could not be told apart in the player's menu.
    let label = match attached.iter().filter(|t| t.label == label).count() {
        0 => label,
        n => format!("{label} ({})", n + 1),
    };
    let track = SubtitleTrack { message: copy, label: label.clone(), lang: lang.map(str::to_string) };
    if let Err(e) = ctx.store.attach_subtitle(bin, video.bin_message_id, &track).await {
        tracing::error!("could not attach subtitles: {e}");
        say("Sorry, I could not attach those subtitles right now. Please try again later.".into()).await;
        return true;
    }
    let watch = ctx.signer.links(ctx.signer.target(video.bin_message_id, ctx.config.links.ttl_secs), &video.name).watch;
    tracing::info!(video = video.bin_message_id, track = copy, "subtitles attached");
    say(format!("💬 Subtitles \"{label}\" attached to {}. Pick them in the player: {watch}", video.name)).await;
    true
}

/// Why the file cannot be a subtitle track, if it cannot: too large, or no cue in it.
async fn unreadable(ctx: &UpdateContext, copy: i32) -> Option<String> {
    let streamer = ctx.streamer()?;
    let props = match streamer.props(copy).await {
        Ok(p) => p,
        Err(e) => return Some(format!("it cannot be read back ({e})")),
    };
    match streamer.whole(props, MAX_BYTES).await {
        Ok(Some(bytes)) => subtitles::to_webvtt(&bytes).err().map(|e| e.to_string()),
        Ok(None) => Some(format!("it is larger than {} MiB", MAX_BYTES / 1024 / 1024)),
        Err(e) => Some(format!("it cannot be read back ({e})")),
    }
}
