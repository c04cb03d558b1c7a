-- Staff accounts: every member of staff is an agent row (so cases can be
-- assigned to them) with a role, a password hash and a state.
ALTER TABLE agents ADD COLUMN role TEXT NOT NULL DEFAULT 'agent';
ALTER TABLE agents ADD COLUMN password_hash TEXT;
ALTER TABLE agents ADD COLUMN disabled_at INTEGER;
-- Sessions and tokens issued before this moment are no longer valid.
ALTER TABLE agents ADD COLUMN credentials_changed_at INTEGER NOT NULL DEFAULT 0;

-- A signed-in browser. The cookie holds a random secret; only its SHA-256
-- is stored, so a copy of the database cannot be used to sign in.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    agent_id   INTEGER NOT NULL REFERENCES agents(id),
    csrf       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    revoked_at INTEGER
) WITHOUT ROWID;
CREATE INDEX sessions_by_agent ON sessions(agent_id);

-- A program's key: `fbt_<prefix>_<secret>`. The prefix finds the row; only
-- the SHA-256 of the secret is stored, and the token is shown once.
CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    agent_id     INTEGER NOT NULL REFERENCES agents(id),
    name         TEXT NOT NULL,
    prefix       TEXT NOT NULL UNIQUE,
    secret_hash  TEXT NOT NULL,
    scopes       TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    revoked_at   INTEGER
);
CREATE INDEX api_tokens_by_agent ON api_tokens(agent_id);
