-- Members' sign-in (issue 7, the community's web layer): sessions, email
-- verification links, the community member that stands for each staff
-- account, and staff's answers to ideas. Secrets are kept as SHA-256 (32 random bytes each), like staff
-- sessions and API tokens.

CREATE TABLE community_member_sessions (
    id          INTEGER PRIMARY KEY,
    member_id   INTEGER NOT NULL REFERENCES community_members(id),
    token_hash  TEXT NOT NULL UNIQUE,        -- SHA-256 of the cookie's value, hex
    csrf        TEXT NOT NULL,               -- the session's CSRF token
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    revoked_at  INTEGER
);
CREATE INDEX community_member_sessions_by_member ON community_member_sessions(member_id);

-- One row per verification link sent; a link works once, until it expires.
CREATE TABLE community_email_tokens (
    token_hash  TEXT PRIMARY KEY,            -- SHA-256 of the link's token, hex
    member_id   INTEGER NOT NULL REFERENCES community_members(id),
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER
) WITHOUT ROWID;
CREATE INDEX community_email_tokens_by_member ON community_email_tokens(member_id);

-- The staff member each staff account acts as in the community (created on
-- first use, marked staff, so every post they make carries the badge).
CREATE TABLE community_staff_members (
    staff_id   INTEGER PRIMARY KEY REFERENCES agents(id),
    member_id  INTEGER NOT NULL UNIQUE REFERENCES community_members(id)
);

-- Staff's answer to an idea (one per idea; a new answer replaces it).
CREATE TABLE community_idea_answers (
    idea_id       INTEGER PRIMARY KEY REFERENCES community_ideas(id),
    member_id     INTEGER NOT NULL REFERENCES community_members(id),
    body_markdown TEXT NOT NULL,
    body_html     TEXT NOT NULL,               -- sanitised when written
    answered_at   INTEGER NOT NULL
);
