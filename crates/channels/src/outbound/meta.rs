//! The Graph API transport for a Facebook Page: a public reply is a comment,
//! `POST /{version}/{comment_id}/comments` with JSON `{"message": ...}`; a
//! private reply goes through the Messenger Send API,
//! `POST /{version}/me/messages`, either to a PSID
//! (`recipient: {"id": ...}`, `messaging_type: "RESPONSE"`) or, when the
//! reply has no recipient, as a private reply to the comment `in_reply_to`
//! (`recipient: {"comment_id": ...}`).
//!
//! The page access token travels as `Authorization: Bearer`, never in the
//! URL, so it cannot leak through a logged URL; `appsecret_proof` (hex
//! HMAC-SHA256 of the token under the app secret) is added to the query when
//! an app secret is configured. Graph error bodies
//! (`{"error":{"message","type","code","fbtrace_id"}}`) are classified: codes
//! 4, 17, 32, 613 and 80001–80014 are rate limits, codes 1 and 2 and errors
//! marked `is_transient` are temporary, 190 and 102 (and HTTP 401) are
//! refused credentials; any other 4xx is rejected, any 5xx unavailable.

use std::time::SystemTime;

use hmac::{Hmac, Mac};
use reqwest::{Method, header};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::Sha256;

use super::{
    Delivered, OutboundReply,
    config::{MetaConfig, present, timeout},
    error::{NotConfigured, Platform, SendError, bounded},
    http::{self, Answer},
};

const TRANSPORT: &str = "Meta Graph API";

/// Sends replies through the Graph API as a Facebook Page.
#[derive(Debug, Clone)]
pub struct MetaTransport {
    config: MetaConfig,
    base: String,
    client: reqwest::Client,
}

impl MetaTransport {
    /// Checks the base URL and the API version and builds the HTTP client.
    /// A missing token is reported by [`MetaTransport::can_send`].
    pub fn new(config: &MetaConfig) -> Result<MetaTransport, NotConfigured> {
        let version = config.api_version.trim();
        let valid = version
            .strip_prefix('v')
            .and_then(|v| v.split_once('.'))
            .is_some_and(|(a, b)| [a, b].iter().all(|p| !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit())));
        if !valid {
            return Err(NotConfigured::Invalid {
                transport: TRANSPORT,
                problem: format!("`api_version` must look like `v21.0`, not `{}`", bounded(version)),
            });
        }
        let base = http::base_url(TRANSPORT, &config.base_url)?;
        Ok(MetaTransport {
            base: format!("{base}/{version}"),
            client: http::client(TRANSPORT, timeout(config.timeout_secs))?,
            config: config.clone(),
        })
    }

    /// Whether a page access token is configured.
    pub fn can_send(&self) -> Result<(), NotConfigured> {
        self.token().map(|_| ())
    }

    fn token(&self) -> Result<&str, NotConfigured> {
        present(&self.config.page_access_token)
            .ok_or(NotConfigured::Missing { transport: TRANSPORT, missing: "set `page_access_token`" })
    }

    /// Comments under the comment (or post) `in_reply_to`.
    pub async fn comment(&self, reply: &OutboundReply) -> Result<Delivered, SendError> {
        let parent = reply.in_reply_to.as_ref().ok_or_else(|| {
            SendError::invalid(
                "missing_in_reply_to",
                "a public reply on Facebook needs the id of the comment or post it answers",
            )
        })?;
        let parent = http::path_segment("comment id", parent.as_str())?;
        let answer = self.post(&format!("/{parent}/comments"), &json!({"message": reply.text})).await?;
        let id = read(&answer)?;
        Ok(Delivered { external_id: http::external_id(Platform::Meta, "id", id.get("id").and_then(Value::as_str))? })
    }

    /// Sends a Messenger message to the PSID `recipient`, or, without one, a
    /// private reply to the comment `in_reply_to`.
    pub async fn message(&self, reply: &OutboundReply) -> Result<Delivered, SendError> {
        let body = match (&reply.recipient, &reply.in_reply_to) {
            (Some(psid), _) => json!({
                "recipient": {"id": psid.as_str()},
                "messaging_type": "RESPONSE",
                "message": {"text": reply.text},
            }),
            (None, Some(comment)) => json!({
                "recipient": {"comment_id": comment.as_str()},
                "message": {"text": reply.text},
            }),
            (None, None) => {
                return Err(SendError::invalid(
                    "missing_recipient",
                    "a private reply on Facebook needs the recipient's PSID or the comment it answers",
                ));
            }
        };
        let answer = self.post("/me/messages", &body).await?;
        let value = read(&answer)?;
        let id = value.get("message_id").and_then(Value::as_str);
        Ok(Delivered { external_id: http::external_id(Platform::Meta, "message_id", id)? })
    }

    async fn post(&self, path: &str, body: &Value) -> Result<Answer, SendError> {
        let token = self.token()?;
        let mut request = self
            .client
            .request(Method::POST, format!("{}{path}", self.base))
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(body.to_string());
        if let Some(secret) = present(&self.config.app_secret) {
            request = request.query(&[("appsecret_proof", appsecret_proof(secret, token))]);
        }
        let answer = http::execute(Platform::Meta, request).await?;
        if answer.status.is_success() { Ok(answer) } else { Err(classify(&answer, SystemTime::now())) }
    }
}

/// `appsecret_proof`: hex HMAC-SHA256 of the access token under the app secret.
pub fn appsecret_proof(app_secret: &str, access_token: &str) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = Hmac::<Sha256>::new_from_slice(app_secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(access_token.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

fn read(answer: &Answer) -> Result<Value, SendError> {
    serde_json::from_slice::<Value>(&answer.body).ok().filter(Value::is_object).ok_or_else(|| {
        SendError::UnexpectedResponse { platform: Platform::Meta, detail: "the answer is not a JSON object".into() }
    })
}

#[derive(Deserialize)]
struct ErrorBody {
    error: GraphError,
}

#[derive(Deserialize)]
struct GraphError {
    message: Option<String>,
    code: Option<i64>,
    error_subcode: Option<i64>,
    fbtrace_id: Option<String>,
    #[serde(default)]
    is_transient: bool,
}

/// The error for an answer that is not a success.
pub(crate) fn classify(answer: &Answer, now: SystemTime) -> SendError {
    let status = answer.status.as_u16();
    let platform = Platform::Meta;
    let Ok(ErrorBody { error }) = serde_json::from_slice::<ErrorBody>(&answer.body) else {
        let detail = http::body_excerpt(answer);
        return match status {
            429 => SendError::RateLimited { platform, retry_after: http::retry_after(&answer.headers, now) },
            500..=599 => SendError::Unavailable { platform, status, detail },
            401 => SendError::Rejected { platform, status, code: "platform_unauthorized", detail },
            _ => SendError::Rejected { platform, status, code: "platform_rejected", detail },
        };
    };
    let code = error.code.unwrap_or_default();
    let mut detail = error.message.as_deref().map(bounded).unwrap_or_else(|| "no message".to_owned());
    detail.push_str(&format!(" (code {code}"));
    if let Some(sub) = error.error_subcode {
        detail.push_str(&format!(", subcode {sub}"));
    }
    if let Some(trace) = &error.fbtrace_id {
        detail.push_str(&format!(", fbtrace_id {}", bounded(trace)));
    }
    detail.push(')');
    if status == 429 || matches!(code, 4 | 17 | 32 | 613 | 80001..=80014) {
        return SendError::RateLimited { platform, retry_after: http::retry_after(&answer.headers, now) };
    }
    if status >= 500 || error.is_transient || matches!(code, 1 | 2) {
        return SendError::Unavailable { platform, status, detail };
    }
    if status == 401 || matches!(code, 102 | 190) {
        return SendError::Rejected { platform, status, code: "platform_unauthorized", detail };
    }
    SendError::Rejected { platform, status, code: "platform_rejected", detail }
}

#[cfg(test)]
mod tests {
    use reqwest::{StatusCode, header::HeaderMap};

    use super::*;

    fn answer(status: u16, body: &str) -> Answer {
        Answer {
            status: StatusCode::from_u16(status).unwrap(),
            headers: HeaderMap::new(),
            body: body.as_bytes().to_vec(),
        }
    }

    fn graph(code: i64) -> String {
        format!(r#"{{"error":{{"message":"m","type":"OAuthException","code":{code},"fbtrace_id":"AbC"}}}}"#)
    }

    #[test]
    fn graph_errors_are_classified() {
        let now = SystemTime::now();
        for code in [4, 17, 32, 613, 80006] {
            assert_eq!(classify(&answer(400, &graph(code)), now).code(), "rate_limited", "code {code}");
        }
        assert_eq!(classify(&answer(500, &graph(2)), now).code(), "platform_unavailable");
        assert_eq!(classify(&answer(400, &graph(190)), now).code(), "platform_unauthorized");
        let e = classify(&answer(400, &graph(100)), now);
        assert_eq!(e.to_string(), "the Graph API refused the reply (400): m (code 100, fbtrace_id AbC)");
        assert!(!e.is_transient());
        assert!(classify(&answer(502, "Bad Gateway"), now).is_transient());
    }

    #[test]
    fn versions_are_checked() {
        let bad = MetaConfig { api_version: "21".into(), ..MetaConfig::default() };
        assert_eq!(MetaTransport::new(&bad).unwrap_err().code(), "transport_misconfigured");
        let t = MetaTransport::new(&MetaConfig::default()).unwrap();
        assert_eq!(t.can_send().unwrap_err().code(), "credential_missing");
    }

    #[test]
    fn proof_is_hex_hmac_sha256() {
        // HMAC-SHA256 with key "key" over the pangram, a well-known vector.
        assert_eq!(
            appsecret_proof("key", "The quick brown fox jumps over the lazy dog"),
            "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
        );
    }
}
