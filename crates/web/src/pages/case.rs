//! The case view: the cross-channel conversation with triage's reading of
//! each message, the SLA clocks, the reply box (with canned responses filled
//! in on the server), notes, and beside them the work on the case and the
//! customer's 360. The same renderer answers a failed form with the error
//! next to it and what was typed kept.

use std::collections::HashMap;

use axum::{
    Extension,
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use firebreak_domain::{CaseId, Direction, StoredMessage, Timestamp, sla::ClockKind, staff::Role};
use firebreak_store::{Agent, CaseDetail, ClockView};
use maud::{Markup, html};

use super::{
    case_side, customer_panel,
    forms::{Refusal, error_page, notice},
    layout::{Frame, ago, csrf_field, due_label, duration, message_meta, page, short_time},
};
use crate::{
    AppState,
    auth::{Access, Principal},
};

/// The part of the page a form error belongs next to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Reply,
    Note,
    Promise,
    Status,
    Assign,
    Tags,
}

/// What a render adds to the stored case: an error, what was typed, the
/// query (notices, a canned response to fill in).
#[derive(Default)]
pub struct Extras {
    pub error: Option<(Part, String)>,
    pub reply: Option<String>,
    pub note: Option<String>,
    pub query: HashMap<String, String>,
}

impl Extras {
    /// The error for `part`, if that is where it belongs.
    pub fn error_for(&self, part: Part) -> Markup {
        let message = self.error.as_ref().filter(|(p, _)| *p == part).map(|(_, m)| m);
        html! { @if let Some(m) = message { p.error role="alert" { (m) } } }
    }
}

/// Parses a case id from the path (a wrong one is simply not found).
pub fn parse_id(s: &str) -> Result<CaseId, Refusal> {
    s.parse::<i64>()
        .map(CaseId)
        .map_err(|_| Refusal { status: StatusCode::NOT_FOUND, message: "There is no case with that id.".into() })
}

/// `GET /cases/{id}`; `?canned=NAME` fills the reply box with that canned
/// response, `?sent=1` (after a reply) forgets the browser's draft.
pub async fn show(
    State(state): State<AppState>,
    Extension(who): Extension<Principal>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let id = match parse_id(&id) {
        Ok(id) => id,
        Err(r) => return error_page(&who, &r),
    };
    render(&state, &who, id, Extras { query, ..Default::default() }, StatusCode::OK).await
}

/// The case page, with `extras`, answered with `status`.
pub async fn render(state: &AppState, who: &Principal, id: CaseId, mut x: Extras, status: StatusCode) -> Response {
    let store = state.engine().store();
    // Read before the case, so the page's stream replays what changes after.
    let events_after = store.latest_event_id().await.ok();
    let detail = match store.case(id).await {
        Ok(Some(d)) => d,
        Ok(None) => {
            return error_page(
                who,
                &Refusal { status: StatusCode::NOT_FOUND, message: format!("There is no case {}.", id.0) },
            );
        }
        Err(e) => return error_page(who, &Refusal::store(e)),
    };
    let customer_id = detail.case.customer_id;
    let person = store.customer(customer_id).await.ok().flatten();
    let links = store.customer_links(customer_id).await.unwrap_or_default();
    let community = store.customer_community(customer_id.0, super::community::crm::LISTED).await.ok();
    let agents = store.agents().await.unwrap_or_default();
    // Analysts read; cases are assigned to the others.
    let analysts: Vec<i64> = store
        .staff_accounts()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|a| a.role == Role::Analyst)
        .map(|a| a.id)
        .collect();
    let assignable: Vec<Agent> = agents.iter().filter(|a| a.active && !analysts.contains(&a.id)).cloned().collect();
    let teams = store.teams().await.unwrap_or_default();
    let canned = store.canned().await.unwrap_or_default();
    if x.reply.is_none()
        && let Some(name) = x.query.get("canned").filter(|n| !n.is_empty()).cloned()
    {
        match store.render_canned(name, id).await {
            Ok(text) => x.reply = Some(text),
            Err(e) => x.error = Some((Part::Reply, Refusal::store(e).message)),
        }
    }
    let now = state.engine().clock().now();
    let work = who.allows(Access::Work);
    let c = &detail.case;
    let here = format!("/cases/{}", id.0);
    let body = html! {
        div.cols {
            div.stack {
                (header(&detail, &agents, &teams, now))
                (notice(&x.query))
                (clocks(&detail, now))
                section #timeline aria-labelledby="conversation" {
                    h3 #conversation { "Conversation" }
                    ol.timeline { @for m in &detail.timeline { (message(m)) } }
                    @if detail.timeline.is_empty() { p.meta { "No messages (the customer's data may have been erased)." } }
                }
                @if work { (reply_form(who, &detail, &canned, &x)) }
                (notes(who, &detail, &x, work))
            }
            aside.side aria-label="Case and customer" {
                (case_side::work(who, &detail, &assignable, &teams, &x, work, &here))
                (case_side::promises(who, &detail, &x, work, now))
                @match &person {
                    Some(p) => (customer_panel::panel(who, p, &links, Some(c.id), &here, work, now)),
                    None => section.card { h3 { "Customer" } p.meta { "The customer's record is no longer held." } },
                }
                @if let Some(cc) = community.as_ref().filter(|cc| !cc.members.is_empty()) {
                    (super::community::crm::section(cc, work.then_some(super::community::crm::Publish { case: c.id.0, who })))
                }
            }
        }
    };
    let clear = x.query.contains_key("sent").then(|| format!("case-{}-reply", id.0));
    let title = format!("#{} {}", id.0, c.subject);
    let frame = Frame {
        title: &title,
        nav: "inbox",
        kind: "case",
        events_after,
        live: Some("timeline clocks deliveries"),
        clear_draft: clear,
        ..Default::default()
    };
    (status, page(Some(who), frame, body)).into_response()
}

fn header(
    d: &CaseDetail,
    agents: &[firebreak_store::Agent],
    teams: &[firebreak_store::Team],
    now: Timestamp,
) -> Markup {
    let c = &d.case;
    let agent = c.agent_id.and_then(|a| agents.iter().find(|x| x.id == a)).map(|a| a.name.as_str());
    let team = c.team_id.and_then(|t| teams.iter().find(|x| x.id == t)).map(|t| t.name.as_str());
    html! {
        header.case {
            h2 { "#" (c.id.0) " " (c.subject) }
            p.meta {
                a href={ "/customers/" (c.customer_id.0) } { (c.customer_name.as_deref().unwrap_or("Unknown customer")) }
                " · " span.chan { (c.channel.as_str()) }
                " · " span class={ "prio " (c.priority.as_str()) } { (c.priority.as_str()) }
                " · " strong { (c.status.as_str()) }
                " · " (agent.unwrap_or("nobody assigned"))
                @if let Some(t) = team { " (" (t) ")" }
                " · opened " (ago(c.opened_at, now))
                @if c.reopened > 0 { " · reopened " (c.reopened) "×" }
                @for t in &c.tags { " " span.tag { (t) } }
                @if let Some(csat) = &c.csat {
                    " · satisfaction: "
                    @match csat.score { Some(s) => { (s) "/5" } None => "asked, no answer yet" }
                }
            }
        }
    }
}

fn clock_name(k: ClockKind) -> &'static str {
    match k {
        ClockKind::FirstResponse => "First response",
        ClockKind::NextResponse => "Next response",
        ClockKind::Resolution => "Resolution",
    }
}

/// Each SLA clock: due (or late), paused with time left, or its outcome.
fn clocks(d: &CaseDetail, now: Timestamp) -> Markup {
    let outcome = |k: ClockKind| d.sla_events.iter().rev().find(|e| e.clock == k && e.kind != "warning");
    let line = |v: &ClockView| -> Markup {
        let last = outcome(v.clock).map(|e| e.kind.as_str());
        let state = match (v.state, v.due_at, v.left_ms) {
            ("running", Some(due), _) => html! {
                (due_label(due, now))
                @if last == Some("breach") { " " span.breach { "(breached)" } }
            },
            ("paused", _, Some(left)) if left < 0 => html! { "paused, " span.breach { "late " (duration(left)) } },
            ("paused", _, Some(left)) => html! { "paused, " (duration(left)) " left" },
            _ => match last {
                Some("met") => html! { span.ok { "met" } },
                Some("breach" | "breached_at_stop") => html! { span.breach { "breached" } },
                _ => html! { span.meta { "no target running" } },
            },
        };
        html! { dt { (clock_name(v.clock)) } dd { (state) } }
    };
    html! {
        section #clocks .card aria-labelledby="sla" {
            h3 #sla { "Service levels" @if let Some(p) = &d.case.sla_policy { " " span.meta { "(" (p) ")" } } }
            dl.kv { @for v in &d.case.clocks { (line(v)) } }
        }
    }
}

/// One message of the conversation, with why triage read it so.
fn message(m: &StoredMessage) -> Markup {
    let out = m.message.direction == Direction::Out;
    html! {
        li class=[out.then_some("out")] id={ "m" (m.id.0) } {
            (message_meta(m))
            @if let Some(j) = &m.triage {
                @if !j.urgent_reasons.is_empty() {
                    div.meta { "urgent: "
                        @for (i, r) in j.urgent_reasons.iter().enumerate() {
                            @if i > 0 { "; " }
                            (r.reason.as_str()) " (" (r.words.join(", ")) ")"
                        }
                    }
                }
                @if !j.reasons.is_empty() {
                    div.meta.reasons { "why: "
                        @for (i, r) in j.reasons.iter().take(8).enumerate() {
                            @if i > 0 { ", " }
                            span title={ "towards " (format!("{:?}", r.towards).to_lowercase()) } { (r.feature) }
                        }
                    }
                }
                @if !j.entities.is_empty() {
                    div.meta { "mentions: "
                        @for (i, e) in j.entities.iter().take(8).enumerate() {
                            @if i > 0 { ", " }
                            (e.text) " (" (e.kind.as_str()) ")"
                        }
                    }
                }
            }
            p.text { (m.message.text.as_str()) }
        }
    }
}

fn reply_form(who: &Principal, d: &CaseDetail, canned: &[firebreak_store::CannedResponse], x: &Extras) -> Markup {
    let id = d.case.id.0;
    let key = firebreak_engine::staff::random_token(16).unwrap_or_default();
    let chosen = x.query.get("canned").map(String::as_str).unwrap_or("");
    html! {
        section #reply .card aria-labelledby="reply-h" {
            h3 #reply-h { "Reply" }
            (deliveries(d))
            @if !canned.is_empty() {
                form.row method="get" action={ "/cases/" (id) "#reply" } {
                    label for="canned" { "Canned response" }
                    select #canned name="canned" {
                        option value="" { "choose…" }
                        @for c in canned { option value=(c.name) selected[c.name == chosen] { (c.name) } }
                    }
                    button.quiet type="submit" { "Fill in" }
                }
            }
            form.stack method="post" action={ "/cases/" (id) "/reply" } {
                (csrf_field(who))
                input type="hidden" name="idempotency_key" value=(key);
                (x.error_for(Part::Reply))
                label.sr for="reply-text" { "Reply text" }
                textarea #reply-text name="text" rows="5" data-draft={ "case-" (id) "-reply" }
                    placeholder="Write to the customer (r)" { (x.reply.as_deref().unwrap_or("")) }
                fieldset.row {
                    legend.sr { "Visibility" }
                    label { input type="radio" name="visibility" value="public" checked; " Public reply" }
                    label { input type="radio" name="visibility" value="private"; " Private message" }
                    button type="submit" { "Send reply" }
                }
            }
        }
    }
}

/// The replies sent from this case and how each delivery went (always
/// present, so a live update can fill it in).
fn deliveries(d: &CaseDetail) -> Markup {
    html! {
        div #deliveries {
            @if !d.replies.is_empty() { ul.plain aria-label="Replies sent from this case" {
                @for r in &d.replies {
                    li data-status=(r.status.as_str()) {
                        span class={ "tag delivery " (r.status.as_str()) } { (r.status.as_str()) }
                        " " span.meta { (r.channel.as_str()) ", " (r.visibility) " · " (r.created_by) " · " (short_time(r.created_at)) }
                        @if r.attempts > 1 { " " span.meta { (r.attempts) " attempts" } }
                        p.text { (r.text) }
                        @if let Some(e) = &r.last_error { p.error { (e) } }
                    }
                }
            } }
        }
    }
}

fn notes(who: &Principal, d: &CaseDetail, x: &Extras, work: bool) -> Markup {
    html! {
        section.card aria-labelledby="notes" {
            h3 #notes { "Notes" span.meta { " (only the team sees these)" } }
            @if d.notes.is_empty() { p.meta { "No notes yet." } }
            ul.plain {
                @for n in &d.notes {
                    li { span.meta { (n.author) " · " (short_time(n.created_at)) } p.text { (n.text) } }
                }
            }
            @if work {
                form.stack method="post" action={ "/cases/" (d.case.id.0) "/notes" } {
                    (csrf_field(who))
                    (x.error_for(Part::Note))
                    label for="note-text" { "Add a note" }
                    textarea #note-text name="text" rows="2" { (x.note.as_deref().unwrap_or("")) }
                    button.quiet type="submit" { "Add note" }
                }
            }
        }
    }
}
