//! Plans the `upload.getFile` requests that cover a byte range of a file.
//!
//! Telegram's rules (<https://core.telegram.org/api/files>): without `precise`, offset and limit
//! are multiples of 4 KiB, 1 MiB is a multiple of limit, and no request crosses a 1 MiB
//! boundary; with `precise`, offset and limit are multiples of 1 KiB and limit ≤ 1 MiB. And
//! grammers 0.11 cannot receive a 1 MiB answer (its message size assertion), so no request here
//! exceeds 512 KiB.
//!
//! The plan: the body in 512 KiB blocks aligned to 512 KiB (never crossing a 1 MiB boundary,
//! and the same blocks for every viewer, so they can be shared), and a small `precise` head so
//! a seek into the middle of a block answers after one short round trip. Every request says
//! which bytes of its answer belong to the range, so nothing past the range is sent on.

/// The body's request size: Telegram's 1 MiB maximum halved for grammers' message limit.
pub const BLOCK: u64 = 512 * 1024;
/// The largest first request of a seek: small enough to arrive in one short transfer.
pub const HEAD: u64 = 64 * 1024;
const KIB: u64 = 1024;

/// One `upload.getFile` call and the part of its answer to keep.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ChunkRequest {
    pub offset: u64,
    pub limit: u32,
    pub precise: bool,
    /// Bytes to drop from the front of the answer.
    pub skip: u32,
    /// Bytes to keep after that (the answer may be shorter only at the end of the file).
    pub take: u32,
}

impl ChunkRequest {
    /// Whether Telegram accepts this request.
    pub fn is_valid(&self) -> bool {
        let (o, l) = (self.offset, self.limit as u64);
        let within = l > 0 && l <= BLOCK;
        if self.precise {
            within && o.is_multiple_of(KIB) && l.is_multiple_of(KIB) && o / (1024 * KIB) == (o + l - 1) / (1024 * KIB)
        } else {
            within
                && o.is_multiple_of(4 * KIB)
                && l.is_multiple_of(4 * KIB)
                && (1024 * KIB).is_multiple_of(l)
                && o / (1024 * KIB) == (o + l - 1) / (1024 * KIB)
        }
    }
}

/// The requests for bytes `start..=end` of a file of `size` bytes (`start <= end < size`).
/// Consecutive, in order, each within one 512 KiB block.
pub fn plan(size: u64, start: u64, end: u64) -> Vec<ChunkRequest> {
    debug_assert!(start <= end && end < size);
    let mut out = Vec::with_capacity(((end - start) / BLOCK + 2) as usize);
    let mut pos = start;
    while pos <= end {
        let block_start = pos - pos % BLOCK;
        let block_end = block_start + BLOCK; // exclusive
        let want_end = (end + 1).min(block_end); // exclusive
        let req = if pos == block_start && want_end == block_end {
            // A whole aligned block: the plain request every viewer shares.
            ChunkRequest { offset: block_start, limit: BLOCK as u32, precise: false, skip: 0, take: BLOCK as u32 }
        } else {
            let offset = pos - pos % KIB;
            // The first request of a seek stays small; later partial ones run to the range's end.
            let stop = if out.is_empty() && pos != block_start { want_end.min(offset + HEAD) } else { want_end };
            let limit = (stop - offset).div_ceil(KIB) * KIB;
            ChunkRequest {
                offset,
                limit: limit as u32,
                precise: true,
                skip: (pos - offset) as u32,
                take: (stop - pos) as u32,
            }
        };
        pos += req.take as u64;
        out.push(req);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Replays a plan against a file and checks it yields exactly the range, with valid requests.
    fn check(size: u64, start: u64, end: u64) -> Vec<ChunkRequest> {
        let p = plan(size, start, end);
        let mut pos = start;
        for r in &p {
            assert!(r.is_valid(), "invalid request {r:?} for {start}..={end} of {size}");
            assert!(r.limit as u64 <= BLOCK, "over 512 KiB: {r:?}");
            assert_eq!(r.offset + r.skip as u64, pos, "gap or overlap at {pos}: {r:?}");
            assert!(r.skip as u64 + r.take as u64 <= r.limit as u64);
            assert!(r.skip < 1024, "reads at most 1 KiB before the range");
            pos += r.take as u64;
        }
        assert_eq!(pos, end + 1, "plan for {start}..={end} of {size} ends at {pos}");
        // Never more than 1 KiB of rounding past the end of the range.
        let last = p.last().expect("not empty");
        assert!(last.offset + last.limit as u64 - (end + 1) < 1024);
        p
    }

    #[test]
    fn whole_file_is_aligned_blocks() {
        let size = 3 * BLOCK;
        let p = check(size, 0, size - 1);
        assert_eq!(p.len(), 3);
        assert!(p.iter().all(|r| !r.precise && r.limit as u64 == BLOCK));
    }

    #[test]
    fn seek_starts_with_a_small_precise_head() {
        let p = check(10 * BLOCK, BLOCK + 5000, 10 * BLOCK - 1);
        assert!(p[0].precise && p[0].limit as u64 <= HEAD + 1024, "{:?}", p[0]);
        assert_eq!(p[0].skip, 5000 % 1024);
        // then the rest of that block, then aligned blocks
        assert_eq!(p[1].offset + p[1].limit as u64, 2 * BLOCK);
        assert!(p[2..].iter().all(|r| !r.precise && r.offset % BLOCK == 0));
        assert_eq!(p.len(), 2 + 8);
    }

    #[test]
    fn edges_and_exact_boundaries() {
        let mib = 1024 * 1024;
        check(1, 0, 0);
        check(1000, 999, 999);
        check(5 * mib, 0, mib); // ends exactly one byte past a 1 MiB boundary
        check(5 * mib, 0, mib - 1); // ends exactly on one
        check(5 * mib, mib, 2 * mib - 1);
        check(5 * mib, 5 * mib - 1, 5 * mib - 1);
        check(5 * mib + 17, 3, 5 * mib + 16);
        check(BLOCK, BLOCK - 1, BLOCK - 1);
        // beyond 4 GiB
        let big = 5u64 << 30;
        check(big, (4u64 << 30) + 12_345, (4u64 << 30) + 3 * mib);
    }

    #[test]
    fn exhaustive_small_ranges_are_exact() {
        let size = 3 * BLOCK + 3000;
        let points = [
            0,
            1,
            1023,
            1024,
            4095,
            65_535,
            65_536,
            BLOCK - 1,
            BLOCK,
            BLOCK + 1,
            2 * BLOCK - 1,
            2 * BLOCK + 77,
            size - 2,
            size - 1,
        ];
        for &s in &points {
            for &e in &points {
                if s <= e {
                    check(size, s, e);
                }
            }
        }
    }

    #[test]
    fn pseudo_random_ranges() {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..2000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let size = 1 + x % (20 * BLOCK);
            let a = (x >> 20) % size;
            let b = (x >> 3) % size;
            check(size, a.min(b), a.max(b));
        }
    }
}
