//! X (Twitter): API v2 responses and filtered-stream lines ([`parse_v2_response`]),
//! Account Activity webhook deliveries ([`parse_account_activity`]), and the
//! webhook's security: the CRC challenge ([`crc_response_token`]) and the
//! `x-twitter-webhooks-signature` header ([`verify_signature`]).
//!
//! Every message is on channel `x`, with the tweet (or DM event) object kept
//! verbatim as `raw`. Choices made here:
//! - API v2 results are `direction: in`: a search response does not say which
//!   account is the brand's. Account Activity says (`for_user_id`), so there a
//!   message written by that account is `out`.
//! - A missing `created_at` (v2 returns it only when asked for) is read from
//!   the snowflake id; an id that is not a snowflake then is an error.
//! - v1.1 tweets have no conversation id, so their `thread_id` is empty and
//!   threading follows `in_reply_to`. A DM's `thread_id` is
//!   `dm:<smaller user id>-<larger user id>`, the same for both directions.
//! - Delivery kinds other than `tweet_create_events` and
//!   `direct_message_events` (favourites, follows, typing, reads, deletes),
//!   and DM events other than `message_create`, are ignored, not errors.

mod activity;
mod v2;

pub use activity::parse_account_activity;
pub use v2::parse_v2_response;

use base64::Engine;

use crate::{
    SignatureError,
    signature::{self, Encoding, PREFIX},
};

/// The name of the header X signs deliveries with.
pub const SIGNATURE_HEADER: &str = "x-twitter-webhooks-signature";

/// The answer to X's CRC challenge (`GET /webhooks/x?crc_token=...`):
/// `sha256=` and the base64 HMAC-SHA256 of the token under the consumer
/// secret. Serve it as `{"response_token": <this>}`. An empty secret is
/// [`SignatureError::NoSecret`].
pub fn crc_response_token(consumer_secret: &[u8], crc_token: &str) -> Result<String, SignatureError> {
    let mac = signature::hmac_sha256(consumer_secret, crc_token.as_bytes())?;
    Ok(format!("{PREFIX}{}", base64::engine::general_purpose::STANDARD.encode(mac)))
}

/// Checks the `x-twitter-webhooks-signature` header (`sha256=<base64>`)
/// against the raw body, in constant time.
pub fn verify_signature(
    consumer_secret: &[u8],
    raw_body: &[u8],
    header_value: Option<&str>,
) -> Result<(), SignatureError> {
    signature::verify(consumer_secret, raw_body, header_value, Encoding::Base64)
}

/// A stable key for the conversation between two accounts.
fn dm_thread(a: &str, b: &str) -> String {
    let (lo, hi) = if (a.len(), a) <= (b.len(), b) { (a, b) } else { (b, a) };
    format!("dm:{lo}-{hi}")
}

#[cfg(test)]
mod tests {
    use super::*;

    // Every expected value below was computed outside this code, with:
    //   python3 -c 'import hmac,hashlib,base64; print(base64.b64encode(hmac.new(b"<secret>", b"<msg>", hashlib.sha256).digest()).decode())'
    // and the body's value checked again with:
    //   printf '%s' '<body>' | openssl dgst -sha256 -hmac '<secret>' -binary | base64
    const SECRET: &[u8] = b"x-consumer-secret-for-tests";
    const BODY: &[u8] = br#"{"for_user_id":"783214","tweet_create_events":[]}"#;
    // ... b"x-consumer-secret-for-tests", b'{"for_user_id":"783214","tweet_create_events":[]}' ...
    const BODY_SIGNATURE: &str = "sha256=zRS6Hlhe2GrPp9RHwS3JPC2ay8jrUTNQXkZtL+VkSPo=";
    // ... b"x-consumer-secret-for-tests", b"challenge-token-123" ...
    const CRC_ANSWER: &str = "sha256=MKaaKD1KvyQCu5AIQXT+5AIUiKGZEPVCOwM8IlmO4kY=";

    #[test]
    fn crc_answer_matches_an_independent_computation() {
        assert_eq!(crc_response_token(SECRET, "challenge-token-123").unwrap(), CRC_ANSWER);
        assert_eq!(crc_response_token(b"", "challenge-token-123"), Err(SignatureError::NoSecret));
    }

    #[test]
    fn a_correct_signature_is_accepted() {
        assert_eq!(verify_signature(SECRET, BODY, Some(BODY_SIGNATURE)), Ok(()));
    }

    #[test]
    fn every_kind_of_bad_signature_is_refused() {
        let mut flipped = BODY.to_vec();
        flipped[5] ^= 0x01;
        assert_eq!(verify_signature(SECRET, &flipped, Some(BODY_SIGNATURE)), Err(SignatureError::Mismatch));
        let wrong_prefix = BODY_SIGNATURE.replacen("sha256=", "sha1=", 1);
        assert_eq!(verify_signature(SECRET, BODY, Some(&wrong_prefix)), Err(SignatureError::WrongPrefix));
        let bare = BODY_SIGNATURE.trim_start_matches("sha256=");
        assert_eq!(verify_signature(SECRET, BODY, Some(bare)), Err(SignatureError::WrongPrefix));
        assert_eq!(verify_signature(SECRET, BODY, None), Err(SignatureError::MissingHeader));
        assert_eq!(verify_signature(SECRET, BODY, Some("")), Err(SignatureError::MissingHeader));
        assert_eq!(verify_signature(b"", BODY, Some(BODY_SIGNATURE)), Err(SignatureError::NoSecret));
        assert_eq!(verify_signature(SECRET, BODY, Some("sha256=not base64!")), Err(SignatureError::BadEncoding));
        assert_eq!(verify_signature(b"another-secret", BODY, Some(BODY_SIGNATURE)), Err(SignatureError::Mismatch));
        assert_eq!(verify_signature(SECRET, BODY, Some("sha256=")), Err(SignatureError::Mismatch));
    }

    #[test]
    fn dm_threads_are_symmetric() {
        assert_eq!(dm_thread("783214", "6253282"), "dm:783214-6253282");
        assert_eq!(dm_thread("6253282", "783214"), "dm:783214-6253282");
    }
}
