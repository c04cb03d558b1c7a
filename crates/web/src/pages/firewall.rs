//! The firewall reports page (`/reports/firewall`): build firewalls instead
//! of fighting fires. What drives contact (by topic, product, area, brand or
//! channel, over time, with sentiment), the cost of fires, the contacts
//! prevented by telling affected customers first, and the incidents that
//! keep coming back; each section links its CSV.

use std::collections::HashMap;

use axum::{
    Extension,
    extract::{Query, State, rejection::QueryRejection},
    response::{IntoResponse, Response},
};
use firebreak_domain::Timestamp;
use firebreak_store::{DRIVER_DIMENSIONS, DriverReport, DriverSeries};
use maud::{Markup, html};

use super::{
    charts::{Bar, bars, lines},
    forms::{Refusal, error_page},
    layout::{Frame, page},
};
use crate::{
    AppState,
    api::{
        firewall::{IncidentReport, RANGE_PARAMS, Range, drivers_for, incidents_for},
        params::Params,
    },
    auth::Principal,
};

fn day(t: Timestamp) -> String {
    let d = t.to_offset_datetime();
    format!("{} {} {}", d.day(), &format!("{:?}", d.month())[..3], d.year())
}

fn label(t: Timestamp, bucket_ms: i64) -> String {
    if bucket_ms >= 24 * 3_600_000 {
        day(t)
    } else {
        let d = t.to_offset_datetime();
        format!("{} {:02}:00", day(t), d.hour())
    }
}

fn ymd(t: Timestamp) -> String {
    t.to_rfc3339()[..10].to_string()
}

fn share(s: &DriverSeries) -> String {
    format!("{:.0}%", s.negative_share() * 100.0)
}

fn money(v: f64, currency: &str) -> String {
    format!("{v:.2} {currency}")
}

fn rate(v: Option<f64>) -> String {
    v.map(|r| format!("{r:.3}")).unwrap_or_else(|| "–".into())
}

/// The query string of this range, for links.
fn query(r: &Range) -> String {
    let bucket = if r.bucket_ms >= 24 * 3_600_000 { "day" } else { "hour" };
    format!("by={}&from={}&to={}&bucket={bucket}&top={}", r.dimension, r.from.to_rfc3339(), r.to.to_rfc3339(), r.top)
}

fn drivers_section(r: &Range, d: &DriverReport) -> Markup {
    let labels: Vec<String> = d.buckets.iter().map(|t| label(*t, d.bucket_ms)).collect();
    let mut series: Vec<(String, Vec<u64>)> = d.series.iter().map(|s| (s.value.clone(), s.contacts.clone())).collect();
    if let Some(rest) = &d.rest {
        series.push((rest.value.clone(), rest.contacts.clone()));
    }
    let title = format!("Contacts by {} per {}", d.dimension, if d.bucket_ms >= 86_400_000 { "day" } else { "hour" });
    html! {
        section #drivers {
            h3 { "What drives contact" }
            form.inline method="get" action="/reports/firewall" {
                label { "By " select name="by" {
                    @for dim in DRIVER_DIMENSIONS {
                        option value=(dim) selected[dim == r.dimension] { (dim) }
                    }
                } }
                label { " from " input type="date" name="from" value=(ymd(r.from)); }
                label { " to " input type="date" name="to" value=(ymd(r.to)); }
                label { " per " select name="bucket" {
                    option value="day" selected[r.bucket_ms >= 86_400_000] { "day" }
                    option value="hour" selected[r.bucket_ms < 86_400_000] { "hour" }
                } }
                " " button type="submit" { "Show" }
            }
            (lines(&title, &labels, &series))
            p.meta {
                (d.values) " distinct values; inbound contacts counted once per value they carry (a message about delays and refunds counts under both). "
                a href={ "/api/v1/reports/drivers.csv?" (query(r)) } { "CSV (every value)" }
            }
            table {
                thead { tr { th { (d.dimension) } th.num { "Contacts" } th.num { "Negative" } th.num { "Mean sentiment" } } }
                tbody {
                    @for s in d.series.iter().chain(d.rest.iter()) { tr {
                        td { (s.value) }
                        td.num { (s.total) }
                        td.num { (share(s)) }
                        td.num { (format!("{:+.2}", s.mean_sentiment)) }
                    } }
                }
            }
        }
    }
}

fn incidents_section(r: &Range, rep: &IncidentReport) -> Markup {
    let cost_bars: Vec<Bar> = rep
        .incidents
        .iter()
        .filter(|i| i.outcome.contacts > 0)
        .map(|i| Bar {
            label: format!("#{} {}", i.outcome.incident.id, i.outcome.incident.title),
            value: i.cost,
            text: format!("{} contacts, {}", i.outcome.contacts, money(i.cost, &rep.currency)),
            class: "bad",
        })
        .collect();
    let csv = format!("/api/v1/reports/incidents.csv?{}", query(r));
    html! {
        section #cost {
            h3 { "The cost of fires" }
            p.meta {
                "Contacts linked to each incident at " (money(rep.cost_per_contact, &rep.currency)) " a contact ("
                code { "[reports] cost_per_contact" } "). " (rep.incidents.len()) " incidents, "
                (rep.total_contacts) " contacts, " strong { (money(rep.total_cost, &rep.currency)) } ". "
                a href=(csv) { "CSV" }
            }
            (bars("Cost of each incident", &cost_bars, 0.0))
        }
        section #prevented {
            h3 { "Contacts prevented" }
            p.meta {
                "Inbound contacts per affected customer, from the incident's start to a day after it was resolved: "
                "those told first (notice delivered) against those who were not. Prevented = (rate not told − rate told) × told. In total "
                strong { (format!("{:.0}", rep.total_prevented)) } " contacts, " (money(rep.total_savings, &rep.currency)) "."
            }
            table {
                thead { tr {
                    th { "Incident" } th.num { "Affected" } th.num { "Told" } th.num { "Their contacts" } th.num { "Rate" }
                    th.num { "Not told" } th.num { "Their contacts" } th.num { "Rate" } th.num { "Prevented" } th.num { "Saved" }
                } }
                tbody {
                    @for i in &rep.incidents { tr {
                        td { a href={ "/incidents/" (i.outcome.incident.id) } { "#" (i.outcome.incident.id) " " (i.outcome.incident.title) } }
                        td.num { (i.outcome.affected) }
                        td.num { (i.outcome.notified) }
                        td.num { (i.outcome.notified_contacts) }
                        td.num { (rate(i.notified_rate)) }
                        td.num { (i.outcome.others) }
                        td.num { (i.outcome.other_contacts) }
                        td.num { (rate(i.other_rate)) }
                        td.num { (i.contacts_prevented.map(|p| format!("{p:.0}")).unwrap_or_else(|| "–".into())) }
                        td.num { (i.savings.map(|s| money(s, &rep.currency)).unwrap_or_else(|| "–".into())) }
                    } }
                }
            }
        }
        section #recurring {
            h3 { "Incidents that recur" }
            p.meta { "Incidents sharing a key (or an area or product) within " (rep.recur_days) " days of the one before: fix these at source." }
            @if rep.recurring.is_empty() { p.meta { "None in this range." } }
            @else {
                table {
                    thead { tr { th { "Key" } th.num { "Times" } th { "Incidents" } } }
                    tbody { @for run in &rep.recurring { tr {
                        td { code { (run.key) } }
                        td.num { (run.incidents.len()) }
                        td { @for (n, i) in run.incidents.iter().enumerate() {
                            @if n > 0 { ", " }
                            a href={ "/incidents/" (i.id) } { "#" (i.id) } " (" (day(i.started_at)) ")"
                        } }
                    } } }
                }
            }
        }
    }
}

/// `GET /reports/firewall?by=&from=&to=&bucket=&top=`.
pub async fn show(
    State(state): State<AppState>,
    Extension(who): Extension<Principal>,
    q: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Response {
    let range = Params::new(q, &RANGE_PARAMS).and_then(|p| Range::parse(&p, state.engine().clock().now()));
    let r = match range {
        Ok(r) => r,
        Err(p) => return error_page(&who, &Refusal::from_problem(&p)),
    };
    let (drivers, incidents) = match (drivers_for(&state, &r).await, incidents_for(&state, &r).await) {
        (Ok(d), Ok(i)) => (d, i),
        (Err(p), _) | (_, Err(p)) => return error_page(&who, &Refusal::from_problem(&p)),
    };
    let body = html! {
        h2 { "Firewall reports" }
        p.meta { "From " (day(r.from)) " to " (day(r.to)) ". Build firewalls instead of fighting fires: what keeps causing contact, and what the fires cost." }
        (drivers_section(&r, &drivers))
        (incidents_section(&r, &incidents))
    };
    page(Some(&who), Frame { title: "Firewall reports", nav: "reports", ..Default::default() }, body).into_response()
}
