//! The community joined to the CRM: what a customer's members did in the
//! forum, for the agent's "did they already ask there?" on the customer's
//! page, and a topic turned into a case by staff.

use axum::{Form, Json, extract::rejection::JsonRejection};
use axum::{
    extract::{Path, State},
    response::{IntoResponse, Redirect, Response},
};
use firebreak_community::{TopicId, TopicKind};
use firebreak_store::CustomerCommunity;
use maud::{Markup, html};
use serde::Deserialize;

use super::{Viewer, community_problem, page_or_error};
use crate::{
    AppState, Code, Problem,
    auth::Principal,
    pages::layout::{csrf_field, short_time},
};

/// How many topics and replies the customer's page lists.
pub const LISTED: u32 = 10;

/// On a case, for an agent who may work it: publishing the case's answer
/// as the solution of one of the customer's open questions.
pub struct Publish<'a> {
    pub case: i64,
    pub who: &'a Principal,
}

/// The "In the community" section of a customer's page (and of a case's
/// side panel, with `publish`).
pub fn section(cc: &CustomerCommunity, publish: Option<Publish<'_>>) -> Markup {
    html! {
        section.card #community aria-labelledby="in-community" {
            h3 #in-community { "In the community" }
            @if cc.members.is_empty() {
                p.meta { "No community member is linked to this customer." }
            } @else if cc.topics.is_empty() && cc.replies.is_empty() {
                p.meta { "Their members have not posted yet." }
            }
            @if !cc.topics.is_empty() {
                h4 { "Topics they started" }
                ul.plain #community-topics {
                    @for t in &cc.topics { li data-topic=(t.topic) {
                        a href=(format!("/community/t/{}", t.topic)) { (t.title) }
                        " " span.badge { (t.kind.as_str()) }
                        @if t.solved { " " span.badge.solution { "solved" } }
                        @if t.hidden { " " span.badge { "hidden" } }
                        span.meta { " · " (t.replies) " replies · " (short_time(t.created_at)) }
                        @if let Some(p) = publish.as_ref().filter(|_| t.kind == TopicKind::Question && !t.solved && !t.hidden) {
                            details.publish {
                                summary { "Publish the case's answer as the solution" }
                                form.stack method="post" action=(format!("/cases/{}/community-answer", p.case)) {
                                    (csrf_field(p.who))
                                    input type="hidden" name="topic" value=(t.topic);
                                    label.sr for=(format!("answer-{}", t.topic)) { "The answer (Markdown)" }
                                    textarea id=(format!("answer-{}", t.topic)) name="body" required {}
                                    button type="submit" { "Publish as the accepted solution" }
                                }
                            }
                        }
                    } }
                }
            }
            @if !cc.replies.is_empty() {
                h4 { "Their replies" }
                ul.plain #community-replies {
                    @for r in &cc.replies { li data-post=(r.post) {
                        a href=(format!("/community/t/{}#post-{}", r.topic, r.post)) { (r.topic_title) }
                        @if r.is_solution { " " span.badge.solution { "accepted solution" } }
                        @if r.hidden { " " span.badge { "hidden" } }
                        span.meta { " · " (short_time(r.created_at)) }
                    } }
                }
            }
        }
    }
}

fn topic_id(s: &str) -> Result<TopicId, Problem> {
    s.parse::<i64>().map(TopicId).map_err(|_| Problem::refused(Code::NotFound, "not_found", "There is no such topic."))
}

/// `POST /community/t/{id}/case` (staff): opens a case from the topic (or
/// finds the one it already opened) and goes to it.
pub async fn to_case(State(state): State<AppState>, v: Viewer, Path(id): Path<String>) -> Response {
    let r = async {
        let actor = v.require()?;
        let tc = state.engine().store().topic_to_case(actor, topic_id(&id)?).await.map_err(community_problem)?;
        Ok(Redirect::to(&format!("/cases/{}", tc.case_id)).into_response())
    };
    page_or_error(&v, r.await)
}

#[derive(Deserialize)]
pub struct AnswerForm {
    #[serde(default)]
    topic: String,
    #[serde(default)]
    body: String,
}

fn case_id(s: &str) -> Result<i64, Problem> {
    s.parse::<i64>().map_err(|_| Problem::refused(Code::NotFound, "not_found", "There is no such case."))
}

/// `POST /cases/{id}/community-answer` (agents): publishes the case's
/// answer as the accepted solution of the customer's question, and goes to
/// the topic.
pub async fn publish_answer(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    Form(f): Form<AnswerForm>,
) -> Response {
    let r = async {
        let actor = v.require()?;
        let topic = topic_id(&f.topic)?;
        state
            .engine()
            .store()
            .publish_case_answer(actor, case_id(&id)?, topic, f.body)
            .await
            .map_err(community_problem)?;
        Ok(Redirect::to(&format!("/community/t/{topic}")).into_response())
    };
    page_or_error(&v, r.await)
}

#[derive(Deserialize)]
pub struct AnswerBody {
    topic: i64,
    body: String,
}

/// `POST /api/v1/cases/{id}/community-answer {topic, body}` (agents): the
/// staff reply and its solution.
pub async fn publish_answer_api(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    b: Result<Json<AnswerBody>, JsonRejection>,
) -> Result<Json<serde_json::Value>, Problem> {
    let Json(b) = b.map_err(|e| Problem::new(Code::InvalidJson, e.body_text()))?;
    let (post, solution) = state
        .engine()
        .store()
        .publish_case_answer(v.require()?, case_id(&id)?, TopicId(b.topic), b.body)
        .await
        .map_err(community_problem)?;
    Ok(Json(serde_json::json!({ "post": post, "solution": solution })))
}
