//! The value of the community in SQL: views of solved topics counted per
//! topic per day (a batch of views is one row write per topic), and the
//! report: top contributors (posts, solutions, kudos received, people
//! helped) and the contacts their solutions deflected, per member and in
//! total, as `firebreak_community::value` estimates them.

use std::collections::{BTreeMap, HashMap};

use firebreak_community::{MemberId, TopicId, value::ValueConfig};
use firebreak_domain::Timestamp;
use rusqlite::{Connection, params};

use super::Result;
use crate::community_more::{Contributor, DailyViews, ValueReport};

const DAY_MS: i64 = 86_400_000;

/// Counts a batch of views; a view of a topic without an accepted solution
/// is not counted.
pub fn record_views(c: &Connection, views: &[TopicId], now: Timestamp) -> Result<u64> {
    let mut per_topic: BTreeMap<i64, i64> = BTreeMap::new();
    for t in views {
        *per_topic.entry(t.0).or_insert(0) += 1;
    }
    let day = now.unix_millis().div_euclid(DAY_MS);
    let mut start = c.prepare_cached(
        "INSERT OR IGNORE INTO community_solution_views (topic_id, day, views) \
         SELECT ?1, ?2, 0 WHERE EXISTS (SELECT 1 FROM community_solutions WHERE topic_id = ?1)",
    )?;
    let mut add =
        c.prepare_cached("UPDATE community_solution_views SET views = views + ?3 WHERE topic_id = ?1 AND day = ?2")?;
    let mut counted = 0;
    for (topic, n) in per_topic {
        start.execute(params![topic, day])?;
        if add.execute(params![topic, day, n])? == 1 {
            counted += n as u64;
        }
    }
    Ok(counted)
}

/// One member's raw figures.
#[derive(Default)]
struct Figures {
    posts: u64,
    kudos: u64,
    solutions: u64,
    helped: u64,
    views: u64,
}

pub fn report(c: &Connection, config: ValueConfig, top: u32, now: Timestamp) -> Result<ValueReport> {
    let mut by_member: HashMap<i64, Figures> = HashMap::new();
    // Posts and kudos from the covering index (author, hidden, kudos).
    let mut stmt = c.prepare_cached(
        "SELECT author_id, count(*), sum(kudos) FROM community_posts WHERE hidden = 0 GROUP BY author_id",
    )?;
    for row in stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?)))? {
        let (m, posts, kudos) = row?;
        let f = by_member.entry(m).or_default();
        f.posts = posts as u64;
        f.kudos = kudos as u64;
    }
    // Solutions and the distinct askers they answered (not oneself).
    let mut stmt = c.prepare_cached(
        "SELECT s.answerer_id, count(*), count(DISTINCT CASE WHEN t.author_id != s.answerer_id THEN t.author_id END) \
         FROM community_solutions s JOIN community_topics t ON t.id = s.topic_id GROUP BY s.answerer_id",
    )?;
    for row in stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?)))? {
        let (m, solutions, helped) = row?;
        let f = by_member.entry(m).or_default();
        f.solutions = solutions as u64;
        f.helped = helped as u64;
    }
    // Views, credited to the author of the topic's solution now.
    let mut stmt = c.prepare_cached(
        "SELECT s.answerer_id, sum(v.views) FROM community_solution_views v \
         JOIN community_solutions s ON s.topic_id = v.topic_id GROUP BY s.answerer_id",
    )?;
    for row in stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))? {
        let (m, views) = row?;
        by_member.entry(m).or_default().views = views as u64;
    }
    let (solution_views, solved_topics): (i64, i64) = c.query_row(
        "SELECT (SELECT coalesce(sum(views), 0) FROM community_solution_views), \
                (SELECT count(*) FROM community_solutions)",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let mut ranked: Vec<(i64, Figures)> = by_member.into_iter().collect();
    ranked.sort_by(|(a, x), (b, y)| {
        (y.solutions, y.kudos, y.posts, std::cmp::Reverse(*b)).cmp(&(
            x.solutions,
            x.kudos,
            x.posts,
            std::cmp::Reverse(*a),
        ))
    });
    ranked.truncate(top.clamp(1, 1_000) as usize);
    let mut name = c.prepare_cached("SELECT display_name FROM community_members WHERE id = ?1")?;
    let mut contributors = Vec::with_capacity(ranked.len());
    for (m, f) in ranked {
        contributors.push(Contributor {
            member: MemberId(m),
            display_name: name.query_row([m], |r| r.get(0))?,
            posts: f.posts,
            solutions: f.solutions,
            kudos_received: f.kudos,
            people_helped: f.helped,
            solution_views: f.views,
            contacts_deflected: config.deflected(f.views),
            saved_cents: config.saved_cents(f.views),
        });
    }
    let today = now.unix_millis().div_euclid(DAY_MS);
    let mut stmt = c.prepare_cached(
        "SELECT day, sum(views) FROM community_solution_views WHERE day > ?1 GROUP BY day ORDER BY day",
    )?;
    let daily_views = stmt
        .query_map([today - 90], |r| Ok(DailyViews { day: r.get(0)?, views: r.get::<_, i64>(1)? as u64 }))?
        .collect::<rusqlite::Result<_>>()?;
    let views = solution_views as u64;
    Ok(ValueReport {
        config,
        solved_topics: solved_topics as u64,
        solution_views: views,
        contacts_deflected: config.deflected(views),
        saved_cents: config.saved_cents(views),
        contributors,
        daily_views,
    })
}
