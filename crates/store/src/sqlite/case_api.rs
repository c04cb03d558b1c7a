//! Reading and changing cases and customers: the queries behind queues, the
//! case view and the customer 360, and the commands agents issue.

use firebreak_domain::{
    CaseId, Channel, CustomerId, DisplayName, Email, Handle, Identity, IdentityId, Phone, PlatformUserId, PostalArea,
    Timestamp,
    case::{CaseStatus, Priority},
    sla::ClockKind,
};
use rusqlite::{Connection, OptionalExtension, Row, ToSql, params};
use serde_json::json;

use super::{
    cases::{self, Policies},
    rows::{MESSAGE_COLUMNS, message_from_row},
};
use crate::{
    AccountEvent, CaseDetail, CasePage, CaseQuery, CaseSort, CaseUpdate, CaseView, ClockView, Consent, Csat,
    Customer360, MatchProposal, NewAccountEvent, NewPromise, Note, Promise, SentimentPoint, SlaEvent, StoreError,
};

fn ts(ms: i64) -> Timestamp {
    Timestamp::from_unix_millis(ms).unwrap_or_else(|_| Timestamp::now())
}

fn invalid(field: &str, code: &'static str, message: impl Into<String>) -> StoreError {
    StoreError::Invalid { field: field.into(), code, message: message.into() }
}

const VIEW_COLUMNS: &str = "c.id, c.customer_id, cu.name, c.status, c.priority, c.channel, c.subject, c.team_id, \
    c.agent_id, p.name, c.opened_at, c.updated_at, c.first_response_at, c.resolved_at, c.closed_at, c.reopened, \
    c.due_at, c.fr_due, c.fr_left, c.nr_due, c.nr_left, c.res_due, c.res_left, c.csat_requested_at, c.csat_score, \
    c.csat_comment, c.csat_at, (SELECT group_concat(tag, char(31)) FROM case_tags t WHERE t.case_id = c.id), \
    c.csat_token";

const VIEW_FROM: &str =
    "cases c JOIN customers cu ON cu.id = c.customer_id LEFT JOIN sla_policies p ON p.id = c.sla_policy_id";

fn view_from_row(r: &Row<'_>) -> rusqlite::Result<CaseView> {
    let status: String = r.get(3)?;
    let channel: String = r.get(5)?;
    let clock = |kind: ClockKind, i: usize| -> rusqlite::Result<ClockView> {
        let due: Option<i64> = r.get(i)?;
        let left: Option<i64> = r.get(i + 1)?;
        let state = match (due, left) {
            (Some(_), _) => "running",
            (None, Some(_)) => "paused",
            _ => "stopped",
        };
        Ok(ClockView { clock: kind, state, due_at: due.map(ts), left_ms: left })
    };
    let requested: Option<i64> = r.get(23)?;
    let tags: Option<String> = r.get(27)?;
    let mut tags: Vec<String> = tags.map(|t| t.split('\u{1f}').map(str::to_owned).collect()).unwrap_or_default();
    tags.sort();
    Ok(CaseView {
        id: CaseId(r.get(0)?),
        customer_id: CustomerId(r.get(1)?),
        customer_name: r.get(2)?,
        status: CaseStatus::parse(&status).unwrap_or(CaseStatus::Open),
        priority: Priority::from_rank(r.get(4)?),
        channel: Channel::parse(&channel).unwrap_or(Channel::WebForm),
        subject: r.get(6)?,
        team_id: r.get(7)?,
        agent_id: r.get(8)?,
        sla_policy: r.get(9)?,
        opened_at: ts(r.get(10)?),
        updated_at: ts(r.get(11)?),
        first_response_at: r.get::<_, Option<i64>>(12)?.map(ts),
        resolved_at: r.get::<_, Option<i64>>(13)?.map(ts),
        closed_at: r.get::<_, Option<i64>>(14)?.map(ts),
        reopened: r.get::<_, i64>(15)? as u32,
        due_at: r.get::<_, Option<i64>>(16)?.map(ts),
        clocks: vec![
            clock(ClockKind::FirstResponse, 17)?,
            clock(ClockKind::NextResponse, 19)?,
            clock(ClockKind::Resolution, 21)?,
        ],
        tags,
        csat: match requested {
            Some(at) => Some(Csat {
                token: r.get::<_, Option<String>>(28)?.unwrap_or_default(),
                requested_at: ts(at),
                score: r.get::<_, Option<i64>>(24)?.map(|s| s as u8),
                comment: r.get(25)?,
                answered_at: r.get::<_, Option<i64>>(26)?.map(ts),
            }),
            None => None,
        },
    })
}

pub fn case_view(conn: &Connection, id: i64) -> Result<Option<CaseView>, StoreError> {
    Ok(conn
        .prepare_cached(&format!("SELECT {VIEW_COLUMNS} FROM {VIEW_FROM} WHERE c.id = ?1"))?
        .query_row([id], view_from_row)
        .optional()?)
}

/// A queue of cases, filtered and sorted.
pub fn cases(conn: &Connection, q: &CaseQuery) -> Result<CasePage, StoreError> {
    let mut sql = format!("SELECT {VIEW_COLUMNS} FROM {VIEW_FROM} WHERE 1");
    let mut args: Vec<Box<dyn ToSql>> = Vec::new();
    let mut arg = |sql: &mut String, clause: &str, v: Box<dyn ToSql>| {
        args.push(v);
        sql.push_str(&clause.replace('?', &format!("?{}", args.len())));
    };
    let statuses: Vec<CaseStatus> = if q.statuses.is_empty() {
        vec![CaseStatus::New, CaseStatus::Open, CaseStatus::Pending]
    } else {
        q.statuses.clone()
    };
    let active_only = q.statuses.is_empty() || statuses.iter().all(|s| s.is_active()) && statuses.len() == 3;
    if active_only {
        // The queue index: (active, priority, due_sort, id).
        sql.push_str(" AND c.active = 1");
    } else {
        let list: Vec<String> = statuses.iter().map(|s| format!("'{}'", s.as_str())).collect();
        sql.push_str(&format!(" AND c.status IN ({})", list.join(",")));
    }
    if let Some(p) = q.priority {
        arg(&mut sql, " AND c.priority = ?", Box::new(p.rank()));
    }
    if let Some(a) = q.agent_id {
        arg(&mut sql, " AND c.agent_id = ?", Box::new(a));
    }
    if let Some(t) = q.team_id {
        arg(&mut sql, " AND c.team_id = ?", Box::new(t));
    }
    if q.unassigned {
        sql.push_str(" AND c.agent_id IS NULL");
    }
    if let Some(ch) = q.channel {
        arg(&mut sql, " AND c.channel = ?", Box::new(ch.as_str()));
    }
    if let Some(c) = q.customer_id {
        arg(&mut sql, " AND c.customer_id = ?", Box::new(c.0));
    }
    if let Some(tag) = &q.tag {
        arg(&mut sql, " AND c.id IN (SELECT case_id FROM case_tags WHERE tag = ?)", Box::new(tag.clone()));
    }
    if let Some(t) = q.due_before {
        arg(&mut sql, " AND c.due_at < ?", Box::new(t.unix_millis()));
    }
    if let Some(s) = q.sentiment {
        // The customer's latest message on the case, through messages_by_case.
        arg(
            &mut sql,
            " AND (SELECT m.sentiment FROM messages m WHERE m.case_id = c.id AND m.direction = 'in' \
              ORDER BY m.created_at DESC, m.id DESC LIMIT 1) = ?",
            Box::new(s.as_str()),
        );
    }
    sql.push_str(match q.sort {
        CaseSort::Priority => " ORDER BY c.priority, c.due_sort, c.id",
        CaseSort::Due => " ORDER BY c.due_sort, c.priority, c.id",
        CaseSort::Updated => " ORDER BY c.updated_at DESC, c.id DESC",
    });
    let limit = q.limit.clamp(1, 500);
    arg(&mut sql, " LIMIT ?", Box::new(i64::from(limit) + 1));
    arg(&mut sql, " OFFSET ?", Box::new(i64::from(q.offset)));
    let mut stmt = conn.prepare_cached(&sql)?;
    let params: Vec<&dyn ToSql> = args.iter().map(|b| b.as_ref()).collect();
    let mut items: Vec<CaseView> = stmt.query_map(params.as_slice(), view_from_row)?.collect::<Result<_, _>>()?;
    let more = items.len() > limit as usize;
    items.truncate(limit as usize);
    Ok(CasePage { items, more })
}

fn note_from_row(r: &Row<'_>) -> rusqlite::Result<Note> {
    Ok(Note {
        id: r.get(0)?,
        case_id: CaseId(r.get(1)?),
        author: r.get(2)?,
        text: r.get(3)?,
        created_at: ts(r.get(4)?),
    })
}

const PROMISE_COLUMNS: &str = "id, case_id, what, due_at, told_customer, status, created_by, created_at, settled_at";

fn promise_from_row(r: &Row<'_>) -> rusqlite::Result<Promise> {
    Ok(Promise {
        id: r.get(0)?,
        case_id: CaseId(r.get(1)?),
        what: r.get(2)?,
        due_at: ts(r.get(3)?),
        told_customer: r.get(4)?,
        status: r.get(5)?,
        created_by: r.get(6)?,
        created_at: ts(r.get(7)?),
        settled_at: r.get::<_, Option<i64>>(8)?.map(ts),
    })
}

/// A case with its timeline, notes, promises and SLA record.
pub fn case_detail(conn: &Connection, id: i64) -> Result<Option<CaseDetail>, StoreError> {
    let Some(case) = case_view(conn, id)? else { return Ok(None) };
    let timeline = conn
        .prepare_cached(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages m JOIN identities i ON i.id = m.identity_id \
             WHERE m.case_id = ?1 ORDER BY m.created_at, m.id"
        ))?
        .query_map([id], message_from_row)?
        .collect::<Result<_, _>>()?;
    let notes = conn
        .prepare_cached("SELECT id, case_id, author, text, created_at FROM case_notes WHERE case_id = ?1 ORDER BY id")?
        .query_map([id], note_from_row)?
        .collect::<Result<_, _>>()?;
    let promises = conn
        .prepare_cached(&format!("SELECT {PROMISE_COLUMNS} FROM promises WHERE case_id = ?1 ORDER BY due_at, id"))?
        .query_map([id], promise_from_row)?
        .collect::<Result<_, _>>()?;
    let sla_events = conn
        .prepare_cached("SELECT clock, kind, due_at, at FROM sla_events WHERE case_id = ?1 ORDER BY at, id")?
        .query_map([id], |r| {
            let clock: String = r.get(0)?;
            Ok(SlaEvent {
                clock: ClockKind::parse(&clock).unwrap_or(ClockKind::Resolution),
                kind: r.get(1)?,
                due_at: ts(r.get(2)?),
                at: ts(r.get(3)?),
            })
        })?
        .collect::<Result<_, _>>()?;
    let replies = super::outbound::for_case(conn, id)?;
    Ok(Some(CaseDetail { case, timeline, notes, promises, sla_events, replies }))
}

fn require_case(conn: &Connection, id: i64) -> Result<cases::CaseRow, StoreError> {
    cases::load(conn, id)?.ok_or_else(|| StoreError::NotFound(format!("case {id}")))
}

fn clean_tag(t: &str) -> Result<String, StoreError> {
    let t = t.trim().to_lowercase();
    if t.is_empty() || t.len() > 64 || t.chars().any(|c| c.is_control() || c == '\u{1f}') {
        return Err(invalid("tags", "invalid_tag", "a tag is 1 to 64 printable characters"));
    }
    Ok(t)
}

/// Applies an agent's changes to a case.
pub fn update_case(
    conn: &Connection,
    policies: &Policies,
    now: Timestamp,
    id: i64,
    u: CaseUpdate,
    csat_token: String,
) -> Result<CaseView, StoreError> {
    let mut case = require_case(conn, id)?;
    if let Some(Some(agent)) = u.agent_id {
        let exists: bool = conn
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM agents WHERE id = ?1 AND active = 1)")?
            .query_row([agent], |r| r.get(0))?;
        if !exists {
            return Err(invalid("agent_id", "unknown_agent", format!("there is no active agent {agent}")));
        }
    }
    if let Some(Some(team)) = u.team_id {
        let exists: bool = conn
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM teams WHERE id = ?1)")?
            .query_row([team], |r| r.get(0))?;
        if !exists {
            return Err(invalid("team_id", "unknown_team", format!("there is no team {team}")));
        }
    }
    let add: Vec<String> = u.add_tags.iter().map(|t| clean_tag(t)).collect::<Result<_, _>>()?;
    if let Some(p) = u.priority {
        case.priority = p;
        cases::save_row(conn, &case, now)?;
    }
    if let Some(status) = u.status {
        cases::set_status(conn, policies, &mut case, status, now, || csat_token)?;
    } else {
        cases::save_row(conn, &case, now)?;
    }
    if let Some(team) = u.team_id {
        conn.prepare_cached("UPDATE cases SET team_id = ?2 WHERE id = ?1")?.execute(params![id, team])?;
    }
    if let Some(agent) = u.agent_id {
        conn.prepare_cached("UPDATE cases SET agent_id = ?2 WHERE id = ?1")?.execute(params![id, agent])?;
    }
    for t in add {
        conn.prepare_cached("INSERT OR IGNORE INTO case_tags (case_id, tag) VALUES (?1, ?2)")?
            .execute(params![id, t])?;
    }
    for t in &u.remove_tags {
        conn.prepare_cached("DELETE FROM case_tags WHERE case_id = ?1 AND tag = ?2")?
            .execute(params![id, t.trim().to_lowercase()])?;
    }
    cases::event(conn, now, "case.updated", Some(id), json!({ "case_id": id, "by": u.actor }))?;
    case_view(conn, id)?.ok_or_else(|| StoreError::NotFound(format!("case {id}")))
}

fn check_text(field: &str, text: &str, max: usize) -> Result<(), StoreError> {
    if text.trim().is_empty() {
        return Err(invalid(field, "empty", format!("`{field}` must not be empty")));
    }
    if text.len() > max {
        return Err(invalid(field, "too_long", format!("`{field}` is over {max} bytes")));
    }
    Ok(())
}

pub fn add_note(conn: &Connection, now: Timestamp, id: i64, author: &str, text: &str) -> Result<Note, StoreError> {
    require_case(conn, id)?;
    check_text("text", text, 64 * 1024)?;
    check_text("author", author, 256)?;
    conn.prepare_cached("INSERT INTO case_notes (case_id, author, text, created_at) VALUES (?1, ?2, ?3, ?4)")?
        .execute(params![id, author, text, now.unix_millis()])?;
    let note_id = conn.last_insert_rowid();
    cases::event(conn, now, "case.updated", Some(id), json!({ "case_id": id, "note_id": note_id }))?;
    Ok(Note { id: note_id, case_id: CaseId(id), author: author.into(), text: text.into(), created_at: now })
}

pub fn add_promise(conn: &Connection, now: Timestamp, id: i64, p: &NewPromise) -> Result<Promise, StoreError> {
    require_case(conn, id)?;
    check_text("what", &p.what, 4096)?;
    if p.due_at <= now {
        return Err(invalid("due_at", "in_the_past", "a promise must fall due in the future"));
    }
    conn.prepare_cached(
        "INSERT INTO promises (case_id, what, due_at, told_customer, status, created_by, created_at) \
         VALUES (?1, ?2, ?3, ?4, 'open', ?5, ?6)",
    )?
    .execute(params![id, p.what, p.due_at.unix_millis(), p.told_customer, p.by, now.unix_millis()])?;
    let pid = conn.last_insert_rowid();
    cases::event(conn, now, "promise.created", Some(id), json!({ "promise_id": pid, "case_id": id }))?;
    promise(conn, pid)
}

fn promise(conn: &Connection, id: i64) -> Result<Promise, StoreError> {
    conn.prepare_cached(&format!("SELECT {PROMISE_COLUMNS} FROM promises WHERE id = ?1"))?
        .query_row([id], promise_from_row)
        .optional()?
        .ok_or_else(|| StoreError::NotFound(format!("promise {id}")))
}

pub fn settle_promise(conn: &Connection, now: Timestamp, id: i64, kept: bool, by: &str) -> Result<Promise, StoreError> {
    let p = promise(conn, id)?;
    if p.status == "kept" || p.status == "broken" {
        return Err(invalid("status", "already_settled", format!("the promise was already {}", p.status)));
    }
    let status = if kept { "kept" } else { "broken" };
    conn.prepare_cached("UPDATE promises SET status = ?2, settled_at = ?3 WHERE id = ?1")?.execute(params![
        id,
        status,
        now.unix_millis()
    ])?;
    cases::event(
        conn,
        now,
        "promise.settled",
        Some(p.case_id.0),
        json!({ "promise_id": id, "status": status, "by": by }),
    )?;
    promise(conn, id)
}

/// Stores a customer's answer to a satisfaction request.
pub fn record_csat(
    conn: &Connection,
    now: Timestamp,
    token: &str,
    score: u8,
    comment: Option<&str>,
) -> Result<CaseId, StoreError> {
    if !(1..=5).contains(&score) {
        return Err(invalid("score", "out_of_range", "the score is a whole number from 1 to 5"));
    }
    if let Some(c) = comment {
        check_text("comment", c, 4096)?;
    }
    let id: i64 = conn
        .prepare_cached("SELECT id FROM cases WHERE csat_token = ?1")?
        .query_row([token], |r| r.get(0))
        .optional()?
        .ok_or_else(|| StoreError::NotFound("satisfaction request with that token".into()))?;
    conn.prepare_cached("UPDATE cases SET csat_score = ?2, csat_comment = ?3, csat_at = ?4 WHERE id = ?1")?
        .execute(params![id, score, comment, now.unix_millis()])?;
    cases::event(conn, now, "case.csat", Some(id), json!({ "case_id": id, "score": score }))?;
    Ok(CaseId(id))
}

const EVENT_KINDS: &[&str] = &[
    "order_placed",
    "order_shipped",
    "order_late",
    "bill_issued",
    "bill_disputed",
    "service_outage",
    "credit_applied",
];

fn live_customer(conn: &Connection, id: i64) -> Result<(), StoreError> {
    let row: Option<(Option<i64>, Option<i64>)> = conn
        .prepare_cached("SELECT merged_into, erased_at FROM customers WHERE id = ?1")?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    match row {
        None => Err(StoreError::NotFound(format!("customer {id}"))),
        Some((_, Some(_))) => Err(invalid("customer_id", "erased", format!("customer {id} has been erased"))),
        Some((Some(into), None)) => {
            Err(invalid("customer_id", "merged", format!("customer {id} was merged into customer {into}")))
        }
        Some((None, None)) => Ok(()),
    }
}

/// Records an event from the company's systems; an event with an external id
/// seen before is returned as it was.
pub fn add_account_event(
    conn: &Connection,
    now: Timestamp,
    customer: i64,
    e: &NewAccountEvent,
) -> Result<AccountEvent, StoreError> {
    live_customer(conn, customer)?;
    let kind = e.kind.trim();
    if kind.is_empty() || kind.len() > 64 || !kind.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
        return Err(invalid(
            "kind",
            "invalid_kind",
            format!("the kind is a snake_case word such as {}", EVENT_KINDS.join(", ")),
        ));
    }
    if let Some(x) = &e.external_id
        && let Some(existing) = conn
            .prepare_cached("SELECT id FROM account_events WHERE external_id = ?1")?
            .query_row([x], |r| r.get::<_, i64>(0))
            .optional()?
    {
        return account_event(conn, existing);
    }
    conn.prepare_cached(
        "INSERT INTO account_events (customer_id, kind, occurred_at, received_at, reference, details, external_id) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        customer,
        kind,
        e.occurred_at.unix_millis(),
        now.unix_millis(),
        e.reference,
        e.details.to_string(),
        e.external_id
    ])?;
    let id = conn.last_insert_rowid();
    // An order or booking reference is evidence that ties later messages
    // mentioning it to this customer.
    if let Some(r) = &e.reference {
        let ref_kind = if kind.starts_with("order") {
            "order"
        } else if kind.starts_with("bill") {
            "account"
        } else {
            ""
        };
        if !ref_kind.is_empty() {
            conn.prepare_cached("INSERT OR IGNORE INTO customer_refs (kind, value, customer_id) VALUES (?1, ?2, ?3)")?
                .execute(params![ref_kind, r.to_lowercase(), customer])?;
        }
    }
    account_event(conn, id)
}

fn account_event(conn: &Connection, id: i64) -> Result<AccountEvent, StoreError> {
    conn.prepare_cached(
        "SELECT id, customer_id, kind, occurred_at, reference, details, external_id FROM account_events WHERE id = ?1",
    )?
    .query_row([id], account_event_from_row)
    .optional()?
    .ok_or_else(|| StoreError::NotFound(format!("account event {id}")))
}

fn account_event_from_row(r: &Row<'_>) -> rusqlite::Result<AccountEvent> {
    let details: String = r.get(5)?;
    Ok(AccountEvent {
        id: r.get(0)?,
        customer_id: CustomerId(r.get(1)?),
        kind: r.get(2)?,
        occurred_at: ts(r.get(3)?),
        reference: r.get(4)?,
        details: serde_json::from_str(&details).unwrap_or(serde_json::Value::Null),
        external_id: r.get(6)?,
    })
}

fn identity_from_row(r: &Row<'_>) -> rusqlite::Result<Identity> {
    let channel: String = r.get(1)?;
    let platform: String = r.get(2)?;
    let handle: Option<String> = r.get(3)?;
    let name: Option<String> = r.get(4)?;
    Ok(Identity {
        id: IdentityId(r.get(0)?),
        channel: Channel::parse(&channel).unwrap_or(Channel::WebForm),
        platform_id: PlatformUserId::parse(platform).map_err(|e| corrupt(e.message))?,
        handle: handle.and_then(|h| Handle::parse(&h).ok()),
        name: name.and_then(|n| DisplayName::clean(&n)),
        followers: r.get::<_, Option<i64>>(5)?.map(|f| f.max(0) as u64),
        customer_id: r.get::<_, Option<i64>>(6)?.map(CustomerId),
    })
}

fn corrupt(m: String) -> rusqlite::Error {
    rusqlite::Error::ToSqlConversionFailure(m.into())
}

/// The customer 360. A merged customer answers with `merged_into` set and
/// nothing else moved back.
pub fn customer_360(conn: &Connection, id: i64) -> Result<Option<Customer360>, StoreError> {
    type Head = (Option<String>, Option<String>, Option<String>, bool, Option<i64>, Option<i64>);
    let row: Option<Head> = conn
        .prepare_cached(
            "SELECT external_ref, name, postal_area, provisional, merged_into, erased_at FROM customers WHERE id = ?1",
        )?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)))
        .optional()?;
    let Some((external_ref, name, postal, provisional, merged_into, erased)) = row else { return Ok(None) };
    if erased.is_some() {
        return Ok(None);
    }
    let strings = |sql: &str| -> Result<Vec<String>, StoreError> {
        Ok(conn.prepare_cached(sql)?.query_map([id], |r| r.get(0))?.collect::<Result<_, _>>()?)
    };
    let products = strings("SELECT product FROM customer_products WHERE customer_id = ?1 ORDER BY product")?;
    let preferred: Option<String> =
        conn.prepare_cached("SELECT preferred_channel FROM customers WHERE id = ?1")?.query_row([id], |r| r.get(0))?;
    let postal_text = postal.clone();
    let emails = strings("SELECT email FROM customer_emails WHERE customer_id = ?1 ORDER BY email")?
        .iter()
        .filter_map(|e| Email::parse(e).ok())
        .collect();
    let phones = strings("SELECT phone FROM customer_phones WHERE customer_id = ?1 ORDER BY phone")?
        .iter()
        .filter_map(|p| Phone::parse(p).ok())
        .collect();
    let refs = conn
        .prepare_cached("SELECT kind, value FROM customer_refs WHERE customer_id = ?1 ORDER BY kind, value")?
        .query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let identities = conn
        .prepare_cached(
            "SELECT id, channel, platform_id, handle, name, followers, customer_id FROM identities \
             WHERE customer_id = ?1 ORDER BY id",
        )?
        .query_map([id], identity_from_row)?
        .collect::<Result<_, _>>()?;
    let mut timeline: Vec<firebreak_domain::StoredMessage> = conn
        .prepare_cached(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages m JOIN identities i ON i.id = m.identity_id \
             WHERE m.identity_id IN (SELECT id FROM identities WHERE customer_id = ?1) \
             ORDER BY m.created_at DESC, m.id DESC LIMIT 200"
        ))?
        .query_map([id], message_from_row)?
        .collect::<Result<_, _>>()?;
    timeline.reverse();
    let all_cases: Vec<CaseView> = conn
        .prepare_cached(&format!(
            "SELECT {VIEW_COLUMNS} FROM {VIEW_FROM} WHERE c.customer_id = ?1 ORDER BY c.opened_at DESC, c.id DESC"
        ))?
        .query_map([id], view_from_row)?
        .collect::<Result<_, _>>()?;
    let (open_cases, past_cases) = all_cases.into_iter().partition(|c| c.status.is_active());
    let account_events = conn
        .prepare_cached(
            "SELECT id, customer_id, kind, occurred_at, reference, details, external_id FROM account_events \
             WHERE customer_id = ?1 ORDER BY occurred_at DESC, id DESC LIMIT 200",
        )?
        .query_map([id], account_event_from_row)?
        .collect::<Result<_, _>>()?;
    let promises = conn
        .prepare_cached(&format!(
            "SELECT {} FROM promises p JOIN cases c ON c.id = p.case_id WHERE c.customer_id = ?1 \
             ORDER BY p.due_at DESC LIMIT 100",
            PROMISE_COLUMNS.split(", ").map(|c| format!("p.{c}")).collect::<Vec<_>>().join(", ")
        ))?
        .query_map([id], promise_from_row)?
        .collect::<Result<_, _>>()?;
    let consents = conn
        .prepare_cached(
            "SELECT purpose, granted, at, wording_version, method FROM consents WHERE customer_id = ?1 \
             ORDER BY at DESC, id DESC",
        )?
        .query_map([id], |r| {
            Ok(Consent {
                purpose: r.get(0)?,
                granted: r.get(1)?,
                at: ts(r.get(2)?),
                wording_version: r.get(3)?,
                method: r.get(4)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    let proposals = conn
        .prepare_cached(
            "SELECT id, identity_id, customer_id, score, evidence, status FROM match_proposals \
             WHERE customer_id = ?1 AND status = 'proposed' ORDER BY score DESC",
        )?
        .query_map([id], proposal_from_row)?
        .collect::<Result<_, _>>()?;
    Ok(Some(Customer360 {
        id: CustomerId(id),
        external_ref,
        name: name.and_then(|n| DisplayName::clean(&n)),
        emails,
        phones,
        postal_area: postal.and_then(|p| PostalArea::parse(&p).ok()),
        provisional,
        refs,
        identities,
        timeline,
        open_cases,
        past_cases,
        account_events,
        sentiment: sentiment(conn, id)?,
        promises,
        consents,
        proposals,
        incidents: super::outreach::customer_incidents(conn, id, postal_text.as_deref(), &products)?,
        products,
        preferred_channel: preferred.and_then(|c| firebreak_domain::Channel::parse(&c).ok()),
        merged_into: merged_into.map(CustomerId),
    }))
}

/// The customer's weekly mean sentiment score (weeks start on Monday, UTC),
/// over their messages that triage scored, oldest week first.
fn sentiment(conn: &Connection, id: i64) -> Result<Vec<SentimentPoint>, StoreError> {
    const WEEK: i64 = 7 * 86_400_000;
    // 1970-01-01 was a Thursday: shift by four days so weeks start on Monday.
    const MONDAY: i64 = 4 * 86_400_000;
    Ok(conn
        .prepare_cached(
            "SELECT ((m.created_at - ?2) / ?3) * ?3 + ?2 AS week, count(*), avg(m.sentiment_score) FROM messages m \
             WHERE m.identity_id IN (SELECT id FROM identities WHERE customer_id = ?1) \
             AND m.direction = 'in' AND m.sentiment_score IS NOT NULL GROUP BY week ORDER BY week LIMIT 520",
        )?
        .query_map(params![id, MONDAY, WEEK], |r| {
            Ok(SentimentPoint {
                week_start: ts(r.get(0)?),
                messages: r.get::<_, i64>(1)? as u64,
                mean_score: r.get(2)?,
            })
        })?
        .collect::<Result<_, _>>()?)
}

/// Events of the live log after `after`, oldest first.
pub fn events_after(conn: &Connection, after: i64, limit: u32) -> Result<Vec<crate::EventRecord>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT id, at, kind, case_id, payload FROM events WHERE id > ?1 ORDER BY id LIMIT ?2")?
        .query_map(params![after, limit], |r| {
            let payload: String = r.get(4)?;
            Ok(crate::EventRecord {
                id: r.get(0)?,
                at: ts(r.get(1)?),
                kind: r.get(2)?,
                case_id: r.get::<_, Option<i64>>(3)?.map(CaseId),
                payload: serde_json::from_str(&payload).unwrap_or(serde_json::Value::Null),
            })
        })?
        .collect::<Result<_, _>>()?)
}

/// A match proposal from `id, identity_id, customer_id, score, evidence, status`.
pub(super) fn proposal_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<MatchProposal> {
    let evidence: String = r.get(4)?;
    Ok(MatchProposal {
        id: r.get(0)?,
        identity_id: r.get(1)?,
        customer_id: CustomerId(r.get(2)?),
        score: r.get(3)?,
        evidence: serde_json::from_str(&evidence).unwrap_or(serde_json::Value::Null),
        status: r.get(5)?,
    })
}
