//! How a message's judgement is kept: the fields people filter on are
//! columns (sentiment, score, intent, complaint, urgent, spam), and the rest
//! is a lean JSON document in `messages.triage` that repeats none of them:
//! `{"l":"en","r":[["#fail","negative",3.84]],"u":[...],"e":[["hashtag",80,85]]}`.
//! An entity's text is not stored: it is the message's text over the
//! entity's byte span. A message is written once and read many times, and on
//! a two-core machine every byte the writer does not write is throughput.
//! Rows written before this form (the whole judgement as JSON) still read.

use std::borrow::Cow;

use firebreak_domain::judgement::{Entity, EntityKind, Intent, Judgement, Reason, Sentiment, Towards, UrgentReason};
use serde::{Deserialize, Serialize};

#[derive(Serialize)]
struct LeanOut<'a> {
    l: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    r: Vec<(&'a str, Towards, f32)>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    u: &'a [UrgentReason],
    #[serde(skip_serializing_if = "Vec::is_empty")]
    e: Vec<EntityOut<'a>>,
}

/// An entity: kind and span, and the catalogue's name when it has one.
#[derive(Serialize)]
#[serde(untagged)]
enum EntityOut<'a> {
    Plain(EntityKind, usize, usize),
    Named(EntityKind, usize, usize, &'a str),
}

#[derive(Deserialize)]
struct LeanIn {
    l: String,
    #[serde(default)]
    r: Vec<(String, Towards, f32)>,
    #[serde(default)]
    u: Vec<UrgentReason>,
    #[serde(default)]
    e: Vec<EntityIn>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum EntityIn {
    Named(EntityKind, usize, usize, String),
    Plain(EntityKind, usize, usize),
}

/// The lean JSON of a judgement (what the `triage` column holds).
pub fn to_column(j: &Judgement) -> String {
    let out = LeanOut {
        l: &j.language,
        r: j.reasons.iter().map(|r| (r.feature.as_str(), r.towards, r.weight)).collect(),
        u: &j.urgent_reasons,
        e: j.entities
            .iter()
            .map(|e| match &e.canonical {
                Some(c) => EntityOut::Named(e.kind, e.start, e.end, c),
                None => EntityOut::Plain(e.kind, e.start, e.end),
            })
            .collect(),
    };
    serde_json::to_string(&out).unwrap_or_default()
}

/// The columns a judgement is read back with.
pub struct Columns<'a> {
    pub sentiment: Option<&'a str>,
    pub score: Option<f64>,
    pub intent: Option<&'a str>,
    pub complaint: Option<bool>,
    pub urgent: Option<bool>,
    pub spam: Option<bool>,
}

/// The same columns, owned (as read from a row).
pub struct Owned {
    pub sentiment: Option<String>,
    pub score: Option<f64>,
    pub intent: Option<String>,
    pub complaint: Option<bool>,
    pub urgent: Option<bool>,
    pub spam: Option<bool>,
}

impl Owned {
    pub fn borrowed(&self) -> Columns<'_> {
        Columns {
            sentiment: self.sentiment.as_deref(),
            score: self.score,
            intent: self.intent.as_deref(),
            complaint: self.complaint,
            urgent: self.urgent,
            spam: self.spam,
        }
    }
}

/// The judgement of a stored message from its columns, its `triage` JSON
/// and its text; `None` when it was never judged or cannot be read.
pub fn from_columns(c: &Columns<'_>, json: &str, text: &str) -> Option<Judgement> {
    if json.contains("\"sentiment\"") {
        // A row from before the lean form: the whole judgement.
        return serde_json::from_str(json).ok();
    }
    let lean: LeanIn = serde_json::from_str(json).ok()?;
    let span = |s: usize, e: usize| text.get(s..e).unwrap_or_default().to_owned();
    Some(Judgement {
        sentiment: c.sentiment.and_then(Sentiment::parse)?,
        sentiment_score: c.score.unwrap_or(0.0) as f32,
        intent: c.intent.and_then(Intent::parse)?,
        complaint: c.complaint.unwrap_or(false),
        urgent: c.urgent.unwrap_or(false),
        urgent_reasons: lean.u,
        entities: lean
            .e
            .into_iter()
            .map(|e| match e {
                EntityIn::Plain(kind, start, end) => {
                    Entity { kind, text: span(start, end), start, end, canonical: None }
                }
                EntityIn::Named(kind, start, end, c) => {
                    Entity { kind, text: span(start, end), start, end, canonical: Some(c) }
                }
            })
            .collect(),
        language: Cow::Owned(lean.l),
        spam: c.spam.unwrap_or(false),
        reasons: lean.r.into_iter().map(|(feature, towards, weight)| Reason { feature, towards, weight }).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_judgement_round_trips_through_the_columns_and_the_lean_json() {
        let text = "@AmericanAir flight AA1234 cancelled AGAIN, cancelling my card #fail";
        let j = firebreak_triage_free_judgement(text);
        let json = to_column(&j);
        assert!(!json.contains("sentiment") && !json.contains("AA1234"), "{json}");
        let c = Columns {
            sentiment: Some(j.sentiment.as_str()),
            score: Some(f64::from(j.sentiment_score)),
            intent: Some(j.intent.as_str()),
            complaint: Some(j.complaint),
            urgent: Some(j.urgent),
            spam: Some(j.spam),
        };
        let back = from_columns(&c, &json, text).unwrap();
        assert_eq!(back, j);
        // A row written in the old, whole form still reads.
        let old = serde_json::to_string(&j).unwrap();
        assert_eq!(from_columns(&c, &old, text).unwrap(), j);
    }

    /// A judgement built by hand (the store does not depend on triage).
    fn firebreak_triage_free_judgement(text: &str) -> Judgement {
        let at = |s: &str| text.find(s).unwrap();
        Judgement {
            sentiment: Sentiment::Negative,
            sentiment_score: -0.75,
            intent: Intent::Complaint,
            complaint: true,
            urgent: true,
            urgent_reasons: vec![UrgentReason {
                reason: firebreak_domain::judgement::UrgentKind::Churn,
                words: vec!["cancelling my card".into()],
            }],
            entities: vec![
                Entity {
                    kind: EntityKind::FlightNumber,
                    text: "AA1234".into(),
                    start: at("AA1234"),
                    end: at("AA1234") + 6,
                    canonical: None,
                },
                Entity {
                    kind: EntityKind::Hashtag,
                    text: "#fail".into(),
                    start: at("#fail"),
                    end: at("#fail") + 5,
                    canonical: None,
                },
                Entity {
                    kind: EntityKind::Competitor,
                    text: "@AmericanAir".into(),
                    start: 0,
                    end: 12,
                    canonical: Some("American Airlines".into()),
                },
            ],
            language: Cow::Borrowed("en"),
            spam: false,
            reasons: vec![Reason { feature: "#fail".into(), weight: 3.84, towards: Towards::Negative }],
        }
    }
}
