//! Incidents end to end: a synthetic outage over 200,000 customers (a
//! candidate opened with one click, notices only to the affected customers
//! who consented, each on their preferred channel, once; credits once; the
//! suppression list until it resolves), automatic linking that respects an
//! agent's unlink, a bulk reply that answers each linked case once on its
//! own channel, and bad input refused with nothing changed. The pages and
//! the public status page are in `incident_pages`.

use std::{
    collections::{HashMap, HashSet},
    time::Instant,
};

use firebreak_domain::{
    Channel, Clock, CustomerId, CustomerRef, DisplayName, Email, MessageId, NewCustomer, PostalArea, Timestamp,
    incident::{Counted, Evidence, Facets, Key, NewCandidate},
};
use firebreak_store::{Consent, Store};
use serde_json::{Value, json};

use crate::helpers::{TestApp, message, problem, spawn_app};

const CUSTOMERS: usize = 200_000;

/// What the test decides about customer `j`, independently of the app.
struct Plan {
    area: String,
    /// The index among the affected customers (in `XX1`), if affected.
    p: Option<usize>,
}

fn plan(j: usize) -> Plan {
    let k = j / 100;
    match j % 100 {
        0 => Plan { area: format!("XX1 {}AB", k % 9 + 1), p: Some(2 * k) },
        2 => Plan { area: "XX1".into(), p: Some(2 * k + 1) },
        // Decoys: `XX10` is not in `XX1`.
        1 => Plan { area: format!("XX10 {}CD", k % 9 + 1), p: None },
        n => Plan { area: format!("Y{} {}EF", n % 40, k % 9 + 1), p: None },
    }
}

/// The preferred channel of an affected customer (None: not set, so email).
fn preferred(p: usize) -> Option<Channel> {
    match p % 5 {
        0 => Some(Channel::Email),
        1 => Some(Channel::X),
        2 => Some(Channel::Facebook),
        3 => None,
        _ => Some(Channel::Sms),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ConsentPlan {
    Never,
    Withdrawn,
    Granted,
}

fn consent(p: usize) -> ConsentPlan {
    match (p / 5) % 4 {
        0 => ConsentPlan::Never,
        1 => ConsentPlan::Withdrawn,
        _ => ConsentPlan::Granted,
    }
}

fn has_email(p: usize) -> bool {
    p % 7 != 3
}

/// An X or Facebook identity the customer wrote from (so a DM can reach them).
fn has_identity(p: usize) -> bool {
    !p.is_multiple_of(3)
}

fn customer(j: usize) -> NewCustomer {
    let pl = plan(j);
    let mut refs = Vec::new();
    let mut emails = vec![Email::parse(&format!("c{j}@example.com")).unwrap()];
    let mut preferred_channel = [Some(Channel::Email), Some(Channel::X), None, Some(Channel::Facebook)][j % 4];
    if let Some(p) = pl.p {
        preferred_channel = preferred(p);
        if !has_email(p) {
            emails.clear();
        }
        match preferred(p) {
            Some(Channel::X) => refs.push(CustomerRef::parse("x", &format!("cust{j}")).unwrap()),
            Some(Channel::Facebook) => refs.push(CustomerRef::parse("facebook", &format!("fb{j}")).unwrap()),
            _ => {}
        }
    }
    if j % 100 == 1 {
        preferred_channel = Some(Channel::Email);
    }
    NewCustomer {
        external_ref: Some(format!("C-{j}")),
        name: DisplayName::clean(&format!("Customer {j}")),
        emails,
        phones: vec![],
        postal_area: Some(PostalArea::parse(&pl.area).unwrap()),
        refs,
        products: if j.is_multiple_of(3) { vec!["broadband".into()] } else { vec!["tv".into(), "mobile".into()] },
        preferred_channel,
    }
}

fn consent_row(purpose: &str, granted: bool, at: Timestamp) -> Consent {
    Consent { purpose: purpose.into(), granted, at, wording_version: "v1".into(), method: "import".into() }
}

/// Every page of a paginated list.
async fn all_pages(app: &TestApp, path: &str, cursor: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut after: Option<i64> = None;
    loop {
        let join = if path.contains('?') { '&' } else { '?' };
        let url = match after {
            Some(a) => format!("{path}{join}after={a}"),
            None => path.to_owned(),
        };
        let resp = app.get(&url).await;
        assert_eq!(resp.status(), 200, "{url} {}", resp.text().await.unwrap());
        let page: Value = resp.json().await.unwrap();
        out.extend(page["items"].as_array().unwrap().iter().cloned());
        match page[cursor].as_i64() {
            Some(n) => after = Some(n),
            None => return out,
        }
    }
}

pub(crate) async fn post(app: &TestApp, path: &str, body: Value) -> reqwest::Response {
    app.client.post(format!("{}{path}", app.url)).json(&body).send().await.unwrap()
}

pub(crate) async fn patch(app: &TestApp, path: &str, body: Value) -> reqwest::Response {
    app.client.patch(format!("{}{path}", app.url)).json(&body).send().await.unwrap()
}

pub(crate) fn evidence(at: Timestamp) -> Evidence {
    Evidence {
        observed: 40,
        expected: 2.0,
        p_value: 1e-12,
        ratio: 20.0,
        bucket_start: at.plus_millis(-900_000),
        bucket_ms: 900_000,
        sparkline: vec![2, 1, 3, 40],
        top_terms: vec![Counted { value: "outage".into(), count: 31 }],
        samples: vec![],
        areas: vec![Counted { value: "XX1".into(), count: 40 }],
        products: vec![],
    }
}

#[tokio::test]
async fn a_synthetic_outage_reaches_exactly_the_affected_customers_who_consented_once() {
    let app = spawn_app().await;
    let now = app.clock.now();

    // 200,000 customers, in batches of 10,000.
    let started = Instant::now();
    let mut ids: Vec<CustomerId> = Vec::with_capacity(CUSTOMERS);
    for chunk in (0..CUSTOMERS).collect::<Vec<_>>().chunks(10_000) {
        let batch: Vec<NewCustomer> = chunk.iter().map(|&j| customer(j)).collect();
        let out = app.store.upsert_customers(batch).await.unwrap();
        ids.extend(out.iter().map(|o| o.id));
    }
    eprintln!("{CUSTOMERS} customers stored in {:?}", started.elapsed());
    let j_of: HashMap<i64, usize> = ids.iter().enumerate().map(|(j, id)| (id.0, j)).collect();

    // The affected customers who prefer X or Facebook and have written from
    // there have an identity (a DM's recipient).
    let affected: Vec<(usize, usize)> = (0..CUSTOMERS).filter_map(|j| plan(j).p.map(|p| (j, p))).collect();
    assert_eq!(affected.len(), 4_000);
    let mut posts = Vec::new();
    for &(j, p) in &affected {
        if !has_identity(p) {
            continue;
        }
        let author = match preferred(p) {
            Some(Channel::X) => json!({ "id": format!("xid{j}"), "handle": format!("cust{j}") }),
            Some(Channel::Facebook) => json!({ "id": format!("psid{j}"), "handle": format!("fb{j}") }),
            _ => continue,
        };
        let channel = if preferred(p) == Some(Channel::X) { "x" } else { "facebook" };
        posts.push(json!({ "channel": channel, "external_id": format!("m{j}"), "author": author,
                           "text": "thanks for the update", "created_at": "2026-11-19T10:00:00Z" }));
    }
    for chunk in posts.chunks(250) {
        let resp = app.post_messages(Value::Array(chunk.to_vec()).to_string()).await;
        assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    }

    // Proactive consent: never, withdrawn after being given, or given; the
    // decoys next door (XX10) all consented. Marketing consent withdrawn by
    // a few.
    let mut jobs = tokio::task::JoinSet::new();
    let earlier = now.plus_millis(-3_600_000);
    let later = now.plus_millis(-1_800_000);
    for (j, &id) in ids.iter().enumerate() {
        let rows: Vec<Consent> = match (plan(j).p, j % 100) {
            (Some(p), _) => match consent(p) {
                ConsentPlan::Never => vec![],
                ConsentPlan::Withdrawn => {
                    vec![consent_row("proactive", true, earlier), consent_row("proactive", false, later)]
                }
                ConsentPlan::Granted => vec![consent_row("proactive", true, earlier)],
            },
            (None, 1) => vec![consent_row("proactive", true, earlier)],
            _ => vec![],
        };
        let mut rows = rows;
        if [5, 200].contains(&j) {
            rows.push(consent_row("marketing", true, earlier));
            rows.push(consent_row("marketing", false, later));
        }
        if j == 303 {
            rows.push(consent_row("marketing", true, earlier));
        }
        if rows.is_empty() {
            continue;
        }
        let store = app.store.clone();
        jobs.spawn(async move {
            for c in rows {
                store.record_consent(id, c).await.unwrap();
            }
        });
    }
    while let Some(r) = jobs.join_next().await {
        r.unwrap();
    }
    eprintln!("set up in {:?}", started.elapsed());

    // What the test expects, worked out from the plan alone.
    let mut expected: HashMap<i64, (Channel, String)> = HashMap::new();
    let mut skipped: HashMap<&str, u64> = HashMap::new();
    for &(j, p) in &affected {
        let reason = match consent(p) {
            ConsentPlan::Never => Some("no_consent"),
            ConsentPlan::Withdrawn => Some("consent_withdrawn"),
            ConsentPlan::Granted => match preferred(p).unwrap_or(Channel::Email) {
                Channel::Sms => Some("no_transport"),
                Channel::Email if has_email(p) => {
                    expected.insert(ids[j].0, (Channel::Email, format!("c{j}@example.com")));
                    None
                }
                Channel::X if has_identity(p) => {
                    expected.insert(ids[j].0, (Channel::X, format!("xid{j}")));
                    None
                }
                Channel::Facebook if has_identity(p) => {
                    expected.insert(ids[j].0, (Channel::Facebook, format!("psid{j}")));
                    None
                }
                _ => Some("no_address"),
            },
        };
        if let Some(r) = reason {
            *skipped.entry(r).or_default() += 1;
        }
    }
    let total = expected.len() as u64;
    assert!(total > 1_000 && skipped.len() == 4, "the plan covers every case: {total} {skipped:?}");

    // The detector raises a candidate for the area; one POST opens it.
    let key = Key::parse("area=XX1").unwrap();
    let candidate =
        app.store.add_candidate(NewCandidate { key, raised_at: now, evidence: evidence(now) }).await.unwrap();
    let listed: Value = app.get("/api/v1/incident-candidates?status=open").await.json().await.unwrap();
    assert_eq!(listed["items"][0]["id"], candidate);
    let opened = post(&app, &format!("/api/v1/incident-candidates/{candidate}/open"), json!({})).await;
    assert_eq!(opened.status(), 201);
    let incident: Value = opened.json().await.unwrap();
    let id = incident["id"].as_i64().unwrap();
    assert_eq!(incident["keys"], json!(["area=XX1"]));
    assert_eq!(incident["areas"], json!(["XX1"]));
    assert_eq!(incident["candidate_id"], candidate);
    assert_eq!(incident["affected"]["customers"], 4_000, "XX1 and XX1 *, not XX10");
    let again: Value =
        post(&app, &format!("/api/v1/incident-candidates/{candidate}/open"), json!({})).await.json().await.unwrap();
    assert_eq!(again["id"], id, "a second click opens nothing new");
    let c: Value = app.get(&format!("/api/v1/incident-candidates/{candidate}")).await.json().await.unwrap();
    assert_eq!((c["status"].as_str(), c["incident_id"].as_i64()), (Some("opened"), Some(id)));
    let eta = now.plus_millis(4 * 3_600_000);
    let resp =
        patch(&app, &format!("/api/v1/incidents/{id}"), json!({ "eta": eta.to_rfc3339(), "public": true })).await;
    assert_eq!(resp.status(), 200);

    // Outreach: only the affected who consented, on their channel.
    let t = Instant::now();
    let resp = post(&app, &format!("/api/v1/incidents/{id}/outreach"), json!({})).await;
    assert_eq!(resp.status(), 200);
    let report: Value = resp.json().await.unwrap();
    eprintln!("outreach to {total} of 4,000 affected queued in {:?}", t.elapsed());
    assert_eq!(report["considered"], 4_000);
    assert_eq!(report["queued"], total, "{report}");
    assert_eq!(report["already"], 0);
    let reported: HashMap<String, u64> = report["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["reason"].as_str().unwrap().to_owned(), s["customers"].as_u64().unwrap()))
        .collect();
    let want: HashMap<String, u64> = skipped.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect();
    assert_eq!(reported, want);
    let notices = all_pages(&app, &format!("/api/v1/incidents/{id}/notices?limit=1000"), "next").await;
    let got: HashMap<i64, (Channel, String)> = notices
        .iter()
        .map(|n| {
            let ch = Channel::parse(n["channel"].as_str().unwrap()).unwrap();
            (n["customer_id"].as_i64().unwrap(), (ch, n["address"].as_str().unwrap().to_owned()))
        })
        .collect();
    assert_eq!(got.len(), notices.len(), "one notice per customer");
    assert_eq!(got, expected, "exactly the affected who consented, each on their preferred channel");
    let n0 = &notices[0];
    let j0 = j_of[&n0["customer_id"].as_i64().unwrap()];
    let text = n0["text"].as_str().unwrap();
    assert!(text.contains(&format!("Customer {j0}")) && text.contains("UTC") && text.contains("/status"), "{text}");
    assert!(!text.contains("{{"), "{text}");

    // Run twice, it queues nothing new.
    let twice: Value = post(&app, &format!("/api/v1/incidents/{id}/outreach"), json!({})).await.json().await.unwrap();
    assert_eq!((twice["queued"].as_u64(), twice["already"].as_u64()), (Some(0), Some(total)));
    assert_eq!(app.store.incident_counts().await.unwrap().notices, total);

    // The worker delivers notices through the reply transport: a private
    // message to the recipient, or a new email (no `Re:`).
    let sent = app.engine.deliver_notices_due().await.unwrap();
    assert_eq!(sent, 50);
    {
        let delivered = app.transport.sent.lock().unwrap();
        assert_eq!(delivered.len(), 50);
        for r in delivered.iter() {
            assert_eq!(r.visibility.as_str(), "private");
            assert!(r.in_reply_to.is_none());
            match r.channel {
                Channel::Email => {
                    let e = r.email.as_ref().unwrap();
                    assert!(e.new_thread && e.to.as_str().ends_with("@example.com") && !e.subject.starts_with("Re:"));
                }
                _ => assert!(r.recipient.is_some()),
            }
        }
    }

    // Credits: once per customer, even when asked twice.
    let credit = json!({ "amount_minor": 500, "currency": "gbp", "reason": "Broadband outage in XX1" });
    let first: Value =
        post(&app, &format!("/api/v1/incidents/{id}/credits"), credit.clone()).await.json().await.unwrap();
    assert_eq!((first["affected"].as_u64(), first["issued"].as_u64()), (Some(4_000), Some(4_000)), "{first}");
    let second: Value = post(&app, &format!("/api/v1/incidents/{id}/credits"), credit).await.json().await.unwrap();
    assert_eq!((second["issued"].as_u64(), second["already"].as_u64()), (Some(0), Some(4_000)));
    let ledger = all_pages(&app, &format!("/api/v1/credits?incident={id}&limit=1000"), "next").await;
    assert_eq!(ledger.len(), 4_000);
    let credited: HashSet<i64> = ledger.iter().map(|c| c["customer_id"].as_i64().unwrap()).collect();
    let affected_ids: HashSet<i64> = affected.iter().map(|&(j, _)| ids[j].0).collect();
    assert_eq!(credited, affected_ids);
    assert!(ledger.iter().all(|c| c["amount_minor"] == 500 && c["currency"] == "GBP"));
    let csv = app.get(&format!("/api/v1/credits.csv?incident={id}")).await;
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    let csv = csv.text().await.unwrap();
    assert_eq!(csv.lines().count(), 4_001);
    assert!(csv.lines().nth(1).unwrap().contains(",500,GBP,Broadband outage in XX1,"), "{csv:.300}");

    // Suppression: every affected customer while it is open, with why.
    let rows = all_pages(&app, "/api/v1/suppression?limit=5000", "next").await;
    let reasons = |rows: &[Value]| -> HashMap<i64, Vec<String>> {
        rows.iter()
            .map(|r| {
                let codes = r["reasons"].as_array().unwrap().iter().map(|x| x["code"].as_str().unwrap().to_owned());
                (r["customer_id"].as_i64().unwrap(), codes.collect())
            })
            .collect()
    };
    let open = reasons(&rows);
    let in_incident: HashSet<i64> =
        open.iter().filter(|(_, r)| r.iter().any(|c| c == "affected_by_incident")).map(|(k, _)| *k).collect();
    assert_eq!(in_incident, affected_ids);
    assert!(open[&ids[5].0].contains(&"marketing_consent_withdrawn".to_owned()));
    assert!(!open.contains_key(&ids[303].0), "marketing consent given: not suppressed");
    let csv = app.get("/api/v1/suppression.csv").await.text().await.unwrap();
    assert_eq!(csv.lines().count(), open.len() + 1);

    // For an acquisition offer every existing customer is suppressed.
    let acq: Value = app.get("/api/v1/suppression?offer=acquisition&limit=3").await.json().await.unwrap();
    assert_eq!(acq["items"].as_array().unwrap().len(), 3);
    assert!(acq["items"][2]["reasons"].as_array().unwrap().iter().any(|r| r["code"] == "existing_customer"));
    assert!(acq["next"].is_i64());

    // Resolved: they leave the list, unless another reason holds.
    let resp = patch(&app, &format!("/api/v1/incidents/{id}"), json!({ "status": "resolved" })).await;
    assert_eq!(resp.status(), 200);
    let rows = all_pages(&app, "/api/v1/suppression?limit=5000", "next").await;
    let after = reasons(&rows);
    assert!(after.values().all(|r| !r.is_empty() && !r.iter().any(|c| c == "affected_by_incident")));
    assert!(after.len() < 1_000, "only other reasons remain: {}", after.len());
    assert_eq!(after[&ids[5].0], ["marketing_consent_withdrawn"]);
    assert_eq!(after[&ids[200].0], ["marketing_consent_withdrawn"], "affected, and withdrew marketing consent");

    // The follow-up goes to those notified, once.
    let follow: Value = post(&app, &format!("/api/v1/incidents/{id}/follow-up"), json!({})).await.json().await.unwrap();
    assert_eq!(follow["queued"], total, "{follow}");
    let follow: Value = post(&app, &format!("/api/v1/incidents/{id}/follow-up"), json!({})).await.json().await.unwrap();
    assert_eq!(follow["queued"], 0);
    eprintln!("whole outage test in {:?}", started.elapsed());
}

/// Posts one message; answers its id.
async fn one_message(app: &TestApp, body: Value) -> i64 {
    let resp = app.post_messages(json!([body]).to_string()).await;
    assert_eq!(resp.status(), 200);
    let out: Value = resp.json().await.unwrap();
    out["items"][0]["id"].as_i64().unwrap()
}

pub(crate) async fn incident_by_hand(app: &TestApp, body: Value) -> i64 {
    let resp = post(app, "/api/v1/incidents", body).await;
    assert_eq!(resp.status(), 201, "{}", resp.text().await.unwrap());
    let v: Value = resp.json().await.unwrap_or_default();
    v["id"].as_i64().unwrap()
}

fn facets(area: &str) -> Facets {
    Facets { area: Some(area.into()), channel: Some(Channel::X), ..Facets::default() }
}

#[tokio::test]
async fn matching_messages_are_linked_and_an_unlink_sticks() {
    let app = spawn_app().await;
    let id = incident_by_hand(&app, json!({ "title": "Power cut in SW1A", "areas": ["sw1a"] })).await;
    let m1 = one_message(&app, message("1001", "no power here since noon")).await;
    let t = app.clock.now();
    let linked = app
        .store
        .link_new_messages(vec![
            (MessageId(m1), facets("SW1A 1AA"), t),
            // Another area, and a message from before the incident started.
            (MessageId(m1), facets("SW1 1AA"), t),
        ])
        .await
        .unwrap();
    assert_eq!(linked, 1);
    let early = app.store.link_new_messages(vec![(MessageId(m1), facets("SW1A 2BB"), t.plus_millis(-3_600_000))]);
    assert_eq!(early.await.unwrap(), 0, "already linked, and before the start anyway");
    let d: Value = app.get(&format!("/api/v1/incidents/{id}")).await.json().await.unwrap();
    assert_eq!((d["affected"]["messages"].as_u64(), d["affected"]["cases"].as_u64()), (Some(1), Some(1)), "{d}");
    let kinds: HashSet<&str> =
        d["links"].as_array().unwrap().iter().map(|l| l["target"]["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, HashSet::from(["message", "case"]));

    // An agent unlinks the message: automatic linking leaves it alone.
    let resp =
        app.client.delete(format!("{}/api/v1/incidents/{id}/links?message_id={m1}", app.url)).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let again = app.store.link_new_messages(vec![(MessageId(m1), facets("SW1A 1AA"), t)]).await.unwrap();
    assert_eq!(again, 0);
    let d: Value = app.get(&format!("/api/v1/incidents/{id}")).await.json().await.unwrap();
    assert_eq!(d["affected"]["messages"], 0);
    let unlinked = d["links"].as_array().unwrap().iter().find(|l| l["target"]["kind"] == "message").unwrap();
    assert!(unlinked["unlinked_at"].is_string() && unlinked["unlinked_by"] == "Test Admin");

    // A key matches too (brand and topic), and a product.
    let keyed = incident_by_hand(
        &app,
        json!({ "title": "United cancellations", "keys": ["brand=united|topic=cancellation"], "products": ["Fibre 500"] }),
    )
    .await;
    let m2 = one_message(&app, message("1002", "flight cancelled again")).await;
    let m3 = one_message(&app, message("1003", "my fibre is down")).await;
    let f2 = Facets { brand: Some("united".into()), topics: vec!["cancellation".into()], ..Facets::default() };
    let f3 = Facets { products: vec!["fibre 500".into()], ..Facets::default() };
    let f4 = Facets { brand: Some("united".into()), topics: vec!["delay".into()], ..Facets::default() };
    let n = app
        .store
        .link_new_messages(vec![(MessageId(m2), f2, t), (MessageId(m3), f3, t), (MessageId(m3), f4, t)])
        .await
        .unwrap();
    assert_eq!(n, 2);
    let d: Value = app.get(&format!("/api/v1/incidents/{keyed}")).await.json().await.unwrap();
    assert_eq!(d["affected"]["messages"], 2);

    // A resolved incident links nothing more.
    patch(&app, &format!("/api/v1/incidents/{keyed}"), json!({ "status": "resolved" })).await;
    let m4 = one_message(&app, message("1004", "still cancelled")).await;
    let f = Facets { brand: Some("united".into()), topics: vec!["cancellation".into()], ..Facets::default() };
    assert_eq!(app.store.link_new_messages(vec![(MessageId(m4), f, t)]).await.unwrap(), 0);
}

#[tokio::test]
async fn a_bulk_reply_answers_each_linked_conversation_once_on_its_own_channel() {
    let app = spawn_app().await;
    let id = incident_by_hand(&app, json!({ "title": "Broadband outage", "areas": ["XX1"] })).await;
    let x = one_message(&app, message("2001", "internet down in XX1")).await;
    let fb = json!({
        "channel": "facebook",
        "external_id": "fb_post_1_comment_9",
        "author": { "id": "psid-77", "name": "Bo" },
        "text": "is the internet down?",
        "created_at": "2026-11-20T07:50:00Z"
    });
    let f = one_message(&app, fb).await;
    let t = app.clock.now();
    let n = app
        .store
        .link_new_messages(vec![(MessageId(x), facets("XX1 2AB"), t), (MessageId(f), facets("XX1 3CD"), t)])
        .await
        .unwrap();
    assert_eq!(n, 2);
    let body = json!({ "templates": {
        "x": "We know about {{incident_title}}; fixed by {{eta}}.",
        "default": "Hello {{customer_name}}, we are on it: {{incident_title}}. {{status_url}}"
    } });
    let first = post(&app, &format!("/api/v1/incidents/{id}/bulk-reply"), body.clone()).await;
    assert_eq!(first.status(), 202);
    let first: Value = first.json().await.unwrap();
    let items = first["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{first}");
    assert!(items.iter().all(|i| i["reply_id"].is_i64()), "{first}");
    app.engine.deliver_due().await.unwrap();
    {
        let sent = app.transport.sent.lock().unwrap();
        assert_eq!(sent.len(), 2);
        let mut channels: Vec<&str> = sent.iter().map(|r| r.channel.as_str()).collect();
        channels.sort();
        assert_eq!(channels, ["facebook", "x"]);
        let on_x = sent.iter().find(|r| r.channel == Channel::X).unwrap();
        assert_eq!(on_x.text, "We know about Broadband outage; fixed by as soon as we can.");
        let on_fb = sent.iter().find(|r| r.channel == Channel::Facebook).unwrap();
        assert!(on_fb.text.starts_with("Hello ") && on_fb.text.contains("/status"), "{}", on_fb.text);
    }
    // The same bulk reply again queues nothing new.
    let second: Value = post(&app, &format!("/api/v1/incidents/{id}/bulk-reply"), body).await.json().await.unwrap();
    let ids = |v: &Value| -> Vec<i64> {
        v["items"].as_array().unwrap().iter().map(|i| i["reply_id"].as_i64().unwrap()).collect()
    };
    assert_eq!(ids(&second), ids(&first));
    app.engine.deliver_due().await.unwrap();
    assert_eq!(app.transport.sent.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn bad_input_is_refused_naming_the_field_and_changes_nothing() {
    let app = spawn_app().await;
    let before = app.store.incident_counts().await.unwrap();
    let past = app.clock.now().plus_millis(-60_000).to_rfc3339();
    let no_keys = post(&app, "/api/v1/incidents", json!({ "title": "Something", "keys": [], "areas": [] })).await;
    let body = problem(no_keys, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "keys");
    let late = post(&app, "/api/v1/incidents", json!({ "title": "Late", "areas": ["XX1"], "eta": past })).await;
    let body = problem(late, 422, "validation_failed").await;
    assert_eq!(
        (body["errors"][0]["field"].as_str(), body["errors"][0]["code"].as_str()),
        (Some("eta"), Some("eta_in_past"))
    );
    assert_eq!(app.store.incident_counts().await.unwrap(), before, "nothing was created");

    app.store
        .upsert_customers(vec![NewCustomer {
            external_ref: Some("C-1".into()),
            name: DisplayName::clean("Ann"),
            emails: vec![Email::parse("ann@example.com").unwrap()],
            phones: vec![],
            postal_area: Some(PostalArea::parse("XX1 1AA").unwrap()),
            refs: vec![],
            products: vec![],
            preferred_channel: None,
        }])
        .await
        .unwrap();
    let id = incident_by_hand(&app, json!({ "title": "Outage", "areas": ["XX1"] })).await;
    let snapshot: Value = app.get(&format!("/api/v1/incidents/{id}")).await.json().await.unwrap();
    let counts = app.store.incident_counts().await.unwrap();

    let negative = post(
        &app,
        &format!("/api/v1/incidents/{id}/credits"),
        json!({ "amount_minor": -500, "currency": "GBP", "reason": "sorry" }),
    )
    .await;
    let body = problem(negative, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "amount_minor");
    let zero = post(
        &app,
        &format!("/api/v1/incidents/{id}/credits"),
        json!({ "amount_minor": 0, "currency": "GBP", "reason": "sorry" }),
    )
    .await;
    problem(zero, 422, "validation_failed").await;

    let template =
        json!({ "templates": { "email": { "subject": "{{incident_title}}", "text": "Dear {{first_name}}, sorry." } } });
    let bad = post(&app, &format!("/api/v1/incidents/{id}/outreach"), template).await;
    let body = problem(bad, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "templates.email.text");
    assert_eq!(body["errors"][0]["code"], "unknown_template_variable");
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("{{first_name}}"));
    let bulk =
        post(&app, &format!("/api/v1/incidents/{id}/bulk-reply"), json!({ "templates": { "x": "hi {{agent}}" } }))
            .await;
    assert_eq!(problem(bulk, 422, "validation_failed").await["errors"][0]["field"], "templates.x");

    let late = patch(&app, &format!("/api/v1/incidents/{id}"), json!({ "eta": past, "status": "identified" })).await;
    assert_eq!(problem(late, 422, "validation_failed").await["errors"][0]["field"], "eta");
    let emptied = patch(&app, &format!("/api/v1/incidents/{id}"), json!({ "areas": [], "keys": [] })).await;
    assert_eq!(problem(emptied, 422, "validation_failed").await["errors"][0]["field"], "keys");

    assert_eq!(app.store.incident_counts().await.unwrap(), counts, "no notice, credit or update was made");
    let now: Value = app.get(&format!("/api/v1/incidents/{id}")).await.json().await.unwrap();
    assert_eq!(now, snapshot, "the incident is as it was");
}

#[tokio::test]
async fn customers_carry_products_and_a_preferred_channel_through_the_api() {
    let app = spawn_app().await;
    let resp = post(
        &app,
        "/api/v1/customers",
        json!({ "external_ref": "C-9", "postal_area": "xx1 9zz", "products": ["Broadband", " TV "], "preferred_channel": "x" }),
    )
    .await;
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    let id = incident_by_hand(&app, json!({ "title": "TV down", "areas": ["QQ1"], "services": ["tv"] })).await;
    let affected = app.store.affected_customers(id).await.unwrap();
    assert_eq!(affected.len(), 1, "held by product, whatever the area");
    // A ZIP prefix holds every code that starts with it.
    for (r, zip) in [("Z-1", "94107"), ("Z-2", "94210"), ("Z-3", "9410")] {
        let resp = post(&app, "/api/v1/customers", json!({ "external_ref": r, "postal_area": zip })).await;
        assert_eq!(resp.status(), 200);
    }
    let zip = incident_by_hand(&app, json!({ "title": "Outage in 941", "keys": ["area=941"] })).await;
    assert_eq!(app.store.affected_customers(zip).await.unwrap().len(), 2);
    let c9 = app.store.customer_by_ref("C-9".into()).await.unwrap().unwrap();
    let c360: Value = app.get(&format!("/api/v1/customers/{c9}")).await.json().await.unwrap();
    assert_eq!((c360["products"].clone(), c360["preferred_channel"].clone()), (json!(["broadband", "tv"]), json!("x")));
    assert_eq!(c360["incidents"][0]["id"], id);
    assert_eq!(c360["incidents"][0]["why"], json!(["product"]));
    let bad = post(&app, "/api/v1/customers", json!({ "external_ref": "C-10", "preferred_channel": "pigeon" })).await;
    assert_eq!(problem(bad, 422, "validation_failed").await["errors"][0]["field"], "preferred_channel");
}
