-- Replies on their way out: queued durably when the agent sends them, and
-- delivered by the engine's worker. A job being sent is marked `sending`
-- first; a job still `sending` when the server starts again is `unknown`
-- (it may have gone out), and is never sent again by itself.
CREATE TABLE outbound (
    id              INTEGER PRIMARY KEY,
    case_id         INTEGER NOT NULL REFERENCES cases(id),
    channel         TEXT NOT NULL,
    visibility      TEXT NOT NULL,
    text            TEXT NOT NULL,
    -- The whole request for the transport (JSON).
    request         TEXT NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    status          TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT,
    external_id     TEXT,
    message_id      INTEGER REFERENCES messages(id),
    created_by      TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    sent_at         INTEGER
);
CREATE INDEX outbound_due ON outbound(status, next_attempt_at);
CREATE INDEX outbound_by_case ON outbound(case_id, id);
