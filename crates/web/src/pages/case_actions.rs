//! What agents do to a case from its page (and the inbox's row shortcuts):
//! status and priority, assignment, tags, notes, promises, and deciding a
//! suggested match. Each posts, then redirects back (POST-redirect-GET); a
//! refusal re-renders the case with the error beside the form.

use axum::{
    Extension,
    extract::{Path, State},
    response::{IntoResponse, Redirect, Response},
};
use firebreak_domain::{
    CaseId,
    case::{CaseStatus, Priority},
};
use firebreak_store::{AssignStrategy, CaseUpdate, NewPromise};

use super::{
    case::{Extras, Part, parse_id, render},
    forms::{Fields, Refusal, error_page, parse_local_time, sentence},
    inbox::inbox_back,
};
use crate::{AppState, auth::Principal};

/// Re-renders the case with `r` next to `part`.
pub async fn refuse(state: &AppState, who: &Principal, id: CaseId, part: Part, r: Refusal, x: Extras) -> Response {
    let status = r.status;
    render(state, who, id, Extras { error: Some((part, r.message)), ..x }, status).await
}

/// The end of an action on a case: on success, wake live pages and go back
/// (see [`back`]) saying `done`; on failure, show the case with why, next to
/// the form `part`, keeping what was typed (`kept`).
#[allow(clippy::too_many_arguments)]
async fn finish<T>(
    state: &AppState,
    who: &Principal,
    f: &Fields,
    id: CaseId,
    part: Part,
    done: &str,
    kept: Extras,
    result: Result<T, firebreak_store::StoreError>,
) -> Response {
    match result {
        Ok(_) => {
            state.engine().notify_changed();
            back(f, id, done)
        }
        Err(e) => refuse(state, who, id, part, Refusal::store(e), kept).await,
    }
}

/// Back to the inbox (when the action came from one of its rows) or to the case.
fn back(f: &Fields, id: CaseId, done: &str) -> Response {
    match f.get("back") {
        Some(b) if b.starts_with("/inbox") => {
            let b = inbox_back(Some(b));
            let join = if b.contains('?') { '&' } else { '?' };
            Redirect::to(&format!("{b}{join}done={done}&n=1")).into_response()
        }
        _ => Redirect::to(&format!("/cases/{}?done={done}", id.0)).into_response(),
    }
}

macro_rules! case_id_or_404 {
    ($who:expr, $id:expr) => {
        match parse_id(&$id) {
            Ok(id) => id,
            Err(r) => return error_page(&$who, &r),
        }
    };
}

/// `POST /cases/{id}/status`: `status` and/or `priority`.
pub async fn status(
    State(state): State<AppState>,
    Extension(who): Extension<Principal>,
    Path(id): Path<String>,
    f: Fields,
) -> Response {
    let id = case_id_or_404!(who, id);
    let parsed = (|| -> Result<(Option<CaseStatus>, Option<Priority>), Refusal> {
        let status = f.get("status").map(CaseStatus::parse).transpose();
        let priority = f.get("priority").map(Priority::parse).transpose();
        let status = status.map_err(|e| Refusal::invalid(sentence(&e.message)))?;
        let priority = priority.map_err(|e| Refusal::invalid(sentence(&e.message)))?;
        if status.is_none() && priority.is_none() {
            return Err(Refusal::invalid("Choose a status or a priority."));
        }
        Ok((status, priority))
    })();
    let (status, priority) = match parsed {
        Ok(p) => p,
        Err(r) => return refuse(&state, &who, id, Part::Status, r, Extras::default()).await,
    };
    let update = CaseUpdate { status, priority, actor: who.account.name.clone(), ..Default::default() };
    let done = if status == Some(CaseStatus::Resolved) { "resolved" } else { "status" };
    let result = state.engine().store().update_case(id, update).await;
    finish(&state, &who, &f, id, Part::Status, done, Extras::default(), result).await
}

/// An id, `none`, or nothing (keep).
fn choice(value: Option<&str>, what: &str) -> Result<Option<Option<i64>>, Refusal> {
    match value {
        None => Ok(None),
        Some("none") => Ok(Some(None)),
        Some(v) => {
            v.parse().map(|n| Some(Some(n))).map_err(|_| Refusal::invalid(format!("Choose {what} from the list.")))
        }
    }
}

/// `POST /cases/{id}/assign`: `agent` (an id, `me`, `none`, `round_robin`
/// or `skills`) and/or `team` (an id or `none`).
pub async fn assign(
    State(state): State<AppState>,
    Extension(who): Extension<Principal>,
    Path(id): Path<String>,
    f: Fields,
) -> Response {
    let id = case_id_or_404!(who, id);
    let store = state.engine().store();
    let strategy = match f.get("agent") {
        Some("round_robin") => Some(AssignStrategy::RoundRobin),
        Some("skills") => Some(AssignStrategy::Skills),
        _ => None,
    };
    let agent = match f.get("agent") {
        Some("me") => Ok(Some(Some(who.account.id))),
        Some("round_robin" | "skills") => Ok(None),
        other => choice(other, "an agent"),
    };
    let (agent, team) = match (agent, choice(f.get("team"), "a team")) {
        (Ok(a), Ok(t)) => (a, t),
        (Err(r), _) | (_, Err(r)) => return refuse(&state, &who, id, Part::Assign, r, Extras::default()).await,
    };
    if agent.is_none() && team.is_none() && strategy.is_none() {
        let r = Refusal::invalid("Choose an agent or a team.");
        return refuse(&state, &who, id, Part::Assign, r, Extras::default()).await;
    }
    if agent.is_some() || team.is_some() {
        let update =
            CaseUpdate { agent_id: agent, team_id: team, actor: who.account.name.clone(), ..Default::default() };
        if let Err(e) = store.update_case(id, update).await {
            return refuse(&state, &who, id, Part::Assign, Refusal::store(e), Extras::default()).await;
        }
    }
    if let Some(s) = strategy
        && let Err(e) = store.assign_case(id, s, team.flatten()).await
    {
        return refuse(&state, &who, id, Part::Assign, Refusal::store(e), Extras::default()).await;
    }
    state.engine().notify_changed();
    back(&f, id, if f.get("back").is_some() { "assigned" } else { "assign" })
}

/// `POST /cases/{id}/tags`: `add` and/or `remove` one tag.
pub async fn tags(
    State(state): State<AppState>,
    Extension(who): Extension<Principal>,
    Path(id): Path<String>,
    f: Fields,
) -> Response {
    let id = case_id_or_404!(who, id);
    let add: Vec<String> = f.get("add").map(str::to_owned).into_iter().collect();
    let remove: Vec<String> = f.get("remove").map(str::to_owned).into_iter().collect();
    if add.is_empty() && remove.is_empty() {
        let r = Refusal::invalid("Type a tag to add.");
        return refuse(&state, &who, id, Part::Tags, r, Extras::default()).await;
    }
    let update =
        CaseUpdate { add_tags: add, remove_tags: remove, actor: who.account.name.clone(), ..Default::default() };
    let result = state.engine().store().update_case(id, update).await;
    finish(&state, &who, &f, id, Part::Tags, "tags", Extras::default(), result).await
}

/// `POST /cases/{id}/notes`: `text`.
pub async fn note(
    State(state): State<AppState>,
    Extension(who): Extension<Principal>,
    Path(id): Path<String>,
    f: Fields,
) -> Response {
    let id = case_id_or_404!(who, id);
    let text = f.text("text");
    let result = state.engine().store().add_note(id, who.account.name.clone(), text.clone()).await;
    let kept = Extras { note: Some(text), ..Default::default() };
    finish(&state, &who, &f, id, Part::Note, "note", kept, result).await
}

/// `POST /cases/{id}/promises`: `what`, `due_at` (a local date and time,
/// read as UTC), `told_customer`.
pub async fn promise(
    State(state): State<AppState>,
    Extension(who): Extension<Principal>,
    Path(id): Path<String>,
    f: Fields,
) -> Response {
    let id = case_id_or_404!(who, id);
    let Some(due_at) = f.get("due_at").and_then(parse_local_time) else {
        let r = Refusal::invalid("Give the date and time the promise falls due.");
        return refuse(&state, &who, id, Part::Promise, r, Extras::default()).await;
    };
    let promise = NewPromise {
        what: f.text("what"),
        due_at,
        told_customer: f.get("told_customer").is_some(),
        by: who.account.name.clone(),
    };
    let result = state.engine().store().add_promise(id, promise).await;
    finish(&state, &who, &f, id, Part::Promise, "promise", Extras::default(), result).await
}

/// `POST /promises/{id}/settle`: `status` is `kept` or `broken`.
pub async fn settle(
    State(state): State<AppState>,
    Extension(who): Extension<Principal>,
    Path(id): Path<String>,
    f: Fields,
) -> Response {
    let Ok(promise) = id.parse::<i64>() else {
        return error_page(&who, &Refusal::store(firebreak_store::StoreError::NotFound("promise with that id".into())));
    };
    let kept = match f.get("status") {
        Some("kept") => true,
        Some("broken") => false,
        _ => return error_page(&who, &Refusal::invalid("A promise is settled as kept or broken.")),
    };
    match state.engine().store().settle_promise(promise, kept, who.account.name.clone()).await {
        Ok(p) => {
            state.engine().notify_changed();
            back(&f, p.case_id, "settled")
        }
        Err(e) => error_page(&who, &Refusal::store(e)),
    }
}

/// `POST /proposals/{id}/decide`: `decision` is `confirm` or `reject`;
/// `back` is the case or customer page it was decided on.
pub async fn decide(
    State(state): State<AppState>,
    Extension(who): Extension<Principal>,
    Path(id): Path<String>,
    f: Fields,
) -> Response {
    let Ok(proposal) = id.parse::<i64>() else {
        return error_page(
            &who,
            &Refusal::store(firebreak_store::StoreError::NotFound("suggestion with that id".into())),
        );
    };
    let confirm = match f.get("decision") {
        Some("confirm") => true,
        Some("reject") => false,
        _ => return error_page(&who, &Refusal::invalid("Confirm or reject the suggestion.")),
    };
    match state.engine().store().decide_proposal(proposal, confirm, who.account.name.clone()).await {
        Ok(customer) => {
            state.engine().notify_changed();
            let done = if confirm { "confirmed" } else { "rejected" };
            let to = match f.get("back") {
                Some(b) if is_local_page(b) => b.to_owned(),
                _ => format!("/customers/{}", customer.0),
            };
            Redirect::to(&format!("{to}?done={done}")).into_response()
        }
        Err(e) => error_page(&who, &Refusal::store(e)),
    }
}

/// `/cases/12` or `/customers/7`: the pages a suggestion is decided on.
fn is_local_page(s: &str) -> bool {
    let rest = s.strip_prefix("/cases/").or_else(|| s.strip_prefix("/customers/"));
    rest.is_some_and(|r| !r.is_empty() && r.bytes().all(|b| b.is_ascii_digit()))
}
