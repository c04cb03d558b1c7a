//! The only crate that knows SQL.
//!
//! [`Store`] is the seam between Firebreak and its database: callers (the
//! engine, the web layer, the CLI) speak in domain types and never see a
//! statement. [`SqliteStore`] is the embedded default: SQLite in WAL mode, one
//! writer thread that commits in groups and answers each caller only once its
//! group is durable, a small pool of reader connections, and FTS5 for search.
//! The trait is shaped so a PostgreSQL backend can implement it later without
//! changes to callers: no SQLite types cross it, ids are plain integers, and
//! every method is async.

mod alerts;
mod baseline;
mod cases;
mod community;
mod community_more;
mod error;
mod firewall;
mod incidents;
mod outbound;
mod query;
mod sqlite;
mod staff;
mod stats;
mod workspace;

use async_trait::async_trait;
use firebreak_domain::{
    CaseId, CustomerId, MessageId, NewCustomer, NewMessage, StoredMessage,
    judgement::Judgement,
    staff::{Role, StaffAccount},
};

pub use alerts::{Alert, AlertKind, MessageContext, NewAlert};
pub use baseline::{BaselineReport, run_raw_baseline, time_raw_search};
pub use cases::{
    AccountEvent, Agent, AssignStrategy, CannedResponse, CaseDetail, CasePage, CaseQuery, CaseSort, CaseUpdate,
    CaseView, ClockView, Consent, Csat, Customer360, EventRecord, MatchProposal, NewAccountEvent, NewPromise, Note,
    Promise, SentimentPoint, SlaEvent, SlaPolicyView, Team,
};
pub use community::{
    BoardSummary, CreditRedemption, IdeaAnswer, LedgerEntry, MemberLogin, MemberSession, ModerationEntry,
    NewMemberSession, OidcSignIn, TopicSummary,
};
pub use community::{
    CommunityCounts, CommunityStore, CommunityStoreError, LedgerTotals, MergeOutcome, NewBoard, NewIdea, NewMember,
    NewTopic, PostView, TopicHit, TopicPage,
};
pub use community_more::{
    CharityRound, CharityTally, CommunityBenchData, CommunityBenchSpec, Contributor, CustomerCommunity, CustomerPost,
    CustomerTopic, DailyViews, IdeaComment, IdeaLink, NewCharityRound, TopicCase, ValueReport,
};
pub use error::StoreError;
pub use firewall::{
    DRIVER_DIMENSIONS, DriverCount, DriverPoint, DriverQuery, DriverReport, DriverSeries, IncidentOutcome,
    OUTCOME_TAIL_MS, Recurrence, RecurrenceItem, recurring,
};
pub use incidents::{
    AffectedCounts, Candidate, CandidateStatus, CreditQuery, CreditReport, CreditRow, Incident, IncidentChange,
    IncidentCounts, IncidentDetail, IncidentFilter, IncidentLink, IncidentNote, LinkTarget, NewCredits, NewIncident,
    Notice, NoticeKind, NoticeTemplate, Outreach, OutreachReport, Skipped, SuppressionPage, SuppressionQuery,
    SuppressionReason, SuppressionRow,
};
pub use outbound::{DeliveryStatus, NewOutbound, OutboundJob, ReplyDelivery};
pub use query::{
    Cursor, CustomerOutcome, FirstResponse, IngestOutcome, MessagePage, MessageQuery, SearchHit, SearchQuery,
    StoreCounts,
};
pub use sqlite::TickReport;
pub use sqlite::{SqliteOptions, SqliteStore};
pub use staff::{ApiTokenInfo, NewApiToken, NewSession, NewStaff, SessionRecord, StaffLogin, TokenRecord};
pub use stats::{Histogram, HistogramSnapshot, StoreStats};
pub use workspace::{
    CsatSummary, CustomerLinks, CustomerSummary, MergeRecord, PeriodStats, QUEUE_COUNT_CAP, QueueCountQuery,
    QueueCounts, QueueGroup, SlaAttainment, SupervisorStats,
};

/// Everything Firebreak keeps, behind one interface.
#[async_trait]
pub trait Store: CommunityStore + Send + Sync + 'static {
    /// Stores a batch of messages atomically: either every message is stored
    /// (or found to be a re-delivery) or none is. Returns only after the batch
    /// is durable, one outcome per message in order. A re-delivery of the same
    /// (channel, external id) returns the existing id with `duplicate: true`,
    /// raising its engagement counts if the new delivery reports higher ones.
    async fn ingest(&self, batch: Vec<NewMessage>) -> Result<Vec<IngestOutcome>, StoreError>;

    /// Creates or updates customers, matched on their external reference.
    /// Atomic and durable like [`Store::ingest`].
    async fn upsert_customers(&self, batch: Vec<NewCustomer>) -> Result<Vec<CustomerOutcome>, StoreError>;

    async fn message(&self, id: MessageId) -> Result<Option<StoredMessage>, StoreError>;

    /// Messages newest first, filtered, one page at a time (keyset pagination).
    async fn messages(&self, query: MessageQuery) -> Result<MessagePage, StoreError>;

    /// Full-text search, best match first.
    async fn search(&self, query: SearchQuery) -> Result<Vec<SearchHit>, StoreError>;

    async fn counts(&self) -> Result<StoreCounts, StoreError>;

    /// Per responding account, the median time from a conversation's first
    /// inbound message to the first outbound one at or after it.
    async fn first_responses(&self) -> Result<Vec<FirstResponse>, StoreError>;

    /// Runs the database's own consistency checks (structure and foreign
    /// keys); `Ok("ok")` when sound.
    /// Promises by outcome (`open`, `due`, `kept`, `broken`) and by who made
    /// them: what the team told customers, and whether it held.
    async fn promise_report(&self) -> Result<serde_json::Value, StoreError>;

    async fn integrity_check(&self) -> Result<String, StoreError>;

    /// A queue of cases, filtered and sorted.
    async fn cases(&self, query: CaseQuery) -> Result<CasePage, StoreError>;

    /// A case with its cross-channel timeline, notes, promises and SLA record.
    async fn case(&self, id: CaseId) -> Result<Option<CaseDetail>, StoreError>;

    /// Applies an agent's changes to a case: status (pending pauses the SLA
    /// clocks, resolved stops them and asks for a satisfaction score),
    /// priority, assignment, tags.
    async fn update_case(&self, id: CaseId, update: CaseUpdate) -> Result<CaseView, StoreError>;

    async fn add_note(&self, id: CaseId, author: String, text: String) -> Result<Note, StoreError>;

    /// Records a promise made to the customer; it must fall due in the future.
    async fn add_promise(&self, id: CaseId, promise: NewPromise) -> Result<Promise, StoreError>;

    /// Records whether a promise was kept.
    async fn settle_promise(&self, promise: i64, kept: bool, by: String) -> Result<Promise, StoreError>;

    /// Stores the answer (1 to 5, and a comment) to a satisfaction request.
    async fn record_csat(&self, token: String, score: u8, comment: Option<String>) -> Result<CaseId, StoreError>;

    /// The customer with this id in the company's systems, if any (following
    /// merges to where they went).
    async fn customer_by_ref(&self, external_ref: String) -> Result<Option<CustomerId>, StoreError>;

    /// Everything about a customer: the 360.
    async fn customer(&self, id: CustomerId) -> Result<Option<Customer360>, StoreError>;

    /// Merges customer `from` into `into`, recording exactly what moved;
    /// returns the merge's id (for undoing it).
    async fn merge_customers(
        &self,
        into: CustomerId,
        from: CustomerId,
        actor: String,
        reason: String,
    ) -> Result<i64, StoreError>;

    /// Undoes a merge, moving back exactly what it moved.
    async fn unmerge(&self, merge: i64, actor: String, reason: String) -> Result<(), StoreError>;

    /// Everything held about a customer, as one JSON document with a schema
    /// (GDPR Art. 15 and 20). `None` for an unknown or erased customer.
    async fn export_customer(&self, id: CustomerId) -> Result<Option<serde_json::Value>, StoreError>;

    /// Erases a customer (GDPR Art. 17): deletes their messages, identities
    /// and records, anonymises the cases kept for reporting, and leaves
    /// nothing of them in the database or WAL files. Returns the number of
    /// messages deleted.
    async fn erase_customer(&self, id: CustomerId, actor: String, reason: String) -> Result<u64, StoreError>;

    /// Records consent given or withdrawn (marketing, proactive contact).
    async fn record_consent(&self, id: CustomerId, consent: Consent) -> Result<(), StoreError>;

    /// The SLA policies in the order they are tried.
    async fn sla_policies(&self) -> Result<Vec<SlaPolicyView>, StoreError>;

    /// Creates or replaces the policy with this name (checked by the caller);
    /// returns its id. New cases use it; open cases keep their due times.
    async fn put_sla_policy(
        &self,
        config: firebreak_domain::sla::SlaPolicyConfig,
        position: Option<i64>,
    ) -> Result<i64, StoreError>;

    async fn delete_sla_policy(&self, name: String) -> Result<(), StoreError>;

    async fn add_team(&self, name: String) -> Result<Team, StoreError>;
    async fn teams(&self) -> Result<Vec<Team>, StoreError>;

    /// Creates an agent, or updates the one with the same email.
    async fn put_agent(&self, agent: Agent) -> Result<Agent, StoreError>;
    async fn agents(&self) -> Result<Vec<Agent>, StoreError>;

    /// Assigns a case to an agent by round-robin in a team, or by skills and load.
    async fn assign_case(&self, case: CaseId, strategy: AssignStrategy, team: Option<i64>)
    -> Result<Agent, StoreError>;

    async fn put_canned(&self, name: String, body: String) -> Result<CannedResponse, StoreError>;
    async fn canned(&self) -> Result<Vec<CannedResponse>, StoreError>;
    /// A canned response with its variables filled in for a case.
    async fn render_canned(&self, name: String, case: CaseId) -> Result<String, StoreError>;

    /// Confirms (linking the person to the customer) or rejects a suggested
    /// match; returns the customer it named.
    async fn decide_proposal(&self, proposal: i64, confirm: bool, by: String) -> Result<CustomerId, StoreError>;

    /// Records an event from the company's systems (order, bill, outage, credit).
    async fn add_account_event(&self, customer: CustomerId, event: NewAccountEvent)
    -> Result<AccountEvent, StoreError>;

    /// Raises the SLA warnings and breaches and the promise reminders that
    /// are due now (by the store's clock).
    async fn tick(&self) -> Result<TickReport, StoreError>;

    /// The id of the newest event in the live log (0 when it is empty).
    async fn latest_event_id(&self) -> Result<i64, StoreError>;

    /// How far an outgoing webhook has been delivered (0 before the first
    /// delivery; a new endpoint starts from the newest event).
    async fn webhook_cursor(&self, url: String) -> Result<Option<i64>, StoreError>;

    /// Records that an outgoing webhook has been delivered up to `event`.
    async fn set_webhook_cursor(&self, url: String, event: i64) -> Result<(), StoreError>;

    /// The live event log after `after`, oldest first.
    async fn events_after(&self, after: i64, limit: u32) -> Result<Vec<EventRecord>, StoreError>;

    /// Replaces the stored judgement of messages (a new triage model);
    /// returns how many of them exist.
    async fn set_triage(&self, batch: Vec<(MessageId, Judgement)>) -> Result<usize, StoreError>;

    /// Creates a staff account (or gives a password-less agent row one).
    async fn create_staff(&self, staff: NewStaff) -> Result<StaffAccount, StoreError>;
    async fn staff_account(&self, id: i64) -> Result<Option<StaffAccount>, StoreError>;
    async fn staff_accounts(&self) -> Result<Vec<StaffAccount>, StoreError>;
    /// An account with its password hash, by email, for signing in.
    async fn staff_login(&self, email: String) -> Result<Option<StaffLogin>, StoreError>;
    /// Replaces a password and revokes every session and token issued before.
    async fn set_staff_password(&self, id: i64, password_hash: String) -> Result<(), StoreError>;
    /// Disables (revoking sessions and tokens) or enables an account.
    async fn set_staff_disabled(&self, id: i64, disabled: bool) -> Result<StaffAccount, StoreError>;
    async fn set_staff_role(&self, id: i64, role: Role) -> Result<StaffAccount, StoreError>;
    async fn create_session(&self, session: NewSession) -> Result<(), StoreError>;
    /// A live session by the hash of its cookie secret.
    async fn session(&self, token_hash: String) -> Result<Option<SessionRecord>, StoreError>;
    async fn revoke_session(&self, token_hash: String) -> Result<(), StoreError>;
    async fn create_api_token(&self, token: NewApiToken) -> Result<ApiTokenInfo, StoreError>;
    /// A live API token by its public prefix.
    async fn api_token(&self, prefix: String) -> Result<Option<TokenRecord>, StoreError>;
    async fn api_tokens(&self, agent: i64) -> Result<Vec<ApiTokenInfo>, StoreError>;
    /// Revokes a token; with `owner`, only if it is theirs.
    async fn revoke_api_token(&self, id: i64, owner: Option<i64>) -> Result<(), StoreError>;

    /// Queues a reply for delivery; the same idempotency key again answers
    /// the reply already queued.
    async fn enqueue_reply(&self, reply: NewOutbound) -> Result<ReplyDelivery, StoreError>;
    /// Claims up to `limit` replies due now for an attempt (each becomes
    /// `sending`).
    async fn claim_replies(&self, limit: u32) -> Result<Vec<OutboundJob>, StoreError>;
    /// Records a sent reply: its message joins the timeline (answering the
    /// case like any outbound message) in the same commit that marks it sent.
    async fn reply_sent(&self, id: i64, external_id: String, message: NewMessage) -> Result<ReplyDelivery, StoreError>;
    /// Records a failed attempt: to retry at `retry_at`, or failed for good.
    async fn reply_failed(
        &self,
        id: i64,
        error: String,
        retry_at: Option<firebreak_domain::Timestamp>,
    ) -> Result<ReplyDelivery, StoreError>;
    /// Marks attempts cut short by a stop as `unknown`; returns how many.
    async fn recover_replies(&self) -> Result<usize, StoreError>;
    /// Customers whose id, email, phone, reference on record or handle is
    /// `q`, who mentioned `q` as an order, account or booking number, or
    /// whose name starts with `q`; strongest match first, merged customers
    /// followed to where they went.
    async fn search_customers(&self, q: String, limit: u32) -> Result<Vec<CustomerSummary>, StoreError>;

    /// The merges into a customer (to undo one) and the open suggestions
    /// that one of their identities is someone else on record.
    async fn customer_links(&self, id: CustomerId) -> Result<CustomerLinks, StoreError>;

    /// How many active cases each of a person's inbox queues holds.
    async fn queue_counts(&self, query: QueueCountQuery) -> Result<QueueCounts, StoreError>;

    /// Queue sizes and ages by team and channel, SLA results, breaches,
    /// satisfaction and agents' load, as of `now`.
    async fn supervisor_stats(&self, now: firebreak_domain::Timestamp) -> Result<SupervisorStats, StoreError>;

    /// Counters for `/metrics`.
    /// The customer, postal area, case and author of stored messages (for
    /// the detectors, which see a message after it is stored).
    async fn message_contexts(&self, ids: Vec<MessageId>) -> Result<Vec<MessageContext>, StoreError>;

    /// Records an alert and its `alert.spark` / `alert.burst` event.
    async fn record_alert(&self, alert: NewAlert) -> Result<Alert, StoreError>;

    /// The newest alerts first.
    async fn alerts(&self, limit: u32) -> Result<Vec<Alert>, StoreError>;

    async fn alert(&self, id: i64) -> Result<Option<Alert>, StoreError>;

    fn stats(&self) -> StoreStats;

    /// Commits whatever is queued and stops the writer. Later writes fail.
    async fn close(&self) -> Result<(), StoreError>;

    // The firewall reports (issue 6): contact drivers and incident outcomes.

    /// Adds the detectors' counts of contact drivers and records that
    /// messages up to `through` are counted, in one commit.
    async fn add_drivers(&self, counts: Vec<DriverCount>, through: MessageId) -> Result<(), StoreError>;
    /// The highest message id the contact drivers have counted.
    async fn drivers_through(&self) -> Result<MessageId, StoreError>;
    /// Stored messages with ids in `(after, through]` in id order, at most
    /// `limit` (what the detectors catch up on when they start).
    async fn watch_rows(
        &self,
        after: MessageId,
        through: MessageId,
        limit: u32,
    ) -> Result<Vec<StoredMessage>, StoreError>;
    /// The highest stored message id, and the lowest id of a message
    /// written at or after `since`.
    async fn watch_bounds(
        &self,
        since: firebreak_domain::Timestamp,
    ) -> Result<(MessageId, Option<MessageId>), StoreError>;
    /// Contact drivers on one dimension by bucket and value.
    async fn driver_points(&self, query: DriverQuery) -> Result<Vec<DriverPoint>, StoreError>;
    /// What became of each incident started in `[from, to)`, oldest first.
    async fn incident_outcomes(
        &self,
        from: firebreak_domain::Timestamp,
        to: firebreak_domain::Timestamp,
        now: firebreak_domain::Timestamp,
    ) -> Result<Vec<IncidentOutcome>, StoreError>;

    // Incidents (issue 6): candidates, incidents, links, outreach, credits,
    // suppression.

    /// Records a burst the detector raised; returns the candidate's id.
    async fn add_candidate(&self, c: firebreak_domain::incident::NewCandidate) -> Result<i64, StoreError>;
    /// Candidates newest first, with this status or any.
    async fn candidates(&self, status: Option<CandidateStatus>, limit: u32) -> Result<Vec<Candidate>, StoreError>;
    async fn candidate(&self, id: i64) -> Result<Option<Candidate>, StoreError>;
    /// Opens a candidate as an incident (its key; its areas and products
    /// those of the key; started at the bucket that crossed), links its
    /// sample messages and marks it opened, in one transaction. Opening it
    /// again answers the same incident; a dismissed one is refused.
    async fn open_candidate(&self, id: i64, by: String) -> Result<Incident, StoreError>;
    async fn dismiss_candidate(&self, id: i64, by: String) -> Result<Candidate, StoreError>;
    /// Creates an incident (checked by the engine); returns its id.
    async fn create_incident(&self, incident: NewIncident) -> Result<i64, StoreError>;
    /// Every case linked to an incident (and not unlinked), by id.
    async fn linked_cases(&self, id: i64) -> Result<Vec<CaseId>, StoreError>;
    async fn incident(&self, id: i64) -> Result<Option<IncidentDetail>, StoreError>;
    /// Open incidents first, newest first.
    async fn incidents(&self, filter: IncidentFilter) -> Result<Vec<Incident>, StoreError>;
    /// Changes an incident; a change of status is noted as an internal
    /// update, and resolving stamps `resolved_at`.
    async fn update_incident(&self, id: i64, change: IncidentChange, by: String) -> Result<Incident, StoreError>;
    /// Adds a public (status page) or internal update.
    async fn add_incident_update(
        &self,
        id: i64,
        public: bool,
        text: String,
        by: String,
    ) -> Result<IncidentNote, StoreError>;
    /// The updates of an incident, newest first (only public ones if asked).
    async fn incident_updates(&self, id: i64, public_only: bool) -> Result<Vec<IncidentNote>, StoreError>;
    /// An agent links a message (with its case) or a case.
    async fn link_incident(&self, id: i64, target: LinkTarget, by: String) -> Result<(), StoreError>;
    /// An agent unlinks; automatic linking will not add it again.
    async fn unlink_incident(&self, id: i64, target: LinkTarget, by: String) -> Result<(), StoreError>;
    /// Links each message (and its case) to every open incident it matches
    /// and that had started by its time (see `sqlite::incidents`), except
    /// where an agent unlinked it. Returns how many message links were made.
    async fn link_new_messages(
        &self,
        items: Vec<(MessageId, firebreak_domain::incident::Facets, firebreak_domain::Timestamp)>,
    ) -> Result<usize, StoreError>;
    /// The customers an incident affects (by area, product or service).
    async fn affected_customers(&self, id: i64) -> Result<Vec<CustomerId>, StoreError>;
    /// Queues notices or follow-ups to affected customers in one writer job.
    async fn queue_outreach(&self, id: i64, outreach: Outreach) -> Result<OutreachReport, StoreError>;
    /// The notices of an incident by id, after `after`.
    async fn notices(&self, incident: i64, after: i64, limit: u32) -> Result<Vec<Notice>, StoreError>;
    /// Claims up to `limit` notices due now (each becomes `sending`).
    async fn claim_notices(&self, limit: u32) -> Result<Vec<Notice>, StoreError>;
    async fn notice_sent(&self, id: i64, external_id: String, request: String) -> Result<(), StoreError>;
    async fn notice_failed(
        &self,
        id: i64,
        error: String,
        retry_at: Option<firebreak_domain::Timestamp>,
        request: Option<String>,
    ) -> Result<(), StoreError>;
    /// Marks notices cut short by a stop as `unknown`; returns how many.
    async fn recover_notices(&self) -> Result<usize, StoreError>;
    /// Credits every affected customer once (per incident and customer).
    async fn issue_credits(&self, id: i64, credits: NewCredits) -> Result<CreditReport, StoreError>;
    async fn credits(&self, query: CreditQuery) -> Result<Vec<CreditRow>, StoreError>;
    /// Customers who must not get marketing now, with why.
    async fn suppression(&self, query: SuppressionQuery) -> Result<SuppressionPage, StoreError>;
    async fn incident_counts(&self) -> Result<IncidentCounts, StoreError>;
}
