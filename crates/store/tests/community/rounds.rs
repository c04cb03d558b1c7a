//! Charity rounds against their invariants over random sequences of votes,
//! donations (each asked twice), redemptions as credit and closes (each
//! asked twice): after every step the ledger balances to zero, no member
//! and no pot is below zero, each member has at most one vote per round
//! and the tallies are exactly the votes accepted, a closed round's pot is
//! empty, and each charity holds exactly what the rounds it won paid.

use std::collections::{BTreeMap, BTreeSet};

use firebreak_community::{
    Account, Actor, BoardVisibility, TopicKind,
    charity::{Charity, RoundId, RoundStatus},
    ledger::{PointsConfig, Redemption},
};
use firebreak_store::{CommunityStore, NewBoard, NewCharityRound, NewTopic, SqliteOptions, SqliteStore};
use proptest::prelude::*;

use crate::member;

const MEMBERS: usize = 4;
const ROUNDS: usize = 2;
const CHARITIES: [&str; 3] = ["a", "b", "c"];

#[derive(Debug, Clone)]
enum Step {
    Vote { who: usize, round: usize, charity: usize },
    Donate { who: usize, round: usize, request: u8, amount: i64 },
    Credit { who: usize, request: u8, amount: i64 },
    Close { round: usize },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (0..MEMBERS, 0..ROUNDS, 0..CHARITIES.len() + 1)
            .prop_map(|(who, round, charity)| Step::Vote { who, round, charity }),
        4 => (0..MEMBERS, 0..ROUNDS, 0u8..8, 1i64..30)
            .prop_map(|(who, round, request, amount)| Step::Donate { who, round, request, amount }),
        1 => (0..MEMBERS, 0u8..8, 1i64..30).prop_map(|(who, request, amount)| Step::Credit { who, request, amount }),
        1 => (0..ROUNDS).prop_map(|round| Step::Close { round }),
    ]
}

/// What the test expects, kept beside the store.
#[derive(Default)]
struct Model {
    votes: Vec<BTreeMap<usize, usize>>, // per round: member -> charity
    closed: Vec<bool>,
    paid_to: BTreeMap<String, i64>,
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn rounds_keep_the_books_and_one_vote_per_member(steps in proptest::collection::vec(step(), 1..40)) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let dir = tempfile::tempdir().unwrap();
            let store = SqliteStore::open(dir.path(), SqliteOptions::default()).unwrap();
            let staff = member(&store, "staff", true).await;
            let mut members = Vec::new();
            for i in 0..MEMBERS {
                members.push(member(&store, &format!("m{i}"), false).await);
            }
            // Everyone earns 20 points: a topic each, kudos from everyone else.
            let points = PointsConfig { solution: 25, kudos: 20 / (MEMBERS as i64 - 1), idea_shipped: 0 };
            let board = store
                .create_board(Actor::staff(staff), NewBoard {
                    slug: "tips".into(), name: "Tips".into(), description: String::new(),
                    visibility: BoardVisibility::Public,
                })
                .await
                .unwrap();
            for &m in &members {
                let (_, post) = store
                    .create_topic(Actor::member(m), NewTopic {
                        board: board.id, kind: TopicKind::Discussion, title: "Tip".into(), body: "Tip.".into(),
                    })
                    .await
                    .unwrap();
                for &g in members.iter().filter(|g| **g != m) {
                    store.give_kudos(Actor::member(g), post.id, points).await.unwrap();
                }
            }
            let charities: Vec<Charity> =
                CHARITIES.iter().map(|s| Charity { slug: (*s).into(), name: s.to_uppercase() }).collect();
            let mut rounds: Vec<RoundId> = Vec::new();
            let mut model = Model::default();
            for i in 0..ROUNDS {
                let r = store
                    .open_charity_round(Actor::staff(staff), NewCharityRound {
                        title: format!("Round {i}"), charities: charities.clone(),
                    })
                    .await
                    .unwrap();
                rounds.push(r.id);
                model.votes.push(BTreeMap::new());
                model.closed.push(false);
            }
            for s in &steps {
                match *s {
                    Step::Vote { who, round, charity } => {
                        let slug = CHARITIES.get(charity).copied().unwrap_or("nobody").to_string();
                        let r = store.vote_in_round(Actor::member(members[who]), rounds[round], slug).await;
                        let allowed = !model.closed[round]
                            && charity < CHARITIES.len()
                            && !model.votes[round].contains_key(&who);
                        assert_eq!(r.is_ok(), allowed, "{s:?}: {r:?}");
                        if allowed {
                            model.votes[round].insert(who, charity);
                        }
                    }
                    Step::Donate { who, round, request, amount } => {
                        let id = format!("d-{round}-{request}");
                        let first = store.donate_to_round(Actor::member(members[who]), rounds[round], id.clone(), amount).await;
                        let again = store.donate_to_round(Actor::member(members[who]), rounds[round], id, amount).await;
                        if let Ok(t) = &first {
                            assert_eq!(again.as_ref().ok(), Some(t), "a retry answers the same donation");
                        }
                    }
                    Step::Credit { who, request, amount } => {
                        let _ = store
                            .redeem_points(Actor::member(members[who]), format!("c-{request}"), amount, Redemption::Credit)
                            .await;
                    }
                    Step::Close { round } => {
                        let before = store.charity_round(rounds[round]).await.unwrap().unwrap();
                        let first = store.close_charity_round(Actor::staff(staff), rounds[round]).await;
                        let again = store.close_charity_round(Actor::staff(staff), rounds[round]).await;
                        match first {
                            Ok(closed) => {
                                assert_eq!(again.unwrap(), closed.clone(), "closing twice pays once");
                                if !model.closed[round] {
                                    model.closed[round] = true;
                                    if let Some(w) = &closed.winner {
                                        *model.paid_to.entry(w.clone()).or_insert(0) += before.pot;
                                    }
                                    assert_eq!(closed.paid, before.pot);
                                }
                            }
                            Err(e) => {
                                assert_eq!(e.code(), Some("no_votes"));
                                assert!(model.votes[round].is_empty() && before.pot > 0);
                            }
                        }
                    }
                }
                // The invariants, after every step.
                let totals = store.ledger_totals().await.unwrap();
                assert_eq!(totals.sum, 0);
                assert_eq!(totals.unbalanced_transactions, 0);
                let balances: BTreeMap<String, i64> = totals.accounts.iter().cloned().collect();
                for (account, n) in &balances {
                    if account.starts_with("member:") || account.starts_with("charity:round:") {
                        assert!(*n >= 0, "{account} at {n}");
                    }
                }
                for (i, id) in rounds.iter().enumerate() {
                    let r = store.charity_round(*id).await.unwrap().unwrap();
                    assert_eq!(r.status == RoundStatus::Closed, model.closed[i]);
                    let tallies: Vec<u64> = r.charities.iter().map(|c| c.votes).collect();
                    let mut expected = vec![0u64; CHARITIES.len()];
                    for c in model.votes[i].values() {
                        expected[*c] += 1;
                    }
                    assert_eq!(tallies, expected, "one vote per member per round");
                    let voters: BTreeSet<&usize> = model.votes[i].keys().collect();
                    assert!(voters.len() <= MEMBERS);
                    assert_eq!(r.pot, balances.get(&Account::CharityPot(*id).key()).copied().unwrap_or(0));
                    if model.closed[i] {
                        assert_eq!(r.pot, 0);
                    }
                }
                for c in CHARITIES {
                    let held = balances.get(&Account::RedemptionDonation(c.into()).key()).copied().unwrap_or(0);
                    assert_eq!(held, model.paid_to.get(c).copied().unwrap_or(0));
                }
            }
        });
    }
}
