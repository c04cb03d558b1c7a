//! The signed-in person's own account: changing their password (which signs
//! every session out), and their API tokens: the list, a new one (shown once,
//! with scopes no wider than their role), and revoking one.

use std::collections::HashMap;

use axum::{
    Extension,
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use firebreak_domain::staff::{Role, Scope};
use firebreak_engine::staff::IssuedToken;
use maud::{Markup, html};

use super::{
    forms::{Fields, Refusal, error_page, notice},
    layout::{Frame, csrf_field, page, short_time},
};
use crate::{
    AppState,
    api::staff::{expiry, scopes_for},
    auth::{Principal, Via, clear_cookie, redirect_with_cookie},
};

/// The form a refusal belongs next to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Password,
    Token,
}

/// The scopes a role may give a token, as the API allows them.
fn scopes_allowed(role: Role) -> Vec<Scope> {
    [Scope::Read, Scope::Write, Scope::Admin]
        .into_iter()
        .filter(|s| scopes_for(role, &[s.as_str().to_owned()]).is_ok())
        .collect()
}

/// `GET /account`.
pub async fn show(
    State(state): State<AppState>,
    Extension(who): Extension<Principal>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    render(&state, &who, None, None, &q, StatusCode::OK).await
}

async fn render(
    state: &AppState,
    who: &Principal,
    error: Option<(Part, String)>,
    issued: Option<IssuedToken>,
    q: &HashMap<String, String>,
    status: StatusCode,
) -> Response {
    let me = &who.account;
    let tokens = match state.engine().store().api_tokens(me.id).await {
        Ok(t) => t,
        Err(e) => return error_page(who, &Refusal::store(e)),
    };
    let now = state.engine().clock().now();
    let err = |part: Part| -> Markup {
        let m = error.as_ref().filter(|(p, _)| *p == part).map(|(_, m)| m);
        html! { @if let Some(m) = m { p.error role="alert" { (m) } } }
    };
    let body = html! {
        h2 { "Your account" }
        (notice(q))
        dl.kv {
            dt { "Name" } dd { (me.name) }
            dt { "Email" } dd { (me.email) }
            dt { "Role" } dd { (me.role.as_str()) }
        }
        section.card aria-labelledby="pw" {
            h3 #pw { "Change your password" }
            p.meta { "Every session and token you have is signed out; you sign in again with the new password." }
            form.stack method="post" action="/account/password" {
                (csrf_field(who))
                (err(Part::Password))
                div { label for="current" { "Current password" } br;
                    input #current type="password" name="current_password" autocomplete="current-password" required; }
                div { label for="new" { "New password (at least 10 characters)" } br;
                    input #new type="password" name="new_password" autocomplete="new-password" minlength="10" required; }
                button type="submit" { "Change password" }
            }
        }
        section.card aria-labelledby="tokens" {
            h3 #tokens { "API tokens" }
            @if let Some(t) = &issued {
                div.flash role="status" {
                    p { "Your new token " strong { (t.info.name) } ". Copy it now: it is not shown again." }
                    code.token { (t.token) }
                }
            }
            @if tokens.is_empty() { p.meta { "You have no tokens." } }
            @else {
                table {
                    thead { tr {
                        th { "Name" } th { "Prefix" } th { "Scopes" } th { "Created" } th { "Expires" } th { "" }
                    } }
                    tbody {
                        @for t in &tokens {
                            @let live = !t.revoked && t.expires_at > now;
                            tr {
                                td { (t.name) } td { code { (t.prefix) } }
                                td { (t.scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")) }
                                td { (short_time(t.created_at)) } td { (short_time(t.expires_at)) }
                                td {
                                    @if t.revoked { "revoked" } @else if !live { "expired" } @else {
                                        form.inline method="post" action={ "/account/tokens/" (t.id) "/revoke" } {
                                            (csrf_field(who))
                                            button.quiet type="submit" { "Revoke" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if matches!(who.via, Via::Session { .. }) {
                form.stack method="post" action="/account/tokens" {
                    (csrf_field(who))
                    (err(Part::Token))
                    div.row {
                        label for="token-name" { "Name" }
                        input #token-name type="text" name="name" required maxlength="100" placeholder="the X connector";
                        label for="token-days" { "Days" }
                        input #token-days type="number" name="expires_in_days" min="1" max="366" value="90" required;
                    }
                    fieldset.row {
                        legend { "Scopes" }
                        @for s in scopes_allowed(me.role) {
                            label {
                                input type="checkbox" name="scopes" value=(s.as_str()) checked[s == Scope::Read];
                                " " (s.as_str())
                            }
                        }
                    }
                    button.quiet type="submit" { "Create token" }
                }
            }
        }
    };
    let frame = Frame { title: "Your account", nav: "account", kind: "account", ..Default::default() };
    (status, page(Some(who), frame, body)).into_response()
}

/// `POST /account/password`: `current_password`, `new_password`. Success
/// signs every session out, this one too: on to the sign-in page.
pub async fn password(State(state): State<AppState>, Extension(who): Extension<Principal>, f: Fields) -> Response {
    let current = f.text("current_password");
    let new = f.text("new_password");
    match state.engine().change_password(&who.account, &current, &new).await {
        Ok(()) => {
            tracing::info!(account = who.account.id, "password changed");
            redirect_with_cookie("/login?notice=password", clear_cookie(state.config().secure_cookies))
        }
        Err(e) => {
            let r = Refusal::engine(e);
            render(&state, &who, Some((Part::Password, r.message)), None, &HashMap::new(), r.status).await
        }
    }
}

/// `POST /account/tokens`: `name`, `scopes` (repeated), `expires_in_days`.
/// The page that answers shows the token once.
pub async fn create_token(State(state): State<AppState>, Extension(who): Extension<Principal>, f: Fields) -> Response {
    let fail = |r: Refusal| (Some((Part::Token, r.message)), r.status);
    let outcome: Result<IssuedToken, (Option<(Part, String)>, StatusCode)> = async {
        if !matches!(who.via, Via::Session { .. }) {
            return Err(fail(Refusal { status: StatusCode::FORBIDDEN, message: "Sign in to make a token.".into() }));
        }
        let name = f.get("name").ok_or_else(|| fail(Refusal::invalid("Name the token.")))?;
        let asked: Vec<String> = f.all("scopes").map(str::to_owned).collect();
        if asked.is_empty() {
            return Err(fail(Refusal::invalid("Choose at least one scope.")));
        }
        let scopes = scopes_for(who.account.role, &asked).map_err(|p| fail(Refusal::from_problem(&p)))?;
        let days: i64 = f
            .get("expires_in_days")
            .and_then(|d| d.parse().ok())
            .ok_or_else(|| fail(Refusal::invalid("Give the days until it expires, 1 to 366.")))?;
        let expires = expiry(state.engine().clock().now(), days).map_err(|p| fail(Refusal::from_problem(&p)))?;
        state.engine().issue_token(&who.account, name, scopes, expires).await.map_err(|e| fail(Refusal::engine(e)))
    }
    .await;
    match outcome {
        Ok(issued) => render(&state, &who, None, Some(issued), &HashMap::new(), StatusCode::OK).await,
        Err((error, status)) => render(&state, &who, error, None, &HashMap::new(), status).await,
    }
}

/// `POST /account/tokens/{id}/revoke`: one of the person's own tokens.
pub async fn revoke_token(
    State(state): State<AppState>,
    Extension(who): Extension<Principal>,
    Path(id): Path<String>,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return error_page(&who, &Refusal { status: StatusCode::NOT_FOUND, message: "There is no such token.".into() });
    };
    match state.engine().store().revoke_api_token(id, Some(who.account.id)).await {
        Ok(()) => Redirect::to("/account?done=revoked").into_response(),
        Err(e) => error_page(&who, &Refusal::store(e)),
    }
}
