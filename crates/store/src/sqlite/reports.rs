//! Reports computed from stored conversations.

use std::collections::BTreeMap;

use rusqlite::Connection;

use crate::{FirstResponse, StoreError};

/// For each conversation with an inbound message: the first outbound message
/// at or after the first inbound one, and the time between them.
const FIRST_RESPONSES: &str = "\
    WITH first_in AS ( \
        SELECT conversation_id, min(created_at) AS at FROM messages \
        WHERE direction = 'in' AND conversation_id IS NOT NULL GROUP BY conversation_id \
    ) \
    SELECT coalesce(i.handle, i.platform_id), r.created_at - f.at \
    FROM first_in f \
    JOIN messages r ON r.id = ( \
        SELECT m.id FROM messages m \
        WHERE m.conversation_id = f.conversation_id AND m.direction = 'out' AND m.created_at >= f.at \
        ORDER BY m.created_at, m.id LIMIT 1) \
    JOIN identities i ON i.id = r.identity_id";

/// The median first-response time per responding account (the brand).
pub fn first_responses(conn: &Connection) -> Result<Vec<FirstResponse>, StoreError> {
    let mut by_brand: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    let mut stmt = conn.prepare_cached(FIRST_RESPONSES)?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
    for row in rows {
        let (brand, ms) = row?;
        by_brand.entry(brand).or_default().push(ms);
    }
    Ok(by_brand
        .into_iter()
        .map(|(brand, mut ms)| {
            ms.sort_unstable();
            let n = ms.len();
            let median_ms = if n % 2 == 1 { ms[n / 2] as f64 } else { (ms[n / 2 - 1] + ms[n / 2]) as f64 / 2.0 };
            FirstResponse { brand, conversations: n as u64, median_seconds: median_ms / 1000.0 }
        })
        .collect())
}
