//! The reply queue on the write path: queue a reply once per key, claim due
//! replies for an attempt, record the outcome. A sent reply's message joins
//! the timeline in the same transaction that marks it sent (see
//! `writer::Work::IngestThen`).

use firebreak_domain::{CaseId, Channel, MessageId, Timestamp};
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde_json::json;

use super::cases::event;
use crate::{
    StoreError,
    outbound::{DeliveryStatus, NewOutbound, OutboundJob, ReplyDelivery},
};

const COLUMNS: &str = "id, case_id, channel, visibility, text, status, attempts, next_attempt_at, last_error, \
                       external_id, message_id, created_by, created_at, sent_at";

fn ts(v: Option<i64>) -> Option<Timestamp> {
    v.and_then(|v| Timestamp::from_unix_millis(v).ok())
}

fn from_row(r: &Row<'_>) -> rusqlite::Result<ReplyDelivery> {
    let channel: String = r.get(2)?;
    let status: String = r.get(5)?;
    Ok(ReplyDelivery {
        id: r.get(0)?,
        case_id: CaseId(r.get(1)?),
        channel: Channel::parse(&channel)
            .map_err(|e| rusqlite::Error::FromSqlConversionFailure(2, rusqlite::types::Type::Text, Box::new(e)))?,
        visibility: r.get(3)?,
        text: r.get(4)?,
        status: DeliveryStatus::parse(&status),
        attempts: r.get(6)?,
        next_attempt_at: ts(r.get(7)?),
        last_error: r.get(8)?,
        external_id: r.get(9)?,
        message_id: r.get::<_, Option<i64>>(10)?.map(MessageId),
        created_by: r.get(11)?,
        created_at: ts(r.get(12)?).unwrap_or(Timestamp::EPOCH),
        sent_at: ts(r.get(13)?),
    })
}

pub fn delivery(conn: &Connection, id: i64) -> Result<ReplyDelivery, StoreError> {
    conn.prepare_cached(&format!("SELECT {COLUMNS} FROM outbound WHERE id = ?1"))?
        .query_row([id], from_row)
        .optional()?
        .ok_or_else(|| StoreError::NotFound(format!("reply {id}")))
}

/// Every reply of a case, oldest first.
pub fn for_case(conn: &Connection, case: i64) -> Result<Vec<ReplyDelivery>, StoreError> {
    Ok(conn
        .prepare_cached(&format!("SELECT {COLUMNS} FROM outbound WHERE case_id = ?1 ORDER BY id"))?
        .query_map([case], from_row)?
        .collect::<Result<_, _>>()?)
}

/// Queues a reply; the same key again answers the reply already queued.
pub fn enqueue(conn: &Connection, r: &NewOutbound, now: Timestamp) -> Result<ReplyDelivery, StoreError> {
    let existing: Option<i64> = conn
        .prepare_cached("SELECT id FROM outbound WHERE idempotency_key = ?1")?
        .query_row([&r.idempotency_key], |row| row.get(0))
        .optional()?;
    if let Some(id) = existing {
        return delivery(conn, id);
    }
    let exists: bool =
        conn.query_row("SELECT EXISTS (SELECT 1 FROM cases WHERE id = ?1)", [r.case.0], |row| row.get(0))?;
    if !exists {
        return Err(StoreError::NotFound(format!("case {}", r.case)));
    }
    conn.prepare_cached(
        "INSERT INTO outbound (case_id, channel, visibility, text, request, idempotency_key, status, \
                               next_attempt_at, created_by, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'queued', ?7, ?8, ?7)",
    )?
    .execute(params![
        r.case.0,
        r.channel.as_str(),
        r.visibility,
        r.text,
        r.request,
        r.idempotency_key,
        now.unix_millis(),
        r.created_by
    ])?;
    let id = conn.last_insert_rowid();
    event(
        conn,
        now,
        "reply.queued",
        Some(r.case.0),
        json!({ "case_id": r.case.0, "reply_id": id, "channel": r.channel, "visibility": r.visibility }),
    )?;
    delivery(conn, id)
}

/// Claims up to `limit` replies due now: each becomes `sending`, one more
/// attempt counted, before any is sent.
pub fn claim(conn: &Connection, now: Timestamp, limit: u32) -> Result<Vec<OutboundJob>, StoreError> {
    let ids: Vec<(i64, String)> = conn
        .prepare_cached(
            "SELECT id, request FROM outbound WHERE status = 'queued' AND next_attempt_at <= ?1 ORDER BY id LIMIT ?2",
        )?
        .query_map(params![now.unix_millis(), limit], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let mut out = Vec::with_capacity(ids.len());
    for (id, request) in ids {
        conn.prepare_cached("UPDATE outbound SET status = 'sending', attempts = attempts + 1 WHERE id = ?1")?
            .execute([id])?;
        out.push(OutboundJob { delivery: delivery(conn, id)?, request });
    }
    Ok(out)
}

/// Marks a reply sent, with the platform's id and its timeline message.
pub fn sent(
    conn: &Connection,
    id: i64,
    external_id: &str,
    message: Option<MessageId>,
    now: Timestamp,
) -> Result<ReplyDelivery, StoreError> {
    let n = conn.execute(
        "UPDATE outbound SET status = 'sent', external_id = ?2, message_id = ?3, sent_at = ?4, last_error = NULL \
         WHERE id = ?1 AND status = 'sending'",
        params![id, external_id, message.map(|m| m.0), now.unix_millis()],
    )?;
    if n == 0 {
        return Err(StoreError::Invalid {
            field: "reply".into(),
            code: "not_sending",
            message: format!("reply {id} is not being sent"),
        });
    }
    let d = delivery(conn, id)?;
    event(
        conn,
        now,
        "reply.sent",
        Some(d.case_id.0),
        json!({ "case_id": d.case_id, "reply_id": id, "external_id": external_id }),
    )?;
    Ok(d)
}

/// Records a failed attempt: queued again at `retry_at`, or failed for good.
pub fn failed(
    conn: &Connection,
    id: i64,
    error: &str,
    retry_at: Option<Timestamp>,
    now: Timestamp,
) -> Result<ReplyDelivery, StoreError> {
    match retry_at {
        Some(at) => conn.execute(
            "UPDATE outbound SET status = 'queued', next_attempt_at = ?2, last_error = ?3 WHERE id = ?1",
            params![id, at.unix_millis(), error],
        )?,
        None => {
            conn.execute("UPDATE outbound SET status = 'failed', last_error = ?2 WHERE id = ?1", params![id, error])?
        }
    };
    let d = delivery(conn, id)?;
    let kind = if retry_at.is_some() { "reply.retrying" } else { "reply.failed" };
    event(conn, now, kind, Some(d.case_id.0), json!({ "case_id": d.case_id, "reply_id": id, "error": error }))?;
    Ok(d)
}

/// At start: attempts cut short by a stop become `unknown`.
pub fn recover(conn: &Connection, now: Timestamp) -> Result<usize, StoreError> {
    let ids: Vec<(i64, i64)> = conn
        .prepare_cached("SELECT id, case_id FROM outbound WHERE status = 'sending'")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    for (id, case) in &ids {
        conn.execute(
            "UPDATE outbound SET status = 'unknown', \
             last_error = 'the server stopped during an attempt; it may have been sent' WHERE id = ?1",
            [id],
        )?;
        event(conn, now, "reply.unknown", Some(*case), json!({ "case_id": case, "reply_id": id }))?;
    }
    Ok(ids.len())
}
