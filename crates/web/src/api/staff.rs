//! Staff accounts and API tokens over the API: who am I, the admin's list of
//! accounts, and each person's own tokens.

use axum::{
    Extension, Json,
    extract::{Path, State, rejection::JsonRejection},
    http::StatusCode,
};
use firebreak_domain::{
    Timestamp,
    staff::{Role, Scope, StaffAccount},
};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{cases::body, messages::field_problem, messages::store_problem};
use crate::{AppState, Problem, auth::Principal, webhooks::engine_problem};

/// `GET /api/v1/me`.
pub async fn me(Extension(who): Extension<Principal>) -> Json<StaffAccount> {
    Json(who.account)
}

/// `GET /api/v1/staff`.
pub async fn list(State(state): State<AppState>) -> Result<Json<Vec<StaffAccount>>, Problem> {
    Ok(Json(state.engine().store().staff_accounts().await.map_err(store_problem)?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewStaffBody {
    email: String,
    name: String,
    role: String,
    password: String,
    team_id: Option<i64>,
}

/// `POST /api/v1/staff`.
pub async fn create(
    State(state): State<AppState>,
    b: Result<Json<NewStaffBody>, JsonRejection>,
) -> Result<(StatusCode, Json<StaffAccount>), Problem> {
    let b = body(b)?;
    let role = Role::parse(&b.role).map_err(|e| field_problem("role", e.code, &e.message))?;
    let account =
        state.engine().add_staff(&b.email, &b.name, role, b.team_id, &b.password).await.map_err(engine_problem)?;
    Ok((StatusCode::CREATED, Json(account)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaffUpdate {
    role: Option<String>,
    disabled: Option<bool>,
}

/// `PATCH /api/v1/staff/{id}`: a new role, or disable / enable.
pub async fn update(
    State(state): State<AppState>,
    Extension(who): Extension<Principal>,
    Path(id): Path<i64>,
    b: Result<Json<StaffUpdate>, JsonRejection>,
) -> Result<Json<StaffAccount>, Problem> {
    let b = body(b)?;
    let role = b.role.as_deref().map(Role::parse).transpose().map_err(|e| field_problem("role", e.code, &e.message))?;
    let account = state.engine().update_staff(&who.account, id, role, b.disabled).await.map_err(engine_problem)?;
    Ok(Json(account))
}

/// `GET /api/v1/tokens`: the caller's own tokens.
pub async fn tokens(
    State(state): State<AppState>,
    Extension(who): Extension<Principal>,
) -> Result<Json<Value>, Problem> {
    let list = state.engine().store().api_tokens(who.account.id).await.map_err(store_problem)?;
    Ok(Json(json!({ "items": list })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenBody {
    name: String,
    scopes: Vec<String>,
    /// Days until it expires: 1 to 366.
    expires_in_days: i64,
}

/// The scopes a role may hand to a token: never more than the role can do.
pub fn scopes_for(role: Role, asked: &[String]) -> Result<Vec<Scope>, Problem> {
    let mut out = Vec::new();
    for s in asked {
        let scope = Scope::parse(s).map_err(|e| field_problem("scopes", e.code, &e.message))?;
        let allowed = match scope {
            Scope::Read => true,
            Scope::Write => role >= Role::Agent,
            Scope::Admin => role >= Role::Supervisor,
        };
        if !allowed {
            return Err(field_problem(
                "scopes",
                "beyond_role",
                &format!("a {role} cannot give a token the {} scope", scope.as_str()),
            ));
        }
        if !out.contains(&scope) {
            out.push(scope);
        }
    }
    Ok(out)
}

/// Checks a token's lifetime and turns it into an expiry.
pub fn expiry(now: Timestamp, days: i64) -> Result<Timestamp, Problem> {
    if !(1..=366).contains(&days) {
        return Err(field_problem("expires_in_days", "out_of_range", "a token lives 1 to 366 days"));
    }
    Ok(now.plus_millis(days * 86_400_000))
}

/// `POST /api/v1/tokens`: a new token for the caller, shown once. Only a
/// signed-in person (not another token) can make one.
pub async fn issue_token(
    State(state): State<AppState>,
    Extension(who): Extension<Principal>,
    b: Result<Json<TokenBody>, JsonRejection>,
) -> Result<(StatusCode, Json<Value>), Problem> {
    if !matches!(who.via, crate::auth::Via::Session { .. }) {
        return Err(Problem::new(crate::Code::Forbidden, "A token cannot make tokens; sign in to make one."));
    }
    let b = body(b)?;
    let scopes = scopes_for(who.account.role, &b.scopes)?;
    let expires = expiry(state.engine().clock().now(), b.expires_in_days)?;
    let issued = state.engine().issue_token(&who.account, &b.name, scopes, expires).await.map_err(engine_problem)?;
    Ok((StatusCode::CREATED, Json(json!({ "token": issued.token, "info": issued.info }))))
}

/// `DELETE /api/v1/tokens/{id}`: revokes one of the caller's tokens (an
/// admin may revoke anyone's).
pub async fn revoke_token(
    State(state): State<AppState>,
    Extension(who): Extension<Principal>,
    Path(id): Path<i64>,
) -> Result<StatusCode, Problem> {
    let owner = (who.account.role != Role::Admin).then_some(who.account.id);
    state.engine().store().revoke_api_token(id, owner).await.map_err(store_problem)?;
    Ok(StatusCode::NO_CONTENT)
}
