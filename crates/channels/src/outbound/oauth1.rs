//! OAuth 1.0a request signing (RFC 5849, HMAC-SHA1), as X's user-context
//! authentication wants it: the `Authorization: OAuth ...` header.
//!
//! The signature base string is the method, the base URL (scheme and host
//! lower-cased, default port dropped, no query) and the sorted, percent-encoded
//! parameters: the `oauth_*` ones, the URL's query and any form body
//! parameters. A JSON body is not a parameter and is not signed. The signing
//! key is `consumer_secret&token_secret`, each percent-encoded.
//! Percent-encoding is RFC 3986's: everything but `A-Z a-z 0-9 - . _ ~`.

use base64::Engine;
use hmac::{Hmac, Mac};
use reqwest::Url;
use sha1::Sha1;

/// The four credentials of OAuth 1.0a user context.
#[derive(Clone, Copy)]
pub struct OAuth1Keys<'a> {
    pub consumer_key: &'a str,
    pub consumer_secret: &'a str,
    pub token: &'a str,
    pub token_secret: &'a str,
}

/// The per-request values that make a signature unique; injected so a
/// signature can be tested against a known answer.
#[derive(Debug, Clone)]
pub struct Nonce {
    pub nonce: String,
    pub timestamp: u64,
}

impl Nonce {
    /// A fresh nonce (32 random bytes, as 43 URL-safe characters) and the
    /// current time. Falls back to a nonce from the time and a counter if
    /// the operating system has no randomness to give.
    pub fn fresh() -> Nonce {
        let timestamp =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default();
        let mut bytes = [0u8; 32];
        if getrandom::fill(&mut bytes).is_err() {
            use std::sync::atomic::{AtomicU64, Ordering};
            static COUNTER: AtomicU64 = AtomicU64::new(0);
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or_default();
            bytes[..16].copy_from_slice(&nanos.to_le_bytes());
            bytes[16..24].copy_from_slice(&n.to_le_bytes());
        }
        let nonce: String = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(bytes)
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect();
        Nonce { nonce, timestamp }
    }
}

/// Percent-encodes per RFC 3986 (section 3.6 of RFC 5849).
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The base string URI: scheme and host lower-cased, the port only when it is
/// not the scheme's default, the path, no query or fragment.
fn base_uri(url: &Url) -> String {
    let scheme = url.scheme().to_ascii_lowercase();
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    // `Url` already drops a port that is the scheme's default.
    let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
    format!("{scheme}://{host}{port}{}", url.path())
}

/// The `oauth_*` parameters other than the signature, in order.
fn protocol_params<'a>(keys: &OAuth1Keys<'a>, nonce: &'a Nonce, timestamp: &'a str) -> [(&'a str, &'a str); 6] {
    [
        ("oauth_consumer_key", keys.consumer_key),
        ("oauth_nonce", nonce.nonce.as_str()),
        ("oauth_signature_method", "HMAC-SHA1"),
        ("oauth_timestamp", timestamp),
        ("oauth_token", keys.token),
        ("oauth_version", "1.0"),
    ]
}

/// The signature base string of a request.
pub fn base_string(method: &str, url: &Url, params: &[(&str, &str)]) -> String {
    let query: Vec<(String, String)> = url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    let mut encoded: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| (percent_encode(k), percent_encode(v)))
        .chain(query.iter().map(|(k, v)| (percent_encode(k), percent_encode(v))))
        .collect();
    encoded.sort();
    let joined = encoded.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&");
    format!("{}&{}&{}", method.to_ascii_uppercase(), percent_encode(&base_uri(url)), percent_encode(&joined))
}

/// The base64 HMAC-SHA1 signature of a request. `form` holds the parameters
/// of an `application/x-www-form-urlencoded` body (empty for JSON).
pub fn signature(keys: &OAuth1Keys<'_>, method: &str, url: &Url, form: &[(&str, &str)], nonce: &Nonce) -> String {
    let timestamp = nonce.timestamp.to_string();
    let mut params: Vec<(&str, &str)> = protocol_params(keys, nonce, &timestamp).to_vec();
    params.extend_from_slice(form);
    let base = base_string(method, url, &params);
    let key = format!("{}&{}", percent_encode(keys.consumer_secret), percent_encode(keys.token_secret));
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = Hmac::<Sha1>::new_from_slice(key.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(base.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// The value of the `Authorization` header for a request.
pub fn authorization_header(
    keys: &OAuth1Keys<'_>,
    method: &str,
    url: &Url,
    form: &[(&str, &str)],
    nonce: &Nonce,
) -> String {
    let sig = signature(keys, method, url, form, nonce);
    let timestamp = nonce.timestamp.to_string();
    let mut params: Vec<(&str, &str)> = protocol_params(keys, nonce, &timestamp).to_vec();
    params.push(("oauth_signature", &sig));
    params.sort();
    let fields: Vec<String> =
        params.iter().map(|(k, v)| format!("{}=\"{}\"", percent_encode(k), percent_encode(v))).collect();
    format!("OAuth {}", fields.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The worked example of X's "Creating a signature" page.
    fn example() -> (OAuth1Keys<'static>, Url, Nonce) {
        let keys = OAuth1Keys {
            consumer_key: "xvz1evFS4wEEPTGEFPHBog",
            consumer_secret: "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw",
            token: "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb",
            token_secret: "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE",
        };
        let url = Url::parse("https://api.twitter.com/1.1/statuses/update.json?include_entities=true").unwrap();
        let nonce = Nonce { nonce: "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg".into(), timestamp: 1318622958 };
        (keys, url, nonce)
    }

    const STATUS: (&str, &str) = ("status", "Hello Ladies + Gentlemen, a signed OAuth request!");

    #[test]
    fn matches_the_documented_base_string() {
        let (keys, url, nonce) = example();
        let ts = nonce.timestamp.to_string();
        let mut params = protocol_params(&keys, &nonce, &ts).to_vec();
        params.push(STATUS);
        assert_eq!(
            base_string("POST", &url, &params),
            "POST&https%3A%2F%2Fapi.twitter.com%2F1.1%2Fstatuses%2Fupdate.json&include_entities%3Dtrue%26\
             oauth_consumer_key%3Dxvz1evFS4wEEPTGEFPHBog%26oauth_nonce%3DkYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg%26\
             oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1318622958%26\
             oauth_token%3D370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb%26oauth_version%3D1.0%26\
             status%3DHello%2520Ladies%2520%252B%2520Gentlemen%252C%2520a%2520signed%2520OAuth%2520request%2521"
        );
    }

    #[test]
    fn matches_the_documented_signature() {
        let (keys, url, nonce) = example();
        assert_eq!(signature(&keys, "POST", &url, &[STATUS], &nonce), "hCtSmYh+iHYCEqBWrE7C7hYmtUk=");
        let header = authorization_header(&keys, "POST", &url, &[STATUS], &nonce);
        assert!(header.starts_with("OAuth oauth_consumer_key=\"xvz1evFS4wEEPTGEFPHBog\", oauth_nonce="));
        assert!(header.contains("oauth_signature=\"hCtSmYh%2BiHYCEqBWrE7C7hYmtUk%3D\""), "{header}");
        assert!(header.ends_with("oauth_version=\"1.0\""));
    }

    #[test]
    fn encoding_and_base_uri() {
        assert_eq!(percent_encode("Ladies + Gentlemen ☃~"), "Ladies%20%2B%20Gentlemen%20%E2%98%83~");
        assert_eq!(base_uri(&Url::parse("HTTPS://API.X.com:443/2/tweets?a=1").unwrap()), "https://api.x.com/2/tweets");
        assert_eq!(base_uri(&Url::parse("http://127.0.0.1:8080/2/tweets").unwrap()), "http://127.0.0.1:8080/2/tweets");
    }

    #[test]
    fn nonces_differ() {
        let (a, b) = (Nonce::fresh(), Nonce::fresh());
        assert_ne!(a.nonce, b.nonce);
        assert!(a.nonce.len() >= 32 && a.nonce.chars().all(|c| c.is_ascii_alphanumeric()));
    }
}
