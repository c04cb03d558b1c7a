-- Outgoing webhooks: how far each endpoint has been sent the event log.
CREATE TABLE webhook_cursors (
    url        TEXT PRIMARY KEY,
    last_event INTEGER NOT NULL
) WITHOUT ROWID;
