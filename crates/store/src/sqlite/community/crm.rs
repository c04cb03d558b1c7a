//! The community joined to the CRM: a member linked to the customer on
//! record with their verified email (the same evidence identity resolution
//! trusts for an email's sender), what a customer did in the forum, a case's
//! answer published as a solution, and a topic turned into a case through
//! the case machinery itself.

use firebreak_community::{
    Actor, CommunityError, MemberId, Post, PostId, Solution, TopicId, TopicKind, ledger::PointsConfig,
};
use firebreak_domain::{
    Author, Channel, Direction, DisplayName, Email, ExternalId, MessageText, NewMessage, PlatformUserId, Timestamp,
};
use rusqlite::{Connection, OptionalExtension, params};

use super::{Prepared, Result, bad_value, forum, member, require_staff, ts};
use crate::{
    StoreError,
    community_more::{CustomerCommunity, CustomerPost, CustomerTopic, TopicCase},
    sqlite::people,
};

/// The customer on record with this email: not provisional, merged or
/// erased, the oldest if several.
fn customer_with_email(c: &Connection, email: &Email) -> Result<Option<i64>> {
    Ok(c.prepare_cached(
        "SELECT c.id FROM customer_emails e JOIN customers c ON c.id = e.customer_id \
         WHERE e.email = ?1 AND c.merged_into IS NULL AND c.erased_at IS NULL AND c.provisional = 0 \
         ORDER BY c.id LIMIT 1",
    )?
    .query_row([email.as_str()], |r| r.get(0))
    .optional()?)
}

pub fn link_member(c: &Connection, id: MemberId, now: Timestamp) -> Result<Option<i64>> {
    let m = member(c, id)?.ok_or(CommunityError::NotFound { what: "member" })?;
    if !m.email_verified {
        return Err(CommunityError::conflict(
            "email_not_verified",
            "a member is linked to a customer only by a verified email",
        )
        .into());
    }
    let Ok(email) = Email::parse(&m.email) else { return Ok(None) };
    let Some(customer) = customer_with_email(c, &email)? else { return Ok(None) };
    if m.customer_id != Some(customer) {
        c.prepare_cached("UPDATE community_members SET customer_id = ?2 WHERE id = ?1")?
            .execute(params![id.0, customer])?;
        people::audit(
            c,
            now,
            "community",
            "community_member_linked",
            Some(customer),
            serde_json::json!({ "member": id.0, "email": email.as_str(), "previous": m.customer_id }),
            &format!("the member's verified email {email} is on the customer's record"),
        )?;
    }
    Ok(Some(customer))
}

/// The members of a customer, and of customers merged into it.
fn members_of(c: &Connection, customer: i64) -> Result<Vec<MemberId>> {
    let mut stmt = c.prepare_cached(
        "SELECT id FROM community_members WHERE customer_id = ?1 \
         UNION SELECT m.id FROM customers k JOIN community_members m ON m.customer_id = k.id \
         WHERE k.merged_into = ?1 ORDER BY 1",
    )?;
    let rows = stmt.query_map([customer], |r| Ok(MemberId(r.get(0)?)))?.collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

pub fn customer_community(c: &Connection, customer: i64, limit: u32) -> Result<CustomerCommunity> {
    let members = members_of(c, customer)?;
    let limit = limit.clamp(1, 500);
    let mut topics = Vec::new();
    let mut replies = Vec::new();
    let mut topic_stmt = c.prepare_cached(
        "SELECT t.id, t.board_id, t.kind, t.title, s.post_id IS NOT NULL, t.hidden, t.replies, t.created_at \
         FROM community_topics t LEFT JOIN community_solutions s ON s.topic_id = t.id \
         WHERE t.author_id = ?1 ORDER BY t.created_at DESC, t.id DESC LIMIT ?2",
    )?;
    let mut post_stmt = c.prepare_cached(
        "SELECT p.id, p.topic_id, t.title, s.post_id IS NOT NULL, p.hidden, p.created_at \
         FROM community_posts p JOIN community_topics t ON t.id = p.topic_id \
         LEFT JOIN community_solutions s ON s.post_id = p.id \
         WHERE p.author_id = ?1 AND p.id != t.first_post_id ORDER BY p.created_at DESC, p.id DESC LIMIT ?2",
    )?;
    for m in &members {
        let found = topic_stmt.query_map(params![m.0, limit], |r| {
            let kind: String = r.get(2)?;
            Ok(CustomerTopic {
                topic: TopicId(r.get(0)?),
                board: firebreak_community::BoardId(r.get(1)?),
                member: *m,
                kind: TopicKind::parse(&kind).ok_or_else(|| bad_value(2, "topic kind", kind.clone()))?,
                title: r.get(3)?,
                solved: r.get(4)?,
                hidden: r.get(5)?,
                replies: r.get(6)?,
                created_at: ts(r, 7)?,
            })
        })?;
        for t in found {
            topics.push(t?);
        }
        let found = post_stmt.query_map(params![m.0, limit], |r| {
            Ok(CustomerPost {
                post: PostId(r.get(0)?),
                topic: TopicId(r.get(1)?),
                topic_title: r.get(2)?,
                member: *m,
                is_solution: r.get(3)?,
                hidden: r.get(4)?,
                created_at: ts(r, 5)?,
            })
        })?;
        for p in found {
            replies.push(p?);
        }
    }
    topics.sort_by_key(|t| std::cmp::Reverse((t.created_at, t.topic)));
    topics.truncate(limit as usize);
    replies.sort_by_key(|p| std::cmp::Reverse((p.created_at, p.post)));
    replies.truncate(limit as usize);
    Ok(CustomerCommunity { customer, members, topics, replies })
}

fn case_exists(c: &Connection, case_id: i64) -> Result<()> {
    let exists: bool =
        c.prepare_cached("SELECT EXISTS (SELECT 1 FROM cases WHERE id = ?1)")?.query_row([case_id], |r| r.get(0))?;
    if !exists {
        return Err(CommunityError::NotFound { what: "case" }.into());
    }
    Ok(())
}

pub fn publish_case_answer(
    c: &Connection,
    actor: Actor,
    case_id: i64,
    topic: TopicId,
    body: &Prepared,
    now: Timestamp,
) -> Result<(Post, Solution)> {
    let who = require_staff(c, actor)?;
    case_exists(c, case_id)?;
    let post = forum::reply(c, actor, topic, body, now)?;
    // Staff are not in the points game: the answer is the company's.
    let no_points = PointsConfig { solution: 0, kudos: 0, idea_shipped: 0 };
    let solution = forum::accept_solution(c, actor, topic, post.id, &no_points, now)?;
    c.prepare_cached(
        "INSERT OR IGNORE INTO community_topic_cases (topic_id, case_id, relation, post_id, by_member, at) \
         VALUES (?1, ?2, 'answered', ?3, ?4, ?5)",
    )?
    .execute(params![topic.0, case_id, post.id.0, who.member.0, now.unix_millis()])?;
    Ok((post, solution))
}

/// The platform id of a member's forum identity.
fn forum_identity(member: MemberId) -> String {
    format!("community-member-{}", member.0)
}

/// What turning a topic into a case needs, read before the writer runs.
pub enum TopicCasePlan {
    /// The topic was turned into a case before.
    Done(TopicCase),
    /// The topic as an inbound forum message from the asker's identity,
    /// which belongs to `customer`.
    Ingest { message: Box<NewMessage>, customer: i64, platform_id: String, name: String },
}

/// Checks the actor (staff) and the asker (linked to a customer), and
/// builds the message that carries the topic into the case machinery.
pub fn plan_topic_case(c: &Connection, actor: Actor, topic: TopicId) -> Result<TopicCasePlan> {
    require_staff(c, actor)?;
    let (t, _) = forum::load_topic(c, topic)?.ok_or(CommunityError::NotFound { what: "topic" })?;
    if let Some(done) = topic_case(c, topic)? {
        return Ok(TopicCasePlan::Done(done));
    }
    let asker = member(c, t.author)?.ok_or_else(|| StoreError::Database("a topic without its author".into()))?;
    let Some(customer) = asker.customer_id else {
        return Err(CommunityError::conflict(
            "no_customer",
            "the asker is not linked to a customer; link them by their verified email first",
        )
        .into());
    };
    let first = forum::load_post(c, t.first_post)?
        .ok_or_else(|| StoreError::Database("a topic without its question".into()))?;
    let platform_id = forum_identity(asker.id);
    let bad = |e: firebreak_domain::FieldError| StoreError::Database(e.to_string());
    let mut author = Author::new(PlatformUserId::parse(platform_id.clone()).map_err(bad)?);
    author.name = DisplayName::parse(&asker.display_name).ok();
    let (text, _) = MessageText::clamp(&format!("{}\n\n{}", t.title, first.body_markdown));
    let message = NewMessage {
        channel: Channel::Forum,
        external_id: ExternalId::parse(format!("community-topic-{}", topic.0)).map_err(bad)?,
        direction: Direction::In,
        author,
        text,
        language: None,
        created_at: t.created_at,
        in_reply_to: None,
        thread_id: None,
        metrics: None,
        raw: None,
        triage: None,
    };
    Ok(TopicCasePlan::Ingest { message: Box::new(message), customer, platform_id, name: asker.display_name })
}

fn topic_case(c: &Connection, topic: TopicId) -> Result<Option<TopicCase>> {
    let found: Option<(i64, i64)> = c
        .prepare_cached(
            "SELECT case_id, message_id FROM community_topic_cases WHERE topic_id = ?1 AND relation = 'opened' \
             ORDER BY at DESC LIMIT 1",
        )?
        .query_row([topic.0], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    Ok(found.map(|(case_id, message_id)| TopicCase { topic, case_id, message_id }))
}

/// Ties the member's forum identity to their customer, so the case
/// machinery finds the customer without guessing.
pub fn tie_forum_identity(c: &Connection, platform_id: &str, name: &str, customer: i64, now: Timestamp) -> Result<()> {
    c.prepare_cached(
        "INSERT OR IGNORE INTO identities (channel, platform_id, name, first_seen, brand, customer_id) \
         VALUES (?1, ?2, ?3, ?4, 0, ?5)",
    )?
    .execute(params![Channel::Forum.as_str(), platform_id, name, now.unix_millis(), customer])?;
    c.prepare_cached("UPDATE identities SET customer_id = ?3 WHERE platform_id = ?1 AND channel = ?2")?
        .execute(params![platform_id, Channel::Forum.as_str(), customer])?;
    Ok(())
}

/// After the topic's message is stored (in the same savepoint): records
/// which case it opened or joined.
pub fn record_topic_case(
    c: &Connection,
    by: MemberId,
    topic: TopicId,
    message_id: i64,
    now: Timestamp,
) -> std::result::Result<TopicCase, StoreError> {
    let case_id: Option<i64> =
        c.prepare_cached("SELECT case_id FROM messages WHERE id = ?1")?.query_row([message_id], |r| r.get(0))?;
    let case_id = case_id.ok_or_else(|| StoreError::Database("the topic's message has no case".into()))?;
    c.prepare_cached(
        "INSERT OR IGNORE INTO community_topic_cases (topic_id, case_id, relation, message_id, by_member, at) \
         VALUES (?1, ?2, 'opened', ?3, ?4, ?5)",
    )?
    .execute(params![topic.0, case_id, message_id, by.0, now.unix_millis()])?;
    Ok(TopicCase { topic, case_id, message_id })
}
