//! Around an idea: members' comments, the company's answer (one per idea,
//! the earlier text kept in the moderation log), and links to the cases and
//! incidents that asked for it.

use firebreak_community::{Actor, CommunityError, IdeaId, IdeaStatus, MemberId};
use firebreak_domain::Timestamp;
use rusqlite::{Connection, params};

use super::{Prepared, Result, check_actor, ideas, require_staff, ts};
use crate::community_more::{IdeaComment, IdeaLink};

fn must_idea(c: &Connection, id: IdeaId) -> Result<firebreak_community::Idea> {
    ideas::idea(c, id)?.ok_or_else(|| CommunityError::NotFound { what: "idea" }.into())
}

pub fn comment(c: &Connection, actor: Actor, id: IdeaId, body: &Prepared, now: Timestamp) -> Result<IdeaComment> {
    let who = check_actor(c, actor)?;
    let idea = must_idea(c, id)?;
    if idea.status == IdeaStatus::Duplicate {
        return Err(CommunityError::conflict("idea_merged", "this idea was merged into another; comment there").into());
    }
    c.prepare_cached(
        "INSERT INTO community_idea_comments (idea_id, author_id, by_staff, body_markdown, body_html, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![id.0, who.member.0, who.staff_member, body.markdown, body.html, now.unix_millis()])?;
    let comment_id = c.last_insert_rowid();
    let author_name: String = c
        .prepare_cached("SELECT display_name FROM community_members WHERE id = ?1")?
        .query_row([who.member.0], |r| r.get(0))?;
    Ok(IdeaComment {
        id: comment_id,
        idea: id,
        author: who.member,
        author_name,
        by_staff: who.staff_member,
        body_markdown: body.markdown.clone(),
        body_html: body.html.clone(),
        created_at: now,
    })
}

pub fn comments(c: &Connection, id: IdeaId) -> Result<Vec<IdeaComment>> {
    let mut stmt = c.prepare_cached(
        "SELECT k.id, k.author_id, m.display_name, k.by_staff, k.body_markdown, k.body_html, k.created_at \
         FROM community_idea_comments k JOIN community_members m ON m.id = k.author_id \
         WHERE k.idea_id = ?1 ORDER BY k.id",
    )?;
    let rows = stmt
        .query_map([id.0], |r| {
            Ok(IdeaComment {
                id: r.get(0)?,
                idea: id,
                author: MemberId(r.get(1)?),
                author_name: r.get(2)?,
                by_staff: r.get(3)?,
                body_markdown: r.get(4)?,
                body_html: r.get(5)?,
                created_at: ts(r, 6)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

fn link_parts(link: IdeaLink) -> (&'static str, i64) {
    match link {
        IdeaLink::Case(id) => ("case", id),
        IdeaLink::Incident(id) => ("incident", id),
    }
}

pub fn link(c: &Connection, actor: Actor, id: IdeaId, link: IdeaLink, now: Timestamp) -> Result<()> {
    let who = require_staff(c, actor)?;
    must_idea(c, id)?;
    let (kind, target) = link_parts(link);
    let (sql, what) = match link {
        IdeaLink::Case(_) => ("SELECT EXISTS (SELECT 1 FROM cases WHERE id = ?1)", "case"),
        IdeaLink::Incident(_) => ("SELECT EXISTS (SELECT 1 FROM incidents WHERE id = ?1)", "incident"),
    };
    let exists: bool = c.prepare_cached(sql)?.query_row([target], |r| r.get(0))?;
    if !exists {
        return Err(CommunityError::NotFound { what }.into());
    }
    c.prepare_cached(
        "INSERT OR IGNORE INTO community_idea_links (idea_id, kind, target_id, linked_by, linked_at) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![id.0, kind, target, who.member.0, now.unix_millis()])?;
    Ok(())
}

pub fn links(c: &Connection, id: IdeaId) -> Result<Vec<IdeaLink>> {
    let mut stmt = c.prepare_cached(
        "SELECT kind, target_id FROM community_idea_links WHERE idea_id = ?1 ORDER BY kind, target_id",
    )?;
    let rows = stmt
        .query_map([id.0], |r| {
            let kind: String = r.get(0)?;
            let target: i64 = r.get(1)?;
            Ok(if kind == "case" { IdeaLink::Case(target) } else { IdeaLink::Incident(target) })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

pub fn linked_to(c: &Connection, link: IdeaLink) -> Result<Vec<IdeaId>> {
    let (kind, target) = link_parts(link);
    let mut stmt = c.prepare_cached(
        "SELECT idea_id FROM community_idea_links WHERE kind = ?1 AND target_id = ?2 ORDER BY idea_id",
    )?;
    let rows = stmt.query_map(params![kind, target], |r| Ok(IdeaId(r.get(0)?)))?.collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}
