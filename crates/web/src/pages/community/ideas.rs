//! Ideas: the list (most voted first), an idea's page, submitting, voting
//! (once per member, none on a closed idea), and for staff: the status,
//! merging a duplicate, and staff's answer (shown with the staff badge).

use std::collections::HashMap;

use axum::{
    extract::{Path, Query, State},
    response::{IntoResponse, Redirect, Response},
};
use firebreak_community::{IdeaId, IdeaStatus};
use firebreak_store::{IdeaLink, NewIdea};
use maud::{PreEscaped, html};

use super::{Viewer, community_page, community_problem, csrf, notice, page_or_error, points};
use crate::{AppState, Code, Problem, pages::forms::Fields, pages::layout::short_time};

fn idea_id(s: &str) -> Result<IdeaId, Problem> {
    s.parse::<i64>().map(IdeaId).map_err(|_| Problem::refused(Code::NotFound, "not_found", "There is no such idea."))
}

/// `GET /community/ideas`.
pub async fn list(State(state): State<AppState>, v: Viewer, Query(q): Query<HashMap<String, String>>) -> Response {
    let r = async {
        let ideas = state.engine().store().ideas(200).await.map_err(community_problem)?;
        let body = html! {
            (notice(&q))
            h2 { "Ideas" }
            table #ideas {
                thead { tr { th { "Idea" } th { "Status" } th { "Votes" } } }
                tbody { @for i in &ideas { tr data-idea=(i.id) {
                    td { a href=(format!("/community/ideas/{}", i.id)) { (i.title) } }
                    td { span.badge { (i.status.as_str()) } }
                    td { (i.votes) }
                } } }
            }
            @if v.actor.is_some() {
                h3 { "Suggest an idea" }
                form.stack #new-idea method="post" action="/community/ideas" {
                    (csrf(&v))
                    div { label for="idea-title" { "Title" } br; input #idea-title name="title" required; }
                    div { label for="idea-body" { "What and why (Markdown)" } br; textarea #idea-body name="body" required {} }
                    button type="submit" { "Post the idea" }
                }
            }
        };
        Ok(community_page(&v, "Ideas", body).into_response())
    };
    page_or_error(&v, r.await)
}

/// `POST /community/ideas`.
pub async fn create(State(state): State<AppState>, v: Viewer, f: Fields) -> Response {
    let r = async {
        let actor = v.require()?;
        let idea = state
            .engine()
            .store()
            .create_idea(actor, NewIdea { title: f.text("title"), body: f.text("body") })
            .await
            .map_err(community_problem)?;
        Ok(Redirect::to(&format!("/community/ideas/{}?done=idea", idea.id)).into_response())
    };
    page_or_error(&v, r.await)
}

/// `GET /community/ideas/{id}`.
pub async fn show(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let r = async {
        let id = idea_id(&id)?;
        let i = state
            .engine()
            .store()
            .idea(id)
            .await
            .map_err(community_problem)?
            .ok_or_else(|| Problem::refused(Code::NotFound, "not_found", "There is no such idea."))?;
        let answer = state.engine().store().idea_answer(id).await.map_err(community_problem)?;
        let comments = state.engine().store().idea_comments(id).await.map_err(community_problem)?;
        let links = if v.is_staff() {
            state.engine().store().idea_links(id).await.map_err(community_problem)?
        } else {
            Vec::new()
        };
        let body = html! {
            (notice(&q))
            h2 #idea-title { (i.title) " " span.badge #idea-status { (i.status.as_str()) } }
            p.meta { (short_time(i.created_at)) " · " span #votes data-votes=(i.votes) { (i.votes) " votes" } }
            @if let Some(d) = i.duplicate_of { p { "A duplicate of " a href=(format!("/community/ideas/{d}")) { "idea " (d) } "." } }
            // Sanitised when the idea was written (community::markdown).
            div.card { (PreEscaped(&i.body_html)) }
            @if let Some(a) = &answer {
                section.card #staff-answer {
                    h3 { "Answer from " (a.by_name) " " span.badge.staff { "Staff" } }
                    // Sanitised when the answer was written.
                    (PreEscaped(&a.body_html))
                    p.meta { (short_time(a.answered_at)) }
                }
            }
            @if v.actor.is_some() && !i.status.is_closed() {
                form.row method="post" action=(format!("/community/ideas/{}/vote", i.id)) {
                    (csrf(&v)) button #vote type="submit" { "Vote for it" }
                }
            }
            section #idea-comments {
                h3 { "Comments" }
                @if comments.is_empty() { p.meta { "No comments yet." } }
                @for c in &comments {
                    article.post.comment id=(format!("comment-{}", c.id)) data-comment=(c.id) {
                        div.meta {
                            a.author href=(format!("/community/members/{}", c.author)) { strong { (c.author_name) } }
                            @if c.by_staff { " " span.badge.staff title="A member of staff" { "Staff" } }
                            " · " time datetime=(c.created_at.to_rfc3339()) { (short_time(c.created_at)) }
                        }
                        // Sanitised when the comment was written (community::markdown).
                        div.body { (PreEscaped(&c.body_html)) }
                    }
                }
                @if v.actor.is_some() {
                    form.stack #comment-idea method="post" action=(format!("/community/ideas/{}/comments", i.id)) {
                        (csrf(&v))
                        label for="comment-body" { "Your comment (Markdown)" }
                        textarea #comment-body name="body" required {}
                        button type="submit" { "Comment" }
                    }
                }
            }
            @if v.is_staff() {
                section #idea-links {
                    h3 { "Asked for in" }
                    @if links.is_empty() { p.meta { "No case or incident is linked." } }
                    ul.plain { @for l in &links { li { (link_markup(l)) } } }
                    form.row method="post" action=(format!("/community/ideas/{}/links", i.id)) {
                        (csrf(&v))
                        label for="link-kind" { "Link" }
                        select #link-kind name="kind" { option value="case" { "case" } option value="incident" { "incident" } }
                        label for="link-id" { "#" }
                        input #link-id type="number" name="id" min="1" required;
                        button.quiet type="submit" { "Link" }
                    }
                }
                h3 { "Staff" }
                form.row method="post" action=(format!("/community/ideas/{}/status", i.id)) {
                    (csrf(&v))
                    label for="idea-new-status" { "Status" }
                    select #idea-new-status name="status" {
                        @for s in IdeaStatus::ALL { @if s != IdeaStatus::Duplicate {
                            option value=(s.as_str()) selected[s == i.status] { (s.as_str()) }
                        } }
                    }
                    button.quiet type="submit" { "Change" }
                }
                form.stack #answer-idea method="post" action=(format!("/community/ideas/{}/answer", i.id)) {
                    (csrf(&v))
                    label for="answer-body" { "Staff answer (Markdown)" }
                    textarea #answer-body name="body" required { @if let Some(a) = &answer { (a.body_markdown) } }
                    button.quiet type="submit" { "Answer" }
                }
                form.row method="post" action=(format!("/community/ideas/{}/merge", i.id)) {
                    (csrf(&v))
                    label for="merge-into" { "Merge into idea #" }
                    input #merge-into type="number" name="into" min="1" required;
                    input name="reason" placeholder="Reason" required;
                    button.quiet type="submit" { "Merge as a duplicate" }
                }
            }
        };
        Ok(community_page(&v, &i.title, body).into_response())
    };
    page_or_error(&v, r.await)
}

/// `POST /community/ideas/{id}/vote`.
pub async fn vote(State(state): State<AppState>, v: Viewer, Path(id): Path<String>) -> Response {
    let r = async {
        let actor = v.require()?;
        let id = idea_id(&id)?;
        state.engine().store().vote(actor, id).await.map_err(community_problem)?;
        Ok(Redirect::to(&format!("/community/ideas/{id}?done=voted")).into_response())
    };
    page_or_error(&v, r.await)
}

/// `POST /community/ideas/{id}/status` (staff).
pub async fn status(State(state): State<AppState>, v: Viewer, Path(id): Path<String>, f: Fields) -> Response {
    let r = async {
        let actor = v.require()?;
        let id = idea_id(&id)?;
        let status = IdeaStatus::parse(f.get("status").unwrap_or(""))
            .ok_or_else(|| Problem::refused(Code::ValidationFailed, "invalid_status", "That is not an idea status."))?;
        state.engine().store().set_idea_status(actor, id, status, points(&state)).await.map_err(community_problem)?;
        Ok(Redirect::to(&format!("/community/ideas/{id}?done=status")).into_response())
    };
    page_or_error(&v, r.await)
}

/// `POST /community/ideas/{id}/merge` with `into` (staff).
pub async fn merge(State(state): State<AppState>, v: Viewer, Path(id): Path<String>, f: Fields) -> Response {
    let r = async {
        let actor = v.require()?;
        let id = idea_id(&id)?;
        let into = idea_id(f.get("into").unwrap_or(""))?;
        state.engine().store().merge_ideas(actor, id, into, f.text("reason")).await.map_err(community_problem)?;
        Ok(Redirect::to(&format!("/community/ideas/{into}?done=merged")).into_response())
    };
    page_or_error(&v, r.await)
}

/// `POST /community/ideas/{id}/answer` (staff).
pub async fn answer(State(state): State<AppState>, v: Viewer, Path(id): Path<String>, f: Fields) -> Response {
    let r = async {
        let actor = v.require()?;
        let id = idea_id(&id)?;
        state.engine().store().answer_idea(actor, id, f.text("body")).await.map_err(community_problem)?;
        Ok(Redirect::to(&format!("/community/ideas/{id}?done=answered")).into_response())
    };
    page_or_error(&v, r.await)
}

fn link_markup(l: &IdeaLink) -> maud::Markup {
    match l {
        IdeaLink::Case(c) => html! { a data-case=(c) href=(format!("/cases/{c}")) { "Case #" (c) } },
        IdeaLink::Incident(i) => html! { a data-incident=(i) href=(format!("/incidents/{i}")) { "Incident #" (i) } },
    }
}

/// A link from a form or a body: `kind` (case or incident) and `id`.
pub fn parse_link(kind: &str, id: &str) -> Result<IdeaLink, Problem> {
    let n = id.trim().parse::<i64>().ok().filter(|n| *n > 0);
    match (kind, n) {
        ("case", Some(n)) => Ok(IdeaLink::Case(n)),
        ("incident", Some(n)) => Ok(IdeaLink::Incident(n)),
        _ => {
            Err(Problem::refused(Code::ValidationFailed, "invalid_link", "Give a case or an incident and its number."))
        }
    }
}

/// `POST /community/ideas/{id}/comments` with `body`.
pub async fn comment(State(state): State<AppState>, v: Viewer, Path(id): Path<String>, f: Fields) -> Response {
    let r = async {
        let actor = v.require()?;
        let id = idea_id(&id)?;
        let c = state.engine().store().comment_on_idea(actor, id, f.text("body")).await.map_err(community_problem)?;
        Ok(Redirect::to(&format!("/community/ideas/{}?done=commented#comment-{}", c.idea, c.id)).into_response())
    };
    page_or_error(&v, r.await)
}

/// `POST /community/ideas/{id}/links` (staff) with `kind` and `id`.
pub async fn link(State(state): State<AppState>, v: Viewer, Path(id): Path<String>, f: Fields) -> Response {
    let r = async {
        let actor = v.require()?;
        let idea = idea_id(&id)?;
        let l = parse_link(f.get("kind").unwrap_or(""), f.get("id").unwrap_or(""))?;
        state.engine().store().link_idea(actor, idea, l).await.map_err(community_problem)?;
        Ok(Redirect::to(&format!("/community/ideas/{idea}?done=linked#idea-links")).into_response())
    };
    page_or_error(&v, r.await)
}
