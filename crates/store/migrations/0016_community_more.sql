-- The community's second part (issue 7): charity rounds and their votes,
-- idea comments, staff answers and links to cases and incidents, the link
-- between topics and cases, and solution views for the value report.

-- The ledger's kinds gain `payout` (a charity round's pot paid to the
-- winning charity). SQLite cannot alter a CHECK, so the table is rebuilt
-- with its rows and index; foreign keys are not enforced per statement, so
-- the postings that reference it are untouched.
CREATE TABLE community_ledger_transactions_new (
    id              INTEGER PRIMARY KEY,
    idempotency_key TEXT NOT NULL UNIQUE,
    kind            TEXT NOT NULL CHECK (kind IN ('award', 'reversal', 'redemption', 'payout')),
    reverses        TEXT,
    shortfall       INTEGER NOT NULL DEFAULT 0,
    actor_id        INTEGER REFERENCES community_members(id),
    created_at      INTEGER NOT NULL
);
INSERT INTO community_ledger_transactions_new (id, idempotency_key, kind, reverses, shortfall, actor_id, created_at)
    SELECT id, idempotency_key, kind, reverses, shortfall, actor_id, created_at FROM community_ledger_transactions;
DROP TABLE community_ledger_transactions;
ALTER TABLE community_ledger_transactions_new RENAME TO community_ledger_transactions;
CREATE INDEX community_ledger_reversals ON community_ledger_transactions(reverses);

-- A charity round: candidates, one vote per member, a pot in the ledger
-- (account charity:round:<id>) paid to the winner when it closes.
CREATE TABLE community_charity_rounds (
    id          INTEGER PRIMARY KEY,
    title       TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('open', 'closed')),
    winner      TEXT,                              -- the winning charity's slug, once closed
    paid        INTEGER NOT NULL DEFAULT 0,        -- points paid out when it closed
    created_by  INTEGER NOT NULL REFERENCES community_members(id),
    created_at  INTEGER NOT NULL,
    closed_by   INTEGER REFERENCES community_members(id),
    closed_at   INTEGER
);

CREATE TABLE community_round_charities (
    round_id INTEGER NOT NULL REFERENCES community_charity_rounds(id),
    position INTEGER NOT NULL,                     -- the order given; breaks ties
    slug     TEXT NOT NULL,
    name     TEXT NOT NULL,
    PRIMARY KEY (round_id, slug)
) WITHOUT ROWID;

-- One vote per member per round.
CREATE TABLE community_round_votes (
    round_id   INTEGER NOT NULL REFERENCES community_charity_rounds(id),
    member_id  INTEGER NOT NULL REFERENCES community_members(id),
    charity    TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (round_id, member_id)
) WITHOUT ROWID;
CREATE INDEX community_round_votes_by_charity ON community_round_votes(round_id, charity);

-- Comments on ideas (sanitised like posts).
CREATE TABLE community_idea_comments (
    id            INTEGER PRIMARY KEY,
    idea_id       INTEGER NOT NULL REFERENCES community_ideas(id),
    author_id     INTEGER NOT NULL REFERENCES community_members(id),
    by_staff      INTEGER NOT NULL,
    body_markdown TEXT NOT NULL,
    body_html     TEXT NOT NULL,
    created_at    INTEGER NOT NULL
);
CREATE INDEX community_idea_comments_by_idea ON community_idea_comments(idea_id, id);

-- (The company's answer on an idea is in 0015: community_idea_answers.)

-- The cases and incidents that asked for an idea.
CREATE TABLE community_idea_links (
    idea_id    INTEGER NOT NULL REFERENCES community_ideas(id),
    kind       TEXT NOT NULL CHECK (kind IN ('case', 'incident')),
    target_id  INTEGER NOT NULL,                   -- cases(id) or incidents(id)
    linked_by  INTEGER NOT NULL REFERENCES community_members(id),
    linked_at  INTEGER NOT NULL,
    PRIMARY KEY (idea_id, kind, target_id)
) WITHOUT ROWID;
CREATE INDEX community_idea_links_by_target ON community_idea_links(kind, target_id);

-- Topics and cases: a topic turned into a case (`opened`), a case's answer
-- published as a topic's solution (`answered`).
CREATE TABLE community_topic_cases (
    topic_id   INTEGER NOT NULL REFERENCES community_topics(id),
    case_id    INTEGER NOT NULL REFERENCES cases(id),
    relation   TEXT NOT NULL CHECK (relation IN ('opened', 'answered')),
    message_id INTEGER REFERENCES messages(id),    -- for `opened`: the topic as a message in the case
    post_id    INTEGER REFERENCES community_posts(id), -- for `answered`: the solution posted
    by_member  INTEGER NOT NULL REFERENCES community_members(id),
    at         INTEGER NOT NULL,
    PRIMARY KEY (topic_id, case_id, relation)
) WITHOUT ROWID;
CREATE INDEX community_topic_cases_by_case ON community_topic_cases(case_id);

-- Views of solved topics, counted per topic per day (UTC), in batches.
CREATE TABLE community_solution_views (
    topic_id INTEGER NOT NULL REFERENCES community_topics(id),
    day      INTEGER NOT NULL,                     -- days since the Unix epoch
    views    INTEGER NOT NULL,
    PRIMARY KEY (topic_id, day)
) WITHOUT ROWID;
CREATE INDEX community_solution_views_by_day ON community_solution_views(day);

-- The value report's top contributors count each member's visible posts
-- and the kudos on them from this index alone, not from the posts' rows.
CREATE INDEX community_posts_by_author_hidden ON community_posts(author_id, hidden, kudos);
