//! The questions callers ask the store and the shapes of its answers.

use firebreak_domain::{
    Channel, CustomerId, MessageId, StoredMessage, Timestamp,
    judgement::{EntityKind, Intent, Sentiment},
};
use serde::Serialize;

/// What happened to one message of an ingested batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct IngestOutcome {
    pub id: MessageId,
    pub duplicate: bool,
}

/// What happened to one customer of an upserted batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CustomerOutcome {
    pub id: CustomerId,
    /// False when an existing customer (same external reference) was updated.
    pub created: bool,
}

/// A position in the newest-first order of messages: the last row of a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub created_at: Timestamp,
    pub id: MessageId,
}

impl Cursor {
    /// An opaque, URL-safe form: `<created ms>_<id>`.
    pub fn encode(&self) -> String {
        format!("{}_{}", self.created_at.unix_millis(), self.id.0)
    }

    pub fn decode(s: &str) -> Option<Cursor> {
        let (t, id) = s.split_once('_')?;
        Some(Cursor { created_at: Timestamp::from_unix_millis(t.parse().ok()?).ok()?, id: MessageId(id.parse().ok()?) })
    }
}

/// A filtered listing of messages. `since` is inclusive, `until` exclusive.
#[derive(Debug, Clone, Default)]
pub struct MessageQuery {
    pub channel: Option<Channel>,
    pub since: Option<Timestamp>,
    pub until: Option<Timestamp>,
    /// An author's platform id or handle (case-insensitive), on any channel.
    pub author: Option<String>,
    pub sentiment: Option<Sentiment>,
    pub intent: Option<Intent>,
    pub urgent: Option<bool>,
    /// Messages in which triage found this entity (any kind when `None`),
    /// matched without regard to case.
    pub entity: Option<(Option<EntityKind>, String)>,
    pub after: Option<Cursor>,
    pub limit: u32,
}

#[derive(Debug, Clone)]
pub struct MessagePage {
    pub items: Vec<StoredMessage>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<Cursor>,
}

/// A full-text query in the user's words: terms are AND-ed, `"quoted
/// phrases"` match as phrases, a trailing `*` matches a prefix, a leading `-`
/// excludes a term.
#[derive(Debug, Clone)]
pub struct SearchQuery {
    pub q: String,
    pub channel: Option<Channel>,
    pub limit: u32,
}

/// One search result: the message, its score (higher is better) and where
/// the query matched.
#[derive(Debug, Clone, Serialize)]
pub struct SearchHit {
    pub score: f64,
    /// The message text with matches wrapped in `<mark>` and everything else
    /// HTML-escaped, cut to a window around the first match.
    pub snippet: String,
    /// Byte ranges of matches in the message text.
    pub highlights: Vec<[usize; 2]>,
    pub message: StoredMessage,
}

/// The median time to a first response, for one responding account.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FirstResponse {
    /// The handle (or platform id) of the account that answered.
    pub brand: String,
    pub conversations: u64,
    pub median_seconds: f64,
}

#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct StoreCounts {
    pub messages: u64,
    pub identities: u64,
    pub customers: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_garbage() {
        let c = Cursor { created_at: Timestamp::from_unix_millis(1_424_806_552_000).unwrap(), id: MessageId(42) };
        assert_eq!(Cursor::decode(&c.encode()), Some(c));
        for bad in ["", "_", "1_", "_1", "x_1", "1_x", "99999999999999999999_1"] {
            assert_eq!(Cursor::decode(bad), None, "{bad}");
        }
    }
}
