//! Ideas: their statuses and the moves between them, the voting rule, and
//! what merging a duplicate does to votes.
//!
//! The life of an idea: `new` → `under_review` → `planned` → `in_progress`
//! → `shipped`, with `declined` possible until work starts and a declined
//! idea open to review again. `shipped`, `declined` and `duplicate` are
//! closed: they take no votes. An idea becomes `duplicate` only by a merge,
//! which moves its votes to the idea it duplicates so that a member who
//! voted on both counts once.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::types::{IdeaId, MemberId};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdeaStatus {
    New,
    UnderReview,
    Planned,
    InProgress,
    Shipped,
    Declined,
    Duplicate,
}

impl IdeaStatus {
    pub const ALL: [IdeaStatus; 7] = [
        IdeaStatus::New,
        IdeaStatus::UnderReview,
        IdeaStatus::Planned,
        IdeaStatus::InProgress,
        IdeaStatus::Shipped,
        IdeaStatus::Declined,
        IdeaStatus::Duplicate,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            IdeaStatus::New => "new",
            IdeaStatus::UnderReview => "under_review",
            IdeaStatus::Planned => "planned",
            IdeaStatus::InProgress => "in_progress",
            IdeaStatus::Shipped => "shipped",
            IdeaStatus::Declined => "declined",
            IdeaStatus::Duplicate => "duplicate",
        }
    }

    pub fn parse(s: &str) -> Option<IdeaStatus> {
        IdeaStatus::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// A closed idea takes no votes.
    pub fn is_closed(self) -> bool {
        matches!(self, IdeaStatus::Shipped | IdeaStatus::Declined | IdeaStatus::Duplicate)
    }

    /// Whether staff may move an idea from `self` to `to` by setting its
    /// status. `duplicate` is reached by [`plan_merge`] only, and left never.
    pub fn can_move_to(self, to: IdeaStatus) -> bool {
        use IdeaStatus::*;
        match (self, to) {
            (from, to) if from == to => false,
            (_, Duplicate) | (Duplicate, _) => false,
            (New, UnderReview | Planned | Declined) => true,
            (UnderReview, New | Planned | Declined) => true,
            (Planned, UnderReview | InProgress | Declined) => true,
            (InProgress, Planned | Shipped) => true,
            // A shipped idea can be found not to be: work goes on.
            (Shipped, InProgress) => true,
            // A declined idea can be reconsidered.
            (Declined, UnderReview) => true,
            _ => false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum IdeaError {
    #[error("an idea cannot go from {} to {}", from.as_str(), to.as_str())]
    IllegalTransition { from: IdeaStatus, to: IdeaStatus },
    #[error("the idea is {}, so it takes no votes", status.as_str())]
    Closed { status: IdeaStatus },
    #[error("you have already voted for this idea")]
    AlreadyVoted,
    #[error("an idea cannot be merged into itself")]
    MergeIntoSelf,
    #[error("idea {0} is already a duplicate; merge into the idea it points at")]
    AlreadyDuplicate(IdeaId),
}

impl IdeaError {
    pub fn code(&self) -> &'static str {
        match self {
            IdeaError::IllegalTransition { .. } => "illegal_transition",
            IdeaError::Closed { .. } => "idea_closed",
            IdeaError::AlreadyVoted => "already_voted",
            IdeaError::MergeIntoSelf => "merge_into_self",
            IdeaError::AlreadyDuplicate(_) => "already_duplicate",
        }
    }
}

/// Checks a status change asked for by staff.
pub fn check_transition(from: IdeaStatus, to: IdeaStatus) -> Result<(), IdeaError> {
    if from.can_move_to(to) { Ok(()) } else { Err(IdeaError::IllegalTransition { from, to }) }
}

/// Checks a vote: one per member per idea, none on a closed idea.
pub fn check_vote(status: IdeaStatus, already_voted: bool) -> Result<(), IdeaError> {
    if status.is_closed() {
        return Err(IdeaError::Closed { status });
    }
    if already_voted {
        return Err(IdeaError::AlreadyVoted);
    }
    Ok(())
}

/// What a merge of `duplicate` into `target` does to votes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MergePlan {
    /// Votes on the duplicate only: they move to the target.
    pub moved: Vec<MemberId>,
    /// Votes on both: the duplicate's is dropped, the target's counts.
    pub dropped: Vec<MemberId>,
    /// The target's votes after the merge.
    pub target_votes: usize,
}

/// Plans merging idea `duplicate` (status `dup_status`, voted by
/// `dup_voters`) into `target` (voted by `target_voters`). The target may be
/// in any status but `duplicate` (merge into the idea it points at instead);
/// the duplicate may be anything but a duplicate already.
pub fn plan_merge(
    duplicate: IdeaId,
    dup_status: IdeaStatus,
    dup_voters: &BTreeSet<MemberId>,
    target: IdeaId,
    target_status: IdeaStatus,
    target_voters: &BTreeSet<MemberId>,
) -> Result<MergePlan, IdeaError> {
    if duplicate == target {
        return Err(IdeaError::MergeIntoSelf);
    }
    if dup_status == IdeaStatus::Duplicate {
        return Err(IdeaError::AlreadyDuplicate(duplicate));
    }
    if target_status == IdeaStatus::Duplicate {
        return Err(IdeaError::AlreadyDuplicate(target));
    }
    let (dropped, moved): (Vec<MemberId>, Vec<MemberId>) = dup_voters.iter().partition(|m| target_voters.contains(m));
    let target_votes = target_voters.len() + moved.len();
    Ok(MergePlan { moved, dropped, target_votes })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn statuses_round_trip_and_closed_ones_take_no_votes() {
        for s in IdeaStatus::ALL {
            assert_eq!(IdeaStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(IdeaStatus::parse("open"), None);
        assert_eq!(check_vote(IdeaStatus::New, false), Ok(()));
        assert_eq!(check_vote(IdeaStatus::InProgress, true), Err(IdeaError::AlreadyVoted));
        for closed in [IdeaStatus::Shipped, IdeaStatus::Declined, IdeaStatus::Duplicate] {
            assert_eq!(check_vote(closed, false), Err(IdeaError::Closed { status: closed }));
        }
    }

    #[test]
    fn the_lifecycle() {
        use IdeaStatus::*;
        let path = [New, UnderReview, Planned, InProgress, Shipped];
        for w in path.windows(2) {
            assert_eq!(check_transition(w[0], w[1]), Ok(()), "{:?}", w);
        }
        assert!(check_transition(New, Shipped).is_err());
        assert!(check_transition(Declined, Planned).is_err());
        assert!(check_transition(Declined, UnderReview).is_ok());
        assert_eq!(check_transition(New, Duplicate), Err(IdeaError::IllegalTransition { from: New, to: Duplicate }));
        for s in IdeaStatus::ALL {
            assert!(!s.can_move_to(s));
            assert!(!Duplicate.can_move_to(s));
        }
    }

    #[test]
    fn a_member_who_voted_on_both_counts_once() {
        let set = |v: &[i64]| v.iter().copied().map(MemberId).collect::<BTreeSet<_>>();
        let plan =
            plan_merge(IdeaId(2), IdeaStatus::New, &set(&[1, 2, 3]), IdeaId(1), IdeaStatus::Planned, &set(&[3, 4]))
                .unwrap();
        assert_eq!(plan.moved, vec![MemberId(1), MemberId(2)]);
        assert_eq!(plan.dropped, vec![MemberId(3)]);
        assert_eq!(plan.target_votes, 4);
        assert_eq!(
            plan_merge(IdeaId(1), IdeaStatus::New, &set(&[]), IdeaId(1), IdeaStatus::New, &set(&[])),
            Err(IdeaError::MergeIntoSelf)
        );
        assert_eq!(
            plan_merge(IdeaId(1), IdeaStatus::New, &set(&[]), IdeaId(2), IdeaStatus::Duplicate, &set(&[])),
            Err(IdeaError::AlreadyDuplicate(IdeaId(2)))
        );
    }

    proptest! {
        /// After a merge the target's voters are exactly the union of both
        /// ideas' voters, each once.
        #[test]
        fn merged_votes_are_the_union(
            dup in proptest::collection::btree_set(0i64..50, 0..30),
            target in proptest::collection::btree_set(0i64..50, 0..30),
        ) {
            let dup: BTreeSet<MemberId> = dup.into_iter().map(MemberId).collect();
            let target: BTreeSet<MemberId> = target.into_iter().map(MemberId).collect();
            let plan = plan_merge(IdeaId(1), IdeaStatus::New, &dup, IdeaId(2), IdeaStatus::New, &target).unwrap();
            let mut after = target.clone();
            for m in &plan.moved {
                prop_assert!(after.insert(*m), "a moved vote was already on the target");
            }
            let union: BTreeSet<MemberId> = dup.union(&target).copied().collect();
            prop_assert_eq!(&after, &union);
            prop_assert_eq!(plan.target_votes, union.len());
            prop_assert_eq!(plan.moved.len() + plan.dropped.len(), dup.len());
        }

        /// No sequence of status changes leaves the closed states by voting,
        /// and only allowed moves change the status.
        #[test]
        fn only_allowed_moves_change_the_status(moves in proptest::collection::vec(0usize..7, 0..40)) {
            let mut status = IdeaStatus::New;
            for m in moves {
                let to = IdeaStatus::ALL[m];
                match check_transition(status, to) {
                    Ok(()) => {
                        prop_assert!(status.can_move_to(to));
                        status = to;
                    }
                    Err(e) => prop_assert_eq!(e.code(), "illegal_transition"),
                }
                prop_assert_ne!(status, IdeaStatus::Duplicate);
                prop_assert_eq!(check_vote(status, false).is_err(), status.is_closed());
            }
        }
    }
}
