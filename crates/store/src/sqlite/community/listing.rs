//! The community's lists (the web layer's reads): boards with their topic
//! counts, a board's topics, ideas, a member's ledger entries and the
//! moderation log. Private boards and hidden topics are listed for staff
//! only.

use firebreak_community::{Actor, Board, BoardId, BoardVisibility, Idea, MemberId, TopicId, TopicKind, TxKind};
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::{Result, bad_value, ideas, read::viewer_is_staff, require_staff, ts};
use crate::community::{BoardSummary, LedgerEntry, ModerationEntry, TopicSummary};

/// The most rows one list answers.
const MAX_ROWS: u32 = 500;

/// A board from `id, slug, name, description, visibility`.
pub(super) fn board_from_row(r: &Row<'_>) -> rusqlite::Result<Board> {
    let v: String = r.get(4)?;
    Ok(Board {
        id: BoardId(r.get(0)?),
        slug: r.get(1)?,
        name: r.get(2)?,
        description: r.get(3)?,
        visibility: BoardVisibility::parse(&v).ok_or_else(|| bad_value(4, "board visibility", v.clone()))?,
    })
}

pub fn boards(c: &Connection, viewer: Option<Actor>) -> Result<Vec<BoardSummary>> {
    let staff = viewer_is_staff(c, viewer)?;
    let mut stmt = c.prepare_cached(
        "SELECT b.id, b.slug, b.name, b.description, b.visibility, \
           (SELECT count(*) FROM community_topics t WHERE t.board_id = b.id AND (?1 OR t.hidden = 0)) \
         FROM community_boards b WHERE ?1 OR b.visibility = 'public' ORDER BY b.name, b.id",
    )?;
    let rows = stmt
        .query_map([staff], |r| Ok(BoardSummary { board: board_from_row(r)?, topics: r.get::<_, i64>(5)? as u64 }))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

pub fn board_by_slug(c: &Connection, viewer: Option<Actor>, slug: &str) -> Result<Option<Board>> {
    let staff = viewer_is_staff(c, viewer)?;
    let board = c
        .prepare_cached("SELECT id, slug, name, description, visibility FROM community_boards WHERE slug = ?1")?
        .query_row([slug], board_from_row)
        .optional()?;
    Ok(board.filter(|b| staff || b.visibility == BoardVisibility::Public))
}

pub fn board_topics(c: &Connection, viewer: Option<Actor>, board: BoardId, limit: u32) -> Result<Vec<TopicSummary>> {
    let staff = viewer_is_staff(c, viewer)?;
    let mut stmt = c.prepare_cached(
        "SELECT t.id, t.board_id, t.kind, t.title, t.author_id, m.display_name, t.replies, \
           s.post_id IS NOT NULL, t.locked, t.hidden, t.created_at, t.last_post_at \
         FROM community_topics t \
         JOIN community_boards b ON b.id = t.board_id \
         JOIN community_members m ON m.id = t.author_id \
         LEFT JOIN community_solutions s ON s.topic_id = t.id \
         WHERE t.board_id = ?1 AND (?2 OR (t.hidden = 0 AND b.visibility = 'public')) \
         ORDER BY t.last_post_at DESC, t.id DESC LIMIT ?3",
    )?;
    let rows = stmt
        .query_map(params![board.0, staff, limit.clamp(1, MAX_ROWS)], |r| {
            let kind: String = r.get(2)?;
            Ok(TopicSummary {
                id: TopicId(r.get(0)?),
                board: BoardId(r.get(1)?),
                kind: TopicKind::parse(&kind).ok_or_else(|| bad_value(2, "topic kind", kind.clone()))?,
                title: r.get(3)?,
                author: MemberId(r.get(4)?),
                author_name: r.get(5)?,
                replies: r.get(6)?,
                solved: r.get(7)?,
                locked: r.get(8)?,
                hidden: r.get(9)?,
                created_at: ts(r, 10)?,
                last_post_at: ts(r, 11)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

pub fn list_ideas(c: &Connection, limit: u32) -> Result<Vec<Idea>> {
    let ids: Vec<i64> = c
        .prepare_cached("SELECT id FROM community_ideas ORDER BY status = 'duplicate', votes DESC, id DESC LIMIT ?1")?
        .query_map([limit.clamp(1, MAX_ROWS)], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(i) = ideas::idea(c, firebreak_community::IdeaId(id))? {
            out.push(i);
        }
    }
    Ok(out)
}

pub fn member_ledger(c: &Connection, member: MemberId, limit: u32) -> Result<Vec<LedgerEntry>> {
    let account = firebreak_community::Account::Member(member).key();
    let mut stmt = c.prepare_cached(
        "SELECT t.idempotency_key, t.kind, p.amount, t.created_at FROM community_ledger_postings p \
         JOIN community_ledger_transactions t ON t.id = p.transaction_id \
         WHERE p.account = ?1 ORDER BY t.id DESC LIMIT ?2",
    )?;
    let rows = stmt
        .query_map(params![account, limit.clamp(1, MAX_ROWS)], |r| {
            let kind: String = r.get(1)?;
            Ok(LedgerEntry {
                key: r.get(0)?,
                kind: TxKind::parse(&kind).ok_or_else(|| bad_value(1, "transaction kind", kind.clone()))?,
                amount: r.get(2)?,
                created_at: ts(r, 3)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

pub fn moderation_log(c: &Connection, actor: Actor, limit: u32) -> Result<Vec<ModerationEntry>> {
    require_staff(c, actor)?;
    let mut stmt = c.prepare_cached(
        "SELECT l.id, l.actor_id, m.display_name, l.action, l.subject, l.reason, l.created_at \
         FROM community_moderation_log l JOIN community_members m ON m.id = l.actor_id \
         ORDER BY l.id DESC LIMIT ?1",
    )?;
    let rows = stmt
        .query_map([limit.clamp(1, MAX_ROWS)], |r| {
            Ok(ModerationEntry {
                id: r.get(0)?,
                actor: MemberId(r.get(1)?),
                actor_name: r.get(2)?,
                action: r.get(3)?,
                subject: r.get(4)?,
                reason: r.get(5)?,
                created_at: ts(r, 6)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}
