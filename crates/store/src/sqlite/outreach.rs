//! The customers an incident affects, in SQL, and what is done for them:
//! proactive notices (queued, then claimed and recorded by the delivery
//! worker), goodwill credits, and the marketing suppression list.
//!
//! The affected customers are a set, never a loop: [`affected_sql`] writes
//! one `SELECT` over the index on `customers(postal_area)` (an area is a
//! range of postal areas) and `customer_products(product)`, and outreach and
//! credits are each one `INSERT ... SELECT` over it, so 100,000 notices are
//! queued in one statement of one writer job.

use firebreak_domain::{Channel, CustomerId, Timestamp};
use rusqlite::{Connection, OptionalExtension, Row, ToSql, params, params_from_iter};
use serde_json::json;

use super::{
    cases::event,
    incidents::{corrupt, existing, incidents, opt_ts, ts},
};
use crate::{
    AffectedCounts, CreditQuery, CreditReport, CreditRow, DeliveryStatus, Incident, IncidentCounts, IncidentFilter,
    NewCredits, Notice, NoticeKind, Outreach, OutreachReport, Skipped, StoreError, SuppressionPage, SuppressionQuery,
    SuppressionReason, SuppressionRow,
};

// ------------------------------------------------------ affected customers

/// The ids of the customers an incident affects, as SQL with its arguments:
/// those whose postal area lies in one of its areas, or who hold one of its
/// products or services. Merged and erased customers are left out.
pub(super) fn affected_sql(incident: &Incident) -> (String, Vec<String>) {
    let mut parts: Vec<String> = Vec::new();
    let mut args: Vec<String> = Vec::new();
    fn arg(args: &mut Vec<String>, v: String) -> String {
        args.push(v);
        format!("?{}", args.len())
    }
    for a in incident.all_areas() {
        if a.bytes().all(|b| b.is_ascii_digit()) {
            // A ZIP prefix: every postal area that starts with it.
            let mut upper = a.clone().into_bytes();
            if let Some(last) = upper.last_mut() {
                *last += 1;
            }
            let lo = arg(&mut args, a.clone());
            let hi = arg(&mut args, String::from_utf8(upper).unwrap_or_default());
            parts.push(format!("SELECT id FROM customers WHERE postal_area >= {lo} AND postal_area < {hi}"));
        } else {
            // The area itself, and every postal area of the form `AREA ...`.
            let eq = arg(&mut args, a.clone());
            let lo = arg(&mut args, format!("{a} "));
            let hi = arg(&mut args, format!("{a}!"));
            parts.push(format!(
                "SELECT id FROM customers WHERE postal_area = {eq} \
                 UNION ALL SELECT id FROM customers WHERE postal_area >= {lo} AND postal_area < {hi}"
            ));
        }
    }
    let products = incident.all_products();
    if !products.is_empty() {
        let list: Vec<String> = products.into_iter().map(|p| arg(&mut args, p)).collect();
        parts.push(format!("SELECT customer_id FROM customer_products WHERE product IN ({})", list.join(", ")));
    }
    if parts.is_empty() {
        parts.push("SELECT NULL WHERE 0".into());
    }
    let sql = format!(
        "SELECT c.id FROM customers c WHERE c.id IN ({}) AND c.merged_into IS NULL AND c.erased_at IS NULL",
        parts.join(" UNION ALL ")
    );
    (sql, args)
}

/// Shifts `?N` placeholders by `by`, so a fragment can follow other arguments.
fn shift(sql: &str, by: usize) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        if c == '?' {
            let mut n = String::new();
            while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                n.push(*d);
                chars.next();
            }
            if let Ok(v) = n.parse::<usize>() {
                out.push_str(&(v + by).to_string());
            } else {
                out.push_str(&n);
            }
        }
    }
    out
}

fn count(conn: &Connection, sql: &str, args: &[&dyn ToSql]) -> Result<u64, StoreError> {
    Ok(conn.prepare(sql)?.query_row(args, |r| r.get::<_, i64>(0))? as u64)
}

pub(super) fn affected_counts(conn: &Connection, inc: &Incident) -> Result<AffectedCounts, StoreError> {
    let (sql, args) = affected_sql(inc);
    let customers = conn
        .prepare(&format!("SELECT count(*) FROM ({sql})"))?
        .query_row(params_from_iter(args.iter()), |r| r.get::<_, i64>(0))? as u64;
    let by_kind = |kind: &str| {
        count(conn, "SELECT count(*) FROM notices WHERE incident_id = ?1 AND kind = ?2", &[&inc.id, &kind])
    };
    let linked = |kind: &str| {
        count(
            conn,
            "SELECT count(*) FROM incident_links WHERE incident_id = ?1 AND kind = ?2 AND unlinked_at IS NULL",
            &[&inc.id, &kind],
        )
    };
    Ok(AffectedCounts {
        customers,
        notices: by_kind("notice")?,
        follow_ups: by_kind("follow_up")?,
        credits: count(conn, "SELECT count(*) FROM credits WHERE incident_id = ?1", &[&inc.id])?,
        messages: linked("message")?,
        cases: linked("case")?,
    })
}

/// The affected customers' ids (for tests and exports), ascending.
pub fn affected_ids(conn: &Connection, id: i64) -> Result<Vec<CustomerId>, StoreError> {
    let inc = existing(conn, id)?;
    let (sql, args) = affected_sql(&inc);
    let mut stmt = conn.prepare(&format!("{sql} ORDER BY c.id"))?;
    Ok(stmt.query_map(params_from_iter(args.iter()), |r| r.get(0).map(CustomerId))?.collect::<Result<_, _>>()?)
}

// ------------------------------------------------------------------ outreach

/// Queues notices (or follow-ups) in one pass: the customers considered go
/// into a temporary table with their channel, latest `proactive` consent and
/// address, the skipped are counted by reason, and the rest are inserted by
/// one `INSERT ... SELECT` that ignores those already queued.
pub fn outreach(conn: &Connection, now: Timestamp, id: i64, o: &Outreach) -> Result<OutreachReport, StoreError> {
    let inc = existing(conn, id)?;
    conn.execute_batch(
        "CREATE TEMP TABLE IF NOT EXISTS outreach_work (
             customer_id INTEGER PRIMARY KEY, name TEXT, channel TEXT, address TEXT, consent INTEGER);
         CREATE TEMP TABLE IF NOT EXISTS outreach_templates (channel TEXT PRIMARY KEY, subject TEXT, text TEXT);
         DELETE FROM temp.outreach_work;
         DELETE FROM temp.outreach_templates;",
    )?;
    const CONSENT: &str = "(SELECT k.granted FROM consents k WHERE k.customer_id = c.id AND k.purpose = 'proactive' \
                           ORDER BY k.at DESC, k.id DESC LIMIT 1)";
    match o.kind {
        NoticeKind::Notice => {
            let (sql, args) = affected_sql(&inc);
            conn.execute(
                &format!(
                    "INSERT INTO temp.outreach_work (customer_id, name, channel, consent) \
                     SELECT c.id, c.name, coalesce(c.preferred_channel, 'email'), {CONSENT} \
                     FROM customers c WHERE c.id IN ({sql})"
                ),
                params_from_iter(args.iter()),
            )?;
            conn.execute(
                "UPDATE temp.outreach_work SET address = CASE channel \
                   WHEN 'email' THEN (SELECT min(email) FROM customer_emails e WHERE e.customer_id = outreach_work.customer_id) \
                   WHEN 'sms' THEN (SELECT min(phone) FROM customer_phones p WHERE p.customer_id = outreach_work.customer_id) \
                   ELSE (SELECT min(i.platform_id) FROM identities i \
                         WHERE i.customer_id = outreach_work.customer_id AND i.channel = outreach_work.channel) END \
                 WHERE consent = 1",
                [],
            )?;
        }
        NoticeKind::FollowUp => {
            // Those told of the incident, where they were told, if they
            // still consent.
            conn.execute(
                &format!(
                    "INSERT INTO temp.outreach_work (customer_id, name, channel, address, consent) \
                     SELECT c.id, c.name, n.channel, n.address, {CONSENT} \
                     FROM notices n JOIN customers c ON c.id = n.customer_id \
                     WHERE n.incident_id = ?1 AND n.kind = 'notice' AND n.status != 'failed' \
                       AND c.merged_into IS NULL AND c.erased_at IS NULL"
                ),
                [id],
            )?;
        }
    }
    {
        let mut put = conn
            .prepare("INSERT OR REPLACE INTO temp.outreach_templates (channel, subject, text) VALUES (?1, ?2, ?3)")?;
        for t in &o.templates {
            put.execute(params![t.channel.as_str(), t.subject, t.text])?;
        }
    }
    let considered = count(conn, "SELECT count(*) FROM temp.outreach_work", &[])?;
    let mut skipped = Vec::new();
    for (reason, cond) in [
        ("no_consent", "consent IS NULL"),
        ("consent_withdrawn", "consent = 0"),
        ("no_transport", "consent = 1 AND channel NOT IN (SELECT channel FROM temp.outreach_templates)"),
        ("no_address", "consent = 1 AND channel IN (SELECT channel FROM temp.outreach_templates) AND address IS NULL"),
    ] {
        let n = count(conn, &format!("SELECT count(*) FROM temp.outreach_work WHERE {cond}"), &[])?;
        if n > 0 {
            skipped.push(Skipped { reason: reason.into(), customers: n });
        }
    }
    let kind = o.kind.as_str();
    const ELIGIBLE: &str = "FROM temp.outreach_work w JOIN temp.outreach_templates t ON t.channel = w.channel \
                            WHERE w.consent = 1 AND w.address IS NOT NULL";
    let mut by_channel: Vec<(Channel, u64)> = Vec::new();
    {
        let mut stmt = conn.prepare(&format!(
            "SELECT w.channel, count(*) {ELIGIBLE} AND NOT EXISTS (SELECT 1 FROM notices n \
               WHERE n.incident_id = ?1 AND n.customer_id = w.customer_id AND n.kind = ?2) \
             GROUP BY w.channel ORDER BY w.channel"
        ))?;
        let rows = stmt.query_map(params![id, kind], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
        for row in rows {
            let (ch, n) = row?;
            if let Ok(ch) = Channel::parse(&ch) {
                by_channel.push((ch, n as u64));
            }
        }
    }
    let eligible = count(conn, &format!("SELECT count(*) {ELIGIBLE}"), &[])?;
    let queued = conn.execute(
        &format!(
            "INSERT OR IGNORE INTO notices (incident_id, customer_id, kind, channel, address, subject, text, status, \
                                            attempts, next_attempt_at, created_at) \
             SELECT ?1, w.customer_id, ?2, w.channel, w.address, \
                    replace(t.subject, '{{{{customer_name}}}}', coalesce(w.name, ?3)), \
                    replace(t.text, '{{{{customer_name}}}}', coalesce(w.name, ?3)), 'queued', 0, ?4, ?4 \
             {ELIGIBLE} ORDER BY w.customer_id"
        ),
        params![id, kind, o.fallback_name, now.unix_millis()],
    )? as u64;
    conn.execute_batch("DELETE FROM temp.outreach_work; DELETE FROM temp.outreach_templates;")?;
    event(
        conn,
        now,
        "incident.outreach",
        None,
        json!({ "incident_id": id, "kind": kind, "queued": queued, "considered": considered }),
    )?;
    Ok(OutreachReport { considered, queued, already: eligible - queued, by_channel, skipped })
}

const NOTICE_COLUMNS: &str = "n.id, n.incident_id, n.customer_id, n.kind, n.channel, n.address, c.name, n.subject, \
    n.text, n.status, n.attempts, n.last_error, n.external_id, n.created_at, n.sent_at";

fn notice_from_row(r: &Row<'_>) -> rusqlite::Result<Notice> {
    let kind: String = r.get(3)?;
    let channel: String = r.get(4)?;
    Ok(Notice {
        id: r.get(0)?,
        incident_id: r.get(1)?,
        customer_id: CustomerId(r.get(2)?),
        kind: if kind == "follow_up" { NoticeKind::FollowUp } else { NoticeKind::Notice },
        channel: Channel::parse(&channel).map_err(|e| corrupt("channel", e.message))?,
        address: r.get(5)?,
        customer_name: r.get(6)?,
        subject: r.get(7)?,
        text: r.get(8)?,
        status: DeliveryStatus::parse(&r.get::<_, String>(9)?),
        attempts: r.get(10)?,
        last_error: r.get(11)?,
        external_id: r.get(12)?,
        created_at: ts(r.get(13)?)?,
        sent_at: opt_ts(r.get(14)?)?,
    })
}

pub fn notices(conn: &Connection, incident: i64, after: i64, limit: u32) -> Result<Vec<Notice>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {NOTICE_COLUMNS} FROM notices n JOIN customers c ON c.id = n.customer_id \
         WHERE n.incident_id = ?1 AND n.id > ?2 ORDER BY n.id LIMIT ?3"
    ))?;
    Ok(stmt.query_map(params![incident, after, limit], notice_from_row)?.collect::<Result<_, _>>()?)
}

pub fn claim_notices(conn: &Connection, now: Timestamp, limit: u32) -> Result<Vec<Notice>, StoreError> {
    let ids: Vec<i64> = conn
        .prepare_cached(
            "SELECT id FROM notices WHERE status = 'queued' AND next_attempt_at <= ?1 ORDER BY next_attempt_at, id \
             LIMIT ?2",
        )?
        .query_map(params![now.unix_millis(), limit], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        conn.prepare_cached("UPDATE notices SET status = 'sending', attempts = attempts + 1 WHERE id = ?1")?
            .execute([id])?;
        let n = conn
            .prepare_cached(&format!(
                "SELECT {NOTICE_COLUMNS} FROM notices n JOIN customers c ON c.id = n.customer_id WHERE n.id = ?1"
            ))?
            .query_row([id], notice_from_row)?;
        out.push(n);
    }
    Ok(out)
}

pub fn notice_sent(
    conn: &Connection,
    now: Timestamp,
    id: i64,
    external_id: &str,
    request: &str,
) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE notices SET status = 'sent', external_id = ?2, request = ?3, sent_at = ?4, last_error = NULL \
         WHERE id = ?1 AND status = 'sending'",
        params![id, external_id, request, now.unix_millis()],
    )?;
    Ok(())
}

pub fn notice_failed(
    conn: &Connection,
    id: i64,
    error: &str,
    retry_at: Option<Timestamp>,
    request: Option<&str>,
) -> Result<(), StoreError> {
    match retry_at {
        Some(at) => conn.execute(
            "UPDATE notices SET status = 'queued', last_error = ?2, next_attempt_at = ?3, \
             request = coalesce(?4, request) WHERE id = ?1 AND status = 'sending'",
            params![id, error, at.unix_millis(), request],
        )?,
        None => conn.execute(
            "UPDATE notices SET status = 'failed', last_error = ?2, request = coalesce(?3, request) \
             WHERE id = ?1 AND status = 'sending'",
            params![id, error, request],
        )?,
    };
    Ok(())
}

pub fn recover_notices(conn: &Connection) -> Result<usize, StoreError> {
    Ok(conn.execute(
        "UPDATE notices SET status = 'unknown', \
         last_error = 'the server stopped during an attempt; it may have been sent' WHERE status = 'sending'",
        [],
    )?)
}

// ------------------------------------------------------------------- credits

pub fn credit(conn: &Connection, now: Timestamp, id: i64, c: &NewCredits) -> Result<CreditReport, StoreError> {
    let inc = existing(conn, id)?;
    let (sql, args) = affected_sql(&inc);
    let affected = conn
        .prepare(&format!("SELECT count(*) FROM ({sql})"))?
        .query_row(params_from_iter(args.iter()), |r| r.get::<_, i64>(0))? as u64;
    let shifted = shift(&sql, 6);
    let mut all: Vec<Box<dyn ToSql>> = vec![
        Box::new(id),
        Box::new(c.amount_minor),
        Box::new(c.currency.clone()),
        Box::new(c.reason.clone()),
        Box::new(c.created_by.clone()),
        Box::new(now.unix_millis()),
    ];
    all.extend(args.into_iter().map(|a| Box::new(a) as Box<dyn ToSql>));
    let issued = conn.execute(
        &format!(
            "INSERT OR IGNORE INTO credits (incident_id, customer_id, amount_minor, currency, reason, created_by, \
                                            created_at) \
             SELECT ?1, a.id, ?2, ?3, ?4, ?5, ?6 FROM ({shifted}) a ORDER BY a.id"
        ),
        params_from_iter(all.iter().map(|b| b.as_ref())),
    )? as u64;
    event(conn, now, "incident.credits", None, json!({ "incident_id": id, "issued": issued }))?;
    Ok(CreditReport { affected, issued, already: affected - issued })
}

pub fn credit_rows(conn: &Connection, q: CreditQuery) -> Result<Vec<CreditRow>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT k.id, k.incident_id, k.customer_id, c.external_ref, k.amount_minor, k.currency, k.reason, \
                k.created_by, k.created_at \
         FROM credits k JOIN customers c ON c.id = k.customer_id \
         WHERE (?1 IS NULL OR k.incident_id = ?1) AND k.id > ?2 ORDER BY k.id LIMIT ?3",
    )?;
    let rows = stmt.query_map(params![q.incident, q.after.unwrap_or(0), q.limit], |r| {
        Ok(CreditRow {
            id: r.get(0)?,
            incident_id: r.get(1)?,
            customer_id: CustomerId(r.get(2)?),
            external_ref: r.get(3)?,
            amount_minor: r.get(4)?,
            currency: r.get(5)?,
            reason: r.get(6)?,
            created_by: r.get(7)?,
            created_at: ts(r.get(8)?)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

// --------------------------------------------------------------- suppression

/// Customers who must not get marketing now, and why, by customer id.
pub fn suppression(conn: &Connection, q: SuppressionQuery) -> Result<SuppressionPage, StoreError> {
    let after = q.after.unwrap_or(0);
    let mut parts: Vec<String> = Vec::new();
    let mut args: Vec<Box<dyn ToSql>> = vec![Box::new(after)];
    for inc in incidents(conn, IncidentFilter { open_only: true, public_only: false })? {
        let (sql, a) = affected_sql(&inc);
        let base = args.len();
        args.extend(a.into_iter().map(|x| Box::new(x) as Box<dyn ToSql>));
        parts.push(format!(
            "SELECT a.id AS customer_id, 'affected_by_incident' AS code, {} AS incident_id FROM ({}) a WHERE a.id > ?1",
            inc.id,
            shift(&sql, base)
        ));
    }
    parts.push(
        "SELECT i.customer_id AS customer_id, 'linked_to_incident' AS code, l.incident_id AS incident_id \
         FROM incident_links l JOIN incidents x ON x.id = l.incident_id AND x.status != 'resolved' \
         JOIN messages m ON m.id = l.target_id JOIN identities i ON i.id = m.identity_id \
         WHERE l.kind = 'message' AND l.unlinked_at IS NULL AND i.customer_id > ?1"
            .into(),
    );
    parts.push(
        "SELECT cs.customer_id, 'linked_to_incident', l.incident_id FROM incident_links l \
         JOIN incidents x ON x.id = l.incident_id AND x.status != 'resolved' \
         JOIN cases cs ON cs.id = l.target_id \
         WHERE l.kind = 'case' AND l.unlinked_at IS NULL AND cs.customer_id > ?1"
            .into(),
    );
    parts.push(
        "SELECT cs.customer_id, 'open_complaint', NULL FROM cases cs \
         WHERE cs.status NOT IN ('resolved', 'closed') AND cs.customer_id > ?1 \
           AND EXISTS (SELECT 1 FROM messages m WHERE m.case_id = cs.id AND m.complaint = 1)"
            .into(),
    );
    parts.push(
        "SELECT k.customer_id, 'marketing_consent_withdrawn', NULL FROM consents k \
         WHERE k.purpose = 'marketing' AND k.granted = 0 AND k.customer_id > ?1 \
           AND k.id = (SELECT k2.id FROM consents k2 WHERE k2.customer_id = k.customer_id \
                       AND k2.purpose = 'marketing' ORDER BY k2.at DESC, k2.id DESC LIMIT 1)"
            .into(),
    );
    if q.acquisition {
        parts.push("SELECT id, 'existing_customer', NULL FROM customers WHERE provisional = 0 AND id > ?1".into());
    }
    let limit = q.limit.clamp(1, 10_000);
    args.push(Box::new(i64::from(limit) + 1));
    let sql = format!(
        "SELECT u.customer_id, c.external_ref, group_concat(u.code || ':' || coalesce(u.incident_id, ''), ',') \
         FROM ({}) u JOIN customers c ON c.id = u.customer_id \
         WHERE c.merged_into IS NULL AND c.erased_at IS NULL \
         GROUP BY u.customer_id ORDER BY u.customer_id LIMIT ?{}",
        parts.join(" UNION ALL "),
        args.len()
    );
    let mut stmt = conn.prepare(&sql)?;
    let mut items: Vec<SuppressionRow> = stmt
        .query_map(params_from_iter(args.iter().map(|b| b.as_ref())), |r| {
            let reasons: String = r.get(2)?;
            let mut list: Vec<SuppressionReason> = Vec::new();
            for part in reasons.split(',') {
                let (code, inc) = part.split_once(':').unwrap_or((part, ""));
                let reason = SuppressionReason { code: code.to_owned(), incident_id: inc.parse().ok() };
                if !list.contains(&reason) {
                    list.push(reason);
                }
            }
            list.sort_by(|a, b| (&a.code, a.incident_id).cmp(&(&b.code, b.incident_id)));
            Ok(SuppressionRow { customer_id: CustomerId(r.get(0)?), external_ref: r.get(1)?, reasons: list })
        })?
        .collect::<Result<_, _>>()?;
    let next = if items.len() > limit as usize {
        items.truncate(limit as usize);
        items.last().map(|r| r.customer_id.0)
    } else {
        None
    };
    Ok(SuppressionPage { items, next })
}

/// The incidents that touch a customer, for the 360: open incidents whose
/// areas hold their postal area or that name a product they hold, and any
/// incident a message or case of theirs is linked to; with the notice and
/// credit they got.
pub fn customer_incidents(
    conn: &Connection,
    id: i64,
    postal: Option<&str>,
    products: &[String],
) -> Result<Vec<serde_json::Value>, StoreError> {
    let linked: Vec<i64> = conn
        .prepare_cached(
            "SELECT l.incident_id FROM incident_links l JOIN cases c ON c.id = l.target_id \
             WHERE l.kind = 'case' AND l.unlinked_at IS NULL AND c.customer_id = ?1 \
             UNION SELECT l.incident_id FROM incident_links l JOIN messages m ON m.id = l.target_id \
             JOIN identities i ON i.id = m.identity_id \
             WHERE l.kind = 'message' AND l.unlinked_at IS NULL AND i.customer_id = ?1",
        )?
        .query_map([id], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let mut out = Vec::new();
    for inc in incidents(conn, IncidentFilter::default())? {
        let mut why: Vec<&str> = Vec::new();
        if inc.status.is_open() {
            if postal.is_some_and(|p| inc.all_areas().iter().any(|a| firebreak_domain::incident::area_within(p, a))) {
                why.push("area");
            }
            if inc.all_products().iter().any(|p| products.contains(p)) {
                why.push("product");
            }
        }
        if linked.contains(&inc.id) {
            why.push("linked");
        }
        if why.is_empty() {
            continue;
        }
        let notice: Option<(String, String, String)> = conn
            .prepare_cached(
                "SELECT kind, channel, status FROM notices WHERE incident_id = ?1 AND customer_id = ?2 \
                 ORDER BY id DESC LIMIT 1",
            )?
            .query_row(params![inc.id, id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?;
        let credit: Option<(i64, String)> = conn
            .prepare_cached("SELECT amount_minor, currency FROM credits WHERE incident_id = ?1 AND customer_id = ?2")?
            .query_row(params![inc.id, id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        out.push(json!({
            "id": inc.id,
            "title": inc.title,
            "status": inc.status,
            "why": why,
            "notice": notice.map(|(kind, channel, status)| json!({ "kind": kind, "channel": channel, "status": status })),
            "credit": credit.map(|(amount_minor, currency)| json!({ "amount_minor": amount_minor, "currency": currency })),
        }));
    }
    Ok(out)
}

pub fn counts(conn: &Connection) -> Result<IncidentCounts, StoreError> {
    let n = |table: &str| count(conn, &format!("SELECT count(*) FROM {table}"), &[]);
    Ok(IncidentCounts {
        candidates: n("incident_candidates")?,
        incidents: n("incidents")?,
        updates: n("incident_updates")?,
        links: count(conn, "SELECT count(*) FROM incident_links WHERE unlinked_at IS NULL", &[])?,
        notices: n("notices")?,
        credits: n("credits")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_shift() {
        assert_eq!(shift("a = ?1 AND b IN (?2, ?10)", 3), "a = ?4 AND b IN (?5, ?13)");
    }
}
