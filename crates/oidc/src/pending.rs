//! A sign-in that has started and not yet come back: the secrets the callback
//! is checked against. The caller keeps it (in a signed and encrypted cookie,
//! or server-side) between the redirect to the provider and the callback.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use firebreak_domain::Timestamp;
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

use crate::error::OidcError;

/// Fresh random text: 32 bytes from the system's secure generator, base64url
/// (43 characters, all of them allowed in a PKCE code verifier).
pub(crate) fn random_token() -> String {
    let mut bytes = [0u8; 32];
    // aws-lc's generator only fails when the operating system cannot give randomness at all.
    aws_lc_rs::rand::fill(&mut bytes).expect("the system's random number generator works");
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The PKCE S256 challenge of a verifier: base64url(SHA-256(verifier)).
pub fn pkce_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, verifier.as_bytes()))
}

/// The secrets of one sign-in attempt. It holds a PKCE verifier: keep it away
/// from the browser in clear (encrypt the cookie, or store it server-side).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    state: String,
    nonce: String,
    code_verifier: String,
    /// When the attempt started, in milliseconds since the epoch.
    created_at_ms: i64,
}

impl std::fmt::Debug for Pending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pending").field("created_at_ms", &self.created_at_ms).finish_non_exhaustive()
    }
}

impl Pending {
    pub(crate) fn new(created_at: Timestamp) -> Pending {
        Pending {
            state: random_token(),
            nonce: random_token(),
            code_verifier: random_token(),
            created_at_ms: created_at.unix_millis(),
        }
    }

    /// The `state` sent to the provider, e.g. to key a server-side store.
    pub fn state(&self) -> &str {
        &self.state
    }

    pub(crate) fn nonce(&self) -> &str {
        &self.nonce
    }

    pub(crate) fn code_verifier(&self) -> &str {
        &self.code_verifier
    }

    /// When the attempt started.
    pub fn created_at(&self) -> Timestamp {
        // `decode` refuses a time out of range, so the fallback is never taken.
        Timestamp::from_unix_millis(self.created_at_ms).unwrap_or(Timestamp::EPOCH)
    }

    /// Compares a callback's `state` with this attempt's, in constant time.
    pub fn state_matches(&self, state: &str) -> bool {
        self.state.as_bytes().ct_eq(state.as_bytes()).into()
    }

    /// The attempt as one URL- and cookie-safe string (base64url of JSON).
    /// It is not protected: sign and encrypt it before it leaves the server.
    pub fn encode(&self) -> String {
        let json = serde_json::to_vec(self).expect("a Pending serialises");
        URL_SAFE_NO_PAD.encode(json)
    }

    /// Reads back what [`Pending::encode`] made.
    pub fn decode(text: &str) -> Result<Pending, OidcError> {
        let bad = |detail: &str| OidcError::BadPending { detail: detail.to_owned() };
        if text.len() > 4096 {
            return Err(bad("too long"));
        }
        let json = URL_SAFE_NO_PAD.decode(text).map_err(|_| bad("not base64url"))?;
        let pending: Pending = serde_json::from_slice(&json).map_err(|_| bad("not a pending sign-in"))?;
        if pending.state.is_empty() || pending.nonce.is_empty() || pending.code_verifier.len() < 43 {
            return Err(bad("a secret is missing or too short"));
        }
        if Timestamp::from_unix_millis(pending.created_at_ms).is_err() {
            return Err(bad("the start time is out of range"));
        }
        Ok(pending)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_and_decodes() {
        let p = Pending::new(Timestamp::from_unix_millis(1_700_000_000_000).unwrap());
        let text = p.encode();
        assert!(text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        assert_eq!(Pending::decode(&text).unwrap(), p);
        assert_eq!(p.created_at().unix_millis(), 1_700_000_000_000);
        for bad in ["", "!!", "e30", &"A".repeat(5000)] {
            assert_eq!(Pending::decode(bad).unwrap_err().code(), "oidc_bad_pending");
        }
    }

    #[test]
    fn secrets_are_fresh_and_the_debug_output_hides_them() {
        let a = Pending::new(Timestamp::now());
        let b = Pending::new(Timestamp::now());
        assert_ne!(a.state, b.state);
        assert_ne!(a.nonce, a.state);
        assert_eq!(a.code_verifier.len(), 43);
        let debug = format!("{a:?}");
        assert!(!debug.contains(&a.state) && !debug.contains(&a.code_verifier) && !debug.contains(&a.nonce));
        assert!(a.state_matches(&a.state.clone()));
        assert!(!a.state_matches(&b.state));
        assert!(!a.state_matches(""));
    }

    #[test]
    fn pkce_challenge_matches_rfc_7636_appendix_b() {
        assert_eq!(
            pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }
}
