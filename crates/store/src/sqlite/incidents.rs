//! Incidents in SQL: candidates (added by the detector, opened with one
//! click or dismissed), incidents with their updates, and the messages and
//! cases linked to them, automatically or by an agent. The affected
//! customers, outreach, credits and suppression are in `outreach`.

use firebreak_domain::{
    CaseId, Channel, MessageId, Timestamp,
    incident::{Evidence, Facets, IncidentStatus, Key, NewCandidate, area_within},
};
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde_json::json;

use super::{cases::event, outreach::affected_counts};
use crate::{
    Candidate, CandidateStatus, Incident, IncidentChange, IncidentDetail, IncidentFilter, IncidentLink, IncidentNote,
    LinkTarget, NewIncident, StoreError,
};

pub(super) fn corrupt(what: &str, e: impl std::fmt::Display) -> rusqlite::Error {
    rusqlite::Error::ToSqlConversionFailure(format!("a stored {what} is not valid: {e}").into())
}

pub(super) fn ts(ms: i64) -> rusqlite::Result<Timestamp> {
    Timestamp::from_unix_millis(ms).map_err(|e| corrupt("time", e.message))
}

pub(super) fn opt_ts(ms: Option<i64>) -> rusqlite::Result<Option<Timestamp>> {
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

pub(super) fn existing(conn: &Connection, id: i64) -> Result<Incident, StoreError> {
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

/// Every case linked to an incident and not unlinked, by id (no limit:
/// what a bulk reply answers).
pub fn linked_cases(conn: &Connection, id: i64) -> Result<Vec<CaseId>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT target_id FROM incident_links WHERE incident_id = ?1 AND kind = 'case' AND unlinked_at IS NULL \
         ORDER BY target_id",
    )?;
    Ok(stmt.query_map([id], |r| r.get(0).map(CaseId))?.collect::<Result<_, _>>()?)
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
