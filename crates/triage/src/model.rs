//! The model and its file format. A model is a table of hashed feature
//! buckets with one weight per head (three sentiment classes, five intents),
//! quantised to 8 bits with a scale per head, so that the table of the
//! shipped model (2^16 buckets) is 512 KiB and stays in the CPU's cache.
//! (8-bit weights score the same as 16-bit ones on the airline test split.)
//!
//! The file is, in little-endian order: the magic bytes `FBTRIAGE`, a `u32`
//! format version, the feature configuration (five bytes and three reserved
//! zero bytes), the `u32` head count, the scale and the bias of each head
//! (`f32`), the complaint threshold (`f32`), the `i8` weights bucket by
//! bucket, and a `u64` checksum of everything before it. Reading checks every
//! length, range and the checksum, and never panics.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::features::{Feat, FeatureConfig, char_count_for_len};
use crate::hash::hash_bytes;

/// The first bytes of every model file.
pub const MAGIC: &[u8; 8] = b"FBTRIAGE";
/// The format version this build reads and writes.
pub const FORMAT_VERSION: u32 = 1;
/// Heads: the sentiment classes, then the intents.
pub(crate) const HEADS: usize = 8;
/// The first intent head.
pub(crate) const INTENT_HEAD: usize = 3;

const HEADER_LEN: usize = 8 + 4 + 8 + 4 + HEADS * 4 * 2 + 4;
const CHECKSUM_SEED: u64 = 0xF1BE_B4EA_7C00_0001;

/// Why a model file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelError {
    #[error("not a Firebreak triage model (the magic bytes are missing)")]
    BadMagic,
    #[error("model format version {found} is not supported (this build reads version {FORMAT_VERSION})")]
    UnsupportedVersion { found: u32 },
    #[error("the model file is truncated or has trailing bytes ({found} bytes, expected {expected})")]
    Length { found: usize, expected: usize },
    #[error("the model's feature configuration is invalid: {0}")]
    BadConfig(&'static str),
    #[error("the model file is corrupt (checksum mismatch)")]
    BadChecksum,
}

/// Gives each model built in this process its own id, for caches keyed by model.
fn next_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// A trained triage model.
#[derive(Clone)]
pub struct Model {
    id: u64,
    pub(crate) config: FeatureConfig,
    /// `HEADS` weights per bucket, bucket after bucket.
    pub(crate) weights: Vec<i8>,
    pub(crate) scales: [f32; HEADS],
    pub(crate) bias: [f32; HEADS],
    /// The probability of the complaint intent above which `complaint` is set.
    pub(crate) complaint_threshold: f32,
}

impl PartialEq for Model {
    fn eq(&self, other: &Model) -> bool {
        self.config == other.config
            && self.weights == other.weights
            && self.scales == other.scales
            && self.bias == other.bias
            && self.complaint_threshold == other.complaint_threshold
    }
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model")
            .field("config", &self.config)
            .field("buckets", &(self.weights.len() / HEADS))
            .field("bias", &self.bias)
            .field("complaint_threshold", &self.complaint_threshold)
            .finish()
    }
}

fn validate(config: &FeatureConfig) -> Result<(), ModelError> {
    if !(10..=22).contains(&config.bucket_bits) {
        return Err(ModelError::BadConfig("bucket bits must be between 10 and 22"));
    }
    if config.char_max > 8 || config.char_min > 8 {
        return Err(ModelError::BadConfig("character n-grams must be at most 8 bytes"));
    }
    // Judging sums a word's character n-gram weights in 16 bits.
    if char_count_for_len(config, usize::MAX) * usize::from(i8::MAX.unsigned_abs()) > i16::MAX as usize {
        return Err(ModelError::BadConfig("too many character n-gram sizes (at most 258 n-grams a word)"));
    }
    Ok(())
}

impl Model {
    /// Builds a model from trained weights (`HEADS` per bucket), quantising them.
    pub(crate) fn quantise(
        config: FeatureConfig,
        weights: &[f32],
        bias: [f32; HEADS],
        complaint_threshold: f32,
    ) -> Model {
        let mut scales = [0f32; HEADS];
        for (h, scale) in scales.iter_mut().enumerate() {
            let max = weights.iter().skip(h).step_by(HEADS).fold(0f32, |m, w| m.max(w.abs()));
            *scale = if max > 0.0 { max / f32::from(i8::MAX) } else { 1.0 };
        }
        let q = weights
            .iter()
            .enumerate()
            .map(|(i, w)| (w / scales[i % HEADS]).round().clamp(-127.0, 127.0) as i8)
            .collect();
        Model { id: next_id(), config, weights: q, scales, bias, complaint_threshold }
    }

    /// The feature configuration the model was trained with.
    pub fn config(&self) -> FeatureConfig {
        self.config
    }

    /// The raw scores (log-odds up to a constant) of every head.
    #[inline]
    pub(crate) fn score(&self, feats: &[Feat]) -> [f32; HEADS] {
        let mut acc = [0f32; HEADS];
        for f in feats {
            let start = f.bucket as usize * HEADS;
            if let Some(row) = self.weights.get(start..start + HEADS) {
                for (a, w) in acc.iter_mut().zip(row) {
                    *a += f32::from(*w) * f.value;
                }
            }
        }
        self.finish(acc)
    }

    /// Turns sums of unscaled weights into scores: scale and bias per head.
    #[inline]
    pub(crate) fn finish(&self, mut acc: [f32; HEADS]) -> [f32; HEADS] {
        for ((a, s), b) in acc.iter_mut().zip(&self.scales).zip(&self.bias) {
            *a = *a * s + b;
        }
        acc
    }

    /// The weights of one bucket, one per head, before scaling.
    #[inline]
    pub(crate) fn row(&self, bucket: u32) -> [f32; HEADS] {
        let start = bucket as usize * HEADS;
        let mut out = [0f32; HEADS];
        if let Some(row) = self.weights.get(start..start + HEADS) {
            for (o, w) in out.iter_mut().zip(row) {
                *o = f32::from(*w);
            }
        }
        out
    }

    /// The weights of one bucket, one per head, as stored.
    #[inline]
    pub(crate) fn row_i8(&self, bucket: u32) -> [i8; HEADS] {
        let start = bucket as usize * HEADS;
        self.weights.get(start..start + HEADS).and_then(|r| <[i8; HEADS]>::try_from(r).ok()).unwrap_or([0; HEADS])
    }

    /// A number that differs between models built in one process (clones share it).
    pub(crate) fn id(&self) -> u64 {
        self.id
    }

    /// Writes the model in the versioned file format.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER_LEN + self.weights.len() + 8);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        let c = &self.config;
        out.extend_from_slice(&[
            c.bucket_bits,
            c.char_min,
            c.char_max,
            u8::from(c.bigrams),
            c.char_weight_tenths,
            0,
            0,
            0,
        ]);
        out.extend_from_slice(&(HEADS as u32).to_le_bytes());
        for s in self.scales {
            out.extend_from_slice(&s.to_le_bytes());
        }
        for b in self.bias {
            out.extend_from_slice(&b.to_le_bytes());
        }
        out.extend_from_slice(&self.complaint_threshold.to_le_bytes());
        out.extend(self.weights.iter().map(|w| w.to_le_bytes()[0]));
        let sum = hash_bytes(CHECKSUM_SEED, &out);
        out.extend_from_slice(&sum.to_le_bytes());
        out
    }

    /// Reads a model written by [`Model::to_bytes`]. Any other input gives an
    /// error, never a panic.
    pub fn from_bytes(bytes: &[u8]) -> Result<Model, ModelError> {
        let mut r = Reader { bytes, at: 0 };
        if r.take(8) != Some(MAGIC.as_slice()) {
            return Err(ModelError::BadMagic);
        }
        let version = r.u32().ok_or(ModelError::Length { found: bytes.len(), expected: HEADER_LEN })?;
        if version != FORMAT_VERSION {
            return Err(ModelError::UnsupportedVersion { found: version });
        }
        let short = ModelError::Length { found: bytes.len(), expected: HEADER_LEN };
        let c = r.take(8).ok_or(short.clone())?;
        let config = FeatureConfig {
            bucket_bits: c[0],
            char_min: c[1],
            char_max: c[2],
            bigrams: match c[3] {
                0 => false,
                1 => true,
                _ => return Err(ModelError::BadConfig("the bigram flag must be 0 or 1")),
            },
            char_weight_tenths: c[4],
        };
        if c[5..] != [0, 0, 0] {
            return Err(ModelError::BadConfig("reserved bytes must be zero"));
        }
        validate(&config)?;
        if r.u32().ok_or(short.clone())? != HEADS as u32 {
            return Err(ModelError::BadConfig("the model must have eight heads"));
        }
        let mut scales = [0f32; HEADS];
        for s in &mut scales {
            *s = r.f32().ok_or(short.clone())?;
        }
        let mut bias = [0f32; HEADS];
        for b in &mut bias {
            *b = r.f32().ok_or(short.clone())?;
        }
        let complaint_threshold = r.f32().ok_or(short)?;
        let finite = scales.iter().chain(&bias).all(|v| v.is_finite());
        if !finite || !(0.0..=1.0).contains(&complaint_threshold) {
            return Err(ModelError::BadConfig("scales, biases and thresholds must be finite and in range"));
        }
        let n_weights = (1usize << config.bucket_bits) * HEADS;
        let expected = HEADER_LEN + n_weights + 8;
        if bytes.len() != expected {
            return Err(ModelError::Length { found: bytes.len(), expected });
        }
        let body = &bytes[..expected - 8];
        let mut sum = [0u8; 8];
        sum.copy_from_slice(&bytes[expected - 8..]);
        if hash_bytes(CHECKSUM_SEED, body) != u64::from_le_bytes(sum) {
            return Err(ModelError::BadChecksum);
        }
        let weights = bytes[HEADER_LEN..expected - 8].iter().map(|b| i8::from_le_bytes([*b])).collect();
        Ok(Model { id: next_id(), config, weights, scales, bias, complaint_threshold })
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let s = self.bytes.get(self.at..self.at.checked_add(n)?)?;
        self.at += n;
        Some(s)
    }

    fn u32(&mut self) -> Option<u32> {
        let s = self.take(4)?;
        Some(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
    }

    fn f32(&mut self) -> Option<f32> {
        self.u32().map(f32::from_bits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn tiny() -> Model {
        let config = FeatureConfig { bucket_bits: 10, ..FeatureConfig::default() };
        let weights: Vec<f32> = (0..(1 << 10) * HEADS).map(|i| ((i % 97) as f32 - 48.0) / 10.0).collect();
        Model::quantise(config, &weights, [0.5; HEADS], 0.5)
    }

    #[test]
    fn round_trips() {
        let m = tiny();
        let bytes = m.to_bytes();
        assert_eq!(Model::from_bytes(&bytes), Ok(m));
    }

    #[test]
    fn rejects_damage_with_a_reason() {
        let bytes = tiny().to_bytes();
        assert_eq!(Model::from_bytes(b"nope"), Err(ModelError::BadMagic));
        let mut v2 = bytes.clone();
        v2[8] = 2;
        assert_eq!(Model::from_bytes(&v2), Err(ModelError::UnsupportedVersion { found: 2 }));
        assert!(matches!(Model::from_bytes(&bytes[..bytes.len() - 1]), Err(ModelError::Length { .. })));
        let mut flipped = bytes.clone();
        let mid = flipped.len() / 2;
        flipped[mid] ^= 1;
        assert_eq!(Model::from_bytes(&flipped), Err(ModelError::BadChecksum));
        let mut bits = bytes;
        bits[12] = 40;
        assert!(matches!(Model::from_bytes(&bits), Err(ModelError::BadConfig(_))));
    }

    proptest! {
        #[test]
        fn never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = Model::from_bytes(&bytes);
        }

        #[test]
        fn never_panics_on_a_damaged_header(cut in 0usize..200, at in 0usize..100, byte in any::<u8>()) {
            let mut bytes = tiny().to_bytes();
            if at < bytes.len() {
                bytes[at] = byte;
            }
            bytes.truncate(bytes.len().saturating_sub(cut));
            let _ = Model::from_bytes(&bytes);
        }
    }
}
