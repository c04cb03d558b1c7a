//! Finding customers: by id, email, phone, reference on record, handle, a
//! number a message mentioned, or the start of their name; and what links a
//! customer to others (merges to undo, suggested matches).
//!
//! Every lookup is an exact match on an indexed column, or a range on the
//! name index (`customers_by_name`, NOCASE), so a search costs a handful of
//! index seeks whatever the size of the database. Nothing scans.

use firebreak_domain::{Channel, CustomerId, Email, Phone, Timestamp};
use rusqlite::{Connection, OptionalExtension, ToSql, params};

use crate::{CustomerLinks, CustomerSummary, MergeRecord, StoreError};

fn ts(ms: i64) -> Timestamp {
    Timestamp::from_unix_millis(ms).unwrap_or_else(|_| Timestamp::now())
}

/// The most results a search returns.
pub const MAX_RESULTS: u32 = 100;

/// Candidates in the order found, each with what matched.
struct Found {
    ids: Vec<(i64, String)>,
    limit: usize,
}

impl Found {
    fn add(&mut self, id: i64, matched: impl Into<String>) {
        if self.ids.len() < self.limit * 2 && !self.ids.iter().any(|(i, _)| *i == id) {
            self.ids.push((id, matched.into()));
        }
    }

    /// Adds the ids `sql` finds for `value` (bound as `?1`, the limit as `?2`).
    fn add_all(&mut self, conn: &Connection, sql: &str, value: &dyn ToSql, matched: &str) -> Result<(), StoreError> {
        let mut stmt = conn.prepare_cached(sql)?;
        let ids: Vec<i64> =
            stmt.query_map(params![value, self.limit as i64], |r| r.get(0))?.collect::<Result<_, _>>()?;
        for id in ids {
            self.add(id, matched);
        }
        Ok(())
    }
}

/// Customers matching `q`, strongest evidence first: an exact id, email,
/// phone, reference or handle before a name that starts with the words.
pub fn search(conn: &Connection, q: &str, limit: u32) -> Result<Vec<CustomerSummary>, StoreError> {
    let q = q.trim();
    if q.is_empty() || q.len() > 256 {
        return Ok(Vec::new());
    }
    let limit = limit.clamp(1, MAX_RESULTS) as usize;
    let mut found = Found { ids: Vec::new(), limit };
    let lower = q.trim_start_matches('@').to_lowercase();
    if let Ok(id) = q.trim_start_matches('#').parse::<i64>() {
        found.add_all(conn, "SELECT id FROM customers WHERE id = ?1 LIMIT ?2", &id, "customer id")?;
    }
    found.add_all(conn, "SELECT id FROM customers WHERE external_ref = ?1 LIMIT ?2", &q, "reference on record")?;
    if let Ok(email) = Email::parse(q) {
        found.add_all(
            conn,
            "SELECT customer_id FROM customer_emails WHERE email = ?1 LIMIT ?2",
            &email.as_str(),
            "email",
        )?;
    }
    if q.chars().filter(char::is_ascii_digit).count() >= 5
        && let Ok(phone) = Phone::parse(q)
    {
        found.add_all(
            conn,
            "SELECT customer_id FROM customer_phones WHERE phone = ?1 LIMIT ?2",
            &phone.as_str(),
            "phone",
        )?;
    }
    // References on record: account, order and booking numbers, and handles
    // the company's systems know. The kinds are spelled out (not bound) so
    // the primary key (kind, value, customer_id) serves each as a seek.
    let kinds: Vec<String> = ["account", "order", "booking"]
        .into_iter()
        .chain(Channel::ALL.iter().map(|c| c.as_str()))
        .map(|k| format!("'{k}'"))
        .collect();
    let refs: Vec<(i64, String)> = conn
        .prepare_cached(&format!(
            "SELECT customer_id, kind FROM customer_refs WHERE kind IN ({}) AND value = ?1 LIMIT ?2",
            kinds.join(",")
        ))?
        .query_map(params![lower, limit as i64], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    for (id, kind) in refs {
        let what = match kind.as_str() {
            "account" | "order" | "booking" => format!("{kind} number"),
            channel => format!("{channel} handle on record"),
        };
        found.add(id, what);
    }
    let handles: Vec<(i64, String)> = conn
        .prepare_cached(
            "SELECT customer_id, channel FROM identities WHERE handle = ?1 COLLATE NOCASE \
             AND customer_id IS NOT NULL LIMIT ?2",
        )?
        .query_map(params![lower, limit as i64], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    for (id, channel) in handles {
        found.add(id, format!("{channel} handle"));
    }
    found.add_all(
        conn,
        "SELECT DISTINCT i.customer_id FROM message_entities e JOIN messages m ON m.id = e.message_id \
         JOIN identities i ON i.id = m.identity_id \
         WHERE e.value = ?1 AND e.kind IN ('order_number', 'booking_number', 'account_number') \
         AND i.customer_id IS NOT NULL LIMIT ?2",
        &lower,
        "mentioned in their message",
    )?;
    // Names that start with the query: a range on the NOCASE index. The upper
    // bound is the query followed by the largest code point.
    let upper = format!("{q}\u{10FFFF}");
    let names: Vec<i64> = conn
        .prepare_cached(
            "SELECT id FROM customers WHERE name COLLATE NOCASE >= ?1 AND name COLLATE NOCASE < ?2 \
             ORDER BY name COLLATE NOCASE, id LIMIT ?3",
        )?
        .query_map(params![q, upper, limit as i64 * 2], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for id in names {
        found.add(id, "name");
    }
    let mut out: Vec<CustomerSummary> = Vec::new();
    for (id, matched) in found.ids {
        let Some(live) = follow_merges(conn, id)? else { continue };
        if out.iter().any(|c| c.id.0 == live) {
            continue;
        }
        if let Some(s) = summary(conn, live, matched)? {
            out.push(s);
        }
        if out.len() >= limit {
            break;
        }
    }
    Ok(out)
}

/// The customer a merged one went to (through chains of merges), or `None`
/// for an erased or unknown one.
fn follow_merges(conn: &Connection, mut id: i64) -> Result<Option<i64>, StoreError> {
    for _ in 0..16 {
        let row: Option<(Option<i64>, Option<i64>)> = conn
            .prepare_cached("SELECT merged_into, erased_at FROM customers WHERE id = ?1")?
            .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        match row {
            None | Some((_, Some(_))) => return Ok(None),
            Some((Some(into), None)) => id = into,
            Some((None, None)) => return Ok(Some(id)),
        }
    }
    Ok(None)
}

fn summary(conn: &Connection, id: i64, matched: String) -> Result<Option<CustomerSummary>, StoreError> {
    let head: Option<(Option<String>, Option<String>, bool)> = conn
        .prepare_cached("SELECT name, external_ref, provisional FROM customers WHERE id = ?1")?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    let Some((name, external_ref, provisional)) = head else { return Ok(None) };
    let emails = conn
        .prepare_cached("SELECT email FROM customer_emails WHERE customer_id = ?1 ORDER BY email LIMIT 3")?
        .query_map([id], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let identities = conn
        .prepare_cached(
            "SELECT channel, coalesce('@' || handle, platform_id) FROM identities WHERE customer_id = ?1 \
             ORDER BY id LIMIT 3",
        )?
        .query_map([id], |r| {
            let channel: String = r.get(0)?;
            Ok((Channel::parse(&channel).unwrap_or(Channel::WebForm), r.get(1)?))
        })?
        .collect::<Result<_, _>>()?;
    let open_cases: i64 = conn
        .prepare_cached("SELECT count(*) FROM cases WHERE customer_id = ?1 AND status IN ('new', 'open', 'pending')")?
        .query_row([id], |r| r.get(0))?;
    Ok(Some(CustomerSummary {
        id: CustomerId(id),
        name,
        external_ref,
        provisional,
        emails,
        identities,
        open_cases: open_cases.max(0) as u64,
        matched,
    }))
}

/// The merges into a customer (found through the audit log's index by
/// customer) and the open suggestions about their identities.
pub fn links(conn: &Connection, customer: i64) -> Result<CustomerLinks, StoreError> {
    let merge_ids: Vec<String> = conn
        .prepare_cached(
            "SELECT details FROM audit_log WHERE customer_id = ?1 AND action = 'customers_merged' \
             ORDER BY at DESC, id DESC LIMIT 200",
        )?
        .query_map([customer], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let mut merges = Vec::new();
    for details in merge_ids {
        let v: serde_json::Value = serde_json::from_str(&details).unwrap_or_default();
        let Some(id) = v["merge_id"].as_i64() else { continue };
        let row = conn
            .prepare_cached("SELECT id, source_id, target_id, at, actor, reason, undone_at FROM merges WHERE id = ?1")?
            .query_row([id], |r| {
                Ok(MergeRecord {
                    id: r.get(0)?,
                    from: CustomerId(r.get(1)?),
                    into: CustomerId(r.get(2)?),
                    at: ts(r.get(3)?),
                    actor: r.get(4)?,
                    reason: r.get(5)?,
                    undone_at: r.get::<_, Option<i64>>(6)?.map(ts),
                })
            })
            .optional()?;
        // Only merges into this customer can be undone from its page.
        if let Some(m) = row.filter(|m| m.into.0 == customer && !merges.iter().any(|x: &MergeRecord| x.id == m.id)) {
            merges.push(m);
        }
    }
    let suggestions = conn
        .prepare_cached(
            "SELECT p.id, p.identity_id, p.customer_id, p.score, p.evidence, p.status \
             FROM identities i JOIN match_proposals p ON p.identity_id = i.id \
             WHERE i.customer_id = ?1 AND p.status = 'proposed' AND p.customer_id <> ?1 \
             ORDER BY p.score DESC, p.id LIMIT 20",
        )?
        .query_map([customer], super::case_api::proposal_from_row)?
        .collect::<Result<_, _>>()?;
    Ok(CustomerLinks { merges, suggestions })
}
