//! The community's pages under `/community`: who is looking (a member, a
//! member of staff acting as their staff member, or nobody), the frame of
//! every community page, refusals as sentences, and the home and board
//! pages with their Atom feeds. Topics, ideas, points, moderation and
//! members' accounts have modules of their own.
//!
//! Posts' bodies are the one place a page writes HTML it did not escape:
//! `body_html`, which the community crate rendered from Markdown and
//! sanitised with an allow-list when the post was written.

pub mod account;
pub mod crm;
pub mod ideas;
pub mod moderation;
pub mod points;
pub mod rounds;
pub mod topic;
pub mod value;

use std::collections::HashMap;

use axum::{
    extract::{FromRequestParts, Path, Query, State},
    http::{HeaderMap, HeaderValue, StatusCode, header, request::Parts},
    response::{IntoResponse, Response},
};
use firebreak_community::{
    Actor, Board, BoardVisibility, CommunityError, Member, MemberId, PointsConfig, RankRules, Totals,
};
use firebreak_engine::members::MemberError;
use firebreak_store::CommunityStoreError;
use maud::{DOCTYPE, Markup, html};

use super::layout::short_time;
use crate::{
    AppState, Code, FieldProblem, Problem,
    api::{incidents::base_url, messages::store_problem},
    auth::{CSRF_FIELD, MemberPrincipal, Principal},
    webhooks::engine_problem,
};

/// How many points each event earns, and the ranks (the defaults of the
/// community crate; configuration is left to do).
/// How many points each event earns (`[community.points]`).
pub fn points(state: &AppState) -> PointsConfig {
    state.config().community.points
}

/// The ranks and badges (`[[community.ranks]]`, `[[community.badges]]`).
pub fn rank_rules(state: &AppState) -> &RankRules {
    &state.config().community.ranks
}

/// Who is looking at a community page or calling the community's API.
#[derive(Debug, Clone, Default)]
pub struct Viewer {
    /// Who acts: a member, or staff as their staff member.
    pub actor: Option<Actor>,
    pub member: Option<Member>,
    /// The signed-in member of staff, if it is one.
    pub staff: Option<Principal>,
    /// The session's CSRF token for the page's forms.
    pub csrf: String,
}

impl Viewer {
    pub fn is_staff(&self) -> bool {
        self.actor.is_some_and(|a| a.is_staff())
    }

    /// The actor, or the refusal for someone who cannot act here.
    pub fn require(&self) -> Result<Actor, Problem> {
        self.actor.ok_or_else(|| match &self.staff {
            Some(_) => Problem::new(
                Code::Forbidden,
                "A token from the configuration cannot act in the community; use an account's token.",
            ),
            None => Problem::new(Code::Unauthorized, "Sign in to the community first."),
        })
    }
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if let Some(p) = parts.extensions.get::<Principal>().cloned() {
            if p.account.id == 0 {
                return Ok(Viewer { staff: Some(p), ..Viewer::default() });
            }
            let m = state.engine().staff_member(p.account.id, &p.account.name).await.map_err(member_problem)?;
            return Ok(Viewer {
                actor: Some(Actor::staff(m.id)),
                member: Some(m),
                csrf: p.csrf().to_owned(),
                staff: Some(p),
            });
        }
        if let Some(m) = parts.extensions.get::<MemberPrincipal>().cloned() {
            let usable = m.member.email_verified && !m.member.banned;
            return Ok(Viewer {
                actor: usable.then(|| Actor::member(m.member.id)),
                member: Some(m.member),
                csrf: m.csrf,
                staff: None,
            });
        }
        Ok(Viewer::default())
    }
}

/// A community refusal as problem+json: the community's own stable code
/// (`not_author`, `already_voted`, `insufficient_balance`...) in `code`.
pub fn community_problem(e: CommunityStoreError) -> Problem {
    match e {
        CommunityStoreError::Refused(r) => refusal_problem(r),
        CommunityStoreError::Store(s) => store_problem(s),
    }
}

pub fn refusal_problem(r: CommunityError) -> Problem {
    let sentence = super::forms::sentence(&r.to_string());
    match &r {
        CommunityError::Invalid(i) => {
            Problem::refused(Code::ValidationFailed, i.code, sentence.clone()).with_errors(vec![FieldProblem {
                index: None,
                field: i.field.to_owned(),
                code: i.code.to_owned(),
                message: i.message.clone(),
            }])
        }
        CommunityError::Forbidden { code, .. } => Problem::refused(Code::Forbidden, code, sentence),
        CommunityError::NotFound { .. } => Problem::refused(Code::NotFound, "not_found", sentence),
        CommunityError::Conflict { code, .. } => Problem::refused(Code::Conflict, code, sentence),
        CommunityError::Idea(e) => Problem::refused(Code::Conflict, e.code(), sentence),
        CommunityError::Ledger(e) => Problem::refused(Code::Conflict, e.code(), sentence),
    }
}

pub fn member_problem(e: MemberError) -> Problem {
    match e {
        MemberError::Refused(r) => refusal_problem(r),
        MemberError::Failed(e) => engine_problem(e),
    }
}

/// The frame of every community page: the community's header (boards,
/// ideas, search, the member or staff signed in), then `body`.
pub fn community_page(v: &Viewer, title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Community" }
                link rel="stylesheet" href="/assets/app.css";
                script src="/assets/app.js" defer {}
            }
            body data-page="community" {
                header.top {
                    h1 { a href="/community" { "Community" } }
                    nav aria-label="Community" {
                        a href="/community" { "Boards" }
                        a href="/community/ideas" { "Ideas" }
                        a href="/community/search" { "Search" }
                        a href="/community/rounds" { "Charity" }
                        @if v.actor.is_some() && !v.is_staff() { a href="/community/points" { "My points" } }
                        @if v.is_staff() { a href="/community/mod" { "Moderation" } a href="/community/value" { "Value" } a href="/inbox" { "Inbox" } }
                    }
                    @if let Some(m) = &v.member {
                        a.who href=(format!("/community/members/{}", m.id)) {
                            (m.display_name)
                            @if m.staff { " " span.badge.staff { "Staff" } }
                        }
                        @if v.staff.is_none() {
                            form method="post" action="/community/logout" {
                                input type="hidden" name=(CSRF_FIELD) value=(v.csrf);
                                button.quiet type="submit" { "Sign out" }
                            }
                        }
                    } @else if v.staff.is_none() {
                        a href="/community/login" { "Sign in" }
                        a href="/community/signup" { "Sign up" }
                    }
                }
                main { (body) }
            }
        }
    }
}

/// The hidden CSRF field of the viewer's session.
pub fn csrf(v: &Viewer) -> Markup {
    html! { input type="hidden" name=(CSRF_FIELD) value=(v.csrf); }
}

/// A page that says what went wrong, with the status it deserves.
pub fn error_page(v: &Viewer, p: &Problem) -> Response {
    let (status, _) = p.code.status_and_title();
    let message = match p.errors.first() {
        Some(f) => super::forms::sentence(&f.message),
        None => p.detail.clone(),
    };
    let title = if status == StatusCode::NOT_FOUND { "Not found" } else { "Cannot do that" };
    let body = html! {
        h2 { (title) }
        p.error role="alert" data-code=(p.refusal.unwrap_or(p.code.as_str())) { (message) }
        p { "Nothing was changed. " a href="/community" { "Back to the community" } }
    };
    (status, community_page(v, title, body)).into_response()
}

/// A page handler's answer: the page, or the page that says why not.
pub fn page_or_error(v: &Viewer, r: Result<Response, Problem>) -> Response {
    r.unwrap_or_else(|p| error_page(v, &p))
}

/// Rank names by member, kept until the store commits a community change
/// (a topic page names the rank of each of its authors: up to 201 of them).
#[derive(Debug, Default)]
pub struct RankCache {
    inner: std::sync::Mutex<(u64, HashMap<MemberId, String>)>,
}

/// At most this many rank names are kept.
const RANK_CACHE_MAX: usize = 100_000;

/// The rank name of each member: from the cache, the rest read in one go.
pub async fn rank_names(
    state: &AppState,
    members: impl IntoIterator<Item = MemberId>,
) -> Result<HashMap<MemberId, String>, Problem> {
    let store = state.engine().store();
    let generation = store.community_changes();
    let cache = state.rank_cache();
    let mut out = HashMap::new();
    let mut missing = Vec::new();
    {
        let mut c = cache.inner.lock().unwrap_or_else(|e| e.into_inner());
        if c.0 != generation {
            *c = (generation, HashMap::new());
        }
        for m in members {
            match c.1.get(&m) {
                Some(name) => {
                    out.insert(m, name.clone());
                }
                None if !missing.contains(&m) => missing.push(m),
                None => {}
            }
        }
    }
    if missing.is_empty() {
        return Ok(out);
    }
    let totals = store.members_totals(missing).await.map_err(community_problem)?;
    let mut c = cache.inner.lock().unwrap_or_else(|e| e.into_inner());
    for (m, t) in totals {
        let name = rank_rules(state).rank_for(&t).map(|r| r.name.to_owned()).unwrap_or_default();
        // Only what was read under the cache's generation is kept.
        if c.0 == generation && c.1.len() < RANK_CACHE_MAX {
            c.1.insert(m, name.clone());
        }
        out.insert(m, name);
    }
    Ok(out)
}

/// An author's rank name, by their totals.
pub async fn rank_of(state: &AppState, member: MemberId) -> Result<(String, Totals), Problem> {
    let totals = state.engine().store().member_totals(member).await.map_err(community_problem)?;
    let name = rank_rules(state).rank_for(&totals).map(|r| r.name.to_owned()).unwrap_or_default();
    Ok((name, totals))
}

/// The notice after a redirect (`?done=`); only known codes are shown.
pub fn notice(q: &HashMap<String, String>) -> Markup {
    let text = match q.get("done").map(String::as_str) {
        Some("asked") => Some("Your topic is posted."),
        Some("replied") => Some("Your reply is posted."),
        Some("accepted") => Some("The solution is accepted; its author earned points."),
        Some("kudos") => Some("Kudos given."),
        Some("reported") => Some("Thank you: the moderators will look at it."),
        Some("edited") => Some("The post is changed; its earlier text is in its history."),
        Some("hidden") => Some("The post is hidden and the points it earned are reversed."),
        Some("locked") => Some("The topic is locked."),
        Some("unlocked") => Some("The topic is unlocked."),
        Some("moved") => Some("The topic is moved."),
        Some("banned") => Some("The member is banned."),
        Some("unbanned") => Some("The ban is lifted."),
        Some("redeemed") => Some("Your points are redeemed as account credit."),
        Some("idea") => Some("Your idea is posted."),
        Some("voted") => Some("Your vote is counted."),
        Some("status") => Some("The idea's status is changed."),
        Some("answered") => Some("The answer is posted on the idea."),
        Some("merged") => Some("The ideas are merged; each member's vote counts once."),
        Some("board") => Some("The board is created."),
        Some("commented") => Some("Your comment is posted."),
        Some("linked") => Some("The idea is linked."),
        Some("verified") => Some("Your email is confirmed: sign in."),
        _ => None,
    };
    html! { @if let Some(t) = text { p.flash role="status" { (t) } } }
}

/// `GET /community`: the boards the viewer may see.
pub async fn home(State(state): State<AppState>, v: Viewer, Query(q): Query<HashMap<String, String>>) -> Response {
    let r = async {
        let boards = state.engine().store().boards(v.actor).await.map_err(community_problem)?;
        let body = html! {
            (notice(&q))
            h2 { "Boards" }
            @if boards.is_empty() { p.meta { "No boards yet." } }
            table #boards {
                thead { tr { th { "Board" } th { "Topics" } } }
                tbody { @for b in &boards { tr {
                    td {
                        a href=(format!("/community/b/{}", b.board.slug)) { (b.board.name) }
                        @if b.board.visibility == BoardVisibility::Private { " " span.badge { "private" } }
                        br; span.meta { (b.board.description) }
                    }
                    td { (b.topics) }
                } } }
            }
            @if v.is_staff() && v.staff.as_ref().is_some_and(|p| p.allows(crate::Access::Supervise)) {
                h3 { "New board" }
                form.stack #new-board method="post" action="/community/boards" {
                    (csrf(&v))
                    div { label for="board-slug" { "Address (a-z, 0-9, -)" } br; input #board-slug name="slug" required; }
                    div { label for="board-name" { "Name" } br; input #board-name name="name" required; }
                    div { label for="board-description" { "Description" } br; input #board-description name="description"; }
                    div { label for="board-visibility" { "Who may read it" } br;
                        select #board-visibility name="visibility" {
                            option value="public" { "Everyone" }
                            option value="private" { "Staff only" }
                        }
                    }
                    button type="submit" { "Create the board" }
                }
            }
        };
        Ok(community_page(&v, "Boards", body).into_response())
    }
    .await;
    page_or_error(&v, r)
}

async fn visible_board(state: &AppState, v: &Viewer, slug: String) -> Result<Board, Problem> {
    state
        .engine()
        .store()
        .board_by_slug(v.actor, slug)
        .await
        .map_err(community_problem)?
        .ok_or_else(|| Problem::refused(Code::NotFound, "not_found", "There is no such board."))
}

/// `GET /community/b/{slug}`: a board's topics and the form to ask.
pub async fn board(
    State(state): State<AppState>,
    v: Viewer,
    Path(slug): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let r = async {
        let b = visible_board(&state, &v, slug).await?;
        render_board(&state, &v, &b, &q, None, &Draft::default()).await
    };
    page_or_error(&v, r.await)
}

/// What was typed in the ask form, kept when it is refused.
#[derive(Default)]
pub struct Draft {
    pub discussion: bool,
    pub title: String,
    pub body: String,
}

/// A board's page; after a refused question, with the refusal beside the
/// form and what was typed kept.
pub async fn render_board(
    state: &AppState,
    v: &Viewer,
    b: &Board,
    q: &HashMap<String, String>,
    refused: Option<&Problem>,
    draft: &Draft,
) -> Result<Response, Problem> {
    let topics = state.engine().store().board_topics(v.actor, b.id, 100).await.map_err(community_problem)?;
    let body = html! {
        (notice(q))
        h2 { (b.name) }
        p.meta { (b.description) " · " a href=(format!("/community/b/{}/feed.atom", b.slug)) { "Atom feed" } }
        table #topics {
            thead { tr { th { "Topic" } th { "By" } th { "Replies" } th { "Last post" } } }
            tbody { @for t in &topics { tr data-topic=(t.id) {
                td {
                    a href=(format!("/community/t/{}", t.id)) { (t.title) }
                    " " span.badge { (t.kind.as_str()) }
                    @if t.solved { " " span.badge.solution { "solved" } }
                    @if t.locked { " " span.badge { "locked" } }
                    @if t.hidden { " " span.badge { "hidden" } }
                }
                td { (t.author_name) }
                td { (t.replies) }
                td { (short_time(t.last_post_at)) }
            } } }
        }
        @if v.actor.is_some() {
            h3 { "Ask a question or start a discussion" }
            form.stack #ask method="post" action=(format!("/community/b/{}/topics", b.slug)) {
                (csrf(v))
                @if let Some(p) = refused { (topic::refusal_alert(p)) }
                div { label for="ask-kind" { "Kind" } br;
                    select #ask-kind name="kind" {
                        option value="question" { "Question" }
                        option value="discussion" selected[draft.discussion] { "Discussion" }
                    }
                }
                div { label for="ask-title" { "Title" } br; input #ask-title name="title" value=(draft.title) required; }
                div { label for="ask-body" { "Text (Markdown)" } br; textarea #ask-body name="body" required { (draft.body) } }
                button type="submit" { "Post" }
            }
        } @else {
            p { a href=(format!("/community/login?next=/community/b/{}", b.slug)) { "Sign in" } " to ask." }
        }
    };
    let status = refused.map(|p| p.code.status_and_title().0).unwrap_or(StatusCode::OK);
    Ok((status, community_page(v, &b.name, body)).into_response())
}

/// `GET /community/b/{slug}/feed.atom`: the board's newest topics as an
/// Atom 1.0 feed (RFC 4287). Only public boards have one.
pub async fn feed(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(slug): Path<String>,
) -> Result<Response, Problem> {
    use crate::pages::status::xml;
    let store = state.engine().store();
    let b = store
        .board_by_slug(None, slug)
        .await
        .map_err(community_problem)?
        .ok_or_else(|| Problem::refused(Code::NotFound, "not_found", "There is no such board."))?;
    let topics = store.board_topics(None, b.id, 50).await.map_err(community_problem)?;
    let base = base_url(&state, &headers);
    let updated = topics.iter().map(|t| t.last_post_at).max().unwrap_or_else(|| state.engine().clock().now());
    let board_url = format!("{base}/community/b/{}", b.slug);
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    out.push_str("<feed xmlns=\"http://www.w3.org/2005/Atom\">\n");
    out.push_str(&format!("  <id>{}</id>\n", xml(&board_url)));
    out.push_str(&format!("  <title>{}</title>\n", xml(&b.name)));
    out.push_str(&format!("  <updated>{}</updated>\n", updated.to_rfc3339()));
    out.push_str(&format!(
        "  <link rel=\"self\" type=\"application/atom+xml\" href=\"{}\"/>\n",
        xml(&format!("{board_url}/feed.atom"))
    ));
    out.push_str(&format!("  <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n", xml(&board_url)));
    out.push_str("  <author><name>Community</name></author>\n");
    for t in &topics {
        let link = format!("{base}/community/t/{}", t.id);
        out.push_str("  <entry>\n");
        out.push_str(&format!("    <id>{}</id>\n", xml(&link)));
        out.push_str(&format!("    <title>{}</title>\n", xml(&t.title)));
        out.push_str(&format!("    <updated>{}</updated>\n", t.last_post_at.to_rfc3339()));
        out.push_str(&format!("    <published>{}</published>\n", t.created_at.to_rfc3339()));
        out.push_str(&format!("    <author><name>{}</name></author>\n", xml(&t.author_name)));
        out.push_str(&format!("    <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n", xml(&link)));
        out.push_str(&format!(
            "    <summary type=\"text\">{}</summary>\n",
            xml(&format!(
                "A {} with {} replies{}.",
                t.kind.as_str(),
                t.replies,
                if t.solved { ", solved" } else { "" }
            ))
        ));
        out.push_str("  </entry>\n");
    }
    out.push_str("</feed>\n");
    let mut resp = out.into_response();
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/atom+xml; charset=utf-8"));
    Ok(resp)
}
