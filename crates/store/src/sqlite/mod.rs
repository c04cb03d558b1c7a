//! The embedded SQLite backend of [`Store`](crate::Store).
//!
//! One file, `firebreak.db`, in the data directory, in WAL mode with
//! `synchronous=FULL`: a commit returns only after its WAL frames are on disk.
//! A single writer thread owns the write connection ([`writer`]); readers
//! borrow connections from a small pool ([`reader`]) on tokio's blocking
//! threads. Another process (an `import` while `serve` runs) can open the same
//! directory: SQLite's file locks serialise the writers, and each waits up to
//! `busy_timeout` for the other.

mod migrations;
mod reader;
mod reports;
mod rows;
mod search;
mod threads;

pub(crate) use search::fts_query;
mod writer;

use std::{
    path::{Path, PathBuf},
    sync::Arc,
    time::Duration,
};

use async_trait::async_trait;
use firebreak_domain::{Clock, MessageId, NewCustomer, NewMessage, StoredMessage, SystemClock};
use rusqlite::{Connection, OpenFlags};

use crate::{
    CustomerOutcome, FirstResponse, IngestOutcome, MessagePage, MessageQuery, SearchHit, SearchQuery, Store,
    StoreCounts, StoreError, StoreStats, stats::StatsInner,
};

/// How the SQLite store is set up.
#[derive(Clone)]
pub struct SqliteOptions {
    /// Reader connections in the pool.
    pub readers: usize,
    /// The most messages one group commit takes before it commits.
    pub max_group_messages: usize,
    /// How long a writer waits for another process's write lock.
    pub busy_timeout: Duration,
    pub clock: Arc<dyn Clock>,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        SqliteOptions {
            readers: 4,
            max_group_messages: 8192,
            busy_timeout: Duration::from_secs(30),
            clock: Arc::new(SystemClock),
        }
    }
}

/// The file name of the database inside the data directory.
pub const DB_FILE: &str = "firebreak.db";

/// The embedded store. Cheap to share behind an `Arc`.
pub struct SqliteStore {
    path: PathBuf,
    writer: writer::WriterHandle,
    readers: Arc<reader::Pool>,
    stats: Arc<StatsInner>,
}

/// Sets the connection-level pragmas every connection needs.
fn configure(conn: &Connection, busy: Duration) -> Result<(), rusqlite::Error> {
    conn.busy_timeout(busy)?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "cache_size", -32_000)?; // about 32 MB
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(())
}

impl SqliteStore {
    /// Opens (creating if needed) the database in `dir`, applies migrations
    /// and starts the writer.
    pub fn open(dir: &Path, opts: SqliteOptions) -> Result<SqliteStore, StoreError> {
        let open_err = |reason: String| StoreError::Open { path: dir.display().to_string(), reason };
        std::fs::create_dir_all(dir).map_err(|e| open_err(e.to_string()))?;
        let path = dir.join(DB_FILE);
        let mut conn = Connection::open(&path).map_err(|e| open_err(e.to_string()))?;
        configure(&conn, opts.busy_timeout).map_err(|e| open_err(e.to_string()))?;
        let mode: String = conn
            .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
            .map_err(|e| open_err(format!("cannot switch to WAL mode: {e}")))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(open_err(format!("the database is in {mode} mode and cannot switch to WAL")));
        }
        conn.pragma_update(None, "synchronous", "FULL").map_err(|e| open_err(e.to_string()))?;
        migrations::migrate(&mut conn).map_err(|e| open_err(e.to_string()))?;

        let stats = StatsInner::new();
        let mut readers = Vec::with_capacity(opts.readers.max(1));
        for _ in 0..opts.readers.max(1) {
            let r = Connection::open_with_flags(
                &path,
                OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI,
            )
            .map_err(|e| open_err(e.to_string()))?;
            configure(&r, opts.busy_timeout).map_err(|e| open_err(e.to_string()))?;
            r.pragma_update(None, "query_only", "ON").map_err(|e| open_err(e.to_string()))?;
            readers.push(r);
        }
        let writer = writer::spawn(conn, opts.clone(), stats.clone());
        Ok(SqliteStore { path, writer, readers: Arc::new(reader::Pool::new(readers)), stats })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    async fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let pool = self.readers.clone();
        tokio::task::spawn_blocking(move || pool.with(f))
            .await
            .map_err(|e| StoreError::Database(format!("a reader task failed: {e}")))?
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn ingest(&self, batch: Vec<NewMessage>) -> Result<Vec<IngestOutcome>, StoreError> {
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        self.writer.ingest(batch).await
    }

    async fn upsert_customers(&self, batch: Vec<NewCustomer>) -> Result<Vec<CustomerOutcome>, StoreError> {
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        self.writer.customers(batch).await
    }

    async fn message(&self, id: MessageId) -> Result<Option<StoredMessage>, StoreError> {
        self.read(move |c| reader::message(c, id)).await
    }

    async fn messages(&self, query: MessageQuery) -> Result<MessagePage, StoreError> {
        self.read(move |c| reader::messages(c, &query)).await
    }

    async fn search(&self, query: SearchQuery) -> Result<Vec<SearchHit>, StoreError> {
        self.read(move |c| search::search(c, &query)).await
    }

    async fn counts(&self) -> Result<StoreCounts, StoreError> {
        self.read(reader::counts).await
    }

    async fn first_responses(&self) -> Result<Vec<FirstResponse>, StoreError> {
        self.read(reports::first_responses).await
    }

    async fn integrity_check(&self) -> Result<String, StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare("PRAGMA integrity_check")?;
            let lines: Vec<String> = stmt.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
            Ok(lines.join("\n"))
        })
        .await
    }

    fn stats(&self) -> StoreStats {
        self.stats.snapshot()
    }

    async fn close(&self) -> Result<(), StoreError> {
        self.writer.close().await
    }
}
