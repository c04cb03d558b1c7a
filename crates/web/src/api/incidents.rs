//! Incidents over HTTP: incidents and their updates and links, candidates
//! the detector raised, outreach and follow-ups, credits (JSON and CSV for
//! billing), bulk replies, and the marketing suppression list (JSON and CSV).

use std::collections::{BTreeMap, HashMap};

use axum::{
    Extension, Json,
    extract::{Path, Query, State, rejection::JsonRejection, rejection::QueryRejection},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use firebreak_domain::{CaseId, MessageId, Timestamp};
use firebreak_engine::incidents::{BulkReplyRequest, IncidentDraft, IncidentPatch, OutreachRequest, TemplateInput};
use firebreak_store::{
    CandidateStatus, CreditQuery, CreditRow, IncidentFilter, LinkTarget, SuppressionQuery, SuppressionRow,
};
use serde::{Deserialize, Deserializer};
use serde_json::{Value, json};

use super::{
    cases::body,
    messages::{field_problem, store_problem},
    params::{Params, invalid},
};
use crate::{AppState, Problem, auth::Principal, webhooks::engine_problem};

fn incident_id(s: &str) -> Result<i64, Problem> {
    s.parse::<i64>().map_err(|_| Problem::not_found("incident with that id"))
}

fn candidate_id(s: &str) -> Result<i64, Problem> {
    s.parse::<i64>().map_err(|_| Problem::not_found("candidate with that id"))
}

fn time(field: &str, s: Option<&str>) -> Result<Option<Timestamp>, Problem> {
    s.filter(|s| !s.trim().is_empty())
        .map(|s| Timestamp::parse_rfc3339(s.trim()).map_err(|e| field_problem(field, e.code, &e.message)))
        .transpose()
}

/// The status page's address as this request reached us.
pub fn base_url(state: &AppState, headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c)))
        .unwrap_or("localhost");
    let scheme = if state.config().secure_cookies { "https" } else { "http" };
    format!("{scheme}://{host}")
}

/// A field that may be absent (keep), `null` (clear) or a value.
fn double<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// `GET /api/v1/incidents?status=open`.
pub async fn list(
    State(state): State<AppState>,
    q: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Json<Value>, Problem> {
    let p = Params::new(q, &["status"])?;
    let open_only = match p.str("status") {
        None | Some("all") => false,
        Some("open") => true,
        Some(_) => return Err(invalid("status", "invalid_value", "`status` is open or all.")),
    };
    let items = state
        .engine()
        .store()
        .incidents(IncidentFilter { open_only, public_only: false })
        .await
        .map_err(store_problem)?;
    Ok(Json(json!({ "items": items })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateBody {
    #[serde(default)]
    title: String,
    status: Option<String>,
    #[serde(default)]
    keys: Vec<String>,
    #[serde(default)]
    areas: Vec<String>,
    #[serde(default)]
    products: Vec<String>,
    #[serde(default)]
    services: Vec<String>,
    #[serde(default)]
    public: bool,
    eta: Option<String>,
    started_at: Option<String>,
}

/// `POST /api/v1/incidents`: an incident opened by hand (201).
pub async fn create(
    State(state): State<AppState>,
    Extension(who): Extension<Principal>,
    b: Result<Json<CreateBody>, JsonRejection>,
) -> Result<(StatusCode, Json<Value>), Problem> {
    let c = body(b)?;
    let draft = IncidentDraft {
        title: c.title,
        status: c.status,
        keys: c.keys,
        areas: c.areas,
        products: c.products,
        services: c.services,
        public: c.public,
        eta: time("eta", c.eta.as_deref())?,
        started_at: time("started_at", c.started_at.as_deref())?,
        by: who.account.name.clone(),
    };
    let out = state.engine().create_incident(draft).await.map_err(engine_problem)?;
    Ok((StatusCode::CREATED, Json(json!(out))))
}

/// `GET /api/v1/incidents/{id}`: with its updates, links and affected counts.
pub async fn get_one(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<Value>, Problem> {
    let id = incident_id(&id)?;
    let d = state.engine().store().incident(id).await.map_err(store_problem)?;
    d.map(|d| Json(json!(d))).ok_or_else(|| Problem::not_found("incident with that id"))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatchBody {
    title: Option<String>,
    status: Option<String>,
    #[serde(default, deserialize_with = "double")]
    eta: Option<Option<String>>,
    keys: Option<Vec<String>>,
    areas: Option<Vec<String>>,
    products: Option<Vec<String>>,
    services: Option<Vec<String>>,
    public: Option<bool>,
}

/// `PATCH /api/v1/incidents/{id}`: status, ETA (`null` clears it), title,
/// keys, areas, products, services, public.
pub async fn patch(
    State(state): State<AppState>,
    Extension(who): Extension<Principal>,
    Path(id): Path<String>,
    b: Result<Json<PatchBody>, JsonRejection>,
) -> Result<Json<Value>, Problem> {
    let id = incident_id(&id)?;
    let p = body(b)?;
    let eta = match p.eta {
        None => None,
        Some(None) => Some(None),
        Some(Some(s)) => Some(time("eta", Some(&s))?),
    };
    let patch = IncidentPatch {
        title: p.title,
        status: p.status,
        eta,
        keys: p.keys,
        areas: p.areas,
        products: p.products,
        services: p.services,
        public: p.public,
        by: who.account.name.clone(),
    };
    let out = state.engine().update_incident(id, patch).await.map_err(engine_problem)?;
    Ok(Json(json!(out)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateBody {
    text: String,
    /// Shown on the status page; `true` unless said otherwise.
    #[serde(default = "yes")]
    public: bool,
}

fn yes() -> bool {
    true
}

/// `POST /api/v1/incidents/{id}/updates` (201).
pub async fn add_update(
    State(state): State<AppState>,
    Extension(who): Extension<Principal>,
    Path(id): Path<String>,
    b: Result<Json<UpdateBody>, JsonRejection>,
) -> Result<(StatusCode, Json<Value>), Problem> {
    let id = incident_id(&id)?;
    let u = body(b)?;
    let out = state
        .engine()
        .add_incident_update(id, u.public, &u.text, who.account.name.clone())
        .await
        .map_err(engine_problem)?;
    Ok((StatusCode::CREATED, Json(json!(out))))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkBody {
    message_id: Option<i64>,
    case_id: Option<i64>,
}

fn target(message_id: Option<i64>, case_id: Option<i64>) -> Result<LinkTarget, Problem> {
    match (message_id, case_id) {
        (Some(m), None) => Ok(LinkTarget::Message(MessageId(m))),
        (None, Some(c)) => Ok(LinkTarget::Case(CaseId(c))),
        _ => Err(field_problem("message_id", "one_target", "give either message_id or case_id")),
    }
}

/// `POST /api/v1/incidents/{id}/links`: `{message_id}` (its case too) or `{case_id}`.
pub async fn link(
    State(state): State<AppState>,
    Extension(who): Extension<Principal>,
    Path(id): Path<String>,
    b: Result<Json<LinkBody>, JsonRejection>,
) -> Result<Json<Value>, Problem> {
    let id = incident_id(&id)?;
    let l = body(b)?;
    let t = target(l.message_id, l.case_id)?;
    state.engine().store().link_incident(id, t, who.account.name.clone()).await.map_err(store_problem)?;
    state.engine().notify_changed();
    Ok(Json(json!({ "incident_id": id, "linked": t })))
}

/// `DELETE /api/v1/incidents/{id}/links?message_id=` or `?case_id=`: the
/// unlink is remembered, so automatic linking does not add it back.
pub async fn unlink(
    State(state): State<AppState>,
    Extension(who): Extension<Principal>,
    Path(id): Path<String>,
    q: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Json<Value>, Problem> {
    let id = incident_id(&id)?;
    let p = Params::new(q, &["message_id", "case_id"])?;
    let num = |name: &str| -> Result<Option<i64>, Problem> {
        p.str(name)
            .map(|s| s.parse::<i64>().map_err(|_| invalid(name, "invalid_id", format!("`{name}` is a number."))))
            .transpose()
    };
    let t = target(num("message_id")?, num("case_id")?)?;
    state.engine().store().unlink_incident(id, t, who.account.name.clone()).await.map_err(store_problem)?;
    state.engine().notify_changed();
    Ok(Json(json!({ "incident_id": id, "unlinked": t })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateBody {
    subject: Option<String>,
    text: String,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct OutreachBody {
    /// By channel (`email`, `x`, `facebook`); the defaults where absent.
    #[serde(default)]
    templates: BTreeMap<String, TemplateBody>,
}

fn outreach_request(state: &AppState, headers: &HeaderMap, who: &Principal, o: OutreachBody) -> OutreachRequest {
    OutreachRequest {
        templates: o
            .templates
            .into_iter()
            .map(|(k, t)| (k, TemplateInput { subject: t.subject, text: t.text }))
            .collect(),
        status_url: format!("{}/status", base_url(state, headers)),
        by: who.account.name.clone(),
    }
}

/// An empty body is the defaults.
fn optional_body<T: Default>(b: Result<Json<T>, JsonRejection>) -> Result<T, Problem> {
    match b {
        Err(JsonRejection::MissingJsonContentType(_)) => Ok(T::default()),
        other => body(other),
    }
}

/// `POST /api/v1/incidents/{id}/outreach`: queues a notice to every affected
/// customer who consented to proactive contact, on their preferred channel.
pub async fn outreach(
    State(state): State<AppState>,
    Extension(who): Extension<Principal>,
    headers: HeaderMap,
    Path(id): Path<String>,
    b: Result<Json<OutreachBody>, JsonRejection>,
) -> Result<Json<Value>, Problem> {
    let id = incident_id(&id)?;
    let req = outreach_request(&state, &headers, &who, optional_body(b)?);
    let out = state.engine().outreach(id, req).await.map_err(engine_problem)?;
    Ok(Json(json!(out)))
}

/// `POST /api/v1/incidents/{id}/follow-up`: once resolved, tells those
/// notified.
pub async fn follow_up(
    State(state): State<AppState>,
    Extension(who): Extension<Principal>,
    headers: HeaderMap,
    Path(id): Path<String>,
    b: Result<Json<OutreachBody>, JsonRejection>,
) -> Result<Json<Value>, Problem> {
    let id = incident_id(&id)?;
    let req = outreach_request(&state, &headers, &who, optional_body(b)?);
    let out = state.engine().follow_up(id, req).await.map_err(engine_problem)?;
    Ok(Json(json!(out)))
}

/// `GET /api/v1/incidents/{id}/notices?after=&limit=`.
pub async fn notices(
    State(state): State<AppState>,
    Path(id): Path<String>,
    q: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Json<Value>, Problem> {
    let id = incident_id(&id)?;
    let p = Params::new(q, &["after", "limit"])?;
    let after = after(&p)?;
    let limit = p.limit(100, 1000)?;
    let items = state.engine().store().notices(id, after.unwrap_or(0), limit).await.map_err(store_problem)?;
    let next = (items.len() == limit as usize).then(|| items.last().map(|n| n.id)).flatten();
    Ok(Json(json!({ "items": items, "next": next })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreditBody {
    /// In minor units (pence, cents).
    amount_minor: i64,
    currency: String,
    reason: String,
}

/// `POST /api/v1/incidents/{id}/credits`: a credit to every affected
/// customer, once per incident and customer.
pub async fn credit(
    State(state): State<AppState>,
    Extension(who): Extension<Principal>,
    Path(id): Path<String>,
    b: Result<Json<CreditBody>, JsonRejection>,
) -> Result<Json<Value>, Problem> {
    let id = incident_id(&id)?;
    let c = body(b)?;
    let out = state
        .engine()
        .issue_credits(id, c.amount_minor, &c.currency, &c.reason, who.account.name.clone())
        .await
        .map_err(engine_problem)?;
    Ok(Json(json!(out)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BulkBody {
    /// The reply by channel, and `default` for the others.
    templates: BTreeMap<String, String>,
}

/// `POST /api/v1/incidents/{id}/bulk-reply`: every linked case answered on
/// its own channel, once.
pub async fn bulk_reply(
    State(state): State<AppState>,
    Extension(who): Extension<Principal>,
    headers: HeaderMap,
    Path(id): Path<String>,
    b: Result<Json<BulkBody>, JsonRejection>,
) -> Result<(StatusCode, Json<Value>), Problem> {
    let id = incident_id(&id)?;
    let r = body(b)?;
    let req = BulkReplyRequest {
        templates: r.templates,
        status_url: format!("{}/status", base_url(&state, &headers)),
        by: who.account.name.clone(),
    };
    let out = state.engine().bulk_reply(id, req).await.map_err(engine_problem)?;
    Ok((StatusCode::ACCEPTED, Json(json!(out))))
}

/// `GET /api/v1/incident-candidates?status=open`.
pub async fn candidates(
    State(state): State<AppState>,
    q: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Json<Value>, Problem> {
    let p = Params::new(q, &["status", "limit"])?;
    let status = match p.str("status") {
        None | Some("all") => None,
        Some(s) => Some(
            CandidateStatus::parse(s)
                .ok_or_else(|| invalid("status", "invalid_value", "`status` is open, opened, dismissed or all."))?,
        ),
    };
    let limit = p.limit(100, 1000)?;
    let items = state.engine().store().candidates(status, limit).await.map_err(store_problem)?;
    Ok(Json(json!({ "items": items })))
}

/// `GET /api/v1/incident-candidates/{id}`.
pub async fn candidate(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<Value>, Problem> {
    let id = candidate_id(&id)?;
    let c = state.engine().store().candidate(id).await.map_err(store_problem)?;
    c.map(|c| Json(json!(c))).ok_or_else(|| Problem::not_found("candidate with that id"))
}

/// `POST /api/v1/incident-candidates/{id}/open`: one click, one incident
/// (201; a second click answers the same incident).
pub async fn open_candidate(
    State(state): State<AppState>,
    Extension(who): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<Value>), Problem> {
    let id = candidate_id(&id)?;
    let out = state.engine().open_candidate(id, who.account.name.clone()).await.map_err(engine_problem)?;
    Ok((StatusCode::CREATED, Json(json!(out))))
}

/// `POST /api/v1/incident-candidates/{id}/dismiss`.
pub async fn dismiss_candidate(
    State(state): State<AppState>,
    Extension(who): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Json<Value>, Problem> {
    let id = candidate_id(&id)?;
    let out = state.engine().store().dismiss_candidate(id, who.account.name.clone()).await.map_err(store_problem)?;
    state.engine().notify_changed();
    Ok(Json(json!(out)))
}

fn after(p: &Params) -> Result<Option<i64>, Problem> {
    p.str("after")
        .map(|s| s.parse::<i64>().map_err(|_| invalid("after", "invalid_cursor", "`after` is the `next` of a page.")))
        .transpose()
}

fn credit_query(p: &Params, limit: u32) -> Result<CreditQuery, Problem> {
    let incident = p
        .str("incident")
        .map(|s| s.parse::<i64>().map_err(|_| invalid("incident", "invalid_id", "`incident` is an incident id.")))
        .transpose()?;
    Ok(CreditQuery { incident, after: after(p)?, limit })
}

/// `GET /api/v1/credits?incident=&after=&limit=`: the ledger, oldest first.
pub async fn credits(
    State(state): State<AppState>,
    q: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Json<Value>, Problem> {
    let p = Params::new(q, &["incident", "after", "limit"])?;
    let limit = p.limit(100, 1000)?;
    let items = state.engine().store().credits(credit_query(&p, limit)?).await.map_err(store_problem)?;
    let next = (items.len() == limit as usize).then(|| items.last().map(|c| c.id)).flatten();
    Ok(Json(json!({ "items": items, "next": next })))
}

/// A CSV field: quoted when it must be, and with a leading `'` when a
/// spreadsheet would read it as a formula.
pub(crate) fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{s}") } else { s.to_owned() };
    if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s }
}

pub(crate) fn csv_response(name: &str, text: String) -> Response {
    let mut resp = text.into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    resp
}

/// Every page of a paginated read, for an export.
const EXPORT_PAGE: u32 = 10_000;

/// `GET /api/v1/credits.csv?incident=`: the ledger for billing.
pub async fn credits_csv(
    State(state): State<AppState>,
    q: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Response, Problem> {
    let p = Params::new(q, &["incident"])?;
    let mut query = credit_query(&p, EXPORT_PAGE)?;
    let mut out = String::from(
        "credit_id,incident_id,customer_id,external_ref,amount_minor,currency,reason,created_by,created_at\r\n",
    );
    loop {
        let rows: Vec<CreditRow> = state.engine().store().credits(query).await.map_err(store_problem)?;
        for r in &rows {
            out.push_str(&format!(
                "{},{},{},{},{},{},{},{},{}\r\n",
                r.id,
                r.incident_id,
                r.customer_id,
                csv_field(r.external_ref.as_deref().unwrap_or("")),
                r.amount_minor,
                csv_field(&r.currency),
                csv_field(&r.reason),
                csv_field(&r.created_by),
                r.created_at.to_rfc3339()
            ));
        }
        match rows.last() {
            Some(last) if rows.len() == EXPORT_PAGE as usize => query.after = Some(last.id),
            _ => break,
        }
    }
    Ok(csv_response("credits.csv", out))
}

fn suppression_query(p: &Params, limit: u32) -> Result<SuppressionQuery, Problem> {
    let acquisition = match p.str("offer") {
        None | Some("retention") | Some("any") => false,
        Some("acquisition") => true,
        Some(_) => return Err(invalid("offer", "invalid_value", "`offer` is acquisition or any.")),
    };
    Ok(SuppressionQuery { acquisition, after: after(p)?, limit })
}

/// `GET /api/v1/suppression?offer=acquisition&after=&limit=`: customers who
/// must not get marketing now, each with why.
pub async fn suppression(
    State(state): State<AppState>,
    q: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Json<Value>, Problem> {
    let p = Params::new(q, &["offer", "after", "limit"])?;
    let limit = p.limit(1000, 10_000)?;
    let page = state.engine().store().suppression(suppression_query(&p, limit)?).await.map_err(store_problem)?;
    Ok(Json(json!(page)))
}

/// `GET /api/v1/suppression.csv?offer=acquisition`: the whole list.
pub async fn suppression_csv(
    State(state): State<AppState>,
    q: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Response, Problem> {
    let p = Params::new(q, &["offer"])?;
    let mut query = suppression_query(&p, EXPORT_PAGE)?;
    let mut out = String::from("customer_id,external_ref,reasons\r\n");
    loop {
        let page = state.engine().store().suppression(query).await.map_err(store_problem)?;
        for r in &page.items {
            out.push_str(&suppression_line(r));
        }
        match page.next {
            Some(n) => query.after = Some(n),
            None => break,
        }
    }
    Ok(csv_response("suppression.csv", out))
}

fn suppression_line(r: &SuppressionRow) -> String {
    let reasons: Vec<String> = r
        .reasons
        .iter()
        .map(|x| match x.incident_id {
            Some(i) => format!("{}:{i}", x.code),
            None => x.code.clone(),
        })
        .collect();
    format!(
        "{},{},{}\r\n",
        r.customer_id,
        csv_field(r.external_ref.as_deref().unwrap_or("")),
        csv_field(&reasons.join(";"))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_formulas_defused() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
    }
}
