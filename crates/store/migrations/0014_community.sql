-- The community (issue 7): members, boards, topics and posts with their
-- revisions, kudos, solutions, ideas and votes, the points ledger, the
-- moderation log, and a full-text index over topic titles and post bodies.
-- Every table is prefixed `community_` so the forum's words (posts, ideas,
-- votes) stay free for the rest of the CRM.

CREATE TABLE community_members (
    id             INTEGER PRIMARY KEY,
    email          TEXT NOT NULL UNIQUE,      -- lower-cased
    display_name   TEXT NOT NULL,
    password_hash  TEXT,                      -- argon2id PHC string; NULL for sign-in by OpenID Connect only
    email_verified INTEGER NOT NULL DEFAULT 0,
    customer_id    INTEGER REFERENCES customers(id),
    staff          INTEGER NOT NULL DEFAULT 0,
    banned         INTEGER NOT NULL DEFAULT 0,
    created_at     INTEGER NOT NULL
);
CREATE INDEX community_members_by_customer ON community_members(customer_id);

CREATE TABLE community_boards (
    id          INTEGER PRIMARY KEY,
    slug        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    visibility  TEXT NOT NULL CHECK (visibility IN ('public', 'private')),
    created_at  INTEGER NOT NULL
);

CREATE TABLE community_topics (
    id            INTEGER PRIMARY KEY,
    board_id      INTEGER NOT NULL REFERENCES community_boards(id),
    author_id     INTEGER NOT NULL REFERENCES community_members(id),
    kind          TEXT NOT NULL CHECK (kind IN ('question', 'discussion')),
    title         TEXT NOT NULL,
    locked        INTEGER NOT NULL DEFAULT 0,
    hidden        INTEGER NOT NULL DEFAULT 0,
    first_post_id INTEGER NOT NULL DEFAULT 0,   -- set in the same transaction as the first post
    replies       INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL,
    last_post_at  INTEGER NOT NULL
);
CREATE INDEX community_topics_by_board ON community_topics(board_id, last_post_at);
CREATE INDEX community_topics_by_author ON community_topics(author_id, created_at);

CREATE TABLE community_posts (
    id            INTEGER PRIMARY KEY,
    topic_id      INTEGER NOT NULL REFERENCES community_topics(id),
    author_id     INTEGER NOT NULL REFERENCES community_members(id),
    by_staff      INTEGER NOT NULL,               -- the author was staff: the visible badge
    body_markdown TEXT NOT NULL,
    body_html     TEXT NOT NULL,                  -- sanitised when written
    hidden        INTEGER NOT NULL DEFAULT 0,
    kudos         INTEGER NOT NULL DEFAULT 0,
    revisions     INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL,
    edited_at     INTEGER
);
-- A topic's page reads its posts in order from this index.
CREATE INDEX community_posts_by_topic ON community_posts(topic_id, created_at, id);
CREATE INDEX community_posts_by_author ON community_posts(author_id, created_at);

-- The text a post had before each edit; number 1 is the original.
CREATE TABLE community_post_revisions (
    post_id       INTEGER NOT NULL REFERENCES community_posts(id),
    number        INTEGER NOT NULL,
    body_markdown TEXT NOT NULL,
    edited_by     INTEGER NOT NULL REFERENCES community_members(id),
    replaced_at   INTEGER NOT NULL,
    PRIMARY KEY (post_id, number)
) WITHOUT ROWID;

CREATE TABLE community_kudos (
    id          INTEGER PRIMARY KEY,
    post_id     INTEGER NOT NULL REFERENCES community_posts(id),
    giver_id    INTEGER NOT NULL REFERENCES community_members(id),
    receiver_id INTEGER NOT NULL REFERENCES community_members(id),
    created_at  INTEGER NOT NULL,
    UNIQUE (giver_id, post_id)
);
CREATE INDEX community_kudos_by_post ON community_kudos(post_id);
CREATE INDEX community_kudos_by_receiver ON community_kudos(receiver_id);

-- One solution per topic, and a post solves at most one topic.
CREATE TABLE community_solutions (
    topic_id    INTEGER PRIMARY KEY REFERENCES community_topics(id),
    post_id     INTEGER NOT NULL UNIQUE REFERENCES community_posts(id),
    answerer_id INTEGER NOT NULL REFERENCES community_members(id),
    accepted_by INTEGER NOT NULL REFERENCES community_members(id),
    accepted_at INTEGER NOT NULL
);
CREATE INDEX community_solutions_by_answerer ON community_solutions(answerer_id);

CREATE TABLE community_ideas (
    id            INTEGER PRIMARY KEY,
    author_id     INTEGER NOT NULL REFERENCES community_members(id),
    title         TEXT NOT NULL,
    body_markdown TEXT NOT NULL,
    body_html     TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN
                    ('new', 'under_review', 'planned', 'in_progress', 'shipped', 'declined', 'duplicate')),
    duplicate_of  INTEGER REFERENCES community_ideas(id),
    votes         INTEGER NOT NULL DEFAULT 0,    -- kept equal to its rows in community_idea_votes
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX community_ideas_by_status ON community_ideas(status, votes);
CREATE INDEX community_ideas_by_author ON community_ideas(author_id);

-- One vote per member per idea.
CREATE TABLE community_idea_votes (
    member_id  INTEGER NOT NULL REFERENCES community_members(id),
    idea_id    INTEGER NOT NULL REFERENCES community_ideas(id),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (member_id, idea_id)
) WITHOUT ROWID;
CREATE INDEX community_idea_votes_by_idea ON community_idea_votes(idea_id, member_id);

-- The points ledger: double entry, one transaction per idempotency key,
-- postings summing to zero (firebreak_community::ledger builds them).
CREATE TABLE community_ledger_transactions (
    id              INTEGER PRIMARY KEY,
    idempotency_key TEXT NOT NULL UNIQUE,
    kind            TEXT NOT NULL CHECK (kind IN ('award', 'reversal', 'redemption')),
    reverses        TEXT,                        -- a reversal: the key of the award
    shortfall       INTEGER NOT NULL DEFAULT 0,  -- a reversal: points written off
    actor_id        INTEGER REFERENCES community_members(id),
    created_at      INTEGER NOT NULL
);
CREATE INDEX community_ledger_reversals ON community_ledger_transactions(reverses);

CREATE TABLE community_ledger_postings (
    transaction_id INTEGER NOT NULL REFERENCES community_ledger_transactions(id),
    account        TEXT NOT NULL,               -- member:<id>, issuance, redemption:credit, redemption:donation:<charity>
    amount         INTEGER NOT NULL,
    PRIMARY KEY (transaction_id, account)
) WITHOUT ROWID;
-- A balance is a sum over this index alone.
CREATE INDEX community_ledger_postings_by_account ON community_ledger_postings(account, amount);

-- Members' reports of posts, one per member per post; open until a
-- moderator acts on the post.
CREATE TABLE community_reports (
    id          INTEGER PRIMARY KEY,
    post_id     INTEGER NOT NULL REFERENCES community_posts(id),
    reporter_id INTEGER NOT NULL REFERENCES community_members(id),
    reason      TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    resolved_at INTEGER,
    resolved_by INTEGER REFERENCES community_members(id),
    UNIQUE (reporter_id, post_id)
);
CREATE INDEX community_reports_by_state ON community_reports(resolved_at, id);
CREATE INDEX community_reports_by_post ON community_reports(post_id);

CREATE TABLE community_moderation_log (
    id         INTEGER PRIMARY KEY,
    actor_id   INTEGER NOT NULL REFERENCES community_members(id),
    action     TEXT NOT NULL,                   -- hide_post, merge_ideas, idea_status, ...
    subject    TEXT NOT NULL,                   -- post:<id>, idea:<id>, ...
    reason     TEXT NOT NULL,
    detail     TEXT NOT NULL DEFAULT '{}',      -- JSON: what the action changed
    created_at INTEGER NOT NULL
);
CREATE INDEX community_moderation_log_by_subject ON community_moderation_log(subject, id);

-- Full-text search: one row per visible post (rowid = the post's id), the
-- topic's title on its first post.
CREATE VIRTUAL TABLE community_fts USING fts5(
    title,
    body,
    tokenize = 'unicode61 remove_diacritics 2'
);
