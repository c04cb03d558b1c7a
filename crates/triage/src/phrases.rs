//! Phrase matching over normalised tokens, for the urgency and spam rules.
//!
//! A phrase is written as words separated by spaces; a word may list
//! alternatives with `|` and end in `*` to match any word that starts so
//! (`cancel*|close* my account|card`); `_` matches any one token. Phrases are
//! indexed by the first three bytes of their first word, so that most tokens
//! are rejected with one table look-up.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::features::Analysis;
use crate::hash::hash_str;
use crate::words::WORD_SEED;

/// One alternative of a phrase word.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Alt {
    /// A whole word, by its word hash.
    Exact(u64),
    Prefix(String),
    Any,
}

impl Alt {
    #[inline]
    fn matches(&self, a: &Analysis, i: usize) -> bool {
        match self {
            Alt::Exact(h) => a.hashes.get(i) == Some(h),
            Alt::Prefix(p) => a.tokens.list.get(i).is_some_and(|t| a.tokens.norm(t).starts_with(p.as_str())),
            Alt::Any => true,
        }
    }
}

#[derive(Debug, Clone)]
struct Phrase {
    words: Vec<Vec<Alt>>,
    tag: u8,
}

/// A hasher for keys that are already hashes.
#[derive(Default)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// Phrases by what their first word must be: a word hash (for whole words)
/// or a key (for prefixes), with a filter that rejects most tokens at once.
#[derive(Debug, Default)]
struct Index {
    /// One bit per value (modulo 4096): a clear bit means no phrase starts so.
    filter: Vec<u64>,
    ids: HashMap<u64, Vec<u16>, BuildHasherDefault<KeyHasher>>,
}

impl Index {
    fn insert(&mut self, value: u64, id: u16) {
        if self.filter.is_empty() {
            self.filter = vec![0; 64];
        }
        self.filter[(value >> 52) as usize & 63] |= 1 << ((value >> 58) & 63);
        let ids = self.ids.entry(value).or_default();
        if !ids.contains(&id) {
            ids.push(id);
        }
    }

    /// The phrases, in the order they were added, whose first word may be so.
    #[inline]
    fn get(&self, value: u64) -> &[u16] {
        match self.filter.get((value >> 52) as usize & 63) {
            Some(bits) if bits & (1 << ((value >> 58) & 63)) != 0 => self.ids.get(&value).map_or(&[], Vec::as_slice),
            _ => &[],
        }
    }
}

/// A set of phrases, each with a tag saying what it means to the caller.
#[derive(Debug, Default)]
pub(crate) struct PhraseSet {
    phrases: Vec<Phrase>,
    /// Phrases whose first word may be a whole word, by its word hash.
    words: Index,
    /// Phrases whose first word may be a prefix, by the prefix's key.
    prefixes: Index,
}

const KEY_SEED: u64 = 0x0B5E_55ED;

/// The key a token is indexed by: its first three bytes (and how many there
/// are), spread over the 64 bits by one multiplication.
#[inline]
pub(crate) fn key(word: &str) -> u64 {
    key_of_head(crate::hash::load(word.as_bytes()), word.len())
}

/// [`key`] of a word of `len` bytes whose first eight are `head` (see `Tokens::head`).
#[inline]
pub(crate) fn key_of_head(head: u64, len: usize) -> u64 {
    let n = len.min(3);
    let x = (n as u64) << 24 | (head & ((1u64 << (8 * n)) - 1));
    (x ^ KEY_SEED).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// A match: the phrase's tag and the tokens it covers (`first..last` inclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PhraseMatch {
    pub tag: u8,
    pub first: usize,
    pub last: usize,
}

impl PhraseSet {
    /// Adds phrases with a tag. Phrases whose first word has a prefix shorter
    /// than three bytes or is `_` are refused (they would match too much);
    /// that is a programming error, caught by the tests of each caller.
    pub fn add(&mut self, tag: u8, phrases: &[&str]) -> Result<(), String> {
        for text in phrases {
            let words: Vec<Vec<Alt>> = text
                .split_whitespace()
                .map(|w| {
                    w.split('|')
                        .map(|alt| match alt {
                            "_" => Alt::Any,
                            a if a.ends_with('*') => Alt::Prefix(a.trim_end_matches('*').to_owned()),
                            a => Alt::Exact(hash_str(WORD_SEED, a)),
                        })
                        .collect()
                })
                .collect();
            let Some(first) = words.first() else { return Err(format!("empty phrase in tag {tag}")) };
            let id = u16::try_from(self.phrases.len()).map_err(|_| "too many phrases".to_owned())?;
            if first.is_empty() {
                return Err(format!("empty phrase in tag {tag}"));
            }
            for alt in text.split_whitespace().next().unwrap_or("").split('|') {
                match alt {
                    "_" => return Err(format!("phrase `{text}` must not start with `_`")),
                    p if p.ends_with('*') && p.len() < 4 => {
                        return Err(format!("phrase `{text}` must start with a word or a prefix of 3+ bytes"));
                    }
                    p if p.ends_with('*') => self.prefixes.insert(key(p.trim_end_matches('*')), id),
                    p => self.words.insert(hash_str(WORD_SEED, p), id),
                }
            }
            self.phrases.push(Phrase { words, tag });
        }
        Ok(())
    }

    /// Every phrase that matches, at every token, in token order (and at one
    /// token, in the order the phrases were added).
    pub fn find(&self, a: &Analysis, out: &mut Vec<PhraseMatch>) {
        let list = &a.tokens.list;
        for (i, (&h, &k)) in a.hashes.iter().zip(&a.keys).enumerate() {
            let (mut words, mut prefixes) = (self.words.get(h), self.prefixes.get(k));
            // The two lists, merged in order, each phrase once.
            loop {
                let id = match (words.first(), prefixes.first()) {
                    (Some(&w), Some(&p)) if w == p => {
                        words = &words[1..];
                        prefixes = &prefixes[1..];
                        w
                    }
                    (Some(&w), Some(&p)) if w < p => {
                        words = &words[1..];
                        w
                    }
                    (_, Some(&p)) => {
                        prefixes = &prefixes[1..];
                        p
                    }
                    (Some(&w), None) => {
                        words = &words[1..];
                        w
                    }
                    (None, None) => break,
                };
                let Some(p) = self.phrases.get(usize::from(id)) else { continue };
                if i + p.words.len() > list.len() {
                    continue;
                }
                let all = p.words.iter().enumerate().all(|(k, alts)| alts.iter().any(|alt| alt.matches(a, i + k)));
                if all {
                    out.push(PhraseMatch { tag: p.tag, first: i, last: i + p.words.len() - 1 });
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_words_prefixes_and_wildcards() {
        let mut set = PhraseSet::default();
        assert!(set.add(1, &["cancel* my account|card", "never fly* _ again"]).is_ok());
        assert!(set.add(2, &["lawyer*"]).is_ok());
        assert!(set.add(3, &["_ x"]).is_err());
        let mut a = Analysis::new();
        a.read("Cancelling my CARD, I will never fly united again and my lawyers agree");
        let mut m = Vec::new();
        set.find(&a, &mut m);
        let tags: Vec<u8> = m.iter().map(|x| x.tag).collect();
        assert_eq!(tags, [1, 1, 2]);
        assert_eq!((m[0].first, m[0].last), (0, 2));
    }
}
