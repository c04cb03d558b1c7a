//! What the two HTTP transports share: the client (timeouts, no redirects),
//! running a request into a bounded [`Answer`], base URL checks, the
//! classification of network errors, and `Retry-After`.

use std::time::{Duration, SystemTime};

use reqwest::{StatusCode, Url, header::HeaderMap};

use super::error::{NotConfigured, Platform, SendError, bounded};

/// The most of a response body we read; platforms answer in a few hundred
/// bytes, and an error page is only quoted.
const MAX_BODY: usize = 256 * 1024;

/// A client for one platform: a whole-request timeout, a shorter connect
/// timeout, and no redirects (a redirected POST would resend the credentials
/// somewhere we did not choose).
pub(crate) fn client(transport: &'static str, timeout: Duration) -> Result<reqwest::Client, NotConfigured> {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("firebreak/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| NotConfigured::Invalid { transport, problem: format!("the HTTP client could not be built: {e}") })
}

/// A base URL, checked once: http or https, with a host, without a query.
/// The trailing slash is dropped so paths can be appended.
pub(crate) fn base_url(transport: &'static str, raw: &str) -> Result<String, NotConfigured> {
    let invalid = |problem: String| NotConfigured::Invalid { transport, problem };
    let url = Url::parse(raw.trim()).map_err(|e| invalid(format!("the base URL is not a URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(invalid("the base URL must be an http or https URL with a host".into()));
    }
    if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() || url.password().is_some() {
        return Err(invalid("the base URL must not carry a query, a fragment or credentials".into()));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

/// A platform's answer: its status, headers and (bounded) body.
pub(crate) struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

/// Sends a request and reads the answer, whatever its status.
pub(crate) async fn execute(platform: Platform, request: reqwest::RequestBuilder) -> Result<Answer, SendError> {
    let mut response = request.send().await.map_err(|e| network(platform, e))?;
    let status = response.status();
    let headers = response.headers().clone();
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| network(platform, e))? {
        let room = MAX_BODY.saturating_sub(body.len());
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if room <= chunk.len() {
            break;
        }
    }
    Ok(Answer { status, headers, body })
}

/// A transport-level failure: a timeout, or the network. The request URL is
/// left out of the sentence (it may carry `appsecret_proof`).
fn network(platform: Platform, err: reqwest::Error) -> SendError {
    if err.is_timeout() {
        return SendError::Timeout { platform };
    }
    let err = err.without_url();
    let mut detail = err.to_string();
    let mut source = std::error::Error::source(&err);
    while let Some(cause) = source {
        detail.push_str(": ");
        detail.push_str(&cause.to_string());
        source = cause.source();
    }
    SendError::Network { platform, detail: bounded(&detail) }
}

/// How long a `Retry-After` header (seconds or an HTTP date) asks us to wait.
pub(crate) fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or_default())
}

/// The body as text for a sentence, when the platform's JSON said nothing
/// better.
pub(crate) fn body_excerpt(answer: &Answer) -> String {
    let text = String::from_utf8_lossy(&answer.body);
    let text = text.trim();
    if text.is_empty() {
        answer.status.canonical_reason().unwrap_or("no reason given").to_owned()
    } else {
        bounded(text)
    }
}

/// An id a platform gave us, or the reason it is unusable.
pub(crate) fn external_id(
    platform: Platform,
    field: &str,
    value: Option<&str>,
) -> Result<firebreak_domain::ExternalId, SendError> {
    let value = value
        .ok_or_else(|| SendError::UnexpectedResponse { platform, detail: format!("the answer has no `{field}`") })?;
    firebreak_domain::ExternalId::parse(value).map_err(|e| SendError::UnexpectedResponse {
        platform,
        detail: format!("`{field}` is unusable: {}", e.message),
    })
}

/// Checks an id that goes into a URL path: letters, digits, `_` and `-`.
pub(crate) fn path_segment<'a>(what: &str, id: &'a str) -> Result<&'a str, SendError> {
    let ok = !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(id)
    } else {
        Err(SendError::invalid("invalid_id", format!("the {what} `{}` is not a platform id", bounded(id))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls() {
        assert_eq!(base_url("X", "https://api.x.com/").unwrap(), "https://api.x.com");
        assert_eq!(base_url("X", "http://127.0.0.1:9/prefix/").unwrap(), "http://127.0.0.1:9/prefix");
        assert_eq!(base_url("X", "ftp://x").unwrap_err().code(), "transport_misconfigured");
        assert!(base_url("X", "https://api.x.com/?a=1").is_err());
        assert!(base_url("X", "not a url").is_err());
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let mut h = HeaderMap::new();
        assert_eq!(retry_after(&h, SystemTime::now()), None);
        h.insert("retry-after", "120".parse().unwrap());
        assert_eq!(retry_after(&h, SystemTime::now()), Some(Duration::from_secs(120)));
        let now = httpdate::parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
        h.insert("retry-after", "Sun, 06 Nov 1994 08:50:37 GMT".parse().unwrap());
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(60)));
    }

    #[test]
    fn path_segments() {
        assert!(path_segment("comment id", "123_456").is_ok());
        assert_eq!(path_segment("comment id", "../me").unwrap_err().code(), "invalid_id");
        assert!(path_segment("comment id", "").is_err());
    }
}
