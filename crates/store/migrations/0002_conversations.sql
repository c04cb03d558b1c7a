-- Threading: every message belongs to one conversation, found through the
-- keys the platforms give (reply links, thread ids, email references).

CREATE TABLE conversations (
    id         INTEGER PRIMARY KEY,
    channel    TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    last_at    INTEGER NOT NULL,
    messages   INTEGER NOT NULL DEFAULT 0
);

-- `key` is `m:<external id>` for a message (its own, or the one it answers)
-- or `t:<thread id>`. A key points to one conversation; a message whose keys
-- point to several joins them into one.
CREATE TABLE conversation_keys (
    channel         TEXT NOT NULL,
    key             TEXT NOT NULL,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id),
    PRIMARY KEY (channel, key)
) WITHOUT ROWID;
CREATE INDEX conversation_keys_by_conversation ON conversation_keys(conversation_id);

ALTER TABLE messages ADD COLUMN conversation_id INTEGER REFERENCES conversations(id);
CREATE INDEX messages_by_conversation ON messages(conversation_id, created_at, id);
