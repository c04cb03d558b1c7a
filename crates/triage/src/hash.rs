//! The hash functions behind the feature buckets and the word table. They are
//! part of the model file format: a change here changes every bucket, so the
//! format version must change with it.

const K1: u64 = 0x9E37_79B9_7F4A_7C15;
const K2: u64 = 0xBF58_476D_1CE4_E5B9;
const K3: u64 = 0x94D0_49BB_1331_11EB;

/// Mixes a 64-bit value into a well-spread 64-bit hash (the splitmix64 finaliser).
#[inline]
pub(crate) fn mix(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(K2);
    x = (x ^ (x >> 27)).wrapping_mul(K3);
    x ^ (x >> 31)
}

/// Reads up to eight bytes as a little-endian number (missing bytes are zero),
/// without a call to `memcpy` for the short, odd lengths of words.
#[inline]
fn load(bytes: &[u8]) -> u64 {
    let mut x = 0u64;
    for (i, b) in bytes.iter().take(8).enumerate() {
        x |= u64::from(*b) << (8 * i);
    }
    x
}

/// Hashes a byte string with a seed, eight bytes at a time, independent of the
/// platform's byte order.
#[inline]
pub(crate) fn hash_bytes(seed: u64, bytes: &[u8]) -> u64 {
    let mut h = seed ^ (bytes.len() as u64).wrapping_mul(K1);
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        h = (h ^ load(c)).wrapping_mul(K1).rotate_left(29);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        h = (h ^ load(rest)).wrapping_mul(K1).rotate_left(29);
    }
    mix(h)
}

/// Combines two hashes into the hash of the pair (order matters).
#[inline]
pub(crate) fn combine(a: u64, b: u64) -> u64 {
    mix(a.rotate_left(17) ^ b.wrapping_mul(K1))
}

/// Hashes a string with the seed of a named feature family (for example `first=`).
pub(crate) fn hash_str(seed: u64, s: &str) -> u64 {
    hash_bytes(seed, s.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_stable() {
        // These values are part of the model format; they must never change silently.
        assert_ne!(hash_bytes(0, b"cancelled"), hash_bytes(1, b"cancelled"));
        assert_ne!(hash_bytes(0, b"abc"), hash_bytes(0, b"abc\0"));
        assert_ne!(combine(1, 2), combine(2, 1));
        assert_eq!(mix(0), 0);
        assert_eq!(hash_bytes(7, b"the quick brown fox"), 6_750_051_886_470_536_177);
    }
}
