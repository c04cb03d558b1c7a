//! The points ledger, as double-entry bookkeeping.
//!
//! Points are never a number on a member's row: they are postings between
//! accounts. An award moves points from the community's `issuance` account
//! to a member; a redemption moves them from the member to
//! `redemption:credit` (account credit, for the billing export) or to
//! `redemption:donation:<charity>`; a reversal moves an award back. Every
//! transaction's postings sum to zero, so the balances of all accounts
//! together are always zero, and `issuance` (negative) says how many points
//! were ever given out net of reversals.
//!
//! Each transaction has an idempotency key, built by the functions in
//! [`keys`]: `award:solution:<post>`, `award:kudos:<kudos>`,
//! `award:idea_shipped:<idea>`, `reverse:<original key>`,
//! `redeem:<request id>`. A key is posted at most once; asking again
//! answers the transaction already posted and changes nothing.
//!
//! **Balances never go negative.** A redemption above the balance is
//! refused. A reversal that would take a member below zero (they earned the
//! points, then spent them, then moderation removed the post) takes what the
//! balance holds and records the rest as the reversal's `shortfall`, which
//! is written off, not carried as a debt. That is what consumer rewards
//! programmes generally do with points already turned into a reward: the
//! reward is not clawed back and the member's balance does not go below
//! zero; the shortfall stays visible to moderators on the reversal.
//!
//! The functions here build and check transactions from the facts they are
//! given (an original transaction, a balance); the store looks those facts
//! up inside its write transaction and records what they build. [`Ledger`]
//! is the same rules over an in-memory book, for tests and simulations.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::{
    charity::RoundId,
    types::{IdeaId, MemberId, PostId},
    validate::{self, Invalid},
};

/// An account in the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Account {
    /// A member's points.
    Member(MemberId),
    /// Where awarded points come from; its balance is minus the points out.
    Issuance,
    /// Points redeemed as account credit.
    RedemptionCredit,
    /// Points given to a charity (its slug).
    RedemptionDonation(String),
    /// A charity round's pot: donations wait here until the round closes and
    /// pays them to the charity members voted for (`crate::charity`).
    CharityPot(RoundId),
}

impl Account {
    /// The account's name as stored: `member:<id>`, `issuance`,
    /// `redemption:credit`, `redemption:donation:<charity>`,
    /// `charity:round:<id>`.
    pub fn key(&self) -> String {
        match self {
            Account::Member(m) => format!("member:{m}"),
            Account::Issuance => "issuance".into(),
            Account::RedemptionCredit => "redemption:credit".into(),
            Account::RedemptionDonation(c) => format!("redemption:donation:{c}"),
            Account::CharityPot(r) => format!("charity:round:{r}"),
        }
    }

    pub fn parse(s: &str) -> Option<Account> {
        if let Some(id) = s.strip_prefix("member:") {
            return id.parse().ok().map(|n| Account::Member(MemberId(n)));
        }
        if let Some(id) = s.strip_prefix("charity:round:") {
            return id.parse().ok().map(|n| Account::CharityPot(RoundId(n)));
        }
        if let Some(c) = s.strip_prefix("redemption:donation:") {
            return validate::slug("charity", c).ok().map(Account::RedemptionDonation);
        }
        match s {
            "issuance" => Some(Account::Issuance),
            "redemption:credit" => Some(Account::RedemptionCredit),
            _ => None,
        }
    }

    pub fn member(&self) -> Option<MemberId> {
        match self {
            Account::Member(m) => Some(*m),
            _ => None,
        }
    }
}

/// What a transaction is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TxKind {
    Award,
    Reversal,
    Redemption,
    /// A charity round's pot paid to the charity that won the round's vote.
    Payout,
}

impl TxKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TxKind::Award => "award",
            TxKind::Reversal => "reversal",
            TxKind::Redemption => "redemption",
            TxKind::Payout => "payout",
        }
    }

    pub fn parse(s: &str) -> Option<TxKind> {
        match s {
            "award" => Some(TxKind::Award),
            "reversal" => Some(TxKind::Reversal),
            "redemption" => Some(TxKind::Redemption),
            "payout" => Some(TxKind::Payout),
            _ => None,
        }
    }
}

/// An amount into (positive) or out of (negative) an account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Posting {
    pub account: Account,
    pub amount: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Transaction {
    /// The idempotency key: at most one transaction per key.
    pub key: String,
    pub kind: TxKind,
    /// Sum to zero. A reversal of nothing (the member had spent it all) has
    /// none.
    pub postings: Vec<Posting>,
    /// For a reversal: the key of the award it reverses.
    pub reverses: Option<String>,
    /// For a reversal: the points that could not be taken back because the
    /// member's balance did not hold them (written off).
    pub shortfall: i64,
}

impl Transaction {
    /// The sum of the postings (zero for every transaction this module
    /// builds).
    pub fn sum(&self) -> i64 {
        self.postings.iter().map(|p| p.amount).sum()
    }

    /// What the transaction moves into or out of `account`.
    pub fn amount_for(&self, account: &Account) -> i64 {
        self.postings.iter().filter(|p| &p.account == account).map(|p| p.amount).sum()
    }
}

/// The idempotency keys.
pub mod keys {
    use super::*;

    pub fn award_solution(post: PostId) -> String {
        format!("award:solution:{post}")
    }

    pub fn award_kudos(kudos: i64) -> String {
        format!("award:kudos:{kudos}")
    }

    pub fn award_idea_shipped(idea: IdeaId) -> String {
        format!("award:idea_shipped:{idea}")
    }

    pub fn reverse(original: &str) -> String {
        format!("reverse:{original}")
    }

    pub fn redeem(request_id: &str) -> String {
        format!("redeem:{request_id}")
    }
}

/// How many points each event earns; zero turns an award off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PointsConfig {
    /// For the author of a reply accepted as the solution.
    pub solution: i64,
    /// For the author of a post, per kudos received.
    pub kudos: i64,
    /// For the author of an idea, when it ships.
    pub idea_shipped: i64,
}

impl Default for PointsConfig {
    fn default() -> Self {
        PointsConfig { solution: 25, kudos: 5, idea_shipped: 100 }
    }
}

impl PointsConfig {
    pub fn check(&self) -> Result<(), Invalid> {
        for (field, v) in [("solution", self.solution), ("kudos", self.kudos), ("idea_shipped", self.idea_shipped)] {
            if !(0..=validate::MAX_REDEMPTION).contains(&v) {
                return Err(Invalid::new(field, "invalid_points", "points per event are 0 to 1,000,000,000"));
            }
        }
        Ok(())
    }
}

/// Where redeemed points go.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Redemption {
    /// Account credit with the company (exported for billing).
    Credit,
    /// A donation to the charity with this slug.
    Donation(String),
}

impl Redemption {
    pub fn account(&self) -> Account {
        match self {
            Redemption::Credit => Account::RedemptionCredit,
            Redemption::Donation(c) => Account::RedemptionDonation(c.clone()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LedgerError {
    #[error("an award must be of at least one point")]
    NonPositiveAmount,
    #[error("the balance is {balance} points, fewer than the {asked} asked for")]
    InsufficientBalance { balance: i64, asked: i64 },
    #[error("transaction {key} is not an award and cannot be reversed")]
    NotReversible { key: String },
    #[error("there is no transaction {key} to reverse")]
    NothingToReverse { key: String },
    #[error(transparent)]
    Invalid(#[from] Invalid),
}

impl LedgerError {
    pub fn code(&self) -> &'static str {
        match self {
            LedgerError::NonPositiveAmount => "non_positive_amount",
            LedgerError::InsufficientBalance { .. } => "insufficient_balance",
            LedgerError::NotReversible { .. } => "not_reversible",
            LedgerError::NothingToReverse { .. } => "nothing_to_reverse",
            LedgerError::Invalid(i) => i.code,
        }
    }
}

/// An award of `amount` points to `member` under `key`.
pub fn award(key: String, member: MemberId, amount: i64) -> Result<Transaction, LedgerError> {
    if amount <= 0 {
        return Err(LedgerError::NonPositiveAmount);
    }
    Ok(Transaction {
        key,
        kind: TxKind::Award,
        postings: vec![
            Posting { account: Account::Issuance, amount: -amount },
            Posting { account: Account::Member(member), amount },
        ],
        reverses: None,
        shortfall: 0,
    })
}

/// The reversal of the award `original`, given the member's balance now:
/// the award's postings negated, the member's share taken only as far as the
/// balance holds (the rest is the shortfall).
pub fn reverse(original: &Transaction, member_balance: i64) -> Result<Transaction, LedgerError> {
    if original.kind != TxKind::Award {
        return Err(LedgerError::NotReversible { key: original.key.clone() });
    }
    let mut postings = Vec::new();
    let mut shortfall = 0;
    for p in original.postings.iter().filter(|p| p.account.member().is_some()) {
        let take = p.amount.min(member_balance.max(0));
        shortfall += p.amount - take;
        if take > 0 {
            postings.push(Posting { account: p.account.clone(), amount: -take });
            postings.push(Posting { account: Account::Issuance, amount: take });
        }
    }
    Ok(Transaction {
        key: keys::reverse(&original.key),
        kind: TxKind::Reversal,
        postings,
        reverses: Some(original.key.clone()),
        shortfall,
    })
}

/// A redemption of `amount` points by `member`, refused above `balance`.
pub fn redeem(
    request_id: &str,
    member: MemberId,
    amount: i64,
    to: &Redemption,
    balance: i64,
) -> Result<Transaction, LedgerError> {
    let request_id = validate::request_id(request_id)?;
    let amount = validate::points(amount)?;
    if let Redemption::Donation(c) = to {
        validate::slug("charity", c)?;
    }
    if amount > balance {
        return Err(LedgerError::InsufficientBalance { balance, asked: amount });
    }
    Ok(Transaction {
        key: keys::redeem(&request_id),
        kind: TxKind::Redemption,
        postings: vec![
            Posting { account: Account::Member(member), amount: -amount },
            Posting { account: to.account(), amount },
        ],
        reverses: None,
        shortfall: 0,
    })
}

/// Whether a request posted something new or found its key already posted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Posted(Transaction),
    AlreadyPosted(Transaction),
}

impl Outcome {
    pub fn transaction(&self) -> &Transaction {
        match self {
            Outcome::Posted(t) | Outcome::AlreadyPosted(t) => t,
        }
    }
}

/// The ledger's rules over an in-memory book.
#[derive(Debug, Clone, Default)]
pub struct Ledger {
    transactions: BTreeMap<String, Transaction>,
    balances: HashMap<Account, i64>,
}

impl Ledger {
    pub fn balance(&self, account: &Account) -> i64 {
        self.balances.get(account).copied().unwrap_or(0)
    }

    pub fn balances(&self) -> &HashMap<Account, i64> {
        &self.balances
    }

    pub fn transactions(&self) -> impl Iterator<Item = &Transaction> {
        self.transactions.values()
    }

    pub fn transaction(&self, key: &str) -> Option<&Transaction> {
        self.transactions.get(key)
    }

    pub fn award(&mut self, key: String, member: MemberId, amount: i64) -> Result<Outcome, LedgerError> {
        if let Some(t) = self.transactions.get(&key) {
            return Ok(Outcome::AlreadyPosted(t.clone()));
        }
        self.post(award(key, member, amount)?)
    }

    pub fn reverse(&mut self, original_key: &str) -> Result<Outcome, LedgerError> {
        if let Some(t) = self.transactions.get(&keys::reverse(original_key)) {
            return Ok(Outcome::AlreadyPosted(t.clone()));
        }
        let original = self
            .transactions
            .get(original_key)
            .ok_or_else(|| LedgerError::NothingToReverse { key: original_key.to_owned() })?;
        let member = original.postings.iter().find_map(|p| p.account.member());
        let balance = member.map(|m| self.balance(&Account::Member(m))).unwrap_or(0);
        let t = reverse(original, balance)?;
        self.post(t)
    }

    pub fn redeem(
        &mut self,
        request_id: &str,
        member: MemberId,
        amount: i64,
        to: &Redemption,
    ) -> Result<Outcome, LedgerError> {
        if let Some(t) = self.transactions.get(&keys::redeem(request_id)) {
            return Ok(Outcome::AlreadyPosted(t.clone()));
        }
        let balance = self.balance(&Account::Member(member));
        self.post(redeem(request_id, member, amount, to, balance)?)
    }

    fn post(&mut self, t: Transaction) -> Result<Outcome, LedgerError> {
        debug_assert_eq!(t.sum(), 0, "an unbalanced transaction was built");
        for p in &t.postings {
            *self.balances.entry(p.account.clone()).or_insert(0) += p.amount;
        }
        self.transactions.insert(t.key.clone(), t.clone());
        Ok(Outcome::Posted(t))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ANN: MemberId = MemberId(1);

    #[test]
    fn accounts_round_trip() {
        for a in [
            Account::Member(MemberId(42)),
            Account::Issuance,
            Account::RedemptionCredit,
            Account::RedemptionDonation("red-cross".into()),
            Account::CharityPot(RoundId(3)),
        ] {
            assert_eq!(Account::parse(&a.key()), Some(a));
        }
        assert_eq!(Account::parse("member:x"), None);
        assert_eq!(Account::parse("redemption:donation:Bad Name"), None);
    }

    #[test]
    fn awards_are_idempotent_and_balanced() {
        let mut l = Ledger::default();
        let key = keys::award_solution(PostId(7));
        assert!(matches!(l.award(key.clone(), ANN, 25).unwrap(), Outcome::Posted(_)));
        assert!(matches!(l.award(key.clone(), ANN, 25).unwrap(), Outcome::AlreadyPosted(_)));
        assert_eq!(l.balance(&Account::Member(ANN)), 25);
        assert_eq!(l.balance(&Account::Issuance), -25);
        assert_eq!(l.award("award:kudos:1".into(), ANN, 0), Err(LedgerError::NonPositiveAmount));
    }

    #[test]
    fn redemption_above_the_balance_is_refused() {
        let mut l = Ledger::default();
        l.award(keys::award_kudos(1), ANN, 10).unwrap();
        let e = l.redeem("r1", ANN, 11, &Redemption::Credit).unwrap_err();
        assert_eq!(e, LedgerError::InsufficientBalance { balance: 10, asked: 11 });
        assert_eq!(e.code(), "insufficient_balance");
        l.redeem("r1", ANN, 10, &Redemption::Donation("red-cross".into())).unwrap();
        assert_eq!(l.balance(&Account::RedemptionDonation("red-cross".into())), 10);
        assert_eq!(l.redeem("r 2", ANN, 1, &Redemption::Credit).unwrap_err().code(), "invalid_request_id");
    }

    #[test]
    fn a_reversal_takes_back_what_the_balance_holds_and_records_the_rest() {
        let mut l = Ledger::default();
        let key = keys::award_solution(PostId(3));
        l.award(key.clone(), ANN, 25).unwrap();
        l.redeem("spend", ANN, 20, &Redemption::Credit).unwrap();
        let t = l.reverse(&key).unwrap().transaction().clone();
        assert_eq!(t.key, "reverse:award:solution:3");
        assert_eq!(t.amount_for(&Account::Member(ANN)), -5);
        assert_eq!(t.shortfall, 20);
        assert_eq!(l.balance(&Account::Member(ANN)), 0);
        // Once only.
        assert!(matches!(l.reverse(&key).unwrap(), Outcome::AlreadyPosted(_)));
        assert_eq!(l.balance(&Account::Member(ANN)), 0);
        // Only awards are reversible.
        assert_eq!(l.reverse("redeem:spend").unwrap_err().code(), "not_reversible");
        assert_eq!(l.reverse("award:kudos:99").unwrap_err().code(), "nothing_to_reverse");
    }

    #[test]
    fn points_config_reads_and_checks() {
        let c: PointsConfig = toml::from_str("solution = 50").unwrap();
        assert_eq!(c, PointsConfig { solution: 50, ..PointsConfig::default() });
        assert_eq!(PointsConfig { kudos: -1, ..c }.check().unwrap_err().field, "kudos");
    }
}
