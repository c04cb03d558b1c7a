//! Members' sign-in in SQL (migration 0015): the login lookup, sessions
//! (only the SHA-256 of the cookie is kept), email verification links, and
//! the community member each staff account acts as.

use firebreak_community::{Member, MemberId};
use firebreak_domain::Timestamp;
use rusqlite::{Connection, OptionalExtension, params};

use super::{MEMBER_COLUMNS, Result, create_member, member, member_from_row};
use crate::{
    StoreError,
    community::{MemberLogin, MemberSession, NewMember, NewMemberSession},
};

pub fn login(c: &Connection, email: &str) -> Result<Option<MemberLogin>> {
    let email = email.trim().to_lowercase();
    Ok(c.prepare_cached(&format!("SELECT {MEMBER_COLUMNS}, password_hash FROM community_members WHERE email = ?1"))?
        .query_row([email], |r| Ok(MemberLogin { member: member_from_row(r)?, password_hash: r.get(8)? }))
        .optional()?)
}

pub fn create_session(c: &Connection, s: &NewMemberSession, now: Timestamp) -> Result<()> {
    c.prepare_cached(
        "INSERT INTO community_member_sessions (member_id, token_hash, csrf, created_at, expires_at) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![s.member.0, s.token_hash, s.csrf, now.unix_millis(), s.expires_at.unix_millis()])?;
    Ok(())
}

pub fn session(c: &Connection, token_hash: &str, now: Timestamp) -> Result<Option<MemberSession>> {
    let found: Option<(i64, String)> = c
        .prepare_cached(
            "SELECT member_id, csrf FROM community_member_sessions \
             WHERE token_hash = ?1 AND revoked_at IS NULL AND expires_at > ?2",
        )?
        .query_row(params![token_hash, now.unix_millis()], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let Some((id, csrf)) = found else { return Ok(None) };
    Ok(member(c, MemberId(id))?.map(|member| MemberSession { member, csrf }))
}

pub fn revoke_session(c: &Connection, token_hash: &str, now: Timestamp) -> Result<()> {
    c.prepare_cached(
        "UPDATE community_member_sessions SET revoked_at = ?2 WHERE token_hash = ?1 AND revoked_at IS NULL",
    )?
    .execute(params![token_hash, now.unix_millis()])?;
    Ok(())
}

pub fn create_email_token(
    c: &Connection,
    m: MemberId,
    token_hash: &str,
    expires_at: Timestamp,
    now: Timestamp,
) -> Result<()> {
    c.prepare_cached(
        "INSERT INTO community_email_tokens (token_hash, member_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![token_hash, m.0, now.unix_millis(), expires_at.unix_millis()])?;
    Ok(())
}

pub fn verify_email(c: &Connection, token_hash: &str, now: Timestamp) -> Result<Option<Member>> {
    let found: Option<i64> = c
        .prepare_cached(
            "SELECT member_id FROM community_email_tokens \
             WHERE token_hash = ?1 AND used_at IS NULL AND expires_at > ?2",
        )?
        .query_row(params![token_hash, now.unix_millis()], |r| r.get(0))
        .optional()?;
    let Some(id) = found else { return Ok(None) };
    c.prepare_cached("UPDATE community_email_tokens SET used_at = ?2 WHERE token_hash = ?1")?
        .execute(params![token_hash, now.unix_millis()])?;
    c.prepare_cached("UPDATE community_members SET email_verified = 1 WHERE id = ?1")?.execute([id])?;
    member(c, MemberId(id))
}

/// The staff account's member, if it was made.
pub fn linked_staff_member(c: &Connection, staff_id: i64) -> Result<Option<Member>> {
    let found: Option<i64> = c
        .prepare_cached("SELECT member_id FROM community_staff_members WHERE staff_id = ?1")?
        .query_row([staff_id], |r| r.get(0))
        .optional()?;
    match found {
        Some(id) => Ok(Some(
            member(c, MemberId(id))?
                .ok_or_else(|| StoreError::Database("a staff member link names no member".into()))?,
        )),
        None => Ok(None),
    }
}

/// The staff account's member, made on first use. Its email is a reserved
/// address of its own (`staff-<id>@staff.invalid`), so it never collides
/// with a member who signed up, and nobody can sign in as it with a password.
pub fn staff_member(c: &Connection, staff_id: i64, name: &str, now: Timestamp) -> Result<Member> {
    if let Some(m) = linked_staff_member(c, staff_id)? {
        return Ok(m);
    }
    let new = NewMember {
        email: format!("staff-{staff_id}@staff.invalid"),
        display_name: name.to_owned(),
        password_hash: None,
        email_verified: true,
        customer_id: None,
        staff: true,
    };
    let m = create_member(c, &new, now)?;
    c.prepare_cached("INSERT INTO community_staff_members (staff_id, member_id) VALUES (?1, ?2)")?
        .execute(params![staff_id, m.id.0])?;
    Ok(m)
}
