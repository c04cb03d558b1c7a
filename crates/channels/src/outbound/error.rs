//! The errors of outbound delivery: [`LimitError`] for a reply that cannot be
//! sent as written, [`NotConfigured`] for a transport that lacks its settings,
//! and [`SendError`] for a delivery that failed, classified as
//! [`Retry::Transient`] or [`Retry::Permanent`] for the engine's queue.
//!
//! Every error has a stable snake_case code and a sentence. No sentence ever
//! contains a credential: platform details are cut to a few hundred characters
//! and request URLs are dropped from network errors.

use std::{fmt, time::Duration};

use firebreak_domain::Channel;

use super::Visibility;

/// The service a transport talks to, named in error sentences.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    /// The X API v2.
    X,
    /// Meta's Graph API (Facebook comments and Messenger).
    Meta,
    /// An SMTP relay.
    Smtp,
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Platform::X => "X",
            Platform::Meta => "the Graph API",
            Platform::Smtp => "the SMTP server",
        })
    }
}

/// How the limit of a channel is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Characters weighted the way X counts them (see [`super::x_weighted_length`]).
    XWeighted,
    /// Unicode characters (scalar values).
    Characters,
    /// Bytes of UTF-8.
    Bytes,
}

/// The most a reply may hold on one route, for the sentence that refuses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// What is limited, as a noun phrase: "an X post", "a Messenger message".
    pub what: &'static str,
    pub max: usize,
    pub unit: Unit,
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Limit { what, max, unit } = *self;
        match unit {
            Unit::XWeighted => write!(
                f,
                "{what} may be at most {max} characters as X counts them \
                 (most CJK characters and emoji count as 2, every link as 23)"
            ),
            Unit::Characters => write!(f, "{what} may be at most {max} characters"),
            Unit::Bytes => write!(f, "{what} may be at most {max} bytes"),
        }
    }
}

/// Why a reply cannot be sent as written, found before it is queued.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LimitError {
    /// The text is empty or only white space.
    #[error("the reply is empty")]
    Empty,
    /// The text is longer than the route allows.
    #[error("{limit}; this reply counts {length}")]
    TooLong { limit: Limit, length: usize },
    /// The channel has a transport, but not for this visibility (a public
    /// reply to an email).
    #[error("a {visibility} reply is not possible on {channel}")]
    Impossible { channel: Channel, visibility: Visibility },
    /// Firebreak cannot send on this channel at all.
    #[error("replies cannot be sent on {channel} from Firebreak")]
    Unsupported { channel: Channel },
}

impl LimitError {
    /// The stable code for this error.
    pub fn code(&self) -> &'static str {
        match self {
            LimitError::Empty => "reply_empty",
            LimitError::TooLong { .. } => "reply_too_long",
            LimitError::Impossible { .. } => "reply_not_possible",
            LimitError::Unsupported { .. } => "channel_not_supported",
        }
    }
}

/// Why a transport cannot send: its settings are absent or incomplete. Found
/// up front by `Transports::can_send`, so a form can refuse the reply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotConfigured {
    /// No transport is configured for the platform this reply needs.
    #[error("no {transport} transport is configured, so {channel} replies cannot be sent")]
    NoTransport { transport: &'static str, channel: Channel },
    /// The transport is configured but a setting it needs is empty.
    #[error("the {transport} transport cannot send: {missing}")]
    Missing { transport: &'static str, missing: &'static str },
    /// A setting is present but unusable (a base URL that is not a URL).
    #[error("the {transport} transport is misconfigured: {problem}")]
    Invalid { transport: &'static str, problem: String },
}

impl NotConfigured {
    /// The stable code for this error.
    pub fn code(&self) -> &'static str {
        match self {
            NotConfigured::NoTransport { .. } => "transport_not_configured",
            NotConfigured::Missing { .. } => "credential_missing",
            NotConfigured::Invalid { .. } => "transport_misconfigured",
        }
    }
}

/// Whether a failed delivery is worth trying again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// The same request may succeed later (network trouble, a timeout, a 5xx,
    /// a rate limit).
    Transient,
    /// It will fail the same way until someone changes the reply or the
    /// configuration (a 4xx, a missing credential, a text that is too long).
    Permanent,
}

/// Why a reply was not delivered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// The reply breaks a limit or asks for an impossible route.
    #[error(transparent)]
    Limit(#[from] LimitError),
    /// The transport for this reply is not configured.
    #[error(transparent)]
    NotConfigured(#[from] NotConfigured),
    /// The reply lacks something its route needs, or holds a value that
    /// cannot be sent (a recipient id with a slash, a subject with a line
    /// break). `code` is stable: `missing_in_reply_to`, `missing_recipient`,
    /// `missing_email_threading`, `invalid_id`, `header_line_break`,
    /// `header_control_character`, `address_unsupported`.
    #[error("{message}")]
    InvalidReply { code: &'static str, message: String },
    /// The platform could not be reached or the connection broke.
    #[error("{platform} could not be reached: {detail}")]
    Network { platform: Platform, detail: String },
    /// The platform did not answer in time. The reply may have been posted.
    #[error("{platform} did not answer in time")]
    Timeout { platform: Platform },
    /// The platform refused the request for now because of a rate limit.
    #[error("{platform} is rate limiting us{}", retry_sentence(*retry_after))]
    RateLimited { platform: Platform, retry_after: Option<Duration> },
    /// The platform failed on its side (HTTP 5xx, SMTP 4xx, a Graph error it
    /// marks as transient).
    #[error("{platform} is unavailable ({status}): {detail}")]
    Unavailable { platform: Platform, status: u16, detail: String },
    /// The platform refused the reply. `code` is `platform_unauthorized`
    /// (the credentials were refused), `duplicate_content` (X refused a post
    /// identical to a recent one: a resend of a reply that was delivered) or
    /// `platform_rejected`.
    #[error("{platform} refused the reply ({status}): {detail}")]
    Rejected { platform: Platform, status: u16, code: &'static str, detail: String },
    /// The platform accepted the request but its answer could not be read, so
    /// the reply was probably posted; retrying could post it twice.
    #[error("{platform} answered in a way Firebreak cannot read: {detail}")]
    UnexpectedResponse { platform: Platform, detail: String },
}

fn retry_sentence(after: Option<Duration>) -> String {
    match after {
        Some(d) => format!("; try again in {} s", d.as_secs()),
        None => String::new(),
    }
}

impl SendError {
    /// The stable code for this error.
    pub fn code(&self) -> &'static str {
        match self {
            SendError::Limit(e) => e.code(),
            SendError::NotConfigured(e) => e.code(),
            SendError::InvalidReply { code, .. } | SendError::Rejected { code, .. } => code,
            SendError::Network { .. } => "network_error",
            SendError::Timeout { .. } => "timeout",
            SendError::RateLimited { .. } => "rate_limited",
            SendError::Unavailable { .. } => "platform_unavailable",
            SendError::UnexpectedResponse { .. } => "unexpected_response",
        }
    }

    /// Whether the engine should try the same reply again.
    pub fn retry(&self) -> Retry {
        match self {
            SendError::Network { .. }
            | SendError::Timeout { .. }
            | SendError::RateLimited { .. }
            | SendError::Unavailable { .. } => Retry::Transient,
            SendError::Limit(_)
            | SendError::NotConfigured(_)
            | SendError::InvalidReply { .. }
            | SendError::Rejected { .. }
            | SendError::UnexpectedResponse { .. } => Retry::Permanent,
        }
    }

    /// True when [`SendError::retry`] is [`Retry::Transient`].
    pub fn is_transient(&self) -> bool {
        self.retry() == Retry::Transient
    }

    /// How long the platform asked us to wait, when it said.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            SendError::RateLimited { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    pub(crate) fn invalid(code: &'static str, message: impl Into<String>) -> SendError {
        SendError::InvalidReply { code, message: message.into() }
    }
}

/// Cuts a platform's words to a length fit for a sentence, on one line.
pub(crate) fn bounded(detail: &str) -> String {
    const MAX: usize = 300;
    let one_line: String = detail.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    let trimmed = one_line.trim();
    if trimmed.len() <= MAX {
        return trimmed.to_owned();
    }
    let mut end = MAX;
    while !trimmed.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &trimmed[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification_and_codes() {
        let limited = SendError::RateLimited { platform: Platform::X, retry_after: Some(Duration::from_secs(30)) };
        assert_eq!(limited.code(), "rate_limited");
        assert!(limited.is_transient());
        assert_eq!(limited.to_string(), "X is rate limiting us; try again in 30 s");
        let rejected = SendError::Rejected {
            platform: Platform::Meta,
            status: 400,
            code: "platform_rejected",
            detail: "no".into(),
        };
        assert_eq!(rejected.retry(), Retry::Permanent);
        assert_eq!(rejected.to_string(), "the Graph API refused the reply (400): no");
        let empty = SendError::from(LimitError::Empty);
        assert_eq!(empty.code(), "reply_empty");
        assert!(!empty.is_transient());
    }

    #[test]
    fn limits_name_themselves() {
        let e = LimitError::TooLong {
            limit: Limit { what: "a Messenger message", max: 2000, unit: Unit::Characters },
            length: 2001,
        };
        assert_eq!(e.to_string(), "a Messenger message may be at most 2000 characters; this reply counts 2001");
    }

    #[test]
    fn details_are_bounded_and_on_one_line() {
        assert_eq!(bounded(" a\r\nb "), "a  b");
        assert!(bounded(&"é".repeat(400)).len() <= 304);
    }
}
