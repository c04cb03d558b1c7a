//! The data of the firewall reports: what drives contact (inbound messages
//! counted by hour on each dimension the detectors read, with their
//! sentiment), what became of each incident (its contacts, and the contact
//! rate of the affected customers who were told first against those who were
//! not), and the pure arithmetic that turns them into reports: series for a
//! chart, recurring incidents, the cost of fires and the contacts prevented.

use std::collections::{BTreeMap, HashMap};

use firebreak_domain::{
    Timestamp,
    incident::{Dimension, Key},
};
use serde::Serialize;

use crate::Incident;

/// One hour's count of the contacts with one value on one dimension
/// (`topic`, `product`, `area`, `brand`, `channel`, or `all` with the value
/// `all`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DriverCount {
    pub dimension: String,
    /// The start of the hour (stream time: the message's own time).
    pub hour: Timestamp,
    pub value: String,
    pub contacts: u64,
    pub negative: u64,
    pub positive: u64,
    pub sentiment_sum: f64,
}

/// The dimensions contact is counted on, in the order reports offer them.
pub const DRIVER_DIMENSIONS: [&str; 6] = ["topic", "product", "area", "brand", "channel", "all"];

/// What a report asks of the counts: one dimension, a time range, buckets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DriverQuery {
    pub dimension: String,
    pub from: Timestamp,
    pub to: Timestamp,
    /// A whole number of hours.
    pub bucket_ms: i64,
}

/// One bucket's totals for one value: what the store answers, and a row of
/// the CSV export.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DriverPoint {
    pub bucket: Timestamp,
    pub value: String,
    pub contacts: u64,
    pub negative: u64,
    pub positive: u64,
    pub sentiment_sum: f64,
}

/// One value's contacts over the report's buckets.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DriverSeries {
    pub value: String,
    /// Contacts per bucket, one per entry of [`DriverReport::buckets`].
    pub contacts: Vec<u64>,
    /// Negative contacts per bucket.
    pub negative: Vec<u64>,
    pub total: u64,
    pub negative_total: u64,
    pub positive_total: u64,
    /// Mean sentiment score in [-1, 1] (0 with no contacts).
    pub mean_sentiment: f64,
}

/// Contact drivers on one dimension: the top values' series, and the rest
/// summed as one.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DriverReport {
    pub dimension: String,
    pub from: Timestamp,
    pub to: Timestamp,
    pub bucket_ms: i64,
    /// The start of each bucket.
    pub buckets: Vec<Timestamp>,
    /// The values with the most contacts, most first.
    pub series: Vec<DriverSeries>,
    /// Every other value, summed (`None` when there is none).
    pub rest: Option<DriverSeries>,
    /// Distinct values in the range.
    pub values: usize,
}

fn series(value: String, n: usize) -> DriverSeries {
    DriverSeries {
        value,
        contacts: vec![0; n],
        negative: vec![0; n],
        total: 0,
        negative_total: 0,
        positive_total: 0,
        mean_sentiment: 0.0,
    }
}

impl DriverSeries {
    fn add(&mut self, i: usize, p: &DriverPoint, sentiment_sum: &mut f64) {
        self.contacts[i] += p.contacts;
        self.negative[i] += p.negative;
        self.total += p.contacts;
        self.negative_total += p.negative;
        self.positive_total += p.positive;
        *sentiment_sum += p.sentiment_sum;
    }

    /// The share of contacts that were negative, in [0, 1].
    pub fn negative_share(&self) -> f64 {
        if self.total == 0 { 0.0 } else { self.negative_total as f64 / self.total as f64 }
    }
}

impl DriverReport {
    /// Assembles the report from the store's points: `top` values by total
    /// contacts (ties by value), the rest summed.
    pub fn build(q: &DriverQuery, points: &[DriverPoint], top: usize) -> DriverReport {
        let step = q.bucket_ms.max(1);
        let span = (q.to.unix_millis() - q.from.unix_millis()).max(0);
        let n = ((span + step - 1) / step) as usize;
        let buckets: Vec<Timestamp> = (0..n).map(|i| q.from.plus_millis(i as i64 * step)).collect();
        let index = |t: Timestamp| -> Option<usize> {
            let i = (t.unix_millis() - q.from.unix_millis()).div_euclid(step);
            (0..n as i64).contains(&i).then_some(i as usize)
        };
        let mut by_value: BTreeMap<&str, (DriverSeries, f64)> = BTreeMap::new();
        for p in points {
            let Some(i) = index(p.bucket) else { continue };
            let (s, sum) = by_value.entry(&p.value).or_insert_with(|| (series(p.value.clone(), n), 0.0));
            s.add(i, p, sum);
        }
        let mut all: Vec<DriverSeries> = by_value
            .into_values()
            .map(|(mut s, sum)| {
                s.mean_sentiment = if s.total == 0 { 0.0 } else { sum / s.total as f64 };
                s
            })
            .collect();
        let values = all.len();
        all.sort_by(|a, b| b.total.cmp(&a.total).then_with(|| a.value.cmp(&b.value)));
        let rest_list = if all.len() > top { all.split_off(top) } else { Vec::new() };
        let rest = (!rest_list.is_empty()).then(|| {
            let mut r = series(format!("{} others", rest_list.len()), n);
            let mut weighted = 0.0;
            for s in &rest_list {
                for i in 0..n {
                    r.contacts[i] += s.contacts[i];
                    r.negative[i] += s.negative[i];
                }
                r.total += s.total;
                r.negative_total += s.negative_total;
                r.positive_total += s.positive_total;
                weighted += s.mean_sentiment * s.total as f64;
            }
            r.mean_sentiment = if r.total == 0 { 0.0 } else { weighted / r.total as f64 };
            r
        });
        DriverReport {
            dimension: q.dimension.clone(),
            from: q.from,
            to: q.to,
            bucket_ms: step,
            buckets,
            series: all,
            rest,
            values,
        }
    }
}

/// What became of one incident: its contacts and whether telling the
/// affected customers first kept them from contacting us.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IncidentOutcome {
    pub incident: Incident,
    /// Inbound messages linked to the incident.
    pub contacts: u64,
    /// Cases linked to the incident.
    pub cases: u64,
    /// Customers the incident affects (by area, product or service).
    pub affected: u64,
    /// Affected customers whose notice was delivered.
    pub notified: u64,
    /// Inbound contacts from the notified customers within the window.
    pub notified_contacts: u64,
    /// Affected customers who were not told (no consent, no address, or no
    /// outreach).
    pub others: u64,
    pub other_contacts: u64,
    /// Contacts are counted from the incident's start to a day after it
    /// was resolved (or now).
    pub window_from: Timestamp,
    pub window_to: Timestamp,
}

/// How long after an incident is resolved its affected customers' contacts
/// still count towards it.
pub const OUTCOME_TAIL_MS: i64 = 24 * 3_600_000;

impl IncidentOutcome {
    /// Contacts per notified customer.
    pub fn notified_rate(&self) -> Option<f64> {
        (self.notified > 0).then(|| self.notified_contacts as f64 / self.notified as f64)
    }

    /// Contacts per affected customer who was not told.
    pub fn other_rate(&self) -> Option<f64> {
        (self.others > 0).then(|| self.other_contacts as f64 / self.others as f64)
    }

    /// Contacts prevented by telling customers first: the notified
    /// customers, times how much less often they contacted us than those who
    /// were not told. `None` without both groups to compare.
    pub fn contacts_prevented(&self) -> Option<f64> {
        Some((self.other_rate()? - self.notified_rate()?) * self.notified as f64)
    }

    /// What the incident's contacts cost, at `cost_per_contact` each.
    pub fn cost(&self, cost_per_contact: f64) -> f64 {
        self.contacts as f64 * cost_per_contact
    }
}

/// An incident that came back: another incident with one of its keys
/// started within the window before it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Recurrence {
    /// The shared key (`area=…`, `product=…` and `topic=…` count as keys too).
    pub key: String,
    /// The incidents with that key, oldest first, each within the window of
    /// the one before it.
    pub incidents: Vec<RecurrenceItem>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecurrenceItem {
    pub id: i64,
    pub title: String,
    pub started_at: Timestamp,
}

/// The keys an incident is known by: its keys, and its areas and products
/// as keys of their own.
fn incident_keys(i: &Incident) -> Vec<String> {
    let mut out: Vec<String> = i.keys.iter().map(Key::to_string).collect();
    let mut push = |d: Dimension, v: &str| {
        if let Ok(k) = Key::new(vec![(d, v.to_string())]) {
            let s = k.to_string();
            if !out.contains(&s) {
                out.push(s);
            }
        }
    };
    for a in &i.areas {
        push(Dimension::Area, a);
    }
    for p in i.products.iter().chain(&i.services) {
        push(Dimension::Product, p);
    }
    out
}

/// Incidents that recur: for each key, the runs of incidents where each
/// started within `window_ms` of the one before; only runs of two or more,
/// longest first.
pub fn recurring(incidents: &[Incident], window_ms: i64) -> Vec<Recurrence> {
    let mut by_key: HashMap<String, Vec<&Incident>> = HashMap::new();
    for i in incidents {
        for k in incident_keys(i) {
            by_key.entry(k).or_default().push(i);
        }
    }
    let mut out = Vec::new();
    for (key, mut list) in by_key {
        list.sort_by_key(|i| (i.started_at, i.id));
        let mut run: Vec<&Incident> = Vec::new();
        let mut flush = |run: &mut Vec<&Incident>| {
            if run.len() >= 2 {
                out.push(Recurrence {
                    key: key.clone(),
                    incidents: run
                        .iter()
                        .map(|i| RecurrenceItem { id: i.id, title: i.title.clone(), started_at: i.started_at })
                        .collect(),
                });
            }
            run.clear();
        };
        for i in list {
            if let Some(last) = run.last()
                && i.started_at.unix_millis() - last.started_at.unix_millis() > window_ms
            {
                flush(&mut run);
            }
            run.push(i);
        }
        flush(&mut run);
    }
    out.sort_by(|a, b| {
        b.incidents
            .len()
            .cmp(&a.incidents.len())
            .then_with(|| b.incidents.last().map(|i| i.started_at).cmp(&a.incidents.last().map(|i| i.started_at)))
            .then_with(|| a.key.cmp(&b.key))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use firebreak_domain::incident::IncidentStatus;

    fn t(h: i64) -> Timestamp {
        Timestamp::from_unix_millis(1_424_131_200_000 + h * 3_600_000).unwrap()
    }

    fn point(h: i64, value: &str, contacts: u64, negative: u64, sum: f64) -> DriverPoint {
        DriverPoint { bucket: t(h), value: value.into(), contacts, negative, positive: 0, sentiment_sum: sum }
    }

    #[test]
    fn report_keeps_the_top_values_and_sums_the_rest() {
        let q = DriverQuery { dimension: "topic".into(), from: t(0), to: t(72), bucket_ms: 24 * 3_600_000 };
        let points = vec![
            point(0, "delay", 10, 8, -6.0),
            point(24, "delay", 30, 20, -15.0),
            point(48, "baggage", 5, 1, 0.0),
            point(30, "refund", 2, 2, -2.0),
            point(50, "booking", 1, 0, 1.0),
            // Outside the range: ignored.
            point(72, "delay", 99, 99, -99.0),
        ];
        let r = DriverReport::build(&q, &points, 2);
        assert_eq!(r.buckets, vec![t(0), t(24), t(48)]);
        assert_eq!(r.values, 4);
        assert_eq!(r.series.len(), 2);
        assert_eq!(r.series[0].value, "delay");
        assert_eq!(r.series[0].contacts, vec![10, 30, 0]);
        assert_eq!(r.series[0].negative_total, 28);
        assert!((r.series[0].mean_sentiment - (-21.0 / 40.0)).abs() < 1e-9);
        assert_eq!(r.series[1].value, "baggage");
        let rest = r.rest.unwrap();
        assert_eq!(rest.value, "2 others");
        assert_eq!(rest.contacts, vec![0, 2, 1]);
        assert_eq!(rest.total, 3);
        assert!((rest.mean_sentiment - (-1.0 / 3.0)).abs() < 1e-9);
    }

    fn incident(id: i64, day: i64, keys: &[&str], areas: &[&str]) -> Incident {
        Incident {
            id,
            title: format!("incident {id}"),
            status: IncidentStatus::Resolved,
            keys: keys.iter().map(|k| Key::parse(k).unwrap()).collect(),
            areas: areas.iter().map(|a| a.to_string()).collect(),
            products: vec![],
            services: vec![],
            public: false,
            eta: None,
            started_at: t(day * 24),
            resolved_at: Some(t(day * 24 + 3)),
            created_by: "test".into(),
            created_at: t(day * 24),
            updated_at: t(day * 24),
            candidate_id: None,
        }
    }

    #[test]
    fn recurring_incidents_share_a_key_within_the_window() {
        let month = 30 * 24 * 3_600_000;
        let list = vec![
            incident(1, 0, &["area=XX1|topic=outage"], &["XX1"]),
            incident(2, 20, &[], &["XX1"]),
            incident(3, 45, &["area=XX1|topic=outage"], &[]),
            incident(4, 100, &["area=XX1"], &[]),
            incident(5, 10, &["brand=united|topic=delay"], &[]),
        ];
        let r = recurring(&list, month);
        // area=XX1: 1 (day 0), 2 (day 20), 4 (day 100, too late): one run.
        let area = r.iter().find(|x| x.key == "area=XX1").unwrap();
        assert_eq!(area.incidents.iter().map(|i| i.id).collect::<Vec<_>>(), vec![1, 2]);
        // The outage key: days 0 and 45 are further apart than 30 days.
        assert!(r.iter().all(|x| x.key != "area=XX1|topic=outage"));
        assert_eq!(r.len(), 1);
    }

    #[test]
    fn contacts_prevented_compares_the_two_groups() {
        let o = IncidentOutcome {
            incident: incident(1, 0, &[], &["XX1"]),
            contacts: 40,
            cases: 10,
            affected: 1000,
            notified: 800,
            notified_contacts: 40,
            others: 200,
            other_contacts: 30,
            window_from: t(0),
            window_to: t(27),
        };
        assert_eq!(o.notified_rate(), Some(0.05));
        assert_eq!(o.other_rate(), Some(0.15));
        assert!((o.contacts_prevented().unwrap() - 80.0).abs() < 1e-9);
        assert_eq!(o.cost(4.5), 180.0);
        let none = IncidentOutcome { others: 0, other_contacts: 0, ..o };
        assert_eq!(none.contacts_prevented(), None);
    }
}
