//! The supervisor's view: how big each queue is and how long its oldest case
//! has waited (by team and by channel), service levels met and missed today
//! and this week, breaches, each agent's load against their limit, and
//! customers' satisfaction, drawn as SVG on the server.

use axum::{
    Extension,
    extract::State,
    response::{IntoResponse, Response},
};
use firebreak_domain::{Timestamp, sla::ClockKind};
use firebreak_store::{PeriodStats, QueueGroup};
use maud::{Markup, html};

use super::{
    charts::{self, Bar},
    forms::{Refusal, error_page},
    layout::{Frame, duration, page, short_time},
};
use crate::{AppState, auth::Principal};

/// `GET /supervisor`.
pub async fn show(State(state): State<AppState>, Extension(who): Extension<Principal>) -> Response {
    let now = state.engine().clock().now();
    let s = match state.engine().store().supervisor_stats(now).await {
        Ok(s) => s,
        Err(e) => return error_page(&who, &Refusal::store(e)),
    };
    let load: Vec<Bar> = s
        .agents
        .iter()
        .map(|a| Bar {
            label: a.name.clone(),
            value: a.open_cases as f64,
            text: format!("{} of {}", a.open_cases, a.max_load),
            class: if a.open_cases >= a.max_load { "over" } else { "ok" },
        })
        .collect();
    let most = s.agents.iter().map(|a| a.max_load.max(a.open_cases)).max().unwrap_or(0) as f64;
    let sla_rows = |label: &str, p: &PeriodStats| -> Vec<(String, u64, u64)> {
        p.sla
            .iter()
            .map(|a| {
                let clock = if a.clock == ClockKind::FirstResponse { "first response" } else { "resolution" };
                (format!("{label}, {clock}"), a.met, a.breached)
            })
            .collect()
    };
    let mut sla = sla_rows("Today", &s.today);
    sla.extend(sla_rows("This week", &s.week));
    let body = html! {
        h2 { "Supervisor" }
        p.meta { "As of " (short_time(now)) " UTC; days and weeks are counted in UTC, weeks from Monday." }
        div.tiles {
            div.card.tile {
                span.big.breach[s.breaching_now > 0] { (s.breaching_now) }
                a href="/inbox?queue=breaching" { "case(s) past an SLA target now" }
            }
            div.card.tile { span.big { (s.today.breaches) } span { "breach(es) today, " (s.week.breaches) " this week" } }
            (csat_tile("Satisfaction today", &s.today))
            (csat_tile("Satisfaction this week", &s.week))
        }
        div.grid2 {
            section.card aria-labelledby="by-team" {
                h3 #by-team { "Queues by team" }
                (queues("Active cases by team", &s.by_team, now))
            }
            section.card aria-labelledby="by-channel" {
                h3 #by-channel { "Queues by channel" }
                (queues("Active cases by channel", &s.by_channel, now))
            }
            section.card aria-labelledby="sla-h" {
                h3 #sla-h { "Service levels met" }
                (charts::split("SLA targets met and missed", &sla))
                p.meta { "Counted when a clock stops: a reply for the first response, resolution for the last." }
            }
            section.card aria-labelledby="load" {
                h3 #load { "Agents' load" }
                (charts::bars("Open cases per agent against their limit", &load, most))
            }
        }
    };
    let frame = Frame { title: "Supervisor", nav: "supervisor", kind: "supervisor", ..Default::default() };
    page(Some(&who), frame, body).into_response()
}

fn csat_tile(label: &str, p: &PeriodStats) -> Markup {
    html! {
        div.card.tile {
            span.big { @match p.csat.average { Some(a) => (format!("{a:.1}")), None => "–" } }
            span { (label) " (" (p.csat.answers) " answer(s), out of 5)" }
        }
    }
}

/// Bars of active cases per group, with the waiting count and the age of the
/// oldest waiting case written beside each.
fn queues(title: &str, groups: &[QueueGroup], now: Timestamp) -> Markup {
    let rows: Vec<Bar> = groups
        .iter()
        .map(|g| {
            let oldest = g
                .oldest_waiting
                .map(|t| format!(", oldest {}", duration(now.unix_millis() - t.unix_millis())))
                .unwrap_or_default();
            Bar {
                label: g.name.clone(),
                value: g.active as f64,
                text: format!("{} active, {} waiting{oldest}", g.active, g.waiting),
                class: "ok",
            }
        })
        .collect();
    html! {
        @if groups.is_empty() { p.meta { "No active cases." } }
        @else { (charts::bars(title, &rows, 0.0)) }
    }
}
