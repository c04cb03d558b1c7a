//! Property test of the points ledger: over random sequences of awards,
//! reversals and redemptions, every transaction sums to zero, all balances
//! together are zero, no member's balance is negative, and replaying a
//! request changes nothing.

use firebreak_community::{
    Account, MemberId, PostId,
    ledger::{Ledger, Outcome, Redemption, TxKind, keys},
};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Award { kind: u8, id: i64, member: i64, amount: i64 },
    Reverse { kind: u8, id: i64 },
    Redeem { request: i64, member: i64, amount: i64, donation: Option<u8> },
}

fn award_key(kind: u8, id: i64) -> String {
    match kind {
        0 => keys::award_solution(PostId(id)),
        1 => keys::award_kudos(id),
        _ => keys::award_idea_shipped(firebreak_community::IdeaId(id)),
    }
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0u8..3, 0i64..15, 0i64..4, 0i64..60)
            .prop_map(|(kind, id, member, amount)| Op::Award { kind, id, member, amount }),
        2 => (0u8..3, 0i64..15).prop_map(|(kind, id)| Op::Reverse { kind, id }),
        3 => (0i64..15, 0i64..4, -5i64..120, proptest::option::of(0u8..2))
            .prop_map(|(request, member, amount, donation)| Op::Redeem { request, member, amount, donation }),
    ]
}

fn apply(l: &mut Ledger, op: &Op) -> Result<Outcome, String> {
    match op {
        Op::Award { kind, id, member, amount } => {
            l.award(award_key(*kind, *id), MemberId(*member), *amount).map_err(|e| e.code().to_owned())
        }
        Op::Reverse { kind, id } => l.reverse(&award_key(*kind, *id)).map_err(|e| e.code().to_owned()),
        Op::Redeem { request, member, amount, donation } => {
            let to = match donation {
                None => Redemption::Credit,
                Some(c) => Redemption::Donation(format!("charity-{c}")),
            };
            l.redeem(&format!("req-{request}"), MemberId(*member), *amount, &to).map_err(|e| e.code().to_owned())
        }
    }
}

fn snapshot(l: &Ledger) -> (Vec<(Account, i64)>, usize) {
    let mut b: Vec<(Account, i64)> = l.balances().iter().map(|(a, n)| (a.clone(), *n)).collect();
    b.sort();
    (b, l.transactions().count())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn the_books_always_balance(ops in proptest::collection::vec(op(), 1..80)) {
        let mut l = Ledger::default();
        for op in &ops {
            let first = apply(&mut l, op);
            let before = snapshot(&l);
            // The same request again changes nothing.
            let again = apply(&mut l, op);
            prop_assert_eq!(&snapshot(&l), &before, "a replay changed the books: {:?}", op);
            match (&first, &again) {
                (Ok(a), Ok(b)) => prop_assert_eq!(a.transaction(), b.transaction()),
                (Err(_), _) => {}
                (Ok(_), Err(e)) => prop_assert!(false, "a replay of a posted request failed: {}", e),
            }
            for t in l.transactions() {
                prop_assert_eq!(t.sum(), 0, "transaction {} does not balance", t.key);
            }
            prop_assert_eq!(l.balances().values().sum::<i64>(), 0);
            for (a, n) in l.balances() {
                if a.member().is_some() {
                    prop_assert!(*n >= 0, "{:?} is at {}", a, n);
                }
            }
        }
        // Every reversal reverses one award, takes back at most what it gave,
        // and accounts for the rest as its shortfall.
        for t in l.transactions().filter(|t| t.kind == TxKind::Reversal) {
            let original = l.transaction(t.reverses.as_deref().unwrap()).unwrap();
            prop_assert_eq!(original.kind, TxKind::Award);
            let member = original.postings.iter().find_map(|p| p.account.member()).unwrap();
            let given = original.amount_for(&Account::Member(member));
            let taken = -t.amount_for(&Account::Member(member));
            prop_assert!((0..=given).contains(&taken));
            prop_assert_eq!(taken + t.shortfall, given);
        }
    }
}
