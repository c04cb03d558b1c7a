//! Contact drivers: the detectors' task counts every inbound contact by hour
//! on each dimension it reads (topic, product, area, brand, channel, and
//! `all`), with its sentiment, and adds the counts to the store after each
//! batch, for the firewall reports.

use std::collections::HashMap;

use firebreak_domain::{Timestamp, incident::Facets, judgement::Sentiment};
use firebreak_store::DriverCount;

use crate::watcher::Observed;

const HOUR_MS: i64 = 3_600_000;

/// The value counted for a contact that matches no topic.
pub const NO_TOPIC: &str = "other";

/// Counts not yet added to the store.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    counts: HashMap<(&'static str, i64, String), DriverCount>,
}

/// Whether a message is a contact the drivers count: inbound, first
/// delivery, not spam.
pub(crate) fn counts(o: &Observed) -> bool {
    o.inbound && !o.duplicate && !o.spam
}

impl Tally {
    /// Counts one contact under each of its facets.
    pub(crate) fn add(&mut self, o: &Observed, f: &Facets) {
        if !counts(o) {
            return;
        }
        let hour = o.created_at.unix_millis().div_euclid(HOUR_MS) * HOUR_MS;
        let mut one = |dimension: &'static str, value: &str| {
            let c = self.counts.entry((dimension, hour, value.to_string())).or_insert_with(|| DriverCount {
                dimension: dimension.to_string(),
                hour: Timestamp::from_unix_millis(hour).unwrap_or(o.created_at),
                value: value.to_string(),
                contacts: 0,
                negative: 0,
                positive: 0,
                sentiment_sum: 0.0,
            });
            c.contacts += 1;
            match o.sentiment {
                Some(Sentiment::Negative) => c.negative += 1,
                Some(Sentiment::Positive) => c.positive += 1,
                _ => {}
            }
            c.sentiment_sum += f64::from(o.sentiment_score);
        };
        one("all", "all");
        if f.topics.is_empty() {
            one("topic", NO_TOPIC);
        }
        for t in &f.topics {
            one("topic", t);
        }
        for p in &f.products {
            one("product", p);
        }
        if let Some(a) = &f.area {
            one("area", a);
        }
        if let Some(b) = &f.brand {
            one("brand", b);
        }
        if let Some(c) = f.channel {
            one("channel", c.as_str());
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }

    /// The counts so far, leaving the tally empty.
    pub(crate) fn take(&mut self) -> Vec<DriverCount> {
        let mut out: Vec<DriverCount> = self.counts.drain().map(|(_, c)| c).collect();
        out.sort_by(|a, b| (&a.dimension, a.hour, &a.value).cmp(&(&b.dimension, b.hour, &b.value)));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use firebreak_domain::{Channel, MessageId};

    fn observed(at_ms: i64, sentiment: Sentiment, score: f32) -> Observed {
        Observed {
            id: MessageId(1),
            duplicate: false,
            channel: Channel::X,
            inbound: true,
            created_at: Timestamp::from_unix_millis(at_ms).unwrap(),
            text: String::new(),
            followers: 0,
            metrics: None,
            sentiment_score: score,
            sentiment: Some(sentiment),
            spam: false,
            shaming: false,
            press_or_regulator: false,
            mentions: vec![],
            products: vec![],
            postal: None,
        }
    }

    fn facets(topics: &[&str], area: Option<&str>) -> Facets {
        Facets {
            brand: Some("united".into()),
            topics: topics.iter().map(|t| t.to_string()).collect(),
            products: vec![],
            area: area.map(str::to_string),
            channel: Some(Channel::X),
        }
    }

    #[test]
    fn each_contact_counts_once_per_value_by_hour() {
        let mut t = Tally::default();
        t.add(&observed(3_600_000 + 5, Sentiment::Negative, -0.8), &facets(&["delay", "refund"], Some("XX1")));
        t.add(&observed(3_600_000 + 99, Sentiment::Positive, 0.6), &facets(&["delay"], None));
        t.add(&observed(7_200_000, Sentiment::Neutral, 0.0), &facets(&[], None));
        // Not contacts: an outbound reply, a re-delivery, spam.
        let mut out = observed(10, Sentiment::Negative, -1.0);
        out.inbound = false;
        t.add(&out, &facets(&["delay"], None));
        let mut dup = observed(10, Sentiment::Negative, -1.0);
        dup.duplicate = true;
        t.add(&dup, &facets(&["delay"], None));
        let mut spam = observed(10, Sentiment::Negative, -1.0);
        spam.spam = true;
        t.add(&spam, &facets(&["delay"], None));

        let counts = t.take();
        assert!(t.is_empty());
        let get = |d: &str, h: i64, v: &str| {
            counts.iter().find(|c| c.dimension == d && c.hour.unix_millis() == h && c.value == v)
        };
        let delay = get("topic", 3_600_000, "delay").unwrap();
        assert_eq!((delay.contacts, delay.negative, delay.positive), (2, 1, 1));
        assert!((delay.sentiment_sum - (-0.2)).abs() < 1e-6);
        assert_eq!(get("topic", 3_600_000, "refund").unwrap().contacts, 1);
        assert_eq!(get("topic", 7_200_000, NO_TOPIC).unwrap().contacts, 1);
        assert_eq!(get("area", 3_600_000, "XX1").unwrap().contacts, 1);
        assert_eq!(get("all", 3_600_000, "all").unwrap().contacts, 2);
        assert_eq!(get("brand", 7_200_000, "united").unwrap().contacts, 1);
        assert_eq!(get("channel", 3_600_000, "x").unwrap().contacts, 2);
        assert!(counts.iter().all(|c| c.hour.unix_millis() != 0));
    }
}
