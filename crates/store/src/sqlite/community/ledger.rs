//! The points ledger in SQL: transactions and their postings, recorded as
//! `firebreak_community::ledger` builds them, one per idempotency key.
//! Every function runs inside the caller's write transaction, next to the
//! event that moves the points.

use firebreak_community::{
    Account, CommunityError, MemberId, Posting, Totals, Transaction, TxKind,
    ledger::{self, Redemption, keys},
};
use firebreak_domain::Timestamp;
use rusqlite::{Connection, OptionalExtension, params};

use crate::{
    StoreError,
    community::{CommunityStoreError, LedgerTotals},
};

/// The balance of an account: a sum over one index.
pub fn balance(c: &Connection, account: &Account) -> Result<i64, StoreError> {
    Ok(c.prepare_cached("SELECT coalesce(sum(amount), 0) FROM community_ledger_postings WHERE account = ?1")?
        .query_row([account.key()], |r| r.get(0))?)
}

/// The transaction posted under `key`, if any.
pub fn transaction(c: &Connection, key: &str) -> Result<Option<Transaction>, StoreError> {
    let head: Option<(i64, String, Option<String>, i64)> = c
        .prepare_cached(
            "SELECT id, kind, reverses, shortfall FROM community_ledger_transactions WHERE idempotency_key = ?1",
        )?
        .query_row([key], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .optional()?;
    let Some((id, kind, reverses, shortfall)) = head else { return Ok(None) };
    let kind = TxKind::parse(&kind).ok_or_else(|| StoreError::Database(format!("unknown transaction kind {kind}")))?;
    let mut stmt = c.prepare_cached(
        "SELECT account, amount FROM community_ledger_postings WHERE transaction_id = ?1 ORDER BY amount, account",
    )?;
    let rows: Vec<(String, i64)> = stmt.query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?;
    let postings = rows
        .into_iter()
        .map(|(a, amount)| {
            Account::parse(&a)
                .map(|account| Posting { account, amount })
                .ok_or_else(|| StoreError::Database(format!("unknown ledger account {a}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(Transaction { key: key.to_owned(), kind, postings, reverses, shortfall }))
}

/// Records a transaction the ledger's rules built.
pub(super) fn record(
    c: &Connection,
    t: &Transaction,
    actor: Option<MemberId>,
    now: Timestamp,
) -> Result<(), StoreError> {
    if t.sum() != 0 {
        return Err(StoreError::Database(format!("transaction {} does not balance", t.key)));
    }
    c.prepare_cached(
        "INSERT INTO community_ledger_transactions (idempotency_key, kind, reverses, shortfall, actor_id, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![t.key, t.kind.as_str(), t.reverses, t.shortfall, actor.map(|m| m.0), now.unix_millis()])?;
    let id = c.last_insert_rowid();
    let mut stmt = c.prepare_cached(
        "INSERT INTO community_ledger_postings (transaction_id, account, amount) VALUES (?1, ?2, ?3)",
    )?;
    for p in &t.postings {
        stmt.execute(params![id, p.account.key(), p.amount])?;
    }
    Ok(())
}

/// Awards `amount` points to `member` under `key`, unless the key was
/// posted before or the amount is zero (the award is switched off).
pub fn award(
    c: &Connection,
    key: String,
    member: MemberId,
    amount: i64,
    actor: MemberId,
    now: Timestamp,
) -> Result<Option<Transaction>, CommunityStoreError> {
    if amount == 0 || transaction(c, &key)?.is_some() {
        return Ok(None);
    }
    let t = ledger::award(key, member, amount)?;
    record(c, &t, Some(actor), now)?;
    Ok(Some(t))
}

/// Reverses the award posted under `original_key`, once; nothing when
/// there is no such award or it was reversed already.
pub fn reverse(
    c: &Connection,
    original_key: &str,
    actor: MemberId,
    now: Timestamp,
) -> Result<Option<Transaction>, CommunityStoreError> {
    if transaction(c, &keys::reverse(original_key))?.is_some() {
        return Ok(None);
    }
    let Some(original) = transaction(c, original_key)? else { return Ok(None) };
    let member = original.postings.iter().find_map(|p| p.account.member());
    let held = match member {
        Some(m) => balance(c, &Account::Member(m))?,
        None => 0,
    };
    let t = ledger::reverse(&original, held)?;
    record(c, &t, Some(actor), now)?;
    Ok(Some(t))
}

/// Redeems `amount` of `member`'s points. The same request id again
/// answers the redemption already made (another member's id is refused).
pub fn redeem(
    c: &Connection,
    member: MemberId,
    request_id: &str,
    amount: i64,
    to: &Redemption,
    now: Timestamp,
) -> Result<Transaction, CommunityStoreError> {
    if let Some(t) = transaction(c, &keys::redeem(request_id))? {
        if t.amount_for(&Account::Member(member)) == 0 {
            return Err(CommunityError::conflict(
                "request_id_taken",
                "that request id was used for another redemption",
            )
            .into());
        }
        return Ok(t);
    }
    let held = balance(c, &Account::Member(member))?;
    let t = ledger::redeem(request_id, member, amount, to, held)?;
    record(c, &t, Some(member), now)?;
    Ok(t)
}

/// Every account's balance and their sum.
pub fn totals(c: &Connection) -> Result<LedgerTotals, StoreError> {
    let mut stmt = c.prepare_cached(
        "SELECT account, sum(amount) FROM community_ledger_postings GROUP BY account ORDER BY account",
    )?;
    let accounts: Vec<(String, i64)> = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?;
    let unbalanced: i64 = c.query_row(
        "SELECT count(*) FROM (SELECT transaction_id FROM community_ledger_postings \
         GROUP BY transaction_id HAVING sum(amount) != 0)",
        [],
        |r| r.get(0),
    )?;
    let sum = accounts.iter().map(|(_, n)| n).sum();
    Ok(LedgerTotals { accounts, sum, unbalanced_transactions: unbalanced as u64 })
}

/// What a member has done, for ranks and badges: points earned (their
/// awards that were not reversed, so a reversal's written-off shortfall
/// counts against them too), accepted solutions, kudos on visible posts,
/// visible posts, shipped ideas.
pub fn member_totals(c: &Connection, member: MemberId) -> Result<Totals, StoreError> {
    let account = Account::Member(member).key();
    let points_earned: i64 = c
        .prepare_cached(
            "SELECT coalesce(sum(p.amount), 0) FROM community_ledger_postings p \
             JOIN community_ledger_transactions t ON t.id = p.transaction_id \
             WHERE p.account = ?1 AND t.kind = 'award' AND NOT EXISTS \
               (SELECT 1 FROM community_ledger_transactions r WHERE r.reverses = t.idempotency_key)",
        )?
        .query_row([&account], |r| r.get(0))?;
    let count = |sql: &str| -> Result<u64, StoreError> {
        Ok(c.prepare_cached(sql)?.query_row([member.0], |r| r.get::<_, i64>(0))? as u64)
    };
    Ok(Totals {
        points_earned,
        solutions: count("SELECT count(*) FROM community_solutions WHERE answerer_id = ?1")?,
        kudos_received: count(
            "SELECT count(*) FROM community_kudos k JOIN community_posts p ON p.id = k.post_id \
             WHERE k.receiver_id = ?1 AND p.hidden = 0",
        )?,
        posts: count("SELECT count(*) FROM community_posts WHERE author_id = ?1 AND hidden = 0")?,
        ideas_shipped: count("SELECT count(*) FROM community_ideas WHERE author_id = ?1 AND status = 'shipped'")?,
    })
}
