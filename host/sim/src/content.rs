//! File contents the simulator serves: real bytes for small files, or bytes generated from a
//! seed so that files of many GiB (Telegram allows 4 GiB) cost no memory.

use std::sync::Arc;

/// Where a simulated file's bytes come from.
#[derive(Clone, Debug)]
pub enum Content {
    Bytes(Arc<Vec<u8>>),
    /// Every 8-byte block is a SplitMix64 output of `seed ^ block_index`, so any range can be
    /// produced without producing what comes before it.
    Seeded {
        seed: u64,
        size: u64,
    },
}

impl Content {
    pub fn len(&self) -> u64 {
        match self {
            Content::Bytes(b) => b.len() as u64,
            Content::Seeded { size, .. } => *size,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes `offset..offset+limit`, cut at the end of the file (empty past it).
    pub fn read(&self, offset: u64, limit: usize) -> Vec<u8> {
        let len = self.len();
        if offset >= len {
            return Vec::new();
        }
        let end = (offset + limit as u64).min(len);
        match self {
            Content::Bytes(b) => b[offset as usize..end as usize].to_vec(),
            Content::Seeded { seed, .. } => seeded_range(*seed, offset, end),
        }
    }
}

fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// Generates the seeded bytes of `start..end`; also what tests use to know the expected bytes.
pub fn seeded_range(seed: u64, start: u64, end: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity((end - start) as usize);
    let mut block = start / 8;
    let mut skip = (start % 8) as usize;
    while (out.len() as u64) < end - start {
        let bytes = splitmix64(seed ^ block).to_le_bytes();
        let want = ((end - start) as usize - out.len()).min(8 - skip);
        out.extend_from_slice(&bytes[skip..skip + want]);
        skip = 0;
        block += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_ranges_agree_with_the_whole() {
        let c = Content::Seeded { seed: 42, size: 1000 };
        let whole = c.read(0, 1000);
        assert_eq!(whole.len(), 1000);
        for (o, l) in [(0, 1), (3, 17), (7, 9), (8, 8), (995, 100), (999, 1)] {
            let part = c.read(o, l);
            let end = (o as usize + l).min(1000);
            assert_eq!(part, whole[o as usize..end], "offset {o} limit {l}");
        }
        assert!(c.read(1000, 10).is_empty());
        assert_ne!(whole, Content::Seeded { seed: 43, size: 1000 }.read(0, 1000));
    }

    #[test]
    fn reads_beyond_four_gib() {
        let c = Content::Seeded { seed: 7, size: 5 << 30 };
        let at = (4u64 << 30) + 12345;
        assert_eq!(c.read(at, 64), seeded_range(7, at, at + 64));
    }
}
