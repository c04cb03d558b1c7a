//! The community's data level through `CommunityStore`: the idea merge
//! (votes of a member on both ideas count once), the points story
//! (solution, kudos, redemption, moderation removal) with the ledger
//! balanced after every step, who may do what, and bad input that changes
//! nothing; and (`ledger`) the store's books against the pure ledger model
//! over random sequences of events.

mod ledger;
mod more;
mod rounds;

use firebreak_community::{
    Account, Actor, BoardVisibility, IdeaId, IdeaStatus, MemberId, RankRules, TopicKind,
    ledger::{PointsConfig, Redemption},
};
use firebreak_store::{
    CommunityCounts, CommunityStore, CommunityStoreError, NewBoard, NewIdea, NewMember, NewTopic, SqliteOptions,
    SqliteStore, Store,
};

pub(crate) const POINTS: PointsConfig = PointsConfig { solution: 25, kudos: 5, idea_shipped: 100 };

fn open(dir: &std::path::Path) -> SqliteStore {
    SqliteStore::open(dir, SqliteOptions::default()).unwrap()
}

pub(crate) async fn member(store: &SqliteStore, name: &str, staff: bool) -> MemberId {
    store
        .create_member(NewMember {
            email: format!("{name}@example.com"),
            display_name: name.into(),
            password_hash: Some("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into()),
            email_verified: true,
            customer_id: None,
            staff,
        })
        .await
        .unwrap()
        .id
}

fn code<T: std::fmt::Debug>(r: Result<T, CommunityStoreError>) -> &'static str {
    match r {
        Err(e) => e.code().unwrap_or_else(|| panic!("a database failure, not a refusal: {e}")),
        Ok(v) => panic!("expected a refusal, got {v:?}"),
    }
}

/// The ledger balances: every transaction and all accounts together.
async fn assert_balanced(store: &SqliteStore) {
    let t = store.ledger_totals().await.unwrap();
    assert_eq!(t.sum, 0, "{:?}", t.accounts);
    assert_eq!(t.unbalanced_transactions, 0);
    for (account, balance) in &t.accounts {
        if account.starts_with("member:") {
            assert!(*balance >= 0, "{account} is at {balance}");
        }
    }
}

async fn board(
    store: &SqliteStore,
    staff: MemberId,
    slug: &str,
    visibility: BoardVisibility,
) -> firebreak_community::Board {
    store
        .create_board(
            Actor::staff(staff),
            NewBoard { slug: slug.into(), name: slug.into(), description: String::new(), visibility },
        )
        .await
        .unwrap()
}

async fn question(
    store: &SqliteStore,
    who: Actor,
    board: firebreak_community::BoardId,
    title: &str,
) -> firebreak_community::Topic {
    store
        .create_topic(
            who,
            NewTopic { board, kind: TopicKind::Question, title: title.into(), body: format!("{title}: any idea?") },
        )
        .await
        .unwrap()
        .0
}

#[tokio::test]
async fn votes_of_a_member_on_both_ideas_count_once_after_the_merge() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let staff = member(&store, "staff", true).await;
    let [ann, bob, cat, dan] = [
        member(&store, "ann", false).await,
        member(&store, "bob", false).await,
        member(&store, "cat", false).await,
        member(&store, "dan", false).await,
    ];
    let idea = |title: &str| NewIdea { title: title.into(), body: "Please.".into() };
    let target = store.create_idea(Actor::member(ann), idea("Dark mode")).await.unwrap();
    let dup = store.create_idea(Actor::member(bob), idea("A dark theme")).await.unwrap();
    // Ann votes on both, Bob and Dan on the duplicate only, Cat on the target only.
    for (who, on) in [(ann, target.id), (ann, dup.id), (bob, dup.id), (dan, dup.id), (cat, target.id)] {
        store.vote(Actor::member(who), on).await.unwrap();
    }
    assert_eq!(store.idea(target.id).await.unwrap().unwrap().votes, 2);
    assert_eq!(store.idea(dup.id).await.unwrap().unwrap().votes, 3);

    // Only staff merge.
    assert_eq!(code(store.merge_ideas(Actor::member(ann), dup.id, target.id, "same".into()).await), "staff_only");

    let merged = store.merge_ideas(Actor::staff(staff), dup.id, target.id, "the same idea".into()).await.unwrap();
    assert_eq!((merged.moved, merged.dropped), (2, 1));
    assert_eq!(merged.target.votes, 4, "ann, bob, cat and dan, each once");
    assert_eq!(merged.duplicate.status, IdeaStatus::Duplicate);
    assert_eq!(merged.duplicate.duplicate_of, Some(target.id));
    assert_eq!(merged.duplicate.votes, 0);
    let counts = store.community_counts().await.unwrap();
    assert_eq!(counts.votes, 4, "the vote rows are the target's four");

    // Ann's vote is on the target already; the duplicate is closed.
    assert_eq!(code(store.vote(Actor::member(ann), target.id).await), "already_voted");
    assert_eq!(code(store.vote(Actor::member(cat), dup.id).await), "idea_closed");
    // A duplicate is not merged twice, nor anything into it.
    assert_eq!(
        code(store.merge_ideas(Actor::staff(staff), dup.id, target.id, "again".into()).await),
        "already_duplicate"
    );
    assert_eq!(
        code(store.merge_ideas(Actor::staff(staff), target.id, dup.id, "back".into()).await),
        "already_duplicate"
    );
    assert_eq!(
        code(store.merge_ideas(Actor::staff(staff), target.id, target.id, "self".into()).await),
        "merge_into_self"
    );
    assert_eq!(code(store.merge_ideas(Actor::staff(staff), IdeaId(999), target.id, "x".into()).await), "not_found");
    assert_eq!(store.community_counts().await.unwrap(), counts, "refused merges changed nothing");
    assert_eq!(store.integrity_check().await.unwrap(), "ok");
}

#[tokio::test]
async fn points_follow_solutions_kudos_redemptions_and_moderation() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let moderator = member(&store, "mod", true).await;
    let [asker, answerer, fan] = [
        member(&store, "asker", false).await,
        member(&store, "answerer", false).await,
        member(&store, "fan", false).await,
    ];
    let help = board(&store, moderator, "help", BoardVisibility::Public).await;
    let topic = question(&store, Actor::member(asker), help.id, "Router keeps rebooting").await;
    let noise = store.reply(Actor::member(fan), topic.id, "Same here.".into()).await.unwrap();
    let answer = store
        .reply(Actor::member(answerer), topic.id, "Update the **firmware** to 2.1, then restart.".into())
        .await
        .unwrap();
    assert_balanced(&store).await;
    let rules = RankRules::default();
    let rank = |t| rules.rank_for(&t).unwrap().name.to_owned();
    assert_eq!(rank(store.member_totals(answerer).await.unwrap()), "Newcomer");

    // The asker accepts: the answerer earns the solution's points.
    store.accept_solution(Actor::member(asker), topic.id, answer.id, POINTS).await.unwrap();
    assert_eq!(store.points_balance(answerer).await.unwrap(), 25);
    assert_balanced(&store).await;
    let page = store.topic_page(None, topic.id).await.unwrap().unwrap();
    let order: Vec<_> = page.posts.iter().map(|p| p.post.id).collect();
    assert_eq!(order, vec![topic.first_post, answer.id, noise.id], "question, solution, then the rest");
    assert!(page.posts[1].is_solution);
    assert!(page.posts[1].post.body_html.contains("<strong>firmware</strong>"));

    // Kudos: the answerer earns again, and the rank changes.
    store.give_kudos(Actor::member(fan), answer.id, POINTS).await.unwrap();
    store.give_kudos(Actor::member(asker), answer.id, POINTS).await.unwrap();
    assert_eq!(store.points_balance(answerer).await.unwrap(), 35);
    assert_balanced(&store).await;
    let totals = store.member_totals(answerer).await.unwrap();
    assert_eq!((totals.points_earned, totals.solutions, totals.kudos_received), (35, 1, 2));
    let custom: RankRules = toml::from_str(
        "[[ranks]]\nname = \"Member\"\n[[ranks]]\nname = \"Helper\"\nmin_points = 30\nmin_solutions = 1\n",
    )
    .unwrap();
    assert_eq!(custom.rank_for(&totals).unwrap().name, "Helper");

    // The answerer redeems 30 as credit; a retry of the same request is harmless.
    let spent = store.redeem_points(Actor::member(answerer), "req-1".into(), 30, Redemption::Credit).await.unwrap();
    let again = store.redeem_points(Actor::member(answerer), "req-1".into(), 30, Redemption::Credit).await.unwrap();
    assert_eq!(spent, again);
    assert_eq!(store.points_balance(answerer).await.unwrap(), 5);
    assert_eq!(
        code(store.redeem_points(Actor::member(fan), "req-1".into(), 1, Redemption::Credit).await),
        "request_id_taken"
    );
    assert_balanced(&store).await;

    // A moderator removes the answer: its points go back, as far as the
    // balance holds them; the rest is written off, never a negative balance.
    store.report_post(Actor::member(fan), answer.id, "copied from a blog".into()).await.unwrap();
    assert_eq!(code(store.report_post(Actor::member(fan), answer.id, "again".into()).await), "already_reported");
    assert_eq!(code(store.report_post(Actor::member(answerer), answer.id, "me".into()).await), "own_post");
    assert_eq!(code(store.open_reports(Actor::member(fan), 10).await), "staff_only");
    assert_eq!(store.open_reports(Actor::staff(moderator), 10).await.unwrap().len(), 1);
    assert_eq!(code(store.hide_post(Actor::member(asker), answer.id, "spam".into()).await), "staff_only");
    let reversals = store.hide_post(Actor::staff(moderator), answer.id, "copied from elsewhere".into()).await.unwrap();
    assert_eq!(reversals.len(), 3, "the solution and two kudos: {reversals:?}");
    assert!(store.open_reports(Actor::staff(moderator), 10).await.unwrap().is_empty(), "hiding resolved the report");
    let taken: i64 = reversals.iter().map(|t| -t.amount_for(&Account::Member(answerer))).sum();
    let written_off: i64 = reversals.iter().map(|t| t.shortfall).sum();
    assert_eq!((taken, written_off), (5, 30));
    assert_eq!(store.points_balance(answerer).await.unwrap(), 0);
    assert_balanced(&store).await;
    let ledger = store.ledger_totals().await.unwrap();
    let balance_of = |name: &str| ledger.accounts.iter().find(|(a, _)| a == name).map(|(_, n)| *n);
    assert_eq!(balance_of("redemption:credit"), Some(30));
    assert_eq!(balance_of("issuance"), Some(-30));
    // Hiding again is refused; the reversals happened once.
    assert_eq!(code(store.hide_post(Actor::staff(moderator), answer.id, "again".into()).await), "already_hidden");
    assert_eq!(store.ledger_totals().await.unwrap(), ledger);

    // The answer is gone for members, there for staff; the question is open again.
    let page = store.topic_page(Some(Actor::member(fan)), topic.id).await.unwrap().unwrap();
    assert_eq!(page.topic.solution, None);
    assert!(page.posts.iter().all(|p| p.post.id != answer.id));
    let staff_page = store.topic_page(Some(Actor::staff(moderator)), topic.id).await.unwrap().unwrap();
    assert!(staff_page.posts.iter().any(|p| p.post.id == answer.id && p.post.hidden));
    // For ranks, a reversed award counts for nothing, written off or not.
    let totals = store.member_totals(answerer).await.unwrap();
    assert_eq!((totals.points_earned, totals.solutions, totals.kudos_received), (0, 0, 0));
    // Search no longer finds the hidden answer's words.
    assert!(store.search_topics("firmware".into(), 10).await.unwrap().is_empty());
    assert_eq!(store.search_topics("rebooting".into(), 10).await.unwrap()[0].topic, topic.id);

    // A new solution may be accepted, and earns its own award.
    store.accept_solution(Actor::member(asker), topic.id, noise.id, POINTS).await.unwrap();
    assert_eq!(store.points_balance(fan).await.unwrap(), 25);
    assert_balanced(&store).await;
    assert_eq!(store.integrity_check().await.unwrap(), "ok");
}

#[tokio::test]
async fn members_act_on_what_is_theirs_only() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let staff = member(&store, "staff", true).await;
    let [a, b] = [member(&store, "a", false).await, member(&store, "b", false).await];
    let public = board(&store, staff, "general", BoardVisibility::Public).await;
    let private = board(&store, staff, "staff-room", BoardVisibility::Private).await;
    let b_question = question(&store, Actor::member(b), public.id, "B asks").await;
    let b_reply = store.reply(Actor::member(b), b_question.id, "B adds detail.".into()).await.unwrap();
    let a_reply = store.reply(Actor::member(a), b_question.id, "A answers.".into()).await.unwrap();
    let secret = question(&store, Actor::staff(staff), private.id, "Staff only").await;

    // A cannot edit B's post, nor accept on B's question.
    assert_eq!(code(store.edit_post(Actor::member(a), b_reply.id, "mine now".into()).await), "not_author");
    assert_eq!(code(store.accept_solution(Actor::member(a), b_question.id, a_reply.id, POINTS).await), "not_asker");
    // Nor claim to be staff.
    assert_eq!(code(store.accept_solution(Actor::staff(a), b_question.id, a_reply.id, POINTS).await), "not_staff");
    assert_eq!(
        code(
            store
                .create_board(
                    Actor::member(a),
                    NewBoard {
                        slug: "mine".into(),
                        name: "Mine".into(),
                        description: String::new(),
                        visibility: BoardVisibility::Public
                    }
                )
                .await
        ),
        "staff_only"
    );
    // A private board is invisible to members: no page, no reply, no topic.
    assert!(store.topic_page(Some(Actor::member(a)), secret.id).await.unwrap().is_none());
    assert!(store.topic_page(None, secret.id).await.unwrap().is_none());
    assert!(store.topic_page(Some(Actor::staff(staff)), secret.id).await.unwrap().is_some());
    assert_eq!(code(store.reply(Actor::member(a), secret.id, "hi".into()).await), "not_found");
    assert_eq!(
        code(
            store
                .create_topic(
                    Actor::member(a),
                    NewTopic { board: private.id, kind: TopicKind::Discussion, title: "x".into(), body: "y".into() }
                )
                .await
        ),
        "not_found"
    );
    assert!(store.search_topics("staff".into(), 10).await.unwrap().is_empty());
    // Kudos: never on one's own post, once per post.
    assert_eq!(code(store.give_kudos(Actor::member(a), a_reply.id, POINTS).await), "own_post");
    store.give_kudos(Actor::member(a), b_reply.id, POINTS).await.unwrap();
    assert_eq!(code(store.give_kudos(Actor::member(a), b_reply.id, POINTS).await), "kudos_already_given");
    // One vote per member.
    let idea =
        store.create_idea(Actor::member(b), NewIdea { title: "Idea".into(), body: "Body".into() }).await.unwrap();
    store.vote(Actor::member(a), idea.id).await.unwrap();
    assert_eq!(code(store.vote(Actor::member(a), idea.id).await), "already_voted");
    assert_eq!(store.idea(idea.id).await.unwrap().unwrap().votes, 1);
    // Staff posts carry the badge, even when staff act as a member.
    let staff_post = store.reply(Actor::member(staff), b_question.id, "From the team.".into()).await.unwrap();
    assert!(staff_post.by_staff);
    assert!(!a_reply.by_staff);

    // A locked topic takes no replies or edits; a banned member can do nothing.
    assert_eq!(code(store.set_topic_locked(Actor::member(b), b_question.id, true, "done".into()).await), "staff_only");
    store.set_topic_locked(Actor::staff(staff), b_question.id, true, "heated".into()).await.unwrap();
    assert_eq!(code(store.reply(Actor::member(a), b_question.id, "one more".into()).await), "topic_locked");
    assert_eq!(code(store.edit_post(Actor::member(b), b_reply.id, "late".into()).await), "topic_locked");
    store.set_topic_locked(Actor::staff(staff), b_question.id, false, "calmer".into()).await.unwrap();
    // Moving a topic is for staff; moved into the private board, members lose sight of it.
    assert_eq!(code(store.move_topic(Actor::member(b), b_question.id, private.id, "tidy".into()).await), "staff_only");
    let moved = store.move_topic(Actor::staff(staff), b_question.id, private.id, "internal".into()).await.unwrap();
    assert_eq!(moved.board, private.id);
    assert!(store.topic_page(Some(Actor::member(b)), b_question.id).await.unwrap().is_none());
    store.move_topic(Actor::staff(staff), b_question.id, public.id, "back".into()).await.unwrap();
    store.set_member_banned(Actor::staff(staff), a, true, "abuse".into()).await.unwrap();
    assert_eq!(code(store.reply(Actor::member(a), b_question.id, "let me in".into()).await), "banned");
    assert_eq!(code(store.set_member_banned(Actor::staff(staff), staff, true, "oops".into()).await), "member_is_staff");
    store.set_member_banned(Actor::staff(staff), a, false, "appeal upheld".into()).await.unwrap();

    // The author's edit keeps the old text as a revision.
    let edited = store.edit_post(Actor::member(b), b_reply.id, "B adds *more* detail.".into()).await.unwrap();
    assert_eq!(edited.revisions, 1);
    assert!(edited.body_html.contains("<em>more</em>"));
    let revisions = store.post_revisions(b_reply.id).await.unwrap();
    assert_eq!(revisions.len(), 1);
    assert_eq!(revisions[0].body_markdown, "B adds detail.");
    assert_eq!(store.search_topics("more".into(), 10).await.unwrap().len(), 1);
}

#[tokio::test]
async fn bad_input_is_refused_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let staff = member(&store, "staff", true).await;
    let [a, b] = [member(&store, "a", false).await, member(&store, "b", false).await];
    let public = board(&store, staff, "general", BoardVisibility::Public).await;
    let q = question(&store, Actor::member(b), public.id, "B asks").await;
    let reply = store.reply(Actor::member(a), q.id, "A answers.".into()).await.unwrap();
    store.accept_solution(Actor::member(b), q.id, reply.id, POINTS).await.unwrap();
    let idea =
        store.create_idea(Actor::member(b), NewIdea { title: "Idea".into(), body: "Body".into() }).await.unwrap();
    for to in [IdeaStatus::UnderReview, IdeaStatus::Declined] {
        store.set_idea_status(Actor::staff(staff), idea.id, to, POINTS).await.unwrap();
    }

    let before: CommunityCounts = store.community_counts().await.unwrap();
    let ledger = store.ledger_totals().await.unwrap();
    let topic =
        |title: &str, body: String| NewTopic { board: public.id, kind: TopicKind::Question, title: title.into(), body };
    let cases: Vec<(&str, Result<(), CommunityStoreError>)> = vec![
        ("empty_title", store.create_topic(Actor::member(a), topic("   ", "body".into())).await.map(drop)),
        ("body_too_long", store.create_topic(Actor::member(a), topic("Long", "x".repeat(20_001))).await.map(drop)),
        ("body_too_long", store.reply(Actor::member(a), q.id, "y".repeat(20_001)).await.map(drop)),
        ("empty_body", store.reply(Actor::member(a), q.id, " \n ".into()).await.map(drop)),
        ("idea_closed", store.vote(Actor::member(a), idea.id).await.map(drop)),
        (
            "insufficient_balance",
            store.redeem_points(Actor::member(a), "too-much".into(), 26, Redemption::Credit).await.map(drop),
        ),
        (
            "invalid_points",
            store.redeem_points(Actor::member(a), "nothing".into(), 0, Redemption::Credit).await.map(drop),
        ),
        (
            "invalid_slug",
            store
                .redeem_points(Actor::member(a), "bad-charity".into(), 1, Redemption::Donation("Not A Slug".into()))
                .await
                .map(drop),
        ),
        (
            "illegal_transition",
            store.set_idea_status(Actor::staff(staff), idea.id, IdeaStatus::Shipped, POINTS).await.map(drop),
        ),
        ("already_solved", store.accept_solution(Actor::member(b), q.id, reply.id, POINTS).await.map(drop)),
        (
            "email_taken",
            store
                .create_member(NewMember {
                    email: "A@example.com".into(),
                    display_name: "A again".into(),
                    password_hash: None,
                    email_verified: false,
                    customer_id: None,
                    staff: false,
                })
                .await
                .map(drop),
        ),
        (
            "not_a_password_hash",
            store
                .create_member(NewMember {
                    email: "c@example.com".into(),
                    display_name: "C".into(),
                    password_hash: Some("hunter2".into()),
                    email_verified: false,
                    customer_id: None,
                    staff: false,
                })
                .await
                .map(drop),
        ),
    ];
    for (expected, result) in cases {
        assert_eq!(code(result), expected);
    }
    assert_eq!(store.community_counts().await.unwrap(), before, "a refused change left something behind");
    assert_eq!(store.ledger_totals().await.unwrap(), ledger);
    assert_eq!(store.points_balance(a).await.unwrap(), 25);
    // The full balance may be redeemed, to a charity.
    store.redeem_points(Actor::member(a), "all".into(), 25, Redemption::Donation("food-bank".into())).await.unwrap();
    assert_eq!(store.points_balance(a).await.unwrap(), 0);
    assert_balanced(&store).await;
}

#[tokio::test]
async fn shipping_an_idea_awards_its_author_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let staff = member(&store, "staff", true).await;
    let author = member(&store, "author", false).await;
    let idea =
        store.create_idea(Actor::member(author), NewIdea { title: "Export".into(), body: "CSV".into() }).await.unwrap();
    let path = [IdeaStatus::UnderReview, IdeaStatus::Planned, IdeaStatus::InProgress, IdeaStatus::Shipped];
    for to in path {
        store.set_idea_status(Actor::staff(staff), idea.id, to, POINTS).await.unwrap();
    }
    assert_eq!(store.points_balance(author).await.unwrap(), 100);
    // Reopened and shipped again: the award's key was used, nothing more.
    store.set_idea_status(Actor::staff(staff), idea.id, IdeaStatus::InProgress, POINTS).await.unwrap();
    store.set_idea_status(Actor::staff(staff), idea.id, IdeaStatus::Shipped, POINTS).await.unwrap();
    assert_eq!(store.points_balance(author).await.unwrap(), 100);
    assert_eq!(store.member_totals(author).await.unwrap().ideas_shipped, 1);
    assert_balanced(&store).await;
}
