//! The firewall reports: what drives contact (by topic, product, area, brand
//! or channel over time, with sentiment), the cost of fires (each
//! incident's contacts at a configured cost per contact), the contacts
//! prevented by telling affected customers first, and incidents that recur
//! (the same key within 30 days). JSON, CSV, and the page's data.

use std::collections::HashMap;

use axum::{
    Json,
    extract::{Query, State, rejection::QueryRejection},
    response::Response,
};
use firebreak_domain::Timestamp;
use firebreak_store::{DRIVER_DIMENSIONS, DriverQuery, DriverReport, IncidentOutcome, Recurrence, recurring};
use serde::Serialize;

use super::{
    incidents::{csv_field, csv_response},
    messages::store_problem,
    params::{Params, invalid},
};
use crate::{AppState, Problem};

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;
/// The most buckets a report draws.
const MAX_BUCKETS: i64 = 2_000;
/// Incidents with one of the same keys within this many days recur.
pub const RECUR_DAYS: i64 = 30;

/// What the reports' time range and cost are (the configured cost per
/// contact and its currency).
#[derive(Debug, Clone, PartialEq)]
pub struct ReportsConfig {
    pub cost_per_contact: f64,
    pub currency: String,
}

impl Default for ReportsConfig {
    /// $4 a contact: the middle of the $3-5 a social or phone contact costs.
    fn default() -> Self {
        ReportsConfig { cost_per_contact: 4.0, currency: "USD".into() }
    }
}

/// The parameters every firewall report takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Range {
    pub from: Timestamp,
    pub to: Timestamp,
    pub bucket_ms: i64,
    pub dimension: String,
    pub top: usize,
}

/// `2015-02-17` (midnight UTC) or an RFC 3339 time.
fn time(p: &Params, name: &str) -> Result<Option<Timestamp>, Problem> {
    let Some(s) = p.str(name) else { return Ok(None) };
    if s.len() == 10 && s.as_bytes()[4] == b'-' {
        return Timestamp::parse_rfc3339(&format!("{s}T00:00:00Z"))
            .map(Some)
            .map_err(|_| invalid(name, "invalid_time", "a date (2015-02-17) or an RFC 3339 time."));
    }
    p.time(name)
}

pub const RANGE_PARAMS: [&str; 5] = ["by", "from", "to", "bucket", "top"];

impl Range {
    /// From the query: `by` (topic, product, area, brand, channel, all;
    /// default topic), `from` and `to` (dates or RFC 3339; default the 30
    /// days up to now), `bucket` (`day` or `hour`; default day), `top` (1 to
    /// 20 series; default 6). Day buckets start at midnight UTC.
    pub fn parse(p: &Params, now: Timestamp) -> Result<Range, Problem> {
        let dimension = p.str("by").unwrap_or("topic").to_string();
        if !DRIVER_DIMENSIONS.contains(&dimension.as_str()) {
            return Err(invalid("by", "invalid_value", format!("`by` is one of {}.", DRIVER_DIMENSIONS.join(", "))));
        }
        let bucket_ms = match p.str("bucket").unwrap_or("day") {
            "day" => DAY_MS,
            "hour" => HOUR_MS,
            _ => return Err(invalid("bucket", "invalid_value", "`bucket` is day or hour.")),
        };
        let top = match p.str("top") {
            None => 6,
            Some(s) => match s.parse::<usize>() {
                Ok(n) if (1..=20).contains(&n) => n,
                _ => return Err(invalid("top", "out_of_range", "`top` is a whole number from 1 to 20.")),
            },
        };
        let to = time(p, "to")?.unwrap_or(now);
        let from = time(p, "from")?.unwrap_or(to.plus_millis(-30 * DAY_MS));
        // Whole buckets: `from` down, `to` up.
        let floor = |t: Timestamp| t.unix_millis().div_euclid(bucket_ms) * bucket_ms;
        let from_ms = floor(from);
        let to_ms = {
            let f = floor(to);
            if f == to.unix_millis() { f } else { f + bucket_ms }
        };
        if to_ms <= from_ms {
            return Err(invalid("to", "out_of_range", "`to` must be after `from`."));
        }
        if (to_ms - from_ms) / bucket_ms > MAX_BUCKETS {
            return Err(invalid(
                "from",
                "out_of_range",
                format!("At most {MAX_BUCKETS} buckets: choose a shorter range or day buckets."),
            ));
        }
        let at = |ms: i64, name: &str| {
            Timestamp::from_unix_millis(ms).map_err(|e| invalid(name, "out_of_range", e.message.to_string()))
        };
        Ok(Range { from: at(from_ms, "from")?, to: at(to_ms, "to")?, bucket_ms, dimension, top })
    }

    fn query(&self) -> DriverQuery {
        DriverQuery { dimension: self.dimension.clone(), from: self.from, to: self.to, bucket_ms: self.bucket_ms }
    }
}

/// The contact drivers for a range.
pub async fn drivers_for(state: &AppState, r: &Range) -> Result<DriverReport, Problem> {
    let points = state.engine().store().driver_points(r.query()).await.map_err(store_problem)?;
    Ok(DriverReport::build(&r.query(), &points, r.top))
}

/// One incident in the reports.
#[derive(Debug, Clone, Serialize)]
pub struct IncidentRow {
    #[serde(flatten)]
    pub outcome: IncidentOutcome,
    pub cost: f64,
    pub notified_rate: Option<f64>,
    pub other_rate: Option<f64>,
    pub contacts_prevented: Option<f64>,
    /// What the contacts prevented saved, at the cost per contact.
    pub savings: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct IncidentReport {
    pub from: Timestamp,
    pub to: Timestamp,
    pub cost_per_contact: f64,
    pub currency: String,
    pub incidents: Vec<IncidentRow>,
    /// Runs of incidents sharing a key, each within 30 days of the last.
    pub recurring: Vec<Recurrence>,
    pub recur_days: i64,
    pub total_contacts: u64,
    pub total_cost: f64,
    pub total_prevented: f64,
    pub total_savings: f64,
}

/// The incidents' report for a range: cost of fires, contacts prevented,
/// recurring incidents (looking back 30 days before `from` too, so the
/// first incident in the range can recur).
pub async fn incidents_for(state: &AppState, r: &Range) -> Result<IncidentReport, Problem> {
    let store = state.engine().store();
    let now = state.engine().clock().now();
    let cfg = &state.config().reports;
    let window = RECUR_DAYS * DAY_MS;
    let outcomes = store.incident_outcomes(r.from.plus_millis(-window), r.to, now).await.map_err(store_problem)?;
    let all: Vec<_> = outcomes.iter().map(|o| o.incident.clone()).collect();
    let recurring: Vec<Recurrence> = recurring(&all, window)
        .into_iter()
        .filter(|run| run.incidents.last().is_some_and(|i| i.started_at >= r.from))
        .collect();
    let incidents: Vec<IncidentRow> = outcomes
        .into_iter()
        .filter(|o| o.incident.started_at >= r.from)
        .map(|o| {
            let prevented = o.contacts_prevented();
            IncidentRow {
                cost: o.cost(cfg.cost_per_contact),
                notified_rate: o.notified_rate(),
                other_rate: o.other_rate(),
                contacts_prevented: prevented,
                savings: prevented.map(|p| p * cfg.cost_per_contact),
                outcome: o,
            }
        })
        .collect();
    Ok(IncidentReport {
        from: r.from,
        to: r.to,
        cost_per_contact: cfg.cost_per_contact,
        currency: cfg.currency.clone(),
        total_contacts: incidents.iter().map(|i| i.outcome.contacts).sum(),
        total_cost: incidents.iter().map(|i| i.cost).sum(),
        total_prevented: incidents.iter().filter_map(|i| i.contacts_prevented).sum(),
        total_savings: incidents.iter().filter_map(|i| i.savings).sum(),
        recurring,
        recur_days: RECUR_DAYS,
        incidents,
    })
}

fn range(state: &AppState, q: Result<Query<HashMap<String, String>>, QueryRejection>) -> Result<Range, Problem> {
    Range::parse(&Params::new(q, &RANGE_PARAMS)?, state.engine().clock().now())
}

/// `GET /api/v1/reports/drivers?by=&from=&to=&bucket=&top=`: contact
/// drivers over time.
pub async fn drivers(
    State(state): State<AppState>,
    q: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Json<DriverReport>, Problem> {
    let r = range(&state, q)?;
    Ok(Json(drivers_for(&state, &r).await?))
}

/// `GET /api/v1/reports/drivers.csv?by=&from=&to=&bucket=`: every value's
/// count in every bucket (not only the top ones).
pub async fn drivers_csv(
    State(state): State<AppState>,
    q: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Response, Problem> {
    let r = range(&state, q)?;
    let points = state.engine().store().driver_points(r.query()).await.map_err(store_problem)?;
    let mut out = String::from("bucket_start,dimension,value,contacts,negative,positive,mean_sentiment\r\n");
    for p in &points {
        let mean = if p.contacts == 0 { 0.0 } else { p.sentiment_sum / p.contacts as f64 };
        out.push_str(&format!(
            "{},{},{},{},{},{},{:.3}\r\n",
            p.bucket.to_rfc3339(),
            r.dimension,
            csv_field(&p.value),
            p.contacts,
            p.negative,
            p.positive,
            mean
        ));
    }
    Ok(csv_response(&format!("contact-drivers-{}.csv", r.dimension), out))
}

/// `GET /api/v1/reports/incidents?from=&to=`: cost of fires, contacts
/// prevented and recurring incidents.
pub async fn incidents(
    State(state): State<AppState>,
    q: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Json<IncidentReport>, Problem> {
    let r = range(&state, q)?;
    Ok(Json(incidents_for(&state, &r).await?))
}

fn opt(v: Option<f64>, decimals: usize) -> String {
    v.map(|v| format!("{v:.decimals$}")).unwrap_or_default()
}

/// `GET /api/v1/reports/incidents.csv?from=&to=`: one row per incident.
pub async fn incidents_csv(
    State(state): State<AppState>,
    q: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Response, Problem> {
    let r = range(&state, q)?;
    let report = incidents_for(&state, &r).await?;
    let mut out = String::from(
        "incident_id,title,status,started_at,resolved_at,keys,contacts,cases,cost,currency,affected,notified,\
         notified_contacts,notified_rate,not_notified,not_notified_contacts,not_notified_rate,contacts_prevented,\
         savings,recurs\r\n",
    );
    for row in &report.incidents {
        let o = &row.outcome;
        let i = &o.incident;
        let recurs = report.recurring.iter().any(|run| run.incidents.iter().any(|x| x.id == i.id));
        let keys: Vec<String> = i.keys.iter().map(ToString::to_string).collect();
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{},{:.2},{},{},{},{},{},{},{},{},{},{},{}\r\n",
            i.id,
            csv_field(&i.title),
            i.status.as_str(),
            i.started_at.to_rfc3339(),
            i.resolved_at.map(Timestamp::to_rfc3339).unwrap_or_default(),
            csv_field(&keys.join(" ")),
            o.contacts,
            o.cases,
            row.cost,
            csv_field(&report.currency),
            o.affected,
            o.notified,
            o.notified_contacts,
            opt(row.notified_rate, 4),
            o.others,
            o.other_contacts,
            opt(row.other_rate, 4),
            opt(row.contacts_prevented, 1),
            opt(row.savings, 2),
            recurs
        ));
    }
    Ok(csv_response("incidents.csv", out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Params {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Params::new(Ok(Query(map)), &RANGE_PARAMS).unwrap()
    }

    fn t(s: &str) -> Timestamp {
        Timestamp::parse_rfc3339(s).unwrap()
    }

    #[test]
    fn a_range_is_whole_buckets_and_defaults_to_thirty_days() {
        let now = t("2015-02-24T19:53:37Z");
        let r = Range::parse(&params(&[]), now).unwrap();
        assert_eq!(r.dimension, "topic");
        assert_eq!(r.to, t("2015-02-25T00:00:00Z"));
        assert_eq!(r.from, t("2015-01-25T00:00:00Z"));
        let r =
            Range::parse(&params(&[("from", "2015-02-17"), ("to", "2015-02-24T10:30:00Z"), ("bucket", "hour")]), now)
                .unwrap();
        assert_eq!((r.from, r.to, r.bucket_ms), (t("2015-02-17T00:00:00Z"), t("2015-02-24T11:00:00Z"), HOUR_MS));
    }

    #[test]
    fn a_bad_range_names_its_parameter() {
        let now = t("2015-02-24T00:00:00Z");
        let field = |pairs: &[(&str, &str)]| Range::parse(&params(pairs), now).unwrap_err().errors[0].field.clone();
        assert_eq!(field(&[("by", "colour")]), "by");
        assert_eq!(field(&[("bucket", "week")]), "bucket");
        assert_eq!(field(&[("top", "0")]), "top");
        assert_eq!(field(&[("from", "2015-02-20"), ("to", "2015-02-19")]), "to");
        assert_eq!(field(&[("from", "2010-01-01"), ("bucket", "hour")]), "from");
        assert_eq!(field(&[("from", "yesterday")]), "from");
    }
}
