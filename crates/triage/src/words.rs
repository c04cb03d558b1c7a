//! The word table: one lookup per token gives its lexicon valence, whether it
//! negates, strengthens or softens, its intent cues and which languages use
//! it. Built once from the lists in `lexicon` and `language`, keyed by the
//! token's hash.

use std::sync::OnceLock;

use crate::entities;
use crate::hash::hash_str;
use crate::intent::SUGGESTION_PHRASES;
use crate::language::{LATIN_LANGS, STOPWORDS};
use crate::lexicon::{BOOSTERS, DIMINISHERS, EMOJI, NEGATIVE, NEGATORS, POSITIVE};

/// The seed of the word hash: a token's identity everywhere in the crate.
pub(crate) const WORD_SEED: u64 = 0x0005_EED0_F704_E5A1;

/// Bits of [`WordInfo::flags`].
pub(crate) mod flags {
    pub const NEGATOR: u16 = 1;
    pub const BOOSTER: u16 = 2;
    pub const DIMINISHER: u16 = 4;
    pub const CONTRAST: u16 = 8;
    pub const QUESTION_START: u16 = 16;
    pub const SUGGESTION: u16 = 32;
    pub const THANKS: u16 = 64;
    pub const ENGLISH_LEXICON: u16 = 128;
    pub const SUGGESTION_START: u16 = 256;
    pub const FLIGHT_WORD: u16 = 512;
    pub const ORDER_WORD: u16 = 1024;
    pub const BOOKING_WORD: u16 = 2048;
    pub const ACCOUNT_WORD: u16 = 4096;
    /// May stand between such a word and its number (`order number: 123`).
    pub const NUMBER_FILLER: u16 = 8192;
}

/// What the tables know about one normalised token.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct WordInfo {
    pub valence: f32,
    pub flags: u16,
    /// One bit per language of [`LATIN_LANGS`] that commonly uses the word.
    pub langs: u8,
}

const CONTRAST_WORDS: &[&str] = &["but", "however", "although", "though", "yet"];
const QUESTION_STARTS: &[&str] = &[
    "what",
    "why",
    "how",
    "when",
    "where",
    "who",
    "which",
    "whats",
    "hows",
    "whos",
    "wheres",
    "whens",
    "can",
    "could",
    "do",
    "does",
    "did",
    "is",
    "are",
    "was",
    "were",
    "will",
    "would",
    "should",
    "any",
    "anyone",
    "anybody",
    "has",
    "have",
    "may",
    "am",
    "shall",
    "whom",
    "whose",
    "wondering",
    "wonder",
    "curious",
];
const SUGGESTION_WORDS: &[&str] = &[
    "should",
    "shouldve",
    "suggest",
    "suggestion",
    "suggestions",
    "idea",
    "consider",
    "wish",
    "recommend",
    "maybe",
    "perhaps",
    "improve",
    "improvement",
    "feature",
    "option",
    "hopefully",
    "add",
    "bring",
    "offer",
    "allow",
    "ought",
];
const THANKS_WORDS: &[&str] =
    &["thanks", "thank", "thankyou", "thx", "ty", "appreciate", "appreciated", "grateful", "kudos"];

/// An open-addressing table from token hash to [`WordInfo`].
pub(crate) struct WordTable {
    keys: Vec<u64>,
    values: Vec<WordInfo>,
    mask: usize,
}

impl WordTable {
    fn build() -> WordTable {
        let mut entries: Vec<(u64, WordInfo)> = Vec::new();
        let mut add = |word: &str, f: &dyn Fn(&mut WordInfo)| {
            let h = hash_str(WORD_SEED, word);
            if let Some(e) = entries.iter_mut().find(|(k, _)| *k == h) {
                f(&mut e.1);
            } else {
                let mut info = WordInfo::default();
                f(&mut info);
                entries.push((h, info));
            }
        };
        for (w, v) in POSITIVE.iter().chain(NEGATIVE) {
            add(w, &|i| {
                i.valence = *v;
                i.flags |= flags::ENGLISH_LEXICON;
            });
        }
        for (w, v) in EMOJI {
            add(w, &|i| i.valence = *v);
        }
        for (list, flag) in [
            (NEGATORS, flags::NEGATOR),
            (BOOSTERS, flags::BOOSTER),
            (DIMINISHERS, flags::DIMINISHER),
            (CONTRAST_WORDS, flags::CONTRAST),
            (QUESTION_STARTS, flags::QUESTION_START),
            (SUGGESTION_WORDS, flags::SUGGESTION),
            (THANKS_WORDS, flags::THANKS),
            (entities::FLIGHT_WORDS, flags::FLIGHT_WORD),
            (entities::ORDER_WORDS, flags::ORDER_WORD),
            (entities::BOOKING_WORDS, flags::BOOKING_WORD),
            (entities::ACCOUNT_WORDS, flags::ACCOUNT_WORD),
            (entities::FILLERS, flags::NUMBER_FILLER),
        ] {
            for w in list {
                add(w, &|i| i.flags |= flag);
            }
        }
        for phrase in SUGGESTION_PHRASES {
            if let Some(first) = phrase.first() {
                add(first, &|i| i.flags |= flags::SUGGESTION_START);
            }
        }
        for (bit, list) in STOPWORDS.iter().enumerate() {
            debug_assert!(bit < LATIN_LANGS.len());
            for w in list.iter() {
                add(w, &|i| i.langs |= 1 << bit);
            }
        }
        let size = (entries.len() * 2).next_power_of_two();
        let mut keys = vec![0u64; size];
        let mut values = vec![WordInfo::default(); size];
        let mask = size - 1;
        for (h, info) in entries {
            // The zero hash marks an empty slot; a word hashing to zero is dropped.
            if h == 0 {
                continue;
            }
            let mut slot = (h as usize) & mask;
            while keys[slot] != 0 {
                slot = (slot + 1) & mask;
            }
            keys[slot] = h;
            values[slot] = info;
        }
        WordTable { keys, values, mask }
    }

    /// What is known about the token whose word hash is `h` (nothing, by default).
    #[inline]
    pub fn get(&self, h: u64) -> WordInfo {
        let mut slot = (h as usize) & self.mask;
        loop {
            let k = self.keys[slot];
            if k == h {
                return self.values[slot];
            }
            if k == 0 {
                return WordInfo::default();
            }
            slot = (slot + 1) & self.mask;
        }
    }
}

/// The one word table, built on first use.
pub(crate) fn table() -> &'static WordTable {
    static TABLE: OnceLock<WordTable> = OnceLock::new();
    TABLE.get_or_init(WordTable::build)
}

/// Looks a normalised token up.
#[cfg(test)]
pub(crate) fn lookup(norm: &str) -> WordInfo {
    table().get(hash_str(WORD_SEED, norm))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_what_the_lists_say() {
        assert!(lookup("terrible").valence < -3.0);
        assert!(lookup("great").valence > 3.0);
        assert_eq!(lookup("zzzz-not-a-word"), WordInfo::default());
        assert!(lookup("didnt").flags & flags::NEGATOR != 0);
        assert!(lookup("why").flags & flags::QUESTION_START != 0);
        assert!(lookup("😡").valence < 0.0);
        assert!(lookup("gracias").langs & 2 != 0);
        assert!(lookup("de").langs.count_ones() >= 4);
    }
}
