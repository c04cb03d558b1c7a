//! The vocabulary of sparks and incidents: the facets the detectors read off
//! a message (brand, topic, products, area, channel), the keys they count
//! (`brand=united|topic=cancellation`), and an incident candidate with the
//! evidence that raised it.
//!
//! A key is a set of `dimension=value` pairs in a fixed dimension order, so
//! one key has one spelling. A key matches a message when every pair of the
//! key is among the message's facets (an incident keyed `area=SW1A` matches
//! every message from that area, whatever its topic).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{Channel, FieldError, MessageId, Timestamp};

/// What a key can be about, in the order keys spell them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    /// The brand addressed (an airline, a shop): from the handle a post
    /// mentions or the account it was sent to.
    Brand,
    /// What the message is about, from the topic catalogue (`cancellation`,
    /// `delay`, `outage`...).
    Topic,
    /// A product or service from the brand's catalogue.
    Product,
    /// A postal area: the district of a postcode (`SW1A`), a ZIP code.
    Area,
    /// The channel the message came on.
    Channel,
}

impl Dimension {
    pub const ALL: [Dimension; 5] =
        [Dimension::Brand, Dimension::Topic, Dimension::Product, Dimension::Area, Dimension::Channel];

    pub fn as_str(self) -> &'static str {
        match self {
            Dimension::Brand => "brand",
            Dimension::Topic => "topic",
            Dimension::Product => "product",
            Dimension::Area => "area",
            Dimension::Channel => "channel",
        }
    }

    pub fn parse(s: &str) -> Option<Dimension> {
        Dimension::ALL.into_iter().find(|d| d.as_str() == s)
    }
}

/// What the detectors know of one message: everything a key can match.
/// Values are lower-cased, except areas, which are upper-cased like
/// [`crate::PostalArea`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facets {
    pub brand: Option<String>,
    pub topics: Vec<String>,
    pub products: Vec<String>,
    pub area: Option<String>,
    pub channel: Option<Channel>,
}

impl Facets {
    /// True when the message has this value on this dimension.
    pub fn has(&self, dim: Dimension, value: &str) -> bool {
        match dim {
            Dimension::Brand => self.brand.as_deref() == Some(value),
            Dimension::Topic => self.topics.iter().any(|t| t == value),
            Dimension::Product => self.products.iter().any(|p| p == value),
            Dimension::Area => self.area.as_deref().is_some_and(|a| area_within(a, value)),
            Dimension::Channel => self.channel.is_some_and(|c| c.as_str() == value),
        }
    }
}

/// True when the postal area `postal` lies in `area`: the same, or `area`
/// followed by a space starts it (`SW1A` holds `SW1A 1AA`), or `area` is a
/// run of digits that starts it (the ZIP prefix `941` holds `94107`).
pub fn area_within(postal: &str, area: &str) -> bool {
    if area.is_empty() {
        return false;
    }
    postal == area
        || postal.strip_prefix(area).is_some_and(|rest| rest.starts_with(' '))
        || (area.bytes().all(|b| b.is_ascii_digit()) && postal.starts_with(area))
}

/// The district of a postal area, the unit bursts are counted in: the first
/// word of a postcode (`SW1A 1AA` -> `SW1A`), or the whole value.
pub fn district(postal: &str) -> &str {
    postal.split(' ').next().unwrap_or(postal)
}

/// A set of `dimension=value` pairs, in dimension order, each dimension at
/// most once: what a burst counts and what an incident matches.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key(Vec<(Dimension, String)>);

impl Key {
    /// A key from pairs in any order. Values are trimmed; areas are
    /// upper-cased and other values lower-cased.
    pub fn new(pairs: impl IntoIterator<Item = (Dimension, String)>) -> Result<Key, FieldError> {
        let mut out: Vec<(Dimension, String)> = Vec::new();
        for (dim, value) in pairs {
            let value = normalise(dim, &value);
            if value.is_empty()
                || value.len() > 100
                || value.contains(['|', '='])
                || value.chars().any(char::is_control)
            {
                return Err(FieldError::new(
                    "invalid_key",
                    format!("`{}` is not a value for {}", value.chars().take(40).collect::<String>(), dim.as_str()),
                ));
            }
            if out.iter().any(|(d, _)| *d == dim) {
                return Err(FieldError::new("invalid_key", format!("{} appears twice in one key", dim.as_str())));
            }
            out.push((dim, value));
        }
        if out.is_empty() {
            return Err(FieldError::new("invalid_key", "a key needs at least one dimension=value pair"));
        }
        out.sort_by_key(|(d, _)| *d);
        Ok(Key(out))
    }

    /// Parses `brand=united|topic=cancellation`.
    pub fn parse(s: &str) -> Result<Key, FieldError> {
        let mut pairs = Vec::new();
        for part in s.split('|') {
            let Some((dim, value)) = part.split_once('=') else {
                return Err(FieldError::new("invalid_key", format!("`{part}` is not dimension=value")));
            };
            let Some(dim) = Dimension::parse(dim.trim()) else {
                return Err(FieldError::new(
                    "invalid_key",
                    format!("`{}` is not a dimension (brand, topic, product, area, channel)", dim.trim()),
                ));
            };
            pairs.push((dim, value.to_string()));
        }
        Key::new(pairs)
    }

    pub fn pairs(&self) -> &[(Dimension, String)] {
        &self.0
    }

    /// The value on one dimension, if the key has it.
    pub fn get(&self, dim: Dimension) -> Option<&str> {
        self.0.iter().find(|(d, _)| *d == dim).map(|(_, v)| v.as_str())
    }

    /// True when every pair of the key is among the message's facets.
    pub fn matches(&self, facets: &Facets) -> bool {
        self.0.iter().all(|(d, v)| facets.has(*d, v))
    }
}

fn normalise(dim: Dimension, value: &str) -> String {
    let v = value.split_whitespace().collect::<Vec<_>>().join(" ");
    if dim == Dimension::Area { v.to_uppercase() } else { v.to_lowercase() }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (d, v)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("|")?;
            }
            write!(f, "{}={}", d.as_str(), v)?;
        }
        Ok(())
    }
}

impl Serialize for Key {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Key::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// A value and how often it was seen, in a candidate's evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Counted {
    pub value: String,
    pub count: u64,
}

/// What a burst detector saw when it raised a candidate: enough for a
/// supervisor to judge it without opening anything else.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// The count in the bucket that crossed the threshold.
    pub observed: u32,
    /// What the key's baseline expected for that bucket.
    pub expected: f64,
    /// The Poisson upper tail of `observed` given `expected`.
    pub p_value: f64,
    /// `observed / expected`.
    pub ratio: f64,
    /// The start of the bucket, and its length.
    pub bucket_start: Timestamp,
    pub bucket_ms: i64,
    /// Counts of the last buckets, oldest first, the alerting one last.
    pub sparkline: Vec<u32>,
    /// The terms that grew most across all messages at the time.
    pub top_terms: Vec<Counted>,
    /// A few of the messages that were counted.
    pub samples: Vec<MessageId>,
    /// Postal areas and products among the counted messages.
    pub areas: Vec<Counted>,
    pub products: Vec<Counted>,
}

/// A burst the detectors raised: a proposal for an incident that a person
/// opens with one click, or dismisses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewCandidate {
    pub key: Key,
    /// Stream time when it was raised (the time of the message that crossed
    /// the threshold).
    pub raised_at: Timestamp,
    pub evidence: Evidence,
}

/// Where an incident is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentStatus {
    Investigating,
    Identified,
    Monitoring,
    Resolved,
}

impl IncidentStatus {
    pub const ALL: [IncidentStatus; 4] = [
        IncidentStatus::Investigating,
        IncidentStatus::Identified,
        IncidentStatus::Monitoring,
        IncidentStatus::Resolved,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            IncidentStatus::Investigating => "investigating",
            IncidentStatus::Identified => "identified",
            IncidentStatus::Monitoring => "monitoring",
            IncidentStatus::Resolved => "resolved",
        }
    }

    pub fn parse(s: &str) -> Option<IncidentStatus> {
        IncidentStatus::ALL.into_iter().find(|x| x.as_str() == s)
    }

    pub fn is_open(self) -> bool {
        self != IncidentStatus::Resolved
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_have_one_spelling() {
        let a = Key::parse("topic=Cancellation|brand=United").unwrap();
        let b = Key::new([(Dimension::Brand, "united".into()), (Dimension::Topic, "cancellation".into())]).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.to_string(), "brand=united|topic=cancellation");
        assert_eq!(Key::parse("area=sw1a").unwrap().to_string(), "area=SW1A");
    }

    #[test]
    fn bad_keys_are_refused() {
        for bad in ["", "brand", "colour=red", "brand=a|brand=b", "brand=", "topic=a=b"] {
            assert!(Key::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn keys_match_facets() {
        let f = Facets {
            brand: Some("united".into()),
            topics: vec!["cancellation".into(), "delay".into()],
            products: vec![],
            area: Some("SW1A 1AA".into()),
            channel: Some(Channel::X),
        };
        assert!(Key::parse("brand=united|topic=delay").unwrap().matches(&f));
        assert!(Key::parse("area=SW1A|channel=x").unwrap().matches(&f));
        assert!(!Key::parse("area=SW1").unwrap().matches(&f));
        assert!(!Key::parse("brand=delta").unwrap().matches(&f));
        assert!(!Key::parse("product=broadband").unwrap().matches(&f));
    }

    #[test]
    fn areas_nest() {
        assert!(area_within("SW1A 1AA", "SW1A"));
        assert!(area_within("SW1A 1AA", "SW1A 1AA"));
        assert!(!area_within("SW1A 1AA", "SW1"));
        assert!(area_within("94107", "941"));
        assert!(!area_within("94107", ""));
        assert_eq!(district("SW1A 1AA"), "SW1A");
        assert_eq!(district("94107"), "94107");
    }
}
