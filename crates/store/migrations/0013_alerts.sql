-- Alerts the detectors raised: sparks (one post catching fire) and bursts
-- (many posts about one thing). Each is also an event in the live event log
-- (`alert.spark`, `alert.burst`), which is what pages, webhooks and the
-- email notifier follow; this table is the list the alerts page reads.
CREATE TABLE alerts (
    id         INTEGER PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('spark', 'burst')),
    -- Stream time: when the message that crossed the threshold was posted.
    at         INTEGER NOT NULL,
    -- Wall time at which it was raised.
    raised_at  INTEGER NOT NULL,
    key        TEXT,
    message_id INTEGER REFERENCES messages(id),
    case_id    INTEGER REFERENCES cases(id),
    customer_id INTEGER REFERENCES customers(id),
    summary    TEXT NOT NULL,
    evidence   TEXT NOT NULL
);
CREATE INDEX alerts_by_time ON alerts(at DESC, id DESC);
