//! Outbound replies: an agent's answer delivered on the channel the customer
//! used. This is the one module of the crate that talks to the platforms.
//!
//! The engine keeps the durable queue; this module gives it
//! - [`OutboundReply`], what to send, and [`Delivered`], the platform's id
//!   of what was posted;
//! - [`check`] and [`route`], which refuse before queueing a reply that is
//!   empty, too long for its channel, or impossible (a public email);
//! - [`Transports`], one value built from [`OutboundConfig`] whose
//!   [`Transports::can_send`] says up front whether a channel is configured
//!   and whose [`Transports::send`] delivers, failing with a [`SendError`]
//!   that says whether to retry ([`SendError::retry`]);
//! - the [`ReplyTransport`] trait over it, so the engine can hold a fake in
//!   its tests.
//!
//! Routes: on X a public reply is a post answering `in_reply_to` and a
//! private one a direct message to `recipient` ([`XTransport`]); on Facebook
//! a public reply is a comment under `in_reply_to`, a private one a
//! Messenger message to the PSID `recipient` or, without a recipient, a
//! private reply to the comment `in_reply_to` ([`MetaTransport`]); email is
//! private only, threaded by `in_reply_to` and [`EmailThreading`]
//! ([`SmtpTransport`]). Other channels have no transport.
//!
//! Nothing here retries, sleeps or queues: one call is one attempt, bounded
//! by the transport's timeout.

mod config;
pub mod email;
mod error;
mod http;
mod limits;
mod meta;
pub mod oauth1;
mod smtp;
mod x;

use async_trait::async_trait;
use firebreak_domain::{Channel, Email, ExternalId, PlatformUserId};
use serde::{Deserialize, Serialize};

pub use config::{
    DEFAULT_GRAPH_BASE_URL, DEFAULT_GRAPH_VERSION, DEFAULT_TIMEOUT_SECS, DEFAULT_X_BASE_URL, MetaConfig,
    OutboundConfig, Secret, SmtpConfig, SmtpSecurity, XConfig,
};
pub use error::{Limit, LimitError, NotConfigured, Platform, Retry, SendError, Unit};
pub use limits::{
    EMAIL_BODY, FACEBOOK_COMMENT, MESSENGER_MESSAGE, Route, X_DIRECT_MESSAGE, X_POST, check, route, x_weighted_length,
};
pub use meta::{MetaTransport, appsecret_proof};
pub use smtp::SmtpTransport;
pub use x::XTransport;

/// Who can see a reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// In public, where the customer wrote (a reply post, a comment).
    Public,
    /// To the customer alone (a direct message, Messenger, email).
    Private,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Private => "private",
        }
    }
}

impl std::fmt::Display for Visibility {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One reply to deliver. Serialisable, so the engine can keep it in its queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboundReply {
    pub channel: Channel,
    pub visibility: Visibility,
    pub text: String,
    /// What is answered: the post, the comment, or the email's Message-ID
    /// (with or without angle brackets).
    #[serde(default)]
    pub in_reply_to: Option<ExternalId>,
    /// Who receives a private reply: the X user id of a direct message, or
    /// the Messenger PSID. Not read for email (see [`EmailThreading::to`]).
    #[serde(default)]
    pub recipient: Option<PlatformUserId>,
    /// What an email reply needs besides the text; required on email.
    #[serde(default)]
    pub email: Option<EmailThreading>,
    /// The engine's key for this reply, the same on every attempt. The email
    /// Message-ID is derived from it.
    pub idempotency_key: String,
}

/// The headers of an email reply that are not the text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailThreading {
    /// The subject of the message answered; `Re: ` is added unless present.
    pub subject: String,
    /// The customer's address.
    pub to: Email,
    #[serde(default)]
    pub to_name: Option<String>,
    /// The address to show as sender instead of the configured one (the
    /// address the customer wrote to). The SMTP envelope keeps the
    /// configured sender.
    #[serde(default)]
    pub from: Option<Email>,
    #[serde(default)]
    pub from_name: Option<String>,
    /// The References of the message answered, oldest first. Its own
    /// Message-ID (`in_reply_to`) is appended to make ours.
    #[serde(default)]
    pub references: Vec<String>,
    /// A message that starts a conversation (an incident notice), not a
    /// reply: its subject is used as it is, without `Re: `.
    #[serde(default)]
    pub new_thread: bool,
}

/// A reply the platform accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivered {
    /// The platform's id of what we posted: the post id, the DM event id,
    /// the comment id, the Messenger message id, or our email Message-ID
    /// (without brackets, as the inbound parser stores Message-IDs).
    pub external_id: ExternalId,
}

/// Something that delivers replies: [`Transports`], or a fake in tests.
#[async_trait]
pub trait ReplyTransport: Send + Sync {
    /// Whether a reply with this visibility on this channel can be sent with
    /// the configuration at hand. The error is [`SendError::Limit`] for a
    /// route that does not exist and [`SendError::NotConfigured`] for a
    /// transport that is absent or lacks a setting.
    fn can_send(&self, channel: Channel, visibility: Visibility) -> Result<(), SendError>;

    /// One attempt at delivering the reply.
    async fn send(&self, reply: &OutboundReply) -> Result<Delivered, SendError>;
}

/// Every configured transport, built once from the configuration.
#[derive(Debug, Clone, Default)]
pub struct Transports {
    x: Option<XTransport>,
    meta: Option<MetaTransport>,
    smtp: Option<SmtpTransport>,
}

impl Transports {
    /// Builds the transports whose sections are present. Only unusable
    /// settings (a base URL that is not a URL) fail here; missing credentials
    /// are reported per channel by [`Transports::can_send`], so a server can
    /// start with some channels unconfigured.
    pub fn new(config: &OutboundConfig) -> Result<Transports, NotConfigured> {
        Ok(Transports {
            x: config.x.as_ref().map(XTransport::new).transpose()?,
            meta: config.meta.as_ref().map(MetaTransport::new).transpose()?,
            smtp: config.smtp.as_ref().map(SmtpTransport::new).transpose()?,
        })
    }

    /// See [`ReplyTransport::can_send`].
    pub fn can_send(&self, channel: Channel, visibility: Visibility) -> Result<(), SendError> {
        let absent = |transport| NotConfigured::NoTransport { transport, channel };
        match route(channel, visibility)? {
            Route::XPost | Route::XDirectMessage => self.x.as_ref().ok_or(absent("X"))?.can_send()?,
            Route::FacebookComment | Route::MessengerMessage => {
                self.meta.as_ref().ok_or(absent("Meta Graph API"))?.can_send()?
            }
            Route::Email => self.smtp.as_ref().ok_or(absent("SMTP"))?.can_send()?,
        }
        Ok(())
    }

    /// See [`ReplyTransport::send`]. The reply is checked again first.
    pub async fn send(&self, reply: &OutboundReply) -> Result<Delivered, SendError> {
        let route = check(reply.channel, reply.visibility, &reply.text)?;
        self.can_send(reply.channel, reply.visibility)?;
        let missing = || SendError::from(NotConfigured::NoTransport { transport: "matching", channel: reply.channel });
        match route {
            Route::XPost => self.x.as_ref().ok_or_else(missing)?.post_reply(reply).await,
            Route::XDirectMessage => self.x.as_ref().ok_or_else(missing)?.direct_message(reply).await,
            Route::FacebookComment => self.meta.as_ref().ok_or_else(missing)?.comment(reply).await,
            Route::MessengerMessage => self.meta.as_ref().ok_or_else(missing)?.message(reply).await,
            Route::Email => self.smtp.as_ref().ok_or_else(missing)?.send(reply).await,
        }
    }
}

#[async_trait]
impl ReplyTransport for Transports {
    fn can_send(&self, channel: Channel, visibility: Visibility) -> Result<(), SendError> {
        Transports::can_send(self, channel, visibility)
    }

    async fn send(&self, reply: &OutboundReply) -> Result<Delivered, SendError> {
        Transports::send(self, reply).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_configuration_names_what_is_missing() {
        let t = Transports::new(&OutboundConfig::default()).unwrap();
        let e = t.can_send(Channel::X, Visibility::Public).unwrap_err();
        assert_eq!(e.code(), "transport_not_configured");
        assert_eq!(e.to_string(), "no X transport is configured, so x replies cannot be sent");
        assert_eq!(t.can_send(Channel::Email, Visibility::Public).unwrap_err().code(), "reply_not_possible");
        assert_eq!(t.can_send(Channel::Youtube, Visibility::Public).unwrap_err().code(), "channel_not_supported");
    }

    #[test]
    fn a_reply_round_trips_through_json() {
        let reply: OutboundReply = serde_json::from_str(
            r#"{"channel":"x","visibility":"private","text":"hi","recipient":"123","idempotency_key":"k"}"#,
        )
        .unwrap();
        assert_eq!(reply.visibility, Visibility::Private);
        assert_eq!(serde_json::from_str::<OutboundReply>(&serde_json::to_string(&reply).unwrap()).unwrap(), reply);
    }

    #[tokio::test]
    async fn send_checks_before_anything_else() {
        let t = Transports::new(&OutboundConfig::default()).unwrap();
        let reply = OutboundReply {
            channel: Channel::X,
            visibility: Visibility::Public,
            text: "  ".into(),
            in_reply_to: None,
            recipient: None,
            email: None,
            idempotency_key: "k".into(),
        };
        assert_eq!(t.send(&reply).await.unwrap_err().code(), "reply_empty");
    }
}
