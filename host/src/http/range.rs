//! The `Range` request header (RFC 9110 §14), for the single-range requests players and
//! download managers send.

/// What the server should do about a request's `Range` header.
#[derive(Debug, PartialEq, Eq)]
pub enum RangeDecision {
    /// No range (or one the server may ignore): send everything with 200.
    Full,
    /// Send bytes `start..=end` with 206.
    Partial { start: u64, end: u64 },
    /// No byte of the range exists: 416 with `Content-Range: bytes */size`.
    Unsatisfiable,
}

/// A `bytes=` header that does not parse; answered with 400 and this text.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("malformed Range header: {0}")]
pub struct MalformedRange(pub String);

/// Decides a `Range` header against a file of `size` bytes.
///
/// Units other than `bytes` are ignored (200), as the RFC asks; several ranges are answered
/// with the whole file (200), which the RFC allows and every client handles.
pub fn decide(header: Option<&str>, size: u64) -> Result<RangeDecision, MalformedRange> {
    let Some(h) = header else { return Ok(RangeDecision::Full) };
    let h = h.trim();
    let Some((unit, specs)) = h.split_once('=') else { return Err(MalformedRange(format!("'{h}' has no '='"))) };
    if !unit.trim().eq_ignore_ascii_case("bytes") {
        return Ok(RangeDecision::Full);
    }
    let specs: Vec<&str> = specs.split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
    if specs.is_empty() {
        return Err(MalformedRange(format!("'{h}' names no range")));
    }
    let parsed: Vec<(Option<u64>, Option<u64>)> = specs.iter().map(|s| parse_spec(s)).collect::<Result<_, _>>()?;
    if parsed.len() > 1 {
        return Ok(RangeDecision::Full);
    }
    let (first, last) = parsed[0];
    let (start, end) = match (first, last) {
        (Some(f), Some(l)) => (f, l.min(size.saturating_sub(1))),
        (Some(f), None) => (f, size.saturating_sub(1)),
        // bytes=-N: the last N bytes
        (None, Some(0)) => return Ok(RangeDecision::Unsatisfiable),
        (None, Some(n)) => (size.saturating_sub(n), size.saturating_sub(1)),
        (None, None) => return Err(MalformedRange(format!("'{h}' has neither first nor last byte"))),
    };
    if size == 0 || start >= size {
        return Ok(RangeDecision::Unsatisfiable);
    }
    Ok(RangeDecision::Partial { start, end })
}

fn parse_spec(s: &str) -> Result<(Option<u64>, Option<u64>), MalformedRange> {
    let bad = || MalformedRange(format!("'{s}' is not FIRST-LAST, FIRST- or -SUFFIX"));
    let (a, b) = s.split_once('-').ok_or_else(bad)?;
    let num = |t: &str| -> Result<Option<u64>, MalformedRange> {
        let t = t.trim();
        if t.is_empty() {
            return Ok(None);
        }
        if !t.bytes().all(|c| c.is_ascii_digit()) {
            return Err(bad());
        }
        // RFC 9110 puts no bound on the digits: a number past 2⁶⁴−1 is past any file's end
        // (a last byte there means "to the end", a first byte there is unsatisfiable), not an
        // error.
        Ok(Some(t.parse::<u64>().unwrap_or(u64::MAX)))
    };
    let (a, b) = (num(a)?, num(b)?);
    if let (Some(a), Some(b)) = (a, b)
        && b < a
    {
        return Err(MalformedRange(format!("'{s}' ends before it starts")));
    }
    Ok((a, b))
}

#[cfg(test)]
mod tests {
    use super::RangeDecision::*;
    use super::*;

    #[test]
    fn numbers_past_u64_are_past_the_end_not_errors() {
        assert_eq!(decide(Some("bytes=0-99999999999999999999"), 100), Ok(Partial { start: 0, end: 99 }));
        assert_eq!(decide(Some("bytes=18446744073709551616-"), 100), Ok(Unsatisfiable));
        assert_eq!(decide(Some("bytes=-99999999999999999999"), 100), Ok(Partial { start: 0, end: 99 }));
        assert_eq!(decide(Some("bytes=18446744073709551615-18446744073709551616"), 100), Ok(Unsatisfiable));
    }

    #[test]
    fn single_ranges() {
        assert_eq!(decide(None, 100), Ok(Full));
        assert_eq!(decide(Some("bytes=0-0"), 100), Ok(Partial { start: 0, end: 0 }));
        assert_eq!(decide(Some("bytes=10-"), 100), Ok(Partial { start: 10, end: 99 }));
        assert_eq!(decide(Some("bytes=90-500"), 100), Ok(Partial { start: 90, end: 99 }));
        assert_eq!(decide(Some("bytes=-10"), 100), Ok(Partial { start: 90, end: 99 }));
        assert_eq!(decide(Some("bytes=-500"), 100), Ok(Partial { start: 0, end: 99 }));
        assert_eq!(decide(Some("Bytes = 5-6"), 100), Ok(Partial { start: 5, end: 6 }));
    }

    #[test]
    fn unsatisfiable_and_ignored() {
        assert_eq!(decide(Some("bytes=100-"), 100), Ok(Unsatisfiable));
        assert_eq!(decide(Some("bytes=-0"), 100), Ok(Unsatisfiable));
        assert_eq!(decide(Some("bytes=0-"), 0), Ok(Unsatisfiable));
        assert_eq!(decide(Some("items=0-5"), 100), Ok(Full));
        assert_eq!(decide(Some("bytes=0-1,5-6"), 100), Ok(Full));
    }

    #[test]
    fn malformed() {
        for h in ["bytes", "bytes=", "bytes=abc", "bytes=5-1", "bytes=-", "bytes=1-2-3", "bytes=+1-2"] {
            assert!(decide(Some(h), 100).is_err(), "{h}");
        }
    }
}
