//! Every way a sign-in can fail, each with a stable code and a plain sentence.
//!
//! The sentence (`Display`) may be shown to the person signing in; the
//! [`OidcError::detail`] (what the provider or the network said) belongs in the
//! log, not on the page.

/// A failed discovery or sign-in.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OidcError {
    /// The configuration itself is unusable (for example an issuer that is not an https URL).
    #[error("The sign-in provider is not configured correctly.")]
    InvalidConfig { detail: String },
    /// The discovery document could not be fetched or read, or its endpoints are unusable.
    #[error("The sign-in provider could not be reached or described itself incorrectly.")]
    DiscoveryFailed { detail: String },
    /// The discovery document names another issuer than the configured one.
    #[error("The sign-in provider says it is a different issuer than the one configured.")]
    IssuerMismatch { detail: String },
    /// The provider's signing keys could not be fetched or read.
    #[error("The sign-in provider's signing keys could not be fetched.")]
    JwksFailed { detail: String },
    /// The stored sign-in attempt could not be read back.
    #[error("The sign-in attempt could not be read back; please start again.")]
    BadPending { detail: String },
    /// The sign-in attempt is older than the configured maximum age.
    #[error("The sign-in took too long; please start again.")]
    FlowExpired,
    /// The `state` of the callback is missing or is not the one this sign-in started with.
    #[error("The sign-in response does not belong to this sign-in attempt; please start again.")]
    StateMismatch,
    /// The provider answered the callback with `error` (for example the person refused).
    #[error("The sign-in provider did not sign you in.")]
    ProviderError { error: String, description: Option<String> },
    /// The callback has neither a `code` nor an `error`.
    #[error("The sign-in response has no authorization code.")]
    MissingCode,
    /// The token endpoint could not be reached or refused the code.
    #[error("The sign-in provider refused to complete the sign-in.")]
    TokenRequestFailed { detail: String },
    /// The ID token is not a well-formed JWS with the claims OpenID Connect requires.
    #[error("The sign-in provider sent an identity token that cannot be read.")]
    MalformedToken { detail: String },
    /// The ID token is signed with an algorithm this crate does not accept.
    #[error("The sign-in provider signed the identity token with an algorithm that is not accepted.")]
    UnsupportedAlgorithm { alg: String },
    /// No key in the provider's key set (even fetched again) matches the token's key id.
    #[error("The identity token is signed with a key the sign-in provider does not publish.")]
    UnknownKey { kid: Option<String> },
    /// The signature of the ID token does not verify.
    #[error("The identity token's signature is not valid.")]
    BadSignature,
    /// The ID token (or the callback's `iss`) names another issuer.
    #[error("The identity token was issued by a different provider than the one configured.")]
    WrongIssuer { found: String },
    /// The ID token is not meant for this client.
    #[error("The identity token is not meant for this application.")]
    WrongAudience,
    /// The ID token has several audiences and its `azp` is missing or another client.
    #[error("The identity token was requested by a different application.")]
    WrongAuthorizedParty,
    /// The ID token has expired (beyond the allowed clock skew).
    #[error("The identity token has expired.")]
    Expired,
    /// The ID token says it was issued in the future (beyond the allowed clock skew).
    #[error("The identity token claims to be issued in the future.")]
    IssuedInFuture,
    /// The ID token's `nonce` is missing or is not the one this sign-in started with.
    #[error("The identity token does not belong to this sign-in attempt.")]
    NonceMismatch,
}

impl OidcError {
    /// The stable, machine-readable code of this error (snake case, prefixed `oidc_`).
    pub fn code(&self) -> &'static str {
        match self {
            OidcError::InvalidConfig { .. } => "oidc_invalid_config",
            OidcError::DiscoveryFailed { .. } => "oidc_discovery_failed",
            OidcError::IssuerMismatch { .. } => "oidc_issuer_mismatch",
            OidcError::JwksFailed { .. } => "oidc_jwks_failed",
            OidcError::BadPending { .. } => "oidc_bad_pending",
            OidcError::FlowExpired => "oidc_flow_expired",
            OidcError::StateMismatch => "oidc_state_mismatch",
            OidcError::ProviderError { .. } => "oidc_provider_error",
            OidcError::MissingCode => "oidc_missing_code",
            OidcError::TokenRequestFailed { .. } => "oidc_token_request_failed",
            OidcError::MalformedToken { .. } => "oidc_malformed_token",
            OidcError::UnsupportedAlgorithm { .. } => "oidc_unsupported_algorithm",
            OidcError::UnknownKey { .. } => "oidc_unknown_key",
            OidcError::BadSignature => "oidc_bad_signature",
            OidcError::WrongIssuer { .. } => "oidc_wrong_issuer",
            OidcError::WrongAudience => "oidc_wrong_audience",
            OidcError::WrongAuthorizedParty => "oidc_wrong_authorized_party",
            OidcError::Expired => "oidc_expired",
            OidcError::IssuedInFuture => "oidc_issued_in_future",
            OidcError::NonceMismatch => "oidc_nonce_mismatch",
        }
    }

    /// What went wrong underneath, for the log; `None` when the code says it all.
    pub fn detail(&self) -> Option<String> {
        match self {
            OidcError::InvalidConfig { detail }
            | OidcError::DiscoveryFailed { detail }
            | OidcError::IssuerMismatch { detail }
            | OidcError::JwksFailed { detail }
            | OidcError::BadPending { detail }
            | OidcError::TokenRequestFailed { detail }
            | OidcError::MalformedToken { detail } => Some(detail.clone()),
            OidcError::ProviderError { error, description } => Some(match description {
                Some(d) => format!("{error}: {d}"),
                None => error.clone(),
            }),
            OidcError::UnsupportedAlgorithm { alg } => Some(format!("alg {alg}")),
            OidcError::UnknownKey { kid } => Some(format!("kid {kid:?}")),
            OidcError::WrongIssuer { found } => Some(format!("issuer {found}")),
            OidcError::FlowExpired
            | OidcError::StateMismatch
            | OidcError::MissingCode
            | OidcError::BadSignature
            | OidcError::WrongAudience
            | OidcError::WrongAuthorizedParty
            | OidcError::Expired
            | OidcError::IssuedInFuture
            | OidcError::NonceMismatch => None,
        }
    }

    /// True when the fault is the provider's or the network's (a gateway
    /// failure), false when the callback or the token was refused.
    pub fn is_upstream(&self) -> bool {
        matches!(
            self,
            OidcError::InvalidConfig { .. }
                | OidcError::DiscoveryFailed { .. }
                | OidcError::IssuerMismatch { .. }
                | OidcError::JwksFailed { .. }
                | OidcError::TokenRequestFailed { .. }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_prefixed_snake_case_and_messages_are_sentences() {
        let all = [
            OidcError::InvalidConfig { detail: String::new() },
            OidcError::DiscoveryFailed { detail: String::new() },
            OidcError::IssuerMismatch { detail: String::new() },
            OidcError::JwksFailed { detail: String::new() },
            OidcError::BadPending { detail: String::new() },
            OidcError::FlowExpired,
            OidcError::StateMismatch,
            OidcError::ProviderError { error: "access_denied".into(), description: None },
            OidcError::MissingCode,
            OidcError::TokenRequestFailed { detail: String::new() },
            OidcError::MalformedToken { detail: String::new() },
            OidcError::UnsupportedAlgorithm { alg: "none".into() },
            OidcError::UnknownKey { kid: None },
            OidcError::BadSignature,
            OidcError::WrongIssuer { found: String::new() },
            OidcError::WrongAudience,
            OidcError::WrongAuthorizedParty,
            OidcError::Expired,
            OidcError::IssuedInFuture,
            OidcError::NonceMismatch,
        ];
        let mut codes: Vec<&str> = all.iter().map(OidcError::code).collect();
        for (e, code) in all.iter().zip(&codes) {
            assert!(code.starts_with("oidc_") && code.chars().all(|c| c.is_ascii_lowercase() || c == '_'), "{code}");
            let msg = e.to_string();
            assert!(msg.ends_with('.') && msg.starts_with(|c: char| c.is_ascii_uppercase()), "{msg}");
        }
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), all.len(), "codes are distinct");
    }
}
