-- Customers as one person across channels, cases with service levels, and
-- everything recorded about them. Times are ms since the epoch, UTC.

-- A customer created for a person we cannot yet tie to the company's records
-- is provisional; merging it into a real customer is how identities get
-- linked later. A merged customer points to where it went.
ALTER TABLE customers ADD COLUMN provisional INTEGER NOT NULL DEFAULT 0;
ALTER TABLE customers ADD COLUMN merged_into INTEGER REFERENCES customers(id);
ALTER TABLE customers ADD COLUMN erased_at INTEGER;
CREATE INDEX customers_by_name ON customers(name COLLATE NOCASE);

-- Account, order and booking numbers the company's systems know a customer by.
CREATE TABLE customer_refs (
    kind        TEXT NOT NULL,
    value       TEXT NOT NULL,
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    PRIMARY KEY (kind, value, customer_id)
) WITHOUT ROWID;
CREATE INDEX customer_refs_by_customer ON customer_refs(customer_id);

-- Which identities are the brand's own accounts (their messages are replies).
ALTER TABLE identities ADD COLUMN brand INTEGER NOT NULL DEFAULT 0;

CREATE TABLE account_events (
    id          INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    kind        TEXT NOT NULL,
    occurred_at INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    reference   TEXT,
    details     TEXT,
    external_id TEXT UNIQUE
);
CREATE INDEX account_events_by_customer ON account_events(customer_id, occurred_at);

CREATE TABLE consents (
    id              INTEGER PRIMARY KEY,
    customer_id     INTEGER NOT NULL REFERENCES customers(id),
    purpose         TEXT NOT NULL,
    granted         INTEGER NOT NULL,
    at              INTEGER NOT NULL,
    wording_version TEXT NOT NULL,
    method          TEXT NOT NULL
);
CREATE INDEX consents_by_customer ON consents(customer_id, purpose, at);

CREATE TABLE teams (
    id        INTEGER PRIMARY KEY,
    name      TEXT NOT NULL UNIQUE,
    rr_cursor INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE agents (
    id       INTEGER PRIMARY KEY,
    name     TEXT NOT NULL,
    email    TEXT NOT NULL UNIQUE,
    team_id  INTEGER REFERENCES teams(id),
    skills   TEXT NOT NULL DEFAULT '[]',
    max_load INTEGER NOT NULL DEFAULT 20,
    active   INTEGER NOT NULL DEFAULT 1
);

-- Policies in order: the first that applies to a new case is its policy.
CREATE TABLE sla_policies (
    id       INTEGER PRIMARY KEY,
    position INTEGER NOT NULL,
    name     TEXT NOT NULL UNIQUE,
    config   TEXT NOT NULL
);

CREATE TABLE cases (
    id                INTEGER PRIMARY KEY,
    customer_id       INTEGER NOT NULL REFERENCES customers(id),
    status            TEXT NOT NULL,
    priority          INTEGER NOT NULL,
    channel           TEXT NOT NULL,
    subject           TEXT NOT NULL,
    team_id           INTEGER REFERENCES teams(id),
    agent_id          INTEGER REFERENCES agents(id),
    sla_policy_id     INTEGER REFERENCES sla_policies(id),
    opened_at         INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    first_response_at INTEGER,
    resolved_at       INTEGER,
    closed_at         INTEGER,
    reopened          INTEGER NOT NULL DEFAULT 0,
    -- Each clock is running (due set; alert is when to warn, then when to
    -- report the breach, then NULL), paused (left set: counted time left,
    -- negative when already late) or stopped (all NULL).
    fr_due            INTEGER,
    fr_alert          INTEGER,
    fr_left           INTEGER,
    nr_due            INTEGER,
    nr_alert          INTEGER,
    nr_left           INTEGER,
    res_due           INTEGER,
    res_alert         INTEGER,
    res_left          INTEGER,
    paused_at         INTEGER,
    -- The earliest due time of a running clock, for sorting queues, and the
    -- earliest alert, for the timer.
    due_at            INTEGER,
    alert_at          INTEGER,
    csat_token        TEXT UNIQUE,
    csat_requested_at INTEGER,
    csat_score        INTEGER,
    csat_comment      TEXT,
    csat_at           INTEGER,
    anonymised        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX cases_by_customer ON cases(customer_id, opened_at);
CREATE INDEX cases_queue ON cases(status, priority, due_at, id);
CREATE INDEX cases_by_agent ON cases(agent_id, status);
CREATE INDEX cases_by_team ON cases(team_id, status);
CREATE INDEX cases_alert ON cases(alert_at);

ALTER TABLE conversations ADD COLUMN case_id INTEGER REFERENCES cases(id);
ALTER TABLE messages ADD COLUMN case_id INTEGER REFERENCES cases(id);
CREATE INDEX messages_by_case ON messages(case_id, created_at, id);

CREATE TABLE case_tags (
    case_id INTEGER NOT NULL REFERENCES cases(id),
    tag     TEXT NOT NULL,
    PRIMARY KEY (case_id, tag)
) WITHOUT ROWID;
CREATE INDEX case_tags_by_tag ON case_tags(tag);

CREATE TABLE case_notes (
    id         INTEGER PRIMARY KEY,
    case_id    INTEGER NOT NULL REFERENCES cases(id),
    author     TEXT NOT NULL,
    text       TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX case_notes_by_case ON case_notes(case_id, created_at);

CREATE TABLE promises (
    id            INTEGER PRIMARY KEY,
    case_id       INTEGER NOT NULL REFERENCES cases(id),
    what          TEXT NOT NULL,
    due_at        INTEGER NOT NULL,
    told_customer INTEGER NOT NULL,
    status        TEXT NOT NULL,
    created_by    TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    reminded_at   INTEGER,
    settled_at    INTEGER
);
CREATE INDEX promises_by_case ON promises(case_id);
CREATE INDEX promises_by_status_due ON promises(status, due_at);

-- Warnings, breaches and met targets, once each per clock run.
CREATE TABLE sla_events (
    id      INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases(id),
    clock   TEXT NOT NULL,
    kind    TEXT NOT NULL,
    due_at  INTEGER NOT NULL,
    at      INTEGER NOT NULL,
    UNIQUE (case_id, clock, kind, due_at)
);

CREATE TABLE canned_responses (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    body TEXT NOT NULL
);

-- Suggested links between an identity and a customer, for an agent to decide.
CREATE TABLE match_proposals (
    id          INTEGER PRIMARY KEY,
    identity_id INTEGER NOT NULL REFERENCES identities(id),
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    score       REAL NOT NULL,
    evidence    TEXT NOT NULL,
    status      TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    decided_at  INTEGER,
    decided_by  TEXT,
    UNIQUE (identity_id, customer_id)
);
CREATE INDEX match_proposals_by_customer ON match_proposals(customer_id, status);

-- Merges, with exactly what moved, so that they can be undone.
CREATE TABLE merges (
    id        INTEGER PRIMARY KEY,
    source_id INTEGER NOT NULL REFERENCES customers(id),
    target_id INTEGER NOT NULL REFERENCES customers(id),
    at        INTEGER NOT NULL,
    actor     TEXT NOT NULL,
    reason    TEXT NOT NULL,
    moved     TEXT NOT NULL,
    undone_at INTEGER
);

CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    at          INTEGER NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    customer_id INTEGER,
    details     TEXT NOT NULL,
    reason      TEXT NOT NULL
);
CREATE INDEX audit_by_customer ON audit_log(customer_id, at);

-- The live event log: what SSE streams and webhooks deliver, in order.
CREATE TABLE events (
    id      INTEGER PRIMARY KEY,
    at      INTEGER NOT NULL,
    kind    TEXT NOT NULL,
    case_id INTEGER,
    payload TEXT NOT NULL
);
