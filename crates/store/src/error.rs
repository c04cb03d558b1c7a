//! What can go wrong in the store, as a plain enum.

use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum StoreError {
    /// The database file could not be opened or migrated.
    #[error("cannot open the database at {path}: {reason}")]
    Open { path: String, reason: String },
    /// The database refused or failed a statement (disk full, I/O error, a
    /// lock held too long by another process).
    #[error("the database failed: {0}")]
    Database(String),
    /// The writer has stopped (the store is closing).
    #[error("the store is closed")]
    Closed,
    /// The caller asked for something the store cannot do as asked.
    #[error("{0}")]
    InvalidQuery(String),
    /// The thing asked for does not exist (or no longer does).
    #[error("there is no {0}")]
    NotFound(String),
    /// A value the caller gave breaks a rule; `field` names it.
    #[error("`{field}`: {message}")]
    Invalid { field: String, code: &'static str, message: String },
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Database(e.to_string())
    }
}
