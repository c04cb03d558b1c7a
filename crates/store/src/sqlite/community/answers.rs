//! Staff's answers to ideas in SQL (migration 0015): one per idea, a new
//! answer replacing the last, each logged in the moderation log.

use firebreak_community::{Actor, CommunityError, IdeaId, MemberId};
use firebreak_domain::Timestamp;
use rusqlite::{Connection, OptionalExtension, params};

use super::{Prepared, Result, ideas, log_moderation, require_staff, ts};
use crate::community::IdeaAnswer;

pub fn load(c: &Connection, idea: IdeaId) -> Result<Option<IdeaAnswer>> {
    Ok(c.prepare_cached(
        "SELECT a.member_id, m.display_name, a.body_markdown, a.body_html, a.answered_at \
         FROM community_idea_answers a JOIN community_members m ON m.id = a.member_id WHERE a.idea_id = ?1",
    )?
    .query_row([idea.0], |r| {
        Ok(IdeaAnswer {
            idea,
            by: MemberId(r.get(0)?),
            by_name: r.get(1)?,
            body_markdown: r.get(2)?,
            body_html: r.get(3)?,
            answered_at: ts(r, 4)?,
        })
    })
    .optional()?)
}

pub fn answer(c: &Connection, actor: Actor, idea: IdeaId, body: &Prepared, now: Timestamp) -> Result<IdeaAnswer> {
    let who = require_staff(c, actor)?;
    if ideas::idea(c, idea)?.is_none() {
        return Err(CommunityError::NotFound { what: "idea" }.into());
    }
    c.prepare_cached("DELETE FROM community_idea_answers WHERE idea_id = ?1")?.execute([idea.0])?;
    c.prepare_cached(
        "INSERT INTO community_idea_answers (idea_id, member_id, body_markdown, body_html, answered_at) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![idea.0, who.member.0, body.markdown, body.html, now.unix_millis()])?;
    log_moderation(
        c,
        who.member,
        "answer_idea",
        &format!("idea:{}", idea.0),
        "staff answer",
        &serde_json::json!({}),
        now,
    )?;
    load(c, idea)?.ok_or_else(|| crate::StoreError::Database("the answer was not stored".into()).into())
}
