//! People on the write path: the identity of each message's author, the
//! customer it belongs to, and the audit log.
//!
//! A customer's message needs a customer for its case, so a person we cannot
//! tie to the company's records yet gets a provisional customer of their own.
//! Verifiable evidence ties an identity to a real customer when it is first
//! seen: the address of an email, the number of an SMS or call, a handle the
//! company's records list. Later evidence (an order number in a tweet) merges
//! the provisional customer into the real one (see `merges`).

use firebreak_domain::{
    Author, Channel, Direction, DisplayName, Email, Handle, NewMessage, Phone, Timestamp, judgement::EntityKind,
};
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::json;

use super::merges;
use crate::StoreError;

const INSERT_IDENTITY: &str = "\
    INSERT OR IGNORE INTO identities (channel, platform_id, handle, name, followers, first_seen, brand, customer_id) \
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
const FIND_IDENTITY: &str =
    "SELECT id, handle, name, followers, customer_id, brand FROM identities WHERE platform_id = ?1 AND channel = ?2";
const REFRESH_IDENTITY: &str = "\
    UPDATE OR IGNORE identities SET handle = coalesce(?2, handle), name = coalesce(?3, name), \
                                    followers = coalesce(?4, followers) WHERE id = ?1";

fn clamp_u64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// The author of a message as the write path needs them.
#[derive(Debug, Clone, Copy)]
pub struct AuthorRow {
    pub identity: i64,
    /// The customer of a person writing to the brand; `None` for the brand's
    /// own accounts.
    pub customer: Option<i64>,
    /// The customer was created for this message, so has no cases yet.
    pub new_customer: bool,
}

type IdentityRow = (i64, Option<String>, Option<String>, Option<i64>, Option<i64>, bool);

/// Finds or creates the author's identity (refreshing handle, name and
/// follower count), and for a customer's message, their customer.
pub fn author(conn: &Connection, m: &NewMessage, now: Timestamp) -> Result<AuthorRow, StoreError> {
    let a = &m.author;
    let handle = a.handle.as_ref().map(Handle::as_str);
    let name = a.name.as_ref().map(DisplayName::as_str);
    let followers = a.followers.map(clamp_u64);
    let found: Option<IdentityRow> = conn
        .prepare_cached(FIND_IDENTITY)?
        .query_row(params![a.id.as_str(), m.channel.as_str()], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))
        })
        .optional()?;
    if let Some((id, old_handle, old_name, old_followers, customer, is_brand)) = found {
        let changed = (handle.is_some() && handle != old_handle.as_deref())
            || (name.is_some() && name != old_name.as_deref())
            || (followers.is_some() && followers != old_followers);
        if changed {
            conn.prepare_cached(REFRESH_IDENTITY)?.execute(params![id, handle, name, followers])?;
        }
        if let Some(c) = customer
            && m.direction == Direction::In
            && mentions_refs(m)
            && merges::is_provisional(conn, c)?
            && let Some((real, evidence)) = referenced_customer(conn, m)?
        {
            // Later evidence: the person we knew only by this handle is a
            // customer on record. Their provisional customer joins the real one.
            merges::merge(conn, now, c, real, "system", &evidence)?;
            return Ok(AuthorRow { identity: id, customer: Some(real), new_customer: false });
        }
        if is_brand || customer.is_some() || m.direction == Direction::Out {
            return Ok(AuthorRow { identity: id, customer, new_customer: false });
        }
        // Seen before only as the brand's... or never tied: tie it now.
        let (customer, new_customer) = resolve(conn, m, id, now)?;
        conn.prepare_cached("UPDATE OR IGNORE identities SET customer_id = ?2 WHERE id = ?1")?
            .execute(params![id, customer])?;
        return Ok(AuthorRow { identity: id, customer: Some(customer), new_customer });
    }
    // A new person: their customer first, so the identity is written once.
    let brand = m.direction == Direction::Out;
    let (customer, new_customer) = if brand {
        (None, false)
    } else {
        let (c, new) = resolve(conn, m, 0, now)?;
        (Some(c), new)
    };
    let n = conn.prepare_cached(INSERT_IDENTITY)?.execute(params![
        m.channel.as_str(),
        a.id.as_str(),
        handle,
        name,
        followers,
        now.unix_millis(),
        brand,
        customer
    ])?;
    let identity = super::rows::inserted_id(conn, n, "identity")?;
    if new_customer {
        propose(conn, m, identity, now)?;
    }
    Ok(AuthorRow { identity, customer, new_customer })
}

/// Whether triage found an account, order or booking number in the message.
fn mentions_refs(m: &NewMessage) -> bool {
    m.triage.as_ref().is_some_and(|j| {
        j.entities
            .iter()
            .any(|e| matches!(e.kind, EntityKind::OrderNumber | EntityKind::AccountNumber | EntityKind::BookingNumber))
    })
}

/// A customer whose records hold an account, order or booking number the
/// message mentions (as triage found it), with the evidence. Only a single,
/// unambiguous, real customer counts.
fn referenced_customer(conn: &Connection, m: &NewMessage) -> Result<Option<(i64, String)>, StoreError> {
    let Some(j) = &m.triage else { return Ok(None) };
    for e in &j.entities {
        let kind = match e.kind {
            EntityKind::OrderNumber => "order",
            EntityKind::AccountNumber => "account",
            EntityKind::BookingNumber => "booking",
            _ => continue,
        };
        let found: Vec<i64> = conn
            .prepare_cached(
                "SELECT DISTINCT c.id FROM customer_refs r JOIN customers c ON c.id = r.customer_id \
                 WHERE r.kind = ?1 AND r.value = ?2 AND c.merged_into IS NULL AND c.erased_at IS NULL \
                 AND c.provisional = 0 LIMIT 2",
            )?
            .query_map(params![kind, e.text.to_lowercase()], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        if let [one] = found.as_slice() {
            return Ok(Some((
                *one,
                format!("the {kind} number {} in the message is on the customer's record", e.text),
            )));
        }
    }
    Ok(None)
}

/// A customer the company's records tie to this author, with the evidence.
fn verified_customer(conn: &Connection, channel: Channel, a: &Author) -> Result<Option<(i64, String)>, StoreError> {
    let live = "AND c.merged_into IS NULL AND c.erased_at IS NULL AND c.provisional = 0";
    match channel {
        Channel::Email => {
            if let Ok(email) = Email::parse(a.id.as_str()) {
                let found: Option<i64> = conn
                    .prepare_cached(&format!(
                        "SELECT c.id FROM customer_emails e JOIN customers c ON c.id = e.customer_id \
                         WHERE e.email = ?1 {live} ORDER BY c.id LIMIT 1"
                    ))?
                    .query_row([email.as_str()], |r| r.get(0))
                    .optional()?;
                return Ok(found.map(|c| (c, format!("the email address {email} is on the customer's record"))));
            }
        }
        Channel::Sms | Channel::Phone => {
            if let Ok(phone) = Phone::parse(a.id.as_str()) {
                let found: Option<i64> = conn
                    .prepare_cached(&format!(
                        "SELECT c.id FROM customer_phones p JOIN customers c ON c.id = p.customer_id \
                         WHERE p.phone = ?1 {live} ORDER BY c.id LIMIT 1"
                    ))?
                    .query_row([phone.as_str()], |r| r.get(0))
                    .optional()?;
                return Ok(found.map(|c| (c, format!("the number {} is on the customer's record", phone.as_str()))));
            }
        }
        _ => {}
    }
    if let Some(h) = &a.handle {
        let found: Option<i64> = conn
            .prepare_cached(&format!(
                "SELECT c.id FROM customer_refs r JOIN customers c ON c.id = r.customer_id \
                 WHERE r.kind = ?1 AND r.value = ?2 {live} ORDER BY c.id LIMIT 1"
            ))?
            .query_row(params![channel.as_str(), h.as_str().to_lowercase()], |r| r.get(0))
            .optional()?;
        return Ok(found.map(|c| (c, format!("the {channel} handle @{h} is on the customer's record"))));
    }
    Ok(None)
}

/// The customer an author belongs to: the one the evidence names, or a new
/// provisional customer. Returns the customer and whether it is new.
fn resolve(conn: &Connection, m: &NewMessage, identity: i64, now: Timestamp) -> Result<(i64, bool), StoreError> {
    let (channel, a) = (m.channel, &m.author);
    let evidence = match verified_customer(conn, channel, a)? {
        Some(found) => Some(found),
        None => referenced_customer(conn, m)?,
    };
    match evidence {
        Some((customer, evidence)) => {
            audit(
                conn,
                now,
                "system",
                "identity_linked",
                Some(customer),
                json!({ "identity_id": (identity != 0).then_some(identity), "channel": channel, "platform_id": a.id }),
                &evidence,
            )?;
            Ok((customer, false))
        }
        None => {
            let name = a.name.as_ref().map(DisplayName::as_str).or(a.handle.as_ref().map(Handle::as_str));
            let n = conn
                .prepare_cached(
                    "INSERT OR IGNORE INTO customers (name, provisional, created_at, updated_at) \
                     VALUES (?1, 1, ?2, ?2)",
                )?
                .execute(params![name, now.unix_millis()])?;
            Ok((super::rows::inserted_id(conn, n, "customer")?, true))
        }
    }
}

/// Suggests customers on record who may be this new person, from evidence
/// that is only suggestive: the same name, a handle that is the local part of
/// a customer's email address, a postcode in the message that is the
/// customer's area. An agent confirms or rejects each suggestion.
fn propose(conn: &Connection, m: &NewMessage, identity: i64, now: Timestamp) -> Result<(), StoreError> {
    let live = "c.provisional = 0 AND c.merged_into IS NULL AND c.erased_at IS NULL";
    let mut scores: Vec<(i64, f64, Vec<String>)> = Vec::new();
    fn add(scores: &mut Vec<(i64, f64, Vec<String>)>, customer: i64, score: f64, why: String) {
        match scores.iter_mut().find(|s| s.0 == customer) {
            Some(s) => {
                s.1 = (s.1 + score).min(0.95);
                s.2.push(why);
            }
            None => scores.push((customer, score, vec![why])),
        }
    }
    if let Some(name) = m.author.name.as_ref().map(DisplayName::as_str).filter(|n| n.split_whitespace().count() >= 2) {
        let found: Vec<i64> = conn
            .prepare_cached(&format!(
                "SELECT c.id FROM customers c WHERE c.name = ?1 COLLATE NOCASE AND {live} LIMIT 5"
            ))?
            .query_map([name], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        for c in found {
            add(&mut scores, c, 0.5, format!("the same name, {name}"));
        }
    }
    if let Some(h) = &m.author.handle {
        let h = h.as_str().to_lowercase();
        let mut locals = vec![h.clone(), h.replace('_', "."), h.replace(['_', '.', '-'], "")];
        locals.dedup();
        for local in locals.iter().filter(|l| l.len() >= 3) {
            // Addresses that start with `local@`: '@' is followed by 'A' in ASCII.
            let found: Vec<(i64, String)> = conn
                .prepare_cached(&format!(
                    "SELECT c.id, e.email FROM customer_emails e JOIN customers c ON c.id = e.customer_id \
                     WHERE e.email >= ?1 || '@' AND e.email < ?1 || 'A' AND {live} LIMIT 5"
                ))?
                .query_map([local], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_, _>>()?;
            for (c, email) in found {
                add(&mut scores, c, 0.6, format!("the handle @{h} is the start of their address {email}"));
            }
        }
    }
    if let Some(j) = &m.triage {
        for e in j.entities.iter().filter(|e| matches!(e.kind, EntityKind::Postcode | EntityKind::ZipCode)) {
            let area = e.text.to_uppercase();
            let found: Vec<i64> = conn
                .prepare_cached(&format!("SELECT c.id FROM customers c WHERE c.postal_area = ?1 AND {live} LIMIT 50"))?
                .query_map([&area], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            // An area alone fits too many people: it only strengthens another hint.
            let hinted: Vec<i64> = scores.iter().map(|s| s.0).collect();
            for c in found.into_iter().filter(|c| hinted.contains(c)) {
                add(&mut scores, c, 0.2, format!("the message names their area, {area}"));
            }
        }
    }
    for (customer, score, why) in scores {
        conn.prepare_cached(
            "INSERT OR IGNORE INTO match_proposals (identity_id, customer_id, score, evidence, status, created_at) \
             VALUES (?1, ?2, ?3, ?4, 'proposed', ?5)",
        )?
        .execute(params![identity, customer, score, json!(why).to_string(), now.unix_millis()])?;
    }
    Ok(())
}

/// An agent's decision on a suggested match. Confirming merges the person's
/// provisional customer into the one suggested (or moves the identity when
/// it already belongs to a real customer).
pub fn decide_proposal(
    conn: &Connection,
    now: Timestamp,
    proposal: i64,
    confirm: bool,
    by: &str,
) -> Result<i64, StoreError> {
    let row: Option<(i64, i64, String, String)> = conn
        .prepare_cached("SELECT identity_id, customer_id, evidence, status FROM match_proposals WHERE id = ?1")?
        .query_row([proposal], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .optional()?;
    let Some((identity, customer, evidence, status)) = row else {
        return Err(StoreError::NotFound(format!("match proposal {proposal}")));
    };
    if status != "proposed" {
        return Err(StoreError::Invalid {
            field: "proposal".into(),
            code: "already_decided",
            message: format!("the proposal was already {status}"),
        });
    }
    let why = format!("{} by {by}: {evidence}", if confirm { "confirmed" } else { "rejected" });
    if confirm {
        let current: Option<i64> = conn
            .prepare_cached("SELECT customer_id FROM identities WHERE id = ?1")?
            .query_row([identity], |r| r.get(0))
            .optional()?
            .flatten();
        match current {
            Some(c) if c != customer && merges::is_provisional(conn, c)? => {
                merges::merge(conn, now, c, customer, by, &why)?;
            }
            _ => {
                conn.execute("UPDATE identities SET customer_id = ?2 WHERE id = ?1", params![identity, customer])?;
                audit(conn, now, by, "identity_linked", Some(customer), json!({ "identity_id": identity }), &why)?;
            }
        }
    } else {
        audit(conn, now, by, "match_rejected", Some(customer), json!({ "identity_id": identity }), &why)?;
    }
    conn.execute(
        "UPDATE match_proposals SET status = ?2, decided_at = ?3, decided_by = ?4 WHERE id = ?1",
        params![proposal, if confirm { "confirmed" } else { "rejected" }, now.unix_millis(), by],
    )?;
    Ok(customer)
}

/// Records who did what to whom, and why.
pub fn audit(
    conn: &Connection,
    now: Timestamp,
    actor: &str,
    action: &str,
    customer: Option<i64>,
    details: serde_json::Value,
    reason: &str,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT OR IGNORE INTO audit_log (at, actor, action, customer_id, details, reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![now.unix_millis(), actor, action, customer, details.to_string(), reason])?;
    Ok(())
}
