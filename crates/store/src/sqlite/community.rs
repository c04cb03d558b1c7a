//! [`CommunityStore`] on SQLite: every write runs through the single writer
//! inside a savepoint of its own, so a change the community refuses half
//! way leaves nothing behind; reads use the reader pool.
//!
//! The work is split by concept: the forum's writes (`forum`), ideas and
//! votes (`ideas`), the points ledger (`ledger`) and the reads (`read`).
//! This file holds what they share: the savepoint, the actor check, row
//! mapping and the moderation log.

mod answers;
mod auth;
mod billing;
mod forum;
mod ideas;
mod ledger;
mod listing;
mod oidc;
mod read;
// The second part: charity rounds, around ideas, the CRM join, the value.
mod bench_load;
mod charity;
mod crm;
mod idea_more;
mod value;

use async_trait::async_trait;
use firebreak_community::{
    Actor, Board, BoardId, CommunityError, Idea, IdeaId, IdeaStatus, Kudos, Member, MemberId, Post, PostId,
    PostRevision, Report, Solution, Topic, TopicId, Totals, Transaction,
    ledger::{PointsConfig, Redemption},
    render_markdown, validate,
};
use firebreak_community::{charity::RoundId, value::ValueConfig};
use firebreak_domain::Timestamp;
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::SqliteStore;
use crate::community::{
    BoardSummary, IdeaAnswer, LedgerEntry, MemberLogin, MemberSession, ModerationEntry, NewMemberSession, TopicSummary,
};
use crate::{
    StoreError,
    community::{
        CommunityCounts, CommunityStore, CommunityStoreError, LedgerTotals, MergeOutcome, NewBoard, NewIdea, NewMember,
        NewTopic, TopicHit, TopicPage,
    },
    community_more::{CharityRound, CustomerCommunity, IdeaComment, IdeaLink, NewCharityRound, TopicCase, ValueReport},
};

type Result<T, E = CommunityStoreError> = std::result::Result<T, E>;

/// Runs `f` inside a savepoint: all of it lands, or none of it. A refusal
/// is answered to the caller as such (the writer's group goes on); a
/// database failure is the writer's to handle.
fn atomic<T>(
    c: &Connection,
    f: impl FnOnce(&Connection) -> Result<T>,
) -> std::result::Result<std::result::Result<T, CommunityError>, StoreError> {
    c.execute_batch("SAVEPOINT community_change")?;
    match f(c) {
        Ok(v) => {
            c.execute_batch("RELEASE community_change")?;
            Ok(Ok(v))
        }
        Err(e) => {
            c.execute_batch("ROLLBACK TO community_change; RELEASE community_change")?;
            match e {
                CommunityStoreError::Refused(r) => Ok(Err(r)),
                CommunityStoreError::Store(s) => Err(s),
            }
        }
    }
}

impl SqliteStore {
    /// Runs a community change in the next group commit, atomically.
    async fn community_write<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection, Timestamp) -> Result<T> + Send + 'static,
    {
        let out =
            self.writer.run(move |c, _, now| atomic(c, |c| f(c, now))).await?.map_err(CommunityStoreError::Refused)?;
        self.stats.community_changes.fetch_add(1, std::sync::atomic::Ordering::Release);
        Ok(out)
    }

    async fn community_read<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        self.read(move |c| Ok(f(c))).await?
    }
}

/// What the store knows of the actor, once checked.
#[derive(Debug, Clone, Copy)]
struct Checked {
    member: MemberId,
    /// The actor acts as staff (and the member row says they are).
    as_staff: bool,
    /// The member is staff, whatever the role they act in: their posts carry
    /// the staff badge.
    staff_member: bool,
}

/// Checks that the actor exists, is not banned, and is staff if they act
/// as staff.
fn check_actor(c: &Connection, actor: Actor) -> Result<Checked> {
    let row: Option<(bool, bool)> = c
        .prepare_cached("SELECT staff, banned FROM community_members WHERE id = ?1")?
        .query_row([actor.member.0], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let Some((staff, banned)) = row else {
        return Err(CommunityError::NotFound { what: "member" }.into());
    };
    if banned {
        return Err(CommunityError::forbidden("banned", "the member is banned").into());
    }
    if actor.is_staff() && !staff {
        return Err(CommunityError::forbidden("not_staff", "the member is not staff").into());
    }
    Ok(Checked { member: actor.member, as_staff: actor.is_staff(), staff_member: staff })
}

/// Checks the actor and that they act as staff.
fn require_staff(c: &Connection, actor: Actor) -> Result<Checked> {
    let checked = check_actor(c, actor)?;
    if !checked.as_staff {
        return Err(CommunityError::forbidden("staff_only", "only staff may do this").into());
    }
    Ok(checked)
}

fn ts(r: &Row<'_>, i: usize) -> rusqlite::Result<Timestamp> {
    let ms: i64 = r.get(i)?;
    Timestamp::from_unix_millis(ms)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Integer, Box::new(e)))
}

fn bad_value(i: usize, what: &str, value: String) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        i,
        rusqlite::types::Type::Text,
        format!("unknown {what} {value:?} in the database").into(),
    )
}

const MEMBER_COLUMNS: &str = "id, email, display_name, email_verified, customer_id, staff, banned, created_at";

fn member_from_row(r: &Row<'_>) -> rusqlite::Result<Member> {
    Ok(Member {
        id: MemberId(r.get(0)?),
        email: r.get(1)?,
        display_name: r.get(2)?,
        email_verified: r.get(3)?,
        customer_id: r.get(4)?,
        staff: r.get(5)?,
        banned: r.get(6)?,
        created_at: ts(r, 7)?,
    })
}

fn member(c: &Connection, id: MemberId) -> Result<Option<Member>> {
    Ok(c.prepare_cached(&format!("SELECT {MEMBER_COLUMNS} FROM community_members WHERE id = ?1"))?
        .query_row([id.0], member_from_row)
        .optional()?)
}

fn create_member(c: &Connection, m: &NewMember, now: Timestamp) -> Result<Member> {
    let email = validate::email(&m.email)?;
    let name = validate::display_name(&m.display_name)?;
    if let Some(h) = &m.password_hash
        && !h.starts_with("$argon2id$")
    {
        return Err(firebreak_community::Invalid::new(
            "password_hash",
            "not_a_password_hash",
            "passwords are stored as argon2id hashes only",
        )
        .into());
    }
    let taken: bool = c
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM community_members WHERE email = ?1)")?
        .query_row([&email], |r| r.get(0))?;
    if taken {
        return Err(CommunityError::conflict("email_taken", "a member already has that email").into());
    }
    c.prepare_cached(
        "INSERT INTO community_members \
         (email, display_name, password_hash, email_verified, customer_id, staff, banned, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, ?7)",
    )?
    .execute(params![
        email,
        name,
        m.password_hash,
        m.email_verified,
        m.customer_id,
        m.staff,
        now.unix_millis()
    ])?;
    let id = MemberId(c.last_insert_rowid());
    member(c, id)?.ok_or_else(|| StoreError::Database("the new member was not stored".into()).into())
}

fn set_banned(
    c: &Connection,
    actor: Actor,
    id: MemberId,
    banned: bool,
    reason: &str,
    now: Timestamp,
) -> Result<Member> {
    let who = require_staff(c, actor)?;
    let target = member(c, id)?.ok_or(CommunityError::NotFound { what: "member" })?;
    if target.staff {
        return Err(CommunityError::forbidden(
            "member_is_staff",
            "staff accounts are disabled by an admin, not banned",
        )
        .into());
    }
    c.prepare_cached("UPDATE community_members SET banned = ?2 WHERE id = ?1")?.execute(params![id.0, banned])?;
    let action = if banned { "ban" } else { "unban" };
    log_moderation(c, who.member, action, &format!("member:{}", id.0), reason, &serde_json::json!({}), now)?;
    Ok(Member { banned, ..target })
}

/// Records a moderator's action with what it changed.
fn log_moderation(
    c: &Connection,
    actor: MemberId,
    action: &str,
    subject: &str,
    reason: &str,
    detail: &serde_json::Value,
    now: Timestamp,
) -> Result<()> {
    c.prepare_cached(
        "INSERT INTO community_moderation_log (actor_id, action, subject, reason, detail, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![actor.0, action, subject, reason, detail.to_string(), now.unix_millis()])?;
    Ok(())
}

/// A body checked and rendered on the caller's thread, so the writer spends
/// its time on the database only.
struct Prepared {
    markdown: String,
    html: String,
}

fn prepare_body(body: &str) -> Result<Prepared> {
    let markdown = validate::body(body)?;
    let html = render_markdown(&markdown);
    Ok(Prepared { markdown, html })
}

#[async_trait]
impl CommunityStore for SqliteStore {
    async fn create_member(&self, m: NewMember) -> Result<Member> {
        self.community_write(move |c, now| create_member(c, &m, now)).await
    }

    async fn community_member(&self, id: MemberId) -> Result<Option<Member>> {
        self.community_read(move |c| member(c, id)).await
    }

    async fn create_board(&self, actor: Actor, board: NewBoard) -> Result<Board> {
        self.community_write(move |c, now| forum::create_board(c, actor, &board, now)).await
    }

    async fn create_topic(&self, actor: Actor, topic: NewTopic) -> Result<(Topic, Post)> {
        let title = validate::title(&topic.title)?;
        let body = prepare_body(&topic.body)?;
        self.community_write(move |c, now| forum::create_topic(c, actor, &topic, &title, &body, now)).await
    }

    async fn reply(&self, actor: Actor, topic: TopicId, body: String) -> Result<Post> {
        let body = prepare_body(&body)?;
        self.community_write(move |c, now| forum::reply(c, actor, topic, &body, now)).await
    }

    async fn edit_post(&self, actor: Actor, post: PostId, body: String) -> Result<Post> {
        let body = prepare_body(&body)?;
        self.community_write(move |c, now| forum::edit_post(c, actor, post, &body, now)).await
    }

    async fn post_revisions(&self, post: PostId) -> Result<Vec<PostRevision>> {
        self.community_read(move |c| read::revisions(c, post)).await
    }

    async fn accept_solution(
        &self,
        actor: Actor,
        topic: TopicId,
        post: PostId,
        points: PointsConfig,
    ) -> Result<Solution> {
        points.check()?;
        self.community_write(move |c, now| forum::accept_solution(c, actor, topic, post, &points, now)).await
    }

    async fn give_kudos(&self, actor: Actor, post: PostId, points: PointsConfig) -> Result<Kudos> {
        points.check()?;
        self.community_write(move |c, now| forum::give_kudos(c, actor, post, &points, now)).await
    }

    async fn hide_post(&self, actor: Actor, post: PostId, reason: String) -> Result<Vec<Transaction>> {
        let reason = validate::reason(&reason)?;
        self.community_write(move |c, now| forum::hide_post(c, actor, post, &reason, now)).await
    }

    async fn report_post(&self, actor: Actor, post: PostId, reason: String) -> Result<Report> {
        let reason = validate::reason(&reason)?;
        self.community_write(move |c, now| forum::report(c, actor, post, &reason, now)).await
    }

    async fn open_reports(&self, actor: Actor, limit: u32) -> Result<Vec<Report>> {
        self.community_read(move |c| {
            require_staff(c, actor)?;
            read::open_reports(c, limit)
        })
        .await
    }

    async fn move_topic(&self, actor: Actor, topic: TopicId, board: BoardId, reason: String) -> Result<Topic> {
        let reason = validate::reason(&reason)?;
        self.community_write(move |c, now| forum::move_topic(c, actor, topic, board, &reason, now)).await
    }

    async fn set_topic_locked(&self, actor: Actor, topic: TopicId, locked: bool, reason: String) -> Result<Topic> {
        let reason = validate::reason(&reason)?;
        self.community_write(move |c, now| forum::set_locked(c, actor, topic, locked, &reason, now)).await
    }

    async fn set_member_banned(&self, actor: Actor, id: MemberId, banned: bool, reason: String) -> Result<Member> {
        let reason = validate::reason(&reason)?;
        self.community_write(move |c, now| set_banned(c, actor, id, banned, &reason, now)).await
    }

    async fn create_idea(&self, actor: Actor, idea: NewIdea) -> Result<Idea> {
        let title = validate::title(&idea.title)?;
        let body = prepare_body(&idea.body)?;
        self.community_write(move |c, now| ideas::create(c, actor, &title, &body, now)).await
    }

    async fn idea(&self, id: IdeaId) -> Result<Option<Idea>> {
        self.community_read(move |c| ideas::idea(c, id)).await
    }

    async fn vote(&self, actor: Actor, idea: IdeaId) -> Result<Idea> {
        self.community_write(move |c, now| ideas::vote(c, actor, idea, now)).await
    }

    async fn set_idea_status(
        &self,
        actor: Actor,
        idea: IdeaId,
        status: IdeaStatus,
        points: PointsConfig,
    ) -> Result<Idea> {
        points.check()?;
        self.community_write(move |c, now| ideas::set_status(c, actor, idea, status, &points, now)).await
    }

    async fn merge_ideas(
        &self,
        actor: Actor,
        duplicate: IdeaId,
        target: IdeaId,
        reason: String,
    ) -> Result<MergeOutcome> {
        let reason = validate::reason(&reason)?;
        self.community_write(move |c, now| ideas::merge(c, actor, duplicate, target, &reason, now)).await
    }

    async fn redeem_points(
        &self,
        actor: Actor,
        request_id: String,
        amount: i64,
        to: Redemption,
    ) -> Result<Transaction> {
        self.community_write(move |c, now| {
            let who = check_actor(c, actor)?;
            ledger::redeem(c, who.member, &request_id, amount, &to, now)
        })
        .await
    }

    async fn points_balance(&self, member: MemberId) -> Result<i64> {
        self.community_read(move |c| Ok(ledger::balance(c, &firebreak_community::Account::Member(member))?)).await
    }

    async fn ledger_totals(&self) -> Result<LedgerTotals> {
        self.community_read(|c| Ok(ledger::totals(c)?)).await
    }

    async fn member_totals(&self, member: MemberId) -> Result<Totals> {
        self.community_read(move |c| Ok(ledger::member_totals(c, member)?)).await
    }

    // ---- The second part's block (see `CommunityStore`).

    async fn open_charity_round(&self, actor: Actor, round: NewCharityRound) -> Result<CharityRound> {
        let title = validate::title(&round.title)?;
        let charities = firebreak_community::charity::check_candidates(&round.charities)?;
        self.community_write(move |c, now| charity::open(c, actor, &title, &charities, now)).await
    }

    async fn charity_round(&self, id: RoundId) -> Result<Option<CharityRound>> {
        self.community_read(move |c| charity::round(c, id)).await
    }

    async fn charity_rounds(&self, limit: u32) -> Result<Vec<CharityRound>> {
        self.community_read(move |c| charity::rounds(c, limit)).await
    }

    async fn vote_in_round(&self, actor: Actor, round: RoundId, slug: String) -> Result<CharityRound> {
        self.community_write(move |c, now| charity::vote(c, actor, round, &slug, now)).await
    }

    async fn donate_to_round(
        &self,
        actor: Actor,
        round: RoundId,
        request_id: String,
        amount: i64,
    ) -> Result<Transaction> {
        self.community_write(move |c, now| charity::donate(c, actor, round, &request_id, amount, now)).await
    }

    async fn close_charity_round(&self, actor: Actor, round: RoundId) -> Result<CharityRound> {
        self.community_write(move |c, now| charity::close(c, actor, round, now)).await
    }

    async fn comment_on_idea(&self, actor: Actor, idea: IdeaId, body: String) -> Result<IdeaComment> {
        let body = prepare_body(&body)?;
        self.community_write(move |c, now| idea_more::comment(c, actor, idea, &body, now)).await
    }

    async fn idea_comments(&self, idea: IdeaId) -> Result<Vec<IdeaComment>> {
        self.community_read(move |c| idea_more::comments(c, idea)).await
    }

    async fn link_idea(&self, actor: Actor, idea: IdeaId, link: IdeaLink) -> Result<()> {
        self.community_write(move |c, now| idea_more::link(c, actor, idea, link, now)).await
    }

    async fn idea_links(&self, idea: IdeaId) -> Result<Vec<IdeaLink>> {
        self.community_read(move |c| idea_more::links(c, idea)).await
    }

    async fn ideas_linked_to(&self, link: IdeaLink) -> Result<Vec<IdeaId>> {
        self.community_read(move |c| idea_more::linked_to(c, link)).await
    }

    async fn link_member_to_customer(&self, member: MemberId) -> Result<Option<i64>> {
        self.community_write(move |c, now| crm::link_member(c, member, now)).await
    }

    async fn customer_community(&self, customer: i64, limit: u32) -> Result<CustomerCommunity> {
        self.community_read(move |c| crm::customer_community(c, customer, limit)).await
    }

    async fn publish_case_answer(
        &self,
        actor: Actor,
        case_id: i64,
        topic: TopicId,
        body: String,
    ) -> Result<(Post, Solution)> {
        let body = prepare_body(&body)?;
        self.community_write(move |c, now| crm::publish_case_answer(c, actor, case_id, topic, &body, now)).await
    }

    async fn topic_to_case(&self, actor: Actor, topic: TopicId) -> Result<TopicCase> {
        // The topic enters the case machinery as an inbound forum message,
        // through the writer's ingest (which indexes it and counts it with
        // its group); the checks run first on a reader, the link to the
        // case is recorded in the ingest's own savepoint.
        let plan = self.community_read(move |c| crm::plan_topic_case(c, actor, topic)).await?;
        let (message, customer, platform_id, name) = match plan {
            crm::TopicCasePlan::Done(done) => return Ok(done),
            crm::TopicCasePlan::Ingest { message, customer, platform_id, name } => {
                (message, customer, platform_id, name)
            }
        };
        self.community_write(move |c, now| {
            require_staff(c, actor)?;
            crm::tie_forum_identity(c, &platform_id, &name, customer, now)
        })
        .await?;
        let found = std::sync::Arc::new(std::sync::Mutex::new(None));
        let out = found.clone();
        self.writer
            .ingest_then(vec![*message], move |c, stored, now| {
                let id = stored.first().ok_or_else(|| StoreError::Database("the topic was not stored".into()))?.id;
                let tc = crm::record_topic_case(c, actor.member, topic, id.0, now)?;
                *out.lock().map_err(|_| StoreError::Database("a poisoned lock".into()))? = Some(tc);
                Ok(())
            })
            .await?;
        let tc = found.lock().map_err(|_| StoreError::Database("a poisoned lock".into()))?.take();
        Ok(tc.ok_or_else(|| StoreError::Database("the topic's case was not recorded".into()))?)
    }

    async fn record_solution_views(&self, views: Vec<TopicId>) -> Result<u64> {
        if views.is_empty() {
            return Ok(0);
        }
        self.community_write(move |c, now| value::record_views(c, &views, now)).await
    }

    async fn community_value(&self, config: ValueConfig, top: u32) -> Result<ValueReport> {
        config.check()?;
        let now = self.clock.now();
        self.community_read(move |c| value::report(c, config, top, now)).await
    }

    // ---- End of the second part's block.

    async fn search_topics(&self, query: String, limit: u32) -> Result<Vec<TopicHit>> {
        let fts = super::fts_query(&query)?;
        self.community_read(move |c| read::search(c, &fts, limit)).await
    }

    async fn topic_page(&self, viewer: Option<Actor>, topic: TopicId) -> Result<Option<TopicPage>> {
        self.community_read(move |c| read::topic_page(c, viewer, topic)).await
    }

    async fn community_counts(&self) -> Result<CommunityCounts> {
        self.community_read(read::counts).await
    }

    // ---- Members' sign-in and listings (the community's web layer; migration 0015) ----

    async fn member_login(&self, email: String) -> Result<Option<MemberLogin>> {
        self.community_read(move |c| auth::login(c, &email)).await
    }

    async fn create_member_session(&self, session: NewMemberSession) -> Result<()> {
        self.community_write(move |c, now| auth::create_session(c, &session, now)).await
    }

    async fn member_session(&self, token_hash: String, now: Timestamp) -> Result<Option<MemberSession>> {
        self.community_read(move |c| auth::session(c, &token_hash, now)).await
    }

    async fn revoke_member_session(&self, token_hash: String) -> Result<()> {
        self.community_write(move |c, now| auth::revoke_session(c, &token_hash, now)).await
    }

    async fn create_email_token(&self, member: MemberId, token_hash: String, expires_at: Timestamp) -> Result<()> {
        self.community_write(move |c, now| auth::create_email_token(c, member, &token_hash, expires_at, now)).await
    }

    async fn verify_member_email(&self, token_hash: String) -> Result<Option<Member>> {
        self.community_write(move |c, now| auth::verify_email(c, &token_hash, now)).await
    }

    async fn staff_member(&self, staff_id: i64, display_name: String) -> Result<Member> {
        // Every staff request to the community asks; only the first writes.
        if let Some(m) = self.community_read(move |c| auth::linked_staff_member(c, staff_id)).await? {
            return Ok(m);
        }
        self.community_write(move |c, now| auth::staff_member(c, staff_id, &display_name, now)).await
    }

    async fn boards(&self, viewer: Option<Actor>) -> Result<Vec<BoardSummary>> {
        self.community_read(move |c| listing::boards(c, viewer)).await
    }

    async fn board_by_slug(&self, viewer: Option<Actor>, slug: String) -> Result<Option<Board>> {
        self.community_read(move |c| listing::board_by_slug(c, viewer, &slug)).await
    }

    async fn board_topics(&self, viewer: Option<Actor>, board: BoardId, limit: u32) -> Result<Vec<TopicSummary>> {
        self.community_read(move |c| listing::board_topics(c, viewer, board, limit)).await
    }

    async fn ideas(&self, limit: u32) -> Result<Vec<Idea>> {
        self.community_read(move |c| listing::list_ideas(c, limit)).await
    }

    async fn member_ledger(&self, member: MemberId, limit: u32) -> Result<Vec<LedgerEntry>> {
        self.community_read(move |c| listing::member_ledger(c, member, limit)).await
    }

    async fn moderation_log(&self, actor: Actor, limit: u32) -> Result<Vec<ModerationEntry>> {
        self.community_read(move |c| listing::moderation_log(c, actor, limit)).await
    }

    async fn answer_idea(&self, actor: Actor, idea: IdeaId, body: String) -> Result<IdeaAnswer> {
        let body = prepare_body(&body)?;
        self.community_write(move |c, now| answers::answer(c, actor, idea, &body, now)).await
    }

    async fn idea_answer(&self, idea: IdeaId) -> Result<Option<IdeaAnswer>> {
        self.community_read(move |c| answers::load(c, idea)).await
    }

    async fn oidc_member(&self, sign_in: crate::community::OidcSignIn) -> Result<Member> {
        self.community_write(move |c, now| oidc::oidc_member(c, &sign_in, now)).await
    }

    async fn flag_spam(&self, post: PostId, reason: String) -> Result<i64> {
        self.community_write(move |c, now| oidc::flag_spam(c, post, &reason, now)).await
    }

    async fn members_totals(&self, members: Vec<MemberId>) -> Result<Vec<(MemberId, Totals)>> {
        self.community_read(move |c| {
            let mut out = Vec::with_capacity(members.len());
            for m in members {
                out.push((m, ledger::member_totals(c, m)?));
            }
            Ok(out)
        })
        .await
    }

    fn community_changes(&self) -> u64 {
        self.stats.community_changes.load(std::sync::atomic::Ordering::Acquire)
    }

    async fn credit_redemptions(&self, after: i64, limit: u32) -> Result<Vec<crate::community::CreditRedemption>> {
        self.community_read(move |c| billing::credit_redemptions(c, after, limit)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A change refused after it has written leaves nothing behind, and the
    /// refusal reaches the caller as a refusal.
    #[test]
    fn a_refusal_rolls_back_what_the_change_wrote() {
        let c = Connection::open_in_memory().unwrap();
        c.execute_batch("CREATE TABLE t (x INTEGER)").unwrap();
        let refused = atomic(&c, |c| -> Result<()> {
            c.execute("INSERT INTO t VALUES (1)", [])?;
            Err(CommunityError::conflict("late_refusal", "refused after writing").into())
        })
        .unwrap();
        assert_eq!(refused.unwrap_err().code(), "late_refusal");
        let kept = atomic(&c, |c| -> Result<i64> {
            c.execute("INSERT INTO t VALUES (2)", [])?;
            Ok(2)
        })
        .unwrap();
        assert_eq!(kept, Ok(2));
        let rows: Vec<i64> =
            c.prepare("SELECT x FROM t").unwrap().query_map([], |r| r.get(0)).unwrap().map(|r| r.unwrap()).collect();
        assert_eq!(rows, vec![2]);
        // A database failure is the writer's to handle (its savepoint
        // rolls back), not a refusal.
        let failed = atomic(&c, |c| -> Result<()> { Ok(c.execute_batch("INSERT INTO missing VALUES (1)")?) });
        assert!(failed.is_err());
    }
}
