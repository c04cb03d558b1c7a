//! Charity rounds in SQL: the round and its candidates, one vote per member
//! per round (the primary key), donations into the round's pot and the
//! payout to the winner, both recorded in the points ledger in the same
//! commit as the change that causes them (`firebreak_community::charity`
//! builds them).

use std::collections::HashMap;

use firebreak_community::{
    Account, Actor, CommunityError, Transaction,
    charity::{self as rules, Charity, RoundId, RoundStatus},
    ledger::keys,
};
use firebreak_domain::Timestamp;
use rusqlite::{Connection, OptionalExtension, params};

use super::{Result, bad_value, check_actor, ledger, log_moderation, require_staff};
use crate::community_more::{CharityRound, CharityTally};

/// The round's row: title, status, winner, paid, created and closed times.
type RoundRow = (String, String, Option<String>, i64, i64, Option<i64>);

pub fn round(c: &Connection, id: RoundId) -> Result<Option<CharityRound>> {
    let row: Option<RoundRow> = c
        .prepare_cached(
            "SELECT title, status, winner, paid, created_at, closed_at FROM community_charity_rounds WHERE id = ?1",
        )?
        .query_row([id.0], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)))
        .optional()?;
    let Some((title, status, winner, paid, created_at, closed_at)) = row else { return Ok(None) };
    let status = RoundStatus::parse(&status).ok_or_else(|| bad_value(1, "round status", status.clone()))?;
    let mut stmt = c.prepare_cached(
        "SELECT ch.slug, ch.name, (SELECT count(*) FROM community_round_votes v \
                                   WHERE v.round_id = ch.round_id AND v.charity = ch.slug) \
         FROM community_round_charities ch WHERE ch.round_id = ?1 ORDER BY ch.position",
    )?;
    let charities = stmt
        .query_map([id.0], |r| {
            Ok(CharityTally { slug: r.get(0)?, name: r.get(1)?, votes: r.get::<_, i64>(2)? as u64 })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let stamp = |ms: i64| Timestamp::from_unix_millis(ms).map_err(|e| crate::StoreError::Database(e.to_string()));
    Ok(Some(CharityRound {
        id,
        title,
        status,
        charities,
        pot: ledger::balance(c, &Account::CharityPot(id))?,
        winner,
        paid,
        created_at: stamp(created_at)?,
        closed_at: closed_at.map(stamp).transpose()?,
    }))
}

/// The rounds, newest first, at most `limit` (1 to 200).
pub fn rounds(c: &Connection, limit: u32) -> Result<Vec<CharityRound>> {
    let ids = c
        .prepare_cached("SELECT id FROM community_charity_rounds ORDER BY id DESC LIMIT ?1")?
        .query_map([limit.clamp(1, 200)], |r| r.get::<_, i64>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        out.extend(round(c, RoundId(id))?);
    }
    Ok(out)
}

fn must(c: &Connection, id: RoundId) -> Result<CharityRound> {
    round(c, id)?.ok_or_else(|| CommunityError::NotFound { what: "charity round" }.into())
}

pub fn open(c: &Connection, actor: Actor, title: &str, charities: &[Charity], now: Timestamp) -> Result<CharityRound> {
    let who = require_staff(c, actor)?;
    c.prepare_cached(
        "INSERT INTO community_charity_rounds (title, status, created_by, created_at) VALUES (?1, 'open', ?2, ?3)",
    )?
    .execute(params![title, who.member.0, now.unix_millis()])?;
    let id = RoundId(c.last_insert_rowid());
    let mut add = c.prepare_cached(
        "INSERT INTO community_round_charities (round_id, position, slug, name) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for (i, ch) in charities.iter().enumerate() {
        add.execute(params![id.0, i as i64, ch.slug, ch.name])?;
    }
    must(c, id)
}

fn status(c: &Connection, id: RoundId) -> Result<RoundStatus> {
    let s: Option<String> = c
        .prepare_cached("SELECT status FROM community_charity_rounds WHERE id = ?1")?
        .query_row([id.0], |r| r.get(0))
        .optional()?;
    let s = s.ok_or(CommunityError::NotFound { what: "charity round" })?;
    Ok(RoundStatus::parse(&s).ok_or_else(|| bad_value(0, "round status", s.clone()))?)
}

pub fn vote(c: &Connection, actor: Actor, id: RoundId, charity: &str, now: Timestamp) -> Result<CharityRound> {
    let who = check_actor(c, actor)?;
    let status = status(c, id)?;
    let is_candidate: bool = c
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM community_round_charities WHERE round_id = ?1 AND slug = ?2)")?
        .query_row(params![id.0, charity], |r| r.get(0))?;
    let voted: bool = c
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM community_round_votes WHERE round_id = ?1 AND member_id = ?2)")?
        .query_row(params![id.0, who.member.0], |r| r.get(0))?;
    rules::check_vote(status, voted, is_candidate)?;
    c.prepare_cached(
        "INSERT INTO community_round_votes (round_id, member_id, charity, created_at) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![id.0, who.member.0, charity, now.unix_millis()])?;
    must(c, id)
}

pub fn donate(
    c: &Connection,
    actor: Actor,
    id: RoundId,
    request_id: &str,
    amount: i64,
    now: Timestamp,
) -> Result<Transaction> {
    let who = check_actor(c, actor)?;
    if let Some(t) = ledger::transaction(c, &keys::redeem(request_id))? {
        // A retry of this donation answers it; any other use of the id is
        // refused.
        if t.amount_for(&Account::Member(who.member)) == 0 || t.amount_for(&Account::CharityPot(id)) == 0 {
            return Err(CommunityError::conflict(
                "request_id_taken",
                "that request id was used for another redemption",
            )
            .into());
        }
        return Ok(t);
    }
    let status = status(c, id)?;
    let held = ledger::balance(c, &Account::Member(who.member))?;
    let t = rules::donate(request_id, who.member, amount, id, status, held)?;
    ledger::record(c, &t, Some(who.member), now)?;
    Ok(t)
}

pub fn close(c: &Connection, actor: Actor, id: RoundId, now: Timestamp) -> Result<CharityRound> {
    let who = require_staff(c, actor)?;
    let current = must(c, id)?;
    if current.status == RoundStatus::Closed {
        return Ok(current);
    }
    let candidates: Vec<Charity> =
        current.charities.iter().map(|t| Charity { slug: t.slug.clone(), name: t.name.clone() }).collect();
    let votes: HashMap<String, u64> = current.charities.iter().map(|t| (t.slug.clone(), t.votes)).collect();
    let (winner, payout) = rules::close(id, &candidates, &votes, current.pot)?;
    if let Some(t) = &payout {
        // The key makes a second payout impossible even if the status were
        // somehow still open.
        if ledger::transaction(c, &t.key)?.is_some() {
            return Err(crate::StoreError::Database(format!("round {id} was paid but not closed")).into());
        }
        ledger::record(c, t, Some(who.member), now)?;
    }
    let paid = payout.as_ref().map(|t| t.amount_for(&Account::CharityPot(id)).abs()).unwrap_or(0);
    c.prepare_cached(
        "UPDATE community_charity_rounds SET status = 'closed', winner = ?2, paid = ?3, closed_by = ?4, closed_at = ?5 \
         WHERE id = ?1",
    )?
    .execute(params![id.0, winner.as_ref().map(|w| &w.slug), paid, who.member.0, now.unix_millis()])?;
    let detail = serde_json::json!({ "winner": winner.as_ref().map(|w| &w.slug), "paid": paid, "votes": votes });
    log_moderation(c, who.member, "close_charity_round", &format!("round:{id}"), "", &detail, now)?;
    must(c, id)
}
