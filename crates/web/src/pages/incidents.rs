//! The incidents pages for staff: the list with the candidates the detector
//! raised (opened with one click, or dismissed) and a form to open one by
//! hand; an incident's page with its status and ETA, updates, linked
//! messages and cases (unlink, link), the customers it affects, and the
//! forms for outreach, follow-up, credits and a bulk reply. Each form posts
//! and redirects back (`?done=`); a refusal re-renders the page with why.

use std::collections::{BTreeMap, HashMap};

use axum::{
    Extension,
    extract::{Path, Query, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
};
use firebreak_domain::{CaseId, MessageId, incident::IncidentStatus};
use firebreak_engine::{
    EngineError,
    incidents::{BulkReplyRequest, IncidentDraft, IncidentPatch, OutreachRequest},
};
use firebreak_store::{CandidateStatus, IncidentDetail, IncidentFilter, LinkTarget};
use maud::{Markup, html};

use super::{
    forms::{Fields, Refusal, error_page, notice, parse_local_time},
    layout::{Frame, csrf_field, page, short_time},
};
use crate::{
    AppState,
    api::incidents::base_url,
    auth::{Access, Principal},
};

fn lines(s: Option<&str>) -> Vec<String> {
    s.unwrap_or("").split(['\n', ',', ';']).map(str::trim).filter(|x| !x.is_empty()).map(str::to_owned).collect()
}

/// `GET /incidents`.
pub async fn list(
    State(state): State<AppState>,
    Extension(who): Extension<Principal>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    list_page(&state, &who, &q, None, StatusCode::OK).await
}

async fn list_page(
    state: &AppState,
    who: &Principal,
    q: &HashMap<String, String>,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let store = state.engine().store();
    let incidents = match store.incidents(IncidentFilter::default()).await {
        Ok(i) => i,
        Err(e) => return error_page(who, &Refusal::store(e)),
    };
    let candidates = match store.candidates(Some(CandidateStatus::Open), 50).await {
        Ok(c) => c,
        Err(e) => return error_page(who, &Refusal::store(e)),
    };
    let supervise = who.allows(Access::Supervise);
    let body = html! {
        h2 { "Incidents" }
        (notice(q))
        @if let Some(e) = &error { p.error role="alert" { (e) } }
        section.card aria-labelledby="cand-h" {
            h3 #cand-h { "Candidates raised by the detector" }
            @if candidates.is_empty() { p.meta { "No open candidates." } }
            @else {
                table {
                    thead { tr { th { "Key" } th { "Raised" } th { "Seen / expected" } th { "Top terms" } th { "Areas" } th {} } }
                    tbody { @for c in &candidates { tr {
                        td { code { (c.key.to_string()) } }
                        td { time datetime=(c.raised_at.to_rfc3339()) { (short_time(c.raised_at)) } }
                        td { (c.evidence.observed) " / " (format!("{:.1}", c.evidence.expected)) " (×" (format!("{:.1}", c.evidence.ratio)) ")" }
                        td { (c.evidence.top_terms.iter().take(5).map(|t| t.value.as_str()).collect::<Vec<_>>().join(", ")) }
                        td { (c.evidence.areas.iter().take(5).map(|t| t.value.as_str()).collect::<Vec<_>>().join(", ")) }
                        td {
                            @if supervise {
                                form.inline method="post" action=(format!("/incident-candidates/{}/open", c.id)) {
                                    (csrf_field(who))
                                    button type="submit" { "Open incident" }
                                }
                                form.inline method="post" action=(format!("/incident-candidates/{}/dismiss", c.id)) {
                                    (csrf_field(who))
                                    button.quiet type="submit" { "Dismiss" }
                                }
                            }
                        }
                    } } }
                }
            }
        }
        section.card aria-labelledby="inc-h" {
            h3 #inc-h { "Incidents" }
            @if incidents.is_empty() { p.meta { "No incidents." } }
            @else {
                table {
                    thead { tr { th { "Title" } th { "Status" } th { "Started" } th { "ETA" } th { "Public" } } }
                    tbody { @for i in &incidents { tr {
                        td { a href=(format!("/incidents/{}", i.id)) { (i.title) } }
                        td { span.tag { (i.status.as_str()) } }
                        td { (short_time(i.started_at)) }
                        td { @if let Some(e) = i.eta { (short_time(e)) } }
                        td { @if i.public { "yes" } @else { "no" } }
                    } } }
                }
            }
        }
        @if supervise {
            section.card aria-labelledby="new-h" {
                h3 #new-h { "Open an incident by hand" }
                form method="post" action="/incidents" {
                    (csrf_field(who))
                    label for="title" { "Title" }
                    input #title name="title" required;
                    label for="keys" { "Keys, one per line (area=SW1A, brand=united|topic=outage)" }
                    textarea #keys name="keys" rows="2" {}
                    label for="areas" { "Areas (postal districts or ZIP prefixes, comma separated)" }
                    input #areas name="areas";
                    label for="products" { "Products and services (comma separated)" }
                    input #products name="products";
                    label for="eta" { "ETA (UTC)" }
                    input #eta type="datetime-local" name="eta";
                    label { input type="checkbox" name="public" value="1"; " Show on the public status page" }
                    button type="submit" { "Open incident" }
                }
            }
        }
    };
    (status, page(Some(who), Frame { title: "Incidents", nav: "incidents", ..Default::default() }, body))
        .into_response()
}

fn parse_id(s: &str) -> Result<i64, Refusal> {
    s.parse()
        .map_err(|_| Refusal { status: StatusCode::NOT_FOUND, message: "There is no incident with that id.".into() })
}

/// `GET /incidents/{id}`.
pub async fn show(
    State(state): State<AppState>,
    Extension(who): Extension<Principal>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    match parse_id(&id) {
        Ok(id) => render(&state, &who, id, &q, None, StatusCode::OK).await,
        Err(r) => error_page(&who, &r),
    }
}

async fn render(
    state: &AppState,
    who: &Principal,
    id: i64,
    q: &HashMap<String, String>,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let d = match state.engine().store().incident(id).await {
        Ok(Some(d)) => d,
        Ok(None) => return error_page(who, &parse_id("").unwrap_err()),
        Err(e) => return error_page(who, &Refusal::store(e)),
    };
    let body = detail(who, &d, q, error.as_deref());
    (status, page(Some(who), Frame { title: &d.incident.title, nav: "incidents", ..Default::default() }, body))
        .into_response()
}

fn detail(who: &Principal, d: &IncidentDetail, q: &HashMap<String, String>, error: Option<&str>) -> Markup {
    let i = &d.incident;
    let work = who.allows(Access::Work);
    let supervise = who.allows(Access::Supervise);
    let action = |what: &str| format!("/incidents/{}/{what}", i.id);
    html! {
        p.meta { a href="/incidents" { "All incidents" } }
        h2 { (i.title) }
        (notice(q))
        @if let Some(e) = error { p.error role="alert" { (e) } }
        p.meta {
            span.tag { (i.status.as_str()) }
            " · since " (short_time(i.started_at))
            @if let Some(e) = i.eta { " · ETA " (short_time(e)) " UTC" }
            @if i.public { " · on the status page" }
            @if let Some(c) = i.candidate_id { " · from candidate " (c) }
        }
        p { "Keys: " @for k in &i.keys { code { (k.to_string()) } " " }
            @if !i.areas.is_empty() { " · areas: " (i.areas.join(", ")) }
            @let p = i.all_products();
            @if !p.is_empty() { " · products and services: " (p.join(", ")) } }
        div.tiles {
            div.card.tile { span.big { (d.affected.customers) } span { "customer(s) affected" } }
            div.card.tile { span.big { (d.affected.notices) } span { "notice(s) queued, " (d.affected.follow_ups) " follow-up(s)" } }
            div.card.tile { span.big { (d.affected.credits) } span { "credit(s)" } }
            div.card.tile { span.big { (d.affected.messages) } span { "message(s), " (d.affected.cases) " case(s) linked" } }
        }
        div.grid2 {
            @if supervise {
                section.card aria-labelledby="st-h" {
                    h3 #st-h { "Status and ETA" }
                    form method="post" action=(action("status")) {
                        (csrf_field(who))
                        label for="status" { "Status" }
                        select #status name="status" {
                            @for s in IncidentStatus::ALL {
                                option value=(s.as_str()) selected[s == i.status] { (s.as_str()) }
                            }
                        }
                        label for="eta" { "ETA (UTC)" }
                        input #eta type="datetime-local" name="eta"
                            value=(i.eta.map(|e| e.to_rfc3339().get(..16).unwrap_or("").to_owned()).unwrap_or_default());
                        label { input type="checkbox" name="public" value="1" checked[i.public]; " On the public status page" }
                        button type="submit" { "Save" }
                    }
                }
                section.card aria-labelledby="up-h" {
                    h3 #up-h { "Post an update" }
                    form method="post" action=(action("updates")) {
                        (csrf_field(who))
                        label for="text" { "Update" }
                        textarea #text name="text" rows="3" required {}
                        label { input type="checkbox" name="public" value="1" checked; " Public (status page and feed)" }
                        button type="submit" { "Post" }
                    }
                }
                section.card aria-labelledby="out-h" {
                    h3 #out-h { "Tell affected customers" }
                    p.meta { "Each affected customer who consented to proactive contact gets one notice on their preferred channel, with the ETA; running it again sends nothing twice." }
                    form.inline method="post" action=(action("outreach")) {
                        (csrf_field(who))
                        button type="submit" { "Queue notices" }
                    }
                    @if !i.status.is_open() {
                        form.inline method="post" action=(action("follow-up")) {
                            (csrf_field(who))
                            button type="submit" { "Queue follow-ups" }
                        }
                    }
                }
                section.card aria-labelledby="cr-h" {
                    h3 #cr-h { "Goodwill credit" }
                    form method="post" action=(action("credits")) {
                        (csrf_field(who))
                        label for="amount_minor" { "Amount in minor units (pence, cents)" }
                        input #amount_minor name="amount_minor" inputmode="numeric" required;
                        label for="currency" { "Currency" }
                        input #currency name="currency" value="GBP" required;
                        label for="reason" { "Reason" }
                        input #reason name="reason" value=(format!("Incident {}: {}", i.id, i.title)) required;
                        button type="submit" { "Credit every affected customer once" }
                    }
                }
            }
            @if work {
                section.card aria-labelledby="bulk-h" {
                    h3 #bulk-h { "Bulk reply to linked conversations" }
                    p.meta { "Each linked case is answered once, on its own channel. Variables: {{customer_name}}, {{eta}}, {{incident_title}}, {{status_url}}." }
                    form method="post" action=(action("bulk-reply")) {
                        (csrf_field(who))
                        label for="t-default" { "Reply (any channel)" }
                        textarea #t-default name="default" rows="3" {}
                        label for="t-x" { "On X (optional)" }
                        textarea #t-x name="x" rows="2" {}
                        label for="t-email" { "By email (optional)" }
                        textarea #t-email name="email" rows="3" {}
                        button type="submit" { "Reply to all" }
                    }
                }
            }
        }
        section.card aria-labelledby="links-h" {
            h3 #links-h { "Linked messages and cases" }
            @if work {
                form.row method="post" action=(action("link")) {
                    (csrf_field(who))
                    label.sr for="link-case" { "Case id" }
                    input #link-case name="case_id" placeholder="Case id" inputmode="numeric";
                    label.sr for="link-msg" { "Message id" }
                    input #link-msg name="message_id" placeholder="or message id" inputmode="numeric";
                    button type="submit" { "Link" }
                }
            }
            ul.timeline { @for l in &d.links { li {
                div.meta {
                    @match l.target {
                        LinkTarget::Case(c) => { "case " a href=(format!("/cases/{}", c.0)) { "#" (c.0) } }
                        LinkTarget::Message(m) => { "message " (m.0) @if let Some(c) = l.case_id { " in " a href=(format!("/cases/{}", c.0)) { "case #" (c.0) } } }
                    }
                    @if let Some(ch) = l.channel { " · " span.chan { (ch.as_str()) } }
                    " · linked by " (l.linked_by)
                    @if let Some(u) = &l.unlinked_by { " · unlinked by " (u) }
                }
                @if let Some(s) = &l.summary { div { (s) } }
                @if work && l.unlinked_at.is_none() {
                    form.inline method="post" action=(action("unlink")) {
                        (csrf_field(who))
                        @match l.target {
                            LinkTarget::Case(c) => { input type="hidden" name="case_id" value=(c.0); }
                            LinkTarget::Message(m) => { input type="hidden" name="message_id" value=(m.0); }
                        }
                        button.quiet type="submit" { "Unlink" }
                    }
                }
            } } }
        }
        section.card aria-labelledby="hist-h" {
            h3 #hist-h { "Updates" }
            ol.timeline { @for u in &d.updates { li {
                div.meta { (short_time(u.at)) " · " (u.status.as_str()) " · " (u.created_by) @if u.public { " · public" } @else { " · internal" } }
                div { (u.text) }
            } } }
        }
    }
}

fn engine_refusal(e: EngineError) -> Refusal {
    Refusal::engine(e)
}

/// Back to the incident saying `done`, or its page with why.
async fn finish<T>(state: &AppState, who: &Principal, id: i64, done: &str, result: Result<T, EngineError>) -> Response {
    match result {
        Ok(_) => {
            state.engine().notify_changed();
            Redirect::to(&format!("/incidents/{id}?done={done}")).into_response()
        }
        Err(e) => {
            let r = engine_refusal(e);
            render(state, who, id, &HashMap::new(), Some(r.message), r.status).await
        }
    }
}

macro_rules! id_or_404 {
    ($who:expr, $id:expr) => {
        match parse_id(&$id) {
            Ok(id) => id,
            Err(r) => return error_page(&$who, &r),
        }
    };
}

/// `POST /incidents`: an incident by hand.
pub async fn create(State(state): State<AppState>, Extension(who): Extension<Principal>, f: Fields) -> Response {
    let eta = match f.get("eta").map(|s| parse_local_time(s).ok_or(())) {
        Some(Err(())) => {
            let q = HashMap::new();
            return list_page(
                &state,
                &who,
                &q,
                Some("The ETA is not a date and time.".into()),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
        Some(Ok(t)) => Some(t),
        None => None,
    };
    let draft = IncidentDraft {
        title: f.text("title"),
        status: None,
        keys: f.text("keys").lines().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect(),
        areas: lines(f.get("areas")),
        products: lines(f.get("products")),
        services: vec![],
        public: f.get("public").is_some(),
        eta,
        started_at: None,
        by: who.account.name.clone(),
    };
    match state.engine().create_incident(draft).await {
        Ok(d) => Redirect::to(&format!("/incidents/{}?done=incident-created", d.incident.id)).into_response(),
        Err(e) => {
            let r = engine_refusal(e);
            list_page(&state, &who, &HashMap::new(), Some(r.message), r.status).await
        }
    }
}

/// `POST /incidents/{id}/status`: status, ETA, public.
pub async fn status(
    State(state): State<AppState>,
    Extension(who): Extension<Principal>,
    Path(id): Path<String>,
    f: Fields,
) -> Response {
    let id = id_or_404!(who, id);
    let eta = match f.get("eta") {
        None => Some(None),
        Some(s) => match parse_local_time(s) {
            Some(t) => Some(Some(t)),
            None => {
                let r = Refusal::invalid("The ETA is not a date and time.");
                return render(&state, &who, id, &HashMap::new(), Some(r.message), r.status).await;
            }
        },
    };
    // An unchanged ETA that has passed is kept, not refused.
    let current = state.engine().store().incident(id).await.ok().flatten().and_then(|d| d.incident.eta);
    let eta = if eta == Some(current) { None } else { eta };
    let patch = IncidentPatch {
        status: f.get("status").map(str::to_owned),
        eta,
        public: Some(f.get("public").is_some()),
        by: who.account.name.clone(),
        ..Default::default()
    };
    let result = state.engine().update_incident(id, patch).await;
    finish(&state, &who, id, "incident-updated", result).await
}

/// `POST /incidents/{id}/updates`.
pub async fn add_update(
    State(state): State<AppState>,
    Extension(who): Extension<Principal>,
    Path(id): Path<String>,
    f: Fields,
) -> Response {
    let id = id_or_404!(who, id);
    let result = state
        .engine()
        .add_incident_update(id, f.get("public").is_some(), &f.text("text"), who.account.name.clone())
        .await;
    finish(&state, &who, id, "incident-updated", result).await
}

fn form_target(f: &Fields) -> Result<LinkTarget, Refusal> {
    let num = |n: &str| f.get(n).map(|s| s.trim_start_matches('#').parse::<i64>());
    match (num("message_id"), num("case_id")) {
        (Some(Ok(m)), None) => Ok(LinkTarget::Message(MessageId(m))),
        (None, Some(Ok(c))) => Ok(LinkTarget::Case(CaseId(c))),
        _ => Err(Refusal::invalid("Give a case id or a message id.")),
    }
}

async fn link_or_unlink(state: &AppState, who: &Principal, id: &str, f: &Fields, link: bool) -> Response {
    let id = match parse_id(id) {
        Ok(id) => id,
        Err(r) => return error_page(who, &r),
    };
    let target = match form_target(f) {
        Ok(t) => t,
        Err(r) => return render(state, who, id, &HashMap::new(), Some(r.message), r.status).await,
    };
    let store = state.engine().store();
    let by = who.account.name.clone();
    let result =
        if link { store.link_incident(id, target, by).await } else { store.unlink_incident(id, target, by).await };
    finish(state, who, id, if link { "linked" } else { "unlinked" }, result.map_err(EngineError::from)).await
}

/// `POST /incidents/{id}/link`: `case_id` or `message_id`.
pub async fn link(
    State(state): State<AppState>,
    Extension(who): Extension<Principal>,
    Path(id): Path<String>,
    f: Fields,
) -> Response {
    link_or_unlink(&state, &who, &id, &f, true).await
}

/// `POST /incidents/{id}/unlink`: `case_id` or `message_id`.
pub async fn unlink(
    State(state): State<AppState>,
    Extension(who): Extension<Principal>,
    Path(id): Path<String>,
    f: Fields,
) -> Response {
    link_or_unlink(&state, &who, &id, &f, false).await
}

fn outreach_request(state: &AppState, headers: &HeaderMap, who: &Principal) -> OutreachRequest {
    OutreachRequest {
        templates: BTreeMap::new(),
        status_url: format!("{}/status", base_url(state, headers)),
        by: who.account.name.clone(),
    }
}

/// `POST /incidents/{id}/outreach`: notices with the default templates.
pub async fn outreach(
    State(state): State<AppState>,
    Extension(who): Extension<Principal>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let id = id_or_404!(who, id);
    let result = state.engine().outreach(id, outreach_request(&state, &headers, &who)).await;
    let done = match &result {
        Ok(r) => format!("outreach&n={}", r.queued),
        Err(_) => String::new(),
    };
    finish(&state, &who, id, &done, result).await
}

/// `POST /incidents/{id}/follow-up`.
pub async fn follow_up(
    State(state): State<AppState>,
    Extension(who): Extension<Principal>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let id = id_or_404!(who, id);
    let result = state.engine().follow_up(id, outreach_request(&state, &headers, &who)).await;
    let done = match &result {
        Ok(r) => format!("follow-up&n={}", r.queued),
        Err(_) => String::new(),
    };
    finish(&state, &who, id, &done, result).await
}

/// `POST /incidents/{id}/credits`: `amount_minor`, `currency`, `reason`.
pub async fn credits(
    State(state): State<AppState>,
    Extension(who): Extension<Principal>,
    Path(id): Path<String>,
    f: Fields,
) -> Response {
    let id = id_or_404!(who, id);
    let Some(amount) = f.get("amount_minor").and_then(|s| s.parse::<i64>().ok()) else {
        let r = Refusal::invalid("The amount is a whole number of minor units (pence, cents).");
        return render(&state, &who, id, &HashMap::new(), Some(r.message), r.status).await;
    };
    let result = state
        .engine()
        .issue_credits(
            id,
            amount,
            f.get("currency").unwrap_or(""),
            f.get("reason").unwrap_or(""),
            who.account.name.clone(),
        )
        .await;
    let done = match &result {
        Ok(r) => format!("credits&n={}", r.issued),
        Err(_) => String::new(),
    };
    finish(&state, &who, id, &done, result).await
}

/// `POST /incidents/{id}/bulk-reply`: `default`, and per channel `x`,
/// `facebook`, `email`.
pub async fn bulk_reply(
    State(state): State<AppState>,
    Extension(who): Extension<Principal>,
    headers: HeaderMap,
    Path(id): Path<String>,
    f: Fields,
) -> Response {
    let id = id_or_404!(who, id);
    let mut templates = BTreeMap::new();
    for name in ["default", "x", "facebook", "email"] {
        if let Some(t) = f.get(name) {
            templates.insert(name.to_owned(), t.to_owned());
        }
    }
    let req = BulkReplyRequest {
        templates,
        status_url: format!("{}/status", base_url(&state, &headers)),
        by: who.account.name.clone(),
    };
    let result = state.engine().bulk_reply(id, req).await;
    let done = match &result {
        Ok(r) => format!("bulk-reply&n={}", r.items.iter().filter(|i| i.reply_id.is_some()).count()),
        Err(_) => String::new(),
    };
    finish(&state, &who, id, &done, result).await
}

/// `POST /incident-candidates/{id}/open`: one click.
pub async fn open_candidate(
    State(state): State<AppState>,
    Extension(who): Extension<Principal>,
    Path(id): Path<String>,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return error_page(
            &who,
            &Refusal { status: StatusCode::NOT_FOUND, message: "There is no candidate with that id.".into() },
        );
    };
    match state.engine().open_candidate(id, who.account.name.clone()).await {
        Ok(d) => Redirect::to(&format!("/incidents/{}?done=incident-created", d.incident.id)).into_response(),
        Err(e) => {
            let r = engine_refusal(e);
            list_page(&state, &who, &HashMap::new(), Some(r.message), r.status).await
        }
    }
}

/// `POST /incident-candidates/{id}/dismiss`.
pub async fn dismiss_candidate(
    State(state): State<AppState>,
    Extension(who): Extension<Principal>,
    Path(id): Path<String>,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return error_page(
            &who,
            &Refusal { status: StatusCode::NOT_FOUND, message: "There is no candidate with that id.".into() },
        );
    };
    match state.engine().store().dismiss_candidate(id, who.account.name.clone()).await {
        Ok(_) => {
            state.engine().notify_changed();
            Redirect::to("/incidents?done=candidate-dismissed").into_response()
        }
        Err(e) => {
            let r = Refusal::store(e);
            list_page(&state, &who, &HashMap::new(), Some(r.message), r.status).await
        }
    }
}
