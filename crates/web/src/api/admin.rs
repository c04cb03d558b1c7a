//! What a team configures: SLA policies, teams and agents (and assigning cases
//! to them), canned responses.

use axum::{
    Json,
    extract::{Path, State, rejection::JsonRejection},
};
use firebreak_domain::sla::{SlaPolicy, SlaPolicyConfig};
use firebreak_store::{Agent, AssignStrategy, CannedResponse, SlaPolicyView, Team};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{
    cases::{body, case_id},
    messages::{Items, field_problem, store_problem},
};
use crate::{AppState, Code, FieldProblem, Problem};

pub async fn sla_policies(State(state): State<AppState>) -> Result<Json<Items<SlaPolicyView>>, Problem> {
    Ok(Json(Items { items: state.engine().store().sla_policies().await.map_err(store_problem)? }))
}

/// `PUT /api/v1/sla-policies/{name}`: creates or replaces a policy. Every
/// bad field is named (a negative duration, an unknown time zone...).
pub async fn put_sla_policy(
    State(state): State<AppState>,
    Path(name): Path<String>,
    b: Result<Json<Value>, JsonRejection>,
) -> Result<Json<Value>, Problem> {
    let mut v = body(b)?;
    let Some(obj) = v.as_object_mut() else {
        return Err(field_problem("", "invalid_type", "the body is a JSON object"));
    };
    let position = match obj.remove("position") {
        None | Some(Value::Null) => None,
        Some(p) => Some(p.as_i64().ok_or_else(|| field_problem("position", "invalid_type", "a whole number"))?),
    };
    obj.insert("name".into(), Value::String(name));
    let config: SlaPolicyConfig = serde_path_to_error::deserialize(v).map_err(|e| {
        let field = e.path().to_string();
        field_problem(if field == "." { "" } else { &field }, "invalid_value", &e.inner().to_string())
    })?;
    SlaPolicy::from_config(config.clone()).map_err(|errors| {
        Problem::new(Code::ValidationFailed, "The policy is not valid; nothing was changed.").with_errors(
            errors
                .into_iter()
                .map(|e| FieldProblem {
                    index: None,
                    field: e.field,
                    code: e.error.code.into(),
                    message: e.error.message,
                })
                .collect(),
        )
    })?;
    let id = state.engine().store().put_sla_policy(config, position).await.map_err(store_problem)?;
    Ok(Json(json!({ "id": id })))
}

pub async fn delete_sla_policy(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<Value>, Problem> {
    state.engine().store().delete_sla_policy(name.clone()).await.map_err(store_problem)?;
    Ok(Json(json!({ "deleted": name })))
}

pub async fn teams(State(state): State<AppState>) -> Result<Json<Items<Team>>, Problem> {
    Ok(Json(Items { items: state.engine().store().teams().await.map_err(store_problem)? }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TeamBody {
    name: String,
}

pub async fn add_team(
    State(state): State<AppState>,
    b: Result<Json<TeamBody>, JsonRejection>,
) -> Result<Json<Team>, Problem> {
    let t = body(b)?;
    Ok(Json(state.engine().store().add_team(t.name).await.map_err(store_problem)?))
}

pub async fn agents(State(state): State<AppState>) -> Result<Json<Items<Agent>>, Problem> {
    Ok(Json(Items { items: state.engine().store().agents().await.map_err(store_problem)? }))
}

/// `POST /api/v1/agents`: creates an agent, or updates the one with that email.
pub async fn put_agent(
    State(state): State<AppState>,
    b: Result<Json<Agent>, JsonRejection>,
) -> Result<Json<Agent>, Problem> {
    let a = body(b)?;
    Ok(Json(state.engine().store().put_agent(a).await.map_err(store_problem)?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssignBody {
    /// `round_robin` (within a team) or `skills` (the least loaded agent
    /// whose skills cover the case).
    strategy: String,
    team_id: Option<i64>,
}

pub async fn assign(
    State(state): State<AppState>,
    Path(id): Path<String>,
    b: Result<Json<AssignBody>, JsonRejection>,
) -> Result<Json<Agent>, Problem> {
    let id = case_id(&id)?;
    let a = body(b)?;
    let strategy = match a.strategy.as_str() {
        "round_robin" => AssignStrategy::RoundRobin,
        "skills" => AssignStrategy::Skills,
        _ => return Err(field_problem("strategy", "invalid_strategy", "use round_robin or skills")),
    };
    let agent = state.engine().store().assign_case(id, strategy, a.team_id).await.map_err(store_problem)?;
    state.engine().notify_changed();
    Ok(Json(agent))
}

pub async fn canned(State(state): State<AppState>) -> Result<Json<Items<CannedResponse>>, Problem> {
    Ok(Json(Items { items: state.engine().store().canned().await.map_err(store_problem)? }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CannedBody {
    body: String,
}

/// `PUT /api/v1/canned/{name}`: a reply template with `{{variables}}`.
pub async fn put_canned(
    State(state): State<AppState>,
    Path(name): Path<String>,
    b: Result<Json<CannedBody>, JsonRejection>,
) -> Result<Json<CannedResponse>, Problem> {
    let c = body(b)?;
    Ok(Json(state.engine().store().put_canned(name, c.body).await.map_err(store_problem)?))
}

/// `GET /api/v1/cases/{id}/canned/{name}`: the template filled in for a case.
pub async fn render_canned(
    State(state): State<AppState>,
    Path((id, name)): Path<(String, String)>,
) -> Result<Json<Value>, Problem> {
    let id = case_id(&id)?;
    let text = state.engine().store().render_canned(name, id).await.map_err(store_problem)?;
    Ok(Json(json!({ "text": text })))
}
