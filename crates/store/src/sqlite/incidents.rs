//! Incidents in SQL: candidates, incidents, their updates and links, the
//! affected customers (by postal area and by product), proactive notices,
//! credits and the marketing suppression list.
//!
//! The affected customers are a set, never a loop: [`affected_sql`] writes
//! one `SELECT` over the index on `customers(postal_area)` (an area is a
//! range of postal areas) and `customer_products(product)`, and outreach and
//! credits are each one `INSERT ... SELECT` over it, so 100,000 notices are
//! queued in one statement of one writer job.

use firebreak_domain::{
    CaseId, Channel, CustomerId, MessageId, Timestamp,
    incident::{Evidence, Facets, IncidentStatus, Key, NewCandidate, area_within},
};
use rusqlite::{Connection, OptionalExtension, Row, ToSql, params, params_from_iter};
use serde_json::json;

use super::cases::event;
use crate::{
    AffectedCounts, Candidate, CandidateStatus, CreditQuery, CreditReport, CreditRow, DeliveryStatus, Incident,
    IncidentChange, IncidentCounts, IncidentDetail, IncidentFilter, IncidentLink, IncidentNote, LinkTarget, NewCredits,
    NewIncident, Notice, NoticeKind, Outreach, OutreachReport, Skipped, StoreError, SuppressionPage, SuppressionQuery,
    SuppressionReason, SuppressionRow,
};

fn corrupt(what: &str, e: impl std::fmt::Display) -> rusqlite::Error {
    rusqlite::Error::ToSqlConversionFailure(format!("a stored {what} is not valid: {e}").into())
}

fn ts(ms: i64) -> rusqlite::Result<Timestamp> {
    Timestamp::from_unix_millis(ms).map_err(|e| corrupt("time", e.message))
}

fn opt_ts(ms: Option<i64>) -> rusqlite::Result<Option<Timestamp>> {
    ms.map(ts).transpose()
}

fn strings(json_text: &str) -> rusqlite::Result<Vec<String>> {
    serde_json::from_str(json_text).map_err(|e| corrupt("list", e))
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(|e| StoreError::Database(e.to_string()))
}

fn status(s: &str) -> rusqlite::Result<IncidentStatus> {
    IncidentStatus::parse(s).ok_or_else(|| corrupt("incident status", s))
}

// ---------------------------------------------------------------- candidates

const CANDIDATE_COLUMNS: &str = "id, key, raised_at, evidence, status, incident_id, decided_by, decided_at";

fn candidate_from_row(r: &Row<'_>) -> rusqlite::Result<Candidate> {
    let key: String = r.get(1)?;
    let evidence: String = r.get(3)?;
    let st: String = r.get(4)?;
    Ok(Candidate {
        id: r.get(0)?,
        key: Key::parse(&key).map_err(|e| corrupt("key", e.message))?,
        raised_at: ts(r.get(2)?)?,
        evidence: serde_json::from_str::<Evidence>(&evidence).map_err(|e| corrupt("evidence", e))?,
        status: CandidateStatus::parse(&st).ok_or_else(|| corrupt("candidate status", &st))?,
        incident_id: r.get(5)?,
        decided_by: r.get(6)?,
        decided_at: opt_ts(r.get(7)?)?,
    })
}

pub fn add_candidate(conn: &Connection, now: Timestamp, c: &NewCandidate) -> Result<i64, StoreError> {
    let id: i64 = conn
        .prepare_cached(
            "INSERT INTO incident_candidates (key, raised_at, evidence, status, created_at) \
             VALUES (?1, ?2, ?3, 'open', ?4) RETURNING id",
        )?
        .query_row(
            params![c.key.to_string(), c.raised_at.unix_millis(), to_json(&c.evidence)?, now.unix_millis()],
            |r| r.get(0),
        )?;
    event(
        conn,
        now,
        "incident.candidate",
        None,
        json!({ "candidate_id": id, "key": c.key.to_string(), "raised_at": c.raised_at,
                "observed": c.evidence.observed, "expected": c.evidence.expected }),
    )?;
    Ok(id)
}

pub fn candidate(conn: &Connection, id: i64) -> Result<Option<Candidate>, StoreError> {
    Ok(conn
        .prepare_cached(&format!("SELECT {CANDIDATE_COLUMNS} FROM incident_candidates WHERE id = ?1"))?
        .query_row([id], candidate_from_row)
        .optional()?)
}

pub fn candidates(
    conn: &Connection,
    status: Option<CandidateStatus>,
    limit: u32,
) -> Result<Vec<Candidate>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {CANDIDATE_COLUMNS} FROM incident_candidates WHERE ?1 IS NULL OR status = ?1 \
         ORDER BY raised_at DESC, id DESC LIMIT ?2"
    ))?;
    Ok(stmt.query_map(params![status.map(|s| s.as_str()), limit], candidate_from_row)?.collect::<Result<_, _>>()?)
}

fn decided(c: &Candidate) -> StoreError {
    StoreError::Invalid {
        field: "id".into(),
        code: "candidate_decided",
        message: format!("candidate {} is already {}", c.id, c.status.as_str()),
    }
}

pub fn dismiss_candidate(conn: &Connection, now: Timestamp, id: i64, by: &str) -> Result<Candidate, StoreError> {
    let c = candidate(conn, id)?.ok_or_else(|| StoreError::NotFound(format!("candidate {id}")))?;
    match c.status {
        CandidateStatus::Dismissed => return Ok(c),
        CandidateStatus::Opened => return Err(decided(&c)),
        CandidateStatus::Open => {}
    }
    conn.execute(
        "UPDATE incident_candidates SET status = 'dismissed', decided_by = ?2, decided_at = ?3 WHERE id = ?1",
        params![id, by, now.unix_millis()],
    )?;
    event(conn, now, "incident.candidate_dismissed", None, json!({ "candidate_id": id, "by": by }))?;
    candidate(conn, id)?.ok_or_else(|| StoreError::NotFound(format!("candidate {id}")))
}

/// Opens a candidate as an incident keyed by the candidate's key, its areas
/// and products those of the key, started at the bucket that crossed the
/// threshold; the sample messages are linked. Opening an opened candidate
/// answers its incident (a second click opens nothing new).
pub fn open_candidate(conn: &Connection, now: Timestamp, id: i64, by: &str) -> Result<Incident, StoreError> {
    use firebreak_domain::incident::Dimension;
    let c = candidate(conn, id)?.ok_or_else(|| StoreError::NotFound(format!("candidate {id}")))?;
    match (c.status, c.incident_id) {
        (CandidateStatus::Opened, Some(incident_id)) => {
            return incident(conn, incident_id)?.ok_or_else(|| StoreError::NotFound(format!("incident {incident_id}")));
        }
        (CandidateStatus::Open, _) => {}
        _ => return Err(decided(&c)),
    }
    let readable: Vec<String> = c.key.pairs().iter().map(|(d, v)| format!("{} {v}", d.as_str())).collect();
    let new = NewIncident {
        title: format!("Burst of messages: {}", readable.join(", ")),
        status: IncidentStatus::Investigating,
        keys: vec![c.key.clone()],
        areas: c.key.get(Dimension::Area).map(str::to_owned).into_iter().collect(),
        products: c.key.get(Dimension::Product).map(str::to_owned).into_iter().collect(),
        services: vec![],
        public: false,
        eta: None,
        started_at: c.evidence.bucket_start.min(c.raised_at),
        created_by: by.to_owned(),
    };
    let incident_id = create_incident(conn, now, &new, Some(id))?;
    conn.execute(
        "UPDATE incident_candidates SET status = 'opened', incident_id = ?2, decided_by = ?3, decided_at = ?4 \
         WHERE id = ?1",
        params![id, incident_id, by, now.unix_millis()],
    )?;
    for m in &c.evidence.samples {
        link_one(conn, now, incident_id, LinkTarget::Message(*m), "auto", false)?;
    }
    incident(conn, incident_id)?.ok_or_else(|| StoreError::NotFound(format!("incident {incident_id}")))
}

// ----------------------------------------------------------------- incidents

const INCIDENT_COLUMNS: &str = "id, title, status, keys, areas, products, services, public, eta, started_at, \
    resolved_at, created_by, created_at, updated_at, candidate_id";

fn incident_from_row(r: &Row<'_>) -> rusqlite::Result<Incident> {
    let keys: Vec<String> = strings(&r.get::<_, String>(3)?)?;
    let keys = keys.iter().map(|k| Key::parse(k).map_err(|e| corrupt("key", e.message))).collect::<Result<_, _>>()?;
    Ok(Incident {
        id: r.get(0)?,
        title: r.get(1)?,
        status: status(&r.get::<_, String>(2)?)?,
        keys,
        areas: strings(&r.get::<_, String>(4)?)?,
        products: strings(&r.get::<_, String>(5)?)?,
        services: strings(&r.get::<_, String>(6)?)?,
        public: r.get(7)?,
        eta: opt_ts(r.get(8)?)?,
        started_at: ts(r.get(9)?)?,
        resolved_at: opt_ts(r.get(10)?)?,
        created_by: r.get(11)?,
        created_at: ts(r.get(12)?)?,
        updated_at: ts(r.get(13)?)?,
        candidate_id: r.get(14)?,
    })
}

fn keys_json(keys: &[Key]) -> Result<String, StoreError> {
    to_json(&keys.iter().map(ToString::to_string).collect::<Vec<_>>())
}

pub fn create_incident(
    conn: &Connection,
    now: Timestamp,
    n: &NewIncident,
    candidate: Option<i64>,
) -> Result<i64, StoreError> {
    let id: i64 = conn
        .prepare_cached(
            "INSERT INTO incidents (title, status, keys, areas, products, services, public, eta, started_at, \
             resolved_at, created_by, created_at, updated_at, candidate_id) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12, ?13) RETURNING id",
        )?
        .query_row(
            params![
                n.title,
                n.status.as_str(),
                keys_json(&n.keys)?,
                to_json(&n.areas)?,
                to_json(&n.products)?,
                to_json(&n.services)?,
                n.public,
                n.eta.map(Timestamp::unix_millis),
                n.started_at.unix_millis(),
                (!n.status.is_open()).then_some(now.unix_millis()),
                n.created_by,
                now.unix_millis(),
                candidate
            ],
            |r| r.get(0),
        )?;
    event(conn, now, "incident.opened", None, json!({ "incident_id": id, "title": n.title, "by": n.created_by }))?;
    Ok(id)
}

pub fn incident(conn: &Connection, id: i64) -> Result<Option<Incident>, StoreError> {
    Ok(conn
        .prepare_cached(&format!("SELECT {INCIDENT_COLUMNS} FROM incidents WHERE id = ?1"))?
        .query_row([id], incident_from_row)
        .optional()?)
}

fn existing(conn: &Connection, id: i64) -> Result<Incident, StoreError> {
    incident(conn, id)?.ok_or_else(|| StoreError::NotFound(format!("incident {id}")))
}

pub fn incidents(conn: &Connection, f: IncidentFilter) -> Result<Vec<Incident>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {INCIDENT_COLUMNS} FROM incidents WHERE (?1 = 0 OR status != 'resolved') AND (?2 = 0 OR public = 1) \
         ORDER BY (status = 'resolved'), started_at DESC, id DESC"
    ))?;
    Ok(stmt.query_map(params![f.open_only, f.public_only], incident_from_row)?.collect::<Result<_, _>>()?)
}

pub fn update_incident(
    conn: &Connection,
    now: Timestamp,
    id: i64,
    ch: &IncidentChange,
    by: &str,
) -> Result<Incident, StoreError> {
    let before = existing(conn, id)?;
    let status = ch.status.unwrap_or(before.status);
    let resolved_at = match (before.status.is_open(), status.is_open()) {
        (true, false) => Some(now),
        (false, false) => before.resolved_at,
        _ => None,
    };
    let keys = ch.keys.as_ref().unwrap_or(&before.keys);
    let areas = ch.areas.as_ref().unwrap_or(&before.areas);
    if keys.is_empty() && areas.is_empty() {
        return Err(StoreError::Invalid {
            field: "keys".into(),
            code: "no_keys_or_areas",
            message: "an incident needs at least one key or area".into(),
        });
    }
    conn.execute(
        "UPDATE incidents SET title = ?2, status = ?3, keys = ?4, areas = ?5, products = ?6, services = ?7, \
         public = ?8, eta = ?9, resolved_at = ?10, updated_at = ?11 WHERE id = ?1",
        params![
            id,
            ch.title.as_ref().unwrap_or(&before.title),
            status.as_str(),
            keys_json(keys)?,
            to_json(areas)?,
            to_json(ch.products.as_ref().unwrap_or(&before.products))?,
            to_json(ch.services.as_ref().unwrap_or(&before.services))?,
            ch.public.unwrap_or(before.public),
            ch.eta.unwrap_or(before.eta).map(Timestamp::unix_millis),
            resolved_at.map(Timestamp::unix_millis),
            now.unix_millis()
        ],
    )?;
    if status != before.status {
        add_update(
            conn,
            now,
            id,
            false,
            &format!("Status changed from {} to {} by {by}.", before.status.as_str(), status.as_str()),
            by,
        )?;
    }
    event(conn, now, "incident.updated", None, json!({ "incident_id": id, "status": status.as_str(), "by": by }))?;
    existing(conn, id)
}

pub fn add_update(
    conn: &Connection,
    now: Timestamp,
    id: i64,
    public: bool,
    text: &str,
    by: &str,
) -> Result<IncidentNote, StoreError> {
    let inc = existing(conn, id)?;
    let note: i64 = conn
        .prepare_cached(
            "INSERT INTO incident_updates (incident_id, public, text, status, created_by, at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id",
        )?
        .query_row(params![id, public, text, inc.status.as_str(), by, now.unix_millis()], |r| r.get(0))?;
    conn.execute("UPDATE incidents SET updated_at = ?2 WHERE id = ?1", params![id, now.unix_millis()])?;
    Ok(IncidentNote {
        id: note,
        incident_id: id,
        public,
        text: text.to_owned(),
        status: inc.status,
        created_by: by.to_owned(),
        at: now,
    })
}

fn note_from_row(r: &Row<'_>) -> rusqlite::Result<IncidentNote> {
    Ok(IncidentNote {
        id: r.get(0)?,
        incident_id: r.get(1)?,
        public: r.get(2)?,
        text: r.get(3)?,
        status: status(&r.get::<_, String>(4)?)?,
        created_by: r.get(5)?,
        at: ts(r.get(6)?)?,
    })
}

pub fn updates(conn: &Connection, id: i64, public_only: bool) -> Result<Vec<IncidentNote>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, incident_id, public, text, status, created_by, at FROM incident_updates \
         WHERE incident_id = ?1 AND (?2 = 0 OR public = 1) ORDER BY at DESC, id DESC",
    )?;
    Ok(stmt.query_map(params![id, public_only], note_from_row)?.collect::<Result<_, _>>()?)
}

pub fn detail(conn: &Connection, id: i64) -> Result<Option<IncidentDetail>, StoreError> {
    let Some(incident) = incident(conn, id)? else { return Ok(None) };
    let updates = updates(conn, id, false)?;
    let links = links(conn, id)?;
    let affected = affected_counts(conn, &incident)?;
    Ok(Some(IncidentDetail { incident, updates, links, affected }))
}

// --------------------------------------------------------------------- links

fn links(conn: &Connection, id: i64) -> Result<Vec<IncidentLink>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT l.id, l.kind, l.target_id, l.linked_by, l.linked_at, l.unlinked_by, l.unlinked_at, \
                coalesce(m.channel, c.channel), coalesce(substr(m.text, 1, 200), c.subject), \
                coalesce(m.case_id, c.id), coalesce(mc.status, c.status) \
         FROM incident_links l \
         LEFT JOIN messages m ON l.kind = 'message' AND m.id = l.target_id \
         LEFT JOIN cases mc ON mc.id = m.case_id \
         LEFT JOIN cases c ON l.kind = 'case' AND c.id = l.target_id \
         WHERE l.incident_id = ?1 ORDER BY l.unlinked_at IS NOT NULL, l.linked_at DESC, l.id DESC LIMIT 500",
    )?;
    let rows = stmt.query_map([id], |r| {
        let kind: String = r.get(1)?;
        let target: i64 = r.get(2)?;
        let channel: Option<String> = r.get(7)?;
        Ok(IncidentLink {
            id: r.get(0)?,
            target: if kind == "case" {
                LinkTarget::Case(CaseId(target))
            } else {
                LinkTarget::Message(MessageId(target))
            },
            linked_by: r.get(3)?,
            linked_at: ts(r.get(4)?)?,
            unlinked_by: r.get(5)?,
            unlinked_at: opt_ts(r.get(6)?)?,
            channel: channel.and_then(|c| Channel::parse(&c).ok()),
            summary: r.get(8)?,
            case_id: r.get::<_, Option<i64>>(9)?.map(CaseId),
            case_status: r.get(10)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn target_parts(t: LinkTarget) -> (&'static str, i64) {
    match t {
        LinkTarget::Message(m) => ("message", m.0),
        LinkTarget::Case(c) => ("case", c.0),
    }
}

/// Links `target`; an automatic link (`relink` false) leaves a row an agent
/// unlinked as it is, an agent's link (`relink` true) restores it. Returns
/// whether a link was made or restored.
fn link_one(
    conn: &Connection,
    now: Timestamp,
    incident: i64,
    target: LinkTarget,
    by: &str,
    relink: bool,
) -> Result<bool, StoreError> {
    let (kind, target_id) = target_parts(target);
    let n = conn
        .prepare_cached(
            "INSERT OR IGNORE INTO incident_links (incident_id, kind, target_id, linked_by, linked_at) \
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![incident, kind, target_id, by, now.unix_millis()])?;
    if n == 0 && relink {
        let n = conn.execute(
            "UPDATE incident_links SET unlinked_at = NULL, unlinked_by = NULL, linked_by = ?4, linked_at = ?5 \
             WHERE incident_id = ?1 AND kind = ?2 AND target_id = ?3 AND unlinked_at IS NOT NULL",
            params![incident, kind, target_id, by, now.unix_millis()],
        )?;
        return Ok(n > 0);
    }
    Ok(n > 0)
}

/// An agent links a message (and its case) or a case.
pub fn link(conn: &Connection, now: Timestamp, id: i64, target: LinkTarget, by: &str) -> Result<(), StoreError> {
    existing(conn, id)?;
    match target {
        LinkTarget::Message(m) => {
            let case: Option<Option<i64>> = conn
                .prepare_cached("SELECT case_id FROM messages WHERE id = ?1")?
                .query_row([m.0], |r| r.get(0))
                .optional()?;
            let case = case.ok_or_else(|| StoreError::NotFound(format!("message {m}")))?;
            link_one(conn, now, id, target, by, true)?;
            if let Some(c) = case {
                link_one(conn, now, id, LinkTarget::Case(CaseId(c)), by, true)?;
            }
        }
        LinkTarget::Case(c) => {
            let found: bool =
                conn.query_row("SELECT EXISTS (SELECT 1 FROM cases WHERE id = ?1)", [c.0], |r| r.get(0))?;
            if !found {
                return Err(StoreError::NotFound(format!("case {c}")));
            }
            link_one(conn, now, id, target, by, true)?;
        }
    }
    event(conn, now, "incident.updated", None, json!({ "incident_id": id, "linked": target, "by": by }))?;
    Ok(())
}

/// An agent unlinks: the row stays, marked, so automatic linking leaves it.
pub fn unlink(conn: &Connection, now: Timestamp, id: i64, target: LinkTarget, by: &str) -> Result<(), StoreError> {
    existing(conn, id)?;
    let (kind, target_id) = target_parts(target);
    // Unlinking something never linked is remembered the same way.
    conn.execute(
        "INSERT INTO incident_links (incident_id, kind, target_id, linked_by, linked_at, unlinked_by, unlinked_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?4, ?5) \
         ON CONFLICT (incident_id, kind, target_id) DO UPDATE SET unlinked_by = ?4, unlinked_at = ?5 \
         WHERE unlinked_at IS NULL",
        params![id, kind, target_id, by, now.unix_millis()],
    )?;
    event(conn, now, "incident.updated", None, json!({ "incident_id": id, "unlinked": target, "by": by }))?;
    Ok(())
}

/// An open incident as the linker matches it.
struct Matcher {
    id: i64,
    started_at: Timestamp,
    keys: Vec<Key>,
    areas: Vec<String>,
    products: Vec<String>,
}

impl Matcher {
    fn matches(&self, f: &Facets, at: Timestamp) -> bool {
        at >= self.started_at
            && (self.keys.iter().any(|k| k.matches(f))
                || f.area.as_deref().is_some_and(|a| self.areas.iter().any(|x| area_within(a, x)))
                || f.products.iter().any(|p| self.products.contains(p)))
    }
}

/// Links each message, and its case, to every open incident it matches
/// (one of its keys matches the facets, one of its areas holds the
/// message's area, or it names one of the message's products) that had
/// started by the message's time, except where an agent unlinked it.
/// Returns the number of message links made.
pub fn link_new_messages(
    conn: &Connection,
    now: Timestamp,
    items: &[(MessageId, Facets, Timestamp)],
) -> Result<usize, StoreError> {
    let open = incidents(conn, IncidentFilter { open_only: true, public_only: false })?;
    if open.is_empty() || items.is_empty() {
        return Ok(0);
    }
    let matchers: Vec<Matcher> = open
        .into_iter()
        .map(|i| Matcher {
            id: i.id,
            started_at: i.started_at,
            areas: i.areas.clone(),
            products: i.all_products(),
            keys: i.keys,
        })
        .collect();
    let mut made = 0;
    for (m, facets, at) in items {
        for inc in matchers.iter().filter(|x| x.matches(facets, *at)) {
            let case: Option<Option<i64>> = conn
                .prepare_cached("SELECT case_id FROM messages WHERE id = ?1")?
                .query_row([m.0], |r| r.get(0))
                .optional()?;
            let Some(case) = case else { continue };
            if link_one(conn, now, inc.id, LinkTarget::Message(*m), "auto", false)? {
                made += 1;
            }
            if let Some(c) = case {
                link_one(conn, now, inc.id, LinkTarget::Case(CaseId(c)), "auto", false)?;
            }
        }
    }
    Ok(made)
}

// ------------------------------------------------------ affected customers

/// The ids of the customers an incident affects, as SQL with its arguments:
/// those whose postal area lies in one of its areas, or who hold one of its
/// products or services. Merged and erased customers are left out.
fn affected_sql(incident: &Incident) -> (String, Vec<String>) {
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

fn affected_counts(conn: &Connection, inc: &Incident) -> Result<AffectedCounts, StoreError> {
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
