//! The watch page in headless Chromium, driven through chromedriver's WebDriver API (with curl):
//! on a computer, and at a phone's size with an Android phone's user agent. The video loads its
//! metadata from beamgram; on the phone it fills the width, every button is on screen and big
//! enough for a thumb, and "Open in" VLC, MX Player and mpv are Android intents for those apps.
//! Its head carries the title and Open Graph tags a link preview reads; the video's thumbnail
//! from Telegram is its poster and the preview's image.
//! Screenshots are kept in `target/test-artifacts/`.

mod common;

use std::process::{Child, Command};
use std::time::Duration;

use beamgram_sim::FileSpec;
use common::host::*;
use common::{eventually, expect};

/// A chromedriver on a port of its own; killed when dropped.
struct Driver {
    child: Child,
    wd: String,
}

impl Driver {
    fn start(offset: u16) -> Option<Driver> {
        if !tool("curl", "curl") || !tool("chromedriver", "chromium-driver") || !tool("chromium", "chromium") {
            return None;
        }
        let port = 9515 + offset + (std::process::id() % 1000) as u16 * 3;
        let child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("chromedriver");
        Some(Driver { child, wd: format!("http://127.0.0.1:{port}") })
    }

    /// A WebDriver command (POST with a JSON body); its JSON answer, or null.
    async fn post(&self, path: &str, body: serde_json::Value) -> serde_json::Value {
        let url = format!("{}{path}", self.wd);
        let (_, out) = curl(&["-H", "Content-Type: application/json", "-d", &body.to_string(), &url]).await;
        serde_json::from_slice(&out).unwrap_or(serde_json::Value::Null)
    }

    /// A headless Chromium session (with `mobile`: Chrome's emulation of that device).
    async fn session(&self, name: &str, mobile: Option<serde_json::Value>) -> Session<'_> {
        let profile = std::env::temp_dir().join(format!("beamgram-chromium-{name}-{}", std::process::id()));
        let mut options = serde_json::json!({"binary": "/usr/bin/chromium", "args": [
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--autoplay-policy=no-user-gesture-required", format!("--user-data-dir={}", profile.display())
        ]});
        if let Some(m) = mobile {
            options["mobileEmulation"] = m;
        }
        let caps = serde_json::json!({"capabilities": {"alwaysMatch": {"goog:chromeOptions": options}}});
        let mut session = serde_json::Value::Null;
        eventually(Duration::from_secs(10), async || {
            session = self.post("/session", caps.clone()).await;
            session["value"]["sessionId"].is_string()
        })
        .await;
        let id = session["value"]["sessionId"].as_str().unwrap_or_else(|| panic!("no WebDriver session: {session}"));
        Session { driver: self, id: id.to_string() }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Session<'a> {
    driver: &'a Driver,
    id: String,
}

impl Session<'_> {
    async fn open(&self, url: &str) {
        self.driver.post(&format!("/session/{}/url", self.id), serde_json::json!({"url": url})).await;
    }

    /// Runs `script` in the page; its value.
    async fn run(&self, script: &str) -> serde_json::Value {
        let body = serde_json::json!({"script": script, "args": []});
        self.driver.post(&format!("/session/{}/execute/sync", self.id), body).await["value"].clone()
    }

    /// Waits for the media element to have its metadata; its readyState.
    async fn media_ready(&self) -> i64 {
        let mut ready = 0;
        eventually(Duration::from_secs(10), async || {
            ready = self.run("return document.getElementById('media').readyState").await.as_i64().unwrap_or(0);
            ready >= 1
        })
        .await;
        ready
    }

    /// Keeps a screenshot as `target/test-artifacts/NAME`.
    async fn screenshot(&self, name: &str) {
        use base64::Engine;
        let (_, shot) = curl(&[&format!("{}/session/{}/screenshot", self.driver.wd, self.id)]).await;
        let shot: serde_json::Value = serde_json::from_slice(&shot).unwrap_or_default();
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/test-artifacts");
        let _ = std::fs::create_dir_all(&dir);
        if let Some(png) = shot["value"].as_str()
            && let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(png)
        {
            let _ = std::fs::write(dir.join(name), bytes);
        }
    }

    async fn close(self) {
        let _ = curl(&["-X", "DELETE", &format!("{}/session/{}", self.driver.wd, self.id)]).await;
    }
}

fn sample() -> FileSpec {
    beamgram_cli::demo::sample_video("sample clip; #1.mp4")
}

/// The href of element `id`, and whether it is shown.
async fn link(s: &Session<'_>, id: &str) -> (String, bool) {
    let v = s.run(&format!("const e = document.getElementById('{id}'); return [e.href || '', !e.hidden];")).await;
    (v[0].as_str().unwrap_or("").to_string(), v[1].as_bool().unwrap_or(false))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_watch_page_plays_on_a_computer() {
    let Some(driver) = Driver::start(0) else { return };
    let host = host().await;
    let links = host.send(sample()).await;
    // A link preview (Telegram's, a chat app's) reads the head without running the page.
    let (_, page) = curl(&["-s", &links.watch]).await;
    let page = String::from_utf8_lossy(&page);
    for tag in [
        "<title>sample clip; #1.mp4</title>".to_string(),
        "<meta property=\"og:title\" content=\"sample clip; #1.mp4\">".into(),
        "<meta property=\"og:description\" content=\"1.2 MiB · video/mp4\">".into(),
        "<meta property=\"og:type\" content=\"video.other\">".into(),
        format!("<meta property=\"og:url\" content=\"{}\">", links.watch),
        "<meta name=\"twitter:card\" content=\"summary_large_image\">".into(),
        format!("<meta property=\"og:image\" content=\"{}\">", links.thumb()),
        format!("<meta name=\"twitter:image\" content=\"{}\">", links.thumb()),
    ] {
        assert!(page.contains(&tag), "the watch page has {tag}");
    }
    // The preview's image is the video's thumbnail from Telegram, byte for byte.
    let (_, poster) = curl(&[&links.thumb()]).await;
    assert!(poster == beamgram_cli::demo::SAMPLE_POSTER, "the poster is the document's thumbnail");
    let s = driver.session("desktop", None).await;
    s.open(&links.watch).await;
    let ready = s.media_ready().await;
    let title = s.run("return document.title").await;
    // The poster as the browser shows it: decoded, at the thumbnail's size.
    let poster = s
        .run(
            "const v = document.getElementById('media'); const i = new Image(); i.src = v.poster;
             return i.decode().then(() => [v.getAttribute('poster'), i.naturalWidth, i.naturalHeight], e => [String(e)]);",
        )
        .await;
    s.screenshot("player.png").await;
    let (vlc, vlc_shown) = link(&s, "vlc").await;
    let vlc_name = s.run("return document.getElementById('vlc').download").await;
    let (_, mx_shown) = link(&s, "mx").await;
    let mpv_shown = s.run("return !document.getElementById('mpv').hidden").await;
    s.close().await;
    assert_eq!(title, "sample clip; #1.mp4");
    let thumb_path = &links.thumb()[links.thumb().find("/thumb/").unwrap_or(0)..];
    assert_eq!(poster, serde_json::json!([thumb_path, 320, 180]), "the video's poster loads");
    assert!(ready >= 1, "the video element never loaded metadata (readyState {ready})");
    // A playlist the system opens in VLC: a vlc:// link would not survive the browser.
    let playlist = vlc.strip_prefix("data:audio/x-mpegurl;charset=utf-8,").unwrap_or_default();
    let playlist = percent_encoding::percent_decode_str(playlist).decode_utf8_lossy().to_string();
    assert!(vlc_shown && playlist.starts_with("#EXTM3U\n#EXTINF:-1,sample clip; #1.mp4\n"), "{vlc}");
    assert!(playlist.ends_with(&format!("\n{}\n", links.stream)), "the stream link: {playlist}");
    assert_eq!(vlc_name, "sample clip; #1.m3u");
    assert!(!mx_shown, "MX Player is an Android app");
    assert_eq!(mpv_shown, true, "the mpv command is offered on a computer");
    host.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_watch_page_fits_a_phone_and_opens_android_players() {
    let Some(driver) = Driver::start(1) else { return };
    let host = host().await;
    let links = host.send(sample()).await;
    let phone = serde_json::json!({
        "deviceMetrics": {"width": 390, "height": 844, "pixelRatio": 3.0, "touch": true, "mobile": true},
        "userAgent": "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36"
    });
    let s = driver.session("phone", Some(phone)).await;
    s.open(&links.watch).await;
    let ready = s.media_ready().await;
    let layout = s
        .run(
            "const w = window.innerWidth, v = document.getElementById('media').getBoundingClientRect();
             const buttons = [...document.querySelectorAll('.actions a, .actions button')].filter(e => !e.hidden)
               .map(e => { const r = e.getBoundingClientRect(); return [e.id, r.left, r.right, r.height]; });
             return {width: w, video: [v.left, v.width], scroll: document.documentElement.scrollWidth, buttons};",
        )
        .await;
    s.screenshot("player-phone.png").await;
    let (vlc, _) = link(&s, "vlc").await;
    let (mx, mx_shown) = link(&s, "mx").await;
    let (mpv, mpv_shown) = link(&s, "mpv-android").await;
    let command_shown = s.run("return !document.getElementById('mpv').hidden").await;
    s.close().await;

    assert!(ready >= 1, "the video element never loaded metadata (readyState {ready})");
    let width = layout["width"].as_f64().expect("width");
    assert_eq!(width, 390.0, "the phone's viewport: {layout}");
    let (left, video) = (layout["video"][0].as_f64().unwrap_or(-1.0), layout["video"][1].as_f64().unwrap_or(0.0));
    assert!(left.abs() < 1.0 && (video - width).abs() < 1.0, "the video fills the width: {layout}");
    assert!(layout["scroll"].as_f64().unwrap_or(f64::MAX) <= width, "nothing scrolls sideways: {layout}");
    let buttons = layout["buttons"].as_array().expect("buttons");
    assert!(buttons.len() >= 5, "download, copy, VLC, MX Player, mpv: {layout}");
    for b in buttons {
        let (l, r, h) =
            (b[1].as_f64().unwrap_or(-1.0), b[2].as_f64().unwrap_or(f64::MAX), b[3].as_f64().unwrap_or(0.0));
        assert!(l >= 0.0 && r <= width && h >= 44.0, "{} is on screen and big enough for a thumb: {b}", b[0]);
    }
    let path = links.stream.trim_start_matches("http://");
    for (href, app) in [(&vlc, "org.videolan.vlc"), (&mx, "com.mxtech.videoplayer.ad"), (&mpv, "is.xyz.mpv")] {
        assert!(href.starts_with(&format!("intent://{path}#Intent;")), "an intent for the stream: {href}");
        assert!(href.contains(";scheme=http;") && href.contains(&format!(";package={app};")), "{href}");
        assert!(href.contains(";type=video/mp4;") && href.ends_with(";end"), "{href}");
        assert!(href.contains("S.title=sample%20clip%3B%20%231.mp4;"), "the title cannot break the intent: {href}");
    }
    assert!(mx_shown && mpv_shown, "MX Player and mpv-android are offered on Android");
    assert_eq!(command_shown, false, "no mpv command to copy on a phone");
    host.stop().await;
}

/// Subtitles: an SRT in Windows-1252 and a WebVTT file sent as replies to the user's own video
/// are attached to it; the watch page lists both tracks and Chromium loads their cues, converted
/// to WebVTT in UTF-8. A file with no cue in it is refused with the reason, and a subtitle file
/// that replies to something other than the user's video is an ordinary file.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn subtitles_sent_as_replies_are_tracks_of_the_video() {
    let Some(driver) = Driver::start(2) else { return };
    let host = host().await;
    let (h, bot, user) = (&host.w.h, host.w.bot, host.w.user);
    let (video, links) = host.send_file(sample()).await;
    // "Ça coûte 5 €" in Windows-1252, CRLF line ends.
    let mut srt = b"1\r\n00:00:00,500 --> 00:00:07,000\r\n".to_vec();
    srt.extend_from_slice(&[
        0xC7, b'a', b' ', b'c', b'o', 0xFB, b't', b'e', b' ', b'5', b' ', 0x80, b'\r', b'\n', b'\r', b'\n',
    ]);
    let vtt = b"WEBVTT\n\n00:00.500 --> 00:07.000 align:start\nHello <i>there</i>\n".to_vec();
    for (name, bytes, label) in [("sample.fr.srt", srt, "Français"), ("sample.en.vtt", vtt, "English")] {
        h.send_file_reply(user, bot, video, FileSpec::document(name, "application/x-subrip", bytes)).expect("send");
        let said = format!("Subtitles \"{label}\" attached to sample clip; #1.mp4");
        let m = expect(h, bot, user, "the subtitles are attached", |m| m.text.contains(&said)).await;
        assert!(m.text.contains(&links.watch), "with the watch link: {}", m.text);
    }
    h.send_file_reply(
        user,
        bot,
        video,
        FileSpec::document("empty.srt", "application/x-subrip", b"nothing here".to_vec()),
    )
    .expect("send");
    expect(h, bot, user, "an unreadable file is refused", |m| {
        m.text.contains("I could not attach empty.srt to sample clip; #1.mp4: it has no subtitle in it")
    })
    .await;
    // A reply to the bot's own message is not a reply to a video: the file gets its links.
    let bots_reply = h.messages_from(bot, user).first().map(|m| m.id).expect("the bot answered");
    h.send_file_reply(user, bot, bots_reply, FileSpec::document("notes.srt", "application/x-subrip", b"x".to_vec()))
        .expect("send");
    expect(h, bot, user, "an ordinary file", |m| m.text.contains("notes.srt") && m.text.contains("Download: ")).await;

    let subs = |n: &str| links.watch.replacen("/watch/", "/subs/", 1) + "/" + n;
    let (_, first) = curl(&[&subs("0.vtt")]).await;
    assert_eq!(String::from_utf8_lossy(&first), "WEBVTT\n\n00:00:00.500 --> 00:00:07.000\nÇa coûte 5 €\n");
    let h2 = headers(&[&subs("1.vtt")]).await;
    assert_eq!(header(&h2, "content-type"), Some("text/vtt; charset=utf-8"));
    assert_eq!(status_of(&[&subs("2.vtt")]).await, 404, "two tracks only");
    assert_eq!(status_of(&[&format!("{}x/0.vtt", links.watch.replacen("/watch/", "/subs/", 1))]).await, 404);

    let s = driver.session("subtitles", None).await;
    s.open(&links.watch).await;
    s.media_ready().await;
    let mut cues = serde_json::Value::Null;
    let loaded = eventually(Duration::from_secs(10), async || {
        cues = s
            .run(
                "const v = document.getElementById('media');
                 return [...v.textTracks].map(t => { if (t.mode === 'disabled') t.mode = 'hidden';
                   return [t.label, t.language, t.cues ? t.cues.length : 0, t.cues && t.cues.length ? t.cues[0].text : ''] });",
            )
            .await;
        cues.as_array().is_some_and(|a| a.len() == 2 && a.iter().all(|t| t[2].as_i64() == Some(1)))
    })
    .await;
    s.run("const v = document.getElementById('media'); v.textTracks[0].mode = 'showing'; v.currentTime = 1; return 0;")
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    s.screenshot("player-subtitles.png").await;
    s.close().await;
    assert!(loaded, "both tracks' cues load: {cues}");
    assert_eq!(
        cues,
        serde_json::json!([["Français", "fr", 1, "Ça coûte 5 €"], ["English", "en", 1, "Hello <i>there</i>"]])
    );
    host.stop().await;
}

/// The admin page: `/admin_link` (admins only) gives a short-lived link; the page shows live
/// stats and updates by itself when a file is streamed. A forged token, or a file's token, opens
/// nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_admin_page_shows_live_stats_behind_a_short_lived_link() {
    let Some(driver) = Driver::start(3) else { return };
    let mut mallory = 0;
    let host = host_with(|c, w| {
        c.access.admins = vec![w.user];
        mallory = w.h.add_user("Mallory", None);
    })
    .await;
    let (h, bot) = (&host.w.h, host.w.bot);
    h.send_text(mallory, bot, "/admin_link").expect("send");
    let refused = expect(h, bot, mallory, "an answer", |_| true).await;
    assert!(!refused.text.contains("/admin/"), "no link for a non-admin: {}", refused.text);

    let m = host.ask("/admin_link").await;
    let link = m.text.lines().find(|l| l.contains("/admin/")).expect("a link").trim().to_string();
    assert!(m.text.contains("15 minutes"), "{}", m.text);
    let page_headers = headers(&[&link]).await;
    assert_eq!(header(&page_headers, "cache-control"), Some("no-store"));
    assert_eq!(header(&page_headers, "referrer-policy"), Some("no-referrer"));
    assert!(header(&page_headers, "content-security-policy").is_some_and(|c| c.contains("frame-ancestors 'none'")));
    let forged = format!("{}x", link);
    assert_eq!(status_of(&[&forged]).await, 404);
    assert_eq!(status_of(&[&format!("{forged}/stats.json")]).await, 404);

    let s = driver.session("admin", None).await;
    s.open(&link).await;
    let text = |id: &'static str| {
        let s = &s;
        async move { s.run(&format!("return document.getElementById('{id}').textContent")).await }
    };
    let mut shown = serde_json::Value::Null;
    assert!(
        eventually(Duration::from_secs(10), async || {
            shown = text("users").await;
            shown == "2"
        })
        .await,
        "the page shows the users: {shown}"
    );
    assert_eq!(text("streams-now").await, "0");
    // A file is streamed while the page is open: it appears on its own.
    let links = host.send(sample()).await;
    assert_eq!(curl(&[&links.stream]).await.1.len(), beamgram_cli::demo::SAMPLE_VIDEO.len());
    let mut top = serde_json::Value::Null;
    let updated = eventually(Duration::from_secs(10), async || {
        top = text("top-files").await;
        top.as_str().is_some_and(|t| t.contains("sample clip; #1.mp4 — 1.2 MiB"))
    })
    .await;
    let today = text("served-today").await;
    s.screenshot("admin.png").await;
    s.close().await;
    assert!(updated, "the most streamed file shows up live: {top}");
    assert_eq!(today, "1.2 MiB");
    // A file's token opens no admin page.
    let file_token = links.watch.rsplit('/').next().unwrap_or_default().to_string();
    let admin_base = &link[..link.find("/admin/").unwrap_or(0)];
    assert_eq!(status_of(&[&format!("{admin_base}/admin/{file_token}")]).await, 404);
    host.stop().await;
}
