//! A fast, non-cryptographic hasher for customer-id keys (the ingestion hot path).
//!
//! Customer ids come from the user's own file, so resistance to hash flooding is not needed;
//! speed is. Words are folded FxHash-style and the result gets a final avalanche so that the
//! low bits the hash table indexes with depend on every input byte.

use std::hash::{BuildHasherDefault, Hasher};

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

/// FxHash-style word folding with a final mix.
#[derive(Debug, Default, Clone, Copy)]
pub struct FastHasher {
    hash: u64,
}

impl FastHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FastHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w) ^ ((rest.len() as u64) << 59));
        }
    }

    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        let mut h = self.hash;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^ (h >> 29)
    }
}

/// `HashMap` builder using [`FastHasher`].
pub type FastBuildHasher = BuildHasherDefault<FastHasher>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;
    use std::hash::BuildHasher;

    #[test]
    fn distinct_ids_spread_over_low_bits() {
        // Sequential numeric ids must not pile into few buckets of a 2^12 table.
        let b = FastBuildHasher::default();
        let buckets: HashSet<u64> = (0..4096u32)
            .map(|i| b.hash_one(i.to_string().as_bytes()) & 4095)
            .collect();
        assert!(
            buckets.len() > 2400,
            "only {} of 4096 buckets used",
            buckets.len()
        );
        assert_ne!(b.hash_one(b"ab".as_slice()), b.hash_one(b"ab\0".as_slice()));
        // Every byte of a short id counts.
        for len in 1..16usize {
            let base = vec![b'7'; len];
            let h0 = b.hash_one(base.as_slice());
            for i in 0..len {
                let mut other = base.clone();
                other[i] = b'8';
                assert_ne!(h0, b.hash_one(other.as_slice()), "len {len}, byte {i}");
            }
        }
    }
}
