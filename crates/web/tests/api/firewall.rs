//! The firewall reports through the app: contact drivers counted by the
//! detectors (those stored before they started too, each once), the cost
//! of an outage, the contacts prevented by telling affected customers
//! first, an incident that recurs within 30 days, the CSV exports, the
//! page, and bad parameters refused with the parameter named.

use firebreak_domain::{
    Channel, Clock, CustomerId, CustomerRef, DisplayName, Email, NewCustomer, PostalArea, Timestamp,
};
use firebreak_engine::watcher::WatchConfig;
use firebreak_store::{Consent, Store};
use serde_json::{Value, json};

use crate::{
    helpers::{ADMIN_EMAIL, Browser, PASSWORD, TestApp, problem, spawn_app},
    incidents::{incident_by_hand, post},
};

fn tweet(id: &str, handle: &str, text: &str, at: Timestamp) -> Value {
    json!({
        "channel": "x",
        "external_id": id,
        "author": { "id": format!("id-{handle}"), "handle": handle, "followers": 10 },
        "text": text,
        "created_at": at.to_rfc3339()
    })
}

/// Posts messages; answers their ids.
async fn ingest(app: &TestApp, items: Vec<Value>) -> Vec<i64> {
    let resp = app.post_messages(json!(items).to_string()).await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    body["items"].as_array().unwrap().iter().map(|i| i["id"].as_i64().unwrap()).collect()
}

/// Triage's sentiment of a stored message.
async fn sentiment(app: &TestApp, id: i64) -> String {
    let m = json_of(app, &format!("/api/v1/messages/{id}")).await;
    m["triage"]["sentiment"].as_str().unwrap_or_else(|| panic!("no sentiment: {m}")).to_string()
}

fn start(app: &TestApp) -> tokio::sync::watch::Sender<bool> {
    let (stop_tx, stop) = tokio::sync::watch::channel(false);
    app.engine.spawn_watch(WatchConfig::default(), stop).unwrap();
    stop_tx
}

async fn json_of(app: &TestApp, path: &str) -> Value {
    let resp = app.get(path).await;
    assert_eq!(resp.status(), 200, "{path}: {}", resp.text().await.unwrap());
    resp.json().await.unwrap()
}

fn series<'a>(report: &'a Value, value: &str) -> Option<&'a Value> {
    report["series"].as_array().unwrap().iter().find(|s| s["value"] == value)
}

#[tokio::test]
async fn contact_drivers_count_every_contact_once_by_topic_and_hour() {
    let app = spawn_app().await;
    let t0 = Timestamp::parse_rfc3339("2026-11-20T09:00:00Z").unwrap();
    let at = |min: i64| t0.plus_millis(min * 60_000);
    // Stored before the detectors start (as an import while the server was
    // down): counted when they start.
    let mut ids = ingest(
        &app,
        vec![
            tweet("1", "ann", "@acme my flight is delayed again, three hours late", at(5)),
            tweet("2", "bob", "@acme delayed and my bag is lost, terrible", at(10)),
            tweet("3", "cat", "@acme thanks, lovely crew today", at(15)),
        ],
    )
    .await;
    let _stop = start(&app);
    app.engine.watch_flush().await;
    // Live: counted as they arrive; a re-delivery is not a new contact.
    ids.extend(
        ingest(
            &app,
            vec![
                tweet("4", "dan", "@acme delayed by two hours, awful", at(70)),
                tweet("2", "bob", "@acme delayed and my bag is lost, terrible", at(10)),
            ],
        )
        .await,
    );
    app.engine.watch_flush().await;
    // The delays: messages 1, 2 and 4 (the re-delivery is message 2 again).
    let mut negative = 0;
    for id in [ids[0], ids[1], ids[3]] {
        negative += u64::from(sentiment(&app, id).await == "negative");
    }
    assert_eq!(ids[4], ids[1]);

    let r = json_of(&app, "/api/v1/reports/drivers?by=topic&from=2026-11-20&to=2026-11-21&bucket=hour").await;
    assert_eq!(r["buckets"].as_array().unwrap().len(), 24);
    let delay = series(&r, "delay").expect("delay is a driver");
    assert_eq!(delay["total"], 3, "{r}");
    assert_eq!(delay["contacts"][9], 2, "two delays in the 09:00 hour");
    assert_eq!(delay["contacts"][10], 1);
    assert_eq!(delay["negative_total"], negative, "as triage judged them: {delay}");
    assert!(delay["mean_sentiment"].as_f64().unwrap() < 0.0);
    assert_eq!(series(&r, "baggage").unwrap()["total"], 1);
    assert_eq!(series(&r, "other").unwrap()["total"], 1, "the thank-you has no topic");
    let all = json_of(&app, "/api/v1/reports/drivers?by=all&from=2026-11-20&to=2026-11-21").await;
    assert_eq!(all["series"][0]["total"], 4, "four contacts, each once: {all}");
    assert_eq!(all["buckets"].as_array().unwrap().len(), 1);

    // The CSV has every value; the page draws the chart.
    let csv = app.get("/api/v1/reports/drivers.csv?by=topic&from=2026-11-20&to=2026-11-21&bucket=hour").await;
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    let csv = csv.text().await.unwrap();
    assert!(csv.starts_with("bucket_start,dimension,value,contacts,negative,positive,mean_sentiment\r\n"));
    assert!(csv.contains("2026-11-20T09:00:00.000Z,topic,delay,2,"), "{csv}");
    assert!(csv.contains("2026-11-20T10:00:00.000Z,topic,delay,1,"), "{csv}");

    let mut b = Browser::new(&app);
    b.login(ADMIN_EMAIL, PASSWORD).await;
    let page = b.get("/reports/firewall?by=topic&from=2026-11-19&to=2026-11-21").await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("<polyline class=\"line s0\""), "{html}");
    assert!(html.contains("What drives contact") && html.contains(">delay<"));

    // Bad parameters: 400 naming the parameter, on the API and the page.
    for (q, field) in [
        ("by=colour", "by"),
        ("bucket=week", "bucket"),
        ("from=2026-11-21&to=2026-11-20", "to"),
        ("from=2020-01-01&bucket=hour", "from"),
        ("colour=red", "colour"),
    ] {
        let p = problem(app.get(&format!("/api/v1/reports/drivers?{q}")).await, 400, "invalid_parameter").await;
        assert_eq!(p["errors"][0]["field"], field, "{q}: {p}");
    }
    assert_eq!(b.get("/reports/firewall?by=colour").await.status(), 400);
}

fn customer(j: usize) -> NewCustomer {
    NewCustomer {
        external_ref: Some(format!("C-{j}")),
        name: DisplayName::clean(&format!("Customer {j}")),
        emails: vec![Email::parse(&format!("c{j}@example.com")).unwrap()],
        phones: vec![],
        postal_area: Some(PostalArea::parse(&format!("XX1 {}AB", j % 9 + 1)).unwrap()),
        refs: vec![CustomerRef::parse("x", &format!("cust{j}")).unwrap()],
        products: vec!["broadband".into()],
        preferred_channel: Some(Channel::Email),
    }
}

#[tokio::test]
async fn an_outage_costs_its_contacts_and_telling_customers_first_prevents_some() {
    let app = spawn_app().await;
    let _stop = start(&app);
    let t0 = app.clock.now();
    // 40 customers in XX1; the even ones consented to proactive notices.
    let ids: Vec<CustomerId> =
        app.store.upsert_customers((0..40).map(customer).collect()).await.unwrap().iter().map(|o| o.id).collect();
    for (j, id) in ids.iter().enumerate() {
        let c = Consent {
            purpose: "proactive".into(),
            granted: j % 2 == 0,
            at: t0,
            wording_version: "v1".into(),
            method: "import".into(),
        };
        app.store.record_consent(*id, c).await.unwrap();
    }
    // An earlier outage in the same area, 12 days before.
    app.clock.set(t0.plus_millis(-12 * 86_400_000));
    let earlier = incident_by_hand(&app, json!({ "title": "Broadband down in XX1 (first)", "areas": ["XX1"] })).await;
    let resolve = json!({ "status": "resolved" });
    let resp = app.client.patch(format!("{}/api/v1/incidents/{earlier}", app.url)).json(&resolve).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    app.clock.set(t0);
    let id = incident_by_hand(&app, json!({ "title": "Broadband down in XX1", "areas": ["XX1"] })).await;
    let resp = post(&app, &format!("/api/v1/incidents/{id}/outreach"), json!({})).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(app.engine.deliver_notices_due().await.unwrap(), 20, "the 20 who consented are told");

    // Then they write in: 2 of those told, and 11 posts from 10 of those not.
    app.clock.set(t0.plus_millis(30 * 60_000));
    let mut posts = Vec::new();
    for (n, j) in [0usize, 2].iter().enumerate() {
        posts.push(tweet(&format!("told{n}"), &format!("cust{j}"), "@acme is the broadband down?", app.clock.now()));
    }
    for j in (1..20).step_by(2) {
        posts.push(tweet(
            &format!("not{j}"),
            &format!("cust{j}"),
            "@acme no internet at all, outage?",
            app.clock.now(),
        ));
    }
    posts.push(tweet("again", "cust1", "@acme still no internet, awful", app.clock.now()));
    ingest(&app, posts).await;
    app.engine.watch_flush().await;

    let from = t0.plus_millis(-20 * 86_400_000).to_rfc3339();
    let r = json_of(&app, &format!("/api/v1/reports/incidents?from={from}")).await;
    let rows = r["incidents"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "{r}");
    let row = rows.iter().find(|i| i["incident"]["id"] == id).unwrap();
    assert_eq!(row["affected"], 40);
    assert_eq!((row["notified"].as_u64(), row["notified_contacts"].as_u64()), (Some(20), Some(2)), "{row}");
    assert_eq!((row["others"].as_u64(), row["other_contacts"].as_u64()), (Some(20), Some(11)), "{row}");
    // (11/20 - 2/20) x 20 = 9 contacts, at $4 each.
    assert!((row["contacts_prevented"].as_f64().unwrap() - 9.0).abs() < 1e-9, "{row}");
    assert!((row["savings"].as_f64().unwrap() - 36.0).abs() < 1e-9);
    // The 13 posts from XX1 were linked to the open incident: its cost.
    assert_eq!(row["contacts"], 13, "{row}");
    assert!((row["cost"].as_f64().unwrap() - 52.0).abs() < 1e-9);
    assert_eq!(r["currency"], "USD");
    // The same area twice within 30 days recurs.
    let runs = r["recurring"].as_array().unwrap();
    let area = runs.iter().find(|x| x["key"] == "area=XX1").expect("area=XX1 recurs");
    let chain: Vec<i64> = area["incidents"].as_array().unwrap().iter().map(|i| i["id"].as_i64().unwrap()).collect();
    assert_eq!(chain, vec![earlier, id]);

    let csv = app.get(&format!("/api/v1/reports/incidents.csv?from={from}")).await.text().await.unwrap();
    let line = csv.lines().find(|l| l.starts_with(&format!("{id},"))).unwrap();
    assert!(line.contains(",13,") && line.contains(",52.00,USD,40,20,2,0.1000,20,11,0.5500,9.0,36.00,true"), "{line}");

    let mut b = Browser::new(&app);
    b.login(ADMIN_EMAIL, PASSWORD).await;
    let html = b.get(&format!("/reports/firewall?from={}", &from[..10])).await.text().await.unwrap();
    assert!(html.contains("The cost of fires") && html.contains("Broadband down in XX1"));
    assert!(html.contains("Contacts prevented") && html.contains("<code>area=XX1</code>"), "{html}");
}
