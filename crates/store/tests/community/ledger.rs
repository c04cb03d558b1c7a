//! The store's points ledger against the pure model: random sequences of
//! replies, accepted solutions, kudos, moderation removals and redemptions,
//! each also asked a second time. After every step the store's books
//! balance, no member is below zero, every member's balance equals the
//! in-memory `Ledger` fed the same events, and a repeated request changed
//! nothing.

use firebreak_community::{
    Account, Actor, BoardVisibility, MemberId, PostId, TopicKind,
    ledger::{Ledger, Redemption, keys},
};
use firebreak_store::{CommunityStore, LedgerTotals, NewBoard, NewTopic, SqliteOptions, SqliteStore};
use proptest::prelude::*;

use crate::{POINTS, member};

/// The members who take part (the first is also the asker of every topic).
const MEMBERS: usize = 3;

#[derive(Debug, Clone)]
enum Step {
    Reply { who: usize },
    Accept { post: usize },
    Kudos { giver: usize, post: usize },
    Hide { post: usize },
    Redeem { who: usize, request: u8, amount: i64 },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (0..MEMBERS).prop_map(|who| Step::Reply { who }),
        2 => (0usize..12).prop_map(|post| Step::Accept { post }),
        3 => (0..MEMBERS, 0usize..12).prop_map(|(giver, post)| Step::Kudos { giver, post }),
        1 => (0usize..12).prop_map(|post| Step::Hide { post }),
        2 => (0..MEMBERS, 0u8..6, 1i64..40).prop_map(|(who, request, amount)| Step::Redeem { who, request, amount }),
    ]
}

/// A post the steps can refer to: its id, author and the kudos it received.
struct Known {
    id: PostId,
    author: usize,
    kudos: Vec<i64>,
}

async fn books(store: &SqliteStore) -> LedgerTotals {
    let t = store.ledger_totals().await.unwrap();
    assert_eq!(t.sum, 0);
    assert_eq!(t.unbalanced_transactions, 0);
    t
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn the_store_keeps_the_books_the_model_keeps(steps in proptest::collection::vec(step(), 1..40)) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let dir = tempfile::tempdir().unwrap();
            let store = SqliteStore::open(dir.path(), SqliteOptions::default()).unwrap();
            let staff = member(&store, "staff", true).await;
            let mut members = Vec::new();
            for i in 0..MEMBERS {
                members.push(member(&store, &format!("m{i}"), false).await);
            }
            let board = store
                .create_board(Actor::staff(staff), NewBoard {
                    slug: "help".into(), name: "Help".into(), description: String::new(),
                    visibility: BoardVisibility::Public,
                })
                .await
                .unwrap();
            // Several questions by the first member, so more than one solution can be accepted.
            let mut topics = Vec::new();
            for i in 0..3 {
                let (topic, _) = store
                    .create_topic(Actor::member(members[0]), NewTopic {
                        board: board.id, kind: TopicKind::Question, title: format!("Question {i}"),
                        body: "Help?".into(),
                    })
                    .await
                    .unwrap();
                topics.push(topic.id);
            }
            let mut posts: Vec<Known> = Vec::new();
            let mut model = Ledger::default();
            for (i, s) in steps.iter().enumerate() {
                for attempt in 0..2 {
                    let before = books(&store).await;
                    match s {
                        Step::Reply { who } => {
                            if attempt == 1 { continue; }
                            let topic = topics[i % topics.len()];
                            let p = store.reply(Actor::member(members[*who]), topic, format!("Answer {i}")).await.unwrap();
                            posts.push(Known { id: p.id, author: *who, kudos: vec![] });
                        }
                        Step::Accept { post } => {
                            let Some(k) = posts.get(*post % posts.len().max(1)) else { continue };
                            // The asker accepts on whichever question the reply is in.
                            for t in &topics {
                                let accepted =
                                    store.accept_solution(Actor::member(members[0]), *t, k.id, POINTS).await.is_ok();
                                // Answering one's own question earns nothing.
                                if accepted && k.author != 0 {
                                    let key = keys::award_solution(k.id);
                                    model.award(key, members[k.author], POINTS.solution).unwrap();
                                }
                            }
                        }
                        Step::Kudos { giver, post } => {
                            let n = posts.len().max(1);
                            let Some(k) = posts.get_mut(*post % n) else { continue };
                            if let Ok(kudos) = store.give_kudos(Actor::member(members[*giver]), k.id, POINTS).await {
                                k.kudos.push(kudos.id);
                                model.award(keys::award_kudos(kudos.id), members[k.author], POINTS.kudos).unwrap();
                            }
                        }
                        Step::Hide { post } => {
                            let Some(k) = posts.get(*post % posts.len().max(1)) else { continue };
                            if store.hide_post(Actor::staff(staff), k.id, "removed".into()).await.is_ok() {
                                // The same order as the store: the solution, then each kudos.
                                let earned = std::iter::once(keys::award_solution(k.id))
                                    .chain(k.kudos.iter().map(|id| keys::award_kudos(*id)));
                                for key in earned {
                                    let _ = model.reverse(&key);
                                }
                            }
                        }
                        Step::Redeem { who, request, amount } => {
                            let request_id = format!("m{who}-r{request}");
                            let to = Redemption::Credit;
                            let stored = store
                                .redeem_points(Actor::member(members[*who]), request_id.clone(), *amount, to.clone())
                                .await;
                            let modelled = model.redeem(&request_id, members[*who], *amount, &to);
                            prop_assert_eq!(stored.is_ok(), modelled.is_ok(), "{:?}: {:?} vs {:?}", s, stored, modelled);
                        }
                    }
                    let after = books(&store).await;
                    if attempt == 1 {
                        prop_assert_eq!(&after, &before, "asking again changed the books: {:?}", s);
                    }
                    for (n, m) in members.iter().enumerate() {
                        let balance = store.points_balance(*m).await.unwrap();
                        prop_assert!(balance >= 0);
                        prop_assert_eq!(balance, model.balance(&Account::Member(*m)), "member {} after {:?}", n, s);
                    }
                    prop_assert_eq!(
                        store.points_balance(MemberId(-1)).await.unwrap(), 0, "an unknown member has nothing"
                    );
                }
            }
            Ok(())
        })?;
    }
}
