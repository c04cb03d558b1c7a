//! The shapes of the case API: what callers ask of cases and customers, and
//! what the store answers.

use firebreak_domain::{
    CaseId, Channel, CustomerId, DisplayName, Email, Identity, Phone, PostalArea, StoredMessage, Timestamp,
    case::{CaseStatus, Priority},
    judgement::Sentiment,
    sla::ClockKind,
};
use serde::Serialize;

/// One SLA clock of a case.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ClockView {
    pub clock: ClockKind,
    /// `running`, `paused` or `stopped`.
    pub state: &'static str,
    pub due_at: Option<Timestamp>,
    /// Counted time left while paused, in ms (negative when already late).
    pub left_ms: Option<i64>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Csat {
    /// The request's token: the customer answers at `POST /api/v1/csat/{token}`.
    pub token: String,
    pub requested_at: Timestamp,
    pub score: Option<u8>,
    pub comment: Option<String>,
    pub answered_at: Option<Timestamp>,
}

/// A case as lists and pages show it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CaseView {
    pub id: CaseId,
    pub customer_id: CustomerId,
    pub customer_name: Option<String>,
    pub status: CaseStatus,
    pub priority: Priority,
    pub channel: Channel,
    pub subject: String,
    pub team_id: Option<i64>,
    pub agent_id: Option<i64>,
    pub sla_policy: Option<String>,
    pub opened_at: Timestamp,
    pub updated_at: Timestamp,
    pub first_response_at: Option<Timestamp>,
    pub resolved_at: Option<Timestamp>,
    pub closed_at: Option<Timestamp>,
    pub reopened: u32,
    /// The earliest due time of a running clock.
    pub due_at: Option<Timestamp>,
    pub clocks: Vec<ClockView>,
    pub tags: Vec<String>,
    pub csat: Option<Csat>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Note {
    pub id: i64,
    pub case_id: CaseId,
    pub author: String,
    pub text: String,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Promise {
    pub id: i64,
    pub case_id: CaseId,
    pub what: String,
    pub due_at: Timestamp,
    pub told_customer: bool,
    /// `open`, `due` (its time has come), `kept` or `broken`.
    pub status: String,
    pub created_by: String,
    pub created_at: Timestamp,
    pub settled_at: Option<Timestamp>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SlaEvent {
    pub clock: ClockKind,
    /// `warning`, `breach`, `met` or `breached_at_stop`.
    pub kind: String,
    pub due_at: Timestamp,
    pub at: Timestamp,
}

/// A case with everything on it: the cross-channel timeline in order, notes,
/// promises and the record of its SLA clocks.
#[derive(Debug, Clone, Serialize)]
pub struct CaseDetail {
    #[serde(flatten)]
    pub case: CaseView,
    pub timeline: Vec<StoredMessage>,
    pub notes: Vec<Note>,
    pub promises: Vec<Promise>,
    pub sla_events: Vec<SlaEvent>,
    /// The agents' replies and how their delivery went.
    pub replies: Vec<crate::ReplyDelivery>,
}

/// How a queue is sorted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum CaseSort {
    /// Most pressing first: priority, then the earliest SLA due time.
    #[default]
    Priority,
    /// Earliest SLA due time first.
    Due,
    /// Most recently updated first.
    Updated,
}

/// A filtered queue of cases.
#[derive(Debug, Clone, Default)]
pub struct CaseQuery {
    /// Any of these statuses; empty means the active ones (new, open, pending).
    pub statuses: Vec<CaseStatus>,
    pub priority: Option<Priority>,
    pub agent_id: Option<i64>,
    pub team_id: Option<i64>,
    pub unassigned: bool,
    pub channel: Option<Channel>,
    pub customer_id: Option<CustomerId>,
    pub tag: Option<String>,
    /// Only cases with a running clock due before this instant.
    pub due_before: Option<Timestamp>,
    /// Only cases whose customer's latest message was judged so.
    pub sentiment: Option<Sentiment>,
    pub sort: CaseSort,
    /// Skip this many (pages are short; an offset is cheap at 50 a page).
    pub offset: u32,
    pub limit: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct CasePage {
    pub items: Vec<CaseView>,
    /// Whether a later page exists.
    pub more: bool,
}

/// Changes to a case; absent fields are left as they are.
#[derive(Debug, Clone, Default)]
pub struct CaseUpdate {
    pub status: Option<CaseStatus>,
    pub priority: Option<Priority>,
    /// `Some(None)` unassigns.
    pub team_id: Option<Option<i64>>,
    pub agent_id: Option<Option<i64>>,
    pub add_tags: Vec<String>,
    pub remove_tags: Vec<String>,
    pub actor: String,
}

/// A promise as an agent records it.
#[derive(Debug, Clone)]
pub struct NewPromise {
    pub what: String,
    pub due_at: Timestamp,
    pub told_customer: bool,
    pub by: String,
}

/// An account event from the company's systems.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AccountEvent {
    pub id: i64,
    pub customer_id: CustomerId,
    /// `order_placed`, `order_shipped`, `order_late`, `bill_issued`,
    /// `bill_disputed`, `service_outage`, `credit_applied`, or another word.
    pub kind: String,
    pub occurred_at: Timestamp,
    pub reference: Option<String>,
    pub details: serde_json::Value,
    pub external_id: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewAccountEvent {
    pub kind: String,
    pub occurred_at: Timestamp,
    pub reference: Option<String>,
    pub details: serde_json::Value,
    pub external_id: Option<String>,
}

/// A consent record.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Consent {
    /// `marketing` or `proactive`.
    pub purpose: String,
    pub granted: bool,
    pub at: Timestamp,
    pub wording_version: String,
    /// How it was given: `web_form`, `phone`, `email`, `import`...
    pub method: String,
}

/// One point of the customer's sentiment over time: the mean triage score of
/// their messages in a week.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SentimentPoint {
    pub week_start: Timestamp,
    pub messages: u64,
    pub mean_score: f64,
}

/// A suggested match between an identity and a customer.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct MatchProposal {
    pub id: i64,
    pub identity_id: i64,
    pub customer_id: CustomerId,
    pub score: f64,
    pub evidence: serde_json::Value,
    /// `proposed`, `confirmed` or `rejected`.
    pub status: String,
}

/// Everything about one customer, for the 360 view.
#[derive(Debug, Clone, Serialize)]
pub struct Customer360 {
    pub id: CustomerId,
    pub external_ref: Option<String>,
    pub name: Option<DisplayName>,
    pub emails: Vec<Email>,
    pub phones: Vec<Phone>,
    pub postal_area: Option<PostalArea>,
    pub provisional: bool,
    pub refs: Vec<(String, String)>,
    pub identities: Vec<Identity>,
    /// The newest messages across every channel, oldest first (at most 200).
    pub timeline: Vec<StoredMessage>,
    pub open_cases: Vec<CaseView>,
    pub past_cases: Vec<CaseView>,
    pub account_events: Vec<AccountEvent>,
    pub sentiment: Vec<SentimentPoint>,
    pub promises: Vec<Promise>,
    pub consents: Vec<Consent>,
    pub proposals: Vec<MatchProposal>,
    /// Incidents that touch the customer: `{id, title, status, why: [area,
    /// product, linked], notice, credit}`.
    pub incidents: Vec<serde_json::Value>,
    /// Products and services the customer holds.
    pub products: Vec<String>,
    /// The channel they prefer for proactive notices.
    pub preferred_channel: Option<firebreak_domain::Channel>,
    pub merged_into: Option<CustomerId>,
}

/// One entry of the live event log.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct EventRecord {
    pub id: i64,
    pub at: Timestamp,
    /// `case.created`, `case.updated`, `case.reopened`, `case.csat`,
    /// `sla.warning`, `sla.breach`, `promise.created`, `promise.due_soon`,
    /// `promise.due`, `promise.settled`, `customer.merged`, `customer.unmerged`.
    pub kind: String,
    pub case_id: Option<CaseId>,
    pub payload: serde_json::Value,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Team {
    pub id: i64,
    pub name: String,
}

/// An agent, and how many active cases they hold.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct Agent {
    #[serde(default)]
    pub id: i64,
    pub name: String,
    pub email: String,
    #[serde(default)]
    pub team_id: Option<i64>,
    /// Channels, languages and tags the agent handles (`x`, `es`, `billing`).
    #[serde(default)]
    pub skills: Vec<String>,
    #[serde(default = "default_max_load")]
    pub max_load: i64,
    #[serde(default = "default_active")]
    pub active: bool,
    #[serde(default)]
    pub open_cases: i64,
}

fn default_max_load() -> i64 {
    20
}

fn default_active() -> bool {
    true
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CannedResponse {
    pub name: String,
    /// Text with `{{customer.name}}`, `{{customer.first_name}}`, `{{case.id}}`,
    /// `{{case.subject}}`, `{{agent.name}}`, `{{channel}}`.
    pub body: String,
}

/// How a case finds its agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssignStrategy {
    /// The next active agent of the team with room, in turn.
    RoundRobin,
    /// Among active agents with room whose skills cover the case (its
    /// channel, language and tags), the least loaded.
    Skills,
}

/// A stored SLA policy and its place in the order.
#[derive(Debug, Clone, Serialize)]
pub struct SlaPolicyView {
    pub id: i64,
    pub position: i64,
    #[serde(flatten)]
    pub config: firebreak_domain::sla::SlaPolicyConfig,
}
