//! The reader side: a small pool of read-only connections, and the queries
//! that list and count stored rows.

use std::sync::{Condvar, Mutex};

use firebreak_domain::MessageId;
use rusqlite::{Connection, OptionalExtension, ToSql};

use super::rows::{MESSAGE_COLUMNS, message_from_row};
use crate::{Cursor, MessagePage, MessageQuery, StoreCounts, StoreError};

/// Read-only connections, lent one at a time.
pub struct Pool {
    idle: Mutex<Vec<Connection>>,
    returned: Condvar,
}

impl Pool {
    pub fn new(conns: Vec<Connection>) -> Pool {
        Pool { idle: Mutex::new(conns), returned: Condvar::new() }
    }

    /// Runs `f` with a connection, waiting for one to be free.
    pub fn with<T>(&self, f: impl FnOnce(&Connection) -> Result<T, StoreError>) -> Result<T, StoreError> {
        let conn = {
            let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
            loop {
                if let Some(c) = idle.pop() {
                    break c;
                }
                idle = self.returned.wait(idle).unwrap_or_else(|p| p.into_inner());
            }
        };
        let result = f(&conn);
        self.idle.lock().unwrap_or_else(|p| p.into_inner()).push(conn);
        self.returned.notify_one();
        result
    }
}

pub fn message(conn: &Connection, id: MessageId) -> Result<Option<firebreak_domain::StoredMessage>, StoreError> {
    let sql =
        format!("SELECT {MESSAGE_COLUMNS} FROM messages m JOIN identities i ON i.id = m.identity_id WHERE m.id = ?1");
    Ok(conn.prepare_cached(&sql)?.query_row([id.0], message_from_row).optional()?)
}

/// The largest page a caller may ask for.
pub const MAX_PAGE: u32 = 1000;

pub fn messages(conn: &Connection, q: &MessageQuery) -> Result<MessagePage, StoreError> {
    let mut sql = format!("SELECT {MESSAGE_COLUMNS} FROM messages m JOIN identities i ON i.id = m.identity_id WHERE 1");
    let mut args: Vec<Box<dyn ToSql>> = Vec::new();
    if let Some(c) = q.channel {
        args.push(Box::new(c.as_str()));
        sql.push_str(&format!(" AND m.channel = ?{}", args.len()));
    }
    if let Some(t) = q.since {
        args.push(Box::new(t.unix_millis()));
        sql.push_str(&format!(" AND m.created_at >= ?{}", args.len()));
    }
    if let Some(t) = q.until {
        args.push(Box::new(t.unix_millis()));
        sql.push_str(&format!(" AND m.created_at < ?{}", args.len()));
    }
    if let Some(a) = &q.author {
        let a = a.strip_prefix('@').unwrap_or(a).to_owned();
        args.push(Box::new(a));
        let n = args.len();
        sql.push_str(&format!(
            " AND m.identity_id IN (SELECT id FROM identities WHERE platform_id = ?{n} \
              UNION SELECT id FROM identities WHERE handle = ?{n} COLLATE NOCASE)"
        ));
    }
    if let Some(s) = q.sentiment {
        args.push(Box::new(s.as_str()));
        sql.push_str(&format!(" AND m.sentiment = ?{}", args.len()));
    }
    if let Some(i) = q.intent {
        args.push(Box::new(i.as_str()));
        sql.push_str(&format!(" AND m.intent = ?{}", args.len()));
    }
    if let Some(u) = q.urgent {
        sql.push_str(if u { " AND m.urgent = 1" } else { " AND coalesce(m.urgent, 0) = 0" });
    }
    if let Some((kind, value)) = &q.entity {
        args.push(Box::new(value.to_lowercase()));
        let n = args.len();
        match kind {
            Some(k) => {
                args.push(Box::new(k.as_str()));
                sql.push_str(&format!(
                    " AND m.id IN (SELECT message_id FROM message_entities WHERE value = ?{n} AND kind = ?{})",
                    n + 1
                ));
            }
            None => sql.push_str(&format!(" AND m.id IN (SELECT message_id FROM message_entities WHERE value = ?{n})")),
        }
    }
    if let Some(c) = q.after {
        args.push(Box::new(c.created_at.unix_millis()));
        args.push(Box::new(c.id.0));
        let n = args.len();
        sql.push_str(&format!(" AND (m.created_at, m.id) < (?{}, ?{n})", n - 1));
    }
    let limit = q.limit.clamp(1, MAX_PAGE);
    // One extra row tells whether there is a next page.
    args.push(Box::new(i64::from(limit) + 1));
    sql.push_str(&format!(" ORDER BY m.created_at DESC, m.id DESC LIMIT ?{}", args.len()));

    let mut stmt = conn.prepare_cached(&sql)?;
    let params: Vec<&dyn ToSql> = args.iter().map(|b| b.as_ref()).collect();
    let mut items: Vec<_> = stmt.query_map(params.as_slice(), message_from_row)?.collect::<Result<_, _>>()?;
    let next = if items.len() > limit as usize {
        items.truncate(limit as usize);
        items.last().map(|m| Cursor { created_at: m.message.created_at, id: m.id })
    } else {
        None
    };
    Ok(MessagePage { items, next })
}

pub fn counts(conn: &Connection) -> Result<StoreCounts, StoreError> {
    let count = |table: &str| -> Result<u64, StoreError> {
        Ok(conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get::<_, i64>(0))? as u64)
    };
    Ok(StoreCounts { messages: count("messages")?, identities: count("identities")?, customers: count("customers")? })
}
