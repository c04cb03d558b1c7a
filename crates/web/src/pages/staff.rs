//! The admin's list of staff accounts: adding one with an initial password,
//! changing a role, disabling and enabling. An admin cannot demote or
//! disable their own account (someone must be left to manage the rest).

use std::collections::HashMap;

use axum::{
    Extension,
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use firebreak_domain::staff::Role;
use maud::{Markup, html};

use super::{
    forms::{Fields, Refusal, error_page, notice, sentence},
    layout::{Frame, csrf_field, page},
};
use crate::{AppState, auth::Principal};

/// What the add form held when it was refused (never the password).
#[derive(Default)]
struct Kept {
    email: String,
    name: String,
    role: String,
}

/// `GET /admin/staff`.
pub async fn show(
    State(state): State<AppState>,
    Extension(who): Extension<Principal>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    render(&state, &who, None, Kept::default(), &q, StatusCode::OK).await
}

async fn render(
    state: &AppState,
    who: &Principal,
    error: Option<String>,
    kept: Kept,
    q: &HashMap<String, String>,
    status: StatusCode,
) -> Response {
    let store = state.engine().store();
    let accounts = match store.staff_accounts().await {
        Ok(a) => a,
        Err(e) => return error_page(who, &Refusal::store(e)),
    };
    let mut teams = store.teams().await.unwrap_or_default();
    teams.sort_by(|a, b| a.name.cmp(&b.name));
    let team_name = |id: Option<i64>| id.and_then(|t| teams.iter().find(|x| x.id == t)).map(|t| t.name.as_str());
    let role_select = |id: &str, chosen: &str| -> Markup {
        html! {
            select id=(id) name="role" {
                @for r in Role::ALL { option value=(r.as_str()) selected[r.as_str() == chosen] { (r.as_str()) } }
            }
        }
    };
    let body = html! {
        h2 { "Staff" }
        (notice(q))
        @if let Some(e) = &error { p.error role="alert" { (e) } }
        table {
            thead { tr { th { "Name" } th { "Email" } th { "Team" } th { "Role" } th { "State" } } }
            tbody {
                @for a in &accounts {
                    @let own = a.id == who.account.id;
                    tr {
                        td { (a.name) @if own { " " span.meta { "(you)" } } }
                        td { (a.email) }
                        td { (team_name(a.team_id).unwrap_or("–")) }
                        td {
                            @if own { (a.role.as_str()) } @else {
                                form.inline method="post" action={ "/admin/staff/" (a.id) } {
                                    (csrf_field(who))
                                    label.sr for={ "role-" (a.id) } { "Role of " (a.name) }
                                    (role_select(&format!("role-{}", a.id), a.role.as_str()))
                                    button.quiet type="submit" { "Change" }
                                }
                            }
                        }
                        td {
                            @if a.disabled { "disabled " } @else { "active " }
                            @if !own {
                                form.inline method="post" action={ "/admin/staff/" (a.id) } {
                                    (csrf_field(who))
                                    @if a.disabled {
                                        button.quiet type="submit" name="disabled" value="false" { "Enable" }
                                    } @else {
                                        button.quiet type="submit" name="disabled" value="true" { "Disable" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        section.card aria-labelledby="add" {
            h3 #add { "Add a member of staff" }
            form.stack method="post" action="/admin/staff" {
                (csrf_field(who))
                div.row {
                    label for="s-name" { "Name" } input #s-name type="text" name="name" required value=(kept.name);
                    label for="s-email" { "Email" } input #s-email type="email" name="email" required value=(kept.email);
                }
                div.row {
                    label for="s-role" { "Role" }
                    (role_select("s-role", if kept.role.is_empty() { "agent" } else { &kept.role }))
                    label for="s-team" { "Team" }
                    select #s-team name="team" {
                        option value="" { "none" }
                        @for t in &teams { option value=(t.id) { (t.name) } }
                    }
                    label for="s-password" { "Initial password" }
                    input #s-password type="password" name="password" minlength="10" required autocomplete="new-password";
                }
                button type="submit" { "Add" }
            }
        }
    };
    let frame = Frame { title: "Staff", nav: "staff", kind: "staff", ..Default::default() };
    (status, page(Some(who), frame, body)).into_response()
}

/// `POST /admin/staff`: `email`, `name`, `role`, `password`, `team`.
pub async fn create(State(state): State<AppState>, Extension(who): Extension<Principal>, f: Fields) -> Response {
    let kept = Kept { email: f.text("email"), name: f.text("name"), role: f.text("role") };
    let refuse = |message: String| (Some(message), StatusCode::UNPROCESSABLE_ENTITY);
    let outcome = async {
        let role = Role::parse(f.get("role").unwrap_or("")).map_err(|e| refuse(sentence(&e.message)))?;
        let team = match f.get("team") {
            None => None,
            Some(t) => Some(t.parse::<i64>().map_err(|_| refuse("Choose a team from the list.".into()))?),
        };
        let (email, name) = (f.get("email").unwrap_or(""), f.get("name").unwrap_or(""));
        state.engine().add_staff(email, name, role, team, &f.text("password")).await.map_err(|e| {
            let r = Refusal::engine(e);
            (Some(r.message), r.status)
        })
    }
    .await;
    match outcome {
        Ok(account) => {
            tracing::info!(account = account.id, by = who.account.id, "staff account added");
            Redirect::to("/admin/staff?done=staff-added").into_response()
        }
        Err((error, status)) => render(&state, &who, error, kept, &HashMap::new(), status).await,
    }
}

/// `POST /admin/staff/{id}`: a new `role`, or `disabled` true or false.
pub async fn update(
    State(state): State<AppState>,
    Extension(who): Extension<Principal>,
    Path(id): Path<String>,
    f: Fields,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return error_page(
            &who,
            &Refusal { status: StatusCode::NOT_FOUND, message: "There is no such account.".into() },
        );
    };
    let outcome: Result<(), Refusal> = async {
        let role = f.get("role").map(Role::parse).transpose().map_err(|e| Refusal::invalid(sentence(&e.message)))?;
        let disabled = match f.get("disabled") {
            None => None,
            Some("true") => Some(true),
            Some("false") => Some(false),
            Some(_) => return Err(Refusal::invalid("Disable or enable the account.")),
        };
        if role.is_none() && disabled.is_none() {
            return Err(Refusal::invalid("Choose a role, or disable or enable the account."));
        }
        state.engine().update_staff(&who.account, id, role, disabled).await.map_err(Refusal::engine)?;
        Ok(())
    }
    .await;
    match outcome {
        Ok(()) => {
            tracing::info!(account = id, by = who.account.id, "staff account changed");
            Redirect::to("/admin/staff?done=staff-updated").into_response()
        }
        Err(r) => render(&state, &who, Some(r.message), Kept::default(), &HashMap::new(), r.status).await,
    }
}
