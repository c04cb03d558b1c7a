//! The queries behind the workspace pages, through the `Store` trait: finding
//! customers, the merges around one, queue counts and the supervisor's
//! figures. Time is a manual clock.

use std::sync::Arc;

use firebreak_domain::{
    Author, CaseId, Channel, Clock, CustomerRef, Direction, DisplayName, Email, ExternalId, Handle, ManualClock,
    MessageText, NewCustomer, NewMessage, Phone, PlatformUserId, Timestamp, case::CaseStatus, sla::ClockKind,
};
use firebreak_store::{
    Agent, CaseQuery, CaseUpdate, CustomerLinks, QueueCountQuery, SqliteOptions, SqliteStore, Store,
};

const START: &str = "2026-11-20T08:00:00Z";

fn open(dir: &std::path::Path) -> (SqliteStore, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(Timestamp::parse_rfc3339(START).unwrap()));
    let store = SqliteStore::open(dir, SqliteOptions { clock: clock.clone(), ..SqliteOptions::default() }).unwrap();
    (store, clock)
}

fn tweet(id: &str, author: &str, handle: &str, name: &str, text: &str) -> NewMessage {
    NewMessage {
        channel: Channel::X,
        external_id: ExternalId::parse(id).unwrap(),
        direction: Direction::In,
        author: Author {
            id: PlatformUserId::parse(author).unwrap(),
            handle: Some(Handle::parse(handle).unwrap()),
            name: DisplayName::clean(name),
            followers: Some(10),
        },
        text: MessageText::parse(text).unwrap(),
        language: None,
        created_at: Timestamp::parse_rfc3339(START).unwrap(),
        in_reply_to: None,
        thread_id: None,
        metrics: None,
        raw: None,
        triage: None,
    }
}

/// A customer on record: reference, name, email, phones and references.
async fn customer(
    store: &SqliteStore,
    r: &str,
    name: &str,
    email: &str,
    phones: &[&str],
    refs: &[(&str, &str)],
) -> i64 {
    let c = NewCustomer {
        external_ref: Some(r.into()),
        name: DisplayName::clean(name),
        emails: vec![Email::parse(email).unwrap()],
        phones: phones.iter().map(|p| Phone::parse(p).unwrap()).collect(),
        postal_area: None,
        refs: refs.iter().map(|(k, v)| CustomerRef::parse(k, v).unwrap()).collect(),
        products: vec![],
        preferred_channel: None,
    };
    store.upsert_customers(vec![c]).await.unwrap()[0].id.0
}

async fn found(store: &SqliteStore, q: &str) -> Vec<(i64, String)> {
    store.search_customers(q.into(), 20).await.unwrap().into_iter().map(|c| (c.id.0, c.matched)).collect()
}

#[tokio::test]
async fn customers_are_found_by_every_kind_of_evidence_and_merges_are_followed() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = open(dir.path());
    let maria = customer(
        &store,
        "C-1",
        "Maria Lopez",
        "maria.lopez@example.com",
        &["+44 20 7946 0018"],
        &[("order", "NW-2211845")],
    )
    .await;
    let mario = customer(&store, "C-2", "Mario Rossi", "mario@example.com", &[], &[]).await;
    store.ingest(vec![tweet("1", "4001", "maria_runs", "M L", "hello there")]).await.unwrap();

    assert_eq!(found(&store, "maria.lopez@example.com").await, [(maria, "email".to_owned())]);
    assert_eq!(found(&store, "  Maria.Lopez@EXAMPLE.com ").await[0].0, maria, "addresses are compared lower-cased");
    assert_eq!(found(&store, "+44 (20) 7946-0018").await, [(maria, "phone".to_owned())]);
    assert_eq!(found(&store, "C-1").await, [(maria, "reference on record".to_owned())]);
    assert_eq!(found(&store, "nw-2211845").await, [(maria, "order number".to_owned())]);
    assert_eq!(found(&store, &maria.to_string()).await[0], (maria, "customer id".to_owned()));
    let by_name: Vec<i64> = found(&store, "mari").await.into_iter().map(|c| c.0).collect();
    assert_eq!(by_name, [maria, mario], "a name prefix, in name order, case-insensitive");
    assert_eq!(found(&store, "maria l").await, [(maria, "name".to_owned())]);
    assert!(found(&store, "").await.is_empty());
    assert!(found(&store, "nobody at all").await.is_empty());

    // The tweet's author is a provisional customer found by handle.
    let by_handle = found(&store, "@MARIA_RUNS").await;
    assert_eq!(by_handle.len(), 1);
    let (provisional, matched) = &by_handle[0];
    assert_eq!(matched, "x handle");
    let summary = &store.search_customers("@maria_runs".into(), 5).await.unwrap()[0];
    assert!(summary.provisional);
    assert_eq!(summary.open_cases, 1);
    assert_eq!(summary.identities, [(Channel::X, "@maria_runs".to_owned())]);

    // Once merged into Maria, the handle finds Maria, once.
    let merge = store
        .merge_customers(
            firebreak_domain::CustomerId(maria),
            firebreak_domain::CustomerId(*provisional),
            "Aisha".into(),
            "same person".into(),
        )
        .await
        .unwrap();
    assert_eq!(found(&store, "maria_runs").await, [(maria, "x handle".to_owned())]);
    let links: CustomerLinks = store.customer_links(firebreak_domain::CustomerId(maria)).await.unwrap();
    assert_eq!(links.merges.len(), 1);
    assert_eq!((links.merges[0].id, links.merges[0].from.0, links.merges[0].undone_at), (merge, *provisional, None));
    assert_eq!(links.merges[0].actor, "Aisha");
    store.unmerge(merge, "Aisha".into(), "not her".into()).await.unwrap();
    let links = store.customer_links(firebreak_domain::CustomerId(maria)).await.unwrap();
    assert!(links.merges[0].undone_at.is_some(), "an undone merge is listed as undone");
    assert!(store.customer_links(firebreak_domain::CustomerId(*provisional)).await.unwrap().merges.is_empty());
}

#[tokio::test]
async fn a_suggested_match_is_listed_on_the_side_of_the_person_it_is_about() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = open(dir.path());
    let tom = customer(&store, "C-3", "Tom Becker", "tom.becker@example.com", &[], &[]).await;
    let out = store.ingest(vec![tweet("9", "4002", "tom_becker", "Tom Becker", "is broadband down?")]).await.unwrap();
    let message = store.message(out[0].id).await.unwrap().unwrap();
    let case = store.cases(CaseQuery { limit: 5, ..Default::default() }).await.unwrap().items[0].clone();
    assert_ne!(case.customer_id.0, tom, "a provisional customer until someone decides");
    let links = store.customer_links(case.customer_id).await.unwrap();
    assert_eq!(links.suggestions.len(), 1, "{links:?}");
    assert_eq!(links.suggestions[0].customer_id.0, tom);
    assert!(message.message.author.handle.is_some());
    store.decide_proposal(links.suggestions[0].id, false, "Ben".into()).await.unwrap();
    assert!(store.customer_links(case.customer_id).await.unwrap().suggestions.is_empty());
}

#[tokio::test]
async fn queues_are_counted_and_the_supervisor_sees_sla_results_and_satisfaction() {
    let dir = tempfile::tempdir().unwrap();
    let (store, clock) = open(dir.path());
    let team = store.add_team("Billing".into()).await.unwrap();
    let agent = store
        .put_agent(Agent {
            id: 0,
            name: "Aisha".into(),
            email: "aisha@example.com".into(),
            team_id: Some(team.id),
            skills: vec![],
            max_load: 5,
            active: true,
            open_cases: 0,
        })
        .await
        .unwrap();
    let batch = (0..3).map(|i| tweet(&format!("t{i}"), &format!("50{i}"), &format!("p{i}"), "P", "help")).collect();
    store.ingest(batch).await.unwrap();
    let cases = store.cases(CaseQuery { limit: 10, ..Default::default() }).await.unwrap().items;
    assert_eq!(cases.len(), 3);
    let assign = CaseUpdate {
        agent_id: Some(Some(agent.id)),
        team_id: Some(Some(team.id)),
        actor: "test".into(),
        ..Default::default()
    };
    store.update_case(cases[0].id, assign).await.unwrap();

    clock.advance_millis(5 * 60_000);
    let now = clock.now();
    let q = QueueCountQuery { agent_id: agent.id, team_id: Some(team.id), due_before: now.plus_millis(3_600_000) };
    let counts = store.queue_counts(q).await.unwrap();
    assert_eq!((counts.all, counts.mine, counts.unassigned, counts.team), (3, 1, 2, Some(1)));
    assert_eq!(counts.urgent, 0);
    assert_eq!(counts.breaching, 3, "the social policy answers within the hour: {cases:?}");
    let none = store.queue_counts(QueueCountQuery { team_id: None, due_before: now, ..q }).await.unwrap();
    assert_eq!((none.team, none.breaching), (None, 0));

    // One case resolved in time, one after its first-response target.
    clock.advance_millis(5 * 60_000);
    resolve(&store, cases[1].id).await;
    clock.advance_millis(2 * 3_600_000);
    store.tick().await.unwrap();
    resolve(&store, cases[2].id).await;
    let token = store.case(cases[1].id).await.unwrap().unwrap().case.csat.unwrap().token;
    store.record_csat(token, 4, None).await.unwrap();

    let stats = store.supervisor_stats(clock.now()).await.unwrap();
    let fr = |p: &firebreak_store::PeriodStats| *p.sla.iter().find(|s| s.clock == ClockKind::FirstResponse).unwrap();
    assert_eq!((fr(&stats.today).met, fr(&stats.today).breached), (1, 1), "{stats:?}");
    assert_eq!(fr(&stats.week), fr(&stats.today));
    assert!(stats.today.breaches >= 1, "the timer reported the breach of the case left running");
    assert_eq!((stats.today.csat.answers, stats.today.csat.average), (1, Some(4.0)));
    assert_eq!(stats.breaching_now, 1, "the one case still open is past due");
    let teams: Vec<(&str, u64)> = stats.by_team.iter().map(|g| (g.name.as_str(), g.active)).collect();
    assert_eq!(teams, [("Billing", 1)]);
    assert_eq!(stats.by_channel.len(), 1);
    assert_eq!((stats.by_channel[0].name.as_str(), stats.by_channel[0].waiting), ("x", 1));
    assert_eq!(stats.by_channel[0].oldest_waiting, Some(cases[0].opened_at));
    let aisha = stats.agents.iter().find(|a| a.id == agent.id).unwrap();
    assert_eq!((aisha.open_cases, aisha.max_load), (1, 5));

    // Tomorrow's figures start again; the week's keep them.
    clock.advance_millis(24 * 3_600_000);
    let stats = store.supervisor_stats(clock.now()).await.unwrap();
    assert_eq!((fr(&stats.today).met, stats.today.csat.answers), (0, 0));
    assert_eq!(fr(&stats.week).met, 1);
}

async fn resolve(store: &SqliteStore, id: CaseId) {
    let u = CaseUpdate { status: Some(CaseStatus::Resolved), actor: "test".into(), ..Default::default() };
    store.update_case(id, u).await.unwrap();
}
