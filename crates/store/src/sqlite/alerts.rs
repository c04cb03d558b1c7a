//! SQL of the detectors' side: the context of stored messages, and alerts
//! recorded together with their event in the live log.

use firebreak_domain::{CaseId, CustomerId, MessageId, Timestamp};
use rusqlite::{Connection, OptionalExtension, params};

use super::cases::{event, ms, ts};
use crate::{Alert, AlertKind, MessageContext, NewAlert, StoreError};

/// The customer, postal area, case and author of each message, in order;
/// an id that is not stored is left out.
pub fn contexts(conn: &Connection, ids: &[MessageId]) -> Result<Vec<MessageContext>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT c.id, c.postal_area, m.case_id, coalesce(i.handle, i.name)
         FROM messages m JOIN identities i ON i.id = m.identity_id
         LEFT JOIN customers c ON c.id = i.customer_id
         WHERE m.id = ?1",
    )?;
    let mut out = Vec::with_capacity(ids.len());
    for &id in ids {
        let row = stmt
            .query_row([id.0], |r| {
                Ok(MessageContext {
                    message: id,
                    customer: r.get::<_, Option<i64>>(0)?.map(CustomerId),
                    postal_area: r.get(1)?,
                    case: r.get::<_, Option<i64>>(2)?.map(CaseId),
                    author: r.get(3)?,
                })
            })
            .optional()?;
        out.extend(row);
    }
    Ok(out)
}

/// Records an alert and its `alert.<kind>` event in one transaction step.
pub fn record(conn: &Connection, now: Timestamp, alert: &NewAlert) -> Result<Alert, StoreError> {
    conn.prepare_cached(
        "INSERT INTO alerts (kind, at, raised_at, key, message_id, case_id, customer_id, summary, evidence)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        alert.kind.as_str(),
        ms(alert.at),
        ms(now),
        alert.key,
        alert.message.map(|m| m.0),
        alert.case.map(|c| c.0),
        alert.customer.map(|c| c.0),
        alert.summary,
        alert.evidence.to_string(),
    ])?;
    let id = conn.last_insert_rowid();
    let payload = serde_json::json!({
        "alert_id": id,
        "kind": alert.kind.as_str(),
        "at": alert.at,
        "key": alert.key,
        "message_id": alert.message.map(|m| m.0),
        "customer_id": alert.customer.map(|c| c.0),
        "summary": alert.summary,
        "link": format!("/alerts/{id}"),
    });
    event(conn, now, &format!("alert.{}", alert.kind.as_str()), alert.case.map(|c| c.0), payload)?;
    Ok(Alert {
        id,
        kind: alert.kind,
        at: alert.at,
        raised_at: now,
        key: alert.key.clone(),
        message_id: alert.message,
        case_id: alert.case,
        customer_id: alert.customer,
        summary: alert.summary.clone(),
        evidence: alert.evidence.clone(),
    })
}

const COLUMNS: &str = "id, kind, at, raised_at, key, message_id, case_id, customer_id, summary, evidence";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Alert> {
    let kind: String = r.get(1)?;
    let evidence: String = r.get(9)?;
    Ok(Alert {
        id: r.get(0)?,
        kind: AlertKind::parse(&kind).unwrap_or(AlertKind::Burst),
        at: ts(r.get(2)?),
        raised_at: ts(r.get(3)?),
        key: r.get(4)?,
        message_id: r.get::<_, Option<i64>>(5)?.map(MessageId),
        case_id: r.get::<_, Option<i64>>(6)?.map(CaseId),
        customer_id: r.get::<_, Option<i64>>(7)?.map(CustomerId),
        summary: r.get(8)?,
        evidence: serde_json::from_str(&evidence).unwrap_or(serde_json::Value::Null),
    })
}

/// The newest alerts first.
pub fn list(conn: &Connection, limit: u32) -> Result<Vec<Alert>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!("SELECT {COLUMNS} FROM alerts ORDER BY at DESC, id DESC LIMIT ?1"))?;
    let rows = stmt.query_map([i64::from(limit)], from_row)?.collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

pub fn get(conn: &Connection, id: i64) -> Result<Option<Alert>, StoreError> {
    Ok(conn
        .prepare_cached(&format!("SELECT {COLUMNS} FROM alerts WHERE id = ?1"))?
        .query_row([id], from_row)
        .optional()?)
}
