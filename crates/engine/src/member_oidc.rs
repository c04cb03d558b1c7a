//! Members signing in through an OpenID Connect provider: the web layer
//! completes the flow (`firebreak_oidc`); the engine takes the verified
//! claims, finds or makes the member (`CommunityStore::oidc_member`) and
//! opens a member session like a password sign-in does.

use firebreak_store::OidcSignIn;

use crate::{
    Engine,
    members::{MemberError, NewMemberSecret},
};

/// Who the provider says signed in.
#[derive(Debug, Clone)]
pub struct OidcIdentity {
    pub issuer: String,
    pub subject: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub name: Option<String>,
}

/// Why a sign-in through a provider was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OidcRefused {
    /// The provider gave no email, or did not say it verified it: a member
    /// is known by a verified email.
    NoVerifiedEmail,
    Banned,
}

impl Engine {
    /// Signs a member in from a provider's verified claims: the member the
    /// identity signed in as before, else the member with that verified
    /// email (linked now), else a new member; then a member session.
    pub async fn member_oidc_login(
        &self,
        id: OidcIdentity,
    ) -> Result<Result<NewMemberSecret, OidcRefused>, MemberError> {
        let Some(email) = id.email.filter(|_| id.email_verified) else {
            return Ok(Err(OidcRefused::NoVerifiedEmail));
        };
        let display_name = id.name.unwrap_or_default();
        let member =
            self.store.oidc_member(OidcSignIn { issuer: id.issuer, subject: id.subject, email, display_name }).await?;
        if member.banned {
            return Ok(Err(OidcRefused::Banned));
        }
        // The provider vouched for the email: the member is the customer on
        // record with it, if any.
        if member.customer_id.is_none()
            && let Err(e) = self.store.link_member_to_customer(member.id).await
        {
            tracing::warn!(error = %e, member = member.id.0, "a member could not be linked to their customer");
        }
        Ok(Ok(self.open_member_session(member).await?))
    }
}
