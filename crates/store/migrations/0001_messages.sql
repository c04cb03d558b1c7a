-- Customers, the people behind handles, and the messages they write.
-- Times are milliseconds since the Unix epoch, UTC.
--
-- No index in this schema is partial: a partial index makes SQLite tie every
-- query on its table that compares a column with a bound parameter to that
-- parameter's value, and re-prepare the statement whenever the value changes.

CREATE TABLE customers (
    id           INTEGER PRIMARY KEY,
    external_ref TEXT UNIQUE,
    name         TEXT,
    postal_area  TEXT,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);

CREATE TABLE customer_emails (
    customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    email       TEXT NOT NULL,
    PRIMARY KEY (customer_id, email)
) WITHOUT ROWID;
CREATE INDEX customer_emails_by_email ON customer_emails(email);

CREATE TABLE customer_phones (
    customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    phone       TEXT NOT NULL,
    PRIMARY KEY (customer_id, phone)
) WITHOUT ROWID;
CREATE INDEX customer_phones_by_phone ON customer_phones(phone);

-- A person on one channel.
CREATE TABLE identities (
    id          INTEGER PRIMARY KEY,
    channel     TEXT NOT NULL,
    platform_id TEXT NOT NULL,
    handle      TEXT,
    name        TEXT,
    followers   INTEGER,
    customer_id INTEGER REFERENCES customers(id),
    first_seen  INTEGER NOT NULL,
    UNIQUE (platform_id, channel)
);
CREATE INDEX identities_by_handle ON identities(handle COLLATE NOCASE);
CREATE INDEX identities_by_customer ON identities(customer_id);

CREATE TABLE messages (
    id          INTEGER PRIMARY KEY,
    channel     TEXT NOT NULL,
    external_id TEXT NOT NULL,
    direction   TEXT NOT NULL CHECK (direction IN ('in', 'out')),
    identity_id INTEGER NOT NULL REFERENCES identities(id),
    text        TEXT NOT NULL,
    language    TEXT,
    created_at  INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    in_reply_to TEXT,
    thread_id   TEXT,
    likes       INTEGER,
    shares      INTEGER,
    replies     INTEGER,
    raw         TEXT,
    UNIQUE (channel, external_id)
);
CREATE INDEX messages_by_time ON messages(created_at, id);
CREATE INDEX messages_by_identity ON messages(identity_id, created_at, id);

-- Full-text index over message text; the rows live in `messages` only.
CREATE VIRTUAL TABLE messages_fts USING fts5(
    text,
    content = 'messages',
    content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);
