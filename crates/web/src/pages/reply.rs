//! An agent's reply from the case page. The handler checks the form and
//! calls [`send_reply`], the one place that hands a reply to the engine's
//! outbound queue (checked at once, delivered by the worker, once per
//! idempotency key).

use axum::{
    Extension,
    extract::{Path, State},
    response::{IntoResponse, Redirect, Response},
};
use firebreak_channels::outbound::Visibility;
use firebreak_domain::CaseId;
use firebreak_engine::outbound::ReplyRequest;

use super::{
    case::{Extras, Part, parse_id},
    case_actions::refuse,
    forms::{Fields, Refusal, error_page},
};
use crate::{AppState, auth::Principal};

/// Hands a reply to the engine; the error is a sentence for the agent.
/// `visibility` is `public` or `private`; `idempotency_key` is fresh for
/// every rendering of the form, so a form posted twice sends once.
pub async fn send_reply(
    state: &AppState,
    case: CaseId,
    text: &str,
    visibility: &str,
    by: &str,
    idempotency_key: &str,
) -> Result<(), String> {
    let visibility = if visibility == "private" { Visibility::Private } else { Visibility::Public };
    let req = ReplyRequest {
        text: text.to_owned(),
        visibility,
        by: by.to_owned(),
        idempotency_key: Some(idempotency_key.to_owned()).filter(|k| !k.is_empty()),
    };
    state.engine().reply(case, req).await.map(|_| ()).map_err(|e| Refusal::engine(e).message)
}

/// `POST /cases/{id}/reply`: `text`, `visibility`, `idempotency_key`. On
/// success the case page forgets the draft (`?sent=1`); on refusal it shows
/// why, with the text kept.
pub async fn reply(
    State(state): State<AppState>,
    Extension(who): Extension<Principal>,
    Path(id): Path<String>,
    f: Fields,
) -> Response {
    let id = match parse_id(&id) {
        Ok(id) => id,
        Err(r) => return error_page(&who, &r),
    };
    let text = f.text("text");
    let kept = || Extras { reply: Some(text.clone()), ..Default::default() };
    if text.trim().is_empty() {
        let r = Refusal::invalid("Write the reply first: it is empty.");
        return refuse(&state, &who, id, Part::Reply, r, kept()).await;
    }
    let visibility = f.get("visibility").unwrap_or("public");
    if !matches!(visibility, "public" | "private") {
        let r = Refusal::invalid("Choose a public reply or a private message.");
        return refuse(&state, &who, id, Part::Reply, r, kept()).await;
    }
    let key = f.get("idempotency_key").unwrap_or("");
    match send_reply(&state, id, &text, visibility, &who.account.name, key).await {
        Ok(()) => Redirect::to(&format!("/cases/{}?sent=1", id.0)).into_response(),
        Err(message) => refuse(&state, &who, id, Part::Reply, Refusal::invalid(message), kept()).await,
    }
}
