//! Community members' accounts: sign-up with an email verification link
//! mailed through the SMTP transport, sign-in (rate limited like staff,
//! counted apart), member sessions, and the community member a staff
//! account acts as.
//!
//! The secrets follow the staff rules (`engine::staff`): passwords as
//! argon2id with the same parameters, session cookies and verification
//! tokens as 32 random bytes of which the store keeps only the SHA-256.
//! Without an SMTP transport, sign-up still works: the verification link is
//! written to the log (at `warn`) and the page says that no mail was sent.

use firebreak_channels::outbound::{EmailThreading, OutboundReply, Visibility};
use firebreak_community::{CommunityError, Invalid, Member};
use firebreak_domain::{Channel, Email};
use firebreak_store::{CommunityStoreError, MemberSession, NewMember, NewMemberSession};

use crate::{
    Engine, EngineError,
    staff::{
        DUMMY_HASH, MIN_PASSWORD_CHARS, SESSION_MILLIS, hash_password, random_token, secret_hash, verify_password,
    },
};

/// How long a verification link works.
pub const VERIFY_MILLIS: i64 = 48 * 3600 * 1000;

/// Why a member operation failed: the community refused it (a stable code
/// and a sentence), or something failed on our side.
#[derive(Debug, thiserror::Error)]
pub enum MemberError {
    #[error(transparent)]
    Refused(#[from] CommunityError),
    #[error(transparent)]
    Failed(#[from] EngineError),
}

impl From<CommunityStoreError> for MemberError {
    fn from(e: CommunityStoreError) -> Self {
        match e {
            CommunityStoreError::Refused(r) => MemberError::Refused(r),
            CommunityStoreError::Store(s) => MemberError::Failed(EngineError::Store(s)),
        }
    }
}

impl From<Invalid> for MemberError {
    fn from(e: Invalid) -> Self {
        MemberError::Refused(e.into())
    }
}

/// What became of the verification email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerificationMail {
    /// Handed to the SMTP server.
    Sent,
    /// No SMTP transport is configured: the link is in the server's log.
    NotConfigured,
    /// The SMTP server refused it or could not be reached: the link is in the
    /// server's log.
    Failed(String),
}

/// Why a sign-in was refused. A wrong password and an unknown email get one
/// answer; the others are said only to someone who knows the password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemberLoginRefused {
    BadCredentials,
    Unverified,
    Banned,
    TooMany { retry_after_secs: i64 },
}

/// A new member session: the cookie's value and its CSRF token.
#[derive(Debug, Clone)]
pub struct NewMemberSecret {
    pub member: Member,
    pub cookie: String,
    pub csrf: String,
}

fn check_password(password: &str) -> Result<(), Invalid> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(Invalid::new(
            "password",
            "password_too_short",
            format!("a password has at least {MIN_PASSWORD_CHARS} characters"),
        ));
    }
    if password.len() > 1024 {
        return Err(Invalid::new("password", "password_too_long", "a password has at most 1024 bytes"));
    }
    Ok(())
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, EngineError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| EngineError::Internal(e.to_string()))
}

impl Engine {
    /// Signs a member up and mails the verification link (`link_base` is
    /// where this server's pages are, e.g. `https://crm.example.com`). An
    /// email of a staff account is refused: staff act in the community as
    /// staff, signed in to Firebreak.
    pub async fn member_sign_up(
        &self,
        email: &str,
        display_name: &str,
        password: &str,
        link_base: &str,
    ) -> Result<(Member, VerificationMail), MemberError> {
        check_password(password)?;
        let email = firebreak_community::validate::email(email)?;
        if self.store.staff_login(email.clone()).await.map_err(EngineError::from)?.is_some() {
            return Err(CommunityError::conflict(
                "email_is_staff",
                "that email belongs to a staff account; staff post as staff, signed in to Firebreak",
            )
            .into());
        }
        let pw = password.to_owned();
        let password_hash = blocking(move || hash_password(&pw)).await??;
        let member = self
            .store
            .create_member(NewMember {
                email,
                display_name: display_name.to_owned(),
                password_hash: Some(password_hash),
                email_verified: false,
                customer_id: None,
                staff: false,
            })
            .await?;
        let mail = self.send_verification(&member, link_base).await?;
        Ok((member, mail))
    }

    /// Makes a new verification link for `member` and mails it.
    pub async fn send_verification(&self, member: &Member, link_base: &str) -> Result<VerificationMail, MemberError> {
        let token = random_token(32)?;
        let expires = self.clock.now().plus_millis(VERIFY_MILLIS);
        self.store.create_email_token(member.id, secret_hash(&token), expires).await?;
        let link = format!("{}/community/verify?token={token}", link_base.trim_end_matches('/'));
        let Some(transport) =
            self.transport.clone().filter(|t| t.can_send(Channel::Email, Visibility::Private).is_ok())
        else {
            tracing::warn!(member = member.id.0, %link, "no [outbound.smtp] configured: the verification link is here");
            return Ok(VerificationMail::NotConfigured);
        };
        let to = Email::parse(&member.email).map_err(|e| EngineError::Internal(e.message.clone()))?;
        let reply = OutboundReply {
            channel: Channel::Email,
            visibility: Visibility::Private,
            text: format!(
                "Hello {},\n\nConfirm your email for the community by opening this link (it works once, for 48 hours):\n\n{link}\n\nIf you did not sign up, ignore this message.\n",
                member.display_name
            ),
            in_reply_to: None,
            recipient: None,
            email: Some(EmailThreading {
                subject: "Confirm your email for the community".into(),
                to,
                to_name: Some(member.display_name.clone()),
                from: None,
                from_name: None,
                references: Vec::new(),
                new_thread: true,
            }),
            idempotency_key: format!("community-verify-{}-{}", member.id, &secret_hash(&token)[..16]),
        };
        match transport.send(&reply).await {
            Ok(_) => Ok(VerificationMail::Sent),
            Err(e) => {
                tracing::warn!(member = member.id.0, error = %e, %link, "the verification email failed: the link is here");
                Ok(VerificationMail::Failed(e.to_string()))
            }
        }
    }

    /// Uses a verification link; `None` when it is unknown, used or expired.
    /// A verified member is linked to the customer with their email.
    pub async fn verify_member_email(&self, token: &str) -> Result<Option<Member>, MemberError> {
        if token.is_empty() || token.len() > 100 {
            return Ok(None);
        }
        let member = self.store.verify_member_email(secret_hash(token)).await?;
        if let Some(m) = &member {
            // The verified email joins the member to the customer on record
            // with it (audited by the store); none is no error.
            self.store.link_member_to_customer(m.id).await?;
        }
        Ok(member)
    }

    /// Signs a member in: checks the password (rate limited per account and
    /// per address) and opens a member session.
    pub async fn member_login(
        &self,
        email: &str,
        password: &str,
        address: &str,
    ) -> Result<Result<NewMemberSecret, MemberLoginRefused>, MemberError> {
        let now = self.clock.now();
        if let Some(retry_after_secs) = self.member_logins.blocked(email, address, now.unix_millis()) {
            return Ok(Err(MemberLoginRefused::TooMany { retry_after_secs }));
        }
        let found = self.store.member_login(email.to_owned()).await?;
        let (hash, member) = match found {
            Some(l) if l.password_hash.is_some() => (l.password_hash.unwrap_or_default(), Some(l.member)),
            _ => (DUMMY_HASH.clone(), None),
        };
        let pw = password.to_owned();
        let ok = blocking(move || verify_password(&hash, &pw)).await?;
        let Some(member) = member.filter(|_| ok) else {
            self.member_logins.fail(email, address, now.unix_millis());
            return Ok(Err(MemberLoginRefused::BadCredentials));
        };
        self.member_logins.succeed(email);
        if member.banned {
            return Ok(Err(MemberLoginRefused::Banned));
        }
        if !member.email_verified {
            return Ok(Err(MemberLoginRefused::Unverified));
        }
        Ok(Ok(self.open_member_session(member).await?))
    }

    /// Opens a session for a member who has proved who they are.
    pub(crate) async fn open_member_session(&self, member: Member) -> Result<NewMemberSecret, MemberError> {
        let cookie = random_token(32)?;
        let csrf = random_token(32)?;
        self.store
            .create_member_session(NewMemberSession {
                member: member.id,
                token_hash: secret_hash(&cookie),
                csrf: csrf.clone(),
                expires_at: self.clock.now().plus_millis(SESSION_MILLIS),
            })
            .await?;
        Ok(NewMemberSecret { member, cookie, csrf })
    }

    /// The live member session a cookie belongs to.
    pub async fn member_session(&self, cookie: &str) -> Result<Option<MemberSession>, MemberError> {
        if cookie.is_empty() || cookie.len() > 100 {
            return Ok(None);
        }
        Ok(self.store.member_session(secret_hash(cookie), self.clock.now()).await?)
    }

    pub async fn member_logout(&self, cookie: &str) -> Result<(), MemberError> {
        Ok(self.store.revoke_member_session(secret_hash(cookie)).await?)
    }

    /// The community member a staff account acts as (made on first use).
    pub async fn staff_member(&self, staff_id: i64, name: &str) -> Result<Member, MemberError> {
        Ok(self.store.staff_member(staff_id, name.to_owned()).await?)
    }
}
