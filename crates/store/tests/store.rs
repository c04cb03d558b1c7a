//! Black-box tests of the SQLite store: durability of answers, de-duplication,
//! listing, pagination and search, through the `Store` trait only.

use std::sync::Arc;

use firebreak_domain::{
    Author, Channel, Direction, DisplayName, Email, ExternalId, Handle, MessageText, Metrics, NewCustomer, NewMessage,
    PlatformUserId, Timestamp,
};
use firebreak_store::{MessageQuery, SearchQuery, SqliteOptions, SqliteStore, Store};

fn msg(id: &str, author: &str, text: &str, at_ms: i64) -> NewMessage {
    NewMessage {
        channel: Channel::X,
        external_id: ExternalId::parse(id).unwrap(),
        direction: Direction::In,
        author: Author {
            id: PlatformUserId::parse(author).unwrap(),
            handle: Some(Handle::parse(author).unwrap()),
            name: DisplayName::clean(author),
            followers: Some(10),
        },
        text: MessageText::parse(text).unwrap(),
        language: None,
        created_at: Timestamp::from_unix_millis(at_ms).unwrap(),
        in_reply_to: None,
        thread_id: None,
        metrics: None,
        raw: None,
        triage: None,
    }
}

fn open(dir: &std::path::Path) -> SqliteStore {
    SqliteStore::open(dir, SqliteOptions::default()).unwrap()
}

#[tokio::test]
async fn redelivery_returns_the_same_id_and_raises_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let first = store.ingest(vec![msg("1", "ann", "my bag is lost", 1_000)]).await.unwrap();
    assert!(!first[0].duplicate);

    let mut again = msg("1", "ann", "my bag is lost", 1_000);
    again.metrics = Some(Metrics { likes: 5, shares: 2, replies: 1 });
    let second = store.ingest(vec![again.clone(), again]).await.unwrap();
    assert_eq!(second[0].id, first[0].id);
    assert!(second[0].duplicate && second[1].duplicate);

    let stored = store.message(first[0].id).await.unwrap().unwrap();
    assert_eq!(stored.message.metrics, Some(Metrics { likes: 5, shares: 2, replies: 1 }));
    // A stale snapshot does not lower the counts.
    let mut stale = msg("1", "ann", "my bag is lost", 1_000);
    stale.metrics = Some(Metrics { likes: 1, shares: 0, replies: 0 });
    store.ingest(vec![stale]).await.unwrap();
    let stored = store.message(first[0].id).await.unwrap().unwrap();
    assert_eq!(stored.message.metrics.unwrap().likes, 5);
    assert_eq!(store.counts().await.unwrap().messages, 1);
}

#[tokio::test]
async fn answers_survive_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let ids = {
        let store = open(dir.path());
        let out = store.ingest((0..100).map(|i| msg(&i.to_string(), "bob", "hello", i)).collect()).await.unwrap();
        store.close().await.unwrap();
        out
    };
    let store = open(dir.path());
    assert_eq!(store.counts().await.unwrap().messages, 100);
    let again = store.ingest(vec![msg("7", "bob", "hello", 7)]).await.unwrap();
    assert_eq!(again[0].id, ids[7].id);
    assert_eq!(store.integrity_check().await.unwrap(), "ok");
}

#[tokio::test]
async fn concurrent_batches_are_grouped_and_each_answered() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(open(dir.path()));
    let mut tasks = Vec::new();
    for t in 0..8 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            for b in 0..10 {
                let batch = (0..50).map(|i| msg(&format!("{t}-{b}-{i}"), &format!("u{i}"), "text", i)).collect();
                let out = store.ingest(batch).await.unwrap();
                assert_eq!(out.len(), 50);
                assert!(out.iter().all(|o| !o.duplicate));
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(store.counts().await.unwrap().messages, 4000);
    assert_eq!(store.counts().await.unwrap().identities, 50);
    let stats = store.stats();
    assert_eq!(stats.messages_stored, 4000);
    assert!(stats.groups_committed <= 80);
}

#[tokio::test]
async fn listing_filters_and_pages_newest_first() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let mut batch: Vec<NewMessage> = (0..25).map(|i| msg(&format!("m{i}"), "ann", "x", i * 1000)).collect();
    batch.push(msg("other", "Bob", "y", 3_500));
    let mut fb = msg("fb", "carl", "z", 2_000);
    fb.channel = Channel::Facebook;
    batch.push(fb);
    store.ingest(batch).await.unwrap();

    let mut seen = Vec::new();
    let mut q = MessageQuery { author: Some("@ann".into()), limit: 10, ..Default::default() };
    loop {
        let page = store.messages(q.clone()).await.unwrap();
        seen.extend(page.items.iter().map(|m| m.message.created_at.unix_millis()));
        match page.next {
            Some(c) => q.after = Some(c),
            None => break,
        }
    }
    assert_eq!(seen, (0..25).rev().map(|i| i * 1000).collect::<Vec<_>>());

    let bob = store.messages(MessageQuery { author: Some("bob".into()), limit: 10, ..Default::default() }).await;
    assert_eq!(bob.unwrap().items.len(), 1, "handles match without regard to case");
    let fb = store.messages(MessageQuery { channel: Some(Channel::Facebook), limit: 10, ..Default::default() });
    assert_eq!(fb.await.unwrap().items[0].message.external_id.as_str(), "fb");
    let window = MessageQuery {
        since: Some(Timestamp::from_unix_millis(3_000).unwrap()),
        until: Some(Timestamp::from_unix_millis(5_000).unwrap()),
        limit: 100,
        ..Default::default()
    };
    assert_eq!(store.messages(window).await.unwrap().items.len(), 3);
}

#[tokio::test]
async fn search_ranks_and_highlights() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    store
        .ingest(vec![
            msg("1", "a", "My luggage is lost. Lost luggage again!", 1),
            msg("2", "b", "Great flight, thanks", 2),
            msg("3", "c", "lost my way to the gate <b>", 3),
            msg("4", "d", "Café was closed", 4),
        ])
        .await
        .unwrap();
    let hits = store.search(SearchQuery { q: "lost luggage".into(), channel: None, limit: 10 }).await.unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].message.message.external_id.as_str(), "1");
    assert!(hits[0].snippet.contains("<mark>lost</mark>"), "{}", hits[0].snippet);

    let hits = store.search(SearchQuery { q: "lost".into(), channel: None, limit: 10 }).await.unwrap();
    assert_eq!(hits.len(), 2);
    assert_eq!(hits[0].message.message.external_id.as_str(), "1", "two matches outrank one");
    assert!(hits[0].score >= hits[1].score);
    assert!(hits[1].snippet.contains("&lt;b&gt;"));

    let hits = store.search(SearchQuery { q: "cafe".into(), channel: None, limit: 10 }).await.unwrap();
    assert_eq!(hits.len(), 1, "diacritics are folded");
    let hits = store.search(SearchQuery { q: "lost -gate".into(), channel: None, limit: 10 }).await.unwrap();
    assert_eq!(hits.len(), 1);
    let hits = store.search(SearchQuery { q: "lost".into(), channel: Some(Channel::Email), limit: 10 }).await;
    assert!(hits.unwrap().is_empty());
    assert!(store.search(SearchQuery { q: "-x".into(), channel: None, limit: 10 }).await.is_err());
}

#[tokio::test]
async fn customers_upsert_on_external_ref() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let c = NewCustomer {
        external_ref: Some("C-1".into()),
        name: DisplayName::clean("Ann Smith"),
        emails: vec![Email::parse("ann@example.com").unwrap()],
        phones: vec![],
        postal_area: None,
        refs: vec![],
        products: vec![],
        preferred_channel: None,
    };
    let a = store.upsert_customers(vec![c.clone()]).await.unwrap();
    let b = store.upsert_customers(vec![c]).await.unwrap();
    assert!(a[0].created && !b[0].created);
    assert_eq!(a[0].id, b[0].id);
    assert_eq!(store.counts().await.unwrap().customers, 1);
}

#[tokio::test]
async fn writes_after_close_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    store.close().await.unwrap();
    assert!(store.ingest(vec![msg("1", "a", "x", 1)]).await.is_err());
}

/// A judgement with the given hashtags as its entities.
fn judged(text: &str, tags: &[&str]) -> firebreak_domain::judgement::Judgement {
    use firebreak_domain::judgement::{Entity, EntityKind, Intent, Judgement, Sentiment};
    Judgement {
        sentiment: Sentiment::Negative,
        sentiment_score: -0.5,
        intent: Intent::Complaint,
        complaint: true,
        urgent: false,
        urgent_reasons: vec![],
        entities: tags
            .iter()
            .map(|t| {
                let start = text.find(t).unwrap();
                Entity {
                    kind: EntityKind::Hashtag,
                    text: (*t).to_owned(),
                    start,
                    end: start + t.len(),
                    canonical: None,
                }
            })
            .collect(),
        language: "en".into(),
        spam: false,
        reasons: vec![],
    }
}

#[tokio::test]
async fn entities_are_found_by_value_and_replaced_exactly_by_a_new_judgement() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let text = "no wifi again #Fail #outage";
    let mut m = msg("e1", "ann", text, 1_000);
    m.triage = Some(judged(text, &["#Fail", "#outage"]));
    let id = store.ingest(vec![m]).await.unwrap()[0].id;
    let find = |value: &str| MessageQuery { limit: 10, entity: Some((None, value.to_owned())), ..Default::default() };
    assert_eq!(store.messages(find("#fail")).await.unwrap().items.len(), 1, "entities are kept lower-cased");
    let stored = store.message(id).await.unwrap().unwrap();
    assert_eq!(stored.triage.as_ref().unwrap().entities[0].text, "#Fail", "the text is the message's own span");

    // A new model finds only one of them: the other's entry goes.
    store.set_triage(vec![(id, judged(text, &["#outage"]))]).await.unwrap();
    assert!(store.messages(find("#fail")).await.unwrap().items.is_empty());
    assert_eq!(store.messages(find("#outage")).await.unwrap().items.len(), 1);
    assert_eq!(store.integrity_check().await.unwrap(), "ok");
}

/// A bulk reply answers every linked case: `linked_cases` has no limit,
/// where an incident's detail lists only the latest 500 links.
#[tokio::test]
async fn every_linked_case_is_listed_however_many() {
    use firebreak_domain::incident::IncidentStatus;
    use firebreak_store::{LinkTarget, NewIncident};

    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let batch: Vec<NewMessage> =
        (0..600).map(|i| msg(&format!("m{i}"), &format!("author{i}"), "no signal at all", 1_790_000_000_000)).collect();
    let ids: Vec<_> = store.ingest(batch).await.unwrap().iter().map(|o| o.id).collect();
    let contexts = store.message_contexts(ids).await.unwrap();
    let mut cases: Vec<i64> = contexts.iter().filter_map(|c| c.case.map(|c| c.0)).collect();
    cases.sort();
    assert_eq!(cases.len(), 600, "one case per author");
    let id = store
        .create_incident(NewIncident {
            title: "No signal".into(),
            status: IncidentStatus::Investigating,
            keys: vec![],
            areas: vec!["XX1".into()],
            products: vec![],
            services: vec![],
            public: false,
            eta: None,
            started_at: Timestamp::from_unix_millis(1_790_000_000_000).unwrap(),
            created_by: "test".into(),
        })
        .await
        .unwrap();
    for c in &cases {
        store.link_incident(id, LinkTarget::Case(firebreak_domain::CaseId(*c)), "test".into()).await.unwrap();
    }
    store.unlink_incident(id, LinkTarget::Case(firebreak_domain::CaseId(cases[0])), "test".into()).await.unwrap();
    let linked: Vec<i64> = store.linked_cases(id).await.unwrap().iter().map(|c| c.0).collect();
    assert_eq!(linked, cases[1..].to_vec());
    assert_eq!(store.incident(id).await.unwrap().unwrap().links.len(), 500);
}
