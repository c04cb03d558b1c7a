//! A fast seeded hasher for the key and term tables, which are on the path of
//! every message.
//!
//! It folds the input eight bytes at a time with a folded 128-bit multiply
//! and finishes with the MurmurHash3 mixer. Each table draws its seed from the
//! standard library's random `RandomState`, so that collisions cannot be
//! planned from the code alone. It is not a keyed PRF like SipHash: a caller
//! who can measure our timings might still find colliding keys, and the caps
//! on keys and counters are what bound the harm then.

use std::hash::{BuildHasher, Hasher, RandomState};

const K: u64 = 0x9e37_79b9_7f4a_7c15;

/// Builds [`FoldHasher`]s with a random seed chosen once per table.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SeededState {
    seed: u64,
}

impl Default for SeededState {
    fn default() -> Self {
        SeededState { seed: RandomState::new().hash_one(0x5eed_u64) | 1 }
    }
}

impl BuildHasher for SeededState {
    type Hasher = FoldHasher;

    fn build_hasher(&self) -> FoldHasher {
        FoldHasher { h: self.seed }
    }
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct FoldHasher {
    h: u64,
}

impl FoldHasher {
    /// Folds in a word with a 64 x 64 -> 128-bit multiply whose two halves
    /// are xor-ed: a difference in any input bit reaches every output bit,
    /// so differences in one word cannot cancel differences left by the
    /// words before it (a plain multiply only carries differences upwards,
    /// and similar keys then collided).
    #[inline]
    fn fold(&mut self, word: u64) {
        let x = u128::from(self.h ^ word) * u128::from(K);
        self.h = (x as u64) ^ ((x >> 64) as u64);
    }
}

impl Hasher for FoldHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.fold(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.fold(u64::from_le_bytes(word) ^ ((rest.len() as u64) << 59));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.fold(u64::from(i) | 0x100);
    }

    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.fold(i);
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.fold(i as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        let mut x = self.h;
        x ^= x >> 33;
        x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
        x ^= x >> 33;
        x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        x ^ (x >> 33)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn similar_keys_spread_over_the_buckets() {
        // Several seeds: a weakness may show under one seed and not another.
        for _ in 0..20 {
            similar_keys_spread_with(SeededState::default());
        }
    }

    fn similar_keys_spread_with(state: SeededState) {
        let hashes: HashSet<u64> = (0..100_000).map(|i| state.hash_one(format!("topic=t{i}|brand=b"))).collect();
        assert_eq!(hashes.len(), 100_000);
        // The low bits, which pick a table bucket, are spread too.
        let low: HashSet<u64> = (0..4096).map(|i| state.hash_one(format!("k{i}")) & 0xffff).collect();
        assert!(low.len() > 3_800, "{}", low.len());
        assert_ne!(state.hash_one("ab"), state.hash_one("ab\0"));
    }
}
