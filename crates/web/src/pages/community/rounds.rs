//! Charity rounds: the list with each round's candidates, votes and pot;
//! members vote once per round and donate points into the pot (the form
//! carries a request id drawn with the page, so a retry donates once);
//! staff open a round and close it, which pays the pot to the charity with
//! the most votes.

use std::collections::HashMap;

use axum::{
    extract::{Path, Query, State},
    response::{IntoResponse, Redirect, Response},
};
use firebreak_community::charity::{Charity, RoundId, RoundStatus};
use firebreak_engine::staff::random_token;
use firebreak_store::{CharityRound, NewCharityRound};
use maud::{Markup, html};

use super::{Viewer, community_page, community_problem, csrf, page_or_error};
use crate::{AppState, Code, Problem, pages::forms::Fields, pages::layout::short_time};

/// How many rounds the page lists.
const LISTED: u32 = 50;

pub fn round_id(s: &str) -> Result<RoundId, Problem> {
    s.parse::<i64>()
        .map(RoundId)
        .map_err(|_| Problem::refused(Code::NotFound, "not_found", "There is no such charity round."))
}

/// The candidates typed one a line as `slug, Name` (the name defaults to
/// the slug); the store checks them.
pub fn candidates(text: &str) -> Vec<Charity> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| match l.split_once(',') {
            Some((slug, name)) => Charity { slug: slug.trim().to_owned(), name: name.trim().to_owned() },
            None => Charity { slug: l.to_owned(), name: l.to_owned() },
        })
        .collect()
}

fn done(q: &HashMap<String, String>) -> Markup {
    let text = match q.get("done").map(String::as_str) {
        Some("opened") => Some("The round is open."),
        Some("voted") => Some("Your vote is counted."),
        Some("donated") => Some("Your points are in the pot."),
        Some("closed") => Some("The round is closed and its pot paid."),
        _ => None,
    };
    html! { @if let Some(t) = text { p.flash role="status" { (t) } } }
}

fn round_view(v: &Viewer, r: &CharityRound, request_id: &str) -> Markup {
    let open = r.status == RoundStatus::Open;
    html! {
        section.card.round id=(format!("round-{}", r.id.0)) data-round=(r.id.0) data-status=(r.status.as_str()) {
            h3 { (r.title) " " span.badge { (r.status.as_str()) } }
            p.meta {
                "Opened " (short_time(r.created_at))
                @if let Some(c) = r.closed_at { " · closed " (short_time(c)) }
                " · pot " span data-pot=(r.pot) { (r.pot) " points" }
                @if let Some(w) = &r.winner { " · paid " span data-paid=(r.paid) { (r.paid) } " points to " strong data-winner=(w) { (w) } }
            }
            table {
                thead { tr { th { "Charity" } th { "Votes" } } }
                tbody { @for c in &r.charities { tr data-charity=(c.slug) {
                    td { (c.name) } td data-votes=(c.votes) { (c.votes) }
                } } }
            }
            @if open && v.actor.is_some() {
                form.row method="post" action=(format!("/community/rounds/{}/vote", r.id.0)) {
                    (csrf(v))
                    label for=(format!("vote-{}", r.id.0)) { "Vote for" }
                    select id=(format!("vote-{}", r.id.0)) name="charity" {
                        @for c in &r.charities { option value=(c.slug) { (c.name) } }
                    }
                    button type="submit" { "Vote" }
                }
                @if !v.is_staff() {
                    form.row method="post" action=(format!("/community/rounds/{}/donate", r.id.0)) {
                        (csrf(v))
                        input type="hidden" name="request_id" value=(request_id);
                        label for=(format!("donate-{}", r.id.0)) { "Donate points" }
                        input id=(format!("donate-{}", r.id.0)) type="number" name="amount" min="1" required;
                        button.quiet type="submit" { "Donate" }
                    }
                }
            }
            @if open && v.is_staff() {
                form.row method="post" action=(format!("/community/rounds/{}/close", r.id.0))
                    data-confirm="Close the round and pay its pot to the charity with the most votes?" {
                    (csrf(v))
                    button.danger type="submit" { "Close and pay" }
                }
            }
        }
    }
}

/// `GET /community/rounds`.
pub async fn list(State(state): State<AppState>, v: Viewer, Query(q): Query<HashMap<String, String>>) -> Response {
    let r = async {
        let rounds = state.engine().store().charity_rounds(LISTED).await.map_err(community_problem)?;
        let body = html! {
            (done(&q))
            h2 { "Charity rounds" }
            p.meta { "Members vote for a charity and may donate points; when a round closes its pot goes to the charity with the most votes." }
            @if rounds.is_empty() { p.meta { "No rounds yet." } }
            div #rounds {
                @for r in &rounds {
                    // A request id per form: a retried post donates once.
                    @let request_id = random_token(16).unwrap_or_default();
                    (round_view(&v, r, &request_id))
                }
            }
            @if v.is_staff() {
                h3 { "Open a round" }
                form.stack #open-round method="post" action="/community/rounds" {
                    (csrf(&v))
                    label for="round-title" { "Title" }
                    input #round-title name="title" required;
                    label for="round-charities" { "Charities, one a line: slug, name" }
                    textarea #round-charities name="charities" required placeholder="red-cross, Red Cross\nwwf, WWF" {}
                    button type="submit" { "Open the round" }
                }
            }
        };
        Ok(community_page(&v, "Charity rounds", body).into_response())
    };
    page_or_error(&v, r.await)
}

/// `POST /community/rounds` (staff): `title` and `charities`.
pub async fn open(State(state): State<AppState>, v: Viewer, f: Fields) -> Response {
    let r = async {
        let new = NewCharityRound { title: f.text("title"), charities: candidates(&f.text("charities")) };
        let round = state.engine().store().open_charity_round(v.require()?, new).await.map_err(community_problem)?;
        Ok(Redirect::to(&format!("/community/rounds?done=opened#round-{}", round.id.0)).into_response())
    };
    page_or_error(&v, r.await)
}

/// `POST /community/rounds/{id}/vote` with `charity`.
pub async fn vote(State(state): State<AppState>, v: Viewer, Path(id): Path<String>, f: Fields) -> Response {
    let r = async {
        let round = round_id(&id)?;
        state
            .engine()
            .store()
            .vote_in_round(v.require()?, round, f.text("charity"))
            .await
            .map_err(community_problem)?;
        Ok(Redirect::to(&format!("/community/rounds?done=voted#round-{}", round.0)).into_response())
    };
    page_or_error(&v, r.await)
}

/// `POST /community/rounds/{id}/donate` with `amount` and `request_id`.
pub async fn donate(State(state): State<AppState>, v: Viewer, Path(id): Path<String>, f: Fields) -> Response {
    let r = async {
        let round = round_id(&id)?;
        let amount = f.get("amount").and_then(|a| a.trim().parse::<i64>().ok()).ok_or_else(|| {
            Problem::refused(Code::ValidationFailed, "invalid_points", "Give the number of points to donate.")
        })?;
        state
            .engine()
            .store()
            .donate_to_round(v.require()?, round, f.text("request_id"), amount)
            .await
            .map_err(community_problem)?;
        Ok(Redirect::to(&format!("/community/rounds?done=donated#round-{}", round.0)).into_response())
    };
    page_or_error(&v, r.await)
}

/// `POST /community/rounds/{id}/close` (staff).
pub async fn close(State(state): State<AppState>, v: Viewer, Path(id): Path<String>) -> Response {
    let r = async {
        let round = round_id(&id)?;
        state.engine().store().close_charity_round(v.require()?, round).await.map_err(community_problem)?;
        Ok(Redirect::to(&format!("/community/rounds?done=closed#round-{}", round.0)).into_response())
    };
    page_or_error(&v, r.await)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates_are_read_one_a_line() {
        let c = candidates("red-cross, Red Cross\n\n  wwf \n");
        assert_eq!(c.len(), 2);
        assert_eq!((c[0].slug.as_str(), c[0].name.as_str()), ("red-cross", "Red Cross"));
        assert_eq!((c[1].slug.as_str(), c[1].name.as_str()), ("wwf", "wwf"));
    }
}
