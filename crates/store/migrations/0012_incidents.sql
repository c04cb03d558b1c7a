-- Incidents: the candidates the burst detector raises, the incidents people
-- open, their updates and linked messages and cases; proactive outreach to
-- affected customers (notices), goodwill credits, and what marketing must
-- know (customers' products and preferred channel). Times are ms since the
-- epoch, UTC. Lists (keys, areas, products) are JSON arrays of strings.

-- How customers may be reached, and what they hold.
ALTER TABLE customers ADD COLUMN preferred_channel TEXT;
CREATE INDEX customers_by_postal_area ON customers(postal_area);

CREATE TABLE customer_products (
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    product     TEXT NOT NULL,
    PRIMARY KEY (customer_id, product)
) WITHOUT ROWID;
CREATE INDEX customer_products_by_product ON customer_products(product, customer_id);

-- A burst the detector raised: open until a person opens it as an incident
-- or dismisses it.
CREATE TABLE incident_candidates (
    id          INTEGER PRIMARY KEY,
    key         TEXT NOT NULL,
    raised_at   INTEGER NOT NULL,
    evidence    TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'opened', 'dismissed')),
    incident_id INTEGER REFERENCES incidents(id),
    decided_by  TEXT,
    decided_at  INTEGER,
    created_at  INTEGER NOT NULL
);
CREATE INDEX incident_candidates_by_status ON incident_candidates(status, raised_at);

CREATE TABLE incidents (
    id           INTEGER PRIMARY KEY,
    title        TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('investigating', 'identified', 'monitoring', 'resolved')),
    keys         TEXT NOT NULL DEFAULT '[]',
    areas        TEXT NOT NULL DEFAULT '[]',
    products     TEXT NOT NULL DEFAULT '[]',
    services     TEXT NOT NULL DEFAULT '[]',
    public       INTEGER NOT NULL DEFAULT 0,
    eta          INTEGER,
    started_at   INTEGER NOT NULL,
    resolved_at  INTEGER,
    created_by   TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    candidate_id INTEGER REFERENCES incident_candidates(id)
);
CREATE INDEX incidents_by_status ON incidents(status, started_at);

-- What was said about an incident: in public (the status page) or for staff.
CREATE TABLE incident_updates (
    id          INTEGER PRIMARY KEY,
    incident_id INTEGER NOT NULL REFERENCES incidents(id),
    public      INTEGER NOT NULL,
    text        TEXT NOT NULL,
    status      TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    at          INTEGER NOT NULL
);
CREATE INDEX incident_updates_by_incident ON incident_updates(incident_id, at);

-- Messages and cases tied to an incident, automatically or by an agent. An
-- unlink keeps the row (unlinked_at set), so automatic linking does not add
-- it again.
CREATE TABLE incident_links (
    id          INTEGER PRIMARY KEY,
    incident_id INTEGER NOT NULL REFERENCES incidents(id),
    kind        TEXT NOT NULL CHECK (kind IN ('message', 'case')),
    target_id   INTEGER NOT NULL,
    linked_by   TEXT NOT NULL,
    linked_at   INTEGER NOT NULL,
    unlinked_by TEXT,
    unlinked_at INTEGER,
    UNIQUE (incident_id, kind, target_id)
);
CREATE INDEX incident_links_by_target ON incident_links(kind, target_id);

-- Proactive outreach, queued once per incident, customer and kind, and
-- delivered like replies (queued, sending, sent, failed, unknown).
CREATE TABLE notices (
    id              INTEGER PRIMARY KEY,
    incident_id     INTEGER NOT NULL REFERENCES incidents(id),
    customer_id     INTEGER NOT NULL REFERENCES customers(id),
    kind            TEXT NOT NULL CHECK (kind IN ('notice', 'follow_up')),
    channel         TEXT NOT NULL,
    -- An email address, or the person's id on the platform (a DM recipient).
    address         TEXT NOT NULL,
    subject         TEXT,
    text            TEXT NOT NULL,
    -- The transport's request as last attempted (JSON).
    request         TEXT,
    status          TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT,
    external_id     TEXT,
    created_at      INTEGER NOT NULL,
    sent_at         INTEGER,
    UNIQUE (incident_id, customer_id, kind)
);
CREATE INDEX notices_due ON notices(status, next_attempt_at);
CREATE INDEX notices_by_customer ON notices(customer_id);

-- Goodwill credits: one per incident and customer, exported for billing.
CREATE TABLE credits (
    id           INTEGER PRIMARY KEY,
    incident_id  INTEGER NOT NULL REFERENCES incidents(id),
    customer_id  INTEGER NOT NULL REFERENCES customers(id),
    amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
    currency     TEXT NOT NULL,
    reason       TEXT NOT NULL,
    created_by   TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    UNIQUE (incident_id, customer_id)
);
CREATE INDEX credits_by_customer ON credits(customer_id);
