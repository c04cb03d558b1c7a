//! A person's rights over their data: everything held about them as one
//! document (GDPR Art. 15 and 20), erasure (Art. 17), and consent records.
//!
//! Erasure deletes the person's messages (and their full-text index entries,
//! which FTS5's secure-delete removes at once), identities, contact points,
//! references, account events, consents and proposals; anonymises the case
//! records that stay for reporting (subject, notes, promises, comments
//! replaced); scrubs the audit log and merge records that name them; and
//! leaves the customer row as a tombstone. With `secure_delete` on, the
//! freed bytes are zeroed; after the commit the WAL is checkpointed and
//! truncated, so the person's data is in neither file.

use rusqlite::{Connection, OptionalExtension, params};
use serde_json::{Value, json};

use super::{
    case_api, cases,
    people::audit,
    rows::{MESSAGE_COLUMNS, message_from_row},
};
use crate::{Consent, StoreError};
use firebreak_domain::Timestamp;

/// The version of the export document's shape.
pub const EXPORT_SCHEMA: &str = "https://firebreak.invalid/schemas/customer-export/v1";

const ERASED: &str = "[erased]";

fn rows_json(conn: &Connection, sql: &str, id: i64) -> Result<Vec<Value>, StoreError> {
    let mut stmt = conn.prepare(sql)?;
    let names: Vec<String> = stmt.column_names().map(str::to_owned).collect();
    let rows = stmt.query_map([id], |r| {
        let mut obj = serde_json::Map::new();
        for (i, n) in names.iter().enumerate() {
            let v = match r.get_ref(i)? {
                rusqlite::types::ValueRef::Null => Value::Null,
                rusqlite::types::ValueRef::Integer(n) => json!(n),
                rusqlite::types::ValueRef::Real(f) => json!(f),
                rusqlite::types::ValueRef::Text(t) => {
                    let s = String::from_utf8_lossy(t);
                    // JSON kept as text is returned as JSON.
                    if (n == "details" || n == "payload" || n == "evidence" || n == "moved") && !s.is_empty() {
                        serde_json::from_str(&s).unwrap_or(Value::String(s.into_owned()))
                    } else {
                        Value::String(s.into_owned())
                    }
                }
                rusqlite::types::ValueRef::Blob(_) => Value::Null,
            };
            obj.insert(n.clone(), v);
        }
        Ok(Value::Object(obj))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Everything held about a customer, as one document.
pub fn export(conn: &Connection, id: i64) -> Result<Option<Value>, StoreError> {
    let Some(person) = case_api::customer_360(conn, id)? else { return Ok(None) };
    let messages: Vec<firebreak_domain::StoredMessage> = conn
        .prepare(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages m JOIN identities i ON i.id = m.identity_id \
             WHERE m.identity_id IN (SELECT id FROM identities WHERE customer_id = ?1) ORDER BY m.created_at, m.id"
        ))?
        .query_map([id], message_from_row)?
        .collect::<Result<_, _>>()?;
    let case_ids: Vec<i64> = conn
        .prepare("SELECT id FROM cases WHERE customer_id = ?1 ORDER BY id")?
        .query_map([id], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let mut cases_full = Vec::new();
    for c in case_ids {
        if let Some(d) = case_api::case_detail(conn, c)? {
            cases_full.push(json!({
                "case": d.case, "notes": d.notes, "promises": d.promises, "sla_events": d.sla_events
            }));
        }
    }
    Ok(Some(json!({
        "$schema": EXPORT_SCHEMA,
        "customer": {
            "id": person.id, "external_ref": person.external_ref, "name": person.name,
            "emails": person.emails, "phones": person.phones, "postal_area": person.postal_area,
            "provisional": person.provisional, "references": person.refs,
            "products": person.products, "preferred_channel": person.preferred_channel,
        },
        "identities": person.identities,
        "messages": messages,
        "cases": cases_full,
        "account_events": rows_json(conn, "SELECT id, kind, occurred_at, reference, details, external_id FROM account_events WHERE customer_id = ?1 ORDER BY id", id)?,
        "consents": person.consents,
        "match_proposals": rows_json(conn, "SELECT id, identity_id, score, evidence, status, created_at FROM match_proposals WHERE customer_id = ?1 ORDER BY id", id)?,
        "audit": rows_json(conn, "SELECT at, actor, action, details, reason FROM audit_log WHERE customer_id = ?1 ORDER BY id", id)?,
        "incident_notices": rows_json(conn, "SELECT incident_id, kind, channel, address, subject, text, status, created_at, sent_at FROM notices WHERE customer_id = ?1 ORDER BY id", id)?,
        "credits": rows_json(conn, "SELECT incident_id, amount_minor, currency, reason, created_at FROM credits WHERE customer_id = ?1 ORDER BY id", id)?,
    })))
}

/// Erases a customer. Returns how many messages were deleted.
pub fn erase(conn: &Connection, now: Timestamp, id: i64, actor: &str, reason: &str) -> Result<u64, StoreError> {
    let row: Option<(Option<i64>, Option<i64>)> = conn
        .prepare("SELECT merged_into, erased_at FROM customers WHERE id = ?1")?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    match row {
        None => return Err(StoreError::NotFound(format!("customer {id}"))),
        Some((_, Some(_))) => {
            return Err(StoreError::Invalid {
                field: "customer_id".into(),
                code: "erased",
                message: format!("customer {id} has already been erased"),
            });
        }
        Some((Some(into), None)) => {
            return Err(StoreError::Invalid {
                field: "customer_id".into(),
                code: "merged",
                message: format!("customer {id} was merged into {into}; erase that customer"),
            });
        }
        Some((None, None)) => {}
    }
    // Messages, their index entries, entities and the keys that name them.
    // Their messages, and the brand's replies on their cases (which speak to
    // them and about them).
    let messages: Vec<(i64, String, String, Option<i64>)> = conn
        .prepare(
            "SELECT m.id, m.text, m.channel || char(31) || m.external_id, m.conversation_id FROM messages m \
             WHERE m.identity_id IN (SELECT id FROM identities WHERE customer_id = ?1) \
                OR (m.direction = 'out' AND m.case_id IN (SELECT id FROM cases WHERE customer_id = ?1))",
        )?
        .query_map([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .collect::<Result<_, _>>()?;
    for (mid, text, key, conversation) in &messages {
        conn.execute(
            "INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', ?1, ?2)",
            params![mid, text],
        )?;
        super::rows::clear_entities(conn, *mid)?;
        let (channel, external) = key.split_once('\u{1f}').unwrap_or(("", key));
        conn.execute(
            "DELETE FROM conversation_keys WHERE channel = ?1 AND key = ?2",
            params![channel, format!("m:{external}")],
        )?;
        conn.execute("DELETE FROM messages WHERE id = ?1", [mid])?;
        if let Some(c) = conversation {
            let left: i64 =
                conn.query_row("SELECT count(*) FROM messages WHERE conversation_id = ?1", [c], |r| r.get(0))?;
            if left == 0 {
                conn.execute("DELETE FROM conversation_keys WHERE conversation_id = ?1", [c])?;
                conn.execute("DELETE FROM conversations WHERE id = ?1", [c])?;
            } else {
                conn.execute("UPDATE conversations SET messages = ?2 WHERE id = ?1", params![c, left])?;
            }
        }
    }
    conn.execute("DELETE FROM match_proposals WHERE customer_id = ?1 OR identity_id IN (SELECT id FROM identities WHERE customer_id = ?1)", [id])?;
    conn.execute("DELETE FROM identities WHERE customer_id = ?1", [id])?;
    for table in [
        "customer_emails",
        "customer_phones",
        "customer_refs",
        "customer_products",
        "account_events",
        "consents",
        "notices",
    ] {
        conn.execute(&format!("DELETE FROM {table} WHERE customer_id = ?1"), [id])?;
    }
    // Case records stay for reporting, without anything about the person.
    conn.execute(
        "UPDATE cases SET subject = ?2, csat_comment = NULL, anonymised = 1 WHERE customer_id = ?1",
        params![id, ERASED],
    )?;
    conn.execute(
        "UPDATE case_notes SET text = ?2 WHERE case_id IN (SELECT id FROM cases WHERE customer_id = ?1)",
        params![id, ERASED],
    )?;
    conn.execute(
        "UPDATE promises SET what = ?2 WHERE case_id IN (SELECT id FROM cases WHERE customer_id = ?1)",
        params![id, ERASED],
    )?;
    conn.execute("UPDATE audit_log SET details = '{}', reason = ?2 WHERE customer_id = ?1", params![id, ERASED])?;
    conn.execute(
        "UPDATE merges SET moved = '{}', reason = ?2 WHERE source_id = ?1 OR target_id = ?1",
        params![id, ERASED],
    )?;
    conn.execute(
        "UPDATE customers SET name = NULL, external_ref = NULL, postal_area = NULL, erased_at = ?2, updated_at = ?2 \
         WHERE id = ?1",
        params![id, now.unix_millis()],
    )?;
    // Customers merged into this one are the same person.
    let merged: Vec<i64> = conn
        .prepare("SELECT id FROM customers WHERE merged_into = ?1")?
        .query_map([id], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for m in merged {
        conn.execute(
            "UPDATE customers SET name = NULL, external_ref = NULL, postal_area = NULL, erased_at = ?2 WHERE id = ?1",
            params![m, now.unix_millis()],
        )?;
    }
    audit(conn, now, actor, "customer_erased", Some(id), json!({ "messages": messages.len() }), reason)?;
    cases::event(conn, now, "customer.erased", None, json!({ "customer_id": id }))?;
    Ok(messages.len() as u64)
}

/// Records consent given or withdrawn.
pub fn record_consent(conn: &Connection, now: Timestamp, id: i64, c: &Consent) -> Result<(), StoreError> {
    let invalid = |field: &str, message: &str| StoreError::Invalid {
        field: field.into(),
        code: "invalid_value",
        message: message.into(),
    };
    if !matches!(c.purpose.as_str(), "marketing" | "proactive") {
        return Err(invalid("purpose", "the purpose is marketing or proactive"));
    }
    if c.wording_version.trim().is_empty() || c.wording_version.len() > 64 {
        return Err(invalid("wording_version", "say which wording the person saw (1 to 64 characters)"));
    }
    if c.method.trim().is_empty() || c.method.len() > 64 {
        return Err(invalid("method", "say how it was given: web_form, phone, email, import..."));
    }
    let live: Option<(Option<i64>, Option<i64>)> = conn
        .prepare("SELECT merged_into, erased_at FROM customers WHERE id = ?1")?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    match live {
        None => return Err(StoreError::NotFound(format!("customer {id}"))),
        Some((_, Some(_))) | Some((Some(_), _)) => {
            return Err(StoreError::Invalid {
                field: "customer_id".into(),
                code: "not_live",
                message: format!("customer {id} has been erased or merged"),
            });
        }
        _ => {}
    }
    conn.execute(
        "INSERT INTO consents (customer_id, purpose, granted, at, wording_version, method) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![id, c.purpose, c.granted, now.unix_millis(), c.wording_version, c.method],
    )?;
    audit(
        conn,
        now,
        "customer",
        if c.granted { "consent_given" } else { "consent_withdrawn" },
        Some(id),
        json!({ "purpose": c.purpose, "wording_version": c.wording_version, "method": c.method }),
        "recorded",
    )?;
    Ok(())
}
