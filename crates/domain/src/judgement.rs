//! The judgement of one message: the value triage (`Triager::judge`) returns and the
//! engine stores, with its serialised (snake_case) form.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

/// The overall feeling of a message towards its subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sentiment {
    Negative,
    Neutral,
    Positive,
}

impl Sentiment {
    /// The classes in the order the model scores them.
    pub const ALL: [Sentiment; 3] = [Sentiment::Negative, Sentiment::Neutral, Sentiment::Positive];

    pub fn as_str(self) -> &'static str {
        match self {
            Sentiment::Negative => "negative",
            Sentiment::Neutral => "neutral",
            Sentiment::Positive => "positive",
        }
    }

    /// The index of this class in [`Sentiment::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// Parses the airline data set's label (`negative`, `neutral`, `positive`).
    pub fn parse(s: &str) -> Option<Sentiment> {
        Sentiment::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// What the author wants from the brand, as an agent would put it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Intent {
    Complaint,
    Question,
    Praise,
    Suggestion,
    Other,
}

impl Intent {
    /// The classes in the order the model scores them.
    pub const ALL: [Intent; 5] =
        [Intent::Complaint, Intent::Question, Intent::Praise, Intent::Suggestion, Intent::Other];

    pub fn as_str(self) -> &'static str {
        match self {
            Intent::Complaint => "complaint",
            Intent::Question => "question",
            Intent::Praise => "praise",
            Intent::Suggestion => "suggestion",
            Intent::Other => "other",
        }
    }

    /// The index of this class in [`Intent::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    pub fn parse(s: &str) -> Option<Intent> {
        Intent::ALL.into_iter().find(|i| i.as_str() == s)
    }
}

/// Why a message needs a human soon.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UrgentKind {
    /// Danger to people or property: injury, fire, gas, flood.
    Safety,
    /// Lawyers, lawsuits, regulators and ombudsmen.
    Legal,
    /// A threat to leave: cancelling an account, switching to a competitor.
    Churn,
    /// Public shaming: `#fail`, tagging the press, calls to boycott.
    Shaming,
}

impl UrgentKind {
    pub const ALL: [UrgentKind; 4] = [UrgentKind::Safety, UrgentKind::Legal, UrgentKind::Churn, UrgentKind::Shaming];

    pub fn as_str(self) -> &'static str {
        match self {
            UrgentKind::Safety => "safety",
            UrgentKind::Legal => "legal",
            UrgentKind::Churn => "churn",
            UrgentKind::Shaming => "shaming",
        }
    }

    pub fn parse(s: &str) -> Option<UrgentKind> {
        UrgentKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One reason a message is urgent, with the words of the message that showed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UrgentReason {
    pub reason: UrgentKind,
    /// The matched words, as they appear in the message (for example `cancelling my card`).
    pub words: Vec<String>,
}

/// The kinds of thing the entity extractor finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityKind {
    OrderNumber,
    BookingNumber,
    AccountNumber,
    FlightNumber,
    Postcode,
    ZipCode,
    Phone,
    Email,
    Url,
    Mention,
    Hashtag,
    Product,
    Competitor,
}

impl EntityKind {
    pub const ALL: [EntityKind; 13] = [
        EntityKind::OrderNumber,
        EntityKind::BookingNumber,
        EntityKind::AccountNumber,
        EntityKind::FlightNumber,
        EntityKind::Postcode,
        EntityKind::ZipCode,
        EntityKind::Phone,
        EntityKind::Email,
        EntityKind::Url,
        EntityKind::Mention,
        EntityKind::Hashtag,
        EntityKind::Product,
        EntityKind::Competitor,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EntityKind::OrderNumber => "order_number",
            EntityKind::BookingNumber => "booking_number",
            EntityKind::AccountNumber => "account_number",
            EntityKind::FlightNumber => "flight_number",
            EntityKind::Postcode => "postcode",
            EntityKind::ZipCode => "zip_code",
            EntityKind::Phone => "phone",
            EntityKind::Email => "email",
            EntityKind::Url => "url",
            EntityKind::Mention => "mention",
            EntityKind::Hashtag => "hashtag",
            EntityKind::Product => "product",
            EntityKind::Competitor => "competitor",
        }
    }

    pub fn parse(s: &str) -> Option<EntityKind> {
        EntityKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// A thing named in the message, with its byte span in the judged text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entity {
    pub kind: EntityKind,
    /// The text of the span, exactly as written in the message.
    pub text: String,
    /// Byte offset of the first byte of the span.
    pub start: usize,
    /// Byte offset one past the last byte of the span.
    pub end: usize,
    /// For products and competitors, the catalogue's canonical name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canonical: Option<String>,
}

/// Which label a reason pushed the judgement towards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Towards {
    Negative,
    Neutral,
    Positive,
    Complaint,
    Question,
    Praise,
    Suggestion,
    Other,
}

impl From<Sentiment> for Towards {
    fn from(s: Sentiment) -> Towards {
        match s {
            Sentiment::Negative => Towards::Negative,
            Sentiment::Neutral => Towards::Neutral,
            Sentiment::Positive => Towards::Positive,
        }
    }
}

impl From<Intent> for Towards {
    fn from(i: Intent) -> Towards {
        match i {
            Intent::Complaint => Towards::Complaint,
            Intent::Question => Towards::Question,
            Intent::Praise => Towards::Praise,
            Intent::Suggestion => Towards::Suggestion,
            Intent::Other => Towards::Other,
        }
    }
}

/// A word or feature that drove the judgement, so that an agent can see why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reason {
    /// The word as written in the message, or the name of a feature such as `capitals`.
    pub feature: String,
    /// How strongly it pushed (the model's log-odds contribution, rounded).
    pub weight: f32,
    pub towards: Towards,
}

/// Everything triage says about one message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Judgement {
    pub sentiment: Sentiment,
    /// From -1 (surely negative) to 1 (surely positive): P(positive) - P(negative).
    pub sentiment_score: f32,
    pub intent: Intent,
    /// True when the message complains, whatever else it also does.
    pub complaint: bool,
    pub urgent: bool,
    pub urgent_reasons: Vec<UrgentReason>,
    pub entities: Vec<Entity>,
    /// An ISO 639-1 code such as `en`, or `und` when it cannot be told.
    /// (A `Cow` so that judging does not allocate for it; it reads and
    /// writes as a plain string.)
    pub language: Cow<'static, str>,
    pub spam: bool,
    pub reasons: Vec<Reason>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_serialise_in_snake_case() {
        assert_eq!(serde_json::to_string(&EntityKind::FlightNumber).ok().as_deref(), Some("\"flight_number\""));
        assert_eq!(serde_json::to_string(&Intent::Suggestion).ok().as_deref(), Some("\"suggestion\""));
        assert_eq!(serde_json::to_string(&UrgentKind::Shaming).ok().as_deref(), Some("\"shaming\""));
        for k in EntityKind::ALL {
            assert_eq!(serde_json::to_string(&k).ok(), Some(format!("\"{}\"", k.as_str())));
            assert_eq!(EntityKind::parse(k.as_str()), Some(k));
        }
        for (i, s) in Sentiment::ALL.into_iter().enumerate() {
            assert_eq!(s.index(), i);
        }
        for (i, s) in Intent::ALL.into_iter().enumerate() {
            assert_eq!(s.index(), i);
        }
    }
}
