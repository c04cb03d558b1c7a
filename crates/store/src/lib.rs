//! The only crate that knows SQL.
//!
//! [`Store`] is the seam between Firebreak and its database: callers (the
//! engine, the web layer, the CLI) speak in domain types and never see a
//! statement. [`SqliteStore`] is the embedded default: SQLite in WAL mode, one
//! writer thread that commits in groups and answers each caller only once its
//! group is durable, a small pool of reader connections, and FTS5 for search.
//! The trait is shaped so a PostgreSQL backend can implement it later without
//! changes to callers: no SQLite types cross it, ids are plain integers, and
//! every method is async.

mod baseline;
mod error;
mod query;
mod sqlite;
mod stats;

use async_trait::async_trait;
use firebreak_domain::{MessageId, NewCustomer, NewMessage, StoredMessage};

pub use baseline::{BaselineReport, run_raw_baseline, time_raw_search};
pub use error::StoreError;
pub use query::{
    Cursor, CustomerOutcome, FirstResponse, IngestOutcome, MessagePage, MessageQuery, SearchHit, SearchQuery,
    StoreCounts,
};
pub use sqlite::{SqliteOptions, SqliteStore};
pub use stats::{Histogram, HistogramSnapshot, StoreStats};

/// Everything Firebreak keeps, behind one interface.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Stores a batch of messages atomically: either every message is stored
    /// (or found to be a re-delivery) or none is. Returns only after the batch
    /// is durable, one outcome per message in order. A re-delivery of the same
    /// (channel, external id) returns the existing id with `duplicate: true`,
    /// raising its engagement counts if the new delivery reports higher ones.
    async fn ingest(&self, batch: Vec<NewMessage>) -> Result<Vec<IngestOutcome>, StoreError>;

    /// Creates or updates customers, matched on their external reference.
    /// Atomic and durable like [`Store::ingest`].
    async fn upsert_customers(&self, batch: Vec<NewCustomer>) -> Result<Vec<CustomerOutcome>, StoreError>;

    async fn message(&self, id: MessageId) -> Result<Option<StoredMessage>, StoreError>;

    /// Messages newest first, filtered, one page at a time (keyset pagination).
    async fn messages(&self, query: MessageQuery) -> Result<MessagePage, StoreError>;

    /// Full-text search, best match first.
    async fn search(&self, query: SearchQuery) -> Result<Vec<SearchHit>, StoreError>;

    async fn counts(&self) -> Result<StoreCounts, StoreError>;

    /// Per responding account, the median time from a conversation's first
    /// inbound message to the first outbound one at or after it.
    async fn first_responses(&self) -> Result<Vec<FirstResponse>, StoreError>;

    /// Runs the database's own consistency check; `Ok("ok")` when sound.
    async fn integrity_check(&self) -> Result<String, StoreError>;

    /// Counters for `/metrics`.
    fn stats(&self) -> StoreStats;

    /// Commits whatever is queued and stops the writer. Later writes fail.
    async fn close(&self) -> Result<(), StoreError>;
}
