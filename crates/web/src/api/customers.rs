//! Customers over HTTP: the 360, and events from the company's systems.

use axum::{
    Json,
    extract::{Path, State, rejection::JsonRejection},
};
use firebreak_domain::{CustomerId, Timestamp};
use firebreak_store::{AccountEvent, Customer360, NewAccountEvent};
use serde::Deserialize;

use super::{
    cases::body,
    messages::{field_problem, store_problem},
};
use crate::{AppState, Problem};

fn customer_id(s: &str) -> Result<CustomerId, Problem> {
    s.parse::<i64>().map(CustomerId).map_err(|_| Problem::not_found("customer with that id"))
}

/// `GET /api/v1/customers/{id}`: identities, open and past cases, account
/// events, sentiment over time, promises, consent, suggested matches.
pub async fn get_one(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<Customer360>, Problem> {
    let id = customer_id(&id)?;
    state
        .engine()
        .store()
        .customer(id)
        .await
        .map_err(store_problem)?
        .map(Json)
        .ok_or_else(|| Problem::not_found("customer with that id"))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventBody {
    kind: String,
    occurred_at: String,
    reference: Option<String>,
    #[serde(default)]
    details: serde_json::Value,
    external_id: Option<String>,
}

/// `POST /api/v1/customers/{id}/events`: an order, bill, outage or credit
/// from the company's systems. Idempotent on `external_id`.
pub async fn add_event(
    State(state): State<AppState>,
    Path(id): Path<String>,
    b: Result<Json<EventBody>, JsonRejection>,
) -> Result<Json<AccountEvent>, Problem> {
    let id = customer_id(&id)?;
    let e = body(b)?;
    let occurred_at =
        Timestamp::parse_rfc3339(&e.occurred_at).map_err(|err| field_problem("occurred_at", err.code, &err.message))?;
    let event = NewAccountEvent {
        kind: e.kind,
        occurred_at,
        reference: e.reference,
        details: e.details,
        external_id: e.external_id,
    };
    let out = state.engine().store().add_account_event(id, event).await.map_err(store_problem)?;
    state.engine().notify_changed();
    Ok(Json(out))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MergeBody {
    /// The customer to merge into this one.
    from: i64,
    reason: String,
    by: Option<String>,
}

/// `POST /api/v1/customers/{id}/merge`: `from` becomes part of this customer.
pub async fn merge(
    State(state): State<AppState>,
    Path(id): Path<String>,
    b: Result<Json<MergeBody>, JsonRejection>,
) -> Result<Json<serde_json::Value>, Problem> {
    let into = customer_id(&id)?;
    let m = body(b)?;
    let merge_id = state
        .engine()
        .store()
        .merge_customers(into, CustomerId(m.from), m.by.unwrap_or_else(|| "api".into()), m.reason)
        .await
        .map_err(store_problem)?;
    state.engine().notify_changed();
    Ok(Json(serde_json::json!({ "merge_id": merge_id, "into": into, "from": m.from })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UndoBody {
    reason: String,
    by: Option<String>,
}

/// `POST /api/v1/merges/{id}/undo`.
pub async fn undo_merge(
    State(state): State<AppState>,
    Path(id): Path<String>,
    b: Result<Json<UndoBody>, JsonRejection>,
) -> Result<Json<serde_json::Value>, Problem> {
    let merge: i64 = id.parse().map_err(|_| Problem::not_found("merge with that id"))?;
    let u = body(b)?;
    state
        .engine()
        .store()
        .unmerge(merge, u.by.unwrap_or_else(|| "api".into()), u.reason)
        .await
        .map_err(store_problem)?;
    state.engine().notify_changed();
    Ok(Json(serde_json::json!({ "merge_id": merge, "undone": true })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerBody {
    external_ref: Option<String>,
    name: Option<String>,
    #[serde(default)]
    emails: Vec<String>,
    #[serde(default)]
    phones: Vec<String>,
    postal_area: Option<String>,
    /// `[{"kind": "account", "value": "88123344"}, {"kind": "x", "value": "@maria_runs"}]`
    #[serde(default)]
    refs: Vec<RefBody>,
    /// Products and services the customer holds.
    #[serde(default)]
    products: Vec<String>,
    preferred_channel: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefBody {
    kind: String,
    value: String,
}

/// `POST /api/v1/customers`: creates a customer, or updates the one with the
/// same `external_ref`.
pub async fn upsert(
    State(state): State<AppState>,
    b: Result<Json<CustomerBody>, JsonRejection>,
) -> Result<Json<firebreak_store::CustomerOutcome>, Problem> {
    use firebreak_domain::{DisplayName, Email, NewCustomer, Phone, PostalArea};
    let c = body(b)?;
    fn f(field: &'static str) -> impl Fn(firebreak_domain::FieldError) -> Problem {
        move |e| field_problem(field, e.code, &e.message)
    }
    let customer = NewCustomer {
        external_ref: c.external_ref.filter(|r| !r.trim().is_empty()),
        name: c.name.as_deref().map(DisplayName::parse).transpose().map_err(f("name"))?,
        emails: c.emails.iter().map(|e| Email::parse(e)).collect::<Result<_, _>>().map_err(f("emails"))?,
        phones: c.phones.iter().map(|p| Phone::parse(p)).collect::<Result<_, _>>().map_err(f("phones"))?,
        postal_area: c.postal_area.as_deref().map(PostalArea::parse).transpose().map_err(f("postal_area"))?,
        refs: c
            .refs
            .iter()
            .map(|r| firebreak_domain::CustomerRef::parse(&r.kind, &r.value))
            .collect::<Result<_, _>>()
            .map_err(f("refs"))?,
        products: products(&c.products)?,
        preferred_channel: c
            .preferred_channel
            .as_deref()
            .map(firebreak_domain::Channel::parse)
            .transpose()
            .map_err(f("preferred_channel"))?,
    };
    let out = state.engine().store().upsert_customers(vec![customer]).await.map_err(store_problem)?;
    out.into_iter().next().map(Json).ok_or_else(|| Problem::internal("the store answered an empty batch"))
}

/// Product names, lower-cased with single spaces, each once.
fn products(raw: &[String]) -> Result<Vec<String>, Problem> {
    let mut out: Vec<String> = Vec::new();
    for p in raw {
        let p = p.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
        if p.is_empty() || p.len() > 100 || p.chars().any(char::is_control) {
            return Err(field_problem("products", "invalid_product", "a product name is 1 to 100 characters"));
        }
        if !out.contains(&p) {
            out.push(p);
        }
    }
    Ok(out)
}

/// `GET /api/v1/customers/{id}/export`: everything held about the person.
pub async fn export(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<serde_json::Value>, Problem> {
    let id = customer_id(&id)?;
    state
        .engine()
        .store()
        .export_customer(id)
        .await
        .map_err(store_problem)?
        .map(Json)
        .ok_or_else(|| Problem::not_found("customer with that id"))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EraseBody {
    /// The customer's id again, typed out: erasure cannot be undone.
    confirm: String,
    reason: String,
    by: Option<String>,
}

/// `POST /api/v1/customers/{id}/erase`.
pub async fn erase(
    State(state): State<AppState>,
    Path(id): Path<String>,
    b: Result<Json<EraseBody>, JsonRejection>,
) -> Result<Json<serde_json::Value>, Problem> {
    let id = customer_id(&id)?;
    let e = body(b)?;
    if e.confirm.trim() != id.0.to_string() {
        return Err(field_problem("confirm", "not_confirmed", "type the customer's id to confirm the erasure"));
    }
    if e.reason.trim().is_empty() {
        return Err(field_problem("reason", "empty", "say why (for example: the person asked, Art. 17)"));
    }
    let messages = state
        .engine()
        .store()
        .erase_customer(id, e.by.unwrap_or_else(|| "api".into()), e.reason)
        .await
        .map_err(store_problem)?;
    state.engine().notify_changed();
    Ok(Json(serde_json::json!({ "customer_id": id, "erased": true, "messages_deleted": messages })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsentBody {
    purpose: String,
    granted: bool,
    wording_version: String,
    method: String,
}

/// `POST /api/v1/customers/{id}/consents`: consent given or withdrawn.
pub async fn consent(
    State(state): State<AppState>,
    Path(id): Path<String>,
    b: Result<Json<ConsentBody>, JsonRejection>,
) -> Result<Json<serde_json::Value>, Problem> {
    let id = customer_id(&id)?;
    let c = body(b)?;
    let consent = firebreak_store::Consent {
        purpose: c.purpose,
        granted: c.granted,
        at: Timestamp::now(),
        wording_version: c.wording_version,
        method: c.method,
    };
    state.engine().store().record_consent(id, consent).await.map_err(store_problem)?;
    Ok(Json(serde_json::json!({ "customer_id": id, "recorded": true })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionBody {
    by: Option<String>,
}

async fn decide(
    state: AppState,
    id: String,
    confirm: bool,
    b: Result<Json<DecisionBody>, JsonRejection>,
) -> Result<Json<serde_json::Value>, Problem> {
    let proposal: i64 = id.parse().map_err(|_| Problem::not_found("match proposal with that id"))?;
    let d = body(b)?;
    let customer = state
        .engine()
        .store()
        .decide_proposal(proposal, confirm, d.by.unwrap_or_else(|| "api".into()))
        .await
        .map_err(store_problem)?;
    state.engine().notify_changed();
    Ok(Json(serde_json::json!({ "proposal": proposal, "customer_id": customer, "confirmed": confirm })))
}

/// `POST /api/v1/proposals/{id}/confirm`: the suggested customer is this person.
pub async fn confirm(
    State(state): State<AppState>,
    Path(id): Path<String>,
    b: Result<Json<DecisionBody>, JsonRejection>,
) -> Result<Json<serde_json::Value>, Problem> {
    decide(state, id, true, b).await
}

/// `POST /api/v1/proposals/{id}/reject`.
pub async fn reject(
    State(state): State<AppState>,
    Path(id): Path<String>,
    b: Result<Json<DecisionBody>, JsonRejection>,
) -> Result<Json<serde_json::Value>, Problem> {
    decide(state, id, false, b).await
}
