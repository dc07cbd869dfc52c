//! SubRip (and WebVTT) in, WebVTT out: every cue re-written from what was understood, so what a
//! browser gets is well-formed whatever came in — timings as `HH:MM:SS.mmm`, cue text with only
//! `<i>`, `<b>` and `<u>` kept, other markup (`<font color=…>`, `{\an8}`) dropped and stray
//! `<`, `>`, `&` escaped, so no line of a cue can end it or start another.

use super::charset;

/// Cues one file may hold (a feature film has ~1,500).
const MAX_CUES: usize = 20_000;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConvertError {
    #[error("it has no subtitle in it (no line with a time range like 00:00:01,000 --> 00:00:02,000)")]
    NoCues,
}

/// The WebVTT of a subtitle file in SRT or WebVTT, in any of the encodings [`charset`] reads.
pub fn to_webvtt(bytes: &[u8]) -> Result<String, ConvertError> {
    let text = charset::decode(bytes).replace("\r\n", "\n").replace('\r', "\n");
    let mut out = String::from("WEBVTT\n");
    let mut cues = 0;
    for block in text.split("\n\n") {
        let mut lines = block.lines().skip_while(|l| !l.contains("-->"));
        let Some(timing) = lines.next() else { continue };
        let Some((start, end)) = timing.split_once("-->") else { continue };
        let start = time_ms(start.trim());
        // WebVTT puts cue settings after the end time; they are not kept.
        let end = time_ms(end.split_whitespace().next().unwrap_or(""));
        let (Some(start), Some(end)) = (start, end) else { continue };
        if end < start {
            continue;
        }
        let body: Vec<String> = lines.map(cue_text).filter(|l| !l.trim().is_empty()).collect();
        if body.is_empty() {
            continue;
        }
        out.push_str(&format!("\n{} --> {}\n{}\n", stamp(start), stamp(end), body.join("\n")));
        cues += 1;
        if cues == MAX_CUES {
            break;
        }
    }
    if cues == 0 {
        return Err(ConvertError::NoCues);
    }
    Ok(out)
}

/// `[HH:]MM:SS[,.]m[m[m]]` → milliseconds.
fn time_ms(s: &str) -> Option<u64> {
    let (clock, frac) = s.split_once([',', '.']).unwrap_or((s, "0"));
    if frac.is_empty() || frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // "5" is 500 ms, "05" is 50 ms.
    let ms: u64 = format!("{frac:0<3}").parse().ok()?;
    let parts: Vec<u64> = clock.split(':').map(|p| p.trim().parse().ok()).collect::<Option<_>>()?;
    let (h, m, sec) = match parts[..] {
        [h, m, s] => (h, m, s),
        [m, s] => (0, m, s),
        _ => return None,
    };
    if m >= 60 || sec >= 60 || h > 999 {
        return None;
    }
    Some(((h * 60 + m) * 60 + sec) * 1000 + ms)
}

fn stamp(ms: u64) -> String {
    format!("{:02}:{:02}:{:02}.{:03}", ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000)
}

/// One line of cue text with only the markup WebVTT and SRT share.
fn cue_text(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(c) = rest.chars().next() {
        match c {
            '<' => match rest.find('>') {
                Some(close) => {
                    let tag = rest[1..close].trim().to_ascii_lowercase();
                    if matches!(tag.as_str(), "i" | "/i" | "b" | "/b" | "u" | "/u") {
                        out.push_str(&format!("<{tag}>"));
                    } else if !tag.starts_with(|c: char| c.is_ascii_alphabetic() || c == '/') {
                        // Not a tag ("<3", "< >"): the text itself.
                        out.push_str(&escape(&rest[..=close]));
                    }
                    rest = &rest[close + 1..];
                    continue;
                }
                None => out.push_str("&lt;"),
            },
            // ASS override codes SRT files carry ({\an8}, {\i1}).
            '{' if rest[1..].starts_with('\\') => {
                rest = rest.find('}').map_or("", |close| &rest[close + 1..]);
                continue;
            }
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            c => out.push(c),
        }
        rest = &rest[c.len_utf8()..];
    }
    out
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    const SRT: &str = "1\r\n00:00:01,000 --> 00:00:04,500\r\nHello, <i>world</i>!\r\n\r\n2\r\n00:00:05,25 --> 00:00:06,000\r\n<font color=\"#ff0000\">Red</font> & {\\an8}top\r\n- Two lines\r\n\r\n";

    #[test]
    fn srt_becomes_webvtt() {
        assert_eq!(
            to_webvtt(SRT.as_bytes()),
            Ok("WEBVTT\n\n00:00:01.000 --> 00:00:04.500\nHello, <i>world</i>!\n\n00:00:05.250 --> 00:00:06.000\nRed &amp; top\n- Two lines\n".into())
        );
    }

    #[test]
    fn webvtt_is_rewritten_too() {
        let vtt = "WEBVTT - a title\n\nNOTE a comment\n\nintro\n01:02.5 --> 01:04.000 line:0 align:start\n<b>Bold</b> <c.yellow>class</c>\n";
        assert_eq!(
            to_webvtt(vtt.as_bytes()),
            Ok("WEBVTT\n\n00:01:02.500 --> 00:01:04.000\n<b>Bold</b> class\n".into())
        );
    }

    #[test]
    fn windows_1252_srt() {
        // "Ça coûte €" in Windows-1252.
        let mut bytes = b"1\n00:00:01,000 --> 00:00:02,000\n".to_vec();
        bytes.extend_from_slice(&[0xC7, b'a', b' ', b'c', b'o', 0xFB, b't', b'e', b' ', 0x80, b'\n']);
        assert_eq!(to_webvtt(&bytes), Ok("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nÇa coûte €\n".into()));
    }

    #[test]
    fn nothing_in_a_cue_can_end_it_or_start_another() {
        let evil = "1\n00:00:01,000 --> 00:00:02,000\nx --> y <script>alert(1)</script> <3 & a>b\n\n";
        let out = to_webvtt(evil.as_bytes()).expect("converts");
        assert_eq!(out, "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nx --&gt; y alert(1) &lt;3 &amp; a&gt;b\n");
        assert_eq!(out.matches("-->").count(), 1, "one cue, one timing line");
    }

    #[test]
    fn broken_cues_are_skipped_and_nothing_usable_is_an_error() {
        let srt = "1\n00:00:05,000 --> 00:00:01,000\nbackwards\n\n2\n00:61:00,000 --> 00:62:00,000\nbad minutes\n\n3\n00:00:01,000 --> 00:00:02,000\n\n";
        assert_eq!(to_webvtt(srt.as_bytes()), Err(ConvertError::NoCues));
        assert_eq!(to_webvtt(b"\x00\x01\x02 not subtitles"), Err(ConvertError::NoCues));
        assert_eq!(to_webvtt(b""), Err(ConvertError::NoCues));
    }

    #[test]
    fn times() {
        assert_eq!(time_ms("01:02:03,004"), Some(3_723_004));
        assert_eq!(time_ms("02:03.5"), Some(123_500));
        assert_eq!(time_ms("00:00:01"), Some(1000));
        for bad in ["", "1:2:3:4,0", "00:00:01,0000", "aa:00:01,000", "00:00:01,", "00:60:00,000"] {
            assert_eq!(time_ms(bad), None, "{bad}");
        }
    }
}
