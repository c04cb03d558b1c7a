//! The figures behind the inbox's queue counts and the supervisor's page.
//!
//! Each query is answered from an index: active cases through the queue
//! indexes (`cases_queue`, `cases_queue_by_due`, `cases_by_agent`,
//! `cases_by_team`), which hold only the few thousand cases being worked
//! rather than the whole history; the day's and week's SLA results and
//! satisfaction answers through `sla_events_by_time` and `cases_by_csat`
//! (migration 0010), which read only the period asked for.

use firebreak_domain::{Timestamp, sla::ClockKind};
use rusqlite::{Connection, params};

use super::admin;
use crate::{
    CsatSummary, PeriodStats, QUEUE_COUNT_CAP, QueueCountQuery, QueueCounts, QueueGroup, SlaAttainment, StoreError,
    SupervisorStats,
};

const DAY: i64 = 86_400_000;
/// 1970-01-01 was a Thursday: weeks start four days later in its count.
const MONDAY: i64 = 4 * DAY;

fn ts(ms: i64) -> Timestamp {
    Timestamp::from_unix_millis(ms).unwrap_or_else(|_| Timestamp::now())
}

fn count(conn: &Connection, sql: &str, p: impl rusqlite::Params) -> Result<u64, StoreError> {
    let n: i64 = conn.prepare_cached(sql)?.query_row(p, |r| r.get(0))?;
    Ok(n.max(0) as u64)
}

/// The size of each queue of the inbox for one person, each counted up to
/// [`QUEUE_COUNT_CAP`] (a count that reaches it means "at least"): counting
/// every one of a hundred thousand open cases on each page view would cost
/// more than the page, and past a thousand the number tells an agent nothing.
pub fn queue_counts(conn: &Connection, q: &QueueCountQuery) -> Result<QueueCounts, StoreError> {
    let active = "status IN ('new', 'open', 'pending')";
    let capped =
        |filter: &str| format!("SELECT count(*) FROM (SELECT 1 FROM cases WHERE {filter} LIMIT {QUEUE_COUNT_CAP})");
    Ok(QueueCounts {
        all: count(conn, &capped("active = 1"), [])?,
        mine: count(conn, &capped(&format!("agent_id = ?1 AND {active}")), [q.agent_id])?,
        unassigned: count(conn, &capped(&format!("agent_id IS NULL AND {active}")), [])?,
        team: match q.team_id {
            Some(t) => Some(count(conn, &capped(&format!("team_id = ?1 AND {active}")), [t])?),
            None => None,
        },
        breaching: count(conn, &capped("active = 1 AND due_sort < ?1"), [q.due_before.unix_millis()])?,
        urgent: count(
            conn,
            &capped("active = 1 AND priority = ?1"),
            [firebreak_domain::case::Priority::Urgent.rank()],
        )?,
    })
}

fn groups(conn: &Connection, sql: &str) -> Result<Vec<QueueGroup>, StoreError> {
    Ok(conn
        .prepare_cached(sql)?
        .query_map([], |r| {
            Ok(QueueGroup {
                name: r.get(0)?,
                active: r.get::<_, i64>(1)?.max(0) as u64,
                waiting: r.get::<_, Option<i64>>(2)?.unwrap_or(0).max(0) as u64,
                oldest_waiting: r.get::<_, Option<i64>>(3)?.map(ts),
            })
        })?
        .collect::<Result<_, _>>()?)
}

/// The start of the UTC day and of the week (Monday) that hold `now`.
pub fn periods(now: Timestamp) -> (Timestamp, Timestamp) {
    let ms = now.unix_millis();
    let day = ms - ms.rem_euclid(DAY);
    let week = ms - (ms - MONDAY).rem_euclid(7 * DAY);
    (ts(day), ts(week))
}

fn period(conn: &Connection, from: Timestamp) -> Result<PeriodStats, StoreError> {
    let since = from.unix_millis();
    let mut sla = Vec::new();
    for clock in [ClockKind::FirstResponse, ClockKind::Resolution] {
        let n = |kind: &str| {
            count(
                conn,
                "SELECT count(*) FROM sla_events WHERE kind = ?1 AND clock = ?2 AND at >= ?3",
                params![kind, clock.as_str(), since],
            )
        };
        sla.push(SlaAttainment { clock, met: n("met")?, breached: n("breached_at_stop")? });
    }
    let breaches = count(
        conn,
        "SELECT count(*) FROM sla_events WHERE kind = 'breach' \
         AND clock IN ('first_response', 'next_response', 'resolution') AND at >= ?1",
        [since],
    )?;
    let (answers, average): (i64, Option<f64>) = conn
        .prepare_cached("SELECT count(csat_score), avg(csat_score) FROM cases WHERE csat_at >= ?1")?
        .query_row([since], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(PeriodStats { from, sla, breaches, csat: CsatSummary { answers: answers.max(0) as u64, average } })
}

/// Queues by team and by channel, SLA results and satisfaction today and
/// this week, breaches, and the load of each active agent (analysts, who
/// take no cases, left out).
pub fn supervisor_stats(conn: &Connection, now: Timestamp) -> Result<SupervisorStats, StoreError> {
    let waiting = "c.status IN ('new', 'open')";
    let by_team = groups(
        conn,
        &format!(
            "SELECT coalesce(t.name, 'no team'), count(*), sum({waiting}), min(CASE WHEN {waiting} THEN c.opened_at END) \
             FROM cases c LEFT JOIN teams t ON t.id = c.team_id WHERE c.active = 1 \
             GROUP BY c.team_id ORDER BY count(*) DESC, 1"
        ),
    )?;
    let by_channel = groups(
        conn,
        &format!(
            "SELECT c.channel, count(*), sum({waiting}), min(CASE WHEN {waiting} THEN c.opened_at END) \
             FROM cases c WHERE c.active = 1 GROUP BY c.channel ORDER BY count(*) DESC, 1"
        ),
    )?;
    let breaching_now =
        count(conn, "SELECT count(*) FROM cases WHERE active = 1 AND due_sort < ?1", [now.unix_millis()])?;
    let (day, week) = periods(now);
    // Analysts read; they take no cases, so they have no load to show.
    let analysts: Vec<i64> = conn
        .prepare_cached("SELECT id FROM agents WHERE role = 'analyst'")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let agents = admin::agents(conn)?.into_iter().filter(|a| a.active && !analysts.contains(&a.id)).collect();
    Ok(SupervisorStats {
        now,
        by_team,
        by_channel,
        breaching_now,
        today: period(conn, day)?,
        week: period(conn, week)?,
        agents,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_start_at_midnight_and_weeks_on_monday() {
        // Friday 2026-11-20 08:00 UTC.
        let now = Timestamp::parse_rfc3339("2026-11-20T08:00:00Z").unwrap();
        let (day, week) = periods(now);
        assert_eq!(day.to_rfc3339(), Timestamp::parse_rfc3339("2026-11-20T00:00:00Z").unwrap().to_rfc3339());
        assert_eq!(week.to_rfc3339(), Timestamp::parse_rfc3339("2026-11-16T00:00:00Z").unwrap().to_rfc3339());
        // A Monday is the start of its own week.
        let monday = Timestamp::parse_rfc3339("2026-11-16T00:00:00Z").unwrap();
        assert_eq!(periods(monday).1, monday);
    }
}
