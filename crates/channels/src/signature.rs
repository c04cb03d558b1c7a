//! HMAC-SHA256 signatures on webhook bodies, shared by X (base64) and Meta
//! (hex). The comparison is constant-time, and an unconfigured (empty) secret
//! is an error of its own: a webhook with no secret is refused, never trusted.

use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// Why a webhook delivery's signature was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// No secret is configured for this webhook, so nothing can be verified.
    #[error("no secret is configured for this webhook, so its deliveries are refused")]
    NoSecret,
    /// The request carries no signature header.
    #[error("the request has no signature header")]
    MissingHeader,
    /// The header does not start with `sha256=`.
    #[error("the signature header does not start with `sha256=`")]
    WrongPrefix,
    /// The part after `sha256=` is not valid base64 (X) or hex (Meta).
    #[error("the signature is not correctly encoded")]
    BadEncoding,
    /// The signature does not match the body.
    #[error("the signature does not match the body")]
    Mismatch,
}

impl SignatureError {
    /// The stable code for this error.
    pub fn code(self) -> &'static str {
        match self {
            SignatureError::NoSecret => "webhook_secret_missing",
            SignatureError::MissingHeader => "signature_missing",
            SignatureError::WrongPrefix => "signature_wrong_prefix",
            SignatureError::BadEncoding => "signature_bad_encoding",
            SignatureError::Mismatch => "signature_mismatch",
        }
    }
}

/// How the digest is written after `sha256=`.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Encoding {
    Base64,
    Hex,
}

pub(crate) const PREFIX: &str = "sha256=";

/// HMAC-SHA256 of `data` under `secret`, refusing an empty secret.
pub(crate) fn hmac_sha256(secret: &[u8], data: &[u8]) -> Result<[u8; 32], SignatureError> {
    if secret.is_empty() {
        return Err(SignatureError::NoSecret);
    }
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).map_err(|_| SignatureError::NoSecret)?;
    mac.update(data);
    Ok(mac.finalize().into_bytes().into())
}

/// Checks a `sha256=<digest>` header against `body`.
pub(crate) fn verify(
    secret: &[u8],
    body: &[u8],
    header: Option<&str>,
    encoding: Encoding,
) -> Result<(), SignatureError> {
    let expected = hmac_sha256(secret, body)?;
    let header = header.map(str::trim).filter(|h| !h.is_empty()).ok_or(SignatureError::MissingHeader)?;
    let digest = header.strip_prefix(PREFIX).ok_or(SignatureError::WrongPrefix)?;
    let given = match encoding {
        Encoding::Base64 => base64::engine::general_purpose::STANDARD.decode(digest).ok(),
        Encoding::Hex => hex::decode(digest).ok(),
    }
    .ok_or(SignatureError::BadEncoding)?;
    // The lengths are public; the comparison of the bytes is constant-time.
    if bool::from(expected.as_slice().ct_eq(given.as_slice())) { Ok(()) } else { Err(SignatureError::Mismatch) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231_case_2() {
        // RFC 4231, test case 2: key "Jefe", data "what do ya want for nothing?".
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?").unwrap();
        assert_eq!(hex::encode(mac), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }

    #[test]
    fn an_empty_secret_is_no_secret() {
        assert_eq!(hmac_sha256(b"", b"x"), Err(SignatureError::NoSecret));
        assert_eq!(verify(b"", b"x", Some("sha256=00"), Encoding::Hex), Err(SignatureError::NoSecret));
    }

    proptest::proptest! {
        #[test]
        fn verify_never_panics(secret in proptest::collection::vec(proptest::num::u8::ANY, 0..40),
                               body in proptest::collection::vec(proptest::num::u8::ANY, 0..100),
                               header in proptest::option::of(".{0,80}")) {
            let _ = verify(&secret, &body, header.as_deref(), Encoding::Hex);
            let _ = verify(&secret, &body, header.as_deref(), Encoding::Base64);
        }
    }
}
