//! Merging two customers into one, and undoing it exactly.
//!
//! A merge moves everything of the source customer to the target (identities
//! and so their messages, cases, account events, consents, contact points,
//! reference numbers, match proposals, products held, incident notices and
//! goodwill credits) and records exactly what it moved, so
//! that undoing it moves exactly that back. A contact point the target
//! already had is not moved (it stays with the source) and so is not taken
//! from the target on undo. Every merge and unmerge is in the audit log.

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{cases, people::audit};
use crate::StoreError;
use firebreak_domain::Timestamp;

/// What a merge moved, by row.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Moved {
    identities: Vec<i64>,
    cases: Vec<i64>,
    account_events: Vec<i64>,
    consents: Vec<i64>,
    proposals: Vec<i64>,
    emails: Vec<String>,
    phones: Vec<String>,
    refs: Vec<(String, String)>,
    // Added with incidents: absent from merges recorded before them.
    #[serde(default)]
    products: Vec<String>,
    #[serde(default)]
    notices: Vec<i64>,
    #[serde(default)]
    credits: Vec<i64>,
}

fn ids(conn: &Connection, sql: &str, customer: i64) -> Result<Vec<i64>, StoreError> {
    Ok(conn.prepare_cached(sql)?.query_map([customer], |r| r.get(0))?.collect::<Result<_, _>>()?)
}

fn invalid(field: &str, code: &'static str, message: String) -> StoreError {
    StoreError::Invalid { field: field.into(), code, message }
}

/// Checks that a customer exists, is not erased and not merged away.
fn live(conn: &Connection, id: i64, field: &str) -> Result<bool, StoreError> {
    let row: Option<(Option<i64>, Option<i64>, bool)> = conn
        .prepare_cached("SELECT merged_into, erased_at, provisional FROM customers WHERE id = ?1")?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    match row {
        None => Err(StoreError::NotFound(format!("customer {id}"))),
        Some((_, Some(_), _)) => Err(invalid(field, "erased", format!("customer {id} has been erased"))),
        Some((Some(into), _, _)) => Err(invalid(field, "merged", format!("customer {id} was merged into {into}"))),
        Some((None, None, provisional)) => Ok(provisional),
    }
}

/// Merges `source` into `target`; returns the merge's id.
pub fn merge(
    conn: &Connection,
    now: Timestamp,
    source: i64,
    target: i64,
    actor: &str,
    reason: &str,
) -> Result<i64, StoreError> {
    if source == target {
        return Err(invalid("from", "same_customer", "a customer cannot be merged with itself".into()));
    }
    if reason.trim().is_empty() {
        return Err(invalid("reason", "empty", "say why the two customers are one".into()));
    }
    live(conn, source, "from")?;
    live(conn, target, "customer_id")?;
    let mut moved = Moved {
        identities: ids(conn, "SELECT id FROM identities WHERE customer_id = ?1 ORDER BY id", source)?,
        cases: ids(conn, "SELECT id FROM cases WHERE customer_id = ?1 ORDER BY id", source)?,
        account_events: ids(conn, "SELECT id FROM account_events WHERE customer_id = ?1 ORDER BY id", source)?,
        consents: ids(conn, "SELECT id FROM consents WHERE customer_id = ?1 ORDER BY id", source)?,
        proposals: ids(conn, "SELECT id FROM match_proposals WHERE customer_id = ?1 ORDER BY id", source)?,
        ..Moved::default()
    };
    for table in ["identities", "cases", "account_events", "consents", "match_proposals"] {
        conn.execute(
            &format!("UPDATE OR IGNORE {table} SET customer_id = ?2 WHERE customer_id = ?1"),
            params![source, target],
        )?;
    }
    // Notices and credits are once per incident and customer: those the
    // target already has for the same incident stay with the source.
    for (table, list) in [("notices", &mut moved.notices), ("credits", &mut moved.credits)] {
        let candidates = ids(conn, &format!("SELECT id FROM {table} WHERE customer_id = ?1 ORDER BY id"), source)?;
        let mut stmt = conn.prepare(&format!("UPDATE OR IGNORE {table} SET customer_id = ?2 WHERE id = ?1"))?;
        for id in candidates {
            if stmt.execute(params![id, target])? == 1 {
                list.push(id);
            }
        }
    }
    let products: Vec<String> = conn
        .prepare_cached("SELECT product FROM customer_products WHERE customer_id = ?1 ORDER BY product")?
        .query_map([source], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for p in products {
        if conn.execute(
            "INSERT OR IGNORE INTO customer_products (customer_id, product) VALUES (?1, ?2)",
            params![target, p],
        )? == 1
        {
            conn.execute("DELETE FROM customer_products WHERE customer_id = ?1 AND product = ?2", params![source, p])?;
            moved.products.push(p);
        }
    }
    // Contact points and references: move those the target lacks.
    let emails: Vec<String> = conn
        .prepare_cached("SELECT email FROM customer_emails WHERE customer_id = ?1 ORDER BY email")?
        .query_map([source], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for e in emails {
        if conn
            .execute("INSERT OR IGNORE INTO customer_emails (customer_id, email) VALUES (?1, ?2)", params![target, e])?
            == 1
        {
            conn.execute("DELETE FROM customer_emails WHERE customer_id = ?1 AND email = ?2", params![source, e])?;
            moved.emails.push(e);
        }
    }
    let phones: Vec<String> = conn
        .prepare_cached("SELECT phone FROM customer_phones WHERE customer_id = ?1 ORDER BY phone")?
        .query_map([source], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for p in phones {
        if conn
            .execute("INSERT OR IGNORE INTO customer_phones (customer_id, phone) VALUES (?1, ?2)", params![target, p])?
            == 1
        {
            conn.execute("DELETE FROM customer_phones WHERE customer_id = ?1 AND phone = ?2", params![source, p])?;
            moved.phones.push(p);
        }
    }
    let refs: Vec<(String, String)> = conn
        .prepare_cached("SELECT kind, value FROM customer_refs WHERE customer_id = ?1 ORDER BY kind, value")?
        .query_map([source], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    for (k, v) in refs {
        if conn.execute(
            "INSERT OR IGNORE INTO customer_refs (kind, value, customer_id) VALUES (?1, ?2, ?3)",
            params![k, v, target],
        )? == 1
        {
            conn.execute(
                "DELETE FROM customer_refs WHERE kind = ?1 AND value = ?2 AND customer_id = ?3",
                params![k, v, source],
            )?;
            moved.refs.push((k, v));
        }
    }
    conn.execute("UPDATE OR IGNORE customers SET merged_into = ?2 WHERE id = ?1", params![source, target])?;
    let record = serde_json::to_string(&moved).map_err(|e| StoreError::Database(e.to_string()))?;
    conn.execute(
        "INSERT INTO merges (source_id, target_id, at, actor, reason, moved) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![source, target, now.unix_millis(), actor, reason, record],
    )?;
    let merge_id = conn.last_insert_rowid();
    let details = json!({ "merge_id": merge_id, "from": source, "into": target, "moved": moved });
    audit(conn, now, actor, "customers_merged", Some(target), details.clone(), reason)?;
    audit(conn, now, actor, "customers_merged", Some(source), details, reason)?;
    cases::event(conn, now, "customer.merged", None, json!({ "merge_id": merge_id, "from": source, "into": target }))?;
    Ok(merge_id)
}

/// Undoes a merge: moves back exactly what it moved.
pub fn unmerge(conn: &Connection, now: Timestamp, merge_id: i64, actor: &str, reason: &str) -> Result<(), StoreError> {
    if reason.trim().is_empty() {
        return Err(invalid("reason", "empty", "say why the merge is undone".into()));
    }
    let row: Option<(i64, i64, String, Option<i64>)> = conn
        .prepare_cached("SELECT source_id, target_id, moved, undone_at FROM merges WHERE id = ?1")?
        .query_row([merge_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .optional()?;
    let Some((source, target, moved, undone)) = row else {
        return Err(StoreError::NotFound(format!("merge {merge_id}")));
    };
    if undone.is_some() {
        return Err(invalid("merge_id", "already_undone", format!("merge {merge_id} was already undone")));
    }
    let moved: Moved = serde_json::from_str(&moved).map_err(|e| StoreError::Database(e.to_string()))?;
    for (table, list) in [
        ("identities", &moved.identities),
        ("cases", &moved.cases),
        ("account_events", &moved.account_events),
        ("consents", &moved.consents),
        ("match_proposals", &moved.proposals),
        ("notices", &moved.notices),
        ("credits", &moved.credits),
    ] {
        let mut stmt = conn.prepare(&format!("UPDATE OR IGNORE {table} SET customer_id = ?2 WHERE id = ?1"))?;
        for id in list {
            stmt.execute(params![id, source])?;
        }
    }
    for e in &moved.emails {
        conn.execute(
            "UPDATE OR IGNORE customer_emails SET customer_id = ?1 WHERE customer_id = ?2 AND email = ?3",
            params![source, target, e],
        )?;
    }
    for p in &moved.phones {
        conn.execute(
            "UPDATE OR IGNORE customer_phones SET customer_id = ?1 WHERE customer_id = ?2 AND phone = ?3",
            params![source, target, p],
        )?;
    }
    for (k, v) in &moved.refs {
        conn.execute(
            "UPDATE OR IGNORE customer_refs SET customer_id = ?1 WHERE customer_id = ?2 AND kind = ?3 AND value = ?4",
            params![source, target, k, v],
        )?;
    }
    for p in &moved.products {
        conn.execute(
            "UPDATE OR IGNORE customer_products SET customer_id = ?1 WHERE customer_id = ?2 AND product = ?3",
            params![source, target, p],
        )?;
    }
    conn.execute("UPDATE OR IGNORE customers SET merged_into = NULL WHERE id = ?1", [source])?;
    conn.execute("UPDATE OR IGNORE merges SET undone_at = ?2 WHERE id = ?1", params![merge_id, now.unix_millis()])?;
    let details = json!({ "merge_id": merge_id, "from": source, "into": target });
    audit(conn, now, actor, "customers_unmerged", Some(target), details.clone(), reason)?;
    audit(conn, now, actor, "customers_unmerged", Some(source), details, reason)?;
    cases::event(
        conn,
        now,
        "customer.unmerged",
        None,
        json!({ "merge_id": merge_id, "from": source, "into": target }),
    )?;
    Ok(())
}

/// Whether a customer is provisional (created for an unknown author).
pub fn is_provisional(conn: &Connection, id: i64) -> Result<bool, StoreError> {
    Ok(conn
        .prepare_cached("SELECT provisional FROM customers WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?
        .unwrap_or(false))
}
