//! The community over JSON, under `/api/v1/community`: the same operations
//! as the pages (boards, topics, replies, solutions, kudos, edits, reports,
//! moderation, ideas, points and redemptions), with a member session (and
//! its `x-csrf-token` header) or a staff session or token. A refusal is
//! problem+json whose `code` is the community's own stable code
//! (`CommunityError::code`), and changes nothing.

use std::collections::HashMap;

use axum::{
    Json,
    extract::{Path, Query, State, rejection::JsonRejection},
};
use firebreak_community::{
    BoardId, BoardVisibility, IdeaId, IdeaStatus, MemberId, PostId, TopicId, TopicKind, ledger::Redemption,
};
use firebreak_store::{CommunityStoreError, NewBoard, NewIdea, NewTopic};
use serde::Deserialize;
use serde_json::{Value, json};

use super::cases::body;
use crate::{
    AppState, Code, Problem,
    pages::community::{Viewer, community_problem, ideas, points, rank_names, rank_of, rank_rules, rounds},
};

type Answer = Result<Json<Value>, Problem>;

fn id(s: &str, what: &str) -> Result<i64, Problem> {
    s.parse::<i64>().map_err(|_| Problem::refused(Code::NotFound, "not_found", format!("There is no such {what}.")))
}

fn to_json<T: serde::Serialize>(v: T) -> Answer {
    serde_json::to_value(v).map(Json).map_err(Problem::internal)
}

/// The JSON answer of a community store call, or its problem.
fn answer<T: serde::Serialize>(r: Result<T, CommunityStoreError>) -> Answer {
    to_json(r.map_err(community_problem)?)
}

/// `GET /api/v1/community/boards`.
pub async fn boards(State(state): State<AppState>, v: Viewer) -> Answer {
    let items = state.engine().store().boards(v.actor).await.map_err(community_problem)?;
    Ok(Json(json!({ "items": items })))
}

#[derive(Deserialize)]
pub struct BoardBody {
    slug: String,
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default = "public")]
    visibility: BoardVisibility,
}

fn public() -> BoardVisibility {
    BoardVisibility::Public
}

/// `POST /api/v1/community/boards` (supervisors and admins).
pub async fn create_board(
    State(state): State<AppState>,
    v: Viewer,
    b: Result<Json<BoardBody>, JsonRejection>,
) -> Answer {
    let b = body(b)?;
    let new = NewBoard { slug: b.slug, name: b.name, description: b.description, visibility: b.visibility };
    answer(state.engine().store().create_board(v.require()?, new).await)
}

/// `GET /api/v1/community/boards/{slug}/topics`.
pub async fn board_topics(State(state): State<AppState>, v: Viewer, Path(slug): Path<String>) -> Answer {
    let store = state.engine().store();
    let b = store
        .board_by_slug(v.actor, slug)
        .await
        .map_err(community_problem)?
        .ok_or_else(|| Problem::refused(Code::NotFound, "not_found", "There is no such board."))?;
    let items = store.board_topics(v.actor, b.id, 100).await.map_err(community_problem)?;
    Ok(Json(json!({ "board": b, "items": items })))
}

#[derive(Deserialize)]
pub struct TopicBody {
    board: i64,
    kind: TopicKind,
    title: String,
    body: String,
}

/// `POST /api/v1/community/topics`.
pub async fn create_topic(
    State(state): State<AppState>,
    v: Viewer,
    b: Result<Json<TopicBody>, JsonRejection>,
) -> Answer {
    let b = body(b)?;
    let new = NewTopic { board: BoardId(b.board), kind: b.kind, title: b.title, body: b.body };
    let (topic, post) = state.engine().community_topic(v.require()?, new).await.map_err(community_problem)?;
    Ok(Json(json!({ "topic": topic, "post": post })))
}

/// `GET /api/v1/community/topics/{id}`: the topic's page, with each
/// author's rank.
pub async fn topic(State(state): State<AppState>, v: Viewer, Path(t): Path<String>) -> Answer {
    let page = state
        .engine()
        .store()
        .topic_page(v.actor, TopicId(id(&t, "topic")?))
        .await
        .map_err(community_problem)?
        .ok_or_else(|| Problem::refused(Code::NotFound, "not_found", "There is no such topic."))?;
    let ranks: HashMap<String, String> = rank_names(&state, page.posts.iter().map(|p| p.post.author))
        .await?
        .into_iter()
        .map(|(m, name)| (m.to_string(), name))
        .collect();
    let mut out = serde_json::to_value(&page).map_err(Problem::internal)?;
    out["ranks"] = json!(ranks);
    Ok(Json(out))
}

#[derive(Deserialize)]
pub struct TextBody {
    body: String,
}

/// `POST /api/v1/community/topics/{id}/replies`.
pub async fn reply(
    State(state): State<AppState>,
    v: Viewer,
    Path(t): Path<String>,
    b: Result<Json<TextBody>, JsonRejection>,
) -> Answer {
    let b = body(b)?;
    let topic = TopicId(id(&t, "topic")?);
    answer(state.engine().community_reply(v.require()?, topic, b.body).await)
}

#[derive(Deserialize)]
pub struct SolutionBody {
    post: i64,
}

/// `POST /api/v1/community/topics/{id}/solution`.
pub async fn accept(
    State(state): State<AppState>,
    v: Viewer,
    Path(t): Path<String>,
    b: Result<Json<SolutionBody>, JsonRejection>,
) -> Answer {
    let b = body(b)?;
    let topic = TopicId(id(&t, "topic")?);
    let s = state
        .engine()
        .store()
        .accept_solution(v.require()?, topic, PostId(b.post), points(&state))
        .await
        .map_err(community_problem)?;
    to_json(s)
}

/// `POST /api/v1/community/posts/{id}/kudos`.
pub async fn kudos(State(state): State<AppState>, v: Viewer, Path(p): Path<String>) -> Answer {
    let post = PostId(id(&p, "post")?);
    answer(state.engine().store().give_kudos(v.require()?, post, points(&state)).await)
}

/// `PATCH /api/v1/community/posts/{id}`: edits a post (its author).
pub async fn edit(
    State(state): State<AppState>,
    v: Viewer,
    Path(p): Path<String>,
    b: Result<Json<TextBody>, JsonRejection>,
) -> Answer {
    let b = body(b)?;
    let post = PostId(id(&p, "post")?);
    answer(state.engine().store().edit_post(v.require()?, post, b.body).await)
}

#[derive(Deserialize)]
pub struct ReasonBody {
    #[serde(default)]
    reason: String,
}

/// `POST /api/v1/community/posts/{id}/reports`.
pub async fn report(
    State(state): State<AppState>,
    v: Viewer,
    Path(p): Path<String>,
    b: Result<Json<ReasonBody>, JsonRejection>,
) -> Answer {
    let b = body(b)?;
    let post = PostId(id(&p, "post")?);
    answer(state.engine().store().report_post(v.require()?, post, b.reason).await)
}

/// `POST /api/v1/community/posts/{id}/hide` (staff): answers the reversals.
pub async fn hide(
    State(state): State<AppState>,
    v: Viewer,
    Path(p): Path<String>,
    b: Result<Json<ReasonBody>, JsonRejection>,
) -> Answer {
    let b = body(b)?;
    let post = PostId(id(&p, "post")?);
    let reversals = state.engine().store().hide_post(v.require()?, post, b.reason).await.map_err(community_problem)?;
    Ok(Json(json!({ "reversals": reversals })))
}

#[derive(Deserialize)]
pub struct LockBody {
    locked: bool,
    reason: String,
}

/// `POST /api/v1/community/topics/{id}/lock` (staff).
pub async fn lock(
    State(state): State<AppState>,
    v: Viewer,
    Path(t): Path<String>,
    b: Result<Json<LockBody>, JsonRejection>,
) -> Answer {
    let b = body(b)?;
    let topic = TopicId(id(&t, "topic")?);
    answer(state.engine().store().set_topic_locked(v.require()?, topic, b.locked, b.reason).await)
}

#[derive(Deserialize)]
pub struct MoveBody {
    board: i64,
    reason: String,
}

/// `POST /api/v1/community/topics/{id}/move` (staff).
pub async fn move_topic(
    State(state): State<AppState>,
    v: Viewer,
    Path(t): Path<String>,
    b: Result<Json<MoveBody>, JsonRejection>,
) -> Answer {
    let b = body(b)?;
    let topic = TopicId(id(&t, "topic")?);
    answer(state.engine().store().move_topic(v.require()?, topic, BoardId(b.board), b.reason).await)
}

#[derive(Deserialize)]
pub struct BanBody {
    banned: bool,
    reason: String,
}

/// `POST /api/v1/community/members/{id}/ban` (staff).
pub async fn ban(
    State(state): State<AppState>,
    v: Viewer,
    Path(m): Path<String>,
    b: Result<Json<BanBody>, JsonRejection>,
) -> Answer {
    let b = body(b)?;
    let member = MemberId(id(&m, "member")?);
    answer(state.engine().store().set_member_banned(v.require()?, member, b.banned, b.reason).await)
}

/// `GET /api/v1/community/members/{id}`: the public profile.
pub async fn member(State(state): State<AppState>, Path(m): Path<String>) -> Answer {
    let mid = MemberId(id(&m, "member")?);
    let found = state
        .engine()
        .store()
        .community_member(mid)
        .await
        .map_err(community_problem)?
        .ok_or_else(|| Problem::refused(Code::NotFound, "not_found", "There is no such member."))?;
    let (rank, totals) = rank_of(&state, mid).await?;
    let badges = rank_rules(&state).badges_for(&totals);
    Ok(Json(json!({
        "id": found.id, "display_name": found.display_name, "staff": found.staff, "banned": found.banned,
        "rank": rank, "badges": badges, "totals": totals,
    })))
}

/// `GET /api/v1/community/reports` (staff).
pub async fn reports(State(state): State<AppState>, v: Viewer) -> Answer {
    let items = state.engine().store().open_reports(v.require()?, 100).await.map_err(community_problem)?;
    Ok(Json(json!({ "items": items })))
}

/// `GET /api/v1/community/moderation-log` (staff).
pub async fn moderation_log(State(state): State<AppState>, v: Viewer) -> Answer {
    let items = state.engine().store().moderation_log(v.require()?, 100).await.map_err(community_problem)?;
    Ok(Json(json!({ "items": items })))
}

/// `GET /api/v1/community/ideas`.
pub async fn ideas(State(state): State<AppState>) -> Answer {
    let items = state.engine().store().ideas(200).await.map_err(community_problem)?;
    Ok(Json(json!({ "items": items })))
}

#[derive(Deserialize)]
pub struct IdeaBody {
    title: String,
    body: String,
}

/// `POST /api/v1/community/ideas`.
pub async fn create_idea(State(state): State<AppState>, v: Viewer, b: Result<Json<IdeaBody>, JsonRejection>) -> Answer {
    let b = body(b)?;
    answer(state.engine().store().create_idea(v.require()?, NewIdea { title: b.title, body: b.body }).await)
}

/// `GET /api/v1/community/ideas/{id}`: the idea and staff's answer.
pub async fn idea(State(state): State<AppState>, Path(i): Path<String>) -> Answer {
    let idea = IdeaId(id(&i, "idea")?);
    let store = state.engine().store();
    let found = store
        .idea(idea)
        .await
        .map_err(community_problem)?
        .ok_or_else(|| Problem::refused(Code::NotFound, "not_found", "There is no such idea."))?;
    let answer = store.idea_answer(idea).await.map_err(community_problem)?;
    let mut out = serde_json::to_value(found).map_err(Problem::internal)?;
    out["answer"] = serde_json::to_value(answer).map_err(Problem::internal)?;
    Ok(Json(out))
}

/// `POST /api/v1/community/ideas/{id}/answer` (staff): {body}.
pub async fn answer_idea(
    State(state): State<AppState>,
    v: Viewer,
    Path(i): Path<String>,
    b: Result<Json<TextBody>, JsonRejection>,
) -> Answer {
    let b = body(b)?;
    let idea = IdeaId(id(&i, "idea")?);
    answer(state.engine().store().answer_idea(v.require()?, idea, b.body).await)
}

/// `POST /api/v1/community/ideas/{id}/votes`.
pub async fn vote(State(state): State<AppState>, v: Viewer, Path(i): Path<String>) -> Answer {
    let idea = IdeaId(id(&i, "idea")?);
    answer(state.engine().store().vote(v.require()?, idea).await)
}

#[derive(Deserialize)]
pub struct StatusBody {
    status: IdeaStatus,
}

/// `POST /api/v1/community/ideas/{id}/status` (staff).
pub async fn idea_status(
    State(state): State<AppState>,
    v: Viewer,
    Path(i): Path<String>,
    b: Result<Json<StatusBody>, JsonRejection>,
) -> Answer {
    let b = body(b)?;
    let idea = IdeaId(id(&i, "idea")?);
    answer(state.engine().store().set_idea_status(v.require()?, idea, b.status, points(&state)).await)
}

#[derive(Deserialize)]
pub struct MergeBody {
    into: i64,
    reason: String,
}

/// `POST /api/v1/community/ideas/{id}/merge` (staff): merges this idea, a
/// duplicate, into `into`.
pub async fn merge(
    State(state): State<AppState>,
    v: Viewer,
    Path(i): Path<String>,
    b: Result<Json<MergeBody>, JsonRejection>,
) -> Answer {
    let b = body(b)?;
    let idea = IdeaId(id(&i, "idea")?);
    answer(state.engine().store().merge_ideas(v.require()?, idea, IdeaId(b.into), b.reason).await)
}

/// `GET /api/v1/community/points`: the caller's balance, rank and ledger.
pub async fn my_points(State(state): State<AppState>, v: Viewer) -> Answer {
    let actor = v.require()?;
    let store = state.engine().store();
    let balance = store.points_balance(actor.member).await.map_err(community_problem)?;
    let entries = store.member_ledger(actor.member, 100).await.map_err(community_problem)?;
    let (rank, totals) = rank_of(&state, actor.member).await?;
    Ok(Json(json!({ "member": actor.member, "balance": balance, "rank": rank, "totals": totals, "entries": entries })))
}

#[derive(Deserialize)]
pub struct RedeemBody {
    request_id: String,
    amount: i64,
}

/// `POST /api/v1/community/redemptions`: redeems points as account credit;
/// the same `request_id` again answers the same transaction.
pub async fn redeem(State(state): State<AppState>, v: Viewer, b: Result<Json<RedeemBody>, JsonRejection>) -> Answer {
    let b = body(b)?;
    let tx = state
        .engine()
        .store()
        .redeem_points(v.require()?, b.request_id, b.amount, Redemption::Credit)
        .await
        .map_err(community_problem)?;
    to_json(tx)
}

/// `GET /api/v1/community/ledger` (staff): every account's balance and the
/// sum (zero when the books balance).
pub async fn ledger(State(state): State<AppState>) -> Answer {
    answer(state.engine().store().ledger_totals().await)
}

/// `GET /api/v1/community/counts` (staff): row counts of the community.
pub async fn counts(State(state): State<AppState>) -> Answer {
    answer(state.engine().store().community_counts().await)
}

/// `GET /api/v1/community/search?q=`.
pub async fn search(State(state): State<AppState>, Query(q): Query<HashMap<String, String>>) -> Answer {
    let text = q.get("q").map(|s| s.trim().to_owned()).unwrap_or_default();
    if text.is_empty() {
        return Err(Problem::new(Code::InvalidParameter, "Give `q`, the words to search for."));
    }
    let items = state.engine().store().search_topics(text, 50).await.map_err(community_problem)?;
    Ok(Json(json!({ "items": items })))
}

/// `GET /api/v1/community/value` (staff): the value report, after the
/// solution views waiting in memory are written.
pub async fn value(State(state): State<AppState>) -> Answer {
    to_json(crate::pages::community::value::report(&state).await?)
}

/// `POST /api/v1/community/topics/{id}/case` (staff): the case the topic
/// opened or joined; asking again answers the same case.
pub async fn topic_to_case(State(state): State<AppState>, v: Viewer, Path(t): Path<String>) -> Answer {
    let topic = TopicId(id(&t, "topic")?);
    answer(state.engine().store().topic_to_case(v.require()?, topic).await)
}

/// `GET /api/v1/customers/{id}/community` (staff): what the customer's
/// members did in the community, newest first; `?limit=` (at most 100).
pub async fn customer_community(
    State(state): State<AppState>,
    Path(c): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Answer {
    let customer =
        c.parse::<i64>().map_err(|_| Problem::refused(Code::NotFound, "not_found", "There is no such customer."))?;
    let limit = q.get("limit").and_then(|l| l.parse::<u32>().ok()).unwrap_or(20).clamp(1, 100);
    answer(state.engine().store().customer_community(customer, limit).await)
}

/// `GET /api/v1/community/rounds`: the charity rounds, newest first.
pub async fn rounds(State(state): State<AppState>) -> Answer {
    let items = state.engine().store().charity_rounds(50).await.map_err(community_problem)?;
    Ok(Json(json!({ "items": items })))
}

#[derive(Deserialize)]
pub struct RoundBody {
    title: String,
    charities: Vec<firebreak_community::charity::Charity>,
}

/// `POST /api/v1/community/rounds` (staff): {title, charities: [{slug, name}]}.
pub async fn open_round(State(state): State<AppState>, v: Viewer, b: Result<Json<RoundBody>, JsonRejection>) -> Answer {
    let b = body(b)?;
    let new = firebreak_store::NewCharityRound { title: b.title, charities: b.charities };
    answer(state.engine().store().open_charity_round(v.require()?, new).await)
}

/// `GET /api/v1/community/rounds/{id}`.
pub async fn round(State(state): State<AppState>, Path(r): Path<String>) -> Answer {
    let round = rounds::round_id(&r)?;
    let found = state.engine().store().charity_round(round).await.map_err(community_problem)?;
    to_json(found.ok_or_else(|| Problem::refused(Code::NotFound, "not_found", "There is no such charity round."))?)
}

#[derive(Deserialize)]
pub struct RoundVoteBody {
    charity: String,
}

/// `POST /api/v1/community/rounds/{id}/votes`: {charity} (once per round).
pub async fn vote_in_round(
    State(state): State<AppState>,
    v: Viewer,
    Path(r): Path<String>,
    b: Result<Json<RoundVoteBody>, JsonRejection>,
) -> Answer {
    let b = body(b)?;
    let round = rounds::round_id(&r)?;
    answer(state.engine().store().vote_in_round(v.require()?, round, b.charity).await)
}

#[derive(Deserialize)]
pub struct DonationBody {
    request_id: String,
    amount: i64,
}

/// `POST /api/v1/community/rounds/{id}/donations`: {request_id, amount};
/// the same request id again changes nothing.
pub async fn donate(
    State(state): State<AppState>,
    v: Viewer,
    Path(r): Path<String>,
    b: Result<Json<DonationBody>, JsonRejection>,
) -> Answer {
    let b = body(b)?;
    let round = rounds::round_id(&r)?;
    let store = state.engine().store();
    answer(store.donate_to_round(v.require()?, round, b.request_id, b.amount).await)
}

/// `POST /api/v1/community/rounds/{id}/close` (staff): pays the pot to the
/// charity with the most votes.
pub async fn close_round(State(state): State<AppState>, v: Viewer, Path(r): Path<String>) -> Answer {
    let round = rounds::round_id(&r)?;
    answer(state.engine().store().close_charity_round(v.require()?, round).await)
}

/// `GET /api/v1/community/ideas/{id}/comments`, oldest first.
pub async fn idea_comments(State(state): State<AppState>, Path(i): Path<String>) -> Answer {
    let items = state.engine().store().idea_comments(IdeaId(id(&i, "idea")?)).await.map_err(community_problem)?;
    Ok(Json(json!({ "items": items })))
}

/// `POST /api/v1/community/ideas/{id}/comments`: {body}.
pub async fn comment_idea(
    State(state): State<AppState>,
    v: Viewer,
    Path(i): Path<String>,
    b: Result<Json<TextBody>, JsonRejection>,
) -> Answer {
    let b = body(b)?;
    let idea = IdeaId(id(&i, "idea")?);
    answer(state.engine().store().comment_on_idea(v.require()?, idea, b.body).await)
}

/// `GET /api/v1/community/ideas/{id}/links` (staff): the cases and
/// incidents that asked for the idea.
pub async fn idea_links(State(state): State<AppState>, Path(i): Path<String>) -> Answer {
    let items = state.engine().store().idea_links(IdeaId(id(&i, "idea")?)).await.map_err(community_problem)?;
    Ok(Json(json!({ "items": items })))
}

#[derive(Deserialize)]
pub struct LinkBody {
    kind: String,
    id: i64,
}

/// `POST /api/v1/community/ideas/{id}/links` (staff): {kind: case|incident, id}.
pub async fn link_idea(
    State(state): State<AppState>,
    v: Viewer,
    Path(i): Path<String>,
    b: Result<Json<LinkBody>, JsonRejection>,
) -> Answer {
    let b = body(b)?;
    let idea = IdeaId(id(&i, "idea")?);
    let link = ideas::parse_link(&b.kind, &b.id.to_string())?;
    let store = state.engine().store();
    store.link_idea(v.require()?, idea, link).await.map_err(community_problem)?;
    let items = store.idea_links(idea).await.map_err(community_problem)?;
    Ok(Json(json!({ "items": items })))
}
