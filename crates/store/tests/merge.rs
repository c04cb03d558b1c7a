//! Merge then unmerge restores the exact prior state, over random histories
//! of customers, identities on several channels, cases, account events,
//! contact points, products and consents.

use firebreak_domain::{
    Author, Channel, CustomerId, Direction, DisplayName, Email, ExternalId, Handle, MessageText, NewCustomer,
    NewMessage, Phone, PlatformUserId, Timestamp,
};
use firebreak_store::{Consent, NewAccountEvent, SqliteOptions, SqliteStore, Store};
use proptest::prelude::*;

/// One step of a random history.
#[derive(Debug, Clone)]
enum Step {
    /// A customer on record, with an email and a phone.
    Customer {
        n: u8,
    },
    /// A message from person `who` on a channel (email messages from a
    /// person on record link to them).
    Message {
        who: u8,
        channel: u8,
        n: u16,
    },
    /// An account event for customer `n` (by position).
    Event {
        n: u8,
    },
    Consent {
        n: u8,
        granted: bool,
    },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (0u8..4).prop_map(|n| Step::Customer { n }),
        (0u8..6, 0u8..3, any::<u16>()).prop_map(|(who, channel, n)| Step::Message { who, channel, n }),
        (0u8..6).prop_map(|n| Step::Event { n }),
        (0u8..6, any::<bool>()).prop_map(|(n, granted)| Step::Consent { n, granted }),
    ]
}

fn message(who: u8, channel: u8, n: u16, i: usize) -> NewMessage {
    let (channel, id) = match channel {
        0 => (Channel::X, format!("x-user-{who}")),
        1 => (Channel::Email, format!("person{who}@example.com")),
        _ => (Channel::Facebook, format!("fb-{who}")),
    };
    NewMessage {
        channel,
        external_id: ExternalId::parse(format!("m-{i}-{n}")).unwrap(),
        direction: Direction::In,
        author: Author {
            id: PlatformUserId::parse(id.clone()).unwrap(),
            handle: Handle::parse(&id.replace('@', "_")).ok(),
            name: DisplayName::clean(&format!("Person {who}")),
            followers: Some(u64::from(n % 50)),
        },
        text: MessageText::parse(format!("message {n} about my order")).unwrap(),
        language: None,
        created_at: Timestamp::from_unix_millis(1_790_000_000_000 + i as i64 * 60_000).unwrap(),
        in_reply_to: None,
        thread_id: None,
        metrics: None,
        raw: None,
        triage: None,
    }
}

async fn snapshot(store: &SqliteStore, ids: &[i64]) -> String {
    let mut out = String::new();
    for id in ids {
        let c = store.customer(CustomerId(*id)).await.unwrap();
        out.push_str(&serde_json::to_string(&c).unwrap());
        out.push('\n');
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn merge_then_unmerge_is_the_identity(steps in proptest::collection::vec(step(), 1..30), a in 0usize..8, b in 0usize..8) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let dir = tempfile::tempdir().unwrap();
            let store = SqliteStore::open(dir.path(), SqliteOptions::default()).unwrap();
            for (i, s) in steps.iter().enumerate() {
                match s {
                    Step::Customer { n } => {
                        let c = NewCustomer {
                            external_ref: Some(format!("C-{n}")),
                            name: DisplayName::clean(&format!("Person {n}")),
                            emails: vec![Email::parse(&format!("person{n}@example.com")).unwrap()],
                            phones: vec![Phone::parse(&format!("+4477009000{n:02}")).unwrap()],
                            postal_area: None,
                            refs: vec![],
                            // One product in common, one of their own.
                            products: vec!["broadband".into(), format!("p{}", n % 3)],
                            preferred_channel: None,
                        };
                        store.upsert_customers(vec![c]).await.unwrap();
                    }
                    Step::Message { who, channel, n } => {
                        store.ingest(vec![message(*who, *channel, *n, i)]).await.unwrap();
                    }
                    Step::Event { n } => {
                        let _ = store
                            .add_account_event(CustomerId(i64::from(*n) + 1), NewAccountEvent {
                                kind: "order_placed".into(),
                                occurred_at: Timestamp::from_unix_millis(1_790_000_000_000).unwrap(),
                                reference: Some(format!("ORD-{i}")),
                                details: serde_json::json!({ "i": i }),
                                external_id: None,
                            })
                            .await;
                    }
                    Step::Consent { n, granted } => {
                        let _ = store
                            .record_consent(CustomerId(i64::from(*n) + 1), Consent {
                                purpose: "marketing".into(),
                                granted: *granted,
                                at: Timestamp::now(),
                                wording_version: "v1".into(),
                                method: "web_form".into(),
                            })
                            .await;
                    }
                }
            }
            let counts = store.counts().await.unwrap();
            let ids: Vec<i64> = (1..=counts.customers as i64).collect();
            prop_assume!(ids.len() >= 2);
            let (a, b) = (ids[a % ids.len()], ids[b % ids.len()]);
            prop_assume!(a != b);
            let before = snapshot(&store, &ids).await;
            let merge = store.merge_customers(CustomerId(b), CustomerId(a), "test".into(), "the same person".into()).await.unwrap();
            let products = |c: Option<firebreak_store::Customer360>| c.map(|c| c.products).unwrap_or_default();
            // `b` is kept; `a` is merged into it.
            let source_products = products(store.customer(CustomerId(a)).await.unwrap());
            let merged = snapshot(&store, &ids).await;
            let target_products = products(store.customer(CustomerId(b)).await.unwrap());
            for p in &source_products {
                prop_assert!(target_products.contains(p), "{p} moved to the target: {target_products:?}");
            }
            prop_assert_ne!(&merged, &before, "the merge moved something (the source points to the target)");
            store.unmerge(merge, "test".into(), "they were not".into()).await.unwrap();
            let after = snapshot(&store, &ids).await;
            prop_assert_eq!(after, before);
            prop_assert_eq!(store.integrity_check().await.unwrap(), "ok");
            Ok(())
        })?;
    }
}

/// Credits (once per incident and customer) follow a merge to the kept
/// customer, except where the kept one has its own for the same incident;
/// the unmerge moves back exactly those that moved.
#[tokio::test]
async fn credits_follow_a_merge_once_per_incident_and_come_back_on_unmerge() {
    use firebreak_domain::incident::IncidentStatus;
    use firebreak_store::{CreditQuery, NewCredits, NewIncident};

    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path(), SqliteOptions::default()).unwrap();
    let customer = |n: u8, area: &str| NewCustomer {
        external_ref: Some(format!("C-{n}")),
        name: DisplayName::clean(&format!("Person {n}")),
        emails: vec![Email::parse(&format!("person{n}@example.com")).unwrap()],
        phones: vec![],
        postal_area: Some(firebreak_domain::PostalArea::parse(area).unwrap()),
        refs: vec![],
        products: vec![],
        preferred_channel: None,
    };
    let out = store.upsert_customers(vec![customer(1, "XX1 1AB"), customer(2, "XX2 1AB")]).await.unwrap();
    let (kept, gone) = (out[0].id, out[1].id);
    let incident = |areas: &[&str]| NewIncident {
        title: format!("Outage in {}", areas.join(" and ")),
        status: IncidentStatus::Investigating,
        keys: vec![],
        areas: areas.iter().map(|a| a.to_string()).collect(),
        products: vec![],
        services: vec![],
        public: false,
        eta: None,
        started_at: Timestamp::from_unix_millis(1_790_000_000_000).unwrap(),
        created_by: "test".into(),
    };
    let credit =
        NewCredits { amount_minor: 500, currency: "GBP".into(), reason: "sorry".into(), created_by: "t".into() };
    // Both are credited for an outage over both areas; only `gone` for XX2.
    let both = store.create_incident(incident(&["XX1", "XX2"])).await.unwrap();
    let xx2 = store.create_incident(incident(&["XX2"])).await.unwrap();
    store.issue_credits(both, credit.clone()).await.unwrap();
    store.issue_credits(xx2, credit.clone()).await.unwrap();
    let holders = |rows: Vec<firebreak_store::CreditRow>| {
        let mut v: Vec<(i64, i64)> = rows.iter().map(|r| (r.incident_id, r.customer_id.0)).collect();
        v.sort();
        v
    };
    let all = CreditQuery { incident: None, after: None, limit: 100 };
    let before = holders(store.credits(all).await.unwrap());
    let merge = store.merge_customers(kept, gone, "test".into(), "same person".into()).await.unwrap();
    let merged = holders(store.credits(all).await.unwrap());
    assert!(merged.contains(&(xx2, kept.0)), "the XX2 credit moved: {merged:?}");
    assert_eq!(merged.iter().filter(|(i, c)| *i == both && *c == kept.0).count(), 1, "still once: {merged:?}");
    store.unmerge(merge, "test".into(), "not the same".into()).await.unwrap();
    assert_eq!(holders(store.credits(all).await.unwrap()), before);
}
