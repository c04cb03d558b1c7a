//! The embedded SQLite backend of [`Store`](crate::Store).
//!
//! One file, `firebreak.db`, in the data directory, in WAL mode with
//! `synchronous=FULL`: a commit returns only after its WAL frames are on disk.
//! A single writer thread owns the write connection ([`writer`]); readers
//! borrow connections from a small pool ([`reader`]) on tokio's blocking
//! threads. Another process (an `import` while `serve` runs) can open the same
//! directory: SQLite's file locks serialise the writers, and each waits up to
//! `busy_timeout` for the other.

mod admin;
mod alerts;
mod case_api;
mod cases;
mod community;
mod customer_search;
mod dashboards;
mod firewall;
mod incidents;
mod judgement;
mod merges;
mod migrations;
mod outbound;
mod outreach;
mod people;
mod privacy;
mod reader;
mod reports;
mod rows;
mod search;
mod staff;
mod threads;

pub use cases::TickReport;
pub(crate) use search::fts_query;
mod writer;

use std::{
    path::{Path, PathBuf},
    sync::Arc,
    time::Duration,
};

use async_trait::async_trait;
use firebreak_domain::{
    CaseId, Clock, CustomerId, MessageId, NewCustomer, NewMessage, StoredMessage, SystemClock, Timestamp,
    judgement::Judgement,
};
use rusqlite::{Connection, OpenFlags, OptionalExtension};

use crate::{
    AccountEvent, Agent, AssignStrategy, CannedResponse, CaseDetail, CasePage, CaseQuery, CaseUpdate, CaseView,
    Consent, Customer360, CustomerOutcome, EventRecord, FirstResponse, IngestOutcome, MessagePage, MessageQuery,
    NewAccountEvent, NewPromise, Note, Promise, SearchHit, SearchQuery, SlaPolicyView, Store, StoreCounts, StoreError,
    StoreStats, Team, stats::StatsInner,
};
use crate::{ApiTokenInfo, NewApiToken, NewSession, NewStaff, SessionRecord, StaffLogin, TokenRecord};
use crate::{
    Candidate, CandidateStatus, CreditQuery, CreditReport, CreditRow, Incident, IncidentChange, IncidentCounts,
    IncidentDetail, IncidentFilter, IncidentNote, LinkTarget, NewCredits, NewIncident, Notice, Outreach,
    OutreachReport, SuppressionPage, SuppressionQuery,
};
use crate::{CustomerLinks, CustomerSummary, QueueCountQuery, QueueCounts, SupervisorStats};
use crate::{NewOutbound, OutboundJob, ReplyDelivery};
use firebreak_domain::staff::{Role, StaffAccount};

/// How the SQLite store is set up.
#[derive(Clone)]
pub struct SqliteOptions {
    /// Reader connections in the pool.
    pub readers: usize,
    /// The most messages one group commit takes before it commits.
    pub max_group_messages: usize,
    /// How long a writer waits for another process's write lock.
    pub busy_timeout: Duration,
    pub clock: Arc<dyn Clock>,
    /// How long after resolution a customer's new message reopens the case.
    pub reopen_window: Duration,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        SqliteOptions {
            readers: 4,
            max_group_messages: 8192,
            busy_timeout: Duration::from_secs(30),
            clock: Arc::new(SystemClock),
            reopen_window: Duration::from_secs(7 * 86_400),
        }
    }
}

/// The file name of the database inside the data directory.
pub const DB_FILE: &str = "firebreak.db";

/// The embedded store. Cheap to share behind an `Arc`.
pub struct SqliteStore {
    path: PathBuf,
    writer: writer::WriterHandle,
    /// Dropping it stops the checkpointer.
    _checkpointer: std::sync::mpsc::Sender<()>,
    readers: Arc<reader::Pool>,
    stats: Arc<StatsInner>,
    clock: Arc<dyn Clock>,
}

/// Sets the connection-level pragmas every connection needs.
fn configure(conn: &Connection, busy: Duration) -> Result<(), rusqlite::Error> {
    conn.busy_timeout(busy)?;
    // Foreign keys are declared in the schema and kept by the write path
    // (tests run `PRAGMA foreign_key_check`), not enforced per statement:
    // enforcement makes SQLite open a statement journal for every write.
    conn.pragma_update(None, "foreign_keys", "OFF")?;
    conn.pragma_update(None, "cache_size", -32_000)?; // about 32 MB
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    // Deleted content is overwritten with zeros, so an erased person's data
    // does not linger in free space in the file.
    conn.pragma_update(None, "secure_delete", "ON")?;
    conn.set_prepared_statement_cache_capacity(128);
    // The query planner stability guarantee: plans do not depend on the
    // values bound to parameters. Without it SQLite re-prepares a statement
    // whenever a value it looked at while planning changes, which on the
    // write path is every row.
    conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    Ok(())
}

impl SqliteStore {
    /// Opens (creating if needed) the database in `dir`, applies migrations
    /// and starts the writer.
    pub fn open(dir: &Path, opts: SqliteOptions) -> Result<SqliteStore, StoreError> {
        let open_err = |reason: String| StoreError::Open { path: dir.display().to_string(), reason };
        std::fs::create_dir_all(dir).map_err(|e| open_err(e.to_string()))?;
        let path = dir.join(DB_FILE);
        let mut conn = Connection::open(&path).map_err(|e| open_err(e.to_string()))?;
        configure(&conn, opts.busy_timeout).map_err(|e| open_err(e.to_string()))?;
        let mode: String = conn
            .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
            .map_err(|e| open_err(format!("cannot switch to WAL mode: {e}")))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(open_err(format!("the database is in {mode} mode and cannot switch to WAL")));
        }
        conn.pragma_update(None, "synchronous", "FULL").map_err(|e| open_err(e.to_string()))?;
        migrations::migrate(&mut conn).map_err(|e| open_err(e.to_string()))?;

        let stats = StatsInner::new();
        let mut readers = Vec::with_capacity(opts.readers.max(1));
        for _ in 0..opts.readers.max(1) {
            let r = Connection::open_with_flags(
                &path,
                OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI,
            )
            .map_err(|e| open_err(e.to_string()))?;
            configure(&r, opts.busy_timeout).map_err(|e| open_err(e.to_string()))?;
            r.pragma_update(None, "query_only", "ON").map_err(|e| open_err(e.to_string()))?;
            readers.push(r);
        }
        // The writer does not checkpoint: a thread of its own folds the WAL
        // into the database file, so commits never wait for it.
        conn.pragma_update(None, "wal_autocheckpoint", 0).map_err(|e| open_err(e.to_string()))?;
        let checkpointer = spawn_checkpointer(&path, opts.busy_timeout).map_err(|e| open_err(e.to_string()))?;
        let clock = opts.clock.clone();
        let writer = writer::spawn(conn, opts.clone(), stats.clone());
        Ok(SqliteStore {
            path,
            writer,
            _checkpointer: checkpointer,
            readers: Arc::new(reader::Pool::new(readers)),
            stats,
            clock,
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    async fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let pool = self.readers.clone();
        tokio::task::spawn_blocking(move || pool.with(f))
            .await
            .map_err(|e| StoreError::Database(format!("a reader task failed: {e}")))?
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn ingest(&self, batch: Vec<NewMessage>) -> Result<Vec<IngestOutcome>, StoreError> {
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        self.writer.ingest(batch).await
    }

    async fn upsert_customers(&self, batch: Vec<NewCustomer>) -> Result<Vec<CustomerOutcome>, StoreError> {
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        self.writer.customers(batch).await
    }

    async fn message(&self, id: MessageId) -> Result<Option<StoredMessage>, StoreError> {
        self.read(move |c| reader::message(c, id)).await
    }

    async fn messages(&self, query: MessageQuery) -> Result<MessagePage, StoreError> {
        self.read(move |c| reader::messages(c, &query)).await
    }

    async fn search(&self, query: SearchQuery) -> Result<Vec<SearchHit>, StoreError> {
        self.read(move |c| search::search(c, &query)).await
    }

    async fn counts(&self) -> Result<StoreCounts, StoreError> {
        self.read(reader::counts).await
    }

    async fn first_responses(&self) -> Result<Vec<FirstResponse>, StoreError> {
        self.read(reports::first_responses).await
    }

    async fn promise_report(&self) -> Result<serde_json::Value, StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare(
                "SELECT created_by, status, count(*) FROM promises GROUP BY created_by, status ORDER BY 1, 2",
            )?;
            let rows: Vec<(String, String, i64)> =
                stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?.collect::<Result<_, _>>()?;
            let mut total = serde_json::Map::new();
            let mut by: serde_json::Map<String, serde_json::Value> = serde_json::Map::new();
            for (who, status, n) in rows {
                let t = total.entry(status.clone()).or_insert(serde_json::json!(0));
                *t = serde_json::json!(t.as_i64().unwrap_or(0) + n);
                let entry = by.entry(who).or_insert(serde_json::json!({}));
                entry[status] = serde_json::json!(n);
            }
            let n = |k: &str| total.get(k).and_then(serde_json::Value::as_i64).unwrap_or(0);
            let settled = n("kept") + n("broken");
            Ok(serde_json::json!({
                "total": total,
                "kept_rate": if settled > 0 { Some(n("kept") as f64 / settled as f64) } else { None },
                "by_agent": by,
            }))
        })
        .await
    }

    async fn integrity_check(&self) -> Result<String, StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare("PRAGMA integrity_check")?;
            let mut lines: Vec<String> = stmt.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
            // Foreign keys are kept by the write path, not enforced per
            // statement, so the check covers them too.
            let mut fk = c.prepare("PRAGMA foreign_key_check")?;
            let broken: Vec<String> = fk
                .query_map([], |r| {
                    Ok(format!(
                        "foreign key: {} row {:?} points to a missing {}",
                        r.get::<_, String>(0)?,
                        r.get::<_, Option<i64>>(1)?,
                        r.get::<_, String>(2)?
                    ))
                })?
                .collect::<Result<_, _>>()?;
            if !broken.is_empty() {
                lines.retain(|l| l != "ok");
                lines.extend(broken);
            }
            Ok(lines.join("\n"))
        })
        .await
    }

    async fn cases(&self, query: CaseQuery) -> Result<CasePage, StoreError> {
        self.read(move |c| case_api::cases(c, &query)).await
    }

    async fn case(&self, id: CaseId) -> Result<Option<CaseDetail>, StoreError> {
        self.read(move |c| case_api::case_detail(c, id.0)).await
    }

    async fn update_case(&self, id: CaseId, update: CaseUpdate) -> Result<CaseView, StoreError> {
        let token = random_token();
        self.writer.run(move |c, p, now| case_api::update_case(c, p, now, id.0, update, token)).await
    }

    async fn add_note(&self, id: CaseId, author: String, text: String) -> Result<Note, StoreError> {
        self.writer.run(move |c, _, now| case_api::add_note(c, now, id.0, &author, &text)).await
    }

    async fn add_promise(&self, id: CaseId, promise: NewPromise) -> Result<Promise, StoreError> {
        self.writer.run(move |c, _, now| case_api::add_promise(c, now, id.0, &promise)).await
    }

    async fn settle_promise(&self, promise: i64, kept: bool, by: String) -> Result<Promise, StoreError> {
        self.writer.run(move |c, _, now| case_api::settle_promise(c, now, promise, kept, &by)).await
    }

    async fn record_csat(&self, token: String, score: u8, comment: Option<String>) -> Result<CaseId, StoreError> {
        self.writer.run(move |c, _, now| case_api::record_csat(c, now, &token, score, comment.as_deref())).await
    }

    async fn customer_by_ref(&self, external_ref: String) -> Result<Option<CustomerId>, StoreError> {
        self.read(move |c| {
            let found: Option<(i64, Option<i64>)> = c
                .prepare_cached("SELECT id, merged_into FROM customers WHERE external_ref = ?1 AND erased_at IS NULL")?
                .query_row([external_ref], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            Ok(found.map(|(id, into)| CustomerId(into.unwrap_or(id))))
        })
        .await
    }

    async fn customer(&self, id: CustomerId) -> Result<Option<Customer360>, StoreError> {
        self.read(move |c| case_api::customer_360(c, id.0)).await
    }

    async fn export_customer(&self, id: CustomerId) -> Result<Option<serde_json::Value>, StoreError> {
        self.read(move |c| privacy::export(c, id.0)).await
    }

    async fn erase_customer(&self, id: CustomerId, actor: String, reason: String) -> Result<u64, StoreError> {
        let n = self.writer.run(move |c, _, now| privacy::erase(c, now, id.0, &actor, &reason)).await?;
        // The old pages are still in the WAL until it is folded in and cut.
        self.writer.checkpoint().await?;
        Ok(n)
    }

    async fn record_consent(&self, id: CustomerId, consent: Consent) -> Result<(), StoreError> {
        self.writer.run(move |c, _, now| privacy::record_consent(c, now, id.0, &consent)).await
    }

    async fn decide_proposal(&self, proposal: i64, confirm: bool, by: String) -> Result<CustomerId, StoreError> {
        self.writer.run(move |c, _, now| people::decide_proposal(c, now, proposal, confirm, &by).map(CustomerId)).await
    }

    async fn sla_policies(&self) -> Result<Vec<SlaPolicyView>, StoreError> {
        self.read(|c| {
            Ok(admin::sla_policies(c)?
                .into_iter()
                .map(|(id, position, config)| SlaPolicyView { id, position, config })
                .collect())
        })
        .await
    }

    async fn put_sla_policy(
        &self,
        config: firebreak_domain::sla::SlaPolicyConfig,
        position: Option<i64>,
    ) -> Result<i64, StoreError> {
        self.writer.run(move |c, _, _| admin::put_sla_policy(c, &config, position)).await
    }

    async fn delete_sla_policy(&self, name: String) -> Result<(), StoreError> {
        self.writer.run(move |c, _, _| admin::delete_sla_policy(c, &name)).await
    }

    async fn add_team(&self, name: String) -> Result<Team, StoreError> {
        self.writer.run(move |c, _, _| admin::add_team(c, &name)).await
    }

    async fn teams(&self) -> Result<Vec<Team>, StoreError> {
        self.read(admin::teams).await
    }

    async fn put_agent(&self, agent: Agent) -> Result<Agent, StoreError> {
        self.writer.run(move |c, _, _| admin::put_agent(c, &agent)).await
    }

    async fn agents(&self) -> Result<Vec<Agent>, StoreError> {
        self.read(admin::agents).await
    }

    async fn assign_case(
        &self,
        case: CaseId,
        strategy: AssignStrategy,
        team: Option<i64>,
    ) -> Result<Agent, StoreError> {
        self.writer.run(move |c, _, now| admin::assign(c, now, case.0, strategy, team)).await
    }

    async fn put_canned(&self, name: String, body: String) -> Result<CannedResponse, StoreError> {
        self.writer.run(move |c, _, _| admin::put_canned(c, &name, &body)).await
    }

    async fn canned(&self) -> Result<Vec<CannedResponse>, StoreError> {
        self.read(admin::canned).await
    }

    async fn render_canned(&self, name: String, case: CaseId) -> Result<String, StoreError> {
        self.read(move |c| admin::render_canned(c, &name, case.0)).await
    }

    async fn merge_customers(
        &self,
        into: CustomerId,
        from: CustomerId,
        actor: String,
        reason: String,
    ) -> Result<i64, StoreError> {
        self.writer.run(move |c, _, now| merges::merge(c, now, from.0, into.0, &actor, &reason)).await
    }

    async fn unmerge(&self, merge: i64, actor: String, reason: String) -> Result<(), StoreError> {
        self.writer.run(move |c, _, now| merges::unmerge(c, now, merge, &actor, &reason)).await
    }

    async fn add_account_event(
        &self,
        customer: CustomerId,
        event: NewAccountEvent,
    ) -> Result<AccountEvent, StoreError> {
        self.writer.run(move |c, _, now| case_api::add_account_event(c, now, customer.0, &event)).await
    }

    async fn tick(&self) -> Result<TickReport, StoreError> {
        self.writer.run(|c, _, now| cases::tick(c, now)).await
    }

    async fn webhook_cursor(&self, url: String) -> Result<Option<i64>, StoreError> {
        self.read(move |c| {
            Ok(c.prepare_cached("SELECT last_event FROM webhook_cursors WHERE url = ?1")?
                .query_row([url], |r| r.get(0))
                .optional()?)
        })
        .await
    }

    async fn set_webhook_cursor(&self, url: String, event: i64) -> Result<(), StoreError> {
        self.writer
            .run(move |c, _, _| {
                c.prepare_cached(
                    "INSERT INTO webhook_cursors (url, last_event) VALUES (?1, ?2) \
                     ON CONFLICT (url) DO UPDATE SET last_event = max(last_event, excluded.last_event)",
                )?
                .execute(rusqlite::params![url, event])?;
                Ok(())
            })
            .await
    }

    async fn latest_event_id(&self) -> Result<i64, StoreError> {
        self.read(|c| Ok(c.query_row("SELECT coalesce(max(id), 0) FROM events", [], |r| r.get(0))?)).await
    }

    async fn events_after(&self, after: i64, limit: u32) -> Result<Vec<EventRecord>, StoreError> {
        self.read(move |c| case_api::events_after(c, after, limit)).await
    }

    async fn set_triage(&self, batch: Vec<(MessageId, Judgement)>) -> Result<usize, StoreError> {
        self.writer.run(move |c, _, _| rows::set_triage(c, &batch)).await
    }

    async fn create_staff(&self, staff: NewStaff) -> Result<StaffAccount, StoreError> {
        self.writer.run(move |c, _, now| staff::create_staff(c, &staff, now)).await
    }

    async fn staff_account(&self, id: i64) -> Result<Option<StaffAccount>, StoreError> {
        self.read(move |c| staff::account(c, id)).await
    }

    async fn staff_accounts(&self) -> Result<Vec<StaffAccount>, StoreError> {
        self.read(staff::accounts).await
    }

    async fn staff_login(&self, email: String) -> Result<Option<StaffLogin>, StoreError> {
        self.read(move |c| staff::login(c, &email)).await
    }

    async fn set_staff_password(&self, id: i64, password_hash: String) -> Result<(), StoreError> {
        self.writer.run(move |c, _, now| staff::set_password(c, id, &password_hash, now)).await
    }

    async fn set_staff_disabled(&self, id: i64, disabled: bool) -> Result<StaffAccount, StoreError> {
        self.writer.run(move |c, _, now| staff::set_disabled(c, id, disabled, now)).await
    }

    async fn set_staff_role(&self, id: i64, role: Role) -> Result<StaffAccount, StoreError> {
        self.writer.run(move |c, _, _| staff::set_role(c, id, role)).await
    }

    async fn create_session(&self, session: NewSession) -> Result<(), StoreError> {
        self.writer.run(move |c, _, now| staff::create_session(c, &session, now)).await
    }

    async fn session(&self, token_hash: String) -> Result<Option<SessionRecord>, StoreError> {
        let now = self.clock.now();
        self.read(move |c| staff::session(c, &token_hash, now)).await
    }

    async fn revoke_session(&self, token_hash: String) -> Result<(), StoreError> {
        self.writer.run(move |c, _, now| staff::revoke_session(c, &token_hash, now)).await
    }

    async fn create_api_token(&self, token: NewApiToken) -> Result<ApiTokenInfo, StoreError> {
        self.writer.run(move |c, _, now| staff::create_token(c, &token, now)).await
    }

    async fn api_token(&self, prefix: String) -> Result<Option<TokenRecord>, StoreError> {
        let now = self.clock.now();
        self.read(move |c| staff::token(c, &prefix, now)).await
    }

    async fn api_tokens(&self, agent: i64) -> Result<Vec<ApiTokenInfo>, StoreError> {
        self.read(move |c| staff::tokens(c, agent)).await
    }

    async fn revoke_api_token(&self, id: i64, owner: Option<i64>) -> Result<(), StoreError> {
        self.writer.run(move |c, _, now| staff::revoke_token(c, id, owner, now)).await
    }

    async fn enqueue_reply(&self, reply: NewOutbound) -> Result<ReplyDelivery, StoreError> {
        self.writer.run(move |c, _, now| outbound::enqueue(c, &reply, now)).await
    }

    async fn claim_replies(&self, limit: u32) -> Result<Vec<OutboundJob>, StoreError> {
        self.writer.run(move |c, _, now| outbound::claim(c, now, limit)).await
    }

    async fn reply_sent(&self, id: i64, external_id: String, message: NewMessage) -> Result<ReplyDelivery, StoreError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.writer
            .ingest_then(vec![message], move |c, outcomes, now| {
                let d = outbound::sent(c, id, &external_id, outcomes.first().map(|o| o.id), now)?;
                let _ = tx.send(d);
                Ok(())
            })
            .await?;
        rx.await.map_err(|_| StoreError::Database("the sent reply was not recorded".into()))
    }

    async fn reply_failed(
        &self,
        id: i64,
        error: String,
        retry_at: Option<firebreak_domain::Timestamp>,
    ) -> Result<ReplyDelivery, StoreError> {
        self.writer.run(move |c, _, now| outbound::failed(c, id, &error, retry_at, now)).await
    }

    async fn recover_replies(&self) -> Result<usize, StoreError> {
        self.writer.run(|c, _, now| outbound::recover(c, now)).await
    }

    async fn search_customers(&self, q: String, limit: u32) -> Result<Vec<CustomerSummary>, StoreError> {
        self.read(move |c| customer_search::search(c, &q, limit)).await
    }

    async fn customer_links(&self, id: CustomerId) -> Result<CustomerLinks, StoreError> {
        self.read(move |c| customer_search::links(c, id.0)).await
    }

    async fn queue_counts(&self, query: QueueCountQuery) -> Result<QueueCounts, StoreError> {
        self.read(move |c| dashboards::queue_counts(c, &query)).await
    }

    async fn supervisor_stats(&self, now: firebreak_domain::Timestamp) -> Result<SupervisorStats, StoreError> {
        self.read(move |c| dashboards::supervisor_stats(c, now)).await
    }

    async fn message_contexts(&self, ids: Vec<MessageId>) -> Result<Vec<crate::MessageContext>, StoreError> {
        self.read(move |c| alerts::contexts(c, &ids)).await
    }

    async fn record_alert(&self, alert: crate::NewAlert) -> Result<crate::Alert, StoreError> {
        self.writer.run(move |c, _, now| alerts::record(c, now, &alert)).await
    }

    async fn alerts(&self, limit: u32) -> Result<Vec<crate::Alert>, StoreError> {
        self.read(move |c| alerts::list(c, limit)).await
    }

    async fn alert(&self, id: i64) -> Result<Option<crate::Alert>, StoreError> {
        self.read(move |c| alerts::get(c, id)).await
    }

    async fn add_drivers(&self, counts: Vec<crate::DriverCount>, through: MessageId) -> Result<(), StoreError> {
        self.writer.run(move |c, _, _| firewall::add_drivers(c, &counts, through)).await
    }

    async fn linked_cases(&self, id: i64) -> Result<Vec<CaseId>, StoreError> {
        self.read(move |c| incidents::linked_cases(c, id)).await
    }

    async fn drivers_through(&self) -> Result<MessageId, StoreError> {
        self.read(firewall::drivers_through).await
    }

    async fn watch_rows(
        &self,
        after: MessageId,
        through: MessageId,
        limit: u32,
    ) -> Result<Vec<StoredMessage>, StoreError> {
        self.read(move |c| firewall::watch_rows(c, after, through, limit)).await
    }

    async fn watch_bounds(&self, since: Timestamp) -> Result<(MessageId, Option<MessageId>), StoreError> {
        self.read(move |c| firewall::watch_bounds(c, since)).await
    }

    async fn driver_points(&self, query: crate::DriverQuery) -> Result<Vec<crate::DriverPoint>, StoreError> {
        self.read(move |c| firewall::driver_points(c, &query)).await
    }

    async fn incident_outcomes(
        &self,
        from: Timestamp,
        to: Timestamp,
        now: Timestamp,
    ) -> Result<Vec<crate::IncidentOutcome>, StoreError> {
        self.read(move |c| firewall::outcomes(c, now, from, to)).await
    }

    fn stats(&self) -> StoreStats {
        self.stats.snapshot()
    }

    async fn close(&self) -> Result<(), StoreError> {
        self.writer.close().await
    }

    async fn add_candidate(&self, c: firebreak_domain::incident::NewCandidate) -> Result<i64, StoreError> {
        self.writer.run(move |conn, _, now| incidents::add_candidate(conn, now, &c)).await
    }

    async fn candidates(&self, status: Option<CandidateStatus>, limit: u32) -> Result<Vec<Candidate>, StoreError> {
        self.read(move |c| incidents::candidates(c, status, limit)).await
    }

    async fn candidate(&self, id: i64) -> Result<Option<Candidate>, StoreError> {
        self.read(move |c| incidents::candidate(c, id)).await
    }

    async fn open_candidate(&self, id: i64, by: String) -> Result<Incident, StoreError> {
        self.writer.run(move |c, _, now| incidents::open_candidate(c, now, id, &by)).await
    }

    async fn dismiss_candidate(&self, id: i64, by: String) -> Result<Candidate, StoreError> {
        self.writer.run(move |c, _, now| incidents::dismiss_candidate(c, now, id, &by)).await
    }

    async fn create_incident(&self, incident: NewIncident) -> Result<i64, StoreError> {
        self.writer.run(move |c, _, now| incidents::create_incident(c, now, &incident, None)).await
    }

    async fn incident(&self, id: i64) -> Result<Option<IncidentDetail>, StoreError> {
        self.read(move |c| incidents::detail(c, id)).await
    }

    async fn incidents(&self, filter: IncidentFilter) -> Result<Vec<Incident>, StoreError> {
        self.read(move |c| incidents::incidents(c, filter)).await
    }

    async fn update_incident(&self, id: i64, change: IncidentChange, by: String) -> Result<Incident, StoreError> {
        self.writer.run(move |c, _, now| incidents::update_incident(c, now, id, &change, &by)).await
    }

    async fn add_incident_update(
        &self,
        id: i64,
        public: bool,
        text: String,
        by: String,
    ) -> Result<IncidentNote, StoreError> {
        self.writer.run(move |c, _, now| incidents::add_update(c, now, id, public, &text, &by)).await
    }

    async fn incident_updates(&self, id: i64, public_only: bool) -> Result<Vec<IncidentNote>, StoreError> {
        self.read(move |c| incidents::updates(c, id, public_only)).await
    }

    async fn link_incident(&self, id: i64, target: LinkTarget, by: String) -> Result<(), StoreError> {
        self.writer.run(move |c, _, now| incidents::link(c, now, id, target, &by)).await
    }

    async fn unlink_incident(&self, id: i64, target: LinkTarget, by: String) -> Result<(), StoreError> {
        self.writer.run(move |c, _, now| incidents::unlink(c, now, id, target, &by)).await
    }

    async fn link_new_messages(
        &self,
        items: Vec<(MessageId, firebreak_domain::incident::Facets, firebreak_domain::Timestamp)>,
    ) -> Result<usize, StoreError> {
        if items.is_empty() {
            return Ok(0);
        }
        self.writer.run(move |c, _, now| incidents::link_new_messages(c, now, &items)).await
    }

    async fn affected_customers(&self, id: i64) -> Result<Vec<CustomerId>, StoreError> {
        self.read(move |c| outreach::affected_ids(c, id)).await
    }

    async fn queue_outreach(&self, id: i64, outreach: Outreach) -> Result<OutreachReport, StoreError> {
        self.writer.run(move |c, _, now| outreach::outreach(c, now, id, &outreach)).await
    }

    async fn notices(&self, incident: i64, after: i64, limit: u32) -> Result<Vec<Notice>, StoreError> {
        self.read(move |c| outreach::notices(c, incident, after, limit)).await
    }

    async fn claim_notices(&self, limit: u32) -> Result<Vec<Notice>, StoreError> {
        self.writer.run(move |c, _, now| outreach::claim_notices(c, now, limit)).await
    }

    async fn notice_sent(&self, id: i64, external_id: String, request: String) -> Result<(), StoreError> {
        self.writer.run(move |c, _, now| outreach::notice_sent(c, now, id, &external_id, &request)).await
    }

    async fn notice_failed(
        &self,
        id: i64,
        error: String,
        retry_at: Option<firebreak_domain::Timestamp>,
        request: Option<String>,
    ) -> Result<(), StoreError> {
        self.writer.run(move |c, _, _| outreach::notice_failed(c, id, &error, retry_at, request.as_deref())).await
    }

    async fn recover_notices(&self) -> Result<usize, StoreError> {
        self.writer.run(|c, _, _| outreach::recover_notices(c)).await
    }

    async fn issue_credits(&self, id: i64, credits: NewCredits) -> Result<CreditReport, StoreError> {
        self.writer.run(move |c, _, now| outreach::credit(c, now, id, &credits)).await
    }

    async fn credits(&self, query: CreditQuery) -> Result<Vec<CreditRow>, StoreError> {
        self.read(move |c| outreach::credit_rows(c, query)).await
    }

    async fn suppression(&self, query: SuppressionQuery) -> Result<SuppressionPage, StoreError> {
        self.read(move |c| outreach::suppression(c, query)).await
    }

    async fn incident_counts(&self) -> Result<IncidentCounts, StoreError> {
        self.read(outreach::counts).await
    }
}

/// The WAL size at which the checkpointer copies it into the database.
const CHECKPOINT_WAL_BYTES: u64 = 16 * 1024 * 1024;

/// Starts the thread that checkpoints the WAL (PASSIVE: it never blocks the
/// writer) whenever it has grown past [`CHECKPOINT_WAL_BYTES`]. It stops when
/// the returned sender is dropped.
fn spawn_checkpointer(db: &Path, busy: Duration) -> Result<std::sync::mpsc::Sender<()>, rusqlite::Error> {
    let conn = Connection::open(db)?;
    configure(&conn, busy)?;
    let wal = PathBuf::from(format!("{}-wal", db.display()));
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    std::thread::Builder::new()
        .name("firebreak-checkpoint".into())
        .spawn(move || {
            loop {
                match rx.recv_timeout(Duration::from_millis(200)) {
                    Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
                    _ => return,
                }
                let big = std::fs::metadata(&wal).map(|m| m.len() > CHECKPOINT_WAL_BYTES).unwrap_or(false);
                if big && let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
                    tracing::warn!(error = %e, "a WAL checkpoint failed; the next one will try again");
                }
            }
        })
        .map_err(|e| rusqlite::Error::ToSqlConversionFailure(e.into()))?;
    Ok(tx)
}

/// 128 random bits as hex: the token of a satisfaction request link.
fn random_token() -> String {
    let mut bytes = [0u8; 16];
    if getrandom::fill(&mut bytes).is_err() {
        // The OS has no randomness to give; fall back on time and a counter,
        // which is unique if guessable.
        static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        bytes[..8].copy_from_slice(&firebreak_domain::Timestamp::now().unix_millis().to_le_bytes());
        bytes[8..].copy_from_slice(&n.to_le_bytes());
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
