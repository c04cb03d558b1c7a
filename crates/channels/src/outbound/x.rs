//! The X API v2 transport: a public reply is `POST /2/tweets` with
//! `reply.in_reply_to_tweet_id`; a private one is a direct message,
//! `POST /2/dm_conversations/with/{participant_id}/messages`.
//!
//! Authentication is OAuth 1.0a user context (signed per request, see
//! [`super::oauth1`]) or an OAuth 2.0 user access token sent as
//! `Authorization: Bearer`. Answers are classified as: 429 rate limited
//! (waiting `Retry-After`, else until `x-rate-limit-reset`), 5xx unavailable,
//! 401 unauthorized, 403 about duplicate content `duplicate_content` (X
//! refuses to post the same text twice, which is what a resend of a
//! delivered reply looks like), any other status rejected.

use std::time::{Duration, SystemTime};

use reqwest::{Method, Url, header};
use serde::Deserialize;
use serde_json::json;

use super::{
    Delivered, OutboundReply,
    config::{XConfig, present, timeout},
    error::{NotConfigured, Platform, SendError, bounded},
    http::{self, Answer},
    oauth1::{self, Nonce, OAuth1Keys},
};

const TRANSPORT: &str = "X";

/// Sends replies through the X API v2.
#[derive(Debug, Clone)]
pub struct XTransport {
    config: XConfig,
    base: String,
    client: reqwest::Client,
}

/// How requests are authenticated.
enum Auth<'a> {
    OAuth1(OAuth1Keys<'a>),
    Bearer(&'a str),
}

impl XTransport {
    /// Checks the base URL and builds the HTTP client. Missing credentials
    /// are not an error here; [`XTransport::can_send`] reports them.
    pub fn new(config: &XConfig) -> Result<XTransport, NotConfigured> {
        Ok(XTransport {
            base: http::base_url(TRANSPORT, &config.base_url)?,
            client: http::client(TRANSPORT, timeout(config.timeout_secs))?,
            config: config.clone(),
        })
    }

    /// Whether a complete set of credentials is configured.
    pub fn can_send(&self) -> Result<(), NotConfigured> {
        self.auth().map(|_| ())
    }

    fn auth(&self) -> Result<Auth<'_>, NotConfigured> {
        let c = &self.config;
        let oauth1 = (
            present(&c.consumer_key),
            present(&c.consumer_secret),
            present(&c.access_token),
            present(&c.access_token_secret),
        );
        if let (Some(consumer_key), Some(consumer_secret), Some(token), Some(token_secret)) = oauth1 {
            return Ok(Auth::OAuth1(OAuth1Keys { consumer_key, consumer_secret, token, token_secret }));
        }
        if let Some(token) = present(&c.bearer_token) {
            return Ok(Auth::Bearer(token));
        }
        Err(NotConfigured::Missing {
            transport: TRANSPORT,
            missing: "set `consumer_key`, `consumer_secret`, `access_token` and `access_token_secret` \
                      (OAuth 1.0a), or `bearer_token` (an OAuth 2.0 user token)",
        })
    }

    /// Posts a public reply to the post `in_reply_to`.
    pub async fn post_reply(&self, reply: &OutboundReply) -> Result<Delivered, SendError> {
        let parent = reply.in_reply_to.as_ref().ok_or_else(|| {
            SendError::invalid("missing_in_reply_to", "a public reply on X needs the id of the post it answers")
        })?;
        let parent = http::path_segment("post id", parent.as_str())?;
        let body = json!({"text": reply.text, "reply": {"in_reply_to_tweet_id": parent}});
        let answer = self.post("/2/tweets", &body).await?;
        let data: Data = read(&answer)?;
        Ok(Delivered { external_id: http::external_id(Platform::X, "data.id", data.data.id.as_deref())? })
    }

    /// Sends a direct message to the user `recipient`.
    pub async fn direct_message(&self, reply: &OutboundReply) -> Result<Delivered, SendError> {
        let user = reply.recipient.as_ref().ok_or_else(|| {
            SendError::invalid("missing_recipient", "a private reply on X needs the user id of the recipient")
        })?;
        let user = http::path_segment("user id", user.as_str())?;
        let path = format!("/2/dm_conversations/with/{user}/messages");
        let answer = self.post(&path, &json!({"text": reply.text})).await?;
        let data: Data = read(&answer)?;
        let id = data.data.dm_event_id.as_deref();
        Ok(Delivered { external_id: http::external_id(Platform::X, "data.dm_event_id", id)? })
    }

    async fn post(&self, path: &str, body: &serde_json::Value) -> Result<Answer, SendError> {
        let url = format!("{}{path}", self.base);
        let authorization = match self.auth()? {
            Auth::Bearer(token) => format!("Bearer {token}"),
            Auth::OAuth1(keys) => {
                let parsed = Url::parse(&url).map_err(|e| NotConfigured::Invalid {
                    transport: TRANSPORT,
                    problem: format!("the request URL is not a URL ({e})"),
                })?;
                oauth1::authorization_header(&keys, "POST", &parsed, &[], &Nonce::fresh())
            }
        };
        let request = self
            .client
            .request(Method::POST, &url)
            .header(header::AUTHORIZATION, authorization)
            .header(header::CONTENT_TYPE, "application/json")
            .body(body.to_string());
        let answer = http::execute(Platform::X, request).await?;
        if answer.status.is_success() { Ok(answer) } else { Err(classify(&answer, SystemTime::now())) }
    }
}

#[derive(Deserialize)]
struct Data {
    data: Ids,
}

#[derive(Deserialize)]
struct Ids {
    id: Option<String>,
    dm_event_id: Option<String>,
}

fn read(answer: &Answer) -> Result<Data, SendError> {
    serde_json::from_slice(&answer.body).map_err(|e| SendError::UnexpectedResponse {
        platform: Platform::X,
        detail: format!("the answer is not the expected JSON ({e})"),
    })
}

/// X's error bodies: a problem (`title`, `detail`) or a v1.1-style list.
#[derive(Deserialize, Default)]
struct Problem {
    title: Option<String>,
    detail: Option<String>,
    #[serde(default)]
    errors: Vec<ErrorItem>,
}

#[derive(Deserialize)]
struct ErrorItem {
    message: Option<String>,
}

/// The error for an answer that is not a success.
pub(crate) fn classify(answer: &Answer, now: SystemTime) -> SendError {
    let status = answer.status.as_u16();
    let problem: Problem = serde_json::from_slice(&answer.body).unwrap_or_default();
    let detail = problem
        .detail
        .or(problem.title)
        .or_else(|| problem.errors.into_iter().find_map(|e| e.message))
        .map(|d| bounded(&d))
        .unwrap_or_else(|| http::body_excerpt(answer));
    match status {
        429 => SendError::RateLimited {
            platform: Platform::X,
            retry_after: http::retry_after(&answer.headers, now).or_else(|| rate_limit_reset(answer, now)),
        },
        500..=599 => SendError::Unavailable { platform: Platform::X, status, detail },
        401 => SendError::Rejected { platform: Platform::X, status, code: "platform_unauthorized", detail },
        403 if detail.to_ascii_lowercase().contains("duplicate") => {
            SendError::Rejected { platform: Platform::X, status, code: "duplicate_content", detail }
        }
        _ => SendError::Rejected { platform: Platform::X, status, code: "platform_rejected", detail },
    }
}

/// The wait until `x-rate-limit-reset` (Unix seconds).
fn rate_limit_reset(answer: &Answer, now: SystemTime) -> Option<Duration> {
    let reset: u64 = answer.headers.get("x-rate-limit-reset")?.to_str().ok()?.trim().parse().ok()?;
    let at = SystemTime::UNIX_EPOCH + Duration::from_secs(reset);
    Some(at.duration_since(now).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use reqwest::{StatusCode, header::HeaderMap};

    use super::*;

    fn answer(status: u16, headers: &[(&'static str, &str)], body: &str) -> Answer {
        let mut map = HeaderMap::new();
        for (k, v) in headers {
            map.insert(*k, v.parse().unwrap());
        }
        Answer { status: StatusCode::from_u16(status).unwrap(), headers: map, body: body.as_bytes().to_vec() }
    }

    #[test]
    fn errors_are_classified() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        let e = classify(&answer(429, &[("x-rate-limit-reset", "1090")], "{}"), now);
        assert_eq!(e.retry_after(), Some(Duration::from_secs(90)));
        let e = classify(&answer(429, &[("retry-after", "5"), ("x-rate-limit-reset", "1090")], ""), now);
        assert_eq!(e.retry_after(), Some(Duration::from_secs(5)));
        let dup = r#"{"detail":"You are not allowed to create a Tweet with duplicate content.","status":403}"#;
        assert_eq!(classify(&answer(403, &[], dup), now).code(), "duplicate_content");
        assert_eq!(classify(&answer(401, &[], r#"{"title":"Unauthorized"}"#), now).code(), "platform_unauthorized");
        let e = classify(&answer(503, &[], "<html>down</html>"), now);
        assert!(e.is_transient());
        assert_eq!(e.to_string(), "X is unavailable (503): <html>down</html>");
        let e = classify(&answer(400, &[], r#"{"errors":[{"message":"text too long"}]}"#), now);
        assert_eq!(e.to_string(), "X refused the reply (400): text too long");
    }

    #[test]
    fn credentials_are_reported_missing() {
        let t = XTransport::new(&XConfig::default()).unwrap();
        assert_eq!(t.can_send().unwrap_err().code(), "credential_missing");
        let partial = XConfig { consumer_key: Some(super::super::Secret::new("k")), ..XConfig::default() };
        assert!(XTransport::new(&partial).unwrap().can_send().is_err());
    }
}
