//! SQL of the firewall reports: the contact drivers' hourly counts (added
//! by the detectors' task together with how far they have counted), the
//! stored messages the detectors catch up on at start, and what became of
//! each incident.

use firebreak_domain::{MessageId, StoredMessage, Timestamp};
use rusqlite::{Connection, OptionalExtension, params, params_from_iter};

use super::{
    incidents::{existing, ts},
    outreach::affected_sql,
    rows::{MESSAGE_COLUMNS, message_from_row},
};
use crate::{
    DriverCount, DriverPoint, DriverQuery, IncidentFilter, IncidentOutcome, StoreError, firewall::OUTCOME_TAIL_MS,
};

const DRIVERS_THROUGH: &str = "drivers_through";

/// Adds counts to the drivers and moves `drivers_through` up to `through`
/// (never down), in the caller's transaction.
pub fn add_drivers(conn: &Connection, counts: &[DriverCount], through: MessageId) -> Result<(), StoreError> {
    let mut up = conn.prepare_cached(
        "INSERT INTO contact_drivers (dimension, hour, value, contacts, negative, positive, sentiment_sum) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) \
         ON CONFLICT (dimension, hour, value) DO UPDATE SET contacts = contacts + excluded.contacts, \
         negative = negative + excluded.negative, positive = positive + excluded.positive, \
         sentiment_sum = sentiment_sum + excluded.sentiment_sum",
    )?;
    for c in counts {
        up.execute(params![
            c.dimension,
            c.hour.unix_millis(),
            c.value,
            c.contacts as i64,
            c.negative as i64,
            c.positive as i64,
            c.sentiment_sum
        ])?;
    }
    conn.prepare_cached(
        "INSERT INTO task_state (name, value) VALUES (?1, ?2) \
         ON CONFLICT (name) DO UPDATE SET value = max(value, excluded.value)",
    )?
    .execute(params![DRIVERS_THROUGH, through.0])?;
    Ok(())
}

/// The highest message id the drivers have counted (0: none).
pub fn drivers_through(conn: &Connection) -> Result<MessageId, StoreError> {
    let v: Option<i64> = conn
        .prepare_cached("SELECT value FROM task_state WHERE name = ?1")?
        .query_row([DRIVERS_THROUGH], |r| r.get(0))
        .optional()?;
    Ok(MessageId(v.unwrap_or(0)))
}

/// Stored messages with ids in `(after, through]`, in id order, at most
/// `limit`.
pub fn watch_rows(
    conn: &Connection,
    after: MessageId,
    through: MessageId,
    limit: u32,
) -> Result<Vec<StoredMessage>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {MESSAGE_COLUMNS} FROM messages m JOIN identities i ON i.id = m.identity_id \
         WHERE m.id > ?1 AND m.id <= ?2 ORDER BY m.id LIMIT ?3"
    ))?;
    Ok(stmt.query_map(params![after.0, through.0, limit], message_from_row)?.collect::<Result<_, _>>()?)
}

/// The highest message id stored (0: none), and the lowest id of a
/// message written at or after `since` (its own time).
pub fn watch_bounds(conn: &Connection, since: Timestamp) -> Result<(MessageId, Option<MessageId>), StoreError> {
    let max: i64 = conn.query_row("SELECT coalesce(max(id), 0) FROM messages", [], |r| r.get(0))?;
    let first: Option<i64> = conn
        .prepare_cached("SELECT min(id) FROM messages WHERE created_at >= ?1")?
        .query_row([since.unix_millis()], |r| r.get(0))?;
    Ok((MessageId(max), first.map(MessageId)))
}

/// The drivers' counts on one dimension, summed by bucket (aligned on
/// `from`) and value.
pub fn driver_points(conn: &Connection, q: &DriverQuery) -> Result<Vec<DriverPoint>, StoreError> {
    let step = q.bucket_ms.max(1);
    let from = q.from.unix_millis();
    let mut stmt = conn.prepare_cached(
        "SELECT (hour - ?2) / ?4, value, sum(contacts), sum(negative), sum(positive), sum(sentiment_sum) \
         FROM contact_drivers WHERE dimension = ?1 AND hour >= ?2 AND hour < ?3 GROUP BY 1, 2 ORDER BY 1, 2",
    )?;
    let rows = stmt.query_map(params![q.dimension, from, q.to.unix_millis(), step], |r| {
        Ok(DriverPoint {
            bucket: ts(from + r.get::<_, i64>(0)? * step)?,
            value: r.get(1)?,
            contacts: r.get::<_, i64>(2)?.max(0) as u64,
            negative: r.get::<_, i64>(3)?.max(0) as u64,
            positive: r.get::<_, i64>(4)?.max(0) as u64,
            sentiment_sum: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// What became of each incident that started in `[from, to)`, oldest
/// first.
pub fn outcomes(
    conn: &Connection,
    now: Timestamp,
    from: Timestamp,
    to: Timestamp,
) -> Result<Vec<IncidentOutcome>, StoreError> {
    let all = super::incidents::incidents(conn, IncidentFilter { open_only: false, public_only: false })?;
    let mut list: Vec<_> = all.into_iter().filter(|i| i.started_at >= from && i.started_at < to).collect();
    list.sort_by_key(|i| (i.started_at, i.id));
    list.into_iter().map(|i| outcome(conn, now, i.id)).collect()
}

fn outcome(conn: &Connection, now: Timestamp, id: i64) -> Result<IncidentOutcome, StoreError> {
    let incident = existing(conn, id)?;
    let linked = |kind: &str, inbound_only: bool| -> Result<u64, StoreError> {
        let sql = if inbound_only {
            "SELECT count(*) FROM incident_links l JOIN messages m ON m.id = l.target_id \
             WHERE l.incident_id = ?1 AND l.kind = ?2 AND l.unlinked_at IS NULL AND m.direction = 'in'"
        } else {
            "SELECT count(*) FROM incident_links WHERE incident_id = ?1 AND kind = ?2 AND unlinked_at IS NULL"
        };
        Ok(conn.prepare_cached(sql)?.query_row(params![id, kind], |r| r.get::<_, i64>(0))? as u64)
    };
    let window_from = incident.started_at;
    let window_to = incident.resolved_at.unwrap_or(now).plus_millis(OUTCOME_TAIL_MS).min(now.max(window_from));
    // Affected customers split by whether their notice was delivered, with
    // their inbound contacts in the window.
    let (affected, args) = affected_sql(&incident);
    let n = args.len();
    let sql = format!(
        "WITH aff(id) AS ({affected}), \
         told(id) AS (SELECT customer_id FROM notices WHERE incident_id = ?{i} AND kind = 'notice' AND status = 'sent'), \
         contacts(cid, n) AS (SELECT i.customer_id, count(*) FROM messages m JOIN identities i ON i.id = m.identity_id \
             WHERE i.customer_id IN (SELECT id FROM aff) AND m.direction = 'in' \
             AND m.created_at >= ?{f} AND m.created_at <= ?{t} GROUP BY i.customer_id) \
         SELECT a.id IN (SELECT id FROM told), count(*), coalesce(sum(c.n), 0) \
         FROM aff a LEFT JOIN contacts c ON c.cid = a.id GROUP BY 1",
        i = n + 1,
        f = n + 2,
        t = n + 3,
    );
    let mut values: Vec<rusqlite::types::Value> = args.into_iter().map(rusqlite::types::Value::Text).collect();
    values.push(id.into());
    values.push(window_from.unix_millis().into());
    values.push(window_to.unix_millis().into());
    let mut out = IncidentOutcome {
        contacts: linked("message", true)?,
        cases: linked("case", false)?,
        affected: 0,
        notified: 0,
        notified_contacts: 0,
        others: 0,
        other_contacts: 0,
        window_from,
        window_to,
        incident,
    };
    let mut stmt = conn.prepare(&sql)?;
    let mut rows = stmt.query(params_from_iter(values.iter()))?;
    while let Some(r) = rows.next()? {
        let told: bool = r.get(0)?;
        let customers = r.get::<_, i64>(1)? as u64;
        let contacts = r.get::<_, i64>(2)? as u64;
        out.affected += customers;
        if told {
            out.notified = customers;
            out.notified_contacts = contacts;
        } else {
            out.others = customers;
            out.other_contacts = contacts;
        }
    }
    Ok(out)
}
