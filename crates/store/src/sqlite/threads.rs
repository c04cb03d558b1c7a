//! Threading: which conversation a new message belongs to.
//!
//! Each message brings up to three keys: its own external id (`m:<id>`), the
//! external id it answers (`m:<in_reply_to>`), and the platform's thread id
//! (`t:<thread_id>`). A key belongs to one conversation. A message joins the
//! conversation its keys already point to, starts a new one when none does,
//! and joins them into one when they point to several: messages arrive out of
//! order (a reply before the post it answers, a replayed archive), and the
//! reply that links two fragments is what shows they were one conversation.

use firebreak_domain::NewMessage;
use rusqlite::{Connection, OptionalExtension, params};

use crate::StoreError;

const FIND_KEY: &str = "SELECT conversation_id FROM conversation_keys WHERE channel = ?1 AND key = ?2";
const ADD_KEY: &str = "INSERT OR IGNORE INTO conversation_keys (channel, key, conversation_id) VALUES (?1, ?2, ?3)";
const CREATE: &str =
    "INSERT OR IGNORE INTO conversations (channel, started_at, last_at, messages) VALUES (?1, ?2, ?2, 1)";
const TOUCH: &str = "UPDATE OR IGNORE conversations SET started_at = min(started_at, ?2), last_at = max(last_at, ?2), \
                     messages = messages + 1 WHERE id = ?1";

/// The keys a message brings.
fn keys(m: &NewMessage) -> Vec<String> {
    let mut keys = Vec::with_capacity(3);
    keys.push(format!("m:{}", m.external_id));
    if let Some(r) = &m.in_reply_to {
        keys.push(format!("m:{r}"));
    }
    if let Some(t) = &m.thread_id {
        keys.push(format!("t:{t}"));
    }
    keys
}

/// The conversation a message joined, and whether it started it.
#[derive(Debug, Clone, Copy)]
pub struct Joined {
    pub id: i64,
    pub new: bool,
}

/// Finds or creates the conversation of a message about to be stored,
/// registers its keys, and counts it in.
pub fn conversation_for(conn: &Connection, m: &NewMessage) -> Result<Joined, StoreError> {
    let channel = m.channel.as_str();
    let keys = keys(m);
    let mut find = conn.prepare_cached(FIND_KEY)?;
    let mut found: Vec<i64> = Vec::with_capacity(keys.len());
    let mut known = [false; 3];
    for (i, k) in keys.iter().enumerate() {
        if let Some(id) = find.query_row(params![channel, k], |r| r.get::<_, i64>(0)).optional()? {
            known[i] = true;
            if !found.contains(&id) {
                found.push(id);
            }
        }
    }
    let (id, new) = match found.as_slice() {
        [] => {
            let n = conn.prepare_cached(CREATE)?.execute(params![channel, m.created_at.unix_millis()])?;
            (super::rows::inserted_id(conn, n, "conversation")?, true)
        }
        [one] => (*one, false),
        many => (join(conn, many)?, false),
    };
    let mut add = conn.prepare_cached(ADD_KEY)?;
    for (i, k) in keys.iter().enumerate() {
        // A key found above already points here (joining moved it if need be).
        if !known[i] {
            add.execute(params![channel, k, id])?;
        }
    }
    if !new {
        conn.prepare_cached(TOUCH)?.execute(params![id, m.created_at.unix_millis()])?;
    }
    Ok(Joined { id, new })
}

/// Joins several conversations into the oldest of them; returns its id.
fn join(conn: &Connection, ids: &[i64]) -> Result<i64, StoreError> {
    let keep = *ids.iter().min().expect("join is given at least two conversations");
    for &other in ids.iter().filter(|&&i| i != keep) {
        conn.prepare_cached("UPDATE OR IGNORE conversation_keys SET conversation_id = ?1 WHERE conversation_id = ?2")?
            .execute(params![keep, other])?;
        conn.prepare_cached("UPDATE OR IGNORE messages SET conversation_id = ?1 WHERE conversation_id = ?2")?
            .execute(params![keep, other])?;
        conn.prepare_cached(
            "UPDATE OR IGNORE conversations SET \
               started_at = min(started_at, (SELECT started_at FROM conversations WHERE id = ?2)), \
               last_at = max(last_at, (SELECT last_at FROM conversations WHERE id = ?2)), \
               messages = messages + (SELECT messages FROM conversations WHERE id = ?2) \
             WHERE id = ?1",
        )?
        .execute(params![keep, other])?;
        conn.prepare_cached("DELETE FROM conversations WHERE id = ?1")?.execute([other])?;
    }
    Ok(keep)
}
