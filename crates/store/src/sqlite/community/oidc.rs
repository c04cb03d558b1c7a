//! Members signing in through an OpenID Connect provider (migration 0018):
//! an (issuer, subject) pair belongs to one member for good.

use firebreak_community::{CommunityError, Member, MemberId, validate};
use firebreak_domain::Timestamp;
use rusqlite::{Connection, OptionalExtension, params};

use super::{Result, create_member, member};
use crate::{
    StoreError,
    community::{NewMember, OidcSignIn},
};

/// The member the identity signed in as before; else the (non-staff)
/// member with the provider-verified email, linked now and marked verified;
/// else a new member.
pub fn oidc_member(c: &Connection, s: &OidcSignIn, now: Timestamp) -> Result<Member> {
    let known: Option<i64> = c
        .prepare_cached("SELECT member_id FROM community_member_identities WHERE issuer = ?1 AND subject = ?2")?
        .query_row(params![s.issuer, s.subject], |r| r.get(0))
        .optional()?;
    if let Some(id) = known {
        return member(c, MemberId(id))?
            .ok_or_else(|| StoreError::Database("a linked member is missing".into()).into());
    }
    let email = validate::email(&s.email)?;
    let existing: Option<(i64, bool)> = c
        .prepare_cached("SELECT id, staff FROM community_members WHERE email = ?1")?
        .query_row([&email], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let id = match existing {
        Some((_, true)) => {
            return Err(CommunityError::conflict(
                "email_taken",
                "that email belongs to a staff account, which signs in to Firebreak itself",
            )
            .into());
        }
        Some((id, false)) => {
            c.prepare_cached("UPDATE community_members SET email_verified = 1 WHERE id = ?1")?.execute([id])?;
            MemberId(id)
        }
        None => {
            let name = validate::display_name(&s.display_name)
                .or_else(|_| validate::display_name(email.split('@').next().unwrap_or("member")))?;
            let new = NewMember {
                email,
                display_name: name,
                password_hash: None,
                email_verified: true,
                customer_id: None,
                staff: false,
            };
            create_member(c, &new, now)?.id
        }
    };
    c.prepare_cached(
        "INSERT INTO community_member_identities (issuer, subject, member_id, created_at) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![s.issuer, s.subject, id.0, now.unix_millis()])?;
    member(c, id)?.ok_or_else(|| StoreError::Database("the member was not stored".into()).into())
}

/// The member that files the spam filter's reports: made on first use,
/// marked staff (it posts nothing), with an address that cannot sign in.
const SPAM_FILTER_EMAIL: &str = "spam-filter@firebreak.invalid";

/// Reports a post to the moderators as spam, from the spam filter (once per
/// post); answers the report's id.
pub fn flag_spam(c: &Connection, post: firebreak_community::PostId, reason: &str, now: Timestamp) -> Result<i64> {
    let filter: Option<i64> = c
        .prepare_cached("SELECT id FROM community_members WHERE email = ?1")?
        .query_row([SPAM_FILTER_EMAIL], |r| r.get(0))
        .optional()?;
    let filter = match filter {
        Some(id) => id,
        None => {
            c.prepare_cached(
                "INSERT INTO community_members (email, display_name, password_hash, email_verified, staff, banned, created_at) \
                 VALUES (?1, 'Spam filter', NULL, 1, 1, 0, ?2)",
            )?
            .execute(params![SPAM_FILTER_EMAIL, now.unix_millis()])?;
            c.last_insert_rowid()
        }
    };
    c.prepare_cached(
        "INSERT OR IGNORE INTO community_reports (post_id, reporter_id, reason, created_at) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![post.0, filter, reason, now.unix_millis()])?;
    Ok(c.prepare_cached("SELECT id FROM community_reports WHERE post_id = ?1 AND reporter_id = ?2")?
        .query_row(params![post.0, filter], |r| r.get(0))?)
}
