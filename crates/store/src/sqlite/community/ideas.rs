//! Ideas in SQL: submitting, voting (one vote per member, none on a closed
//! idea), staff moving an idea through its statuses (shipping awards its
//! author), and merging a duplicate into the idea it repeats.

use std::collections::BTreeSet;

use firebreak_community::{
    Actor, CommunityError, Idea, IdeaId, IdeaStatus, MemberId,
    ideas::{self as rules},
    ledger::{PointsConfig, keys},
};
use firebreak_domain::Timestamp;
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::{Prepared, Result, bad_value, check_actor, ledger, log_moderation, require_staff, ts};
use crate::{StoreError, community::MergeOutcome};

const IDEA_COLUMNS: &str = "id, author_id, title, body_markdown, body_html, status, duplicate_of, votes, created_at";

fn idea_from_row(r: &Row<'_>) -> rusqlite::Result<Idea> {
    let status: String = r.get(5)?;
    Ok(Idea {
        id: IdeaId(r.get(0)?),
        author: MemberId(r.get(1)?),
        title: r.get(2)?,
        body_markdown: r.get(3)?,
        body_html: r.get(4)?,
        status: IdeaStatus::parse(&status).ok_or_else(|| bad_value(5, "idea status", status.clone()))?,
        duplicate_of: r.get::<_, Option<i64>>(6)?.map(IdeaId),
        votes: r.get(7)?,
        created_at: ts(r, 8)?,
    })
}

pub fn idea(c: &Connection, id: IdeaId) -> Result<Option<Idea>> {
    Ok(c.prepare_cached(&format!("SELECT {IDEA_COLUMNS} FROM community_ideas WHERE id = ?1"))?
        .query_row([id.0], idea_from_row)
        .optional()?)
}

fn must(c: &Connection, id: IdeaId) -> Result<Idea> {
    Ok(idea(c, id)?.ok_or(CommunityError::NotFound { what: "idea" })?)
}

pub fn create(c: &Connection, actor: Actor, title: &str, body: &Prepared, now: Timestamp) -> Result<Idea> {
    let who = check_actor(c, actor)?;
    c.prepare_cached(
        "INSERT INTO community_ideas (author_id, title, body_markdown, body_html, status, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, 'new', ?5, ?5)",
    )?
    .execute(params![who.member.0, title, body.markdown, body.html, now.unix_millis()])?;
    must(c, IdeaId(c.last_insert_rowid()))
}

pub fn vote(c: &Connection, actor: Actor, id: IdeaId, now: Timestamp) -> Result<Idea> {
    let who = check_actor(c, actor)?;
    let idea = must(c, id)?;
    let voted: bool = c
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM community_idea_votes WHERE member_id = ?1 AND idea_id = ?2)")?
        .query_row([who.member.0, id.0], |r| r.get(0))?;
    rules::check_vote(idea.status, voted)?;
    c.prepare_cached("INSERT INTO community_idea_votes (member_id, idea_id, created_at) VALUES (?1, ?2, ?3)")?
        .execute(params![who.member.0, id.0, now.unix_millis()])?;
    c.prepare_cached("UPDATE community_ideas SET votes = votes + 1 WHERE id = ?1")?.execute([id.0])?;
    Ok(Idea { votes: idea.votes + 1, ..idea })
}

pub fn set_status(
    c: &Connection,
    actor: Actor,
    id: IdeaId,
    to: IdeaStatus,
    points: &PointsConfig,
    now: Timestamp,
) -> Result<Idea> {
    let who = require_staff(c, actor)?;
    let idea = must(c, id)?;
    rules::check_transition(idea.status, to)?;
    c.prepare_cached("UPDATE community_ideas SET status = ?2, updated_at = ?3 WHERE id = ?1")?.execute(params![
        id.0,
        to.as_str(),
        now.unix_millis()
    ])?;
    if to == IdeaStatus::Shipped {
        ledger::award(c, keys::award_idea_shipped(id), idea.author, points.idea_shipped, who.member, now)?;
    }
    let detail = serde_json::json!({ "from": idea.status.as_str(), "to": to.as_str() });
    log_moderation(c, who.member, "idea_status", &format!("idea:{}", id.0), "", &detail, now)?;
    Ok(Idea { status: to, ..idea })
}

fn voters(c: &Connection, id: IdeaId) -> Result<BTreeSet<MemberId>> {
    let mut stmt = c.prepare_cached("SELECT member_id FROM community_idea_votes WHERE idea_id = ?1")?;
    let rows = stmt.query_map([id.0], |r| Ok(MemberId(r.get(0)?)))?.collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

pub fn merge(
    c: &Connection,
    actor: Actor,
    duplicate: IdeaId,
    target: IdeaId,
    reason: &str,
    now: Timestamp,
) -> Result<MergeOutcome> {
    let who = require_staff(c, actor)?;
    let dup = must(c, duplicate)?;
    let tgt = must(c, target)?;
    let dup_voters = voters(c, duplicate)?;
    let target_voters = voters(c, target)?;
    let plan = rules::plan_merge(duplicate, dup.status, &dup_voters, target, tgt.status, &target_voters)?;
    let mut move_vote =
        c.prepare_cached("UPDATE community_idea_votes SET idea_id = ?3 WHERE member_id = ?1 AND idea_id = ?2")?;
    for m in &plan.moved {
        move_vote.execute(params![m.0, duplicate.0, target.0])?;
    }
    // What is left on the duplicate are the votes of members who voted on
    // both: the target's vote counts for them.
    c.prepare_cached("DELETE FROM community_idea_votes WHERE idea_id = ?1")?.execute([duplicate.0])?;
    let counted: i64 = c
        .prepare_cached("SELECT count(*) FROM community_idea_votes WHERE idea_id = ?1")?
        .query_row([target.0], |r| r.get(0))?;
    if counted as usize != plan.target_votes {
        return Err(StoreError::Database(format!(
            "merging idea {duplicate} left {counted} votes on {target}, expected {}",
            plan.target_votes
        ))
        .into());
    }
    c.prepare_cached("UPDATE community_ideas SET votes = ?2, updated_at = ?3 WHERE id = ?1")?.execute(params![
        target.0,
        counted,
        now.unix_millis()
    ])?;
    c.prepare_cached(
        "UPDATE community_ideas SET status = 'duplicate', duplicate_of = ?2, votes = 0, updated_at = ?3 WHERE id = ?1",
    )?
    .execute(params![duplicate.0, target.0, now.unix_millis()])?;
    let detail = serde_json::json!({
        "into": target.0,
        "from_status": dup.status.as_str(),
        "moved": plan.moved.iter().map(|m| m.0).collect::<Vec<_>>(),
        "dropped": plan.dropped.iter().map(|m| m.0).collect::<Vec<_>>(),
    });
    log_moderation(c, who.member, "merge_ideas", &format!("idea:{}", duplicate.0), reason, &detail, now)?;
    Ok(MergeOutcome {
        moved: plan.moved.len() as u32,
        dropped: plan.dropped.len() as u32,
        target: must(c, target)?,
        duplicate: must(c, duplicate)?,
    })
}
