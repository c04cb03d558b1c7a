//! Points redeemed as account credit, for billing: every transaction that
//! posted to `redemption:credit`, with the member who redeemed (the member
//! account debited in the same transaction) and the customer they are.

use rusqlite::{Connection, params};

use super::{Result, ts};
use crate::community::CreditRedemption;

pub fn credit_redemptions(c: &Connection, after: i64, limit: u32) -> Result<Vec<CreditRedemption>> {
    let mut stmt = c.prepare_cached(
        "SELECT t.id, t.idempotency_key, t.created_at, p.amount, m.id, m.email, m.customer_id, cu.external_ref \
         FROM community_ledger_postings p \
         JOIN community_ledger_transactions t ON t.id = p.transaction_id \
         JOIN community_ledger_postings q ON q.transaction_id = t.id AND q.account LIKE 'member:%' \
         JOIN community_members m ON m.id = CAST(substr(q.account, 8) AS INTEGER) \
         LEFT JOIN customers cu ON cu.id = m.customer_id \
         WHERE p.account = 'redemption:credit' AND t.id > ?1 ORDER BY t.id LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![after, limit.clamp(1, 10_000)], |r| {
        Ok(CreditRedemption {
            transaction: r.get(0)?,
            key: r.get(1)?,
            at: ts(r, 2)?,
            points: r.get(3)?,
            member: firebreak_community::MemberId(r.get(4)?),
            email: r.get(5)?,
            customer_id: r.get(6)?,
            external_ref: r.get(7)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
