-- Members who sign in through an OpenID Connect provider: each (issuer,
-- subject) belongs to one member, for good. The first sign-in links it to the
-- member with the same email (the provider verified it) or makes a new one.
CREATE TABLE community_member_identities (
    issuer     TEXT NOT NULL,
    subject    TEXT NOT NULL,
    member_id  INTEGER NOT NULL REFERENCES community_members(id),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (issuer, subject)
) WITHOUT ROWID;
CREATE INDEX community_member_identities_by_member ON community_member_identities(member_id);
