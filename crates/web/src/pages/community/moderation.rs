//! Moderation, for staff: the open reports, the moderation log, and the
//! actions (hide a post, which reverses its points; lock, move; ban), and
//! creating boards.

use std::collections::HashMap;

use axum::{
    extract::{Path, Query, State},
    response::{IntoResponse, Redirect, Response},
};
use firebreak_community::{BoardVisibility, MemberId, PostId, TopicId};
use firebreak_store::NewBoard;
use maud::html;

use super::{Viewer, community_page, community_problem, csrf, notice, page_or_error, visible_board};
use crate::{AppState, Code, Problem, pages::forms::Fields, pages::layout::short_time};

fn id_of(s: &str, what: &str) -> Result<i64, Problem> {
    s.parse::<i64>().map_err(|_| Problem::refused(Code::NotFound, "not_found", format!("There is no such {what}.")))
}

/// `GET /community/mod`: open reports and the log.
pub async fn queue(State(state): State<AppState>, v: Viewer, Query(q): Query<HashMap<String, String>>) -> Response {
    let r = async {
        let actor = v.require()?;
        let store = state.engine().store();
        let reports = store.open_reports(actor, 100).await.map_err(community_problem)?;
        let log = store.moderation_log(actor, 100).await.map_err(community_problem)?;
        let body = html! {
            (notice(&q))
            h2 { "Reports" }
            @if reports.is_empty() { p.meta { "No open reports." } }
            table #reports {
                thead { tr { th { "Reported" } th { "Post" } th { "Why" } th { "Hide it" } } }
                tbody { @for r in &reports { tr {
                    td { (short_time(r.created_at)) }
                    td { "post " (r.post) }
                    td { (r.reason) }
                    td {
                        form.row method="post" action=(format!("/community/mod/posts/{}/hide", r.post)) {
                            (csrf(&v))
                            input name="reason" placeholder="Reason" required;
                            button.danger type="submit" { "Hide" }
                        }
                    }
                } } }
            }
            h2 { "Moderation log" }
            table #moderation-log {
                thead { tr { th { "When" } th { "Who" } th { "What" } th { "On" } th { "Why" } } }
                tbody { @for e in &log { tr {
                    td { (short_time(e.created_at)) }
                    td { (e.actor_name) }
                    td { (e.action) }
                    td { (e.subject) }
                    td { (e.reason) }
                } } }
            }
        };
        Ok(community_page(&v, "Moderation", body).into_response())
    };
    page_or_error(&v, r.await)
}

/// `POST /community/mod/posts/{id}/hide`.
pub async fn hide(State(state): State<AppState>, v: Viewer, Path(id): Path<String>, f: Fields) -> Response {
    let r = async {
        let actor = v.require()?;
        let post = PostId(id_of(&id, "post")?);
        state.engine().store().hide_post(actor, post, f.text("reason")).await.map_err(community_problem)?;
        Ok(match f.get("topic").and_then(|t| t.parse::<i64>().ok()) {
            Some(t) => Redirect::to(&format!("/community/t/{t}?done=hidden")).into_response(),
            None => Redirect::to("/community/mod?done=hidden").into_response(),
        })
    };
    page_or_error(&v, r.await)
}

/// `POST /community/mod/t/{id}/lock` with `locked` and `reason`.
pub async fn lock(State(state): State<AppState>, v: Viewer, Path(id): Path<String>, f: Fields) -> Response {
    let r = async {
        let actor = v.require()?;
        let topic = TopicId(id_of(&id, "topic")?);
        let locked = f.get("locked") != Some("false");
        state
            .engine()
            .store()
            .set_topic_locked(actor, topic, locked, f.text("reason"))
            .await
            .map_err(community_problem)?;
        let done = if locked { "locked" } else { "unlocked" };
        Ok(Redirect::to(&format!("/community/t/{topic}?done={done}")).into_response())
    };
    page_or_error(&v, r.await)
}

/// `POST /community/mod/t/{id}/move` with `board` (a slug) and `reason`.
pub async fn move_topic(State(state): State<AppState>, v: Viewer, Path(id): Path<String>, f: Fields) -> Response {
    let r = async {
        let actor = v.require()?;
        let topic = TopicId(id_of(&id, "topic")?);
        let board = visible_board(&state, &v, f.text("board").trim().to_owned()).await?;
        state.engine().store().move_topic(actor, topic, board.id, f.text("reason")).await.map_err(community_problem)?;
        Ok(Redirect::to(&format!("/community/t/{topic}?done=moved")).into_response())
    };
    page_or_error(&v, r.await)
}

/// `POST /community/mod/members/{id}/ban` with `banned` and `reason`.
pub async fn ban(State(state): State<AppState>, v: Viewer, Path(id): Path<String>, f: Fields) -> Response {
    let r = async {
        let actor = v.require()?;
        let member = MemberId(id_of(&id, "member")?);
        let banned = f.get("banned") != Some("false");
        state
            .engine()
            .store()
            .set_member_banned(actor, member, banned, f.text("reason"))
            .await
            .map_err(community_problem)?;
        let done = if banned { "banned" } else { "unbanned" };
        Ok(Redirect::to(&format!("/community/members/{member}?done={done}")).into_response())
    };
    page_or_error(&v, r.await)
}

/// `POST /community/boards` (supervisors and admins).
pub async fn create_board(State(state): State<AppState>, v: Viewer, f: Fields) -> Response {
    let r = async {
        let actor = v.require()?;
        let visibility = BoardVisibility::parse(f.get("visibility").unwrap_or("public")).ok_or_else(|| {
            Problem::refused(Code::ValidationFailed, "invalid_visibility", "A board is public or private.")
        })?;
        let b = state
            .engine()
            .store()
            .create_board(
                actor,
                NewBoard { slug: f.text("slug"), name: f.text("name"), description: f.text("description"), visibility },
            )
            .await
            .map_err(community_problem)?;
        Ok(Redirect::to(&format!("/community/b/{}?done=board", b.slug)).into_response())
    };
    page_or_error(&v, r.await)
}
