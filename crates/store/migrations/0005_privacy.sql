-- Erasure must leave no trace in the full-text index: with secure-delete,
-- FTS5 removes a deleted document's entries from its segments at once
-- instead of recording a tombstone next to them.
INSERT INTO messages_fts(messages_fts, rank) VALUES ('secure-delete', 1);
