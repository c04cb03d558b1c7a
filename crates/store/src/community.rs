//! The community's side of the store: [`CommunityStore`], the operations
//! the forum, ideas and points need at the data level, and the records they
//! take and give.
//!
//! Every write checks its actor (exists, not banned, staff when it claims to
//! be) and the community's rules (`firebreak_community`) inside the
//! transaction that records it, and goes through the single writer like the
//! rest of the store: a refused change leaves nothing behind, and points
//! move in the same commit as the event that earns or loses them.

use async_trait::async_trait;
use firebreak_community::{
    Actor, Board, BoardId, BoardVisibility, CommunityError, Idea, IdeaId, IdeaStatus, Kudos, Member, MemberId, Post,
    PostId, PostRevision, Report, Solution, Topic, TopicId, TopicKind, Totals, Transaction, TxKind,
    ledger::{PointsConfig, Redemption},
};
use firebreak_domain::Timestamp;
use serde::Serialize;
use thiserror::Error;

use crate::{
    StoreError,
    community_more::{CharityRound, CustomerCommunity, IdeaComment, IdeaLink, NewCharityRound, TopicCase, ValueReport},
};
use firebreak_community::{charity::RoundId, value::ValueConfig};

/// A failed community operation: the community refused it (with a stable
/// code), or the database failed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CommunityStoreError {
    #[error(transparent)]
    Refused(#[from] CommunityError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl CommunityStoreError {
    /// The stable code of a refusal; `None` for a database failure.
    pub fn code(&self) -> Option<&'static str> {
        match self {
            CommunityStoreError::Refused(e) => Some(e.code()),
            CommunityStoreError::Store(_) => None,
        }
    }
}

impl From<rusqlite::Error> for CommunityStoreError {
    fn from(e: rusqlite::Error) -> Self {
        CommunityStoreError::Store(e.into())
    }
}

impl From<firebreak_community::Invalid> for CommunityStoreError {
    fn from(e: firebreak_community::Invalid) -> Self {
        CommunityStoreError::Refused(e.into())
    }
}

impl From<firebreak_community::ideas::IdeaError> for CommunityStoreError {
    fn from(e: firebreak_community::ideas::IdeaError) -> Self {
        CommunityStoreError::Refused(e.into())
    }
}

impl From<firebreak_community::LedgerError> for CommunityStoreError {
    fn from(e: firebreak_community::LedgerError) -> Self {
        CommunityStoreError::Refused(e.into())
    }
}

/// A new member. The caller hashes the password (argon2id); the store
/// refuses anything that is not such a hash.
#[derive(Debug, Clone)]
pub struct NewMember {
    pub email: String,
    pub display_name: String,
    pub password_hash: Option<String>,
    pub email_verified: bool,
    pub customer_id: Option<i64>,
    pub staff: bool,
}

#[derive(Debug, Clone)]
pub struct NewBoard {
    pub slug: String,
    pub name: String,
    pub description: String,
    pub visibility: BoardVisibility,
}

/// A new topic and its first post (Markdown).
#[derive(Debug, Clone)]
pub struct NewTopic {
    pub board: BoardId,
    pub kind: TopicKind,
    pub title: String,
    pub body: String,
}

#[derive(Debug, Clone)]
pub struct NewIdea {
    pub title: String,
    pub body: String,
}

/// A post as a topic's page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PostView {
    pub post: Post,
    pub author_name: String,
    pub kudos: u32,
    pub is_solution: bool,
}

/// A topic's page: the topic, its board, and its posts in reading order:
/// the question, then the accepted solution, then the other replies oldest
/// first. Hidden posts are there for staff only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TopicPage {
    pub topic: Topic,
    pub board: Board,
    pub posts: Vec<PostView>,
}

/// A topic found by search.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TopicHit {
    pub topic: TopicId,
    pub board: BoardId,
    pub title: String,
    pub solved: bool,
}

/// What merging a duplicate idea did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MergeOutcome {
    /// Votes moved from the duplicate to the target.
    pub moved: u32,
    /// Votes dropped because their member had voted on the target too.
    pub dropped: u32,
    pub target: Idea,
    pub duplicate: Idea,
}

/// Every ledger account's balance, and their sum (zero when the books
/// balance).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LedgerTotals {
    pub accounts: Vec<(String, i64)>,
    pub sum: i64,
    /// Transactions whose postings do not sum to zero (none, ever).
    pub unbalanced_transactions: u64,
}

/// Row counts of the community's tables (for checks that a refused change
/// changed nothing).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CommunityCounts {
    pub members: u64,
    pub boards: u64,
    pub topics: u64,
    pub posts: u64,
    pub revisions: u64,
    pub kudos: u64,
    pub solutions: u64,
    pub ideas: u64,
    pub votes: u64,
    pub transactions: u64,
    pub postings: u64,
    pub reports: u64,
    pub moderation: u64,
}

// ---- Members' sign-in, listings (the community's web layer; migration 0015) ----

/// What signing in needs of a member: the member and their password hash.
#[derive(Debug, Clone)]
pub struct MemberLogin {
    pub member: Member,
    pub password_hash: Option<String>,
}

/// Points a member redeemed as account credit, for billing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CreditRedemption {
    /// The ledger transaction (ascending: the export's cursor).
    pub transaction: i64,
    /// Its idempotency key (`redeem:<request id>`).
    pub key: String,
    pub at: Timestamp,
    pub points: i64,
    pub member: MemberId,
    pub email: String,
    /// The customer the member is, once linked.
    pub customer_id: Option<i64>,
    /// That customer's id in the company's systems.
    pub external_ref: Option<String>,
}

/// Who signed in through an OpenID Connect provider, with the email the
/// provider verified.
#[derive(Debug, Clone)]
pub struct OidcSignIn {
    pub issuer: String,
    pub subject: String,
    pub email: String,
    pub display_name: String,
}

/// A member's new browser session: only the SHA-256 of the cookie is kept.
#[derive(Debug, Clone)]
pub struct NewMemberSession {
    pub member: MemberId,
    pub token_hash: String,
    pub csrf: String,
    pub expires_at: Timestamp,
}

/// A live member session.
#[derive(Debug, Clone)]
pub struct MemberSession {
    pub member: Member,
    pub csrf: String,
}

/// A board on the community's home, with how many visible topics it has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BoardSummary {
    pub board: Board,
    pub topics: u64,
}

/// A topic as a board lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TopicSummary {
    pub id: TopicId,
    pub board: BoardId,
    pub kind: TopicKind,
    pub title: String,
    pub author: MemberId,
    pub author_name: String,
    pub replies: u32,
    pub solved: bool,
    pub locked: bool,
    pub hidden: bool,
    pub created_at: Timestamp,
    pub last_post_at: Timestamp,
}

/// One transaction as a member's points page shows it: what it moved into
/// or out of their account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LedgerEntry {
    pub key: String,
    pub kind: TxKind,
    pub amount: i64,
    pub created_at: Timestamp,
}

/// One line of the moderation log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModerationEntry {
    pub id: i64,
    pub actor: MemberId,
    pub actor_name: String,
    pub action: String,
    pub subject: String,
    pub reason: String,
    pub created_at: Timestamp,
}

/// Staff's answer to an idea.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IdeaAnswer {
    pub idea: IdeaId,
    pub by: MemberId,
    pub by_name: String,
    pub body_markdown: String,
    /// Sanitised when written.
    pub body_html: String,
    pub answered_at: Timestamp,
}

/// The community's data, behind one interface (implemented by
/// [`SqliteStore`](crate::SqliteStore)).
#[async_trait]
pub trait CommunityStore: Send + Sync + 'static {
    /// Creates a member; an email already taken is refused.
    async fn create_member(&self, member: NewMember) -> Result<Member, CommunityStoreError>;
    async fn community_member(&self, id: MemberId) -> Result<Option<Member>, CommunityStoreError>;

    /// Creates a board (staff only).
    async fn create_board(&self, actor: Actor, board: NewBoard) -> Result<Board, CommunityStoreError>;

    /// Creates a topic with its first post, in a board the actor can see.
    async fn create_topic(&self, actor: Actor, topic: NewTopic) -> Result<(Topic, Post), CommunityStoreError>;

    /// Replies to a visible, unlocked topic.
    async fn reply(&self, actor: Actor, topic: TopicId, body: String) -> Result<Post, CommunityStoreError>;

    /// Replaces a post's text (its author only), keeping the old text as a
    /// revision.
    async fn edit_post(&self, actor: Actor, post: PostId, body: String) -> Result<Post, CommunityStoreError>;

    /// A post's earlier texts, oldest first.
    async fn post_revisions(&self, post: PostId) -> Result<Vec<PostRevision>, CommunityStoreError>;

    /// Accepts a reply as a question's solution (the asker or staff) and
    /// awards its author `points.solution` in the same commit (nothing when
    /// the asker answered themselves).
    async fn accept_solution(
        &self,
        actor: Actor,
        topic: TopicId,
        post: PostId,
        points: PointsConfig,
    ) -> Result<Solution, CommunityStoreError>;

    /// Gives kudos to a post (once per member, never to one's own post),
    /// awarding its author `points.kudos`.
    async fn give_kudos(&self, actor: Actor, post: PostId, points: PointsConfig) -> Result<Kudos, CommunityStoreError>;

    /// Hides a post (staff only, with a reason): it leaves search, a
    /// solution it was stops being one, the points it earned (its solution
    /// and its kudos) are reversed, and its open reports are resolved.
    /// Answers the reversals.
    async fn hide_post(
        &self,
        actor: Actor,
        post: PostId,
        reason: String,
    ) -> Result<Vec<Transaction>, CommunityStoreError>;

    /// Reports a post to the moderators (once per member per post; not
    /// one's own).
    async fn report_post(&self, actor: Actor, post: PostId, reason: String) -> Result<Report, CommunityStoreError>;

    /// Open reports, oldest first (staff only).
    async fn open_reports(&self, actor: Actor, limit: u32) -> Result<Vec<Report>, CommunityStoreError>;

    /// Moves a topic to another board (staff only, with a reason; logged).
    async fn move_topic(
        &self,
        actor: Actor,
        topic: TopicId,
        board: BoardId,
        reason: String,
    ) -> Result<Topic, CommunityStoreError>;

    /// Locks a topic against replies and edits, or unlocks it (staff only,
    /// with a reason; logged).
    async fn set_topic_locked(
        &self,
        actor: Actor,
        topic: TopicId,
        locked: bool,
        reason: String,
    ) -> Result<Topic, CommunityStoreError>;

    /// Bans a member (nothing they do is accepted any more) or lifts the
    /// ban (staff only, with a reason; logged). Staff cannot ban staff.
    async fn set_member_banned(
        &self,
        actor: Actor,
        member: MemberId,
        banned: bool,
        reason: String,
    ) -> Result<Member, CommunityStoreError>;

    async fn create_idea(&self, actor: Actor, idea: NewIdea) -> Result<Idea, CommunityStoreError>;
    async fn idea(&self, id: IdeaId) -> Result<Option<Idea>, CommunityStoreError>;

    /// One vote per member per idea; none on a closed idea.
    async fn vote(&self, actor: Actor, idea: IdeaId) -> Result<Idea, CommunityStoreError>;

    /// Moves an idea to a new status (staff only); shipping it awards its
    /// author `points.idea_shipped` (once, whatever happens after).
    async fn set_idea_status(
        &self,
        actor: Actor,
        idea: IdeaId,
        status: IdeaStatus,
        points: PointsConfig,
    ) -> Result<Idea, CommunityStoreError>;

    /// Merges idea `duplicate` into `target` (staff only): the duplicate's
    /// votes move to the target, a member who voted on both counting once,
    /// and the duplicate becomes `duplicate` pointing at the target.
    async fn merge_ideas(
        &self,
        actor: Actor,
        duplicate: IdeaId,
        target: IdeaId,
        reason: String,
    ) -> Result<MergeOutcome, CommunityStoreError>;

    /// Redeems the actor's points; `request_id` makes a retry harmless.
    async fn redeem_points(
        &self,
        actor: Actor,
        request_id: String,
        amount: i64,
        to: Redemption,
    ) -> Result<Transaction, CommunityStoreError>;

    async fn points_balance(&self, member: MemberId) -> Result<i64, CommunityStoreError>;
    async fn ledger_totals(&self) -> Result<LedgerTotals, CommunityStoreError>;

    /// What a member has done, for ranks and badges.
    async fn member_totals(&self, member: MemberId) -> Result<Totals, CommunityStoreError>;

    // ---- Charity rounds, idea comments and links, the CRM join and the
    // value report (issue 7, second part; records in `community_more`,
    // implemented in `sqlite/community/{charity,idea_more,crm,value}.rs`).

    /// Opens a charity round with its candidates (staff only).
    async fn open_charity_round(
        &self,
        actor: Actor,
        round: NewCharityRound,
    ) -> Result<CharityRound, CommunityStoreError>;
    async fn charity_round(&self, id: RoundId) -> Result<Option<CharityRound>, CommunityStoreError>;
    /// The charity rounds, newest first (for the rounds' page).
    async fn charity_rounds(&self, limit: u32) -> Result<Vec<CharityRound>, CommunityStoreError>;

    /// The actor's one vote in an open round, for one of its candidates.
    async fn vote_in_round(
        &self,
        actor: Actor,
        round: RoundId,
        charity: String,
    ) -> Result<CharityRound, CommunityStoreError>;

    /// Redeems the actor's points as a donation into an open round's pot;
    /// `request_id` makes a retry harmless (it shares the redemptions' ids).
    async fn donate_to_round(
        &self,
        actor: Actor,
        round: RoundId,
        request_id: String,
        amount: i64,
    ) -> Result<Transaction, CommunityStoreError>;

    /// Closes a round (staff only): its pot is paid to the charity with the
    /// most votes in the same commit. Closing a closed round answers it
    /// unchanged.
    async fn close_charity_round(&self, actor: Actor, round: RoundId) -> Result<CharityRound, CommunityStoreError>;

    /// Comments on an idea (not on a duplicate: on the idea it joined).
    async fn comment_on_idea(
        &self,
        actor: Actor,
        idea: IdeaId,
        body: String,
    ) -> Result<IdeaComment, CommunityStoreError>;
    /// An idea's comments, oldest first.
    async fn idea_comments(&self, idea: IdeaId) -> Result<Vec<IdeaComment>, CommunityStoreError>;

    /// Links an idea to a case or incident that asked for it (staff only;
    /// linking twice is harmless).
    async fn link_idea(&self, actor: Actor, idea: IdeaId, link: IdeaLink) -> Result<(), CommunityStoreError>;
    async fn idea_links(&self, idea: IdeaId) -> Result<Vec<IdeaLink>, CommunityStoreError>;
    /// The ideas a case or incident is linked to.
    async fn ideas_linked_to(&self, link: IdeaLink) -> Result<Vec<IdeaId>, CommunityStoreError>;

    /// Links a member to the customer on record with their verified email
    /// (audited); answers the customer, `None` when no record has it.
    async fn link_member_to_customer(&self, member: MemberId) -> Result<Option<i64>, CommunityStoreError>;

    /// What a customer's members did in the community, newest first, at
    /// most `limit` topics and `limit` replies.
    async fn customer_community(&self, customer: i64, limit: u32) -> Result<CustomerCommunity, CommunityStoreError>;

    /// Publishes a case's answer as the accepted solution of a question
    /// (staff only): a staff reply, accepted, linked to the case. Staff
    /// earn no points.
    async fn publish_case_answer(
        &self,
        actor: Actor,
        case_id: i64,
        topic: TopicId,
        body: String,
    ) -> Result<(Post, Solution), CommunityStoreError>;

    /// Turns a topic into a case for the asker's customer (staff only): the
    /// question goes into the case machinery as an inbound forum message,
    /// which opens a case or joins the customer's active one. Asking again
    /// answers the same case.
    async fn topic_to_case(&self, actor: Actor, topic: TopicId) -> Result<TopicCase, CommunityStoreError>;

    /// Counts views of topics with an accepted solution (a batch: one row
    /// per topic per day is written); views of unsolved topics are not
    /// counted. Answers the views counted.
    async fn record_solution_views(&self, views: Vec<TopicId>) -> Result<u64, CommunityStoreError>;

    /// The value report: top contributors and the contacts deflected.
    async fn community_value(&self, config: ValueConfig, top: u32) -> Result<ValueReport, CommunityStoreError>;

    // ---- End of the second part's block.

    /// Topics in public boards whose title or posts match `query`, best
    /// first.
    async fn search_topics(&self, query: String, limit: u32) -> Result<Vec<TopicHit>, CommunityStoreError>;

    /// A topic's page as `viewer` may see it (`None`: signed out); `None`
    /// when there is no such topic or the viewer may not see it.
    async fn topic_page(&self, viewer: Option<Actor>, topic: TopicId)
    -> Result<Option<TopicPage>, CommunityStoreError>;

    async fn community_counts(&self) -> Result<CommunityCounts, CommunityStoreError>;

    // ---- Members' sign-in and listings (the community's web layer; migration 0015) ----

    /// The member with this email (any case), with their password hash.
    async fn member_login(&self, email: String) -> Result<Option<MemberLogin>, CommunityStoreError>;

    async fn create_member_session(&self, session: NewMemberSession) -> Result<(), CommunityStoreError>;

    /// The live (not revoked, not expired at `now`) session with this hash.
    async fn member_session(
        &self,
        token_hash: String,
        now: Timestamp,
    ) -> Result<Option<MemberSession>, CommunityStoreError>;

    async fn revoke_member_session(&self, token_hash: String) -> Result<(), CommunityStoreError>;

    /// Records a verification link's token (its hash) for a member.
    async fn create_email_token(
        &self,
        member: MemberId,
        token_hash: String,
        expires_at: Timestamp,
    ) -> Result<(), CommunityStoreError>;

    /// Uses a verification link: marks its member's email verified and the
    /// link used. `None` when the link is unknown, used or expired.
    async fn verify_member_email(&self, token_hash: String) -> Result<Option<Member>, CommunityStoreError>;

    /// The community member a staff account acts as, created (marked staff)
    /// on first use.
    async fn staff_member(&self, staff_id: i64, display_name: String) -> Result<Member, CommunityStoreError>;

    /// The boards the viewer may see, with their visible topic counts.
    async fn boards(&self, viewer: Option<Actor>) -> Result<Vec<BoardSummary>, CommunityStoreError>;

    /// A board by its slug, if the viewer may see it.
    async fn board_by_slug(&self, viewer: Option<Actor>, slug: String) -> Result<Option<Board>, CommunityStoreError>;

    /// A board's topics the viewer may see, the most recently active first.
    async fn board_topics(
        &self,
        viewer: Option<Actor>,
        board: BoardId,
        limit: u32,
    ) -> Result<Vec<TopicSummary>, CommunityStoreError>;

    /// Ideas, the most voted first (duplicates last).
    async fn ideas(&self, limit: u32) -> Result<Vec<Idea>, CommunityStoreError>;

    /// What each transaction moved into or out of a member's points, newest
    /// first.
    async fn member_ledger(&self, member: MemberId, limit: u32) -> Result<Vec<LedgerEntry>, CommunityStoreError>;

    /// The moderation log, newest first (staff only).
    async fn moderation_log(&self, actor: Actor, limit: u32) -> Result<Vec<ModerationEntry>, CommunityStoreError>;

    /// Answers an idea for staff (staff only; logged), replacing an earlier
    /// answer.
    async fn answer_idea(&self, actor: Actor, idea: IdeaId, body: String) -> Result<IdeaAnswer, CommunityStoreError>;

    async fn idea_answer(&self, idea: IdeaId) -> Result<Option<IdeaAnswer>, CommunityStoreError>;

    // ---- Sign-in through OpenID Connect (migration 0018) ----

    /// The member an OpenID Connect identity belongs to: the one it signed
    /// in as before; else the member (not staff) with the provider-verified
    /// email, linked now and marked verified; else a new member.
    async fn oidc_member(&self, sign_in: OidcSignIn) -> Result<Member, CommunityStoreError>;

    /// Reports a post to the moderators as spam, from the spam filter (a
    /// member made for it), once per post; answers the report's id.
    async fn flag_spam(&self, post: PostId, reason: String) -> Result<i64, CommunityStoreError>;

    /// What each member has done (for ranks), in one read.
    async fn members_totals(&self, members: Vec<MemberId>) -> Result<Vec<(MemberId, Totals)>, CommunityStoreError>;

    /// How many community changes this store has committed since it opened
    /// (a cache of derived figures is good while this has not moved).
    fn community_changes(&self) -> u64;

    /// Points redeemed as account credit, by ledger transaction id after
    /// `after`, at most `limit` (for billing).
    async fn credit_redemptions(&self, after: i64, limit: u32) -> Result<Vec<CreditRedemption>, CommunityStoreError>;
}
