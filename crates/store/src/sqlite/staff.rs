//! Staff accounts, browser sessions and API tokens.
//!
//! The store keeps hashes only: a password's argon2id string (made by the
//! engine), and the SHA-256 of each session cookie and token secret. A
//! session or token is valid while it is unexpired, unrevoked, its owner is
//! not disabled, and it was issued after the owner's credentials last changed
//! (a password change or a disable revokes everything issued before).

use firebreak_domain::{
    Timestamp,
    staff::{Role, Scope, StaffAccount},
};
use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::{
    StoreError,
    staff::{ApiTokenInfo, NewApiToken, NewSession, NewStaff, SessionRecord, StaffLogin, TokenRecord},
};

const ACCOUNT_COLUMNS: &str = "a.id, a.email, a.name, a.role, a.team_id, a.disabled_at IS NOT NULL";

fn account_from_row(r: &Row<'_>) -> rusqlite::Result<StaffAccount> {
    let role: String = r.get(3)?;
    Ok(StaffAccount {
        id: r.get(0)?,
        email: r.get(1)?,
        name: r.get(2)?,
        role: Role::parse(&role)
            .map_err(|e| rusqlite::Error::FromSqlConversionFailure(3, rusqlite::types::Type::Text, Box::new(e)))?,
        team_id: r.get(4)?,
        disabled: r.get(5)?,
    })
}

fn invalid(field: &str, code: &'static str, message: impl Into<String>) -> StoreError {
    StoreError::Invalid { field: field.into(), code, message: message.into() }
}

/// Creates a member of staff, or gives an existing agent row (made by the
/// admin API before it had a password) its role and password.
pub fn create_staff(conn: &Connection, s: &NewStaff, now: Timestamp) -> Result<StaffAccount, StoreError> {
    let email = s.email.trim().to_lowercase();
    if firebreak_domain::Email::parse(&email).is_err() {
        return Err(invalid("email", "invalid_email", "the email is not an address"));
    }
    let name = s.name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(invalid("name", "invalid_name", "the name is 1 to 200 characters"));
    }
    let existing: Option<(i64, Option<String>)> = conn
        .prepare_cached("SELECT id, password_hash FROM agents WHERE email = ?1")?
        .query_row([&email], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let id = match existing {
        Some((_, Some(_))) => {
            return Err(invalid("email", "already_exists", format!("{email} already has an account")));
        }
        Some((id, None)) => {
            conn.execute(
                "UPDATE agents SET role = ?2, password_hash = ?3, credentials_changed_at = ?4 WHERE id = ?1",
                params![id, s.role.as_str(), s.password_hash, now.unix_millis()],
            )?;
            id
        }
        None => {
            conn.execute(
                "INSERT INTO agents (name, email, team_id, role, password_hash, credentials_changed_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![name, email, s.team_id, s.role.as_str(), s.password_hash, now.unix_millis()],
            )?;
            conn.last_insert_rowid()
        }
    };
    account(conn, id)?.ok_or_else(|| StoreError::NotFound(format!("staff account {id}")))
}

pub fn account(conn: &Connection, id: i64) -> Result<Option<StaffAccount>, StoreError> {
    Ok(conn
        .prepare_cached(&format!("SELECT {ACCOUNT_COLUMNS} FROM agents a WHERE a.id = ?1"))?
        .query_row([id], account_from_row)
        .optional()?)
}

/// Every account with a password (agents made only for assignment are not
/// accounts until someone gives them one).
pub fn accounts(conn: &Connection) -> Result<Vec<StaffAccount>, StoreError> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {ACCOUNT_COLUMNS} FROM agents a WHERE a.password_hash IS NOT NULL ORDER BY a.id"
        ))?
        .query_map([], account_from_row)?
        .collect::<Result<_, _>>()?)
}

/// What signing in needs: the account and its password hash.
pub fn login(conn: &Connection, email: &str) -> Result<Option<StaffLogin>, StoreError> {
    let email = email.trim().to_lowercase();
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {ACCOUNT_COLUMNS}, a.password_hash FROM agents a \
             WHERE a.email = ?1 AND a.password_hash IS NOT NULL"
        ))?
        .query_row([email], |r| Ok(StaffLogin { account: account_from_row(r)?, password_hash: r.get(6)? }))
        .optional()?)
}

/// Replaces a password; every session and token issued before is revoked.
pub fn set_password(conn: &Connection, id: i64, hash: &str, now: Timestamp) -> Result<(), StoreError> {
    let n = conn.execute(
        "UPDATE agents SET password_hash = ?2, credentials_changed_at = ?3 WHERE id = ?1 AND password_hash IS NOT NULL",
        params![id, hash, now.unix_millis()],
    )?;
    if n == 0 {
        return Err(StoreError::NotFound(format!("staff account {id}")));
    }
    revoke_all(conn, id, now)
}

/// Disables or enables an account; disabling revokes its sessions and tokens.
pub fn set_disabled(conn: &Connection, id: i64, disabled: bool, now: Timestamp) -> Result<StaffAccount, StoreError> {
    let n = if disabled {
        conn.execute(
            "UPDATE agents SET disabled_at = ?2, active = 0, credentials_changed_at = ?2 WHERE id = ?1",
            params![id, now.unix_millis()],
        )?
    } else {
        conn.execute("UPDATE agents SET disabled_at = NULL, active = 1 WHERE id = ?1", params![id])?
    };
    if n == 0 {
        return Err(StoreError::NotFound(format!("staff account {id}")));
    }
    if disabled {
        revoke_all(conn, id, now)?;
    }
    account(conn, id)?.ok_or_else(|| StoreError::NotFound(format!("staff account {id}")))
}

pub fn set_role(conn: &Connection, id: i64, role: Role) -> Result<StaffAccount, StoreError> {
    let n = conn.execute("UPDATE agents SET role = ?2 WHERE id = ?1", params![id, role.as_str()])?;
    if n == 0 {
        return Err(StoreError::NotFound(format!("staff account {id}")));
    }
    account(conn, id)?.ok_or_else(|| StoreError::NotFound(format!("staff account {id}")))
}

fn revoke_all(conn: &Connection, id: i64, now: Timestamp) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE sessions SET revoked_at = ?2 WHERE agent_id = ?1 AND revoked_at IS NULL",
        params![id, now.unix_millis()],
    )?;
    conn.execute(
        "UPDATE api_tokens SET revoked_at = ?2 WHERE agent_id = ?1 AND revoked_at IS NULL",
        params![id, now.unix_millis()],
    )?;
    Ok(())
}

pub fn create_session(conn: &Connection, s: &NewSession, now: Timestamp) -> Result<(), StoreError> {
    // Old sessions are swept here rather than by a timer: signing in is rare.
    conn.execute("DELETE FROM sessions WHERE expires_at < ?1 OR revoked_at < ?1 - 86400000", [now.unix_millis()])?;
    conn.execute(
        "INSERT INTO sessions (token_hash, agent_id, csrf, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![s.token_hash, s.agent_id, s.csrf, now.unix_millis(), s.expires_at.unix_millis()],
    )?;
    Ok(())
}

/// A live session by the hash of its cookie.
pub fn session(conn: &Connection, token_hash: &str, now: Timestamp) -> Result<Option<SessionRecord>, StoreError> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {ACCOUNT_COLUMNS}, s.csrf, s.expires_at FROM sessions s JOIN agents a ON a.id = s.agent_id \
             WHERE s.token_hash = ?1 AND s.revoked_at IS NULL AND s.expires_at > ?2 \
               AND a.disabled_at IS NULL AND s.created_at >= a.credentials_changed_at"
        ))?
        .query_row(params![token_hash, now.unix_millis()], |r| {
            Ok(SessionRecord {
                account: account_from_row(r)?,
                csrf: r.get(6)?,
                expires_at: Timestamp::from_unix_millis(r.get(7)?).unwrap_or(Timestamp::EPOCH),
            })
        })
        .optional()?)
}

pub fn revoke_session(conn: &Connection, token_hash: &str, now: Timestamp) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE sessions SET revoked_at = ?2 WHERE token_hash = ?1 AND revoked_at IS NULL",
        params![token_hash, now.unix_millis()],
    )?;
    Ok(())
}

pub fn create_token(conn: &Connection, t: &NewApiToken, now: Timestamp) -> Result<ApiTokenInfo, StoreError> {
    let name = t.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(invalid("name", "invalid_name", "a token's name is 1 to 100 characters"));
    }
    if t.scopes.is_empty() {
        return Err(invalid("scopes", "no_scopes", "a token needs at least one scope"));
    }
    if t.expires_at <= now {
        return Err(invalid("expires_at", "in_the_past", "a token's expiry must be in the future"));
    }
    let scopes: Vec<&str> = t.scopes.iter().map(|s| s.as_str()).collect();
    conn.execute(
        "INSERT INTO api_tokens (agent_id, name, prefix, secret_hash, scopes, created_at, expires_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            t.agent_id,
            name,
            t.prefix,
            t.secret_hash,
            serde_json::to_string(&scopes).unwrap_or_else(|_| "[]".into()),
            now.unix_millis(),
            t.expires_at.unix_millis()
        ],
    )?;
    let id = conn.last_insert_rowid();
    tokens(conn, t.agent_id)?
        .into_iter()
        .find(|x| x.id == id)
        .ok_or_else(|| StoreError::NotFound(format!("token {id}")))
}

fn scopes_from(json: &str) -> Vec<Scope> {
    serde_json::from_str::<Vec<String>>(json).unwrap_or_default().iter().filter_map(|s| Scope::parse(s).ok()).collect()
}

/// A live token by its prefix, with its owner; the caller checks the secret.
pub fn token(conn: &Connection, prefix: &str, now: Timestamp) -> Result<Option<TokenRecord>, StoreError> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {ACCOUNT_COLUMNS}, t.id, t.secret_hash, t.scopes FROM api_tokens t JOIN agents a ON a.id = t.agent_id \
             WHERE t.prefix = ?1 AND t.revoked_at IS NULL AND t.expires_at > ?2 \
               AND a.disabled_at IS NULL AND t.created_at >= a.credentials_changed_at"
        ))?
        .query_row(params![prefix, now.unix_millis()], |r| {
            Ok(TokenRecord {
                account: account_from_row(r)?,
                id: r.get(6)?,
                secret_hash: r.get(7)?,
                scopes: scopes_from(&r.get::<_, String>(8)?),
            })
        })
        .optional()?)
}

/// An account's tokens, newest first (never their secrets).
pub fn tokens(conn: &Connection, agent: i64) -> Result<Vec<ApiTokenInfo>, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT id, name, prefix, scopes, created_at, expires_at, revoked_at \
             FROM api_tokens WHERE agent_id = ?1 ORDER BY id DESC",
        )?
        .query_map([agent], |r| {
            let ts = |v: Option<i64>| v.and_then(|v| Timestamp::from_unix_millis(v).ok());
            Ok(ApiTokenInfo {
                id: r.get(0)?,
                name: r.get(1)?,
                prefix: r.get(2)?,
                scopes: scopes_from(&r.get::<_, String>(3)?),
                created_at: ts(r.get(4)?).unwrap_or(Timestamp::EPOCH),
                expires_at: ts(r.get(5)?).unwrap_or(Timestamp::EPOCH),
                revoked: r.get::<_, Option<i64>>(6)?.is_some(),
            })
        })?
        .collect::<Result<_, _>>()?)
}

/// Revokes one of an account's tokens (an admin may revoke anyone's:
/// `owner` is then `None`).
pub fn revoke_token(conn: &Connection, id: i64, owner: Option<i64>, now: Timestamp) -> Result<(), StoreError> {
    let n = conn.execute(
        "UPDATE api_tokens SET revoked_at = coalesce(revoked_at, ?2) WHERE id = ?1 AND (?3 IS NULL OR agent_id = ?3)",
        params![id, now.unix_millis(), owner],
    )?;
    if n == 0 {
        return Err(StoreError::NotFound(format!("token {id}")));
    }
    Ok(())
}
