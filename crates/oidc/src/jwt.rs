//! The ID token: a compact JWS (RFC 7515) read into its header, signing input,
//! signature and claims, and the claim checks of OpenID Connect Core 3.1.3.7.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Deserializer};
use subtle::ConstantTimeEq;

use crate::error::OidcError;
use crate::jwks::Alg;

/// The largest ID token read; real ones are a few kilobytes.
const MAX_TOKEN_BYTES: usize = 64 * 1024;

/// A compact JWS split into its parts, not yet verified.
#[derive(Debug)]
pub(crate) struct Jws<'a> {
    pub alg: Alg,
    pub kid: Option<String>,
    /// `header.payload`, the bytes the signature covers.
    pub signing_input: &'a [u8],
    pub signature: Vec<u8>,
    payload: Vec<u8>,
}

#[derive(Deserialize)]
struct Header {
    alg: String,
    kid: Option<String>,
    crit: Option<serde_json::Value>,
}

fn malformed(detail: impl Into<String>) -> OidcError {
    OidcError::MalformedToken { detail: detail.into() }
}

fn decode(part: &str, what: &str) -> Result<Vec<u8>, OidcError> {
    URL_SAFE_NO_PAD.decode(part).map_err(|_| malformed(format!("the {what} is not base64url")))
}

impl<'a> Jws<'a> {
    pub(crate) fn parse(token: &'a str) -> Result<Jws<'a>, OidcError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(malformed("the token is too large"));
        }
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(malformed("the token does not have three parts"));
        };
        let header: Header = serde_json::from_slice(&decode(header, "header")?)
            .map_err(|e| malformed(format!("the header is not a JOSE header: {e}")))?;
        let alg = Alg::parse(&header.alg).ok_or(OidcError::UnsupportedAlgorithm { alg: header.alg.clone() })?;
        if header.crit.is_some() {
            return Err(malformed("the header has critical extensions"));
        }
        let signing_input = &token.as_bytes()[..token.len() - signature.len() - 1];
        Ok(Jws {
            alg,
            kid: header.kid,
            signing_input,
            signature: decode(signature, "signature")?,
            payload: decode(payload, "payload")?,
        })
    }

    /// The claims; call only after the signature has been verified.
    pub(crate) fn claims(&self) -> Result<IdTokenClaims, OidcError> {
        serde_json::from_slice(&self.payload).map_err(|e| malformed(format!("the claims are not an ID token: {e}")))
    }
}

/// `aud`: one string or an array of strings.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
}

/// The claims of an ID token that this crate reads.
#[derive(Debug, Deserialize)]
pub(crate) struct IdTokenClaims {
    pub iss: String,
    pub sub: String,
    aud: Audience,
    azp: Option<String>,
    #[serde(deserialize_with = "numeric_date")]
    exp: i64,
    #[serde(deserialize_with = "numeric_date")]
    iat: i64,
    nonce: Option<String>,
    pub email: Option<String>,
    #[serde(default, deserialize_with = "lenient_bool")]
    pub email_verified: bool,
    pub name: Option<String>,
}

/// A NumericDate: seconds since the epoch, which a few providers write with a fraction.
fn numeric_date<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    let n = serde_json::Number::deserialize(d)?;
    n.as_i64()
        .or_else(|| n.as_f64().filter(|f| f.is_finite()).map(|f| f.floor() as i64))
        .ok_or_else(|| serde::de::Error::custom("a date out of range"))
}

/// `email_verified`: a boolean, or the strings "true"/"false" that some providers send.
fn lenient_bool<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    match serde_json::Value::deserialize(d)? {
        serde_json::Value::Bool(b) => Ok(b),
        serde_json::Value::String(s) if s == "true" => Ok(true),
        serde_json::Value::String(s) if s == "false" => Ok(false),
        serde_json::Value::Null => Ok(false),
        other => Err(serde::de::Error::custom(format!("email_verified is {other}"))),
    }
}

/// What the claims are checked against.
pub(crate) struct Expected<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub nonce: &'a str,
    /// Now, in seconds since the epoch.
    pub now: i64,
    pub skew_seconds: i64,
}

impl IdTokenClaims {
    pub(crate) fn check(&self, expected: &Expected<'_>) -> Result<(), OidcError> {
        if self.iss != expected.issuer {
            return Err(OidcError::WrongIssuer { found: self.iss.clone() });
        }
        let audiences: &[String] = match &self.aud {
            Audience::One(a) => std::slice::from_ref(a),
            Audience::Many(list) => list,
        };
        if !audiences.iter().any(|a| a == expected.client_id) {
            return Err(OidcError::WrongAudience);
        }
        match &self.azp {
            Some(azp) if azp != expected.client_id => return Err(OidcError::WrongAuthorizedParty),
            None if audiences.len() > 1 => return Err(OidcError::WrongAuthorizedParty),
            _ => {}
        }
        if expected.now > self.exp.saturating_add(expected.skew_seconds) {
            return Err(OidcError::Expired);
        }
        if self.iat > expected.now.saturating_add(expected.skew_seconds) {
            return Err(OidcError::IssuedInFuture);
        }
        let nonce_matches =
            self.nonce.as_deref().is_some_and(|n| bool::from(n.as_bytes().ct_eq(expected.nonce.as_bytes())));
        if !nonce_matches {
            return Err(OidcError::NonceMismatch);
        }
        if self.sub.is_empty() {
            return Err(malformed("the subject is empty"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(header: &serde_json::Value, claims: &serde_json::Value) -> String {
        format!(
            "{}.{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string()),
            URL_SAFE_NO_PAD.encode(b"sig")
        )
    }

    fn claims(extra: serde_json::Value) -> IdTokenClaims {
        let mut c = serde_json::json!({
            "iss": "https://id.example", "sub": "u1", "aud": "client", "exp": 1_000, "iat": 900, "nonce": "n"
        });
        for (k, v) in extra.as_object().unwrap() {
            c[k] = v.clone();
        }
        serde_json::from_value(c).unwrap()
    }

    const EXPECTED: Expected<'static> =
        Expected { issuer: "https://id.example", client_id: "client", nonce: "n", now: 950, skew_seconds: 60 };

    #[test]
    fn splits_a_token_and_keeps_the_signing_input() {
        let t = token(&serde_json::json!({"alg": "RS256", "kid": "k"}), &serde_json::json!({"sub": "x"}));
        let jws = Jws::parse(&t).unwrap();
        assert_eq!(jws.alg, Alg::Rs256);
        assert_eq!(jws.kid.as_deref(), Some("k"));
        assert_eq!(jws.signature, b"sig");
        assert_eq!(jws.signing_input, t.rsplit_once('.').unwrap().0.as_bytes());
    }

    #[test]
    fn refuses_alg_none_hmac_and_malformed_tokens() {
        for alg in ["none", "HS256", "RS512", "PS256"] {
            let t = token(&serde_json::json!({"alg": alg}), &serde_json::json!({}));
            assert_eq!(Jws::parse(&t).unwrap_err().code(), "oidc_unsupported_algorithm", "{alg}");
        }
        for bad in ["", "a.b", "a.b.c.d", "!!.e30.e30", "e30.e30.e30"] {
            assert!(Jws::parse(bad).is_err(), "{bad}");
        }
        let crit = token(&serde_json::json!({"alg": "RS256", "crit": ["exp"]}), &serde_json::json!({}));
        assert_eq!(Jws::parse(&crit).unwrap_err().code(), "oidc_malformed_token");
    }

    #[test]
    fn a_good_token_passes() {
        claims(serde_json::json!({})).check(&EXPECTED).unwrap();
        claims(serde_json::json!({"aud": ["client", "other"], "azp": "client"})).check(&EXPECTED).unwrap();
        // Within the skew on both sides.
        claims(serde_json::json!({"exp": 900, "iat": 1_000})).check(&EXPECTED).unwrap();
    }

    #[test]
    fn each_claim_is_checked() {
        let cases = [
            (serde_json::json!({"iss": "https://id.example/"}), "oidc_wrong_issuer"),
            (serde_json::json!({"aud": "other"}), "oidc_wrong_audience"),
            (serde_json::json!({"aud": ["other", "third"]}), "oidc_wrong_audience"),
            (serde_json::json!({"aud": ["client", "other"]}), "oidc_wrong_authorized_party"),
            (serde_json::json!({"azp": "other"}), "oidc_wrong_authorized_party"),
            (serde_json::json!({"exp": 889}), "oidc_expired"),
            (serde_json::json!({"iat": 1_011}), "oidc_issued_in_future"),
            (serde_json::json!({"nonce": "m"}), "oidc_nonce_mismatch"),
            (serde_json::json!({"nonce": null}), "oidc_nonce_mismatch"),
            (serde_json::json!({"sub": ""}), "oidc_malformed_token"),
        ];
        for (extra, code) in cases {
            let err = claims(extra.clone()).check(&EXPECTED).unwrap_err();
            assert_eq!(err.code(), code, "{extra}");
        }
    }

    #[test]
    fn email_verified_and_dates_are_read_leniently() {
        let c = claims(serde_json::json!({"email_verified": "true", "exp": 1000.7}));
        assert!(c.email_verified);
        assert_eq!(c.exp, 1000);
        assert!(!claims(serde_json::json!({})).email_verified);
        assert!(!claims(serde_json::json!({"email_verified": "false"})).email_verified);
    }
}
