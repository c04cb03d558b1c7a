//! Customers: finding one (by name, email, handle, reference or an order,
//! account or booking number), their 360 page with the timeline across
//! channels, merging and undoing merges, and for admins the export and the
//! erasure (which asks for the customer's id or the word ERASE).

use std::collections::HashMap;

use axum::{
    Extension,
    extract::{Path, Query, State},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
};
use firebreak_domain::{CustomerId, Direction};
use maud::{Markup, html};

use super::{
    customer_panel,
    forms::{Fields, Refusal, error_page, notice},
    layout::{Frame, csrf_field, message_meta, page, short_time},
};
use crate::{
    AppState,
    auth::{Access, Principal},
};

/// Search results shown.
const RESULTS: u32 = 50;

const MERGE_CONFIRM: &str =
    "Merge that customer into this one? Their identities, cases and history move here; the merge can be undone.";

/// `GET /customers?q=`.
pub async fn search(
    State(state): State<AppState>,
    Extension(who): Extension<Principal>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let text = q.get("q").map(|s| s.trim()).unwrap_or("");
    let found = if text.is_empty() {
        Ok(Vec::new())
    } else {
        state.engine().store().search_customers(text.to_owned(), RESULTS).await
    };
    let found = match found {
        Ok(f) => f,
        Err(e) => return error_page(&who, &Refusal::store(e)),
    };
    let body = html! {
        h2 { "Customers" }
        (notice(&q))
        form.row method="get" action="/customers" role="search" {
            label.sr for="q" { "Find a customer" }
            input #q type="search" name="q" value=(text) autofocus
                placeholder="Name, email, @handle, phone, customer reference, order or booking number";
            button type="submit" { "Find" }
        }
        @if !text.is_empty() {
            p.meta { (found.len()) " customer(s) for “" (text) "”" }
            @if !found.is_empty() {
                table {
                    thead { tr {
                        th { "Customer" } th { "Matched on" } th { "Email" } th { "On channels" } th { "Open cases" }
                    } }
                    tbody {
                        @for c in &found {
                            tr data-row data-id=(c.id.0) {
                                td {
                                    a href={ "/customers/" (c.id.0) } { (c.name.as_deref().unwrap_or("Unnamed customer")) }
                                    " " span.meta { "#" (c.id.0) }
                                    @if let Some(r) = &c.external_ref { " " span.meta { (r) } }
                                    @if c.provisional { " " span.tag { "provisional" } }
                                }
                                td { (c.matched) }
                                td { (c.emails.join(", ")) }
                                td { @for (ch, h) in &c.identities { span.chan { (ch.as_str()) } " " (h) " " } }
                                td { (c.open_cases) }
                            }
                        }
                    }
                }
            }
        }
    };
    page(Some(&who), Frame { title: "Customers", nav: "customers", kind: "customers", ..Default::default() }, body)
        .into_response()
}

fn customer_id(s: &str) -> Result<CustomerId, Refusal> {
    s.parse::<i64>()
        .map(CustomerId)
        .map_err(|_| Refusal { status: StatusCode::NOT_FOUND, message: "There is no customer with that id.".into() })
}

/// The form a refusal belongs next to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Merge,
    Undo,
    Erase,
}

/// `GET /customers/{id}`: the 360.
pub async fn show(
    State(state): State<AppState>,
    Extension(who): Extension<Principal>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    match customer_id(&id) {
        Ok(id) => render(&state, &who, id, None, &q, StatusCode::OK).await,
        Err(r) => error_page(&who, &r),
    }
}

async fn render(
    state: &AppState,
    who: &Principal,
    id: CustomerId,
    error: Option<(Part, String)>,
    q: &HashMap<String, String>,
    status: StatusCode,
) -> Response {
    let store = state.engine().store();
    let person = match store.customer(id).await {
        Ok(Some(p)) => p,
        Ok(None) => {
            let r = Refusal {
                status: StatusCode::NOT_FOUND,
                message: format!("There is no customer {} (or they were erased).", id.0),
            };
            return error_page(who, &r);
        }
        Err(e) => return error_page(who, &Refusal::store(e)),
    };
    let links = store.customer_links(id).await.unwrap_or_default();
    let community = store.customer_community(id.0, super::community::crm::LISTED).await.ok();
    let now = state.engine().clock().now();
    let work = who.allows(Access::Work);
    let admin = who.allows(Access::Admin);
    let err = |part: Part| -> Markup {
        let m = error.as_ref().filter(|(p, _)| *p == part).map(|(_, m)| m);
        html! { @if let Some(m) = m { p.error role="alert" { (m) } } }
    };
    let here = format!("/customers/{}", id.0);
    let name = person.name.as_ref().map(|n| n.as_str().to_owned()).unwrap_or_else(|| format!("Customer #{}", id.0));
    let body = html! {
        h2 { (name) " " span.meta { "#" (id.0) } }
        (notice(q))
        @if let Some(into) = person.merged_into {
            p.flash { "This customer was merged into " a href={ "/customers/" (into.0) } { "customer #" (into.0) } "." }
        }
        div.cols {
            div.stack {
                section aria-labelledby="timeline" {
                    h3 #timeline { "Across every channel" }
                    @if person.timeline.is_empty() { p.meta { "No messages." } }
                    ol.timeline {
                        @for m in &person.timeline {
                            li class=[(m.message.direction == Direction::Out).then_some("out")] {
                                (message_meta(m))
                                p.text { (m.message.text.as_str()) }
                            }
                        }
                    }
                }
                @if let Some(cc) = &community { (super::community::crm::section(cc, None)) }
                section.card aria-labelledby="merges" {
                    h3 #merges { "Merges" }
                    @if links.merges.is_empty() { p.meta { "Nobody was merged into this customer." } }
                    (err(Part::Undo))
                    ul.plain {
                        @for m in &links.merges {
                            li {
                                a href={ "/customers/" (m.from.0) } { "Customer #" (m.from.0) } " merged in by " (m.actor)
                                " on " (short_time(m.at)) ": " (m.reason)
                                @if let Some(u) = m.undone_at { span.meta { " · undone " (short_time(u)) } }
                                @else if work {
                                    form.row method="post" action={ "/merges/" (m.id) "/undo" } {
                                        (csrf_field(who))
                                        input type="hidden" name="back" value=(id.0);
                                        label.sr for={ "undo-" (m.id) } { "Why undo it" }
                                        input id={ "undo-" (m.id) } type="text" name="reason" required
                                            placeholder="why (for the audit log)";
                                        button.quiet type="submit" { "Undo merge" }
                                    }
                                }
                            }
                        }
                    }
                    @if work && person.merged_into.is_none() {
                        form.stack method="post" action={ "/customers/" (id.0) "/merge" } data-confirm=(MERGE_CONFIRM) {
                            (csrf_field(who))
                            (err(Part::Merge))
                            div.row {
                                label for="merge-from" { "Merge customer #" }
                                input #merge-from type="number" name="from" min="1" required;
                                label for="merge-reason" { "because" }
                                input #merge-reason type="text" name="reason" required
                                    placeholder="the same person: same email on the booking";
                                button.quiet type="submit" { "Merge into this customer" }
                            }
                        }
                    }
                }
                @if admin {
                    section.card.danger aria-labelledby="privacy" {
                        h3 #privacy { "Personal data" }
                        p {
                            a href={ "/customers/" (id.0) "/export.json" } download={ "customer-" (id.0) ".json" } {
                                "Download everything held about them (JSON)"
                            }
                        }
                        form.stack method="post" action={ "/customers/" (id.0) "/erase" }
                            data-confirm="Erase this customer for good? This cannot be undone." {
                            (csrf_field(who))
                            (err(Part::Erase))
                            p.meta {
                                "Erasing deletes their messages, identities and records and anonymises their cases. "
                                "It cannot be undone."
                            }
                            div.row {
                                label for="erase-confirm" { "Type " strong { (id.0) } " or ERASE" }
                                input #erase-confirm type="text" name="confirm" required autocomplete="off";
                                label for="erase-reason" { "Why" }
                                input #erase-reason type="text" name="reason" required
                                    placeholder="the person asked (Art. 17)";
                                button.danger type="submit" { "Erase" }
                            }
                        }
                    }
                }
            }
            aside.side aria-label="Customer 360" {
                (customer_panel::panel(who, &person, &links, None, &here, work, now))
            }
        }
    };
    let frame = Frame { title: &name, nav: "customers", kind: "customer", ..Default::default() };
    (status, page(Some(who), frame, body)).into_response()
}

/// Re-renders the customer's page with `r` next to `part`.
async fn refuse(state: &AppState, who: &Principal, id: CustomerId, part: Part, r: Refusal) -> Response {
    render(state, who, id, Some((part, r.message)), &HashMap::new(), r.status).await
}

/// `POST /customers/{id}/merge`: `from` (the other customer's id), `reason`.
pub async fn merge(
    State(state): State<AppState>,
    Extension(who): Extension<Principal>,
    Path(id): Path<String>,
    f: Fields,
) -> Response {
    let into = match customer_id(&id) {
        Ok(id) => id,
        Err(r) => return error_page(&who, &r),
    };
    let Some(from) = f.get("from").map(|s| s.trim_start_matches('#')).and_then(|s| s.parse::<i64>().ok()) else {
        return refuse(
            &state,
            &who,
            into,
            Part::Merge,
            Refusal::invalid("Give the id of the customer to merge into this one."),
        )
        .await;
    };
    let reason = f.get("reason").unwrap_or("").to_owned();
    match state.engine().store().merge_customers(into, CustomerId(from), who.account.name.clone(), reason).await {
        Ok(_) => {
            state.engine().notify_changed();
            Redirect::to(&format!("/customers/{}?done=merged", into.0)).into_response()
        }
        Err(e) => refuse(&state, &who, into, Part::Merge, Refusal::store(e)).await,
    }
}

/// `POST /merges/{id}/undo`: `reason`; `back` is the customer page it came from.
pub async fn undo(
    State(state): State<AppState>,
    Extension(who): Extension<Principal>,
    Path(id): Path<String>,
    f: Fields,
) -> Response {
    let Ok(merge) = id.parse::<i64>() else {
        return error_page(
            &who,
            &Refusal { status: StatusCode::NOT_FOUND, message: "There is no merge with that id.".into() },
        );
    };
    let back = f.get("back").and_then(|b| b.parse::<i64>().ok()).map(CustomerId);
    let reason = f.get("reason").unwrap_or("").to_owned();
    match state.engine().store().unmerge(merge, who.account.name.clone(), reason).await {
        Ok(()) => {
            state.engine().notify_changed();
            let to = back
                .map(|c| format!("/customers/{}?done=unmerged", c.0))
                .unwrap_or_else(|| "/customers?done=unmerged".into());
            Redirect::to(&to).into_response()
        }
        Err(e) => match back {
            Some(c) => refuse(&state, &who, c, Part::Undo, Refusal::store(e)).await,
            None => error_page(&who, &Refusal::store(e)),
        },
    }
}

/// `GET /customers/{id}/export.json`: everything held about them, as a download.
pub async fn export(
    State(state): State<AppState>,
    Extension(who): Extension<Principal>,
    Path(id): Path<String>,
) -> Response {
    let id = match customer_id(&id) {
        Ok(id) => id,
        Err(r) => return error_page(&who, &r),
    };
    match state.engine().store().export_customer(id).await {
        Ok(Some(doc)) => {
            let body = serde_json::to_vec_pretty(&doc).unwrap_or_default();
            let mut resp = body.into_response();
            let h = resp.headers_mut();
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
            if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"customer-{}.json\"", id.0)) {
                h.insert(header::CONTENT_DISPOSITION, v);
            }
            resp
        }
        Ok(None) => error_page(
            &who,
            &Refusal { status: StatusCode::NOT_FOUND, message: format!("There is no customer {}.", id.0) },
        ),
        Err(e) => error_page(&who, &Refusal::store(e)),
    }
}

/// `POST /customers/{id}/erase`: `confirm` must be the customer's id or the
/// word ERASE; `reason` is kept in the audit log.
pub async fn erase(
    State(state): State<AppState>,
    Extension(who): Extension<Principal>,
    Path(id): Path<String>,
    f: Fields,
) -> Response {
    let id = match customer_id(&id) {
        Ok(id) => id,
        Err(r) => return error_page(&who, &r),
    };
    let confirm = f.get("confirm").unwrap_or("");
    let refusal = if confirm != id.0.to_string() && confirm != "ERASE" {
        Some(Refusal::invalid(format!("Nothing was erased: type {} or ERASE to confirm.", id.0)))
    } else if f.get("reason").is_none() {
        Some(Refusal::invalid("Nothing was erased: say why (for example: the person asked, Art. 17)."))
    } else {
        None
    };
    if let Some(r) = refusal {
        return refuse(&state, &who, id, Part::Erase, r).await;
    }
    let reason = f.get("reason").unwrap_or("").to_owned();
    match state.engine().store().erase_customer(id, who.account.name.clone(), reason).await {
        Ok(_) => {
            state.engine().notify_changed();
            Redirect::to("/customers?done=erased").into_response()
        }
        Err(e) => refuse(&state, &who, id, Part::Erase, Refusal::store(e)).await,
    }
}
