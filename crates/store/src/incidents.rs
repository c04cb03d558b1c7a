//! The shapes of incidents as the store keeps them: candidates the detector
//! raised, incidents with their updates and links, proactive notices to
//! affected customers, goodwill credits, and the marketing suppression list.
//! Values arrive checked (the engine validates what people typed); the store
//! keeps the rules that need stored state (a candidate opens once, a credit
//! is issued once per incident and customer, an unlink is remembered).

use firebreak_domain::{
    CaseId, Channel, CustomerId, MessageId, Timestamp,
    incident::{Evidence, IncidentStatus, Key},
};
use serde::Serialize;

/// Where a candidate is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CandidateStatus {
    Open,
    /// Opened as an incident.
    Opened,
    Dismissed,
}

impl CandidateStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CandidateStatus::Open => "open",
            CandidateStatus::Opened => "opened",
            CandidateStatus::Dismissed => "dismissed",
        }
    }

    pub fn parse(s: &str) -> Option<CandidateStatus> {
        [CandidateStatus::Open, CandidateStatus::Opened, CandidateStatus::Dismissed]
            .into_iter()
            .find(|c| c.as_str() == s)
    }
}

/// A stored candidate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Candidate {
    pub id: i64,
    pub key: Key,
    pub raised_at: Timestamp,
    pub evidence: Evidence,
    pub status: CandidateStatus,
    pub incident_id: Option<i64>,
    pub decided_by: Option<String>,
    pub decided_at: Option<Timestamp>,
}

/// An incident to create (checked by the engine: at least one key or area).
#[derive(Debug, Clone, PartialEq)]
pub struct NewIncident {
    pub title: String,
    pub status: IncidentStatus,
    pub keys: Vec<Key>,
    /// Postal areas (upper-cased): `XX1`, `SW1A`, a ZIP prefix.
    pub areas: Vec<String>,
    /// Products (lower-cased) whose holders are affected.
    pub products: Vec<String>,
    /// Services (lower-cased) whose holders are affected.
    pub services: Vec<String>,
    pub public: bool,
    pub eta: Option<Timestamp>,
    /// When the trouble started; messages from then on are linked.
    pub started_at: Timestamp,
    pub created_by: String,
}

/// Changes to an incident; `None` keeps a value.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IncidentChange {
    pub title: Option<String>,
    pub status: Option<IncidentStatus>,
    /// `Some(None)` clears the ETA.
    pub eta: Option<Option<Timestamp>>,
    pub keys: Option<Vec<Key>>,
    pub areas: Option<Vec<String>>,
    pub products: Option<Vec<String>>,
    pub services: Option<Vec<String>>,
    pub public: Option<bool>,
}

/// A stored incident.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Incident {
    pub id: i64,
    pub title: String,
    pub status: IncidentStatus,
    pub keys: Vec<Key>,
    pub areas: Vec<String>,
    pub products: Vec<String>,
    pub services: Vec<String>,
    pub public: bool,
    pub eta: Option<Timestamp>,
    pub started_at: Timestamp,
    pub resolved_at: Option<Timestamp>,
    pub created_by: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub candidate_id: Option<i64>,
}

impl Incident {
    /// Every area the incident names: its own and its keys'.
    pub fn all_areas(&self) -> Vec<String> {
        let mut out = self.areas.clone();
        for k in &self.keys {
            if let Some(a) = k.get(firebreak_domain::incident::Dimension::Area)
                && !out.iter().any(|x| x == a)
            {
                out.push(a.to_owned());
            }
        }
        out
    }

    /// Every product or service the incident names: its own and its keys'.
    pub fn all_products(&self) -> Vec<String> {
        let mut out = self.products.clone();
        for p in self
            .services
            .iter()
            .map(String::as_str)
            .chain(self.keys.iter().filter_map(|k| k.get(firebreak_domain::incident::Dimension::Product)))
        {
            if !out.iter().any(|x| x == p) {
                out.push(p.to_owned());
            }
        }
        out
    }
}

/// Something said about an incident.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IncidentNote {
    pub id: i64,
    pub incident_id: i64,
    /// Shown on the status page when true; for staff only otherwise.
    pub public: bool,
    pub text: String,
    /// The incident's status when it was said.
    pub status: IncidentStatus,
    pub created_by: String,
    pub at: Timestamp,
}

/// What a link ties to an incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "id")]
pub enum LinkTarget {
    Message(MessageId),
    Case(CaseId),
}

/// A message or case tied to an incident, with enough to show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IncidentLink {
    pub id: i64,
    pub target: LinkTarget,
    /// `auto`, or who linked it.
    pub linked_by: String,
    pub linked_at: Timestamp,
    pub unlinked_by: Option<String>,
    pub unlinked_at: Option<Timestamp>,
    pub channel: Option<Channel>,
    /// The message's text (cut), or the case's subject.
    pub summary: Option<String>,
    pub case_id: Option<CaseId>,
    pub case_status: Option<String>,
}

/// How many customers an incident reaches and what was done for them.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AffectedCounts {
    /// Customers in its areas or holding its products.
    pub customers: u64,
    pub notices: u64,
    pub follow_ups: u64,
    pub credits: u64,
    /// Linked (not unlinked) messages and cases.
    pub messages: u64,
    pub cases: u64,
}

/// An incident with what hangs off it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IncidentDetail {
    #[serde(flatten)]
    pub incident: Incident,
    pub updates: Vec<IncidentNote>,
    pub links: Vec<IncidentLink>,
    pub affected: AffectedCounts,
}

/// Which incidents to list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IncidentFilter {
    pub open_only: bool,
    pub public_only: bool,
}

/// The two kinds of proactive message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    /// Telling affected customers of the incident.
    Notice,
    /// Telling those notified that it is resolved.
    FollowUp,
}

impl NoticeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::Notice => "notice",
            NoticeKind::FollowUp => "follow_up",
        }
    }
}

/// The text of a notice on one channel, with the incident's variables filled
/// in; `{{customer_name}}` is left for the store to fill per customer.
#[derive(Debug, Clone, PartialEq)]
pub struct NoticeTemplate {
    pub channel: Channel,
    /// For email.
    pub subject: Option<String>,
    pub text: String,
}

/// An outreach run: queue `kind` to every affected customer who consented
/// (notices), or to every customer notified (follow-ups), on the channels
/// that have a template.
#[derive(Debug, Clone, PartialEq)]
pub struct Outreach {
    pub kind: NoticeKind,
    pub templates: Vec<NoticeTemplate>,
    /// How a customer without a name is addressed.
    pub fallback_name: String,
}

/// Customers not reached, by why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// `no_consent` (never given), `consent_withdrawn`, `no_address` (the
    /// chosen channel has no address or id on record), `no_transport` (no
    /// notice can be sent on that channel).
    pub reason: String,
    pub customers: u64,
}

/// What an outreach run did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct OutreachReport {
    /// Customers it considered (affected, or notified for a follow-up).
    pub considered: u64,
    /// Newly queued.
    pub queued: u64,
    /// Queued by an earlier run (outreach run twice queues once).
    pub already: u64,
    /// Queued per channel by this run.
    pub by_channel: Vec<(Channel, u64)>,
    pub skipped: Vec<Skipped>,
}

/// A notice as delivery and the pages see it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Notice {
    pub id: i64,
    pub incident_id: i64,
    pub customer_id: CustomerId,
    pub kind: NoticeKind,
    pub channel: Channel,
    pub address: String,
    pub customer_name: Option<String>,
    pub subject: Option<String>,
    pub text: String,
    pub status: crate::DeliveryStatus,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub external_id: Option<String>,
    pub created_at: Timestamp,
    pub sent_at: Option<Timestamp>,
}

/// A credit run: the same amount to every affected customer, once each.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCredits {
    /// In minor units (pence, cents); more than zero.
    pub amount_minor: i64,
    /// ISO 4217, upper-case.
    pub currency: String,
    pub reason: String,
    pub created_by: String,
}

/// What a credit run did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CreditReport {
    pub affected: u64,
    pub issued: u64,
    /// Already credited for this incident.
    pub already: u64,
}

/// One line of the credits ledger, for billing.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CreditRow {
    pub id: i64,
    pub incident_id: i64,
    pub customer_id: CustomerId,
    /// The customer's id in the company's systems.
    pub external_ref: Option<String>,
    pub amount_minor: i64,
    pub currency: String,
    pub reason: String,
    pub created_by: String,
    pub created_at: Timestamp,
}

/// Which credits to export.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CreditQuery {
    pub incident: Option<i64>,
    /// Credits with an id above this (keyset pagination).
    pub after: Option<i64>,
    pub limit: u32,
}

/// Why a customer must not get marketing now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SuppressionReason {
    /// `affected_by_incident`, `linked_to_incident`, `open_complaint`,
    /// `marketing_consent_withdrawn`, `existing_customer`.
    pub code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub incident_id: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SuppressionRow {
    pub customer_id: CustomerId,
    pub external_ref: Option<String>,
    pub reasons: Vec<SuppressionReason>,
}

/// A page of the suppression list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SuppressionQuery {
    /// For an acquisition offer (meant for new customers): every existing
    /// customer is suppressed too.
    pub acquisition: bool,
    /// Customers with an id above this.
    pub after: Option<i64>,
    pub limit: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SuppressionPage {
    pub items: Vec<SuppressionRow>,
    /// The `after` of the next page, if there is one.
    pub next: Option<i64>,
}

/// Row counts, for tests and the status of the feature.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct IncidentCounts {
    pub candidates: u64,
    pub incidents: u64,
    pub updates: u64,
    pub links: u64,
    pub notices: u64,
    pub credits: u64,
}
