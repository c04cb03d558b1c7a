//! Charity rounds: points given to charity wait in a round's pot until the
//! round closes, and then go, in one payout, to the charity the members
//! voted for.
//!
//! A round has two or more candidate charities. While it is open, each
//! member may vote once for one candidate, and any member may donate points
//! into the round's pot (a redemption from `member:<id>` to
//! `charity:round:<id>`, refused above the balance like any redemption).
//! Closing the round picks the winner (most votes; a tie goes to the
//! candidate listed first) and pays the whole pot to
//! `redemption:donation:<winner>` under the key `payout:round:<id>`, so a
//! close asked twice pays once. A round with points in its pot and no votes
//! cannot close: nobody chose where the points go.
//!
//! As everywhere in the ledger, every transaction built here sums to zero.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::{
    error::CommunityError,
    ledger::{Account, LedgerError, Posting, Transaction, TxKind, keys},
    types::MemberId,
    validate::{self, Invalid},
};

/// A charity payout round.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RoundId(pub i64);

impl std::fmt::Display for RoundId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The most candidates a round may have.
pub const MAX_CANDIDATES: usize = 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoundStatus {
    /// Takes votes and donations.
    Open,
    /// Paid out (or closed empty); takes nothing more.
    Closed,
}

impl RoundStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RoundStatus::Open => "open",
            RoundStatus::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<RoundStatus> {
        match s {
            "open" => Some(RoundStatus::Open),
            "closed" => Some(RoundStatus::Closed),
            _ => None,
        }
    }
}

/// A candidate charity: its key in the ledger (a slug) and its name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Charity {
    pub slug: String,
    pub name: String,
}

/// Checks a round's candidates: two to [`MAX_CANDIDATES`], valid slugs and
/// names, no slug twice. Answers them cleaned, in the order given (the
/// order breaks ties).
pub fn check_candidates(candidates: &[Charity]) -> Result<Vec<Charity>, Invalid> {
    if !(2..=MAX_CANDIDATES).contains(&candidates.len()) {
        return Err(Invalid::new(
            "charities",
            "invalid_candidates",
            format!("a round has 2 to {MAX_CANDIDATES} candidate charities"),
        ));
    }
    let mut out: Vec<Charity> = Vec::with_capacity(candidates.len());
    for c in candidates {
        let slug = validate::slug("charity", &c.slug)?;
        let name = validate::board_name(&c.name)?;
        if out.iter().any(|o| o.slug == slug) {
            return Err(Invalid::new("charities", "duplicate_candidate", format!("{slug} is listed twice")));
        }
        out.push(Charity { slug, name });
    }
    Ok(out)
}

fn closed() -> CommunityError {
    CommunityError::conflict("round_closed", "the charity round is closed")
}

/// Whether a member may vote for `charity` in a round.
pub fn check_vote(status: RoundStatus, already_voted: bool, is_candidate: bool) -> Result<(), CommunityError> {
    if status != RoundStatus::Open {
        return Err(closed());
    }
    if !is_candidate {
        return Err(CommunityError::NotFound { what: "charity in this round" });
    }
    if already_voted {
        return Err(CommunityError::conflict("already_voted", "you have already voted in this round"));
    }
    Ok(())
}

/// A donation of `amount` of `member`'s points into the round's pot,
/// refused above `balance` and on a closed round. Its key is the
/// redemption key of `request_id`, so a retry is recognised.
pub fn donate(
    request_id: &str,
    member: MemberId,
    amount: i64,
    round: RoundId,
    status: RoundStatus,
    balance: i64,
) -> Result<Transaction, CommunityError> {
    let request_id = validate::request_id(request_id)?;
    let amount = validate::points(amount)?;
    if status != RoundStatus::Open {
        return Err(closed());
    }
    if amount > balance {
        return Err(LedgerError::InsufficientBalance { balance, asked: amount }.into());
    }
    Ok(Transaction {
        key: keys::redeem(&request_id),
        kind: TxKind::Redemption,
        postings: vec![
            Posting { account: Account::Member(member), amount: -amount },
            Posting { account: Account::CharityPot(round), amount },
        ],
        reverses: None,
        shortfall: 0,
    })
}

/// The idempotency key of a round's payout.
pub fn payout_key(round: RoundId) -> String {
    format!("payout:round:{round}")
}

/// The winner: the candidate with the most votes, a tie going to the one
/// listed first; `None` when nobody voted.
pub fn winner<'a>(candidates: &'a [Charity], votes: &HashMap<String, u64>) -> Option<&'a Charity> {
    let mut best: Option<(&Charity, u64)> = None;
    for c in candidates {
        let n = votes.get(&c.slug).copied().unwrap_or(0);
        if n > 0 && best.is_none_or(|(_, b)| n > b) {
            best = Some((c, n));
        }
    }
    best.map(|(c, _)| c)
}

/// What closing a round does: the winner, and the payout of the pot to it
/// (`None` when the pot is empty). Refused when points are in the pot and
/// nobody voted.
pub fn close(
    round: RoundId,
    candidates: &[Charity],
    votes: &HashMap<String, u64>,
    pot: i64,
) -> Result<(Option<Charity>, Option<Transaction>), CommunityError> {
    let winner = winner(candidates, votes).cloned();
    if pot <= 0 {
        return Ok((winner, None));
    }
    let Some(w) = winner else {
        return Err(CommunityError::conflict(
            "no_votes",
            "nobody has voted in this round, so its pot has nowhere to go",
        ));
    };
    let t = Transaction {
        key: payout_key(round),
        kind: TxKind::Payout,
        postings: vec![
            Posting { account: Account::CharityPot(round), amount: -pot },
            Posting { account: Account::RedemptionDonation(w.slug.clone()), amount: pot },
        ],
        reverses: None,
        shortfall: 0,
    };
    Ok((Some(w), Some(t)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(slug: &str) -> Charity {
        Charity { slug: slug.into(), name: slug.to_uppercase() }
    }

    #[test]
    fn candidates_are_checked() {
        assert_eq!(check_candidates(&[c("a")]).unwrap_err().code, "invalid_candidates");
        assert_eq!(check_candidates(&[c("a"), c("a")]).unwrap_err().code, "duplicate_candidate");
        assert_eq!(check_candidates(&[c("a"), c("Bad Slug")]).unwrap_err().code, "invalid_slug");
        let blank = Charity { slug: "b".into(), name: "  ".into() };
        assert_eq!(check_candidates(&[c("a"), blank]).unwrap_err().code, "invalid_name");
        assert_eq!(check_candidates(&[c("a"), c("b")]).unwrap().len(), 2);
    }

    #[test]
    fn votes_once_for_a_candidate_of_an_open_round() {
        assert!(check_vote(RoundStatus::Open, false, true).is_ok());
        assert_eq!(check_vote(RoundStatus::Open, true, true).unwrap_err().code(), "already_voted");
        assert_eq!(check_vote(RoundStatus::Open, false, false).unwrap_err().code(), "not_found");
        assert_eq!(check_vote(RoundStatus::Closed, false, true).unwrap_err().code(), "round_closed");
    }

    #[test]
    fn donations_balance_and_stay_within_the_balance() {
        let t = donate("r1", MemberId(1), 30, RoundId(2), RoundStatus::Open, 30).unwrap();
        assert_eq!(t.sum(), 0);
        assert_eq!(t.key, "redeem:r1");
        assert_eq!(t.amount_for(&Account::CharityPot(RoundId(2))), 30);
        let e = donate("r1", MemberId(1), 31, RoundId(2), RoundStatus::Open, 30).unwrap_err();
        assert_eq!(e.code(), "insufficient_balance");
        let e = donate("r1", MemberId(1), 1, RoundId(2), RoundStatus::Closed, 30).unwrap_err();
        assert_eq!(e.code(), "round_closed");
        assert_eq!(
            donate("r 1", MemberId(1), 1, RoundId(2), RoundStatus::Open, 30).unwrap_err().code(),
            "invalid_request_id"
        );
        assert_eq!(
            donate("r1", MemberId(1), 0, RoundId(2), RoundStatus::Open, 30).unwrap_err().code(),
            "invalid_points"
        );
    }

    #[test]
    fn the_most_votes_win_and_ties_go_to_the_first_listed() {
        let list = [c("a"), c("b"), c("d")];
        let votes = |v: &[(&str, u64)]| v.iter().map(|(s, n)| (s.to_string(), *n)).collect::<HashMap<_, _>>();
        assert_eq!(winner(&list, &votes(&[])), None);
        assert_eq!(winner(&list, &votes(&[("b", 2), ("d", 3)])).unwrap().slug, "d");
        assert_eq!(winner(&list, &votes(&[("b", 3), ("d", 3)])).unwrap().slug, "b");
        // A vote for something not on the list counts for nothing.
        assert_eq!(winner(&list, &votes(&[("zzz", 9), ("a", 1)])).unwrap().slug, "a");
    }

    #[test]
    fn closing_pays_the_whole_pot_to_the_winner() {
        let list = [c("a"), c("b")];
        let votes: HashMap<String, u64> = [("b".to_string(), 1)].into();
        let (w, t) = close(RoundId(5), &list, &votes, 120).unwrap();
        let t = t.unwrap();
        assert_eq!(w.unwrap().slug, "b");
        assert_eq!(t.sum(), 0);
        assert_eq!(t.kind, TxKind::Payout);
        assert_eq!(t.key, "payout:round:5");
        assert_eq!(t.amount_for(&Account::RedemptionDonation("b".into())), 120);
        assert_eq!(t.amount_for(&Account::CharityPot(RoundId(5))), -120);
        // An empty pot closes without a payout, votes or not.
        assert_eq!(close(RoundId(5), &list, &HashMap::new(), 0).unwrap(), (None, None));
        // Points and no votes: nowhere to send them.
        assert_eq!(close(RoundId(5), &list, &HashMap::new(), 10).unwrap_err().code(), "no_votes");
    }
}
