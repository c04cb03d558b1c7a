//! The hand-written urgency and entity labels (`labels/urgent_entities.tsv`:
//! ids into the shared data, never its texts) and their evaluation:
//! precision and recall of `urgent`, of each urgency reason, and of entities.
//!
//! Airline rows are judged with a per-airline catalogue (the airline's own
//! programmes as products, the other airlines as competitors), which is how a
//! brand would configure Firebreak; customer-support rows with the triager's
//! own catalogue.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use firebreak_domain::Channel;

use crate::catalogue::Catalogue;
use crate::data::{DataError, read_airline, read_twcs};
use crate::judgement::{EntityKind, UrgentKind};
use crate::triager::Triager;

/// The labels, embedded at build time.
pub(crate) const LABELS_TSV: &str = include_str!("../labels/urgent_entities.tsv");

/// The bytes of the data files the labels refer to.
#[derive(Debug, Clone, Copy)]
pub struct LabelSources<'a> {
    pub airline_csv: &'a [u8],
    pub twcs_csv: &'a [u8],
}

/// One labelled text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Label {
    pub source: String,
    pub tweet_id: u64,
    pub urgent: Vec<UrgentKind>,
    pub entities: Vec<(EntityKind, String)>,
}

/// Parses the TSV: `source`, `tweet_id`, urgent reasons (`-` or a comma
/// list), entities (`-` or `kind:text` joined by `|`). `#` starts a comment.
pub(crate) fn parse_labels(tsv: &str) -> Result<Vec<Label>, String> {
    let mut out = Vec::new();
    for (n, line) in tsv.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') || line.starts_with("source\t") {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        let [source, id, urgent, entities] = cols[..] else {
            return Err(format!("line {}: expected 4 tab-separated columns", n + 1));
        };
        let tweet_id = id.parse().map_err(|_| format!("line {}: bad tweet id `{id}`", n + 1))?;
        let urgent = if urgent == "-" {
            Vec::new()
        } else {
            urgent
                .split(',')
                .map(|k| UrgentKind::parse(k.trim()).ok_or_else(|| format!("line {}: bad reason `{k}`", n + 1)))
                .collect::<Result<_, _>>()?
        };
        let entities = if entities == "-" {
            Vec::new()
        } else {
            entities
                .split('|')
                .map(|e| {
                    let (kind, text) = e.split_once(':').ok_or_else(|| format!("line {}: bad entity `{e}`", n + 1))?;
                    let kind = EntityKind::parse(kind).ok_or_else(|| format!("line {}: bad kind `{kind}`", n + 1))?;
                    Ok((kind, text.to_owned()))
                })
                .collect::<Result<_, String>>()?
        };
        out.push(Label { source: source.to_owned(), tweet_id, urgent, entities });
    }
    Ok(out)
}

/// True and false positives and false negatives.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub tp: u32,
    pub fp: u32,
    pub fn_: u32,
}

impl Counts {
    pub fn precision(&self) -> f64 {
        if self.tp + self.fp == 0 { 1.0 } else { f64::from(self.tp) / f64::from(self.tp + self.fp) }
    }
    pub fn recall(&self) -> f64 {
        if self.tp + self.fn_ == 0 { 1.0 } else { f64::from(self.tp) / f64::from(self.tp + self.fn_) }
    }
    fn add(&mut self, predicted: bool, gold: bool) {
        match (predicted, gold) {
            (true, true) => self.tp += 1,
            (true, false) => self.fp += 1,
            (false, true) => self.fn_ += 1,
            (false, false) => {}
        }
    }
}

impl fmt::Display for Counts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "precision {:.3} recall {:.3} (tp {} fp {} fn {})",
            self.precision(),
            self.recall(),
            self.tp,
            self.fp,
            self.fn_
        )
    }
}

/// The figures of the urgency and entity labels.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LabelReport {
    pub texts: usize,
    /// Labels whose tweet id was not found in the data.
    pub missing: usize,
    pub urgent: Counts,
    pub reasons: BTreeMap<&'static str, Counts>,
    pub entities: Counts,
    /// Entities other than mentions, hashtags and URLs (the easy ones).
    pub entities_hard: Counts,
    pub entity_kinds: BTreeMap<&'static str, Counts>,
    /// One line per disagreement, for reading.
    pub disagreements: Vec<String>,
}

impl fmt::Display for LabelReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "hand labels: {} texts ({} ids not found)", self.texts, self.missing)?;
        writeln!(f, "urgent:            {}", self.urgent)?;
        for (k, c) in &self.reasons {
            writeln!(f, "  reason {k:<10} {c}")?;
        }
        writeln!(f, "entities:          {}", self.entities)?;
        writeln!(f, "entities (no mention/hashtag/url): {}", self.entities_hard)?;
        for (k, c) in &self.entity_kinds {
            writeln!(f, "  {k:<15} {c}")?;
        }
        Ok(())
    }
}

/// An airline's name, its aliases, and its products with their aliases.
type Airline = (&'static str, &'static [&'static str], &'static [(&'static str, &'static [&'static str])]);

/// Airlines in the data set and their catalogues: own programmes as
/// products, the others as competitors.
fn airline_catalogues() -> HashMap<&'static str, Catalogue> {
    let airlines: [Airline; 6] = [
        (
            "United",
            &["United", "@united", "United Airlines"],
            &[("MileagePlus", &["mileage plus"]), ("Economy Plus", &["economy+", "E+"]), ("United Club", &[])],
        ),
        (
            "American",
            &["American", "@AmericanAir", "American Airlines", "AA"],
            &[("AAdvantage", &["advantage"]), ("Admirals Club", &[])],
        ),
        (
            "Delta",
            &["Delta", "@Delta", "@DeltaAssist", "Delta Airlines"],
            &[("SkyMiles", &["sky miles"]), ("Comfort+", &["comfort plus"]), ("Sky Club", &[])],
        ),
        (
            "Southwest",
            &["Southwest", "@SouthwestAir", "SWA", "Southwest Airlines"],
            &[("Rapid Rewards", &["rapidrewards"]), ("EarlyBird", &["early bird"]), ("Companion Pass", &[])],
        ),
        ("US Airways", &["US Airways", "@USAirways", "USAir"], &[("Dividend Miles", &[])]),
        ("Virgin America", &["Virgin America", "@VirginAmerica", "Virgin"], &[("Elevate", &[])]),
    ];
    let jetblue: &[&str] = &["JetBlue", "@JetBlue", "Jet Blue"];
    let mut out = HashMap::new();
    for (name, _, products) in &airlines {
        let mut c = Catalogue::new();
        for (product, aliases) in products.iter() {
            c = c.product(product, aliases);
        }
        for (other, aliases, _) in airlines.iter().filter(|(o, _, _)| o != name) {
            c = c.competitor(other, aliases);
        }
        c = c.competitor("JetBlue", jetblue);
        out.insert(*name, c);
    }
    // The data set's `Delta` rows address @JetBlue (2,218 of its 2,222 rows
    // do), so that brand's catalogue is JetBlue's, with Delta a competitor.
    let mut jet = Catalogue::new().product("TrueBlue", &["true blue"]).product("Mint", &[] as &[&str]);
    jet = jet.product("Even More Space", &["EMS"]).product("Fly-Fi", &["flyfi"]);
    for (other, aliases, _) in airlines.iter().filter(|(o, _, _)| *o != "Delta") {
        jet = jet.competitor(other, aliases);
    }
    out.insert("Delta", jet.competitor("Delta", &["@Delta", "@DeltaAssist", "Delta Airlines"]));
    out
}

/// Judges every labelled text and compares with the labels.
pub fn evaluate_labels(triager: &Triager, sources: &LabelSources<'_>) -> Result<LabelReport, DataError> {
    let labels = parse_labels(LABELS_TSV).map_err(|message| DataError::BadRow { row: 0, message })?;
    let airline: HashMap<u64, (String, String)> =
        read_airline(sources.airline_csv)?.into_iter().map(|r| (r.tweet_id, (r.airline, r.text))).collect();
    let twcs: HashMap<u64, String> = read_twcs(sources.twcs_csv)?.into_iter().map(|r| (r.tweet_id, r.text)).collect();
    let catalogues = airline_catalogues();
    let mut per_airline: HashMap<&str, Triager> = HashMap::new();
    let mut report = LabelReport::default();
    for label in &labels {
        let found = match label.source.as_str() {
            "airline" => airline.get(&label.tweet_id).map(|(a, t)| (Some(a.as_str()), t.as_str())),
            _ => twcs.get(&label.tweet_id).map(|t| (None, t.as_str())),
        };
        let Some((airline_name, text)) = found else {
            report.missing += 1;
            continue;
        };
        let judge_with = match airline_name.and_then(|a| catalogues.get_key_value(a)) {
            Some((k, c)) => per_airline.entry(k).or_insert_with(|| triager.clone().with_catalogue(c.clone())),
            None => triager,
        };
        let j = judge_with.judge(text, Channel::X);
        report.texts += 1;
        report.urgent.add(j.urgent, !label.urgent.is_empty());
        for kind in UrgentKind::ALL {
            let predicted = j.urgent_reasons.iter().any(|r| r.reason == kind);
            let gold = label.urgent.contains(&kind);
            report.reasons.entry(kind.as_str()).or_default().add(predicted, gold);
            if predicted != gold {
                let words: Vec<&str> = j
                    .urgent_reasons
                    .iter()
                    .filter(|r| r.reason == kind)
                    .flat_map(|r| r.words.iter().map(String::as_str))
                    .collect();
                report.disagreements.push(format!(
                    "{} {} urgent {}: predicted {predicted} {words:?}, labelled {gold}: {}",
                    label.source,
                    label.tweet_id,
                    kind.as_str(),
                    text.replace('\n', " ")
                ));
            }
        }
        let predicted: Vec<(EntityKind, &str)> = j.entities.iter().map(|e| (e.kind, e.text.as_str())).collect();
        let gold: Vec<(EntityKind, &str)> = label.entities.iter().map(|(k, t)| (*k, t.as_str())).collect();
        let easy = |k: EntityKind| matches!(k, EntityKind::Mention | EntityKind::Hashtag | EntityKind::Url);
        for p in &predicted {
            let hit = gold.contains(p);
            report.entities.add(true, hit);
            if !easy(p.0) {
                report.entities_hard.add(true, hit);
            }
            report.entity_kinds.entry(p.0.as_str()).or_default().add(true, hit);
            if !hit {
                report.disagreements.push(format!(
                    "{} {} entity extra {}:{}",
                    label.source,
                    label.tweet_id,
                    p.0.as_str(),
                    p.1
                ));
            }
        }
        for g in &gold {
            if !predicted.contains(g) {
                report.entities.add(false, true);
                if !easy(g.0) {
                    report.entities_hard.add(false, true);
                }
                report.entity_kinds.entry(g.0.as_str()).or_default().add(false, true);
                report.disagreements.push(format!(
                    "{} {} entity missed {}:{}",
                    label.source,
                    label.tweet_id,
                    g.0.as_str(),
                    g.1
                ));
            }
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_labels_parse() {
        let labels = parse_labels(LABELS_TSV);
        assert!(labels.is_ok(), "{labels:?}");
        let labels = labels.unwrap_or_default();
        assert!(labels.len() >= 200, "only {} labels", labels.len());
        assert!(labels.iter().all(|l| l.source == "airline" || l.source == "twcs"));
    }

    #[test]
    fn parses_the_format() {
        let l = parse_labels("# c\nairline\t5\tchurn,shaming\tflight_number:AA1|mention:@x\ntwcs\t7\t-\t-\n");
        assert_eq!(
            l,
            Ok(vec![
                Label {
                    source: "airline".into(),
                    tweet_id: 5,
                    urgent: vec![UrgentKind::Churn, UrgentKind::Shaming],
                    entities: vec![(EntityKind::FlightNumber, "AA1".into()), (EntityKind::Mention, "@x".into())],
                },
                Label { source: "twcs".into(), tweet_id: 7, urgent: vec![], entities: vec![] },
            ])
        );
        assert!(parse_labels("airline\tx\t-\t-").is_err());
        assert!(parse_labels("airline\t1\tmaybe\t-").is_err());
    }
}
