//! A message: one post, comment, direct message, email or call note, in the
//! normalised form every channel is parsed into.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::{
    Channel, ConversationId, Direction, DisplayName, ExternalId, Handle, IdentityId, Language, MessageId, MessageText,
    PlatformUserId, ThreadKey, Timestamp, judgement::Judgement,
};

/// The most bytes of a platform's original payload we keep with a message.
pub const MAX_RAW_BYTES: usize = 64 * 1024;

/// Who wrote a message, as the platform describes them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Author {
    pub id: PlatformUserId,
    pub handle: Option<Handle>,
    pub name: Option<DisplayName>,
    pub followers: Option<u64>,
}

impl Author {
    pub fn new(id: PlatformUserId) -> Author {
        Author { id, handle: None, name: None, followers: None }
    }
}

/// Engagement counts as last reported by the platform.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Metrics {
    pub likes: u64,
    pub shares: u64,
    pub replies: u64,
}

/// The platform's original payload for a message: a JSON object, at most
/// [`MAX_RAW_BYTES`] when written out. A payload over the limit is replaced by
/// `{"truncated": true, "original_bytes": N}` so that the message itself is
/// never refused for the size of its envelope.
#[derive(Debug, Clone)]
pub struct RawPayload(Box<RawValue>);

impl RawPayload {
    pub fn from_value(value: &serde_json::Value) -> RawPayload {
        let text = serde_json::to_string(value).unwrap_or_else(|_| "{}".to_owned());
        RawPayload::from_json_text(text)
    }

    /// Takes JSON text that is known to be valid (for example written by
    /// `serde_json`), bounding its size.
    pub fn from_json_text(text: String) -> RawPayload {
        if text.len() > MAX_RAW_BYTES {
            let marker = format!(r#"{{"truncated":true,"original_bytes":{}}}"#, text.len());
            return RawPayload(RawValue::from_string(marker).unwrap_or_else(|_| empty_object()));
        }
        RawPayload(RawValue::from_string(text).unwrap_or_else(|_| empty_object()))
    }

    pub fn as_str(&self) -> &str {
        self.0.get()
    }
}

fn empty_object() -> Box<RawValue> {
    RawValue::from_string("{}".to_owned()).expect("`{}` is JSON")
}

impl PartialEq for RawPayload {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Serialize for RawPayload {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

/// A message as it arrives, before it is stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewMessage {
    pub channel: Channel,
    pub external_id: ExternalId,
    pub direction: Direction,
    pub author: Author,
    pub text: MessageText,
    pub language: Option<Language>,
    /// When the author posted it, by the platform's clock.
    pub created_at: Timestamp,
    /// The external id of the message this one answers, on the same channel.
    pub in_reply_to: Option<ExternalId>,
    pub thread_id: Option<ThreadKey>,
    pub metrics: Option<Metrics>,
    pub raw: Option<RawPayload>,
    /// Triage's judgement, filled in by the engine before the message is
    /// stored. Never read from a client, never written in the normalised form.
    #[serde(skip)]
    pub triage: Option<Judgement>,
}

/// A message as stored: the arrival plus what the store assigned.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredMessage {
    pub id: MessageId,
    pub identity_id: IdentityId,
    pub conversation_id: Option<ConversationId>,
    /// When Firebreak first stored it.
    pub received_at: Timestamp,
    #[serde(flatten)]
    pub message: NewMessage,
    /// The stored judgement (`message.triage` is always `None` on a stored
    /// message: the judgement is here).
    pub triage: Option<Judgement>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_payload_is_bounded() {
        let big = serde_json::json!({ "text": "x".repeat(MAX_RAW_BYTES) });
        let raw = RawPayload::from_value(&big);
        let back: serde_json::Value = serde_json::from_str(raw.as_str()).unwrap();
        assert_eq!(back["truncated"], true);
        let small = serde_json::json!({ "a": 1 });
        assert_eq!(RawPayload::from_value(&small).as_str(), r#"{"a":1}"#);
    }
}
