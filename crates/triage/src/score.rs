//! Scoring a message for a judgement, fast. What a token adds on its own
//! (its unigram, negated or not, and its character n-grams) depends only on
//! the token and the model, so it is summed once and kept in a per-thread
//! cache together with what the word table knows about the token; a token
//! seen before costs one look-up of one cache line. Only the features that
//! depend on neighbours (bigrams, lexicon, position, length) are looked up
//! for each message. The sums are those of [`Model::score`] over the
//! message's features, in another order.
//!
//! Each token's row of per-head sums is kept, so the reasons come for free.

use crate::features::{Analysis, bigram_buckets, char_buckets, char_value, has_chars};
use crate::features::{char_count_for_len, hashtag_word_bucket, unigram_bucket};
use crate::features::{single_context_features, word_value};
use crate::model::{HEADS, Model};
use crate::tokenize::TokKind;
use crate::words::{self, WordInfo};

/// What one token adds to each head on its own, in unscaled weight units,
/// and what the word table knows about it: one cache line.
#[derive(Debug, Clone, Copy, Default)]
#[repr(C, align(64))]
struct Entry {
    /// The token's word hash (0: an empty slot).
    key: u64,
    info: WordInfo,
    uni: [i16; HEADS],
    negated: [i16; HEADS],
    /// The sum of the token's character n-grams (their number depends on
    /// the token's length alone; see [`TokenCache::char_counts`]).
    chars: [i16; HEADS],
}

/// Slots in the cache (direct-mapped by word hash: a clash just recomputes).
/// 8192 lines are 512 KiB: beside the model's 512 KiB, that fits a 1 MiB L2.
const CACHE_SLOTS: usize = 1 << 14;

/// The longest word (in bytes, without `#`) whose character n-gram count is tabulated.
const COUNTED_LEN: usize = 64;

/// The per-thread cache of token sums for one model, and the entries of the
/// tokens of the message being judged.
pub(crate) struct TokenCache {
    model: u64,
    slots: Vec<Entry>,
    /// The entry of each token of the current message, in order.
    tokens: Vec<Entry>,
    /// How many character n-grams the current message has.
    char_total: usize,
    /// Scratch: each token's unigram and bigram weights, in halves.
    halves: Vec<[i16; HEADS]>,
    /// The model rows of the current message's bigrams, in order (see [`TokenCache::warm`]).
    bigrams: Vec<[i8; HEADS]>,
    /// What [`TokenCache::warm`] read, kept so that the reads are not optimised away.
    seen: u64,
    /// Scratch for [`fill`].
    rows: Vec<[i8; HEADS]>,
    /// How many character n-grams a word of each length has.
    char_counts: [u16; COUNTED_LEN + 1],
}

impl TokenCache {
    pub fn new() -> TokenCache {
        TokenCache {
            model: 0,
            slots: Vec::new(),
            tokens: Vec::with_capacity(64),
            char_total: 0,
            halves: Vec::with_capacity(64),
            bigrams: Vec::with_capacity(64),
            seen: 0,
            rows: Vec::with_capacity(128),
            char_counts: [0; COUNTED_LEN + 1],
        }
    }

    /// Prepares for a new message judged with `model`.
    pub fn begin(&mut self, model: &Model) {
        if self.model != model.id() || self.slots.len() != CACHE_SLOTS {
            self.model = model.id();
            self.slots.clear();
            self.slots.resize(CACHE_SLOTS, Entry::default());
            let cfg = model.config();
            for (len, c) in self.char_counts.iter_mut().enumerate() {
                *c = u16::try_from(char_count_for_len(&cfg, len)).unwrap_or(u16::MAX);
            }
        }
        self.tokens.clear();
        self.char_total = 0;
    }

    /// Starts reading, all at once, what the scanned message `a` will need
    /// from memory: its tokens' cache lines and its bigrams' model rows. The
    /// reads of one short loop overlap, where one at a time each would wait.
    pub fn warm(&mut self, model: &Model, a: &Analysis) {
        let mut seen = 0u64;
        for &h in &a.hashes {
            if let Some(e) = self.slots.get((h as usize) & (CACHE_SLOTS - 1)) {
                seen ^= e.key;
            }
        }
        self.seen = seen;
        self.bigrams.clear();
        bigram_buckets(a, &model.config(), |_, b| self.bigrams.push(model.row_i8(b)));
    }

    /// Looks a token up (computing its entry on a miss), remembers its entry
    /// for [`score_message`] and returns what the word table knows about it.
    #[inline]
    pub fn look_up(&mut self, model: &Model, hash: u64, norm: &str, kind: TokKind) -> WordInfo {
        let slot = (hash as usize) & (CACHE_SLOTS - 1);
        let e = match self.slots.get(slot) {
            Some(e) if e.key == hash && hash != 0 => *e,
            _ => {
                let e = fill(model, hash, norm, kind, &mut self.rows);
                if let Some(s) = self.slots.get_mut(slot) {
                    *s = e;
                }
                e
            }
        };
        if has_chars(kind) {
            let len = norm.trim_start_matches('#').len().min(COUNTED_LEN);
            self.char_total += usize::from(self.char_counts[len]);
        }
        self.tokens.push(e);
        e.info
    }
}

/// Computes the entry of a token (`rows` is scratch).
#[cold]
fn fill(model: &Model, hash: u64, norm: &str, kind: TokKind, rows: &mut Vec<[i8; HEADS]>) -> Entry {
    let cfg = model.config();
    let mut e = Entry {
        key: hash,
        info: words::table().get(hash),
        uni: widen(model.row_i8(unigram_bucket(&cfg, hash, false))),
        negated: widen(model.row_i8(unigram_bucket(&cfg, hash, true))),
        chars: [0; HEADS],
    };
    if kind == TokKind::Hashtag {
        let word = model.row_i8(hashtag_word_bucket(&cfg, norm));
        add_i8(&mut e.uni, &word);
        add_i8(&mut e.negated, &word);
    }
    if has_chars(kind) {
        // The model's configuration is checked so that these sums fit (see `model::validate`).
        // All the rows first, in a short loop whose reads overlap; then their sum.
        rows.clear();
        char_buckets(&cfg, norm, |b| rows.push(model.row_i8(b)));
        for row in rows.iter() {
            add_i8(&mut e.chars, row);
        }
    }
    e
}

#[inline]
fn widen(row: [i8; HEADS]) -> [i16; HEADS] {
    row.map(i16::from)
}

#[inline]
fn add_i8(acc: &mut [i16; HEADS], row: &[i8; HEADS]) {
    for (a, r) in acc.iter_mut().zip(row) {
        *a = a.saturating_add(i16::from(*r));
    }
}

#[inline]
fn add(acc: &mut [f32; HEADS], row: &[f32; HEADS], value: f32) {
    for (a, r) in acc.iter_mut().zip(row) {
        *a += r * value;
    }
}

/// Scores every head of a message read with [`TokenCache::look_up`], and
/// leaves in `per_token` what each token added to each head before scaling
/// (the last row holds what belongs to no token).
pub(crate) fn score_message(
    model: &Model,
    a: &Analysis,
    cache: &mut TokenCache,
    per_token: &mut Vec<[f32; HEADS]>,
) -> [f32; HEADS] {
    let cfg = model.config();
    let n = a.tokens.len().min(cache.tokens.len());
    // The features worth `word_value` (unigrams and bigrams) are summed in
    // integers, in halves: a bigram's weight goes half to each of its two
    // tokens (all of it to the one token of the first and the last).
    let halves = &mut cache.halves;
    halves.clear();
    for (e, &negated) in cache.tokens.iter().zip(&a.negated) {
        halves.push((if negated { e.negated } else { e.uni }).map(|w| 2 * w));
    }
    for (k, row) in cache.bigrams.iter().enumerate() {
        let (left, right) = if k == 0 {
            (0, 0)
        } else if k >= n {
            (n - 1, n - 1)
        } else {
            (k - 1, k)
        };
        for i in [left, right] {
            if let Some(h) = halves.get_mut(i) {
                // At most two unigram rows twice and four bigram rows: no overflow.
                for (a, r) in h.iter_mut().zip(row) {
                    *a = a.wrapping_add(i16::from(*r));
                }
            }
        }
    }
    let half_wv = word_value(n) * 0.5;
    let cv = char_value(&cfg, cache.char_total);
    per_token.clear();
    for (h, e) in halves.iter().zip(&cache.tokens) {
        let mut row = [0f32; HEADS];
        for ((r, w), c) in row.iter_mut().zip(h).zip(&e.chars) {
            *r = f32::from(*w) * half_wv + f32::from(*c) * cv;
        }
        per_token.push(row);
    }
    per_token.resize(n + 1, [0.0; HEADS]);
    single_context_features(a, &cfg, |bucket, value, tok, _| {
        let row = &mut per_token[usize::from(tok).min(n)];
        add(row, &model.row(bucket), value);
    });
    let mut acc = [0f32; HEADS];
    for row in per_token.iter() {
        add(&mut acc, row, 1.0);
    }
    model.finish(acc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Triager;

    #[test]
    fn agrees_with_the_plain_sum_over_features() {
        let t = Triager::builtin();
        let model = t.model();
        let mut cache = TokenCache::new();
        let mut rows = Vec::new();
        let mut a = Analysis::new();
        let mut plain_a = Analysis::new();
        for text in [
            "@united not good at all, CANCELLED again #fail",
            "Thanks for the quick rebooking! :)",
            "",
            "#fail #fail",
            "why is flight 123 late?",
            &"supercalifragilisticexpialidocious".repeat(3),
        ] {
            for _ in 0..2 {
                plain_a.run(text, &model.config());
                let plain = model.score(&plain_a.feats);
                cache.begin(model);
                a.scan(text);
                cache.warm(model, &a);
                a.look_up(|h, norm, kind| cache.look_up(model, h, norm, kind));
                assert_eq!(a.infos, plain_a.infos);
                let fast = score_message(model, &a, &mut cache, &mut rows);
                for h in 0..HEADS {
                    assert!((plain[h] - fast[h]).abs() < 1e-3, "{text}: {plain:?} {fast:?}");
                }
            }
        }
    }

    #[test]
    fn an_entry_is_one_cache_line() {
        assert_eq!(std::mem::size_of::<Entry>(), 64);
    }
}
