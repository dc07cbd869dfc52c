//! The reply template (sizes and durations come from the SDK).

pub use beamgram_plugin::human::{bytes, duration};

/// Fills `{key}` placeholders; a line whose placeholders all came out empty is dropped, so one
/// template serves documents (no duration) and videos alike. Unknown `{words}` stay as written.
pub fn render(template: &str, values: &[(&str, String)]) -> String {
    let mut out = Vec::new();
    for line in template.split('\n') {
        let mut text = String::new();
        let (mut placeholders, mut filled) = (0, 0);
        let mut rest = line;
        while let Some(open) = rest.find('{') {
            text.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            match after.find('}').map(|close| (&after[..close], close)) {
                Some((key, close)) if values.iter().any(|(k, _)| *k == key) => {
                    placeholders += 1;
                    let v = values.iter().find(|(k, _)| *k == key).map(|(_, v)| v.as_str()).unwrap_or_default();
                    if !v.is_empty() {
                        filled += 1;
                    }
                    text.push_str(v);
                    rest = &after[close + 1..];
                }
                _ => {
                    text.push('{');
                    rest = after;
                }
            }
        }
        text.push_str(rest);
        if placeholders == 0 || filled > 0 {
            out.push(text);
        }
    }
    out.join("\n").trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(bytes(0), "0 B");
        assert_eq!(bytes(1023), "1023 B");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(bytes(1_270_000), "1.2 MiB");
        assert_eq!(bytes(5 * 1024 * 1024 * 1024), "5.0 GiB");
    }

    #[test]
    fn durations() {
        assert_eq!(duration(5.4), "0:00:05");
        assert_eq!(duration(3725.0), "1:02:05");
    }

    #[test]
    fn template_drops_empty_lines_keeps_unknown() {
        let v = vec![("name", "a.pdf".to_string()), ("duration", String::new())];
        assert_eq!(render("📄 {name}\n⏱ {duration}\n{other} stays", &v), "📄 a.pdf\n{other} stays");
        assert_eq!(render("{ unbalanced", &v), "{ unbalanced");
    }
}
