//! Meta (Facebook Pages, Messenger, Instagram) webhooks: the subscription
//! handshake ([`verify_subscription`]), the `X-Hub-Signature-256` header
//! ([`verify_signature`]), and deliveries ([`parse_webhook`]).
//!
//! What becomes a message, and what does not:
//! - `object: "page"`, `changes` with `field: "feed"`: items `comment`,
//!   `post`, `status`, `photo`, `video` and `share` with verb `add` or
//!   `edited`, on channel `facebook`. A comment's id is `comment_id`, its
//!   `in_reply_to` is `parent_id` (the post for a top-level comment, the
//!   comment for a reply) and its `thread_id` the `post_id`; a post's id and
//!   thread are its `post_id`. An edit arrives under the same external id, so
//!   the store treats it as a re-delivery and keeps the first text (an edit
//!   whose original never arrived is stored as new). Verbs `remove`,
//!   `hide`, `unhide`, `block`, items such as `reaction` and `like`, and other
//!   fields (`mention`, `ratings`...) are ignored.
//! - `object: "page"`, `messaging` (Messenger): events with a `message` on
//!   channel `facebook`; `is_echo` (sent by the page) is `out`; the thread is
//!   `m:<page id>:<user id>`; `reply_to.mid` is `in_reply_to`. Deliveries,
//!   reads, postbacks, reactions and referrals are ignored. A message with
//!   only attachments has empty text and keeps them in `raw`.
//! - `object: "instagram"`, `changes` with `field: "comments"` or
//!   `"live_comments"` on channel `instagram`: `in_reply_to` is `parent_id`,
//!   else the media id; `thread_id` is the media id; the time is the entry's
//!   (comments carry none). Instagram `messaging` is read as Messenger is,
//!   on channel `instagram`. Other fields (`mentions`, `story_insights`) are
//!   ignored.
//! - Other objects (`user`, `permissions`, `whatsapp_business_account`...)
//!   give no messages.
//!
//! Anything written by the page (or Instagram account) itself, the entry's
//! `id`, is `out`. Meta leaves out `from` for some commenters; such a comment
//! is kept with the author id `unknown` rather than refused, because a
//! refused delivery is retried and eventually switches the webhook off.

mod webhook;

pub use webhook::parse_webhook;

use subtle::ConstantTimeEq;

use crate::{
    SignatureError,
    signature::{self, Encoding},
};

/// The name of the header Meta signs deliveries with.
pub const SIGNATURE_HEADER: &str = "x-hub-signature-256";

/// Why a subscription handshake was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SubscriptionError {
    /// No verify token is configured, so no subscription can be confirmed.
    #[error("no verify token is configured for this webhook, so subscriptions are refused")]
    NotConfigured,
    /// `hub.mode` is absent or not `subscribe`.
    #[error("`hub.mode` must be `subscribe`")]
    WrongMode,
    /// `hub.verify_token` is absent or not the configured token.
    #[error("`hub.verify_token` does not match")]
    TokenMismatch,
    /// `hub.challenge` is absent, empty, too long or has control characters.
    #[error("`hub.challenge` is missing or not a short printable value")]
    BadChallenge,
}

impl SubscriptionError {
    /// The stable code for this error.
    pub fn code(self) -> &'static str {
        match self {
            SubscriptionError::NotConfigured => "webhook_secret_missing",
            SubscriptionError::WrongMode => "subscription_wrong_mode",
            SubscriptionError::TokenMismatch => "subscription_token_mismatch",
            SubscriptionError::BadChallenge => "subscription_bad_challenge",
        }
    }
}

/// Answers Meta's subscription handshake
/// (`GET /webhooks/meta?hub.mode=subscribe&hub.verify_token=...&hub.challenge=...`):
/// the challenge to echo back as the response body, or why not. The token is
/// compared in constant time; an empty `expected_token` means none is
/// configured.
pub fn verify_subscription(
    mode: Option<&str>,
    verify_token: Option<&str>,
    challenge: Option<&str>,
    expected_token: &str,
) -> Result<String, SubscriptionError> {
    if expected_token.is_empty() {
        return Err(SubscriptionError::NotConfigured);
    }
    if mode != Some("subscribe") {
        return Err(SubscriptionError::WrongMode);
    }
    let given = verify_token.unwrap_or("");
    if !bool::from(given.as_bytes().ct_eq(expected_token.as_bytes())) {
        return Err(SubscriptionError::TokenMismatch);
    }
    match challenge {
        Some(c) if !c.is_empty() && c.len() <= 1024 && !c.chars().any(char::is_control) => Ok(c.to_owned()),
        _ => Err(SubscriptionError::BadChallenge),
    }
}

/// Checks the `X-Hub-Signature-256` header (`sha256=<hex>`) against the raw
/// body under the app secret, in constant time.
pub fn verify_signature(app_secret: &[u8], raw_body: &[u8], header: Option<&str>) -> Result<(), SignatureError> {
    signature::verify(app_secret, raw_body, header, Encoding::Hex)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Computed outside this code:
    //   printf '%s' '{"object":"page","entry":[]}' | openssl dgst -sha256 -hmac 'meta-app-secret-for-tests'
    //   python3 -c 'import hmac,hashlib; print(hmac.new(b"meta-app-secret-for-tests", b"{\"object\":\"page\",\"entry\":[]}", hashlib.sha256).hexdigest())'
    const SECRET: &[u8] = b"meta-app-secret-for-tests";
    const BODY: &[u8] = br#"{"object":"page","entry":[]}"#;
    const SIGNATURE: &str = "sha256=bd8e771450daa7bc6e995d14e891f04b2be607655d3dac4f3f8c690b8efe9629";

    #[test]
    fn a_correct_signature_is_accepted_in_either_case() {
        assert_eq!(verify_signature(SECRET, BODY, Some(SIGNATURE)), Ok(()));
        let upper = format!("sha256={}", SIGNATURE.trim_start_matches("sha256=").to_uppercase());
        assert_eq!(verify_signature(SECRET, BODY, Some(&upper)), Ok(()));
    }

    #[test]
    fn every_kind_of_bad_signature_is_refused() {
        let mut flipped = BODY.to_vec();
        flipped[3] ^= 0x20;
        assert_eq!(verify_signature(SECRET, &flipped, Some(SIGNATURE)), Err(SignatureError::Mismatch));
        let sha1 = SIGNATURE.replacen("sha256=", "sha1=", 1);
        assert_eq!(verify_signature(SECRET, BODY, Some(&sha1)), Err(SignatureError::WrongPrefix));
        assert_eq!(verify_signature(SECRET, BODY, None), Err(SignatureError::MissingHeader));
        assert_eq!(verify_signature(b"", BODY, Some(SIGNATURE)), Err(SignatureError::NoSecret));
        assert_eq!(verify_signature(SECRET, BODY, Some("sha256=xyz")), Err(SignatureError::BadEncoding));
        assert_eq!(verify_signature(SECRET, BODY, Some("sha256=abcd")), Err(SignatureError::Mismatch));
    }

    #[test]
    fn subscription_handshake() {
        let ok = verify_subscription(Some("subscribe"), Some("s3cret"), Some("1158201444"), "s3cret");
        assert_eq!(ok, Ok("1158201444".to_owned()));
        let cases = [
            (Some("subscribe"), Some("s3cret"), Some("1"), "", SubscriptionError::NotConfigured),
            (Some("unsubscribe"), Some("s3cret"), Some("1"), "s3cret", SubscriptionError::WrongMode),
            (None, Some("s3cret"), Some("1"), "s3cret", SubscriptionError::WrongMode),
            (Some("subscribe"), Some("guess"), Some("1"), "s3cret", SubscriptionError::TokenMismatch),
            (Some("subscribe"), None, Some("1"), "s3cret", SubscriptionError::TokenMismatch),
            (Some("subscribe"), Some("s3cret"), None, "s3cret", SubscriptionError::BadChallenge),
            (Some("subscribe"), Some("s3cret"), Some("a\nb"), "s3cret", SubscriptionError::BadChallenge),
        ];
        for (mode, token, challenge, expected, err) in cases {
            assert_eq!(verify_subscription(mode, token, challenge, expected), Err(err));
        }
    }

    proptest::proptest! {
        #[test]
        fn handshake_never_panics(m in proptest::option::of(".{0,20}"), t in proptest::option::of(".{0,20}"),
                                  c in proptest::option::of(".{0,20}"), e in ".{0,20}") {
            let _ = verify_subscription(m.as_deref(), t.as_deref(), c.as_deref(), &e);
        }
    }
}
