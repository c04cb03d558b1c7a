//! The provider's signing keys (a JSON Web Key Set, RFC 7517) and signature
//! checks with them: RS256 (RSASSA-PKCS1-v1_5 with SHA-256) and ES256 (ECDSA
//! on P-256 with SHA-256), verified by aws-lc-rs.

use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED, RSA_PKCS1_2048_8192_SHA256, RsaPublicKeyComponents, UnparsedPublicKey,
};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;

/// A JWS algorithm this crate accepts for ID tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Alg {
    Rs256,
    Es256,
}

impl Alg {
    pub(crate) fn parse(name: &str) -> Option<Alg> {
        match name {
            "RS256" => Some(Alg::Rs256),
            "ES256" => Some(Alg::Es256),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Alg::Rs256 => "RS256",
            Alg::Es256 => "ES256",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum PublicKey {
    /// Modulus and exponent, big-endian.
    Rsa { n: Vec<u8>, e: Vec<u8> },
    /// The uncompressed point `04 || x || y`.
    P256 { point: Vec<u8> },
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Key {
    kid: Option<String>,
    /// The `alg` the key is restricted to, when the set says so.
    alg: Option<String>,
    public: PublicKey,
}

impl Key {
    fn fits(&self, alg: Alg) -> bool {
        let kind_fits =
            matches!((&self.public, alg), (PublicKey::Rsa { .. }, Alg::Rs256) | (PublicKey::P256 { .. }, Alg::Es256));
        kind_fits && self.alg.as_deref().is_none_or(|a| a == alg.name())
    }

    fn verify(&self, alg: Alg, message: &[u8], signature: &[u8]) -> bool {
        match (&self.public, alg) {
            (PublicKey::Rsa { n, e }, Alg::Rs256) => RsaPublicKeyComponents { n: n.as_slice(), e: e.as_slice() }
                .verify(&RSA_PKCS1_2048_8192_SHA256, message, signature)
                .is_ok(),
            (PublicKey::P256 { point }, Alg::Es256) => {
                UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, point).verify(message, signature).is_ok()
            }
            _ => false,
        }
    }
}

/// The outcome of looking a token's key up in a key set.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    Valid,
    BadSignature,
    /// No key in the set has this `kid` (or, without a `kid`, no single key fits).
    UnknownKey,
}

/// The usable signing keys of a provider; keys of other kinds, or for
/// encryption, are left out when the set is parsed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct KeySet {
    keys: Vec<Key>,
}

#[derive(Deserialize)]
struct RawSet {
    keys: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
struct RawKey {
    kty: String,
    #[serde(rename = "use")]
    use_: Option<String>,
    kid: Option<String>,
    alg: Option<String>,
    n: Option<String>,
    e: Option<String>,
    crv: Option<String>,
    x: Option<String>,
    y: Option<String>,
}

fn b64(field: Option<&String>) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(field?.trim_end_matches('=')).ok()
}

impl RawKey {
    fn into_key(self) -> Option<Key> {
        if self.use_.as_deref().is_some_and(|u| u != "sig") {
            return None;
        }
        let public = match self.kty.as_str() {
            "RSA" => {
                let n = b64(self.n.as_ref())?;
                let e = b64(self.e.as_ref())?;
                if n.is_empty() || e.is_empty() {
                    return None;
                }
                PublicKey::Rsa { n, e }
            }
            "EC" if self.crv.as_deref() == Some("P-256") => {
                let x = b64(self.x.as_ref())?;
                let y = b64(self.y.as_ref())?;
                if x.len() != 32 || y.len() != 32 {
                    return None;
                }
                let mut point = Vec::with_capacity(65);
                point.push(4);
                point.extend_from_slice(&x);
                point.extend_from_slice(&y);
                PublicKey::P256 { point }
            }
            _ => return None,
        };
        Some(Key { kid: self.kid, alg: self.alg, public })
    }
}

impl KeySet {
    /// Reads a JWKS document, keeping the keys this crate can verify with.
    pub(crate) fn parse(json: &[u8]) -> Result<KeySet, String> {
        let raw: RawSet = serde_json::from_slice(json).map_err(|e| format!("the key set is not a JWKS: {e}"))?;
        let keys = raw
            .keys
            .into_iter()
            .filter_map(|v| serde_json::from_value::<RawKey>(v).ok())
            .filter_map(RawKey::into_key)
            .collect();
        Ok(KeySet { keys })
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Checks `signature` over `message` with the key named `kid`; without a
    /// `kid`, with the only key that fits the algorithm.
    pub(crate) fn verify(&self, kid: Option<&str>, alg: Alg, message: &[u8], signature: &[u8]) -> Verdict {
        let key = match kid {
            Some(kid) => self.keys.iter().find(|k| k.kid.as_deref() == Some(kid) && k.fits(alg)),
            None => {
                let mut fitting = self.keys.iter().filter(|k| k.fits(alg));
                match (fitting.next(), fitting.next()) {
                    (Some(only), None) => Some(only),
                    _ => None,
                }
            }
        };
        match key {
            None => Verdict::UnknownKey,
            Some(key) if key.verify(alg, message, signature) => Verdict::Valid,
            Some(_) => Verdict::BadSignature,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_signing_keys_it_can_use_and_drops_the_rest() {
        let x = URL_SAFE_NO_PAD.encode([1u8; 32]);
        let json = serde_json::json!({"keys": [
            {"kty": "RSA", "kid": "r", "n": "AQAB", "e": "AQAB"},
            {"kty": "RSA", "kid": "enc", "use": "enc", "n": "AQAB", "e": "AQAB"},
            {"kty": "EC", "kid": "e", "crv": "P-256", "x": x, "y": x},
            {"kty": "EC", "kid": "p384", "crv": "P-384", "x": x, "y": x},
            {"kty": "OKP", "kid": "ed", "crv": "Ed25519", "x": x},
            {"kty": "RSA", "kid": "broken", "n": "!!", "e": "AQAB"},
            "not an object"
        ]});
        let set = KeySet::parse(json.to_string().as_bytes()).unwrap();
        let kids: Vec<_> = set.keys.iter().map(|k| k.kid.clone().unwrap()).collect();
        assert_eq!(kids, ["r", "e"]);
    }

    #[test]
    fn a_key_restricted_to_another_alg_or_kind_is_not_used() {
        let set = KeySet::parse(br#"{"keys":[{"kty":"RSA","kid":"r","alg":"RS512","n":"AQAB","e":"AQAB"}]}"#).unwrap();
        assert_eq!(set.verify(Some("r"), Alg::Rs256, b"m", b"s"), Verdict::UnknownKey);
        assert_eq!(set.verify(Some("r"), Alg::Es256, b"m", b"s"), Verdict::UnknownKey);
        assert_eq!(set.verify(None, Alg::Rs256, b"m", b"s"), Verdict::UnknownKey);
    }

    #[test]
    fn not_a_key_set_is_an_error() {
        assert!(KeySet::parse(b"[]").is_err());
        assert!(KeySet::parse(b"{\"keys\": 3}").is_err());
    }
}
