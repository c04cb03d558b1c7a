//! The shapes of what the detectors need from the store and what they leave
//! in it: the context of freshly stored messages (their customer, postal
//! area and case) and the alerts they raise.

use firebreak_domain::{CaseId, CustomerId, MessageId, Timestamp};
use serde::Serialize;

/// What the store knows of a stored message that its text does not say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageContext {
    pub message: MessageId,
    pub customer: Option<CustomerId>,
    /// The customer's postal area on record.
    pub postal_area: Option<String>,
    pub case: Option<CaseId>,
    /// The author's handle (or name) on the channel.
    pub author: Option<String>,
}

/// An alert to record.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAlert {
    /// `spark` or `burst`.
    pub kind: AlertKind,
    pub at: Timestamp,
    pub key: Option<String>,
    pub message: Option<MessageId>,
    pub case: Option<CaseId>,
    pub customer: Option<CustomerId>,
    /// One line for a person: what happened.
    pub summary: String,
    pub evidence: serde_json::Value,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    Spark,
    Burst,
}

impl AlertKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertKind::Spark => "spark",
            AlertKind::Burst => "burst",
        }
    }

    pub fn parse(s: &str) -> Option<AlertKind> {
        match s {
            "spark" => Some(AlertKind::Spark),
            "burst" => Some(AlertKind::Burst),
            _ => None,
        }
    }
}

/// A recorded alert.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alert {
    pub id: i64,
    pub kind: AlertKind,
    pub at: Timestamp,
    pub raised_at: Timestamp,
    pub key: Option<String>,
    pub message_id: Option<MessageId>,
    pub case_id: Option<CaseId>,
    pub customer_id: Option<CustomerId>,
    pub summary: String,
    pub evidence: serde_json::Value,
}
