//! Cases: the work of answering one customer, across channels. Their status,
//! their priority and how a message's signals set it.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{FieldError, channel::truncate_for_message};

/// Where a case stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    /// Opened by a customer's message; nobody has answered yet.
    New,
    /// Being worked on.
    Open,
    /// Waiting on the customer; the SLA clocks are paused.
    Pending,
    /// Answered and done; a new message within the reopen window reopens it.
    Resolved,
    /// Done for good; a new message starts a new case.
    Closed,
}

impl CaseStatus {
    pub const ALL: [CaseStatus; 5] =
        [CaseStatus::New, CaseStatus::Open, CaseStatus::Pending, CaseStatus::Resolved, CaseStatus::Closed];

    pub fn as_str(self) -> &'static str {
        match self {
            CaseStatus::New => "new",
            CaseStatus::Open => "open",
            CaseStatus::Pending => "pending",
            CaseStatus::Resolved => "resolved",
            CaseStatus::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Result<CaseStatus, FieldError> {
        CaseStatus::ALL.into_iter().find(|c| c.as_str() == s).ok_or_else(|| {
            FieldError::new(
                "invalid_status",
                format!(
                    "`{}` is not a case status; expected new, open, pending, resolved or closed",
                    truncate_for_message(s)
                ),
            )
        })
    }

    /// New, open and pending cases are active: new messages join them.
    pub fn is_active(self) -> bool {
        matches!(self, CaseStatus::New | CaseStatus::Open | CaseStatus::Pending)
    }
}

impl fmt::Display for CaseStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How soon a case needs attention. Ordered: `Urgent` sorts first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Urgent,
    High,
    Normal,
    Low,
}

impl Priority {
    pub const ALL: [Priority; 4] = [Priority::Urgent, Priority::High, Priority::Normal, Priority::Low];

    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Urgent => "urgent",
            Priority::High => "high",
            Priority::Normal => "normal",
            Priority::Low => "low",
        }
    }

    /// 0 for urgent to 3 for low: the stored and sorted form.
    pub fn rank(self) -> i64 {
        self as i64
    }

    pub fn from_rank(r: i64) -> Priority {
        match r {
            i64::MIN..=0 => Priority::Urgent,
            1 => Priority::High,
            2 => Priority::Normal,
            _ => Priority::Low,
        }
    }

    pub fn parse(s: &str) -> Result<Priority, FieldError> {
        Priority::ALL.into_iter().find(|p| p.as_str() == s).ok_or_else(|| {
            FieldError::new(
                "invalid_priority",
                format!("`{}` is not a priority; expected urgent, high, normal or low", truncate_for_message(s)),
            )
        })
    }

    /// The more pressing of two priorities.
    pub fn max(self, other: Priority) -> Priority {
        if self <= other { self } else { other }
    }
}

/// What about one message bears on how soon it needs an answer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PrioritySignals {
    /// Triage found a safety, legal, churn or shaming reason.
    pub urgent: bool,
    pub complaint: bool,
    pub negative: bool,
    /// The author's followers on the channel, when known.
    pub followers: u64,
}

/// Followers at which an author's complaint is heard widely enough to come first.
pub const WIDE_REACH: u64 = 10_000;

impl PrioritySignals {
    /// The rule: urgent reasons first; then a complaint or a negative message
    /// from an author with a wide reach; then any complaint or negative
    /// message; then the rest. A wide reach alone lifts a neutral message
    /// from low to normal.
    pub fn priority(self) -> Priority {
        let unhappy = self.complaint || self.negative;
        let wide = self.followers >= WIDE_REACH;
        match (self.urgent, unhappy, wide) {
            (true, _, _) => Priority::Urgent,
            (false, true, true) => Priority::High,
            (false, true, false) => Priority::Normal,
            (false, false, true) => Priority::Normal,
            (false, false, false) => Priority::Low,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn priority_follows_the_rule() {
        let p = |urgent, complaint, negative, followers| {
            PrioritySignals { urgent, complaint, negative, followers }.priority()
        };
        assert_eq!(p(true, false, false, 0), Priority::Urgent);
        assert_eq!(p(false, true, false, 50_000), Priority::High);
        assert_eq!(p(false, false, true, 10), Priority::Normal);
        assert_eq!(p(false, false, false, 50_000), Priority::Normal);
        assert_eq!(p(false, false, false, 10), Priority::Low);
        assert_eq!(Priority::Low.max(Priority::High), Priority::High);
        for q in Priority::ALL {
            assert_eq!(Priority::from_rank(q.rank()), q);
            assert_eq!(Priority::parse(q.as_str()), Ok(q));
        }
        for s in CaseStatus::ALL {
            assert_eq!(CaseStatus::parse(s.as_str()), Ok(s));
        }
    }
}
