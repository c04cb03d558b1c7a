//! The configuration a team manages through the API: SLA policies, teams and
//! agents (and assigning cases to them), canned responses.

use firebreak_domain::{Timestamp, sla::SlaPolicyConfig};
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::json;

use super::cases;
use crate::{Agent, AssignStrategy as Strategy, CannedResponse, StoreError, Team};

fn invalid(field: &str, code: &'static str, message: impl Into<String>) -> StoreError {
    StoreError::Invalid { field: field.into(), code, message: message.into() }
}

/// The stored policies, in order: (id, position, config).
pub fn sla_policies(conn: &Connection) -> Result<Vec<(i64, i64, SlaPolicyConfig)>, StoreError> {
    let mut stmt = conn.prepare_cached("SELECT id, position, config FROM sla_policies ORDER BY position, id")?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, String>(2)?)))?;
    let mut out = Vec::new();
    for row in rows {
        let (id, position, config) = row?;
        if let Ok(c) = serde_json::from_str(&config) {
            out.push((id, position, c));
        }
    }
    Ok(out)
}

/// Creates or replaces the policy with this name (the config is checked by
/// the caller with `SlaPolicy::from_config`). Returns its id.
pub fn put_sla_policy(conn: &Connection, config: &SlaPolicyConfig, position: Option<i64>) -> Result<i64, StoreError> {
    let text = serde_json::to_string(config).map_err(|e| StoreError::Database(e.to_string()))?;
    let existing: Option<(i64, i64)> = conn
        .prepare_cached("SELECT id, position FROM sla_policies WHERE name = ?1")?
        .query_row([&config.name], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    match existing {
        Some((id, old)) => {
            conn.execute(
                "UPDATE sla_policies SET config = ?2, position = ?3 WHERE id = ?1",
                params![id, text, position.unwrap_or(old)],
            )?;
            Ok(id)
        }
        None => {
            let last: i64 = conn.query_row("SELECT coalesce(max(position), -1) FROM sla_policies", [], |r| r.get(0))?;
            conn.execute(
                "INSERT INTO sla_policies (position, name, config) VALUES (?1, ?2, ?3)",
                params![position.unwrap_or(last + 1), config.name, text],
            )?;
            Ok(conn.last_insert_rowid())
        }
    }
}

pub fn delete_sla_policy(conn: &Connection, name: &str) -> Result<(), StoreError> {
    let id: i64 = conn
        .prepare_cached("SELECT id FROM sla_policies WHERE name = ?1")?
        .query_row([name], |r| r.get(0))
        .optional()?
        .ok_or_else(|| StoreError::NotFound(format!("SLA policy {name}")))?;
    // Cases keep their policy's name in history; their clocks keep running on
    // the times already set.
    conn.execute("UPDATE cases SET sla_policy_id = NULL WHERE sla_policy_id = ?1", [id])?;
    conn.execute("DELETE FROM sla_policies WHERE id = ?1", [id])?;
    Ok(())
}

fn check_name(field: &str, s: &str) -> Result<(), StoreError> {
    if s.trim().is_empty() || s.len() > 100 || s.chars().any(char::is_control) {
        return Err(invalid(field, "invalid_name", "a name is 1 to 100 printable characters"));
    }
    Ok(())
}

pub fn add_team(conn: &Connection, name: &str) -> Result<Team, StoreError> {
    check_name("name", name)?;
    if conn.execute("INSERT OR IGNORE INTO teams (name) VALUES (?1)", [name.trim()])? == 0 {
        return Err(invalid("name", "taken", format!("there is already a team called {name}")));
    }
    Ok(Team { id: conn.last_insert_rowid(), name: name.trim().to_owned() })
}

pub fn teams(conn: &Connection) -> Result<Vec<Team>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT id, name FROM teams ORDER BY name")?
        .query_map([], |r| Ok(Team { id: r.get(0)?, name: r.get(1)? }))?
        .collect::<Result<_, _>>()?)
}

fn agent_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Agent> {
    let skills: String = r.get(4)?;
    Ok(Agent {
        id: r.get(0)?,
        name: r.get(1)?,
        email: r.get(2)?,
        team_id: r.get(3)?,
        skills: serde_json::from_str(&skills).unwrap_or_default(),
        max_load: r.get(5)?,
        active: r.get(6)?,
        open_cases: r.get(7)?,
    })
}

const AGENT_COLUMNS: &str = "a.id, a.name, a.email, a.team_id, a.skills, a.max_load, a.active, \
    (SELECT count(*) FROM cases c WHERE c.agent_id = a.id AND c.status IN ('new', 'open', 'pending'))";

pub fn agents(conn: &Connection) -> Result<Vec<Agent>, StoreError> {
    Ok(conn
        .prepare_cached(&format!("SELECT {AGENT_COLUMNS} FROM agents a ORDER BY a.id"))?
        .query_map([], agent_from_row)?
        .collect::<Result<_, _>>()?)
}

fn agent(conn: &Connection, id: i64) -> Result<Agent, StoreError> {
    conn.prepare_cached(&format!("SELECT {AGENT_COLUMNS} FROM agents a WHERE a.id = ?1"))?
        .query_row([id], agent_from_row)
        .optional()?
        .ok_or_else(|| StoreError::NotFound(format!("agent {id}")))
}

/// Creates an agent, or updates the one with the same email.
pub fn put_agent(conn: &Connection, a: &Agent) -> Result<Agent, StoreError> {
    check_name("name", &a.name)?;
    if firebreak_domain::Email::parse(&a.email).is_err() {
        return Err(invalid("email", "invalid_email", "the email is not an address"));
    }
    if !(1..=1000).contains(&a.max_load) {
        return Err(invalid("max_load", "out_of_range", "max_load is from 1 to 1000 open cases"));
    }
    if let Some(t) = a.team_id {
        let exists: bool = conn.query_row("SELECT EXISTS (SELECT 1 FROM teams WHERE id = ?1)", [t], |r| r.get(0))?;
        if !exists {
            return Err(invalid("team_id", "unknown_team", format!("there is no team {t}")));
        }
    }
    let skills: Vec<String> = a.skills.iter().map(|s| s.trim().to_lowercase()).filter(|s| !s.is_empty()).collect();
    let skills = serde_json::to_string(&skills).unwrap_or_else(|_| "[]".into());
    let email = a.email.trim().to_lowercase();
    let existing: Option<i64> =
        conn.prepare_cached("SELECT id FROM agents WHERE email = ?1")?.query_row([&email], |r| r.get(0)).optional()?;
    let id = match existing {
        Some(id) => {
            conn.execute(
                "UPDATE agents SET name = ?2, team_id = ?3, skills = ?4, max_load = ?5, active = ?6 WHERE id = ?1",
                params![id, a.name.trim(), a.team_id, skills, a.max_load, a.active],
            )?;
            id
        }
        None => {
            conn.execute(
                "INSERT INTO agents (name, email, team_id, skills, max_load, active) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![a.name.trim(), email, a.team_id, skills, a.max_load, a.active],
            )?;
            conn.last_insert_rowid()
        }
    };
    agent(conn, id)
}

/// Assigns a case by a strategy; returns the agent chosen.
pub fn assign(
    conn: &Connection,
    now: Timestamp,
    case: i64,
    strategy: Strategy,
    team: Option<i64>,
) -> Result<Agent, StoreError> {
    let (channel, case_team, language): (String, Option<i64>, Option<String>) = conn
        .prepare_cached(
            "SELECT c.channel, c.team_id, (SELECT m.language FROM messages m WHERE m.case_id = c.id \
             AND m.direction = 'in' ORDER BY m.id LIMIT 1) FROM cases c WHERE c.id = ?1",
        )?
        .query_row([case], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?
        .ok_or_else(|| StoreError::NotFound(format!("case {case}")))?;
    let team = team.or(case_team);
    let tags: Vec<String> = conn
        .prepare_cached("SELECT tag FROM case_tags WHERE case_id = ?1")?
        .query_map([case], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let mut pool: Vec<Agent> = agents(conn)?
        .into_iter()
        .filter(|a| a.active && a.open_cases < a.max_load && (team.is_none() || a.team_id == team))
        .collect();
    let chosen = match strategy {
        Strategy::RoundRobin => {
            let Some(team) = team else {
                return Err(invalid("team_id", "no_team", "round-robin assignment needs a team"));
            };
            let cursor: i64 = conn
                .query_row("SELECT rr_cursor FROM teams WHERE id = ?1", [team], |r| r.get(0))
                .optional()?
                .unwrap_or(0);
            pool.sort_by_key(|a| a.id);
            let next = pool.iter().find(|a| a.id > cursor).or(pool.first()).cloned();
            if let Some(a) = &next {
                conn.execute("UPDATE teams SET rr_cursor = ?2 WHERE id = ?1", params![team, a.id])?;
            }
            next
        }
        Strategy::Skills => {
            let needs: Vec<String> = std::iter::once(channel.clone()).chain(language).chain(tags).collect();
            pool.retain(|a| needs.iter().all(|n| a.skills.iter().any(|s| s == n)));
            pool.sort_by_key(|a| (a.open_cases, a.id));
            pool.into_iter().next()
        }
    };
    let Some(agent) = chosen else {
        return Err(invalid("strategy", "nobody_available", "no active agent with room matches this case"));
    };
    conn.execute(
        "UPDATE cases SET agent_id = ?2, team_id = coalesce(team_id, ?3), updated_at = ?4 WHERE id = ?1",
        params![case, agent.id, agent.team_id, now.unix_millis()],
    )?;
    cases::event(
        conn,
        now,
        "case.updated",
        Some(case),
        json!({ "case_id": case, "agent_id": agent.id, "reason": "assigned" }),
    )?;
    self::agent(conn, agent.id)
}

/// The variables a canned response may use.
pub const TEMPLATE_VARIABLES: &[&str] =
    &["customer.name", "customer.first_name", "case.id", "case.subject", "agent.name", "channel"];

/// The `{{variables}}` in a template, or an error naming an unknown one.
pub fn template_variables(body: &str) -> Result<Vec<String>, StoreError> {
    let mut out = Vec::new();
    let mut rest = body;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            return Err(invalid("body", "unclosed_variable", "a `{{` has no closing `}}`"));
        };
        let name = after[..end].trim();
        if !TEMPLATE_VARIABLES.contains(&name) {
            return Err(invalid(
                "body",
                "unknown_variable",
                format!("`{{{{{name}}}}}` is not a variable; use one of {}", TEMPLATE_VARIABLES.join(", ")),
            ));
        }
        out.push(name.to_owned());
        rest = &after[end + 2..];
    }
    Ok(out)
}

pub fn put_canned(conn: &Connection, name: &str, body: &str) -> Result<CannedResponse, StoreError> {
    check_name("name", name)?;
    if body.trim().is_empty() || body.len() > 16 * 1024 {
        return Err(invalid("body", "invalid_body", "the body is 1 byte to 16 KiB"));
    }
    template_variables(body)?;
    conn.execute(
        "INSERT INTO canned_responses (name, body) VALUES (?1, ?2) ON CONFLICT (name) DO UPDATE SET body = excluded.body",
        params![name.trim(), body],
    )?;
    Ok(CannedResponse { name: name.trim().to_owned(), body: body.to_owned() })
}

pub fn canned(conn: &Connection) -> Result<Vec<CannedResponse>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT name, body FROM canned_responses ORDER BY name")?
        .query_map([], |r| Ok(CannedResponse { name: r.get(0)?, body: r.get(1)? }))?
        .collect::<Result<_, _>>()?)
}

/// Fills a canned response in for a case.
pub fn render_canned(conn: &Connection, name: &str, case: i64) -> Result<String, StoreError> {
    let body: String = conn
        .prepare_cached("SELECT body FROM canned_responses WHERE name = ?1")?
        .query_row([name], |r| r.get(0))
        .optional()?
        .ok_or_else(|| StoreError::NotFound(format!("canned response {name}")))?;
    let (customer, subject, channel, agent): (Option<String>, String, String, Option<String>) = conn
        .prepare_cached(
            "SELECT cu.name, c.subject, c.channel, a.name FROM cases c JOIN customers cu ON cu.id = c.customer_id \
             LEFT JOIN agents a ON a.id = c.agent_id WHERE c.id = ?1",
        )?
        .query_row([case], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .optional()?
        .ok_or_else(|| StoreError::NotFound(format!("case {case}")))?;
    let customer = customer.unwrap_or_else(|| "there".into());
    let first = customer.split_whitespace().next().unwrap_or("there").to_owned();
    let value = |v: &str| -> String {
        match v {
            "customer.name" => customer.clone(),
            "customer.first_name" => first.clone(),
            "case.id" => case.to_string(),
            "case.subject" => subject.clone(),
            "agent.name" => agent.clone().unwrap_or_else(|| "the care team".into()),
            "channel" => channel.clone(),
            _ => String::new(),
        }
    };
    let mut out = String::with_capacity(body.len());
    let mut rest = body.as_str();
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find("}}").unwrap_or(after.len());
        out.push_str(&value(after[..end].trim()));
        rest = after.get(end + 2..).unwrap_or("");
    }
    out.push_str(rest);
    Ok(out)
}
