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
/// without a call to `memcpy` for the short, odd lengths of words: two
/// overlapping loads of the largest size that fits, whose shared bytes agree.
#[inline]
pub(crate) fn load(bytes: &[u8]) -> u64 {
    let n = bytes.len().min(8);
    let b = &bytes[..n];
    let le = |s: &[u8]| s.iter().rev().fold(0u64, |x, c| x << 8 | u64::from(*c));
    match n {
        8 => u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]),
        4..=7 => {
            let lo = u64::from(u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
            let hi = u64::from(u32::from_le_bytes([b[n - 4], b[n - 3], b[n - 2], b[n - 1]]));
            lo | hi << (8 * (n - 4))
        }
        2 | 3 => {
            let lo = u64::from(u16::from_le_bytes([b[0], b[1]]));
            let hi = u64::from(u16::from_le_bytes([b[n - 2], b[n - 1]]));
            lo | hi << (8 * (n - 2))
        }
        _ => le(b),
    }
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

/// [`hash_bytes`] of a string of `len` bytes, at most eight, whose bytes are
/// `head` (as [`load`] reads them).
#[inline]
pub(crate) fn hash_short(seed: u64, head: u64, len: usize) -> u64 {
    let mut h = seed ^ (len as u64).wrapping_mul(K1);
    if len > 0 {
        h = (h ^ head).wrapping_mul(K1).rotate_left(29);
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
    fn load_reads_little_endian() {
        let bytes = b"abcdefghij";
        for n in 0..=10 {
            let want = bytes[..n.min(8)].iter().enumerate().fold(0u64, |x, (i, c)| x | u64::from(*c) << (8 * i));
            assert_eq!(load(&bytes[..n]), want, "{n}");
        }
    }

    #[test]
    fn short_hashes_agree() {
        for word in ["", "a", "ab", "abc", "cancel", "flights!"] {
            let b = word.as_bytes();
            assert_eq!(hash_short(9, load(b), b.len()), hash_bytes(9, b), "{word}");
        }
    }

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
