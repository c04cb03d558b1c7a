//! The forum's writes: boards, topics and replies, edits with their
//! revisions, solutions and kudos (with the points they earn), and hiding a
//! post (with the points it loses).

use firebreak_community::{
    Actor, Board, BoardId, BoardVisibility, CommunityError, Kudos, Post, PostId, Report, Solution, Topic, TopicId,
    TopicKind, Transaction,
    ledger::{PointsConfig, keys},
    validate,
};
use firebreak_domain::Timestamp;
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::{Checked, Prepared, Result, bad_value, check_actor, ledger, log_moderation, require_staff, ts};
use crate::{StoreError, community::NewBoard};

pub(super) const POST_COLUMNS: &str = "p.id, p.topic_id, p.author_id, p.by_staff, p.body_markdown, p.body_html, \
                                       p.hidden, p.created_at, p.edited_at, p.revisions";

pub(super) fn post_from_row(r: &Row<'_>) -> rusqlite::Result<Post> {
    Ok(Post {
        id: PostId(r.get(0)?),
        topic: TopicId(r.get(1)?),
        author: firebreak_community::MemberId(r.get(2)?),
        by_staff: r.get(3)?,
        body_markdown: r.get(4)?,
        body_html: r.get(5)?,
        hidden: r.get(6)?,
        created_at: ts(r, 7)?,
        edited_at: match r.get::<_, Option<i64>>(8)? {
            Some(_) => Some(ts(r, 8)?),
            None => None,
        },
        revisions: r.get(9)?,
    })
}

pub(super) const TOPIC_COLUMNS: &str = "t.id, t.board_id, t.author_id, t.kind, t.title, t.locked, t.hidden, \
                                        s.post_id, t.first_post_id, t.created_at, b.visibility";

/// A topic and the visibility of its board.
pub(super) fn topic_from_row(r: &Row<'_>) -> rusqlite::Result<(Topic, BoardVisibility)> {
    let kind: String = r.get(3)?;
    let visibility: String = r.get(10)?;
    Ok((
        Topic {
            id: TopicId(r.get(0)?),
            board: BoardId(r.get(1)?),
            author: firebreak_community::MemberId(r.get(2)?),
            kind: TopicKind::parse(&kind).ok_or_else(|| bad_value(3, "topic kind", kind.clone()))?,
            title: r.get(4)?,
            locked: r.get(5)?,
            hidden: r.get(6)?,
            solution: r.get::<_, Option<i64>>(7)?.map(PostId),
            first_post: PostId(r.get(8)?),
            created_at: ts(r, 9)?,
        },
        BoardVisibility::parse(&visibility).ok_or_else(|| bad_value(10, "board visibility", visibility.clone()))?,
    ))
}

pub(super) fn load_topic(c: &Connection, id: TopicId) -> Result<Option<(Topic, BoardVisibility)>> {
    Ok(c.prepare_cached(&format!(
        "SELECT {TOPIC_COLUMNS} FROM community_topics t JOIN community_boards b ON b.id = t.board_id \
         LEFT JOIN community_solutions s ON s.topic_id = t.id WHERE t.id = ?1"
    ))?
    .query_row([id.0], topic_from_row)
    .optional()?)
}

pub(super) fn load_post(c: &Connection, id: PostId) -> Result<Option<Post>> {
    Ok(c.prepare_cached(&format!("SELECT {POST_COLUMNS} FROM community_posts p WHERE p.id = ?1"))?
        .query_row([id.0], post_from_row)
        .optional()?)
}

/// Whether someone (staff or not) may see a topic: private boards and
/// hidden topics are for staff.
pub(super) fn may_see(as_staff: bool, topic: &Topic, visibility: BoardVisibility) -> bool {
    as_staff || (visibility == BoardVisibility::Public && !topic.hidden)
}

/// The topic, if the actor may see it; otherwise "no such topic" (a member
/// does not learn that a private topic exists).
fn visible_topic(c: &Connection, who: &Checked, id: TopicId) -> Result<Topic> {
    match load_topic(c, id)? {
        Some((t, v)) if may_see(who.as_staff, &t, v) => Ok(t),
        _ => Err(CommunityError::NotFound { what: "topic" }.into()),
    }
}

/// The post and its topic, if the actor may see both (a hidden post is for
/// staff).
fn visible_post(c: &Connection, who: &Checked, id: PostId) -> Result<(Post, Topic)> {
    let post = load_post(c, id)?.ok_or(CommunityError::NotFound { what: "post" })?;
    if post.hidden && !who.as_staff {
        return Err(CommunityError::NotFound { what: "post" }.into());
    }
    let topic = visible_topic(c, who, post.topic).map_err(|_| CommunityError::NotFound { what: "post" })?;
    Ok((post, topic))
}

fn index_post(c: &Connection, post: PostId, title: &str, body: &str) -> Result<()> {
    c.prepare_cached("INSERT INTO community_fts (rowid, title, body) VALUES (?1, ?2, ?3)")?
        .execute(params![post.0, title, body])?;
    Ok(())
}

fn unindex_post(c: &Connection, post: PostId) -> Result<()> {
    c.prepare_cached("DELETE FROM community_fts WHERE rowid = ?1")?.execute([post.0])?;
    Ok(())
}

pub fn create_board(c: &Connection, actor: Actor, b: &NewBoard, now: Timestamp) -> Result<Board> {
    require_staff(c, actor)?;
    let slug = validate::slug("slug", &b.slug)?;
    let name = validate::board_name(&b.name)?;
    let description = validate::description(&b.description)?;
    let taken: bool = c
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM community_boards WHERE slug = ?1)")?
        .query_row([&slug], |r| r.get(0))?;
    if taken {
        return Err(CommunityError::conflict("slug_taken", "a board already has that address").into());
    }
    c.prepare_cached(
        "INSERT INTO community_boards (slug, name, description, visibility, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![slug, name, description, b.visibility.as_str(), now.unix_millis()])?;
    Ok(Board { id: BoardId(c.last_insert_rowid()), slug, name, description, visibility: b.visibility })
}

fn insert_post(c: &Connection, topic: TopicId, who: &Checked, body: &Prepared, now: Timestamp) -> Result<Post> {
    c.prepare_cached(
        "INSERT INTO community_posts (topic_id, author_id, by_staff, body_markdown, body_html, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![topic.0, who.member.0, who.staff_member, body.markdown, body.html, now.unix_millis()])?;
    let id = PostId(c.last_insert_rowid());
    Ok(Post {
        id,
        topic,
        author: who.member,
        by_staff: who.staff_member,
        body_markdown: body.markdown.clone(),
        body_html: body.html.clone(),
        hidden: false,
        created_at: now,
        edited_at: None,
        revisions: 0,
    })
}

pub fn create_topic(
    c: &Connection,
    actor: Actor,
    t: &crate::community::NewTopic,
    title: &str,
    body: &Prepared,
    now: Timestamp,
) -> Result<(Topic, Post)> {
    let who = check_actor(c, actor)?;
    let visibility: Option<String> = c
        .prepare_cached("SELECT visibility FROM community_boards WHERE id = ?1")?
        .query_row([t.board.0], |r| r.get(0))
        .optional()?;
    match visibility.as_deref() {
        Some("public") => {}
        Some(_) if who.as_staff => {}
        _ => return Err(CommunityError::NotFound { what: "board" }.into()),
    }
    c.prepare_cached(
        "INSERT INTO community_topics (board_id, author_id, kind, title, created_at, last_post_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
    )?
    .execute(params![t.board.0, who.member.0, t.kind.as_str(), title, now.unix_millis()])?;
    let topic_id = TopicId(c.last_insert_rowid());
    let post = insert_post(c, topic_id, &who, body, now)?;
    c.prepare_cached("UPDATE community_topics SET first_post_id = ?2 WHERE id = ?1")?
        .execute(params![topic_id.0, post.id.0])?;
    index_post(c, post.id, title, &body.markdown)?;
    let topic = Topic {
        id: topic_id,
        board: t.board,
        author: who.member,
        kind: t.kind,
        title: title.to_owned(),
        locked: false,
        hidden: false,
        solution: None,
        first_post: post.id,
        created_at: now,
    };
    Ok((topic, post))
}

pub fn reply(c: &Connection, actor: Actor, topic: TopicId, body: &Prepared, now: Timestamp) -> Result<Post> {
    let who = check_actor(c, actor)?;
    let t = visible_topic(c, &who, topic)?;
    if t.locked {
        return Err(CommunityError::conflict("topic_locked", "the topic is locked").into());
    }
    let post = insert_post(c, topic, &who, body, now)?;
    c.prepare_cached("UPDATE community_topics SET replies = replies + 1, last_post_at = ?2 WHERE id = ?1")?
        .execute(params![topic.0, now.unix_millis()])?;
    index_post(c, post.id, "", &body.markdown)?;
    Ok(post)
}

pub fn edit_post(c: &Connection, actor: Actor, id: PostId, body: &Prepared, now: Timestamp) -> Result<Post> {
    let who = check_actor(c, actor)?;
    let (post, topic) = visible_post(c, &who, id)?;
    if post.author != who.member {
        return Err(CommunityError::forbidden("not_author", "only a post's author may edit it").into());
    }
    if post.hidden {
        return Err(CommunityError::conflict("post_hidden", "a hidden post cannot be edited").into());
    }
    if topic.locked {
        return Err(CommunityError::conflict("topic_locked", "the topic is locked").into());
    }
    let number = post.revisions + 1;
    c.prepare_cached(
        "INSERT INTO community_post_revisions (post_id, number, body_markdown, edited_by, replaced_at) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![id.0, number, post.body_markdown, who.member.0, now.unix_millis()])?;
    c.prepare_cached(
        "UPDATE community_posts SET body_markdown = ?2, body_html = ?3, edited_at = ?4, revisions = ?5 WHERE id = ?1",
    )?
    .execute(params![id.0, body.markdown, body.html, now.unix_millis(), number])?;
    unindex_post(c, id)?;
    let title = if topic.first_post == id { topic.title.as_str() } else { "" };
    index_post(c, id, title, &body.markdown)?;
    Ok(Post {
        body_markdown: body.markdown.clone(),
        body_html: body.html.clone(),
        edited_at: Some(now),
        revisions: number,
        ..post
    })
}

pub fn accept_solution(
    c: &Connection,
    actor: Actor,
    topic_id: TopicId,
    post_id: PostId,
    points: &PointsConfig,
    now: Timestamp,
) -> Result<Solution> {
    let who = check_actor(c, actor)?;
    let topic = visible_topic(c, &who, topic_id)?;
    if topic.author != who.member && !who.as_staff {
        return Err(CommunityError::forbidden("not_asker", "only the asker or staff may accept a solution").into());
    }
    if topic.kind != TopicKind::Question {
        return Err(CommunityError::conflict("not_a_question", "only a question has a solution").into());
    }
    if topic.solution.is_some() {
        return Err(CommunityError::conflict("already_solved", "the question already has a solution").into());
    }
    let (post, _) = visible_post(c, &who, post_id)?;
    if post.topic != topic_id || post.id == topic.first_post {
        return Err(CommunityError::conflict("not_a_reply", "the solution must be a reply to this question").into());
    }
    if post.hidden {
        return Err(CommunityError::conflict("post_hidden", "a hidden post cannot be the solution").into());
    }
    c.prepare_cached(
        "INSERT INTO community_solutions (topic_id, post_id, answerer_id, accepted_by, accepted_at) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![topic_id.0, post_id.0, post.author.0, who.member.0, now.unix_millis()])?;
    // Answering one's own question earns nothing.
    if post.author != topic.author {
        ledger::award(c, keys::award_solution(post_id), post.author, points.solution, who.member, now)?;
    }
    Ok(Solution { topic: topic_id, post: post_id, accepted_by: who.member, accepted_at: now })
}

pub fn give_kudos(
    c: &Connection,
    actor: Actor,
    post_id: PostId,
    points: &PointsConfig,
    now: Timestamp,
) -> Result<Kudos> {
    let who = check_actor(c, actor)?;
    let (post, _) = visible_post(c, &who, post_id)?;
    if post.hidden {
        return Err(CommunityError::conflict("post_hidden", "a hidden post takes no kudos").into());
    }
    if post.author == who.member {
        return Err(CommunityError::forbidden("own_post", "kudos are for other members' posts").into());
    }
    let given: bool = c
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM community_kudos WHERE giver_id = ?1 AND post_id = ?2)")?
        .query_row([who.member.0, post_id.0], |r| r.get(0))?;
    if given {
        return Err(CommunityError::conflict("kudos_already_given", "you have already given this post kudos").into());
    }
    c.prepare_cached(
        "INSERT INTO community_kudos (post_id, giver_id, receiver_id, created_at) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![post_id.0, who.member.0, post.author.0, now.unix_millis()])?;
    let id = c.last_insert_rowid();
    c.prepare_cached("UPDATE community_posts SET kudos = kudos + 1 WHERE id = ?1")?.execute([post_id.0])?;
    ledger::award(c, keys::award_kudos(id), post.author, points.kudos, who.member, now)?;
    Ok(Kudos { id, post: post_id, giver: who.member, receiver: post.author, created_at: now })
}

pub fn report(c: &Connection, actor: Actor, post_id: PostId, reason: &str, now: Timestamp) -> Result<Report> {
    let who = check_actor(c, actor)?;
    let (post, _) = visible_post(c, &who, post_id)?;
    if post.author == who.member {
        return Err(CommunityError::forbidden("own_post", "a member cannot report their own post").into());
    }
    let reported: bool = c
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM community_reports WHERE reporter_id = ?1 AND post_id = ?2)")?
        .query_row([who.member.0, post_id.0], |r| r.get(0))?;
    if reported {
        return Err(CommunityError::conflict("already_reported", "you have already reported this post").into());
    }
    c.prepare_cached(
        "INSERT INTO community_reports (post_id, reporter_id, reason, created_at) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![post_id.0, who.member.0, reason, now.unix_millis()])?;
    Ok(Report {
        id: c.last_insert_rowid(),
        post: post_id,
        reporter: who.member,
        reason: reason.to_owned(),
        created_at: now,
        resolved_at: None,
    })
}

pub fn move_topic(
    c: &Connection,
    actor: Actor,
    id: TopicId,
    board: BoardId,
    reason: &str,
    now: Timestamp,
) -> Result<Topic> {
    let who = require_staff(c, actor)?;
    let topic = visible_topic(c, &who, id)?;
    let exists: bool = c
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM community_boards WHERE id = ?1)")?
        .query_row([board.0], |r| r.get(0))?;
    if !exists {
        return Err(CommunityError::NotFound { what: "board" }.into());
    }
    c.prepare_cached("UPDATE community_topics SET board_id = ?2 WHERE id = ?1")?.execute(params![id.0, board.0])?;
    let detail = serde_json::json!({ "from": topic.board.0, "to": board.0 });
    log_moderation(c, who.member, "move_topic", &format!("topic:{}", id.0), reason, &detail, now)?;
    Ok(Topic { board, ..topic })
}

pub fn set_locked(
    c: &Connection,
    actor: Actor,
    id: TopicId,
    locked: bool,
    reason: &str,
    now: Timestamp,
) -> Result<Topic> {
    let who = require_staff(c, actor)?;
    let topic = visible_topic(c, &who, id)?;
    c.prepare_cached("UPDATE community_topics SET locked = ?2 WHERE id = ?1")?.execute(params![id.0, locked])?;
    let action = if locked { "lock_topic" } else { "unlock_topic" };
    log_moderation(c, who.member, action, &format!("topic:{}", id.0), reason, &serde_json::json!({}), now)?;
    Ok(Topic { locked, ..topic })
}

pub fn hide_post(
    c: &Connection,
    actor: Actor,
    post_id: PostId,
    reason: &str,
    now: Timestamp,
) -> Result<Vec<Transaction>> {
    let who = require_staff(c, actor)?;
    let post = load_post(c, post_id)?.ok_or(CommunityError::NotFound { what: "post" })?;
    if post.hidden {
        return Err(CommunityError::conflict("already_hidden", "the post is already hidden").into());
    }
    let (topic, _) =
        load_topic(c, post.topic)?.ok_or_else(|| StoreError::Database("a post without its topic".into()))?;
    c.prepare_cached("UPDATE community_posts SET hidden = 1 WHERE id = ?1")?.execute([post_id.0])?;
    if topic.first_post == post_id {
        // The question hidden hides the topic.
        c.prepare_cached("UPDATE community_topics SET hidden = 1 WHERE id = ?1")?.execute([topic.id.0])?;
    } else {
        c.prepare_cached("UPDATE community_topics SET replies = max(replies - 1, 0) WHERE id = ?1")?
            .execute([topic.id.0])?;
    }
    unindex_post(c, post_id)?;
    let was_solution = topic.solution == Some(post_id);
    if was_solution {
        // The asker may accept another reply.
        c.prepare_cached("DELETE FROM community_solutions WHERE topic_id = ?1")?.execute([topic.id.0])?;
    }
    // The points the post earned go back: its solution and its kudos.
    let mut earned = vec![keys::award_solution(post_id)];
    let mut stmt = c.prepare_cached("SELECT id FROM community_kudos WHERE post_id = ?1 ORDER BY id")?;
    let kudos: Vec<i64> = stmt.query_map([post_id.0], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
    earned.extend(kudos.into_iter().map(keys::award_kudos));
    let mut reversals = Vec::new();
    for key in &earned {
        if let Some(t) = ledger::reverse(c, key, who.member, now)? {
            reversals.push(t);
        }
    }
    let resolved = c
        .prepare_cached(
            "UPDATE community_reports SET resolved_at = ?2, resolved_by = ?3 \
             WHERE post_id = ?1 AND resolved_at IS NULL",
        )?
        .execute(params![post_id.0, now.unix_millis(), who.member.0])?;
    let detail = serde_json::json!({
        "topic": topic.id.0,
        "reports_resolved": resolved,
        "was_solution": was_solution,
        "reversed": reversals.iter().map(|t| &t.key).collect::<Vec<_>>(),
        "shortfall": reversals.iter().map(|t| t.shortfall).sum::<i64>(),
    });
    log_moderation(c, who.member, "hide_post", &format!("post:{}", post_id.0), reason, &detail, now)?;
    Ok(reversals)
}
