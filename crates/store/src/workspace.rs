//! The shapes behind the agents' and supervisors' pages: customers found by a
//! search, the merges and suggested matches around a customer, the size of
//! each queue, and the supervisor's figures.

use firebreak_domain::{Channel, CustomerId, Timestamp, sla::ClockKind};
use serde::Serialize;

use crate::{Agent, MatchProposal};

/// A customer a search found, with what matched.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CustomerSummary {
    pub id: CustomerId,
    pub name: Option<String>,
    pub external_ref: Option<String>,
    pub provisional: bool,
    /// Up to three of their email addresses.
    pub emails: Vec<String>,
    /// Up to three of their identities, as (channel, handle or platform id).
    pub identities: Vec<(Channel, String)>,
    /// How many of their cases are active (new, open or pending).
    pub open_cases: u64,
    /// What the query matched: `customer id`, `email`, `phone`, `reference`,
    /// `order number`, `x handle`, `mentioned in a message`, `name`...
    pub matched: String,
}

/// A merge that moved another customer into this one.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct MergeRecord {
    pub id: i64,
    /// The customer that was merged away.
    pub from: CustomerId,
    pub into: CustomerId,
    pub at: Timestamp,
    pub actor: String,
    pub reason: String,
    pub undone_at: Option<Timestamp>,
}

/// What links a customer to others: merges into them (to undo), and
/// suggestions that one of their identities belongs to another customer.
#[derive(Debug, Clone, Serialize, Default)]
pub struct CustomerLinks {
    /// Merges into this customer, newest first (undone ones included).
    pub merges: Vec<MergeRecord>,
    /// Open suggestions that an identity of this customer is someone on
    /// record (the other side of the 360's `proposals`).
    pub suggestions: Vec<MatchProposal>,
}

/// Which queues to count for one person.
#[derive(Debug, Clone, Copy)]
pub struct QueueCountQuery {
    /// The signed-in agent (their "mine" queue).
    pub agent_id: i64,
    /// Their team, if they have one.
    pub team_id: Option<i64>,
    /// Cases with a clock due before this are "breaching".
    pub due_before: Timestamp,
}

/// Queue sizes are counted up to this many; a count equal to it means at least.
pub const QUEUE_COUNT_CAP: u64 = 1000;

/// How many active cases each queue holds, each counted up to
/// [`QUEUE_COUNT_CAP`].
#[derive(Debug, Clone, Copy, Serialize, Default, PartialEq, Eq)]
pub struct QueueCounts {
    pub all: u64,
    pub mine: u64,
    pub unassigned: u64,
    /// `None` when the person has no team.
    pub team: Option<u64>,
    pub breaching: u64,
    pub urgent: u64,
}

/// Active cases in one group (a team or a channel).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct QueueGroup {
    /// The team's or the channel's name (`no team` for unassigned ones).
    pub name: String,
    /// New, open and pending cases.
    pub active: u64,
    /// New and open cases: those waiting on the team (pending ones wait on
    /// the customer).
    pub waiting: u64,
    /// When the oldest waiting case was opened.
    pub oldest_waiting: Option<Timestamp>,
}

/// Targets met and missed by clocks that stopped in a period.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub struct SlaAttainment {
    pub clock: ClockKind,
    pub met: u64,
    pub breached: u64,
}

/// Satisfaction answers received in a period.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Default)]
pub struct CsatSummary {
    pub answers: u64,
    /// The mean score (1 to 5), when there are answers.
    pub average: Option<f64>,
}

/// Figures for one period (today, this week).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PeriodStats {
    pub from: Timestamp,
    /// First response, then resolution.
    pub sla: Vec<SlaAttainment>,
    /// Breaches the SLA timer raised in the period (any clock).
    pub breaches: u64,
    pub csat: CsatSummary,
}

/// What a supervisor sees at a glance.
#[derive(Debug, Clone, Serialize)]
pub struct SupervisorStats {
    pub now: Timestamp,
    pub by_team: Vec<QueueGroup>,
    pub by_channel: Vec<QueueGroup>,
    /// Active cases whose earliest running clock is already past due.
    pub breaching_now: u64,
    /// Since midnight UTC.
    pub today: PeriodStats,
    /// Since Monday midnight UTC.
    pub week: PeriodStats,
    /// Active agents with their open cases and the most they take.
    pub agents: Vec<Agent>,
}
