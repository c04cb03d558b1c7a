//! The community's reads: a topic's page (two indexed queries: the topic,
//! then its posts in order), post revisions, topic search over FTS5, open
//! reports, and row counts.

use firebreak_community::{Actor, BoardId, MemberId, PostId, PostRevision, Report, TopicId};
use rusqlite::{Connection, OptionalExtension};

use super::{
    Result,
    forum::{POST_COLUMNS, load_topic, may_see, post_from_row},
    ts,
};
use crate::community::{CommunityCounts, PostView, TopicHit, TopicPage};

/// Whether the viewer acts as staff and the member row agrees.
pub(super) fn viewer_is_staff(c: &Connection, viewer: Option<Actor>) -> Result<bool> {
    let Some(v) = viewer.filter(Actor::is_staff) else { return Ok(false) };
    let row: Option<(bool, bool)> = c
        .prepare_cached("SELECT staff, banned FROM community_members WHERE id = ?1")?
        .query_row([v.member.0], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    Ok(matches!(row, Some((true, false))))
}

pub fn topic_page(c: &Connection, viewer: Option<Actor>, id: TopicId) -> Result<Option<TopicPage>> {
    let staff = viewer_is_staff(c, viewer)?;
    let Some((topic, visibility)) = load_topic(c, id)? else { return Ok(None) };
    if !may_see(staff, &topic, visibility) {
        return Ok(None);
    }
    let board = c
        .prepare_cached("SELECT id, slug, name, description, visibility FROM community_boards WHERE id = ?1")?
        .query_row([topic.board.0], super::listing::board_from_row)?;
    let mut stmt = c.prepare_cached(&format!(
        "SELECT {POST_COLUMNS}, m.display_name, p.kudos FROM community_posts p \
         JOIN community_members m ON m.id = p.author_id \
         WHERE p.topic_id = ?1 ORDER BY p.created_at, p.id"
    ))?;
    let rows = stmt.query_map([id.0], |r| {
        let post = post_from_row(r)?;
        Ok(PostView { is_solution: topic.solution == Some(post.id), post, author_name: r.get(10)?, kudos: r.get(11)? })
    })?;
    let mut first = Vec::with_capacity(2);
    let mut rest = Vec::new();
    for row in rows {
        let view = row?;
        if view.post.hidden && !staff {
            continue;
        }
        if view.post.id == topic.first_post || view.is_solution {
            first.push(view);
        } else {
            rest.push(view);
        }
    }
    // The question first, then the solution: it is older than the question
    // only if the clock went backwards, so order them by role.
    first.sort_by_key(|v| v.is_solution);
    first.extend(rest);
    Ok(Some(TopicPage { topic, board, posts: first }))
}

pub fn revisions(c: &Connection, post: PostId) -> Result<Vec<PostRevision>> {
    let mut stmt = c.prepare_cached(
        "SELECT number, body_markdown, edited_by, replaced_at FROM community_post_revisions \
         WHERE post_id = ?1 ORDER BY number",
    )?;
    let rows = stmt
        .query_map([post.0], |r| {
            Ok(PostRevision {
                post,
                number: r.get(0)?,
                body_markdown: r.get(1)?,
                edited_by: firebreak_community::MemberId(r.get(2)?),
                replaced_at: ts(r, 3)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// The most hits a search answers.
const MAX_HITS: u32 = 100;

/// Topics in public boards, not hidden, whose title or visible posts match
/// the FTS5 query, best match first (a topic once, at its best post).
pub fn search(c: &Connection, fts: &str, limit: u32) -> Result<Vec<TopicHit>> {
    let mut stmt = c.prepare_cached(
        "SELECT t.id, t.board_id, t.title, s.post_id IS NOT NULL, min(f.rank) AS best \
         FROM community_fts f \
         JOIN community_posts p ON p.id = f.rowid \
         JOIN community_topics t ON t.id = p.topic_id \
         JOIN community_boards b ON b.id = t.board_id \
         LEFT JOIN community_solutions s ON s.topic_id = t.id \
         WHERE community_fts MATCH ?1 AND t.hidden = 0 AND b.visibility = 'public' \
         GROUP BY t.id ORDER BY best, t.id LIMIT ?2",
    )?;
    let hits = stmt
        .query_map(rusqlite::params![fts, limit.clamp(1, MAX_HITS)], |r| {
            Ok(TopicHit { topic: TopicId(r.get(0)?), board: BoardId(r.get(1)?), title: r.get(2)?, solved: r.get(3)? })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(hits)
}

/// Open reports, oldest first.
pub fn open_reports(c: &Connection, limit: u32) -> Result<Vec<Report>> {
    let mut stmt = c.prepare_cached(
        "SELECT id, post_id, reporter_id, reason, created_at FROM community_reports \
         WHERE resolved_at IS NULL ORDER BY id LIMIT ?1",
    )?;
    let rows = stmt
        .query_map([limit.clamp(1, MAX_HITS)], |r| {
            Ok(Report {
                id: r.get(0)?,
                post: PostId(r.get(1)?),
                reporter: MemberId(r.get(2)?),
                reason: r.get(3)?,
                created_at: ts(r, 4)?,
                resolved_at: None,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

pub fn counts(c: &Connection) -> Result<CommunityCounts> {
    let n = |table: &str| -> Result<u64> {
        Ok(c.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get::<_, i64>(0))? as u64)
    };
    Ok(CommunityCounts {
        members: n("community_members")?,
        boards: n("community_boards")?,
        topics: n("community_topics")?,
        posts: n("community_posts")?,
        revisions: n("community_post_revisions")?,
        kudos: n("community_kudos")?,
        solutions: n("community_solutions")?,
        ideas: n("community_ideas")?,
        votes: n("community_idea_votes")?,
        transactions: n("community_ledger_transactions")?,
        postings: n("community_ledger_postings")?,
        reports: n("community_reports")?,
        moderation: n("community_moderation_log")?,
    })
}
