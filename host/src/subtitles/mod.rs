//! Subtitles attached to a video: a `.srt` or `.vtt` its sender sent as a reply to it. Browsers
//! take only WebVTT in UTF-8, and subtitle files in the wild are SRT in UTF-8 or Windows-1252
//! (with or without a byte-order mark, CRLF or LF); this module turns any of them into WebVTT,
//! and names a track from its file name (`Movie.en.srt` → "English").
//!
//! Pure functions: the bot decides what is attached, the HTTP side serves the converted text.

mod charset;
mod webvtt;

pub use webvtt::{ConvertError, to_webvtt};

/// Subtitle files larger than this are not attached (a feature film's SRT is ~100 KiB).
pub const MAX_BYTES: u64 = 2 * 1024 * 1024;
/// Tracks one video can have.
pub const MAX_TRACKS: usize = 12;

/// Whether a file of this name is a subtitle file the watch page can offer.
pub fn is_subtitle_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.ends_with(".srt") || lower.ends_with(".vtt")
}

/// A track's language (a BCP 47 tag the `<track srclang>` takes) and label, from its file name:
/// the last dot-separated part before the extension when it names a language
/// (`Film.2019.en.srt`, `Film.English.srt`, `film_pt-BR.vtt` is not one), else the name itself.
pub fn track_of(name: &str) -> (Option<&'static str>, String) {
    let stem = name.rsplit_once('.').map_or(name, |(s, _)| s);
    let last = stem.rsplit_once('.').map(|(_, l)| l).unwrap_or("");
    let lower = last.to_ascii_lowercase();
    match LANGUAGES
        .iter()
        .find(|(code, long, native)| lower == *code || lower == *long || lower == native.to_lowercase())
    {
        Some((code, _, native)) => (Some(code), (*native).to_string()),
        None => (None, stem.chars().take(40).collect()),
    }
}

/// (ISO 639-1 code, English name in lower case, the language's own name).
const LANGUAGES: &[(&str, &str, &str)] = &[
    ("en", "english", "English"),
    ("es", "spanish", "Español"),
    ("fr", "french", "Français"),
    ("de", "german", "Deutsch"),
    ("it", "italian", "Italiano"),
    ("pt", "portuguese", "Português"),
    ("ru", "russian", "Русский"),
    ("uk", "ukrainian", "Українська"),
    ("ar", "arabic", "العربية"),
    ("fa", "persian", "فارسی"),
    ("hi", "hindi", "हिन्दी"),
    ("bn", "bengali", "বাংলা"),
    ("ta", "tamil", "தமிழ்"),
    ("te", "telugu", "తెలుగు"),
    ("ml", "malayalam", "മലയാളം"),
    ("id", "indonesian", "Bahasa Indonesia"),
    ("ms", "malay", "Bahasa Melayu"),
    ("tr", "turkish", "Türkçe"),
    ("zh", "chinese", "中文"),
    ("ja", "japanese", "日本語"),
    ("ko", "korean", "한국어"),
    ("vi", "vietnamese", "Tiếng Việt"),
    ("th", "thai", "ไทย"),
    ("pl", "polish", "Polski"),
    ("nl", "dutch", "Nederlands"),
    ("sv", "swedish", "Svenska"),
    ("el", "greek", "Ελληνικά"),
    ("he", "hebrew", "עברית"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subtitle_names() {
        for n in ["a.srt", "B.SRT", "x.en.vtt"] {
            assert!(is_subtitle_name(n), "{n}");
        }
        for n in ["a.srt.exe", "srt", "a.ass", "movie.mkv"] {
            assert!(!is_subtitle_name(n), "{n}");
        }
    }

    #[test]
    fn tracks_are_named_from_the_file_name() {
        assert_eq!(track_of("Film.2019.en.srt"), (Some("en"), "English".to_string()));
        assert_eq!(track_of("Film.French.srt"), (Some("fr"), "Français".to_string()));
        assert_eq!(track_of("film.ESPAÑOL.vtt").0, None, "only the forms in the table");
        assert_eq!(track_of("film.Español.vtt"), (Some("es"), "Español".to_string()));
        assert_eq!(track_of("commentary.srt"), (None, "commentary".to_string()));
        assert_eq!(track_of("Film.2019.srt"), (None, "Film.2019".to_string()));
        assert_eq!(track_of(&format!("{}.srt", "x".repeat(100))).1.len(), 40, "labels stay short");
    }
}
