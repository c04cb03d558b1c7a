//! Scoring a message for a judgement, fast. What a token adds on its own
//! (its unigram, negated or not, and its character n-grams) depends only on
//! the token and the model, so it is summed once and kept in a small
//! per-thread cache; only the features that depend on neighbours (bigrams,
//! lexicon, position, length) are looked up for each message. The sums are
//! those of [`Model::score`] over the message's features, in another order.
//!
//! Each token's row of per-head sums is kept, so the reasons come for free.

use crate::features::{Analysis, NO_TOKEN, char_buckets, char_count, char_value, context_features, has_chars};
use crate::features::{hashtag_word_bucket, unigram_bucket, word_value};
use crate::model::{HEADS, Model};
use crate::tokenize::{TokKind, Token};

/// What one token adds to each head on its own, before scaling.
#[derive(Debug, Clone, Copy, Default)]
struct Cached {
    uni: [f32; HEADS],
    negated: [f32; HEADS],
    chars: [f32; HEADS],
    /// How many character n-grams `chars` sums.
    char_count: u32,
}

/// Slots in the cache (direct-mapped by word hash: a clash just recomputes).
const CACHE_SLOTS: usize = 1 << 12;

/// The per-thread cache of token sums for one model.
pub(crate) struct TokenCache {
    model: u64,
    keys: Vec<u64>,
    values: Vec<Cached>,
    /// Scratch: each token's character n-gram sums, until their weight is known.
    chars: Vec<[f32; HEADS]>,
}

impl TokenCache {
    pub fn new() -> TokenCache {
        TokenCache { model: 0, keys: Vec::new(), values: Vec::new(), chars: Vec::new() }
    }

    fn reset(&mut self, model: u64) {
        self.model = model;
        self.keys.clear();
        self.keys.resize(CACHE_SLOTS, 0);
        self.values.clear();
        self.values.resize(CACHE_SLOTS, Cached::default());
    }

    fn get(&mut self, model: &Model, hash: u64, norm: &str, t: &Token) -> &Cached {
        let slot = (hash as usize) & (CACHE_SLOTS - 1);
        if self.keys[slot] == hash && hash != 0 {
            return &self.values[slot];
        }
        let cfg = model.config();
        let mut c = Cached {
            uni: model.row(unigram_bucket(&cfg, hash, false)),
            negated: model.row(unigram_bucket(&cfg, hash, true)),
            chars: [0.0; HEADS],
            char_count: 0,
        };
        if t.kind == TokKind::Hashtag {
            add(&mut c.uni, &model.row(hashtag_word_bucket(&cfg, norm)), 1.0);
            add(&mut c.negated, &model.row(hashtag_word_bucket(&cfg, norm)), 1.0);
        }
        if has_chars(t.kind) {
            char_buckets(&cfg, norm, |b| add(&mut c.chars, &model.row(b), 1.0));
            c.char_count = u32::try_from(char_count(&cfg, norm)).unwrap_or(u32::MAX);
        }
        self.keys[slot] = hash;
        self.values[slot] = c;
        &self.values[slot]
    }
}

#[inline]
fn add(acc: &mut [f32; HEADS], row: &[f32; HEADS], value: f32) {
    for (a, r) in acc.iter_mut().zip(row) {
        *a += r * value;
    }
}

/// Scores every head of a message, and leaves in `per_token` what each
/// token added to each head before scaling (the last row holds what belongs
/// to no token).
pub(crate) fn score_message(
    model: &Model,
    a: &Analysis,
    cache: &mut TokenCache,
    per_token: &mut Vec<[f32; HEADS]>,
) -> [f32; HEADS] {
    if cache.model != model.id() || cache.keys.len() != CACHE_SLOTS {
        cache.reset(model.id());
    }
    let cfg = model.config();
    let n = a.tokens.len();
    per_token.clear();
    per_token.resize(n + 1, [0.0; HEADS]);
    let wv = word_value(n);
    // What each token adds with the word weight goes in at once; the character
    // n-grams' weight depends on how many the whole message has, so their
    // sums wait in `cache.chars`.
    let mut chars = 0usize;
    let mut stash = std::mem::take(&mut cache.chars);
    stash.clear();
    for (i, t) in a.tokens.list.iter().enumerate() {
        let c = cache.get(model, a.hashes[i], a.tokens.norm(t), t);
        add(&mut per_token[i], if a.negated[i] { &c.negated } else { &c.uni }, wv);
        chars += c.char_count as usize;
        stash.push(c.chars);
    }
    let cv = char_value(&cfg, chars);
    if cv != 0.0 {
        for (row, c) in per_token.iter_mut().zip(&stash) {
            add(row, c, cv);
        }
    }
    cache.chars = stash;
    context_features(a, &cfg, |bucket, value, tok, tok2| {
        let w = model.row(bucket);
        let first = if tok == NO_TOKEN { tok2 } else { tok };
        let first = usize::from(first).min(n);
        if tok2 == NO_TOKEN || tok == NO_TOKEN {
            add(&mut per_token[first], &w, value);
        } else {
            add(&mut per_token[first], &w, value * 0.5);
            add(&mut per_token[usize::from(tok2).min(n)], &w, value * 0.5);
        }
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
        for text in [
            "@united not good at all, CANCELLED again #fail",
            "Thanks for the quick rebooking! :)",
            "",
            "#fail #fail",
            "why is flight 123 late?",
        ] {
            for _ in 0..2 {
                a.run(text, &model.config());
                let plain = model.score(&a.feats);
                let fast = score_message(model, &a, &mut cache, &mut rows);
                for h in 0..HEADS {
                    assert!((plain[h] - fast[h]).abs() < 1e-3, "{text}: {plain:?} {fast:?}");
                }
            }
        }
    }
}
