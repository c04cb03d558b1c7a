//! The shapes of the reply queue: a reply as the engine queues it, and as the
//! case page shows its delivery. The transport's request is opaque here (the
//! store does not know the platforms); the engine writes and reads it.

use firebreak_domain::{CaseId, Channel, MessageId, Timestamp};
use serde::Serialize;

/// Where a reply is on its way out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Waiting for its (next) attempt.
    Queued,
    /// An attempt is under way.
    Sending,
    /// The platform accepted it.
    Sent,
    /// It will not be sent: the platform refused it, or retries ran out.
    Failed,
    /// An attempt was cut short by a stop: it may have gone out, so it is
    /// not sent again without a person deciding.
    Unknown,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Queued => "queued",
            DeliveryStatus::Sending => "sending",
            DeliveryStatus::Sent => "sent",
            DeliveryStatus::Failed => "failed",
            DeliveryStatus::Unknown => "unknown",
        }
    }

    pub fn parse(s: &str) -> DeliveryStatus {
        match s {
            "queued" => DeliveryStatus::Queued,
            "sending" => DeliveryStatus::Sending,
            "sent" => DeliveryStatus::Sent,
            "failed" => DeliveryStatus::Failed,
            _ => DeliveryStatus::Unknown,
        }
    }
}

/// A reply to queue.
#[derive(Debug, Clone)]
pub struct NewOutbound {
    pub case: CaseId,
    pub channel: Channel,
    /// `public` or `private`.
    pub visibility: String,
    pub text: String,
    /// The transport's request, as JSON.
    pub request: String,
    /// The same key twice is the same reply (a form sent twice).
    pub idempotency_key: String,
    pub created_by: String,
}

/// A queued reply and how its delivery is going.
#[derive(Debug, Clone, Serialize)]
pub struct ReplyDelivery {
    pub id: i64,
    pub case_id: CaseId,
    pub channel: Channel,
    pub visibility: String,
    pub text: String,
    pub status: DeliveryStatus,
    pub attempts: i64,
    pub next_attempt_at: Option<Timestamp>,
    pub last_error: Option<String>,
    /// The platform's id of what was posted.
    pub external_id: Option<String>,
    /// The outbound message in the timeline, once sent.
    pub message_id: Option<MessageId>,
    pub created_by: String,
    pub created_at: Timestamp,
    pub sent_at: Option<Timestamp>,
}

/// A reply claimed for an attempt, with its request.
#[derive(Debug, Clone)]
pub struct OutboundJob {
    pub delivery: ReplyDelivery,
    pub request: String,
}
