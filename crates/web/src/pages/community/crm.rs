//! The community joined to the CRM: what a customer's members did in the
//! forum, for the agent's "did they already ask there?" on the customer's
//! page, and a topic turned into a case by staff.

use axum::{
    extract::{Path, State},
    response::{IntoResponse, Redirect, Response},
};
use firebreak_community::TopicId;
use firebreak_store::CustomerCommunity;
use maud::{Markup, html};

use super::{Viewer, community_problem, page_or_error};
use crate::{AppState, Code, Problem, pages::layout::short_time};

/// How many topics and replies the customer's page lists.
pub const LISTED: u32 = 10;

/// The "In the community" section of a customer's page.
pub fn section(cc: &CustomerCommunity) -> Markup {
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
