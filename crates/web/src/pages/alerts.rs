//! The alerts pages: what the detectors raised, newest first, and one
//! alert with its evidence (for a burst: observed against expected, the
//! sparkline, top terms, areas, products, sample messages, and the
//! candidate to open as an incident; for a spark: the post, its author,
//! the customer and the open case). Alert events and chat messages link
//! here.

use axum::{
    Extension,
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use firebreak_store::{Alert, AlertKind};
use maud::html;

use super::{
    charts::sparkline,
    forms::{Refusal, error_page},
    layout::{Frame, page, short_time},
};
use crate::{AppState, auth::Principal};

fn kind(a: &Alert) -> &'static str {
    match a.kind {
        AlertKind::Burst if a.evidence["emerging"].as_bool() == Some(true) => "emerging term",
        AlertKind::Burst => "burst",
        AlertKind::Spark => "spark",
    }
}

/// `GET /alerts`.
pub async fn list(State(state): State<AppState>, Extension(who): Extension<Principal>) -> Response {
    let alerts = match state.engine().store().alerts(200).await {
        Ok(a) => a,
        Err(e) => return error_page(&who, &Refusal::store(e)),
    };
    let body = html! {
        h2 { "Alerts" }
        p.meta { "Sparks (one post catching fire) and bursts (many posts about one thing), newest first." }
        @if alerts.is_empty() { p.meta { "Nothing raised yet." } }
        @else {
            table {
                thead { tr { th { "When" } th { "Kind" } th { "Key" } th { "What" } } }
                tbody { @for a in &alerts { tr {
                    td { time datetime=(a.at.to_rfc3339()) { (short_time(a.at)) } }
                    td { (kind(a)) }
                    td { @if let Some(k) = &a.key { code { (k) } } }
                    td { a href={ "/alerts/" (a.id) } { (a.summary) } }
                } } }
            }
        }
    };
    page(Some(&who), Frame { title: "Alerts", nav: "alerts", ..Default::default() }, body).into_response()
}

/// `GET /alerts/{id}`.
pub async fn show(
    State(state): State<AppState>,
    Extension(who): Extension<Principal>,
    Path(id): Path<String>,
) -> Response {
    let missing = Refusal { status: StatusCode::NOT_FOUND, message: "There is no alert with that id.".into() };
    let Ok(id) = id.parse::<i64>() else { return error_page(&who, &missing) };
    let a = match state.engine().store().alert(id).await {
        Ok(Some(a)) => a,
        Ok(None) => return error_page(&who, &missing),
        Err(e) => return error_page(&who, &Refusal::store(e)),
    };
    let e = &a.evidence["evidence"];
    let list = |v: &serde_json::Value| -> String {
        v.as_array()
            .map(|xs| {
                xs.iter()
                    .filter_map(|c| Some(format!("{} ({})", c["value"].as_str()?, c["count"].as_u64()?)))
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default()
    };
    let counts: Vec<u64> =
        e["sparkline"].as_array().map(|xs| xs.iter().filter_map(|x| x.as_u64()).collect()).unwrap_or_default();
    let body = html! {
        h2 { "Alert " (a.id) ": " (kind(&a)) }
        p { (a.summary) }
        dl {
            dt { "Stream time" } dd { time datetime=(a.at.to_rfc3339()) { (short_time(a.at)) } }
            dt { "Raised" } dd { time datetime=(a.raised_at.to_rfc3339()) { (short_time(a.raised_at)) } }
            @if let Some(k) = &a.key { dt { "Key" } dd { code { (k) } } }
            @if let Some(c) = a.case_id { dt { "Case" } dd { a href={ "/cases/" (c.0) } { "case " (c.0) } } }
            @if let Some(c) = a.customer_id { dt { "Customer" } dd { a href={ "/customers/" (c.0) } { "customer " (c.0) } } }
        }
        @match a.kind {
            AlertKind::Burst => {
                section.card aria-labelledby="ev-h" {
                    h3 #ev-h { "Evidence" }
                    p { (e["observed"]) " messages where " (format!("{:.1}", e["expected"].as_f64().unwrap_or(0.0)))
                        " were expected (×" (format!("{:.1}", e["ratio"].as_f64().unwrap_or(0.0)))
                        ", p = " (format!("{:.1e}", e["p_value"].as_f64().unwrap_or(1.0))) ")" }
                    (sparkline("Messages per bucket, the alerting one last; the line is the expectation", &counts,
                        e["expected"].as_f64().unwrap_or(0.0)))
                    dl {
                        dt { "Top terms" } dd { (list(&e["top_terms"])) }
                        dt { "Areas" } dd { (list(&e["areas"])) }
                        dt { "Products" } dd { (list(&e["products"])) }
                        dt { "Sample messages" } dd { @for m in e["samples"].as_array().into_iter().flatten() {
                            a href={ "/api/v1/messages/" (m) } { "message " (m) } " " } }
                    }
                    @if let Some(c) = a.evidence["candidate_id"].as_i64() {
                        p { "Incident candidate " (c) ": open it or dismiss it on " a href="/incidents" { "the incidents page" } "." }
                    }
                }
            }
            AlertKind::Spark => {
                section.card aria-labelledby="ev-h" {
                    h3 #ev-h { "Evidence" }
                    dl {
                        dt { "Post" } dd { @if let Some(m) = a.message_id { a href={ "/api/v1/messages/" (m.0) } { "message " (m.0) } } }
                        dt { "Author" } dd { (a.evidence["author"].as_str().unwrap_or("unknown")) }
                        dt { "Momentum" } dd { (format!("{:.2}", a.evidence["momentum"].as_f64().unwrap_or(0.0))) }
                        dt { "Growth" } dd { (format!("{:.0}", a.evidence["rate_per_minute"].as_f64().unwrap_or(0.0))) " weighted shares a minute" }
                        dt { "Engagement" } dd { (a.evidence["engagement"]["likes"]) " likes, " (a.evidence["engagement"]["shares"]) " shares, " (a.evidence["engagement"]["replies"]) " replies" }
                    }
                }
            }
        }
        p { a href="/alerts" { "All alerts" } }
    };
    page(Some(&who), Frame { title: "Alert", nav: "alerts", ..Default::default() }, body).into_response()
}
