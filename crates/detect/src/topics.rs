//! Topics and terms: what a message is about, read off its words, for the
//! keys the burst detector counts and the terms the emerging-terms sketch
//! tracks.
//!
//! A [`TopicCatalogue`] maps each topic to word patterns: `cancel*` matches
//! every word starting with `cancel` (`cancelled`, `cancellations`), a word
//! without `*` matches only itself, and a pattern of several words matches
//! them in a row (`on hold`). Matching ignores case. The built-in catalogue
//! covers what customer-care teams commonly count (cancellations, delays,
//! baggage, refunds, billing, outages...); a brand replaces or extends it
//! from its settings. It never reads labels, only the text.

use serde::{Deserialize, Serialize};

use crate::ConfigError;

/// One topic and the patterns that show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopicRule {
    pub name: String,
    pub patterns: Vec<String>,
}

/// A pattern compiled: words, each exact or a prefix.
#[derive(Debug, Clone)]
struct Pattern {
    words: Vec<(String, bool)>,
}

impl Pattern {
    fn matches_at(&self, words: &[&str], i: usize) -> bool {
        self.words.iter().enumerate().all(|(k, (w, prefix))| {
            words.get(i + k).is_some_and(|t| if *prefix { t.starts_with(w.as_str()) } else { *t == w })
        })
    }
}

/// Topics with their compiled patterns.
#[derive(Debug, Clone)]
pub struct TopicCatalogue {
    topics: Vec<(String, Vec<Pattern>)>,
}

/// The built-in topics: what care teams in travel, retail, telecoms and
/// utilities most often count.
pub fn default_topics() -> Vec<TopicRule> {
    let rule = |name: &str, patterns: &[&str]| TopicRule {
        name: name.to_string(),
        patterns: patterns.iter().map(|p| p.to_string()).collect(),
    };
    vec![
        rule("cancellation", &["cancel*", "canceled", "cancelation*"]),
        rule("delay", &["delay*", "late", "later", "waiting", "stuck", "missed", "on time", "still no", "hours"]),
        rule("baggage", &["bag", "bags", "baggage", "luggage", "suitcase*", "lost bag*"]),
        rule("booking", &["book*", "reservation*", "rebook*", "ticket*", "seat*", "upgrade*", "itinerary"]),
        rule("refund", &["refund*", "reimburs*", "compensat*", "voucher*", "money back"]),
        rule("billing", &["bill", "bills", "billing", "charge*", "charging", "overcharg*", "fee", "fees", "invoice*"]),
        rule(
            "customer_service",
            &[
                "on hold",
                "hold time",
                "call back",
                "customer service",
                "agent*",
                "phone*",
                "calling",
                "rude",
                "hung up",
            ],
        ),
        rule(
            "outage",
            &[
                "outage*",
                "no signal",
                "no internet",
                "no service",
                "not working",
                "is down",
                "offline",
                "no power",
                "power cut",
            ],
        ),
        rule("delivery", &["deliver*", "parcel*", "package*", "shipping", "shipment*", "courier*", "tracking"]),
        rule("website_app", &["website", "app", "site", "online", "login", "log in", "password", "error"]),
    ]
}

impl TopicCatalogue {
    /// The built-in catalogue.
    pub fn builtin() -> TopicCatalogue {
        TopicCatalogue::new(&default_topics()).expect("the built-in topics are valid")
    }

    /// Compiles rules. A topic name must be a lower-case word (letters,
    /// digits, `_`), and every pattern must have at least one word.
    pub fn new(rules: &[TopicRule]) -> Result<TopicCatalogue, ConfigError> {
        let mut topics = Vec::with_capacity(rules.len());
        for rule in rules {
            let ok = !rule.name.is_empty()
                && rule.name.len() <= 40
                && rule.name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            if !ok {
                return Err(ConfigError::invalid("topic name", "a lower-case word of letters, digits and _"));
            }
            let mut patterns = Vec::new();
            for p in &rule.patterns {
                let words: Vec<(String, bool)> = p
                    .split_whitespace()
                    .map(|w| {
                        let lower = w.to_lowercase();
                        match lower.strip_suffix('*') {
                            Some(stem) => (stem.to_string(), true),
                            None => (lower, false),
                        }
                    })
                    .collect();
                if words.is_empty() || words.iter().any(|(w, _)| w.is_empty()) {
                    return Err(ConfigError::invalid("topic pattern", "one or more words, each not only `*`"));
                }
                patterns.push(Pattern { words });
            }
            topics.push((rule.name.clone(), patterns));
        }
        Ok(TopicCatalogue { topics })
    }

    /// The topics of a text, in catalogue order, each once.
    pub fn topics_of(&self, text: &str) -> Vec<&str> {
        let lower = text.to_lowercase();
        let words = words(&lower);
        let mut out = Vec::new();
        for (name, patterns) in &self.topics {
            let hit = (0..words.len()).any(|i| patterns.iter().any(|p| p.matches_at(&words, i)));
            if hit {
                out.push(name.as_str());
            }
        }
        out
    }
}

/// The words of a lower-cased text: runs of letters, digits and `'`, with
/// mentions, hashtags and links left out.
fn words(lower: &str) -> Vec<&str> {
    lower
        .split_whitespace()
        .filter(|w| !w.starts_with('@') && !w.starts_with('#') && !w.starts_with("http"))
        .flat_map(|w| w.split(|c: char| !(c.is_alphanumeric() || c == '\'')))
        .filter(|w| !w.is_empty())
        .collect()
}

/// Words too common to say anything as an emerging term.
const STOP: &[&str] = &[
    "about", "after", "again", "also", "been", "being", "can't", "could", "didn't", "does", "doesn't", "don't", "from",
    "have", "haven't", "just", "know", "like", "make", "more", "much", "need", "only", "over", "please", "really",
    "should", "some", "still", "than", "thank", "thanks", "that", "that's", "their", "them", "then", "there", "they",
    "this", "time", "today", "very", "want", "were", "what", "when", "where", "which", "will", "with", "would", "your",
    "you're", "i'm", "it's", "we're", "guys", "good", "great", "going", "because", "into", "even", "here", "ever",
    "never", "back", "any", "anyone",
];

/// The terms a message adds to the emerging-terms sketch: its hashtags
/// (with `#`) and its content words of four letters or more, each once,
/// lower-cased. Mentions and links are left out: the brand's own handle is
/// in every message.
pub fn terms_of(text: &str) -> Vec<String> {
    let lower = text.to_lowercase();
    let mut out: Vec<String> = Vec::new();
    for raw in lower.split_whitespace() {
        if let Some(tag) = raw.strip_prefix('#') {
            let tag: String = tag.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            if tag.chars().count() >= 2 {
                out.push(format!("#{tag}"));
            }
            continue;
        }
        if raw.starts_with('@') || raw.starts_with("http") {
            continue;
        }
        for w in raw.split(|c: char| !(c.is_alphanumeric() || c == '\'')) {
            let w = w.trim_matches('\'');
            if w.chars().count() >= 4 && !w.bytes().all(|b| b.is_ascii_digit()) && !STOP.contains(&w) {
                out.push(w.to_string());
            }
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_topics_read_airline_complaints() {
        let t = TopicCatalogue::builtin();
        assert_eq!(t.topics_of("@united my flight was cancelled AGAIN"), vec!["cancellation"]);
        // The airline file's texts went through a find-and-replace that
        // turned "Cancel" into "Cancelled Flight": still a cancellation.
        assert_eq!(t.topics_of("@united Cancelled Flightled, no reason given"), vec!["cancellation"]);
        assert_eq!(
            t.topics_of("@USAirways cancelled flight, lost bags, on hold 2 hours"),
            vec!["cancellation", "delay", "baggage", "customer_service"]
        );
        assert!(t.topics_of("@JetBlue thanks, lovely crew").is_empty());
        // Mentions and hashtags are not words: @cancelbot is not a cancellation.
        assert!(t.topics_of("@cancelbot #cancel").is_empty());
    }

    #[test]
    fn phrases_match_words_in_a_row() {
        let t =
            TopicCatalogue::new(&[TopicRule { name: "outage".into(), patterns: vec!["no signal".into()] }]).unwrap();
        assert_eq!(t.topics_of("No signal in SW1A since 9"), vec!["outage"]);
        assert!(t.topics_of("signal: no").is_empty());
    }

    #[test]
    fn bad_rules_are_refused() {
        assert!(TopicCatalogue::new(&[TopicRule { name: "Bad Name".into(), patterns: vec!["x".into()] }]).is_err());
        assert!(TopicCatalogue::new(&[TopicRule { name: "ok".into(), patterns: vec!["*".into()] }]).is_err());
        assert!(TopicCatalogue::new(&[TopicRule { name: "ok".into(), patterns: vec![" ".into()] }]).is_err());
    }

    #[test]
    fn terms_are_hashtags_and_content_words() {
        let terms = terms_of("@united #Fail the flight from Denver was cancelled, CANCELLED! http://x.co/a 1234");
        assert_eq!(terms, vec!["#fail", "cancelled", "denver", "flight"]);
    }
}
