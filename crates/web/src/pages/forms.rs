//! What page handlers share: reading a posted form (repeated fields
//! included), turning a refusal from the store or the engine into a sentence
//! for the person, the notices shown after a redirect, and the error page.

use std::collections::HashMap;

use axum::{
    Form,
    extract::{FromRequest, Request},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use firebreak_engine::EngineError;
use firebreak_store::StoreError;
use maud::{Markup, html};

use super::layout::{Frame, page};
use crate::{Problem, api::messages::store_problem, auth::Principal, webhooks::engine_problem};

/// A posted form as its fields in order; a name may repeat (the inbox's
/// selected cases, a token's scopes).
pub struct Fields(Vec<(String, String)>);

impl<S: Send + Sync> FromRequest<S> for Fields {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        Form::<Vec<(String, String)>>::from_request(req, state)
            .await
            .map(|Form(v)| Fields(v))
            .map_err(IntoResponse::into_response)
    }
}

impl Fields {
    /// The first value of `name`, trimmed; `None` when absent or blank.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim()).filter(|v| !v.is_empty())
    }

    /// The first value of `name` as typed (not trimmed), or empty.
    pub fn text(&self, name: &str) -> String {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default()
    }

    /// Every value of `name`.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0.iter().filter(move |(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// A refusal as a person reads it, with the status it deserves.
#[derive(Debug, Clone)]
pub struct Refusal {
    pub status: StatusCode,
    pub message: String,
}

impl Refusal {
    /// A value the person gave is not acceptable (422).
    pub fn invalid(message: impl Into<String>) -> Refusal {
        Refusal { status: StatusCode::UNPROCESSABLE_ENTITY, message: message.into() }
    }

    /// The sentence of a problem: the field's own message when it names one
    /// (the JSON API's detail adds the field's name and "nothing was changed").
    pub fn from_problem(p: &Problem) -> Refusal {
        let (status, _) = p.code.status_and_title();
        let message = match p.errors.first() {
            Some(f) => sentence(&f.message),
            None => p.detail.clone(),
        };
        Refusal { status, message }
    }

    pub fn store(e: StoreError) -> Refusal {
        Refusal::from_problem(&store_problem(e))
    }

    pub fn engine(e: EngineError) -> Refusal {
        Refusal::from_problem(&engine_problem(e))
    }
}

/// `the text is empty` → `The text is empty.`
pub fn sentence(s: &str) -> String {
    let s = s.trim().trim_end_matches('.');
    let mut out = String::with_capacity(s.len() + 1);
    let mut chars = s.chars();
    if let Some(first) = chars.next() {
        out.extend(first.to_uppercase());
        out.push_str(chars.as_str());
    }
    out.push('.');
    out
}

/// A whole page that says what went wrong.
pub fn error_page(who: &Principal, r: &Refusal) -> Response {
    let title = if r.status == StatusCode::NOT_FOUND { "Not found" } else { "Cannot do that" };
    let body = html! {
        h2 { (title) }
        p.error role="alert" { (r.message) }
        p { a href="/inbox" { "Back to the inbox" } }
    };
    (r.status, page(Some(who), Frame { title, narrow: true, ..Default::default() }, body)).into_response()
}

/// The notice a page shows after a redirect (`?done=note`); only known
/// codes are shown, so a link cannot put words on our pages.
pub fn notice(q: &HashMap<String, String>) -> Markup {
    let n: u64 = q.get("n").and_then(|n| n.parse().ok()).unwrap_or(0);
    let failed: u64 = q.get("failed").and_then(|n| n.parse().ok()).unwrap_or(0);
    let text: Option<String> = match q.get("done").map(String::as_str) {
        Some("resolved") => Some(format!("{n} case(s) resolved.")),
        Some("assigned") => Some(format!("{n} case(s) assigned to you.")),
        Some("tagged") => Some(format!("{n} case(s) tagged.")),
        Some("none") => Some("Select at least one case first (x selects the current row).".into()),
        Some("status") => Some("The case is updated.".into()),
        Some("assign") => Some("The assignment is changed.".into()),
        Some("tags") => Some("The tags are changed.".into()),
        Some("note") => Some("The note is added.".into()),
        Some("promise") => Some("The promise is recorded; you will be reminded before it falls due.".into()),
        Some("settled") => Some("The promise is settled.".into()),
        Some("confirmed") => Some("The suggested match is confirmed.".into()),
        Some("rejected") => Some("The suggested match is rejected.".into()),
        Some("merged") => Some("The customers are merged; the merge can be undone below.".into()),
        Some("unmerged") => Some("The merge is undone.".into()),
        Some("erased") => Some("The customer is erased.".into()),
        Some("revoked") => Some("The token is revoked.".into()),
        Some("staff-added") => Some("The account is created.".into()),
        Some("staff-updated") => Some("The account is changed.".into()),
        Some("incident-created") => Some("The incident is open.".into()),
        Some("incident-updated") => Some("The incident is updated.".into()),
        Some("candidate-dismissed") => Some("The candidate is dismissed.".into()),
        Some("linked") => Some("Linked to the incident.".into()),
        Some("unlinked") => Some("Unlinked; it will not be linked again automatically.".into()),
        Some("outreach") => Some(format!("{n} notice(s) queued to affected customers.")),
        Some("follow-up") => Some(format!("{n} follow-up(s) queued.")),
        Some("credits") => Some(format!("{n} credit(s) issued.")),
        Some("bulk-reply") => Some(format!("{n} linked case(s) answered (each once).")),
        _ => None,
    };
    let sent = q.contains_key("sent");
    html! {
        @if sent { p.flash role="status" { "The reply is queued; it shows below as sent once the platform has it." } }
        @if let Some(t) = text { p.flash role="status" { (t) } }
        @if failed > 0 { p.error role="alert" { (failed) " case(s) could not be changed; the log says why." } }
    }
}

/// A datetime-local value (`2026-11-20T10:30`), read as UTC, or RFC 3339.
pub fn parse_local_time(s: &str) -> Option<firebreak_domain::Timestamp> {
    let s = s.trim();
    let full = match s.len() {
        16 => format!("{s}:00Z"),
        19 => format!("{s}Z"),
        _ => s.to_owned(),
    };
    firebreak_domain::Timestamp::parse_rfc3339(&full).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_start_with_a_capital_and_end_with_one_stop() {
        assert_eq!(sentence("`text` must not be empty"), "`text` must not be empty.");
        assert_eq!(sentence("the reply has no text."), "The reply has no text.");
        assert_eq!(sentence("élan"), "Élan.");
    }

    #[test]
    fn local_times_are_read_as_utc() {
        let t = parse_local_time("2026-11-20T10:30").unwrap();
        assert_eq!(t, firebreak_domain::Timestamp::parse_rfc3339("2026-11-20T10:30:00Z").unwrap());
        assert!(parse_local_time("tomorrow").is_none());
    }

    #[test]
    fn only_known_notices_are_shown() {
        let q: HashMap<String, String> = [("done".to_owned(), "<script>".to_owned())].into();
        assert!(notice(&q).into_string().is_empty());
        let q: HashMap<String, String> = [("done".to_owned(), "note".to_owned())].into();
        assert!(notice(&q).into_string().contains("note is added"));
    }
}
