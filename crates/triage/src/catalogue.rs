//! A brand's catalogue: its order, booking and account number patterns, and
//! its products and competitors with their aliases. Built once from a
//! configuration (which the engine may read from a file) and shared.

use serde::{Deserialize, Serialize};

use crate::features::Analysis;
use crate::hash::hash_str;
use crate::judgement::EntityKind;
use crate::pattern::{IdPattern, PatternError};
use crate::tokenize::{TokKind, Token};

/// A product or competitor and the other names people use for it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogueEntry {
    pub name: String,
    /// Other spellings: `iphone x`, `@Delta`, `delta airlines`. Matching
    /// ignores case; an alias starting with `@` matches that handle.
    #[serde(default)]
    pub aliases: Vec<String>,
}

/// The serialisable form of a catalogue, for example from a brand's settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogueConfig {
    /// Patterns in the syntax of [`IdPattern`], such as `#{3}-#{7}-#{7}`.
    #[serde(default)]
    pub order_patterns: Vec<String>,
    #[serde(default)]
    pub booking_patterns: Vec<String>,
    #[serde(default)]
    pub account_patterns: Vec<String>,
    #[serde(default)]
    pub products: Vec<CatalogueEntry>,
    #[serde(default)]
    pub competitors: Vec<CatalogueEntry>,
}

/// One alias, as the keys of its tokens.
#[derive(Debug, Clone)]
struct Alias {
    keys: Vec<u64>,
    kind: EntityKind,
    entry: usize,
}

/// A compiled catalogue. The default one is empty: only the built-in,
/// keyword-driven number rules apply.
#[derive(Debug, Clone, Default)]
pub struct Catalogue {
    pub(crate) patterns: Vec<(EntityKind, IdPattern)>,
    names: Vec<String>,
    aliases: Vec<Alias>,
    /// (first key, alias index), sorted, for binary search.
    first: Vec<(u64, usize)>,
}

const HANDLE_SEED: u64 = 0x4A4D_D1E5;

/// The key of a token for alias matching: its word hash, or for a mention the
/// hash of its lower-cased handle.
fn token_key(text: &str, a: &Analysis, i: usize, t: &Token) -> u64 {
    if t.kind == TokKind::Mention {
        let raw = text.get(t.start as usize..t.end as usize).unwrap_or("");
        hash_str(HANDLE_SEED, &raw.to_ascii_lowercase())
    } else {
        a.hashes[i]
    }
}

impl Catalogue {
    pub fn new() -> Catalogue {
        Catalogue::default()
    }

    /// Compiles a configuration; the first bad pattern is the error.
    pub fn from_config(config: &CatalogueConfig) -> Result<Catalogue, PatternError> {
        let mut c = Catalogue::new();
        for (kind, list) in [
            (EntityKind::OrderNumber, &config.order_patterns),
            (EntityKind::BookingNumber, &config.booking_patterns),
            (EntityKind::AccountNumber, &config.account_patterns),
        ] {
            for p in list {
                c.patterns.push((kind, IdPattern::parse(p)?));
            }
        }
        for e in &config.products {
            c = c.named(EntityKind::Product, &e.name, &e.aliases);
        }
        for e in &config.competitors {
            c = c.named(EntityKind::Competitor, &e.name, &e.aliases);
        }
        Ok(c)
    }

    /// Adds an order number pattern.
    pub fn order_pattern(mut self, pattern: &str) -> Result<Catalogue, PatternError> {
        self.patterns.push((EntityKind::OrderNumber, IdPattern::parse(pattern)?));
        Ok(self)
    }

    /// Adds a booking (reservation, confirmation) number pattern.
    pub fn booking_pattern(mut self, pattern: &str) -> Result<Catalogue, PatternError> {
        self.patterns.push((EntityKind::BookingNumber, IdPattern::parse(pattern)?));
        Ok(self)
    }

    /// Adds an account (customer, member) number pattern.
    pub fn account_pattern(mut self, pattern: &str) -> Result<Catalogue, PatternError> {
        self.patterns.push((EntityKind::AccountNumber, IdPattern::parse(pattern)?));
        Ok(self)
    }

    /// Adds a product; its name is an alias too.
    pub fn product(self, name: &str, aliases: &[impl AsRef<str>]) -> Catalogue {
        self.named(EntityKind::Product, name, aliases)
    }

    /// Adds a competitor; its name is an alias too.
    pub fn competitor(self, name: &str, aliases: &[impl AsRef<str>]) -> Catalogue {
        self.named(EntityKind::Competitor, name, aliases)
    }

    fn named(mut self, kind: EntityKind, name: &str, aliases: &[impl AsRef<str>]) -> Catalogue {
        let entry = self.names.len();
        self.names.push(name.to_owned());
        let mut a = Analysis::new();
        for alias in std::iter::once(name).chain(aliases.iter().map(AsRef::as_ref)) {
            a.read(alias);
            let keys: Vec<u64> = a.tokens.list.iter().enumerate().map(|(i, t)| token_key(alias, &a, i, t)).collect();
            if keys.is_empty() || self.aliases.iter().any(|x| x.keys == keys && x.kind == kind) {
                continue;
            }
            self.first.push((keys[0], self.aliases.len()));
            self.aliases.push(Alias { keys, kind, entry });
        }
        self.first.sort_unstable();
        self
    }

    pub(crate) fn has_names(&self) -> bool {
        !self.aliases.is_empty()
    }

    /// Finds products and competitors: at each token the longest alias that
    /// starts there. Returns (kind, canonical name, first token, last token).
    pub(crate) fn find_names(&self, text: &str, a: &Analysis, out: &mut Vec<(EntityKind, String, usize, usize)>) {
        if self.aliases.is_empty() {
            return;
        }
        let list = &a.tokens.list;
        let keys: Vec<u64> = list.iter().enumerate().map(|(i, t)| token_key(text, a, i, t)).collect();
        let mut i = 0;
        while i < keys.len() {
            let from = self.first.partition_point(|(k, _)| *k < keys[i]);
            let mut best: Option<&Alias> = None;
            for &(k, idx) in &self.first[from..] {
                if k != keys[i] {
                    break;
                }
                let alias = &self.aliases[idx];
                let fits = keys.get(i..i + alias.keys.len()) == Some(alias.keys.as_slice());
                if fits && best.is_none_or(|b| alias.keys.len() > b.keys.len()) {
                    best = Some(alias);
                }
            }
            if let Some(b) = best {
                let last = i + b.keys.len() - 1;
                out.push((b.kind, self.names[b.entry].clone(), i, last));
                i = last + 1;
            } else {
                i += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_aliases_longest_first_and_handles() {
        let c = Catalogue::new()
            .product("TrueBlue", &["true blue", "trueblue points"])
            .competitor("Delta", &["@Delta", "delta airlines"]);
        let text = "Switching from TrueBlue points to Delta Airlines, @delta please help";
        let mut a = Analysis::new();
        a.read(text);
        let mut out = Vec::new();
        c.find_names(text, &a, &mut out);
        let spans: Vec<(EntityKind, &str, &str)> = out
            .iter()
            .map(|(k, n, f, l)| {
                let s = a.tokens.list[*f].start as usize;
                let e = a.tokens.list[*l].end as usize;
                (*k, n.as_str(), &text[s..e])
            })
            .collect();
        assert_eq!(
            spans,
            [
                (EntityKind::Product, "TrueBlue", "TrueBlue points"),
                (EntityKind::Competitor, "Delta", "Delta Airlines"),
                (EntityKind::Competitor, "Delta", "@delta")
            ]
        );
    }

    #[test]
    fn reads_a_config() {
        let json = r##"{"order_patterns": ["#{3}-#{7}-#{7}"], "competitors": [{"name": "Delta"}]}"##;
        let config: CatalogueConfig = serde_json::from_str(json).unwrap_or_default();
        let c = Catalogue::from_config(&config);
        assert!(c.as_ref().is_ok_and(|c| c.patterns.len() == 1 && c.has_names()));
        let bad = CatalogueConfig { booking_patterns: vec!["#{9".into()], ..CatalogueConfig::default() };
        assert!(Catalogue::from_config(&bad).is_err());
    }
}
