//! The shapes the store takes and gives for staff accounts, sessions and API
//! tokens. Secrets never reach the store: only their hashes do.

use firebreak_domain::{
    Timestamp,
    staff::{Role, Scope, StaffAccount},
};
use serde::Serialize;

/// A new member of staff, with a password already hashed (argon2id).
#[derive(Debug, Clone)]
pub struct NewStaff {
    pub email: String,
    pub name: String,
    pub role: Role,
    pub team_id: Option<i64>,
    pub password_hash: String,
}

/// An account and the hash its password is checked against.
#[derive(Debug, Clone)]
pub struct StaffLogin {
    pub account: StaffAccount,
    pub password_hash: String,
}

/// A session to record at sign-in.
#[derive(Debug, Clone)]
pub struct NewSession {
    /// SHA-256 (hex) of the cookie's secret.
    pub token_hash: String,
    pub agent_id: i64,
    /// The session's CSRF token, echoed in every form and state-changing call.
    pub csrf: String,
    pub expires_at: Timestamp,
}

/// A live session.
#[derive(Debug, Clone)]
pub struct SessionRecord {
    pub account: StaffAccount,
    pub csrf: String,
    pub expires_at: Timestamp,
}

/// A token to record; its secret was shown to its owner once.
#[derive(Debug, Clone)]
pub struct NewApiToken {
    pub agent_id: i64,
    pub name: String,
    pub prefix: String,
    /// SHA-256 (hex) of the secret part.
    pub secret_hash: String,
    pub scopes: Vec<Scope>,
    pub expires_at: Timestamp,
}

/// A live token found by its prefix, for the caller to check the secret.
#[derive(Debug, Clone)]
pub struct TokenRecord {
    pub id: i64,
    pub account: StaffAccount,
    pub secret_hash: String,
    pub scopes: Vec<Scope>,
}

/// What an owner (or an admin) sees of a token.
#[derive(Debug, Clone, Serialize)]
pub struct ApiTokenInfo {
    pub id: i64,
    pub name: String,
    pub prefix: String,
    pub scopes: Vec<Scope>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub revoked: bool,
}
