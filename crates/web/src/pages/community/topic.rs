//! A topic's page and what members do on it: ask (from a board), reply,
//! accept a solution, give kudos, report, edit with history; and search.
//! The accepted solution comes right after the question; every post shows
//! its author's rank and, for staff, the staff badge.

use std::collections::HashMap;

use axum::{
    extract::{Path, Query, State},
    response::{IntoResponse, Redirect, Response},
};
use firebreak_community::{PostId, TopicId, TopicKind};
use firebreak_store::{NewTopic, PostView, TopicPage};
use maud::{Markup, PreEscaped, html};

use super::{
    Draft, Viewer, community_page, community_problem, csrf, notice, page_or_error, points, rank_names, render_board,
    visible_board,
};
use crate::AppState;
use crate::{Code, Problem, pages::forms::Fields, pages::layout::short_time};

fn id_of(s: &str, what: &str) -> Result<i64, Problem> {
    s.parse::<i64>().map_err(|_| Problem::refused(Code::NotFound, "not_found", format!("There is no such {what}.")))
}

/// `POST /community/b/{slug}/topics`: asks a question or starts a discussion.
pub async fn ask(State(state): State<AppState>, v: Viewer, Path(slug): Path<String>, f: Fields) -> Response {
    let r = async {
        let actor = v.require()?;
        let b = visible_board(&state, &v, slug).await?;
        let kind = TopicKind::parse(f.get("kind").unwrap_or("question")).ok_or_else(|| {
            Problem::refused(Code::ValidationFailed, "invalid_kind", "A topic is a question or a discussion.")
        })?;
        let new = NewTopic { board: b.id, kind, title: f.text("title"), body: f.text("body") };
        match state.engine().community_topic(actor, new).await {
            Ok((topic, _)) => Ok(Redirect::to(&format!("/community/t/{}?done=asked", topic.id)).into_response()),
            Err(e) => {
                let draft =
                    Draft { discussion: kind == TopicKind::Discussion, title: f.text("title"), body: f.text("body") };
                render_board(&state, &v, &b, &HashMap::new(), Some(&community_problem(e)), &draft).await
            }
        }
    };
    page_or_error(&v, r.await)
}

async fn load(state: &AppState, v: &Viewer, id: TopicId) -> Result<TopicPage, Problem> {
    state
        .engine()
        .store()
        .topic_page(v.actor, id)
        .await
        .map_err(community_problem)?
        .ok_or_else(|| Problem::refused(Code::NotFound, "not_found", "There is no such topic."))
}

fn post_view(v: &Viewer, page: &TopicPage, p: &PostView, rank: &str) -> Markup {
    let t = &page.topic;
    let first = p.post.id == t.first_post;
    let mine = v.actor.is_some_and(|a| a.member == p.post.author);
    let asker = v.actor.is_some_and(|a| a.member == t.author);
    let can_accept = t.kind == TopicKind::Question && t.solution.is_none() && !first && (asker || v.is_staff());
    let class = format!(
        "post{}{}",
        if p.is_solution { " solution" } else { "" },
        if p.post.hidden { " hidden-post" } else { "" }
    );
    html! {
        article class=(class) id=(format!("post-{}", p.post.id)) data-post=(p.post.id) data-author=(p.post.author) {
            div.meta {
                a.author href=(format!("/community/members/{}", p.post.author)) { strong { (p.author_name) } }
                @if p.post.by_staff { " " span.badge.staff title="A member of staff" { "Staff" } }
                @if !rank.is_empty() { " " span.badge.rank { (rank) } }
                " · " time datetime=(p.post.created_at.to_rfc3339()) { (short_time(p.post.created_at)) }
                @if p.is_solution { " " span.badge.solution { "Accepted solution" } }
                @if p.post.hidden { " " span.badge { "hidden" } }
                @if p.post.revisions > 0 {
                    " · " a href=(format!("/community/t/{}/posts/{}/history", t.id, p.post.id)) { "edited (history)" }
                }
            }
            // Sanitised when the post was written (community::markdown).
            div.body { (PreEscaped(&p.post.body_html)) }
            div.actions {
                span.kudos data-kudos=(p.kudos) { (p.kudos) " kudos" }
                @if v.actor.is_some() && !p.post.hidden {
                    @if !mine {
                        form method="post" action=(format!("/community/posts/{}/kudos", p.post.id)) {
                            (csrf(v)) input type="hidden" name="topic" value=(t.id);
                            button.quiet.kudos-button type="submit" { "Kudos" }
                        }
                    }
                    @if can_accept {
                        form method="post" action=(format!("/community/t/{}/accept", t.id)) {
                            (csrf(v)) input type="hidden" name="post" value=(p.post.id);
                            button.accept type="submit" { "Accept as solution" }
                        }
                    }
                    @if mine && !t.locked {
                        a href=(format!("/community/t/{}/posts/{}/edit", t.id, p.post.id)) { "Edit" }
                    }
                    @if !mine {
                        form method="post" action=(format!("/community/posts/{}/report", p.post.id)) {
                            (csrf(v)) input type="hidden" name="topic" value=(t.id);
                            label.sr for=(format!("report-{}", p.post.id)) { "Why report it" }
                            input id=(format!("report-{}", p.post.id)) name="reason" placeholder="Why report it";
                            button.quiet type="submit" { "Report" }
                        }
                    }
                    @if v.is_staff() {
                        form.hide method="post" action=(format!("/community/mod/posts/{}/hide", p.post.id)) {
                            (csrf(v)) input type="hidden" name="topic" value=(t.id);
                            label.sr for=(format!("hide-{}", p.post.id)) { "Reason to hide" }
                            input id=(format!("hide-{}", p.post.id)) name="reason" placeholder="Reason to hide" required;
                            button.danger type="submit" { "Hide" }
                        }
                    }
                }
            }
        }
    }
}

/// `GET /community/t/{id}`.
pub async fn show(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let r = async { render(&state, &v, TopicId(id_of(&id, "topic")?), &q, None, "").await };
    page_or_error(&v, r.await)
}

/// A topic's page; after a refused reply, with the refusal beside the form
/// and what was typed kept.
async fn render(
    state: &AppState,
    v: &Viewer,
    id: TopicId,
    q: &HashMap<String, String>,
    refused: Option<&Problem>,
    draft: &str,
) -> Result<Response, Problem> {
    let page = load(state, v, id).await?;
    if refused.is_none() && page.topic.solution.is_some() {
        super::value::count_view(state, id);
    }
    let ranks = rank_names(state, page.posts.iter().map(|p| p.post.author)).await?;
    let t = &page.topic;
    let body = html! {
        (notice(q))
        p.meta { a href=(format!("/community/b/{}", page.board.slug)) { (page.board.name) } }
        h2 #topic-title data-topic=(t.id) {
            (t.title) " " span.badge { (t.kind.as_str()) }
            @if t.solution.is_some() { " " span.badge.solution { "solved" } }
            @if t.locked { " " span.badge { "locked" } }
        }
        div #posts { @for p in &page.posts { (post_view(v, &page, p, ranks.get(&p.post.author).map(String::as_str).unwrap_or(""))) } }
        @if v.actor.is_some() && !t.locked {
            h3 { "Reply" }
            form.stack #reply method="post" action=(format!("/community/t/{}/replies", t.id)) {
                (csrf(v))
                @if let Some(p) = refused { (refusal_alert(p)) }
                label.sr for="reply-body" { "Your reply (Markdown)" }
                textarea #reply-body name="body" required { (draft) }
                button type="submit" { "Post the reply" }
            }
        } @else if t.locked {
            p.meta { "This topic is locked." }
        } @else {
            p { a href=(format!("/community/login?next=/community/t/{}", t.id)) { "Sign in" } " to reply." }
        }
        @if v.is_staff() {
            h3 { "For staff" }
            form.row method="post" action=(format!("/community/t/{}/case", t.id)) {
                (csrf(v))
                button.quiet type="submit" { "Open a case from this topic" }
            }
            h3 { "Moderation" }
            form.row method="post" action=(format!("/community/mod/t/{}/lock", t.id)) {
                (csrf(v))
                input type="hidden" name="locked" value=(if t.locked { "false" } else { "true" });
                input name="reason" placeholder="Reason" required;
                button.quiet type="submit" { @if t.locked { "Unlock" } @else { "Lock" } }
            }
            form.row method="post" action=(format!("/community/mod/t/{}/move", t.id)) {
                (csrf(v))
                input name="board" placeholder="Board address (slug)" required;
                input name="reason" placeholder="Reason" required;
                button.quiet type="submit" { "Move" }
            }
        }
    };
    let status = refused.map(|p| p.code.status_and_title().0).unwrap_or(axum::http::StatusCode::OK);
    Ok((status, community_page(v, &t.title, body)).into_response())
}

/// A refusal beside the form it answers.
pub fn refusal_alert(p: &Problem) -> Markup {
    let message = match p.errors.first() {
        Some(f) => crate::pages::forms::sentence(&f.message),
        None => p.detail.clone(),
    };
    html! { p.error role="alert" data-code=(p.refusal.unwrap_or(p.code.as_str())) { (message) " Nothing was changed." } }
}

/// `POST /community/t/{id}/replies`: a refusal re-renders the topic with
/// the reply kept.
pub async fn reply(State(state): State<AppState>, v: Viewer, Path(id): Path<String>, f: Fields) -> Response {
    let r = async {
        let actor = v.require()?;
        let topic = TopicId(id_of(&id, "topic")?);
        match state.engine().community_reply(actor, topic, f.text("body")).await {
            Ok(post) => {
                Ok(Redirect::to(&format!("/community/t/{topic}?done=replied#post-{}", post.id)).into_response())
            }
            Err(e) => {
                let p = community_problem(e);
                render(&state, &v, topic, &HashMap::new(), Some(&p), &f.text("body")).await
            }
        }
    };
    page_or_error(&v, r.await)
}

/// `POST /community/t/{id}/accept` with `post`.
pub async fn accept(State(state): State<AppState>, v: Viewer, Path(id): Path<String>, f: Fields) -> Response {
    let r = async {
        let actor = v.require()?;
        let topic = TopicId(id_of(&id, "topic")?);
        let post = PostId(id_of(f.get("post").unwrap_or(""), "post")?);
        state.engine().store().accept_solution(actor, topic, post, points(&state)).await.map_err(community_problem)?;
        Ok(Redirect::to(&format!("/community/t/{topic}?done=accepted#post-{post}")).into_response())
    };
    page_or_error(&v, r.await)
}

/// Where to go back to after acting on a post: its topic, from the form.
fn back(f: &Fields, done: &str, post: PostId) -> Response {
    match f.get("topic").and_then(|t| t.parse::<i64>().ok()) {
        Some(t) => Redirect::to(&format!("/community/t/{t}?done={done}#post-{post}")).into_response(),
        None => Redirect::to(&format!("/community?done={done}")).into_response(),
    }
}

/// `POST /community/posts/{id}/kudos`.
pub async fn kudos(State(state): State<AppState>, v: Viewer, Path(id): Path<String>, f: Fields) -> Response {
    let r = async {
        let actor = v.require()?;
        let post = PostId(id_of(&id, "post")?);
        state.engine().store().give_kudos(actor, post, points(&state)).await.map_err(community_problem)?;
        Ok(back(&f, "kudos", post))
    };
    page_or_error(&v, r.await)
}

/// `POST /community/posts/{id}/report`.
pub async fn report(State(state): State<AppState>, v: Viewer, Path(id): Path<String>, f: Fields) -> Response {
    let r = async {
        let actor = v.require()?;
        let post = PostId(id_of(&id, "post")?);
        state.engine().store().report_post(actor, post, f.text("reason")).await.map_err(community_problem)?;
        Ok(back(&f, "reported", post))
    };
    page_or_error(&v, r.await)
}

/// The post of a topic, as the viewer may see it.
async fn post_of(state: &AppState, v: &Viewer, topic: &str, post: &str) -> Result<(TopicPage, PostView), Problem> {
    let page = load(state, v, TopicId(id_of(topic, "topic")?)).await?;
    let post = PostId(id_of(post, "post")?);
    let view = page
        .posts
        .iter()
        .find(|p| p.post.id == post)
        .cloned()
        .ok_or_else(|| Problem::refused(Code::NotFound, "not_found", "There is no such post."))?;
    Ok((page, view))
}

/// `GET /community/t/{id}/posts/{post}/edit`.
pub async fn edit_form(
    State(state): State<AppState>,
    v: Viewer,
    Path((topic, post)): Path<(String, String)>,
) -> Response {
    let r = async {
        let (page, p) = post_of(&state, &v, &topic, &post).await?;
        let body = html! {
            h2 { "Edit your post in “" (page.topic.title) "”" }
            form.stack #edit method="post" action=(format!("/community/t/{}/posts/{}/edit", page.topic.id, p.post.id)) {
                (csrf(&v))
                label.sr for="edit-body" { "Text (Markdown)" }
                textarea #edit-body name="body" required { (p.post.body_markdown) }
                button type="submit" { "Save" }
            }
        };
        Ok(community_page(&v, "Edit", body).into_response())
    };
    page_or_error(&v, r.await)
}

/// `POST /community/t/{id}/posts/{post}/edit`.
pub async fn edit(
    State(state): State<AppState>,
    v: Viewer,
    Path((topic, post)): Path<(String, String)>,
    f: Fields,
) -> Response {
    let r = async {
        let actor = v.require()?;
        let (page, p) = post_of(&state, &v, &topic, &post).await?;
        state.engine().store().edit_post(actor, p.post.id, f.text("body")).await.map_err(community_problem)?;
        Ok(Redirect::to(&format!("/community/t/{}?done=edited#post-{}", page.topic.id, p.post.id)).into_response())
    };
    page_or_error(&v, r.await)
}

/// `GET /community/t/{id}/posts/{post}/history`: a post's earlier texts.
pub async fn history(
    State(state): State<AppState>,
    v: Viewer,
    Path((topic, post)): Path<(String, String)>,
) -> Response {
    let r = async {
        let (page, p) = post_of(&state, &v, &topic, &post).await?;
        let revisions = state.engine().store().post_revisions(p.post.id).await.map_err(community_problem)?;
        let body = html! {
            h2 { "History of a post in “" a href=(format!("/community/t/{}", page.topic.id)) { (page.topic.title) } "”" }
            h3 { "Now" }
            pre.card { (p.post.body_markdown) }
            @for r in revisions.iter().rev() {
                h3 { "Version " (r.number) ", replaced " (short_time(r.replaced_at)) }
                pre.card { (r.body_markdown) }
            }
        };
        Ok(community_page(&v, "History", body).into_response())
    };
    page_or_error(&v, r.await)
}

/// `GET /community/search?q=`.
pub async fn search(State(state): State<AppState>, v: Viewer, Query(q): Query<HashMap<String, String>>) -> Response {
    let r = async {
        let text = q.get("q").map(|s| s.trim().to_owned()).unwrap_or_default();
        let hits = if text.is_empty() {
            Vec::new()
        } else {
            state.engine().store().search_topics(text.clone(), 50).await.map_err(community_problem)?
        };
        let body = html! {
            form.row method="get" action="/community/search" role="search" {
                label.sr for="q" { "Search the community" }
                input #q type="search" name="q" value=(text) placeholder="Search topics";
                button type="submit" { "Search" }
            }
            @if !text.is_empty() {
                p.meta { (hits.len()) " topic(s) found" }
                ol #hits { @for h in &hits { li {
                    a href=(format!("/community/t/{}", h.topic)) { (h.title) }
                    @if h.solved { " " span.badge.solution { "solved" } }
                } } }
            }
        };
        Ok(community_page(&v, "Search", body).into_response())
    };
    page_or_error(&v, r.await)
}
