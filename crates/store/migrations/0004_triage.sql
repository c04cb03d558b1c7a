-- Triage's judgement of each message: the parts queues filter on as columns,
-- the whole as JSON, and the entities as an index of their own.

ALTER TABLE messages ADD COLUMN sentiment TEXT;
ALTER TABLE messages ADD COLUMN sentiment_score REAL;
ALTER TABLE messages ADD COLUMN intent TEXT;
ALTER TABLE messages ADD COLUMN complaint INTEGER;
ALTER TABLE messages ADD COLUMN urgent INTEGER;
ALTER TABLE messages ADD COLUMN spam INTEGER;
ALTER TABLE messages ADD COLUMN triage TEXT;

-- Entities found in messages, lower-cased, for "every message that mentions
-- order NW-2211845" and for tying a message to the customer whose record has
-- that number.
CREATE TABLE message_entities (
    value      TEXT NOT NULL,
    kind       TEXT NOT NULL,
    message_id INTEGER NOT NULL REFERENCES messages(id),
    PRIMARY KEY (value, kind, message_id)
) WITHOUT ROWID;
CREATE INDEX message_entities_by_message ON message_entities(message_id);
