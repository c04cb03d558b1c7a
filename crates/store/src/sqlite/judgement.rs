//! How a message's judgement is kept: the fields people filter on are
//! columns (sentiment, score, intent, complaint, urgent, spam), and the rest
//! is a compact JSON document in `messages.triage` that repeats none of them:
//! `{"v":3,"l":"en","r":["#fail",0,3.84],"u":[...],"e":[10,80,85]}`. Reasons
//! are flat triples (feature, what it pulled towards as a code, weight);
//! entities are flat triples (a code of the kind, start and end byte), the
//! code plus 100 for one with a catalogue name, the names in order in `n`. An entity's text is not stored: it is
//! the message's text over the entity's byte span. A message is written once
//! and read many times, and on a two-core machine every byte the single
//! writer does not write is throughput (this form is half the size of the
//! one before it).
//!
//! Rows written in the earlier forms still read: the lean form (`{"l":"en",
//! "r":[["#fail","negative",3.84]],"e":[["hashtag",80,85]]}`) and the whole
//! judgement.

use std::borrow::Cow;

use firebreak_domain::judgement::{Entity, EntityKind, Intent, Judgement, Reason, Sentiment, Towards, UrgentReason};
use serde::{Deserialize, Serialize};

/// The code of what a reason pulls towards. Stored in rows: never change
/// one; a new value takes the next number, and joins [`TOWARDS`].
fn towards_code(t: Towards) -> usize {
    match t {
        Towards::Negative => 0,
        Towards::Neutral => 1,
        Towards::Positive => 2,
        Towards::Complaint => 3,
        Towards::Question => 4,
        Towards::Praise => 5,
        Towards::Suggestion => 6,
        Towards::Other => 7,
    }
}

/// Every value a reason can pull towards, to read codes back.
const TOWARDS: [Towards; 8] = [
    Towards::Negative,
    Towards::Neutral,
    Towards::Positive,
    Towards::Complaint,
    Towards::Question,
    Towards::Praise,
    Towards::Suggestion,
    Towards::Other,
];

/// The code of an entity kind. Stored in rows: never change one; a new
/// kind takes the next number.
fn kind_code(k: EntityKind) -> usize {
    match k {
        EntityKind::OrderNumber => 0,
        EntityKind::BookingNumber => 1,
        EntityKind::AccountNumber => 2,
        EntityKind::FlightNumber => 3,
        EntityKind::Postcode => 4,
        EntityKind::ZipCode => 5,
        EntityKind::Phone => 6,
        EntityKind::Email => 7,
        EntityKind::Url => 8,
        EntityKind::Mention => 9,
        EntityKind::Hashtag => 10,
        EntityKind::Product => 11,
        EntityKind::Competitor => 12,
    }
}

/// Added to an entity's kind code when it has a catalogue name.
const NAMED: usize = 100;

fn towards_of(code: usize) -> Option<Towards> {
    TOWARDS.into_iter().find(|t| towards_code(*t) == code)
}

fn kind_of(code: usize) -> Option<EntityKind> {
    EntityKind::ALL.into_iter().find(|k| kind_code(*k) == code)
}

/// One item of a flat triple list.
#[derive(Serialize)]
#[serde(untagged)]
enum Part<'a> {
    Text(&'a str),
    Code(usize),
    Weight(f32),
}

#[derive(Serialize)]
struct CompactOut<'a> {
    v: u8,
    l: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    r: Vec<Part<'a>>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    u: &'a [UrgentReason],
    #[serde(skip_serializing_if = "Vec::is_empty")]
    e: Vec<usize>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    n: Vec<&'a str>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum PartIn {
    Text(String),
    Number(f64),
}

#[derive(Deserialize)]
struct CompactIn {
    l: String,
    #[serde(default)]
    r: Vec<PartIn>,
    #[serde(default)]
    u: Vec<UrgentReason>,
    #[serde(default)]
    e: Vec<usize>,
    #[serde(default)]
    n: Vec<String>,
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

/// The compact JSON of a judgement (what the `triage` column holds).
pub fn to_column(j: &Judgement) -> String {
    let mut r = Vec::with_capacity(j.reasons.len() * 3);
    for reason in &j.reasons {
        r.extend([Part::Text(&reason.feature), Part::Code(towards_code(reason.towards)), Part::Weight(reason.weight)]);
    }
    let mut e = Vec::with_capacity(j.entities.len() * 3);
    let mut n = Vec::new();
    for entity in &j.entities {
        let code = kind_code(entity.kind);
        match &entity.canonical {
            Some(name) => {
                e.push(code + NAMED);
                n.push(name.as_str());
            }
            None => e.push(code),
        }
        e.extend([entity.start, entity.end]);
    }
    serde_json::to_string(&CompactOut { v: 3, l: &j.language, r, u: &j.urgent_reasons, e, n }).unwrap_or_default()
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
    let span = |s: usize, e: usize| text.get(s..e).unwrap_or_default().to_owned();
    let (language, reasons, urgent_reasons, entities) = if json.starts_with("{\"v\":3,") {
        let c: CompactIn = serde_json::from_str(json).ok()?;
        let mut reasons = Vec::with_capacity(c.r.len() / 3);
        for t in c.r.chunks_exact(3) {
            let [PartIn::Text(feature), PartIn::Number(code), PartIn::Number(weight)] = t else { return None };
            let towards = towards_of(*code as usize)?;
            reasons.push(Reason { feature: feature.clone(), towards, weight: *weight as f32 });
        }
        let mut names = c.n.into_iter();
        let mut entities = Vec::with_capacity(c.e.len() / 3);
        for t in c.e.chunks_exact(3) {
            let (code, start, end) = (t[0], t[1], t[2]);
            let (kind, canonical) = match code.checked_sub(NAMED) {
                Some(named) => (kind_of(named)?, Some(names.next()?)),
                None => (kind_of(code)?, None),
            };
            entities.push(Entity { kind, text: span(start, end), start, end, canonical });
        }
        (c.l, reasons, c.u, entities)
    } else {
        let lean: LeanIn = serde_json::from_str(json).ok()?;
        let entities = lean
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
            .collect();
        let reasons =
            lean.r.into_iter().map(|(feature, towards, weight)| Reason { feature, towards, weight }).collect();
        (lean.l, reasons, lean.u, entities)
    };
    Some(Judgement {
        sentiment: c.sentiment.and_then(Sentiment::parse)?,
        sentiment_score: c.score.unwrap_or(0.0) as f32,
        intent: c.intent.and_then(Intent::parse)?,
        complaint: c.complaint.unwrap_or(false),
        urgent: c.urgent.unwrap_or(false),
        urgent_reasons,
        entities,
        language: Cow::Owned(language),
        spam: c.spam.unwrap_or(false),
        reasons,
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
        // Rows written in the earlier forms still read: the whole judgement,
        // and the lean form with names.
        let old = serde_json::to_string(&j).unwrap();
        assert_eq!(from_columns(&c, &old, text).unwrap(), j);
        let lean = r##"{"l":"en","r":[["#fail","negative",3.84]],"u":[{"reason":"churn","words":["cancelling my card"]}],"e":[["flight_number",20,26],["hashtag",63,68],["competitor",0,12,"American Airlines"]]}"##;
        assert_eq!(from_columns(&c, lean, text).unwrap(), j);
    }

    #[test]
    fn every_code_reads_back_as_its_value() {
        for t in TOWARDS {
            assert_eq!(towards_of(towards_code(t)), Some(t));
        }
        for k in EntityKind::ALL {
            assert!(kind_code(k) < NAMED);
            assert_eq!(kind_of(kind_code(k)), Some(k));
        }
    }

    #[test]
    fn the_compact_form_is_far_smaller_than_the_lean_one() {
        let text = "@AmericanAir flight AA1234 cancelled AGAIN, cancelling my card #fail";
        let j = firebreak_triage_free_judgement(text);
        let compact = to_column(&j);
        assert!(compact.starts_with(r#"{"v":3,"#), "{compact}");
        assert!(compact.contains(r##""r":["#fail",0,3.84]"##), "{compact}");
        assert!(compact.contains(r#""e":[3,20,26,10,63,68,112,0,12],"n":["American Airlines"]"#), "{compact}");
        // A reading that is not the codes' is refused, not guessed.
        let c = Columns {
            sentiment: Some("negative"),
            score: Some(-0.5),
            intent: Some("complaint"),
            complaint: None,
            urgent: None,
            spam: None,
        };
        assert!(from_columns(&c, r#"{"v":3,"l":"en","e":[99,0,1]}"#, text).is_none());
        assert!(from_columns(&c, r#"{"v":3,"l":"en","r":["x",42,1.0]}"#, text).is_none());
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
