//! Cases over HTTP: queues, the case with its timeline, and what agents do
//! to a case (status, priority, assignment, tags, notes, promises, replies),
//! plus the customer's satisfaction answer.

use std::collections::HashMap;

use axum::{
    Extension, Json,
    extract::{Path, Query, State, rejection::JsonRejection, rejection::QueryRejection},
    http::StatusCode,
};
use firebreak_channels::outbound::Visibility;
use firebreak_domain::{
    CaseId, CustomerId, Timestamp,
    case::{CaseStatus, Priority},
    judgement::Sentiment,
};
use firebreak_engine::outbound::ReplyRequest;
use firebreak_store::{
    CaseDetail, CasePage, CaseQuery, CaseSort, CaseUpdate, CaseView, NewPromise, Note, Promise, ReplyDelivery,
};
use serde::Deserialize;
use serde_json::json;

use super::{
    messages::{field_problem, store_problem},
    params::{Params, invalid},
};
use crate::{AppState, Code, Problem, auth::Principal, webhooks::engine_problem};

/// Reads a JSON body, turning axum's rejection into a problem that names the
/// field when it can.
pub fn body<T>(b: Result<Json<T>, JsonRejection>) -> Result<T, Problem> {
    b.map(|Json(v)| v).map_err(|e| match e {
        JsonRejection::JsonDataError(e) => Problem::new(Code::ValidationFailed, format!("{}.", e.body_text())),
        JsonRejection::JsonSyntaxError(e) => Problem::new(Code::InvalidJson, format!("{}.", e.body_text())),
        JsonRejection::MissingJsonContentType(_) => {
            Problem::new(Code::UnsupportedMediaType, "The body must be application/json.")
        }
        other => Problem::new(Code::InvalidJson, format!("{}.", other.body_text())),
    })
}

pub fn case_id(s: &str) -> Result<CaseId, Problem> {
    s.parse::<i64>().map(CaseId).map_err(|_| Problem::not_found("case with that id"))
}

/// `GET /api/v1/cases`: a queue. `status` (comma-separated; default the
/// active ones), `priority`, `agent`, `team`, `unassigned=true`, `channel`,
/// `customer`, `tag`, `due_before` (RFC 3339), `sentiment` (of the customer's
/// latest message), `sort=priority|due|updated`,
/// `page` (from 1), `limit` (default 50).
pub async fn list(
    State(state): State<AppState>,
    q: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Json<CasePage>, Problem> {
    let p = Params::new(
        q,
        &[
            "status",
            "priority",
            "agent",
            "team",
            "unassigned",
            "channel",
            "customer",
            "tag",
            "due_before",
            "sentiment",
            "sort",
            "page",
            "limit",
        ],
    )?;
    let statuses = match p.str("status") {
        None => Vec::new(),
        Some(list) => list
            .split(',')
            .map(|s| CaseStatus::parse(s.trim()).map_err(|e| invalid("status", e.code, e.message)))
            .collect::<Result<_, _>>()?,
    };
    let int = |name: &str| -> Result<Option<i64>, Problem> {
        p.str(name)
            .map(|s| s.parse::<i64>().map_err(|_| invalid(name, "invalid_number", "Use a whole number.")))
            .transpose()
    };
    let limit = p.limit(50, 500)?;
    let page = int("page")?.unwrap_or(1);
    if page < 1 {
        return Err(invalid("page", "out_of_range", "Pages count from 1."));
    }
    let query = CaseQuery {
        statuses,
        priority: p
            .str("priority")
            .map(|s| Priority::parse(s).map_err(|e| invalid("priority", e.code, e.message)))
            .transpose()?,
        agent_id: int("agent")?,
        team_id: int("team")?,
        unassigned: p.str("unassigned") == Some("true"),
        channel: p.channel("channel")?,
        customer_id: int("customer")?.map(CustomerId),
        tag: p.str("tag").map(|t| t.to_lowercase()),
        due_before: p.time("due_before")?,
        sentiment: p
            .str("sentiment")
            .map(|s| {
                Sentiment::parse(s)
                    .ok_or_else(|| invalid("sentiment", "invalid_sentiment", "Use negative, neutral or positive."))
            })
            .transpose()?,
        sort: match p.str("sort") {
            None | Some("priority") => CaseSort::Priority,
            Some("due") => CaseSort::Due,
            Some("updated") => CaseSort::Updated,
            Some(_) => return Err(invalid("sort", "invalid_sort", "Use priority, due or updated.")),
        },
        offset: u32::try_from((page - 1) * i64::from(limit)).unwrap_or(u32::MAX),
        limit,
    };
    Ok(Json(state.engine().store().cases(query).await.map_err(store_problem)?))
}

/// `GET /api/v1/cases/{id}`: the case with its cross-channel timeline.
pub async fn get_one(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<CaseDetail>, Problem> {
    let id = case_id(&id)?;
    state
        .engine()
        .store()
        .case(id)
        .await
        .map_err(store_problem)?
        .map(Json)
        .ok_or_else(|| Problem::not_found("case with that id"))
}

/// The body of `PATCH /api/v1/cases/{id}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Patch {
    status: Option<String>,
    priority: Option<String>,
    #[serde(default, with = "double_option")]
    team_id: Option<Option<i64>>,
    #[serde(default, with = "double_option")]
    agent_id: Option<Option<i64>>,
    #[serde(default)]
    add_tags: Vec<String>,
    #[serde(default)]
    remove_tags: Vec<String>,
    /// Who is making the change (until staff accounts exist).
    by: Option<String>,
}

/// Tells an absent field (`None`) from an explicit `null` (`Some(None)`).
mod double_option {
    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<i64>>, D::Error> {
        Option::<i64>::deserialize(d).map(Some)
    }
}

pub async fn patch(
    State(state): State<AppState>,
    Path(id): Path<String>,
    b: Result<Json<Patch>, JsonRejection>,
) -> Result<Json<CaseView>, Problem> {
    let id = case_id(&id)?;
    let p = body(b)?;
    let update = CaseUpdate {
        status: p
            .status
            .map(|s| CaseStatus::parse(&s).map_err(|e| field_problem("status", e.code, &e.message)))
            .transpose()?,
        priority: p
            .priority
            .map(|s| Priority::parse(&s).map_err(|e| field_problem("priority", e.code, &e.message)))
            .transpose()?,
        team_id: p.team_id,
        agent_id: p.agent_id,
        add_tags: p.add_tags,
        remove_tags: p.remove_tags,
        actor: p.by.unwrap_or_else(|| "api".into()),
    };
    let view = state.engine().store().update_case(id, update).await.map_err(store_problem)?;
    state.engine().notify_changed();
    Ok(Json(view))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoteBody {
    text: String,
    by: Option<String>,
}

pub async fn add_note(
    State(state): State<AppState>,
    Path(id): Path<String>,
    b: Result<Json<NoteBody>, JsonRejection>,
) -> Result<Json<Note>, Problem> {
    let id = case_id(&id)?;
    let n = body(b)?;
    let note = state
        .engine()
        .store()
        .add_note(id, n.by.unwrap_or_else(|| "api".into()), n.text)
        .await
        .map_err(store_problem)?;
    state.engine().notify_changed();
    Ok(Json(note))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PromiseBody {
    what: String,
    due_at: String,
    #[serde(default)]
    told_customer: bool,
    by: Option<String>,
}

pub async fn add_promise(
    State(state): State<AppState>,
    Path(id): Path<String>,
    b: Result<Json<PromiseBody>, JsonRejection>,
) -> Result<Json<Promise>, Problem> {
    let id = case_id(&id)?;
    let p = body(b)?;
    let due_at = Timestamp::parse_rfc3339(&p.due_at).map_err(|e| field_problem("due_at", e.code, &e.message))?;
    let promise =
        NewPromise { what: p.what, due_at, told_customer: p.told_customer, by: p.by.unwrap_or_else(|| "api".into()) };
    let out = state.engine().store().add_promise(id, promise).await.map_err(store_problem)?;
    state.engine().notify_changed();
    Ok(Json(out))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettleBody {
    /// `kept` or `broken`.
    status: String,
    by: Option<String>,
}

pub async fn settle_promise(
    State(state): State<AppState>,
    Path(id): Path<String>,
    b: Result<Json<SettleBody>, JsonRejection>,
) -> Result<Json<Promise>, Problem> {
    let id: i64 = id.parse().map_err(|_| Problem::not_found("promise with that id"))?;
    let s = body(b)?;
    let kept = match s.status.as_str() {
        "kept" => true,
        "broken" => false,
        _ => return Err(field_problem("status", "invalid_status", "a promise is settled as kept or broken")),
    };
    let out = state
        .engine()
        .store()
        .settle_promise(id, kept, s.by.unwrap_or_else(|| "api".into()))
        .await
        .map_err(store_problem)?;
    state.engine().notify_changed();
    Ok(Json(out))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplyBody {
    text: String,
    /// `public` (default) or `private`.
    visibility: Option<String>,
    /// The name shown as the sender; the caller's name when absent.
    by: Option<String>,
    /// The same key twice is one reply.
    idempotency_key: Option<String>,
}

/// `public` or `private`, for a reply.
pub fn visibility(v: Option<&str>) -> Result<Visibility, Problem> {
    match v.unwrap_or("public") {
        "public" => Ok(Visibility::Public),
        "private" => Ok(Visibility::Private),
        other => Err(crate::api::messages::field_problem(
            "visibility",
            "unknown_visibility",
            &format!("`{other}` is not public or private"),
        )),
    }
}

/// `POST /api/v1/cases/{id}/replies`: an agent's reply, checked and queued
/// for delivery on the channel the customer last used (202); it joins the
/// timeline, and stops the response clock, once the platform has it.
pub async fn reply(
    State(state): State<AppState>,
    Extension(who): Extension<Principal>,
    Path(id): Path<String>,
    b: Result<Json<ReplyBody>, JsonRejection>,
) -> Result<(StatusCode, Json<ReplyDelivery>), Problem> {
    let id = case_id(&id)?;
    let r = body(b)?;
    let req = ReplyRequest {
        visibility: visibility(r.visibility.as_deref())?,
        text: r.text,
        by: r.by.unwrap_or_else(|| who.account.name.clone()),
        idempotency_key: r.idempotency_key,
    };
    let queued = state.engine().reply(id, req).await.map_err(engine_problem)?;
    Ok((StatusCode::ACCEPTED, Json(queued)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CsatBody {
    score: i64,
    comment: Option<String>,
}

/// `POST /api/v1/csat/{token}`: the customer's answer to a satisfaction request.
pub async fn csat(
    State(state): State<AppState>,
    Path(token): Path<String>,
    b: Result<Json<CsatBody>, JsonRejection>,
) -> Result<Json<serde_json::Value>, Problem> {
    let c = body(b)?;
    let score = u8::try_from(c.score)
        .ok()
        .filter(|s| (1..=5).contains(s))
        .ok_or_else(|| field_problem("score", "out_of_range", "the score is a whole number from 1 to 5"))?;
    let case = state.engine().store().record_csat(token, score, c.comment).await.map_err(store_problem)?;
    state.engine().notify_changed();
    Ok(Json(json!({ "case_id": case, "score": score })))
}
