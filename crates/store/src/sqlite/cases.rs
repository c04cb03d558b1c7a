//! Cases on the write path: which case a customer's message joins, what a
//! brand's reply does to it, status changes, and the SLA clocks.
//!
//! The rules (`domain::case`, `domain::sla`) are pure; this module applies them
//! inside the writer's transaction, so a message and its effect on its case
//! commit together.

use firebreak_domain::{
    Channel, NewMessage, Timestamp,
    case::{CaseStatus, Priority},
    sla::{ClockKind, SlaPolicy, SlaPolicyConfig},
};
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde_json::json;

use super::{people::AuthorRow, threads::Joined};
use crate::StoreError;

/// The rules the writer applies to cases: the SLA policies, in order, and
/// how long after resolution a customer's new message reopens a case rather
/// than opening a new one.
pub struct Policies {
    list: Vec<(i64, SlaPolicy)>,
    reopen_window_ms: i64,
}

impl Policies {
    pub fn load(conn: &Connection, reopen_window_ms: i64) -> Result<Policies, StoreError> {
        let mut stmt = conn.prepare_cached("SELECT id, config FROM sla_policies ORDER BY position, id")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?;
        let mut out = Vec::new();
        for row in rows {
            let (id, config) = row?;
            let parsed = serde_json::from_str::<SlaPolicyConfig>(&config)
                .map_err(|e| e.to_string())
                .and_then(|c| SlaPolicy::from_config(c).map_err(|e| format!("{e:?}")));
            match parsed {
                Ok(p) => out.push((id, p)),
                Err(e) => tracing::error!(policy = id, error = %e, "a stored SLA policy is invalid; it is skipped"),
            }
        }
        Ok(Policies { list: out, reopen_window_ms })
    }

    fn for_case(&self, channel: Channel, priority: Priority) -> Option<(i64, &SlaPolicy)> {
        self.list.iter().find(|(_, p)| p.applies(channel, priority)).map(|(id, p)| (*id, p))
    }

    fn by_id(&self, id: Option<i64>) -> Option<&SlaPolicy> {
        id.and_then(|id| self.list.iter().find(|(i, _)| *i == id)).map(|(_, p)| p)
    }
}

/// One clock's stored state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Clock {
    due: Option<i64>,
    alert: Option<i64>,
    left: Option<i64>,
}

impl Clock {
    fn running(self) -> bool {
        self.due.is_some()
    }
}

/// The parts of a case the write path reads and writes.
#[derive(Debug, Clone)]
pub struct CaseRow {
    pub id: i64,
    pub status: CaseStatus,
    pub priority: Priority,
    policy: Option<i64>,
    first_response_at: Option<i64>,
    resolved_at: Option<i64>,
    clocks: [Clock; 3],
    /// The row as read, so that saving an unchanged case touches no index.
    read: Option<Box<CaseRow>>,
}

impl PartialEq for CaseRow {
    fn eq(&self, o: &CaseRow) -> bool {
        self.id == o.id
            && self.status == o.status
            && self.priority == o.priority
            && self.policy == o.policy
            && self.first_response_at == o.first_response_at
            && self.resolved_at == o.resolved_at
            && self.clocks == o.clocks
    }
}

const CASE_COLUMNS: &str = "id, customer_id, status, priority, sla_policy_id, first_response_at, resolved_at, \
    fr_due, fr_alert, fr_left, nr_due, nr_alert, nr_left, res_due, res_alert, res_left";

pub(crate) fn ms(t: Timestamp) -> i64 {
    t.unix_millis()
}

pub(crate) fn ts(ms: i64) -> Timestamp {
    Timestamp::from_unix_millis(ms).unwrap_or_else(|_| Timestamp::now())
}

fn case_from_row(r: &Row<'_>) -> rusqlite::Result<CaseRow> {
    let status: String = r.get(2)?;
    let clock =
        |i| -> rusqlite::Result<Clock> { Ok(Clock { due: r.get(i)?, alert: r.get(i + 1)?, left: r.get(i + 2)? }) };
    let mut row = CaseRow {
        id: r.get(0)?,
        status: CaseStatus::parse(&status).unwrap_or(CaseStatus::Open),
        priority: Priority::from_rank(r.get(3)?),
        policy: r.get(4)?,
        first_response_at: r.get(5)?,
        resolved_at: r.get(6)?,
        clocks: [clock(7)?, clock(10)?, clock(13)?],
        read: None,
    };
    row.read = Some(Box::new(row.clone()));
    Ok(row)
}

pub fn load(conn: &Connection, id: i64) -> Result<Option<CaseRow>, StoreError> {
    Ok(conn
        .prepare_cached(&format!("SELECT {CASE_COLUMNS} FROM cases WHERE id = ?1"))?
        .query_row([id], case_from_row)
        .optional()?)
}

fn index(kind: ClockKind) -> usize {
    match kind {
        ClockKind::FirstResponse => 0,
        ClockKind::NextResponse => 1,
        ClockKind::Resolution => 2,
    }
}

impl CaseRow {
    fn clock(&mut self, kind: ClockKind) -> &mut Clock {
        &mut self.clocks[index(kind)]
    }

    /// Starts a clock from `start`, if the policy has a target for it.
    fn start(&mut self, policy: Option<&SlaPolicy>, kind: ClockKind, start: Timestamp) {
        let Some(p) = policy else { return };
        let (Some(target), Some(warn_left)) = (p.target_ms(kind), p.warn_left_ms(kind)) else { return };
        let cal = p.calendar(kind);
        *self.clock(kind) = Clock {
            due: Some(ms(cal.add(start, target))),
            alert: Some(ms(cal.add(start, target - warn_left))),
            left: None,
        };
    }

    /// Stops a clock at `at`, recording whether its target was met.
    fn stop(&mut self, conn: &Connection, kind: ClockKind, at: Timestamp) -> Result<(), StoreError> {
        let c = *self.clock(kind);
        if let Some(due) = c.due {
            let met = ms(at) <= due;
            sla_event(conn, self.id, kind, if met { "met" } else { "breached_at_stop" }, due, at)?;
        }
        *self.clock(kind) = Clock::default();
        Ok(())
    }

    fn pause(&mut self, policy: Option<&SlaPolicy>, now: Timestamp) {
        let Some(p) = policy else { return };
        for kind in ClockKind::ALL {
            let c = self.clock(kind);
            if let Some(due) = c.due {
                *c = Clock { due: None, alert: None, left: Some(p.left_at(kind, ts(due), now)) };
            }
        }
    }

    fn resume(&mut self, policy: Option<&SlaPolicy>, now: Timestamp) {
        let Some(p) = policy else { return };
        for kind in ClockKind::ALL {
            let warn_left = p.warn_left_ms(kind).unwrap_or(0);
            let c = self.clock(kind);
            if let Some(left) = c.left {
                let due = p.resume(kind, left, now);
                let alert = if left > warn_left { p.resume(kind, left - warn_left, now) } else { due.min(now) };
                *c = Clock { due: Some(ms(due)), alert: Some(ms(alert)), left: None };
            }
        }
    }

    fn due_at(&self) -> Option<i64> {
        self.clocks.iter().filter_map(|c| c.due).min()
    }

    fn alert_at(&self) -> Option<i64> {
        self.clocks.iter().filter_map(|c| c.alert).min()
    }

    fn save(&self, conn: &Connection, now: Timestamp) -> Result<(), StoreError> {
        if self.read.as_deref() == Some(self) {
            // Nothing indexed changed: only the time of the update.
            conn.prepare_cached("UPDATE OR IGNORE cases SET updated_at = ?2 WHERE id = ?1")?
                .execute(params![self.id, ms(now)])?;
            return Ok(());
        }
        let [fr, nr, res] = self.clocks;
        conn.prepare_cached(
            "UPDATE OR IGNORE cases SET status = ?2, priority = ?3, first_response_at = ?4, resolved_at = ?5, \
             fr_due = ?6, fr_alert = ?7, fr_left = ?8, nr_due = ?9, nr_alert = ?10, nr_left = ?11, \
             res_due = ?12, res_alert = ?13, res_left = ?14, due_at = ?15, alert_at = ?16, updated_at = ?17, \
             paused_at = CASE WHEN ?2 = 'pending' THEN coalesce(paused_at, ?17) ELSE NULL END, \
             active = ?2 IN ('new', 'open', 'pending'), due_sort = coalesce(?15, 9223372036854775807) WHERE id = ?1",
        )?
        .execute(params![
            self.id,
            self.status.as_str(),
            self.priority.rank(),
            self.first_response_at,
            self.resolved_at,
            fr.due,
            fr.alert,
            fr.left,
            nr.due,
            nr.alert,
            nr.left,
            res.due,
            res.alert,
            res.left,
            self.due_at(),
            self.alert_at(),
            ms(now)
        ])?;
        Ok(())
    }
}

/// Writes a case row back after the write path changed it.
pub fn save_row(conn: &Connection, case: &CaseRow, now: Timestamp) -> Result<(), StoreError> {
    case.save(conn, now)
}

/// Appends to the live event log.
pub fn event(
    conn: &Connection,
    now: Timestamp,
    kind: &str,
    case: Option<i64>,
    payload: serde_json::Value,
) -> Result<(), StoreError> {
    conn.prepare_cached("INSERT OR IGNORE INTO events (at, kind, case_id, payload) VALUES (?1, ?2, ?3, ?4)")?
        .execute(params![ms(now), kind, case, payload.to_string()])?;
    Ok(())
}

fn sla_event(
    conn: &Connection,
    case: i64,
    kind: ClockKind,
    what: &str,
    due: i64,
    at: Timestamp,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT OR IGNORE INTO sla_events (case_id, clock, kind, due_at, at) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![case, kind.as_str(), what, due, ms(at)])?;
    Ok(())
}

fn subject(m: &NewMessage) -> String {
    let text = m.text.as_str().trim();
    let line = text.lines().next().unwrap_or("");
    let mut end = line.len().min(140);
    while !line.is_char_boundary(end) {
        end -= 1;
    }
    line[..end].to_owned()
}

fn create(
    conn: &Connection,
    policies: &Policies,
    customer: i64,
    m: &NewMessage,
    priority: Priority,
    start: Timestamp,
    now: Timestamp,
) -> Result<CaseRow, StoreError> {
    let policy = policies.for_case(m.channel, priority);
    let mut case = CaseRow {
        id: 0,
        status: CaseStatus::New,
        priority,
        policy: policy.map(|p| p.0),
        first_response_at: None,
        resolved_at: None,
        clocks: Default::default(),
        read: None,
    };
    case.start(policy.map(|p| p.1), ClockKind::FirstResponse, start);
    case.start(policy.map(|p| p.1), ClockKind::Resolution, start);
    let [fr, _, res] = case.clocks;
    let n = conn
        .prepare_cached(
            "INSERT OR IGNORE INTO cases (customer_id, status, priority, channel, subject, sla_policy_id, opened_at, \
             updated_at, fr_due, fr_alert, res_due, res_alert, due_at, alert_at, active, due_sort) \
             VALUES (?1, 'new', ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, 1, coalesce(?12, 9223372036854775807))",
        )?
        .execute(params![
            customer,
            priority.rank(),
            m.channel.as_str(),
            subject(m),
            case.policy,
            ms(start),
            ms(now),
            fr.due,
            fr.alert,
            res.due,
            res.alert,
            case.due_at(),
            case.alert_at()
        ])?;
    case.id = super::rows::inserted_id(conn, n, "case")?;
    Ok(case)
}

fn reopen(conn: &Connection, case: &mut CaseRow, policies: &Policies, start: Timestamp) -> Result<(), StoreError> {
    conn.prepare_cached("UPDATE OR IGNORE cases SET reopened = reopened + 1, closed_at = NULL WHERE id = ?1")?
        .execute([case.id])?;
    let policy = policies.by_id(case.policy);
    case.status = CaseStatus::Open;
    case.resolved_at = None;
    case.start(policy, ClockKind::Resolution, start);
    if case.first_response_at.is_some() {
        case.start(policy, ClockKind::NextResponse, start);
    } else {
        case.start(policy, ClockKind::FirstResponse, start);
    }
    Ok(())
}

fn find_for_customer(
    conn: &Connection,
    customer: i64,
    now: Timestamp,
    reopen_window_ms: i64,
) -> Result<Option<CaseRow>, StoreError> {
    let active: Option<CaseRow> = conn
        .prepare_cached(&format!(
            "SELECT {CASE_COLUMNS} FROM cases WHERE customer_id = ?1 AND status IN ('new', 'open', 'pending') \
             ORDER BY opened_at DESC, id DESC LIMIT 1"
        ))?
        .query_row([customer], case_from_row)
        .optional()?;
    if active.is_some() {
        return Ok(active);
    }
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {CASE_COLUMNS} FROM cases WHERE customer_id = ?1 AND status = 'resolved' AND resolved_at >= ?2 \
             ORDER BY resolved_at DESC, id DESC LIMIT 1"
        ))?
        .query_row(params![customer, ms(now) - reopen_window_ms], case_from_row)
        .optional()?)
}

fn conversation_case(conn: &Connection, conversation: i64) -> Result<Option<i64>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT case_id FROM conversations WHERE id = ?1")?
        .query_row([conversation], |r| r.get::<_, Option<i64>>(0))
        .optional()?
        .flatten())
}

/// The case a customer's new message joins: its conversation's case while
/// that is active (or resolved within the reopen window, which reopens it),
/// else the customer's active case, else their recently resolved one, else a
/// new case. Returns the case id.
#[allow(clippy::too_many_arguments)]
pub fn on_inbound(
    conn: &Connection,
    policies: &Policies,
    m: &NewMessage,
    author: AuthorRow,
    customer: i64,
    conversation: Joined,
    priority: Priority,
    now: Timestamp,
) -> Result<i64, StoreError> {
    let start = m.created_at.min(now);
    let recent = |c: &CaseRow| {
        c.status == CaseStatus::Resolved && c.resolved_at.unwrap_or(0) >= ms(now) - policies.reopen_window_ms
    };
    // A new conversation has no case yet, and a new customer has none at all.
    let current = if conversation.new { None } else { conversation_case(conn, conversation.id)? };
    let mut found = match current {
        Some(id) => load(conn, id)?.filter(|c| c.status.is_active() || recent(c)),
        None => None,
    };
    if found.is_none() && !author.new_customer {
        found = find_for_customer(conn, customer, now, policies.reopen_window_ms)?;
    }
    let conversation = conversation.id;
    let case = match found {
        None => {
            let case = create(conn, policies, customer, m, priority, start, now)?;
            event(
                conn,
                now,
                "case.created",
                Some(case.id),
                json!({ "case_id": case.id, "customer_id": customer,
                "priority": case.priority, "channel": m.channel }),
            )?;
            case
        }
        Some(mut case) => {
            let policy = policies.by_id(case.policy);
            if case.status == CaseStatus::Resolved {
                reopen(conn, &mut case, policies, start)?;
                event(conn, now, "case.reopened", Some(case.id), json!({ "case_id": case.id }))?;
            } else {
                if case.status == CaseStatus::Pending {
                    case.status = CaseStatus::Open;
                    case.resume(policy, now);
                }
                let nr = case.clocks[index(ClockKind::NextResponse)];
                if case.first_response_at.is_some() && !nr.running() && nr.left.is_none() {
                    case.start(policy, ClockKind::NextResponse, start);
                }
            }
            case.priority = case.priority.max(priority);
            case.save(conn, now)?;
            event(
                conn,
                now,
                "case.updated",
                Some(case.id),
                json!({ "case_id": case.id, "reason": "customer_message" }),
            )?;
            case
        }
    };
    conn.prepare_cached("UPDATE OR IGNORE conversations SET case_id = ?2 WHERE id = ?1")?
        .execute(params![conversation, case.id])?;
    Ok(case.id)
}

/// A brand's reply: it answers the case of the conversation it joins, which
/// stops the first-response (or next-response) clock.
pub fn on_outbound(
    conn: &Connection,
    m: &NewMessage,
    conversation: Joined,
    now: Timestamp,
) -> Result<Option<i64>, StoreError> {
    if conversation.new {
        return Ok(None);
    }
    let Some(id) = conversation_case(conn, conversation.id)? else { return Ok(None) };
    let Some(mut case) = load(conn, id)? else { return Ok(None) };
    if !case.status.is_active() {
        return Ok(Some(id));
    }
    let at = m.created_at.min(now);
    if case.first_response_at.is_none() {
        case.first_response_at = Some(ms(at));
        case.stop(conn, ClockKind::FirstResponse, at)?;
    }
    case.stop(conn, ClockKind::NextResponse, at)?;
    if case.status == CaseStatus::New {
        case.status = CaseStatus::Open;
    }
    case.save(conn, now)?;
    event(conn, now, "case.updated", Some(id), json!({ "case_id": id, "reason": "brand_reply" }))?;
    Ok(Some(id))
}

/// Moves a case to a new status: pending pauses the clocks, open resumes
/// them, resolved and closed stop them. Returns the CSAT token when the case
/// was resolved.
pub fn set_status(
    conn: &Connection,
    policies: &Policies,
    case: &mut CaseRow,
    to: CaseStatus,
    now: Timestamp,
    csat_token: impl FnOnce() -> String,
) -> Result<Option<String>, StoreError> {
    let from = case.status;
    if from == to {
        return Ok(None);
    }
    let policy = policies.by_id(case.policy);
    let mut token = None;
    match to {
        CaseStatus::Pending => case.pause(policy, now),
        CaseStatus::New | CaseStatus::Open => {
            if from == CaseStatus::Pending {
                case.resume(policy, now);
            } else if matches!(from, CaseStatus::Resolved | CaseStatus::Closed) {
                reopen(conn, case, policies, now)?;
            }
        }
        CaseStatus::Resolved | CaseStatus::Closed => {
            if from == CaseStatus::Pending {
                case.resume(policy, now);
            }
            for kind in ClockKind::ALL {
                case.stop(conn, kind, now)?;
            }
            if to == CaseStatus::Resolved {
                case.resolved_at = Some(ms(now));
                let t = csat_token();
                conn.prepare_cached(
                    "UPDATE cases SET csat_token = ?2, csat_requested_at = ?3, csat_score = NULL, \
                     csat_comment = NULL, csat_at = NULL WHERE id = ?1",
                )?
                .execute(params![case.id, t, ms(now)])?;
                token = Some(t);
            } else {
                conn.prepare_cached("UPDATE cases SET closed_at = ?2 WHERE id = ?1")?
                    .execute(params![case.id, ms(now)])?;
            }
        }
    }
    case.status = if to == CaseStatus::New { CaseStatus::Open } else { to };
    case.save(conn, now)?;
    event(
        conn,
        now,
        "case.updated",
        Some(case.id),
        json!({ "case_id": case.id, "status": case.status, "from": from }),
    )?;
    Ok(token)
}

/// What the SLA timer did in one tick.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct TickReport {
    pub warnings: u64,
    pub breaches: u64,
    pub promise_reminders: u64,
    pub promises_due: u64,
}

/// Raises every SLA warning and breach, and every promise reminder, that is
/// due at `now`; each once.
pub fn tick(conn: &Connection, now: Timestamp) -> Result<TickReport, StoreError> {
    let mut report = TickReport::default();
    let ids: Vec<i64> = conn
        .prepare_cached("SELECT id FROM cases WHERE alert_at <= ?1 ORDER BY alert_at LIMIT 10000")?
        .query_map([ms(now)], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for id in ids {
        let Some(mut case) = load(conn, id)? else { continue };
        for kind in ClockKind::ALL {
            let c = *case.clock(kind);
            let (Some(due), Some(alert)) = (c.due, c.alert) else { continue };
            if alert > ms(now) {
                continue;
            }
            if ms(now) >= due {
                sla_event(conn, id, kind, "breach", due, now)?;
                event(conn, now, "sla.breach", Some(id), json!({ "case_id": id, "clock": kind, "due_at": ts(due) }))?;
                case.clock(kind).alert = None;
                report.breaches += 1;
            } else {
                sla_event(conn, id, kind, "warning", due, now)?;
                event(conn, now, "sla.warning", Some(id), json!({ "case_id": id, "clock": kind, "due_at": ts(due) }))?;
                case.clock(kind).alert = Some(due);
                report.warnings += 1;
            }
        }
        case.save(conn, now)?;
    }
    // Promises: a reminder an hour (or a tenth of the time given, if less)
    // before they fall due, and a notice when they do.
    let reminders: Vec<(i64, i64, i64)> = conn
        .prepare_cached(
            "SELECT id, case_id, due_at FROM promises WHERE status = 'open' AND reminded_at IS NULL \
             AND due_at - min(3600000, (due_at - created_at) / 10) <= ?1",
        )?
        .query_map([ms(now)], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    for (id, case, due) in reminders {
        conn.prepare_cached("UPDATE promises SET reminded_at = ?2 WHERE id = ?1")?.execute(params![id, ms(now)])?;
        event(
            conn,
            now,
            "promise.due_soon",
            Some(case),
            json!({ "promise_id": id, "case_id": case, "due_at": ts(due) }),
        )?;
        report.promise_reminders += 1;
    }
    let overdue: Vec<(i64, i64, i64)> = conn
        .prepare_cached("SELECT id, case_id, due_at FROM promises WHERE status = 'open' AND due_at <= ?1")?
        .query_map([ms(now)], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    for (id, case, due) in overdue {
        conn.prepare_cached("UPDATE promises SET status = 'due' WHERE id = ?1")?.execute([id])?;
        event(conn, now, "promise.due", Some(case), json!({ "promise_id": id, "case_id": case, "due_at": ts(due) }))?;
        report.promises_due += 1;
    }
    Ok(report)
}
