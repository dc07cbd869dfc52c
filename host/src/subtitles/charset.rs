//! Text of a subtitle file as it comes: UTF-8 (a byte-order mark or not), UTF-16 with its mark
//! (what Windows editors save as "Unicode"), or else Windows-1252 — the usual legacy encoding
//! of Western subtitles, which, unlike UTF-8, cannot fail to decode.

/// Windows-1252's 0x80–0x9F (the rest of its upper half is Latin-1). Undefined bytes become
/// U+FFFD.
const CP1252_HIGH: [char; 32] = [
    '€', '\u{FFFD}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{FFFD}', 'Ž', '\u{FFFD}', '\u{FFFD}',
    '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{FFFD}', 'ž', 'Ÿ',
];

pub fn decode(bytes: &[u8]) -> String {
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return String::from_utf8_lossy(rest).into_owned();
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        return utf16(rest, u16::from_le_bytes);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        return utf16(rest, u16::from_be_bytes);
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => bytes.iter().map(|&b| cp1252(b)).collect(),
    }
}

fn cp1252(b: u8) -> char {
    match b {
        0x80..=0x9F => CP1252_HIGH[(b - 0x80) as usize],
        _ => b as char,
    }
}

fn utf16(bytes: &[u8], unit: fn([u8; 2]) -> u16) -> String {
    let units = bytes.chunks_exact(2).map(|c| unit([c[0], c[1]]));
    char::decode_utf16(units).map(|c| c.unwrap_or('\u{FFFD}')).collect()
}

#[cfg(test)]
mod tests {
    use super::decode;

    #[test]
    fn utf8_with_and_without_a_mark() {
        assert_eq!(decode("¿Qué?".as_bytes()), "¿Qué?");
        assert_eq!(decode(&[&[0xEF, 0xBB, 0xBF][..], "é".as_bytes()].concat()), "é");
    }

    #[test]
    fn windows_1252() {
        // "Ça coûte 5 € – “oui”" as Windows-1252.
        let bytes = [
            0xC7, b'a', b' ', b'c', b'o', 0xFB, b't', b'e', b' ', b'5', b' ', 0x80, b' ', 0x96, b' ', 0x93, b'o', b'u',
            b'i', 0x94,
        ];
        assert_eq!(decode(&bytes), "Ça coûte 5 € – “oui”");
        assert_eq!(decode(&[0x81]), "\u{FFFD}", "undefined bytes");
    }

    #[test]
    fn utf16_with_its_mark() {
        let le: Vec<u8> = [0xFF, 0xFE].into_iter().chain("Hé".encode_utf16().flat_map(|u| u.to_le_bytes())).collect();
        let be: Vec<u8> = [0xFE, 0xFF].into_iter().chain("Hé".encode_utf16().flat_map(|u| u.to_be_bytes())).collect();
        assert_eq!(decode(&le), "Hé");
        assert_eq!(decode(&be), "Hé");
    }
}
