//! Staff accounts: passwords, sign-in with rate limits, sessions and API
//! tokens.
//!
//! Passwords are hashed with argon2id (19 MiB of memory, 2 passes, 1 lane:
//! OWASP's recommended minimum) on a blocking thread. Session cookies and
//! token secrets are 32 random bytes; the store keeps only their SHA-256,
//! which is enough for secrets that cannot be guessed (argon2 is for the
//! guessable ones). Sign-in failures are counted per account and per address
//! in memory; an unknown account gets the same answer, at the same cost (a
//! dummy hash is checked), as a wrong password.

use std::{
    collections::{HashMap, VecDeque},
    sync::{LazyLock, Mutex},
};

use argon2::{
    Algorithm, Argon2, Params, PasswordHash, PasswordHasher, PasswordVerifier, Version, password_hash::SaltString,
};
use base64::Engine as _;
use firebreak_domain::{
    Timestamp,
    staff::{Role, Scope, StaffAccount},
};
use firebreak_store::{ApiTokenInfo, NewApiToken, NewSession, NewStaff, SessionRecord};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::{Engine, EngineError, invalid};

/// How long a session lasts after sign-in.
pub const SESSION_MILLIS: i64 = 12 * 3600 * 1000;
/// Failed sign-ins allowed per account, and per address, in the window.
pub const MAX_FAILURES_PER_ACCOUNT: usize = 5;
pub const MAX_FAILURES_PER_ADDRESS: usize = 20;
/// The window failures are counted over.
pub const FAILURE_WINDOW_MILLIS: i64 = 15 * 60 * 1000;
/// The shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 10;

fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Checks a new password's length (NIST 800-63B: length, not composition).
pub fn check_password(password: &str) -> Result<(), EngineError> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_CHARS {
        return Err(invalid(
            "password",
            "too_short",
            format!("a password has at least {MIN_PASSWORD_CHARS} characters"),
        ));
    }
    if password.len() > 1024 {
        return Err(invalid("password", "too_long", "a password has at most 1024 bytes"));
    }
    Ok(())
}

/// Hashes a password with argon2id into a PHC string.
pub fn hash_password(password: &str) -> Result<String, EngineError> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| EngineError::Internal(format!("no randomness: {e}")))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| EngineError::Internal(e.to_string()))?;
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| EngineError::Internal(format!("cannot hash the password: {e}")))
}

/// Whether `password` matches the PHC string `hash`.
pub fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| argon2().verify_password(password.as_bytes(), &h).is_ok())
}

/// A hash checked when the account does not exist, so that an unknown email
/// costs as much time as a wrong password.
pub(crate) static DUMMY_HASH: LazyLock<String> =
    LazyLock::new(|| hash_password("not the password of anyone at all").unwrap_or_default());

pub fn random_token(bytes: usize) -> Result<String, EngineError> {
    let mut b = vec![0u8; bytes];
    getrandom::fill(&mut b).map_err(|e| EngineError::Internal(format!("no randomness: {e}")))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b))
}

/// SHA-256 of a secret, in hex: what the store keeps.
pub fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// What a successful sign-in gives the browser.
#[derive(Debug, Clone)]
pub struct NewSessionSecret {
    pub account: StaffAccount,
    /// The cookie's value.
    pub cookie: String,
    pub csrf: String,
    pub expires_at: Timestamp,
}

/// Why a sign-in was refused. Deliberately says nothing of which part was wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginRefused {
    /// Wrong email or password, unknown or disabled account: one answer.
    BadCredentials,
    /// Too many failures lately for this account or this address.
    TooMany { retry_after_secs: i64 },
}

/// Failed sign-ins in the last window, per key.
#[derive(Default)]
pub struct LoginLimiter {
    failures: Mutex<HashMap<String, VecDeque<i64>>>,
}

impl LoginLimiter {
    fn keys(email: &str, address: &str) -> [(String, usize); 2] {
        [
            (format!("account:{}", email.trim().to_lowercase()), MAX_FAILURES_PER_ACCOUNT),
            (format!("address:{address}"), MAX_FAILURES_PER_ADDRESS),
        ]
    }

    /// Seconds until another attempt is allowed, if one is not now.
    pub(crate) fn blocked(&self, email: &str, address: &str, now: i64) -> Option<i64> {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let mut wait = None;
        for (key, max) in Self::keys(email, address) {
            if let Some(q) = map.get_mut(&key) {
                while q.front().is_some_and(|&t| t <= now - FAILURE_WINDOW_MILLIS) {
                    q.pop_front();
                }
                if q.len() >= max {
                    let until = q[q.len() - max] + FAILURE_WINDOW_MILLIS;
                    let secs = ((until - now) / 1000).max(1);
                    wait = Some(wait.map_or(secs, |w: i64| w.max(secs)));
                }
            }
        }
        wait
    }

    pub(crate) fn fail(&self, email: &str, address: &str, now: i64) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        // Bound the memory an attacker can make us use: forget the oldest
        // keys' history when the map grows large.
        if map.len() > 100_000 {
            map.retain(|_, q| q.back().is_some_and(|&t| t > now - FAILURE_WINDOW_MILLIS));
        }
        for (key, _) in Self::keys(email, address) {
            map.entry(key).or_default().push_back(now);
        }
    }

    pub(crate) fn succeed(&self, email: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(&format!("account:{}", email.trim().to_lowercase()));
    }
}

/// A new API token: the whole secret (shown once) and what is kept of it.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub token: String,
    pub info: ApiTokenInfo,
}

/// A program's identity, from its bearer token.
#[derive(Debug, Clone)]
pub struct TokenPrincipal {
    pub account: StaffAccount,
    pub scopes: Vec<Scope>,
    pub token_id: i64,
}

impl Engine {
    /// Creates a member of staff with a password (`firebreak user add`, the admin pages).
    pub async fn add_staff(
        &self,
        email: &str,
        name: &str,
        role: Role,
        team_id: Option<i64>,
        password: &str,
    ) -> Result<StaffAccount, EngineError> {
        check_password(password)?;
        let pw = password.to_owned();
        let password_hash = tokio::task::spawn_blocking(move || hash_password(&pw))
            .await
            .map_err(|e| EngineError::Internal(e.to_string()))??;
        let staff = NewStaff { email: email.to_owned(), name: name.to_owned(), role, team_id, password_hash };
        Ok(self.store.create_staff(staff).await?)
    }

    /// Changes an account's role or enables/disables it, as `by` (an admin).
    /// An admin cannot disable or demote their own account, so someone is
    /// always left to manage the rest.
    pub async fn update_staff(
        &self,
        by: &StaffAccount,
        id: i64,
        role: Option<Role>,
        disabled: Option<bool>,
    ) -> Result<StaffAccount, EngineError> {
        if id == by.id && (disabled == Some(true) || role.is_some_and(|r| r != Role::Admin)) {
            return Err(invalid("id", "own_account", "an admin cannot disable or demote their own account"));
        }
        let mut account = self
            .store
            .staff_account(id)
            .await?
            .ok_or_else(|| firebreak_store::StoreError::NotFound("account".into()))?;
        if let Some(r) = role {
            account = self.store.set_staff_role(id, r).await?;
        }
        if let Some(d) = disabled {
            account = self.store.set_staff_disabled(id, d).await?;
        }
        Ok(account)
    }

    /// Signs in: checks the password (rate limited per account and per
    /// address) and opens a session.
    pub async fn login(
        &self,
        email: &str,
        password: &str,
        address: &str,
    ) -> Result<Result<NewSessionSecret, LoginRefused>, EngineError> {
        let now = self.clock.now();
        if let Some(retry_after_secs) = self.logins.blocked(email, address, now.unix_millis()) {
            return Ok(Err(LoginRefused::TooMany { retry_after_secs }));
        }
        let found = self.store.staff_login(email.to_owned()).await?;
        let (hash, account) = match found {
            Some(l) if !l.account.disabled => (l.password_hash, Some(l.account)),
            _ => (DUMMY_HASH.clone(), None),
        };
        let pw = password.to_owned();
        let ok = tokio::task::spawn_blocking(move || verify_password(&hash, &pw))
            .await
            .map_err(|e| EngineError::Internal(e.to_string()))?;
        let Some(account) = account.filter(|_| ok) else {
            self.logins.fail(email, address, now.unix_millis());
            return Ok(Err(LoginRefused::BadCredentials));
        };
        self.logins.succeed(email);
        let cookie = random_token(32)?;
        let csrf = random_token(32)?;
        let expires_at = now.plus_millis(SESSION_MILLIS);
        self.store
            .create_session(NewSession {
                token_hash: secret_hash(&cookie),
                agent_id: account.id,
                csrf: csrf.clone(),
                expires_at,
            })
            .await?;
        Ok(Ok(NewSessionSecret { account, cookie, csrf, expires_at }))
    }

    /// The live session a cookie belongs to.
    pub async fn session(&self, cookie: &str) -> Result<Option<SessionRecord>, EngineError> {
        if cookie.is_empty() || cookie.len() > 100 {
            return Ok(None);
        }
        Ok(self.store.session(secret_hash(cookie)).await?)
    }

    pub async fn logout(&self, cookie: &str) -> Result<(), EngineError> {
        Ok(self.store.revoke_session(secret_hash(cookie)).await?)
    }

    /// Changes a password after checking the current one; every session and
    /// token issued before is revoked (the caller signs in again).
    pub async fn change_password(&self, account: &StaffAccount, current: &str, new: &str) -> Result<(), EngineError> {
        check_password(new)?;
        let login = self.store.staff_login(account.email.clone()).await?;
        let Some(login) = login else {
            return Err(EngineError::Store(firebreak_store::StoreError::NotFound("account".into())));
        };
        let (hash, cur, new) = (login.password_hash, current.to_owned(), new.to_owned());
        let new_hash = tokio::task::spawn_blocking(move || {
            if verify_password(&hash, &cur) { hash_password(&new).map(Some) } else { Ok(None) }
        })
        .await
        .map_err(|e| EngineError::Internal(e.to_string()))??;
        let Some(new_hash) = new_hash else {
            return Err(invalid("current_password", "wrong_password", "the current password is not right"));
        };
        Ok(self.store.set_staff_password(account.id, new_hash).await?)
    }

    /// Issues an API token for `account`: `fbt_<prefix>_<secret>`, shown once.
    pub async fn issue_token(
        &self,
        account: &StaffAccount,
        name: &str,
        scopes: Vec<Scope>,
        expires_at: Timestamp,
    ) -> Result<IssuedToken, EngineError> {
        let prefix = hex::encode(random_token(6)?.as_bytes()).chars().take(12).collect::<String>();
        let secret = random_token(32)?;
        let info = self
            .store
            .create_api_token(NewApiToken {
                agent_id: account.id,
                name: name.to_owned(),
                prefix: prefix.clone(),
                secret_hash: secret_hash(&secret),
                scopes,
                expires_at,
            })
            .await?;
        Ok(IssuedToken { token: format!("fbt_{prefix}_{secret}"), info })
    }

    /// The account and scopes a bearer token stands for, if it is live.
    pub async fn authenticate_token(&self, token: &str) -> Result<Option<TokenPrincipal>, EngineError> {
        let Some(rest) = token.strip_prefix("fbt_") else { return Ok(None) };
        let Some((prefix, secret)) = rest.split_once('_') else { return Ok(None) };
        if prefix.len() != 12 || secret.is_empty() || secret.len() > 100 {
            return Ok(None);
        }
        let Some(record) = self.store.api_token(prefix.to_owned()).await? else { return Ok(None) };
        if !bool::from(secret_hash(secret).as_bytes().ct_eq(record.secret_hash.as_bytes())) {
            return Ok(None);
        }
        Ok(Some(TokenPrincipal { account: record.account, scopes: record.scopes, token_id: record.id }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_with_argon2id_and_verify() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify_password(&h, "correct horse battery"));
        assert!(!verify_password(&h, "correct horse battery!"));
        assert!(!verify_password("not a hash", "x"));
    }

    #[test]
    fn short_passwords_are_refused() {
        assert!(check_password("short").is_err());
        assert!(check_password("long enough pw").is_ok());
    }

    #[test]
    fn the_limiter_blocks_an_account_after_five_failures_and_forgets_after_the_window() {
        let l = LoginLimiter::default();
        for i in 0..5 {
            assert_eq!(l.blocked("a@x.io", "1.2.3.4", i), None);
            l.fail("A@x.io", "1.2.3.4", i);
        }
        assert!(l.blocked("a@x.io", "5.6.7.8", 10).is_some(), "per account, from any address");
        assert_eq!(l.blocked("b@x.io", "1.2.3.4", 10), None, "the address has 15 more");
        assert_eq!(l.blocked("a@x.io", "1.2.3.4", FAILURE_WINDOW_MILLIS + 5), None);
    }

    #[test]
    fn the_limiter_blocks_an_address_trying_many_accounts() {
        let l = LoginLimiter::default();
        for i in 0..20 {
            l.fail(&format!("u{i}@x.io"), "9.9.9.9", 0);
        }
        assert!(l.blocked("new@x.io", "9.9.9.9", 1).is_some());
        assert_eq!(l.blocked("new@x.io", "8.8.8.8", 1), None);
    }
}
