//! The raw baseline for the ingest benchmark: the same rows written into the
//! same schema, with the same FTS index and durability, by the plainest
//! batched SQLite code we can write. Firebreak's own figure is reported as a
//! ratio of this one, measured in the same run.

use std::{path::Path, time::Instant};

use firebreak_domain::NewMessage;
use rusqlite::{Connection, params};

use crate::StoreError;

/// What the baseline measured.
#[derive(Debug, Clone, Copy)]
pub struct BaselineReport {
    pub messages: usize,
    pub seconds: f64,
}

impl BaselineReport {
    pub fn per_second(&self) -> f64 {
        self.messages as f64 / self.seconds
    }
}

/// Inserts `messages` into a fresh database in `dir`, `batch` rows per
/// transaction, with WAL and `synchronous=FULL`, and times it.
pub fn run_raw_baseline(dir: &Path, messages: &[NewMessage], batch: usize) -> Result<BaselineReport, StoreError> {
    std::fs::create_dir_all(dir).map_err(|e| StoreError::Database(e.to_string()))?;
    let mut conn = Connection::open(dir.join("baseline.db"))?;
    conn.query_row("PRAGMA journal_mode=WAL", [], |_| Ok(()))?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.execute_batch(include_str!("../migrations/0001_messages.sql"))?;
    let started = Instant::now();
    for chunk in messages.chunks(batch.max(1)) {
        let tx = conn.transaction()?;
        {
            let mut ident = tx.prepare_cached(
                "INSERT OR IGNORE INTO identities (channel, platform_id, handle, first_seen) VALUES (?1, ?2, ?3, 0)",
            )?;
            let mut find = tx.prepare_cached("SELECT id FROM identities WHERE platform_id = ?1 AND channel = ?2")?;
            let mut msg = tx.prepare_cached(
                "INSERT INTO messages (channel, external_id, direction, identity_id, text, created_at, received_at, \
                 in_reply_to, raw) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7, ?8)",
            )?;
            let mut fts = tx.prepare_cached(
                "INSERT INTO messages_fts (rowid, text) SELECT id, text FROM messages WHERE id >= ?1",
            )?;
            let mut first = None;
            for m in chunk {
                let (channel, author) = (m.channel.as_str(), m.author.id.as_str());
                let identity =
                    if ident.execute(params![channel, author, m.author.handle.as_ref().map(|h| h.as_str())])? == 1 {
                        tx.last_insert_rowid()
                    } else {
                        find.query_row(params![author, channel], |r| r.get(0))?
                    };
                msg.execute(params![
                    channel,
                    m.external_id.as_str(),
                    m.direction.as_str(),
                    identity,
                    m.text.as_str(),
                    m.created_at.unix_millis(),
                    m.in_reply_to.as_ref().map(|r| r.as_str()),
                    m.raw.as_ref().map(|r| r.as_str()),
                ])?;
                first.get_or_insert(tx.last_insert_rowid());
            }
            // The text is indexed in one statement per batch: FTS5 flushes its
            // pending terms at every statement savepoint, so anyone who has
            // measured it writes it this way.
            if let Some(first) = first {
                fts.execute([first])?;
            }
        }
        tx.commit()?;
    }
    Ok(BaselineReport { messages: messages.len(), seconds: started.elapsed().as_secs_f64() })
}

/// Times the bare FTS5 query (ranked top `limit` ids, nothing else) for each
/// of `queries`, in milliseconds: the floor under `GET /api/v1/search`.
pub fn time_raw_search(db: &Path, queries: &[String], limit: u32) -> Result<Vec<f64>, StoreError> {
    let conn = Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let mut stmt = conn.prepare("SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?1 ORDER BY rank LIMIT ?2")?;
    let mut out = Vec::with_capacity(queries.len());
    for q in queries {
        let fts = crate::sqlite::fts_query(q)?;
        let started = Instant::now();
        let ids: Vec<i64> = stmt.query_map(params![fts, limit], |r| r.get(0))?.collect::<Result<_, _>>()?;
        std::hint::black_box(ids);
        out.push(started.elapsed().as_secs_f64() * 1e3);
    }
    Ok(out)
}
