//! Feature extraction: from the tokens of a message to hashed, weighted
//! features (word uni- and bigrams with negation scope, character n-grams,
//! lexicon valences, capitals, elongation, position cues), each remembering
//! the token it came from so that the reasons can name words.

use crate::hash::{combine, hash_short, hash_str, mix};
use crate::lexscore::{self, LexScore};
use crate::tokenize::{TokKind, Tokens, tokenize};
use crate::words::{self, WORD_SEED, WordInfo, flags};

/// No token: the feature describes the whole message.
pub(crate) const NO_TOKEN: u16 = u16::MAX;

/// How features are extracted; saved in the model so that a model is always
/// read with the features it was trained on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeatureConfig {
    /// The number of hash buckets is `1 << bucket_bits`.
    pub bucket_bits: u8,
    /// The shortest and longest character n-gram (in bytes, within a word).
    pub char_min: u8,
    pub char_max: u8,
    /// Word bigrams on or off.
    pub bigrams: bool,
    /// Character n-grams weight, in tenths (10 = the same weight as words).
    pub char_weight_tenths: u8,
}

impl Default for FeatureConfig {
    fn default() -> FeatureConfig {
        FeatureConfig { bucket_bits: 16, char_min: 3, char_max: 5, bigrams: true, char_weight_tenths: 10 }
    }
}

/// One active feature: its bucket, its value and the token or tokens it came from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Feat {
    pub bucket: u32,
    pub value: f32,
    pub tok: u16,
    pub tok2: u16,
}

// Seeds of the feature families. They are part of the model format.
const SEED_UNI: u64 = 0x01;
const SEED_NEG: u64 = 0x02;
const SEED_BI: u64 = 0x03;
const SEED_LEX_POS: u64 = 0x05;
const SEED_LEX_NEG: u64 = 0x06;
const SEED_CAPS: u64 = 0x07;
const SEED_ELONG: u64 = 0x08;
const SEED_FIRST: u64 = 0x09;
const SEED_LAST: u64 = 0x0A;
const SEED_COMPOUND: u64 = 0x0B;
const SEED_LEN: u64 = 0x0C;
const SEED_BOS: u64 = 0x0D;
const SEED_EOS: u64 = 0x0E;

/// Mixed into character n-gram hashes, once per n-gram length.
const CHAR_SALT: u64 = 0xD6E8_FEB8_6659_FD93;

/// The longest word prefix that gives character n-grams, in bytes.
const MAX_CHAR_WORD: usize = 40;

/// Everything read from one message on the way to a judgement. Kept between
/// calls (per thread) so that judging allocates little.
#[derive(Default)]
pub(crate) struct Analysis {
    pub tokens: Tokens,
    /// The word hash of each token.
    pub hashes: Vec<u64>,
    pub infos: Vec<WordInfo>,
    /// Whether each token is in the scope of a negation.
    pub negated: Vec<bool>,
    /// The phrase key of each token (see `phrases`).
    pub keys: Vec<u64>,
    pub lex: LexScore,
    pub feats: Vec<Feat>,
}

impl Analysis {
    pub fn new() -> Analysis {
        Analysis {
            tokens: Tokens::with_capacity(64),
            hashes: Vec::with_capacity(64),
            infos: Vec::with_capacity(64),
            negated: Vec::with_capacity(64),
            keys: Vec::with_capacity(64),
            lex: LexScore::default(),
            feats: Vec::with_capacity(512),
        }
    }

    /// Tokenises `text` and looks every token up in the word table, without model features.
    pub fn read(&mut self, text: &str) {
        let table = words::table();
        self.read_with(text, |h, _, _| table.get(h));
    }

    /// Tokenises `text` and looks every token up with `look_up(word hash,
    /// normalised form, kind)`, which must give what the word table gives.
    pub fn read_with(&mut self, text: &str, look_up: impl FnMut(u64, &str, TokKind) -> WordInfo) {
        self.scan(text);
        self.look_up(look_up);
    }

    /// The first half of [`Analysis::read_with`]: tokenises `text` and hashes every token.
    pub fn scan(&mut self, text: &str) {
        tokenize(text, &mut self.tokens);
        self.hashes.clear();
        self.keys.clear();
        for t in &self.tokens.list {
            let len = Tokens::norm_len(t);
            let head = self.tokens.head(t);
            let h = if len <= 8 { hash_short(WORD_SEED, head, len) } else { hash_str(WORD_SEED, self.tokens.norm(t)) };
            self.hashes.push(h);
            self.keys.push(crate::phrases::key_of_head(head, len));
        }
    }

    /// The second half of [`Analysis::read_with`]: looks the scanned tokens
    /// up, then marks negation and scores the message with the lexicon.
    pub fn look_up(&mut self, mut look_up: impl FnMut(u64, &str, TokKind) -> WordInfo) {
        self.infos.clear();
        for (t, &h) in self.tokens.list.iter().zip(&self.hashes) {
            self.infos.push(look_up(h, self.tokens.norm(t), t.kind));
        }
        mark_negation(&self.tokens, &self.infos, &mut self.negated);
        lexscore::score(&self.tokens, &self.infos, &self.negated, &mut self.lex);
    }

    /// Reads `text` and extracts its model features.
    pub fn run(&mut self, text: &str, cfg: &FeatureConfig) {
        self.read(text);
        extract(self, cfg);
    }
}

/// Words after a negator, up to three words or the end of the clause, are negated.
fn mark_negation(tokens: &Tokens, infos: &[WordInfo], out: &mut Vec<bool>) {
    out.clear();
    let mut left = 0u8;
    for (t, info) in tokens.list.iter().zip(infos) {
        if t.clause_end || info.flags & flags::CONTRAST != 0 {
            left = 0;
            out.push(false);
            continue;
        }
        out.push(left > 0 && t.kind == TokKind::Word);
        if info.flags & flags::NEGATOR != 0 {
            left = 3;
        } else if left > 0 && t.kind == TokKind::Word {
            left -= 1;
        }
    }
}

#[inline]
fn bucket(h: u64, seed: u64, bits: u8) -> u32 {
    (mix(h ^ seed.wrapping_mul(0xA24B_AED4_963E_E407)) >> (64 - u32::from(bits))) as u32
}

/// The value of every word feature of a message with `tokens` tokens.
#[inline]
pub(crate) fn word_value(tokens: usize) -> f32 {
    1.0 / ((tokens + 1) as f32).sqrt()
}

/// The value of every character n-gram feature of a message with `count` of them.
#[inline]
pub(crate) fn char_value(cfg: &FeatureConfig, count: usize) -> f32 {
    if count == 0 { 0.0 } else { f32::from(cfg.char_weight_tenths) / 10.0 / (count as f32).sqrt() }
}

/// The unigram bucket of a token with word hash `h`, negated or not.
#[inline]
pub(crate) fn unigram_bucket(cfg: &FeatureConfig, h: u64, negated: bool) -> u32 {
    bucket(h, if negated { SEED_NEG } else { SEED_UNI }, cfg.bucket_bits)
}

/// For a hashtag, the unigram bucket of its word: `#fail` also counts as `fail`.
#[inline]
pub(crate) fn hashtag_word_bucket(cfg: &FeatureConfig, norm: &str) -> u32 {
    bucket(hash_str(WORD_SEED, norm.trim_start_matches('#')), SEED_UNI, cfg.bucket_bits)
}

/// Whether tokens of this kind have character n-grams.
#[inline]
pub(crate) fn has_chars(kind: TokKind) -> bool {
    matches!(kind, TokKind::Word | TokKind::Hashtag)
}

/// How many character n-grams a word (or hashtag) of this normalised form has.
pub(crate) fn char_count(cfg: &FeatureConfig, norm: &str) -> usize {
    char_count_for_len(cfg, norm.trim_start_matches('#').len())
}

/// How many character n-grams a word of `len` bytes (without `#`) has.
pub(crate) fn char_count_for_len(cfg: &FeatureConfig, len: usize) -> usize {
    if cfg.char_min == 0 || cfg.char_min > cfg.char_max {
        return 0;
    }
    let padded = len.min(MAX_CHAR_WORD) + 2;
    (cfg.char_min..=cfg.char_max.min(8)).map(|n| (padded + 1).saturating_sub(usize::from(n))).sum()
}

/// Calls `f` with the bucket of every character n-gram of a word: the word,
/// marked `<word>`, cut into n-grams of `char_min` to `char_max` bytes.
pub(crate) fn char_buckets(cfg: &FeatureConfig, norm: &str, mut f: impl FnMut(u32)) {
    if cfg.char_min == 0 || cfg.char_min > cfg.char_max {
        return;
    }
    // The padded word sits in a buffer with eight spare zero bytes, so that
    // every n-gram is one 8-byte load, masked to its length.
    let mut buf = [0u8; MAX_CHAR_WORD + 2 + 8];
    let shift = 64 - u32::from(cfg.bucket_bits);
    let word = norm.trim_start_matches('#').as_bytes();
    let len = word.len().min(MAX_CHAR_WORD);
    buf[0] = b'<';
    buf[1..=len].copy_from_slice(&word[..len]);
    buf[len + 1] = b'>';
    let padded_len = len + 2;
    for size in cfg.char_min..=cfg.char_max.min(8) {
        let size = usize::from(size);
        if size > padded_len {
            break;
        }
        let mask = if size == 8 { u64::MAX } else { (1u64 << (size * 8)) - 1 };
        let salt = CHAR_SALT.wrapping_mul(size as u64);
        for start in 0..=padded_len - size {
            let mut word8 = [0u8; 8];
            word8.copy_from_slice(&buf[start..start + 8]);
            let x = (u64::from_le_bytes(word8) & mask) ^ salt;
            let h = (x.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (x >> 29)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            f((h >> shift) as u32);
        }
    }
}

/// Calls `f(bucket, value, token, second token)` for every feature that
/// depends on a token's neighbours or on the whole message: bigrams,
/// lexicon valences, capitals, elongation, the first and last token, the
/// lexicon's verdict and the length. (Unigrams and character n-grams depend
/// on one token alone; see [`extract`].)
pub(crate) fn context_features(a: &Analysis, cfg: &FeatureConfig, mut f: impl FnMut(u32, f32, u16, u16)) {
    let n = a.tokens.len();
    let tok = |i: usize| u16::try_from(i).unwrap_or(NO_TOKEN);
    let wv = word_value(n);
    bigram_buckets(a, cfg, |k, b| {
        let first = if k == 0 { NO_TOKEN } else { tok(k - 1) };
        let second = if k == n { NO_TOKEN } else { tok(k) };
        f(b, wv, first, second);
    });
    single_context_features(a, cfg, f);
}

/// Calls `f(k, bucket)` for every word bigram, when the configuration has
/// them: the `k`-th joins token `k - 1` (or the start) to token `k` (or the
/// end), `k` from 0 to the number of tokens. Their value is [`word_value`].
#[inline]
pub(crate) fn bigram_buckets(a: &Analysis, cfg: &FeatureConfig, mut f: impl FnMut(usize, u32)) {
    let n = a.tokens.len();
    if !cfg.bigrams || n == 0 {
        return;
    }
    let bits = cfg.bucket_bits;
    let mut prev = SEED_BOS;
    for (k, &h) in a.hashes.iter().enumerate() {
        f(k, bucket(combine(prev, h), SEED_BI, bits));
        prev = h;
    }
    f(n, bucket(combine(prev, SEED_EOS), SEED_BI, bits));
}

/// The features of [`context_features`] other than bigrams: each belongs to
/// one token or to none.
pub(crate) fn single_context_features(a: &Analysis, cfg: &FeatureConfig, mut f: impl FnMut(u32, f32, u16, u16)) {
    let bits = cfg.bucket_bits;
    let tokens = &a.tokens;
    let n = tokens.len();
    let tok = |i: usize| u16::try_from(i).unwrap_or(NO_TOKEN);
    for (i, t) in tokens.list.iter().enumerate() {
        let v = a.lex.valences.get(i).copied().unwrap_or(0.0);
        if v > 0.0 {
            f(bucket(0, SEED_LEX_POS, bits), v / 4.0, tok(i), NO_TOKEN);
        } else if v < 0.0 {
            f(bucket(0, SEED_LEX_NEG, bits), -v / 4.0, tok(i), NO_TOKEN);
        }
        if t.caps && t.end - t.start >= 3 {
            f(bucket(0, SEED_CAPS, bits), 0.5, tok(i), NO_TOKEN);
        }
        if t.elongated {
            f(bucket(0, SEED_ELONG, bits), 0.5, tok(i), NO_TOKEN);
        }
    }
    // The first and last tokens after the leading mentions: `why ...`, `... ?`.
    if let Some(first) = tokens.list.iter().position(|t| t.kind != TokKind::Mention) {
        f(bucket(a.hashes[first], SEED_FIRST, bits), 1.0, tok(first), NO_TOKEN);
    }
    if let Some(last) = tokens.list.iter().rposition(|t| !matches!(t.kind, TokKind::Mention | TokKind::Url)) {
        f(bucket(a.hashes[last], SEED_LAST, bits), 1.0, tok(last), NO_TOKEN);
    }
    // The lexicon's overall verdict, in bins, and the length of the message.
    let compound_bin = ((a.lex.compound + 1.0) * 4.0).clamp(0.0, 7.0) as u64;
    f(bucket(compound_bin, SEED_COMPOUND, bits), 1.0, NO_TOKEN, NO_TOKEN);
    let len_bin = match n {
        0 => 0,
        1..=3 => 1,
        4..=7 => 2,
        8..=15 => 3,
        16..=25 => 4,
        _ => 5,
    };
    f(bucket(len_bin, SEED_LEN, bits), 1.0, NO_TOKEN, NO_TOKEN);
}

/// Lists every feature of an analysed message in `a.feats` (for training and evaluation).
fn extract(a: &mut Analysis, cfg: &FeatureConfig) {
    let mut feats = std::mem::take(&mut a.feats);
    feats.clear();
    let n = a.tokens.len();
    let wv = word_value(n);
    let mut chars = 0;
    for (i, t) in a.tokens.list.iter().enumerate() {
        let tok = u16::try_from(i).unwrap_or(NO_TOKEN);
        feats.push(Feat { bucket: unigram_bucket(cfg, a.hashes[i], a.negated[i]), value: wv, tok, tok2: NO_TOKEN });
        if t.kind == TokKind::Hashtag {
            feats.push(Feat { bucket: hashtag_word_bucket(cfg, a.tokens.norm(t)), value: wv, tok, tok2: NO_TOKEN });
        }
        if has_chars(t.kind) {
            chars += char_count(cfg, a.tokens.norm(t));
        }
    }
    let cv = char_value(cfg, chars);
    for (i, t) in a.tokens.list.iter().enumerate() {
        if has_chars(t.kind) {
            let tok = u16::try_from(i).unwrap_or(NO_TOKEN);
            char_buckets(cfg, a.tokens.norm(t), |b| feats.push(Feat { bucket: b, value: cv, tok, tok2: NO_TOKEN }));
        }
    }
    context_features(a, cfg, |bucket, value, tok, tok2| feats.push(Feat { bucket, value, tok, tok2 }));
    a.feats = feats;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn features_point_back_at_their_tokens() {
        let mut a = Analysis::new();
        let cfg = FeatureConfig::default();
        a.run("@united not good at all, CANCELLED again #fail", &cfg);
        assert!(!a.feats.is_empty());
        let max = 1u32 << cfg.bucket_bits;
        for f in &a.feats {
            assert!(f.bucket < max);
            assert!(f.tok == NO_TOKEN || usize::from(f.tok) < a.tokens.len());
            assert!(f.value.is_finite());
        }
        let good = a.tokens.list.iter().position(|t| a.tokens.norm(t) == "good");
        assert_eq!(good.map(|i| a.negated[i]), Some(true));
    }

    #[test]
    fn char_count_matches_char_buckets() {
        let cfg = FeatureConfig::default();
        for w in ["a", "ab", "abc", "cancelled", "#fail", &"x".repeat(100)] {
            let mut n = 0;
            char_buckets(&cfg, w, |_| n += 1);
            assert_eq!(n, char_count(&cfg, w), "{w}");
        }
    }

    #[test]
    fn the_same_text_gives_the_same_features() {
        let cfg = FeatureConfig::default();
        let mut a = Analysis::new();
        let mut b = Analysis::new();
        a.run("Thanks for the quick rebooking!", &cfg);
        b.run("Thanks for the quick rebooking!", &cfg);
        assert_eq!(a.feats, b.feats);
    }
}
