//! The community's second part through `CommunityStore`: charity rounds
//! (one vote per member, donations into the pot, the payout once, bad
//! input that changes nothing), idea comments, answers and links, the join
//! to the CRM (member to customer by verified email, the customer's
//! topics, a topic turned into a case, a case's answer as the solution),
//! and the value report.

use firebreak_community::{
    Account, Actor, BoardVisibility, IdeaId, MemberId, TopicKind,
    charity::{Charity, RoundStatus},
    ledger::Redemption,
    value::ValueConfig,
};
use firebreak_domain::{
    Author, CaseId, Channel, CustomerId, CustomerRef, Direction, DisplayName, Email, ExternalId, MessageText,
    NewCustomer, NewMessage, PlatformUserId, Timestamp, incident::IncidentStatus,
};
use firebreak_store::{
    CaseQuery, CommunityStore, IdeaLink, NewCharityRound, NewIdea, NewIncident, NewMember, NewTopic, SqliteStore, Store,
};

use crate::{POINTS, assert_balanced, board, code, member, open};

fn charities() -> Vec<Charity> {
    ["red-cross", "oxfam", "shelter"].iter().map(|s| Charity { slug: (*s).into(), name: s.replace('-', " ") }).collect()
}

/// Gives `who` `n` kudos worth of points (5 each) on a topic of theirs.
async fn earn(store: &SqliteStore, board: firebreak_community::BoardId, who: MemberId, givers: &[MemberId]) {
    let (_, post) = store
        .create_topic(
            Actor::member(who),
            NewTopic { board, kind: TopicKind::Discussion, title: "Tips".into(), body: "A tip.".into() },
        )
        .await
        .unwrap();
    for g in givers {
        store.give_kudos(Actor::member(*g), post.id, POINTS).await.unwrap();
    }
}

#[tokio::test]
async fn a_charity_round_takes_one_vote_per_member_and_pays_its_pot_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let staff = member(&store, "staff", true).await;
    let ann = member(&store, "ann", false).await;
    let bob = member(&store, "bob", false).await;
    let cat = member(&store, "cat", false).await;
    let b = board(&store, staff, "help", BoardVisibility::Public).await.id;
    earn(&store, b, ann, &[bob, cat]).await; // ann: 10 points
    earn(&store, b, bob, &[ann, cat]).await; // bob: 10 points

    // Only staff open a round; candidates are checked.
    let new = || NewCharityRound { title: "Winter 2026".into(), charities: charities() };
    assert_eq!(code(store.open_charity_round(Actor::member(ann), new()).await), "staff_only");
    let one = NewCharityRound { title: "Solo".into(), charities: charities()[..1].to_vec() };
    assert_eq!(code(store.open_charity_round(Actor::staff(staff), one).await), "invalid_candidates");
    let round = store.open_charity_round(Actor::staff(staff), new()).await.unwrap();
    assert_eq!(round.status, RoundStatus::Open);
    assert_eq!(round.charities.len(), 3);

    // One vote per member per round, for a candidate.
    store.vote_in_round(Actor::member(ann), round.id, "oxfam".into()).await.unwrap();
    assert_eq!(code(store.vote_in_round(Actor::member(ann), round.id, "shelter".into()).await), "already_voted");
    assert_eq!(code(store.vote_in_round(Actor::member(bob), round.id, "unicef".into()).await), "not_found");
    store.vote_in_round(Actor::member(bob), round.id, "shelter".into()).await.unwrap();
    let r = store.vote_in_round(Actor::member(cat), round.id, "oxfam".into()).await.unwrap();
    let votes: Vec<u64> = r.charities.iter().map(|c| c.votes).collect();
    assert_eq!(votes, vec![0, 2, 1]);

    // Donations go to the pot, within the balance; a retry is harmless.
    let t = store.donate_to_round(Actor::member(ann), round.id, "don-1".into(), 8).await.unwrap();
    let again = store.donate_to_round(Actor::member(ann), round.id, "don-1".into(), 8).await.unwrap();
    assert_eq!(t, again);
    assert_eq!(
        code(store.donate_to_round(Actor::member(bob), round.id, "don-2".into(), 11).await),
        "insufficient_balance"
    );
    assert_eq!(code(store.donate_to_round(Actor::member(bob), round.id, "don-1".into(), 1).await), "request_id_taken");
    store.donate_to_round(Actor::member(bob), round.id, "don-3".into(), 10).await.unwrap();
    assert_eq!(store.points_balance(ann).await.unwrap(), 2);
    assert_eq!(store.points_balance(bob).await.unwrap(), 0);
    assert_eq!(store.charity_round(round.id).await.unwrap().unwrap().pot, 18);
    assert_balanced(&store).await;

    // Closing pays the pot to the winner, once.
    assert_eq!(code(store.close_charity_round(Actor::member(ann), round.id).await), "staff_only");
    let closed = store.close_charity_round(Actor::staff(staff), round.id).await.unwrap();
    assert_eq!(closed.status, RoundStatus::Closed);
    assert_eq!(closed.winner.as_deref(), Some("oxfam"));
    assert_eq!((closed.pot, closed.paid), (0, 18));
    let twice = store.close_charity_round(Actor::staff(staff), round.id).await.unwrap();
    assert_eq!(twice, closed);
    let totals = store.ledger_totals().await.unwrap();
    let oxfam = Account::RedemptionDonation("oxfam".into()).key();
    assert_eq!(totals.accounts.iter().find(|(a, _)| *a == oxfam).map(|(_, n)| *n), Some(18));
    assert_balanced(&store).await;

    // A closed round takes nothing more, and nothing changes.
    let before = store.community_counts().await.unwrap();
    assert_eq!(code(store.vote_in_round(Actor::member(staff), round.id, "oxfam".into()).await), "round_closed");
    assert_eq!(code(store.donate_to_round(Actor::member(ann), round.id, "don-4".into(), 1).await), "round_closed");
    assert_eq!(store.community_counts().await.unwrap(), before);

    // A round with points and no votes cannot close; an empty one can.
    let quiet = store.open_charity_round(Actor::staff(staff), new()).await.unwrap();
    store.donate_to_round(Actor::member(ann), quiet.id, "don-5".into(), 2).await.unwrap();
    assert_eq!(code(store.close_charity_round(Actor::staff(staff), quiet.id).await), "no_votes");
    let empty = store.open_charity_round(Actor::staff(staff), new()).await.unwrap();
    let shut = store.close_charity_round(Actor::staff(staff), empty.id).await.unwrap();
    assert_eq!((shut.winner, shut.paid), (None, 0));
    // The old direct donation still works beside the rounds.
    assert_eq!(
        code(store.redeem_points(Actor::member(ann), "x".into(), 1, Redemption::Credit).await),
        "insufficient_balance"
    );
    assert_balanced(&store).await;
}

#[tokio::test]
async fn ideas_take_sanitised_comments_a_staff_answer_and_links_to_cases_and_incidents() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let staff = member(&store, "staff", true).await;
    let ann = member(&store, "ann", false).await;
    let idea = store
        .create_idea(Actor::member(ann), NewIdea { title: "Dark mode".into(), body: "Please.".into() })
        .await
        .unwrap();
    let c = store
        .comment_on_idea(Actor::member(ann), idea.id, "Yes! <script>alert(1)</script> [x](javascript:alert(1))".into())
        .await
        .unwrap();
    assert!(!c.body_html.contains("<script"), "{}", c.body_html);
    assert!(!c.body_html.contains("javascript:"), "{}", c.body_html);
    assert!(!c.by_staff);
    let s = store.comment_on_idea(Actor::staff(staff), idea.id, "Noted.".into()).await.unwrap();
    assert!(s.by_staff);
    assert_eq!(code(store.comment_on_idea(Actor::member(ann), idea.id, "  ".into()).await), "empty_body");
    assert_eq!(code(store.comment_on_idea(Actor::member(ann), IdeaId(999), "Hi".into()).await), "not_found");
    let list = store.idea_comments(idea.id).await.unwrap();
    assert_eq!(list.iter().map(|c| c.id).collect::<Vec<_>>(), vec![c.id, s.id]);
    assert_eq!(list[0].author_name, "ann");

    // The answer: staff only, one per idea, replaced.
    assert_eq!(code(store.answer_idea(Actor::member(ann), idea.id, "Done".into()).await), "staff_only");
    assert_eq!(store.idea_answer(idea.id).await.unwrap(), None);
    store.answer_idea(Actor::staff(staff), idea.id, "We are looking at it.".into()).await.unwrap();
    let a = store.answer_idea(Actor::staff(staff), idea.id, "Planned for **March**.".into()).await.unwrap();
    assert_eq!(store.idea_answer(idea.id).await.unwrap(), Some(a.clone()));
    assert!(a.body_html.contains("<strong>March</strong>"));

    // Links to the cases and incidents that asked for it.
    let case = a_case(&store, "ann@example.com").await;
    let incident = store
        .create_incident(NewIncident {
            title: "Eyes hurt at night".into(),
            status: IncidentStatus::Investigating,
            keys: vec![],
            areas: vec!["SW1A".into()],
            products: vec![],
            services: vec![],
            public: false,
            eta: None,
            started_at: Timestamp::from_unix_millis(1_790_000_000_000).unwrap(),
            created_by: "test".into(),
        })
        .await
        .unwrap();
    assert_eq!(code(store.link_idea(Actor::member(ann), idea.id, IdeaLink::Case(case)).await), "staff_only");
    assert_eq!(code(store.link_idea(Actor::staff(staff), idea.id, IdeaLink::Case(case + 100)).await), "not_found");
    store.link_idea(Actor::staff(staff), idea.id, IdeaLink::Case(case)).await.unwrap();
    store.link_idea(Actor::staff(staff), idea.id, IdeaLink::Case(case)).await.unwrap();
    store.link_idea(Actor::staff(staff), idea.id, IdeaLink::Incident(incident)).await.unwrap();
    assert_eq!(store.idea_links(idea.id).await.unwrap(), vec![IdeaLink::Case(case), IdeaLink::Incident(incident)]);
    assert_eq!(store.ideas_linked_to(IdeaLink::Case(case)).await.unwrap(), vec![idea.id]);

    // A merged idea takes no comments: its discussion is on the target.
    let dup = store
        .create_idea(Actor::member(ann), NewIdea { title: "Night theme".into(), body: "Same.".into() })
        .await
        .unwrap();
    store.merge_ideas(Actor::staff(staff), dup.id, idea.id, "same idea".into()).await.unwrap();
    assert_eq!(code(store.comment_on_idea(Actor::member(ann), dup.id, "Hi".into()).await), "idea_merged");
}

fn email_message(id: &str, from: &str, text: &str) -> NewMessage {
    NewMessage {
        channel: Channel::Email,
        external_id: ExternalId::parse(id).unwrap(),
        direction: Direction::In,
        author: Author::new(PlatformUserId::parse(from).unwrap()),
        text: MessageText::parse(text).unwrap(),
        language: None,
        created_at: Timestamp::from_unix_millis(1_790_000_000_000).unwrap(),
        in_reply_to: None,
        thread_id: None,
        metrics: None,
        raw: None,
        triage: None,
    }
}

async fn customer(store: &SqliteStore, email: &str) -> i64 {
    let c = NewCustomer {
        external_ref: Some(format!("C-{email}")),
        name: DisplayName::clean("Ann Example"),
        emails: vec![Email::parse(email).unwrap()],
        phones: vec![],
        postal_area: None,
        refs: CustomerRef::parse("x", email).into_iter().collect(),
        products: vec![],
        preferred_channel: None,
    };
    store.upsert_customers(vec![c]).await.unwrap()[0].id.0
}

/// A case of the customer on record with `email`, opened by an email.
async fn a_case(store: &SqliteStore, email: &str) -> i64 {
    let cust = customer(store, email).await;
    store.ingest(vec![email_message(&format!("m-{email}"), email, "My router is broken")]).await.unwrap();
    let q = CaseQuery { customer_id: Some(CustomerId(cust)), limit: 10, ..CaseQuery::default() };
    store.cases(q).await.unwrap().items[0].id.0
}

#[tokio::test]
async fn a_member_joins_their_customer_and_topics_become_cases_and_cases_answer_topics() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let staff = member(&store, "staff", true).await;
    let cust = customer(&store, "ann@example.com").await;
    // ann's verified email is on the customer's record; zed's is not.
    let ann = member(&store, "ann", false).await;
    let zed = member(&store, "zed", false).await;
    let unverified = store
        .create_member(NewMember {
            email: "ANN@example.com.invalid".into(),
            display_name: "Unverified".into(),
            password_hash: None,
            email_verified: false,
            customer_id: None,
            staff: false,
        })
        .await
        .unwrap();
    assert_eq!(store.link_member_to_customer(ann).await.unwrap(), Some(cust));
    assert_eq!(store.link_member_to_customer(ann).await.unwrap(), Some(cust));
    assert_eq!(store.community_member(ann).await.unwrap().unwrap().customer_id, Some(cust));
    assert_eq!(store.link_member_to_customer(zed).await.unwrap(), None);
    assert_eq!(code(store.link_member_to_customer(unverified.id).await), "email_not_verified");

    // The customer's forum activity, for the timeline and the agent.
    let b = board(&store, staff, "help", BoardVisibility::Public).await.id;
    assert!(store.customer_community(cust, 10).await.unwrap().topics.is_empty());
    let (topic, _) = store
        .create_topic(
            Actor::member(ann),
            NewTopic { board: b, kind: TopicKind::Question, title: "Router blinks red".into(), body: "Why?".into() },
        )
        .await
        .unwrap();
    let (other, _) = store
        .create_topic(
            Actor::member(zed),
            NewTopic { board: b, kind: TopicKind::Question, title: "Wifi drops".into(), body: "Help".into() },
        )
        .await
        .unwrap();
    let reply = store.reply(Actor::member(ann), other.id, "Move the router.".into()).await.unwrap();
    let mine = store.customer_community(cust, 10).await.unwrap();
    assert_eq!(mine.members, vec![ann]);
    assert_eq!(mine.topics.iter().map(|t| t.topic).collect::<Vec<_>>(), vec![topic.id]);
    assert_eq!(mine.replies.iter().map(|p| p.post).collect::<Vec<_>>(), vec![reply.id]);
    assert!(!mine.topics[0].solved);

    // Only staff turn a topic into a case; the asker must be a customer.
    assert_eq!(code(store.topic_to_case(Actor::member(ann), topic.id).await), "staff_only");
    assert_eq!(code(store.topic_to_case(Actor::staff(staff), other.id).await), "no_customer");
    let tc = store.topic_to_case(Actor::staff(staff), topic.id).await.unwrap();
    assert_eq!(store.topic_to_case(Actor::staff(staff), topic.id).await.unwrap(), tc);
    let case = store.case(CaseId(tc.case_id)).await.unwrap().unwrap();
    assert_eq!(case.case.customer_id.0, cust);
    assert_eq!(case.case.channel, Channel::Forum);
    assert!(case.timeline.iter().any(|m| m.message.text.as_str().starts_with("Router blinks red")));

    // The case's answer becomes the topic's solution, posted by staff,
    // without points.
    assert_eq!(
        code(store.publish_case_answer(Actor::member(ann), tc.case_id, topic.id, "Reset it.".into()).await),
        "staff_only"
    );
    assert_eq!(
        code(store.publish_case_answer(Actor::staff(staff), tc.case_id + 99, topic.id, "Reset it.".into()).await),
        "not_found"
    );
    let (post, solution) = store
        .publish_case_answer(Actor::staff(staff), tc.case_id, topic.id, "Hold **reset** for 10 s.".into())
        .await
        .unwrap();
    assert!(post.by_staff);
    assert_eq!(solution.post, post.id);
    assert_eq!(store.points_balance(staff).await.unwrap(), 0);
    assert!(store.customer_community(cust, 10).await.unwrap().topics[0].solved);
    assert_eq!(
        code(store.publish_case_answer(Actor::staff(staff), tc.case_id, topic.id, "Again.".into()).await),
        "already_solved"
    );
    assert_balanced(&store).await;
}

#[tokio::test]
async fn the_value_report_counts_contributors_and_deflected_contacts() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let staff = member(&store, "staff", true).await;
    let ann = member(&store, "ann", false).await;
    let bob = member(&store, "bob", false).await;
    let cat = member(&store, "cat", false).await;
    let b = board(&store, staff, "help", BoardVisibility::Public).await.id;
    // bob answers ann's and cat's questions, and one of his own.
    let mut solved = Vec::new();
    for asker in [ann, cat, bob, ann] {
        let (t, _) = store
            .create_topic(
                Actor::member(asker),
                NewTopic { board: b, kind: TopicKind::Question, title: "Q".into(), body: "?".into() },
            )
            .await
            .unwrap();
        let r = store.reply(Actor::member(bob), t.id, "Answer.".into()).await.unwrap();
        store.accept_solution(Actor::member(asker), t.id, r.id, POINTS).await.unwrap();
        if asker != bob {
            store.give_kudos(Actor::member(asker), r.id, POINTS).await.unwrap();
        }
        solved.push(t.id);
    }
    let (open_q, _) = store
        .create_topic(
            Actor::member(cat),
            NewTopic { board: b, kind: TopicKind::Question, title: "Open".into(), body: "?".into() },
        )
        .await
        .unwrap();
    // Views: 3 + 1 of solved topics count; the unsolved one does not.
    let views = vec![solved[0], solved[0], solved[1], open_q.id, solved[0]];
    assert_eq!(store.record_solution_views(views).await.unwrap(), 4);
    assert_eq!(store.record_solution_views(vec![solved[3]; 6]).await.unwrap(), 6);
    assert_eq!(store.record_solution_views(vec![]).await.unwrap(), 0);

    let config = ValueConfig { deflection_rate: 0.5, cost_per_contact_cents: 400 };
    let r = store.community_value(config, 10).await.unwrap();
    assert_eq!(r.solution_views, 10);
    assert_eq!(r.solved_topics, 4);
    assert_eq!(r.contacts_deflected, 5.0);
    assert_eq!(r.saved_cents, 2_000);
    let top = &r.contributors[0];
    assert_eq!(top.member, bob);
    assert_eq!((top.posts, top.solutions, top.kudos_received), (5, 4, 3));
    // ann and cat: bob's own question does not count as helping someone.
    assert_eq!(top.people_helped, 2);
    assert_eq!(top.solution_views, 10);
    assert_eq!(top.saved_cents, 2_000);
    assert_eq!(r.daily_views.iter().map(|d| d.views).sum::<u64>(), 10);
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["config"]["deflection_rate"], 0.5);
    let bad = ValueConfig { deflection_rate: 2.0, ..config };
    assert_eq!(code(store.community_value(bad, 10).await), "invalid_rate");
}
