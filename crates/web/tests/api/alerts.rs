//! The detectors through the whole app: a negative post whose shares grow
//! fast raises one spark alert and a positive one with the same growth does
//! not; a burst of complaints from one area raises a burst alert (an
//! incident candidate) with its evidence; both are listed by
//! `/api/v1/alerts` and reach the event stream.

use firebreak_detect::BurstConfig;
use firebreak_domain::{Clock, Timestamp};
use firebreak_engine::watcher::WatchConfig;
use firebreak_store::Store;
use serde_json::{Value, json};

use crate::helpers::{ADMIN_EMAIL, Browser, PASSWORD, TestApp, spawn_app};

fn post(id: &str, text: &str, at: Timestamp, shares: u64) -> Value {
    json!({
        "channel": "x",
        "external_id": id,
        "author": { "id": format!("u-{id}"), "handle": format!("h_{id}"), "followers": 1000 },
        "text": text,
        "created_at": at.to_rfc3339(),
        "metrics": { "likes": shares * 3, "shares": shares, "replies": shares / 3 }
    })
}

async fn ingest(app: &TestApp, items: Vec<Value>) -> Vec<i64> {
    let resp = app.post_messages(json!(items).to_string()).await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    body["items"].as_array().unwrap().iter().map(|i| i["id"].as_i64().unwrap()).collect()
}

async fn alerts(app: &TestApp) -> Vec<Value> {
    app.engine.watch_flush().await;
    let body: Value = app.get("/api/v1/alerts").await.json().await.unwrap();
    body["items"].as_array().unwrap().clone()
}

fn start(app: &TestApp, cfg: WatchConfig) -> tokio::sync::watch::Sender<bool> {
    let (stop_tx, stop) = tokio::sync::watch::channel(false);
    app.engine.spawn_watch(cfg, stop).unwrap();
    stop_tx
}

#[tokio::test]
async fn a_negative_post_spreading_fast_is_one_spark_and_a_positive_one_is_none() {
    let app = spawn_app().await;
    let _stop = start(&app, WatchConfig::default());
    let t0 = app.clock.now();
    let negative = "@acme your outage ruined my weekend, worst service ever, never again";
    let positive = "@acme thank you so much, wonderful service, love it";
    let mut ids = (0, 0);
    // Five deliveries five minutes apart, 60 more shares each time.
    for i in 0..5u64 {
        let at = t0.plus_millis(i as i64 * 5 * 60_000);
        app.clock.set(at);
        let got = ingest(&app, vec![post("neg", negative, t0, 60 * i), post("pos", positive, t0, 60 * i)]).await;
        ids = (got[0], got[1]);
    }
    let sparks: Vec<Value> = alerts(&app).await.into_iter().filter(|a| a["kind"] == "spark").collect();
    assert_eq!(sparks.len(), 1, "{sparks:?}");
    let spark = &sparks[0];
    assert_eq!(spark["message_id"], ids.0);
    assert!(spark["evidence"]["momentum"].as_f64().unwrap() >= 0.45, "{spark}");
    assert_eq!(spark["evidence"]["author"], "h_neg");
    assert!(spark["case_id"].is_i64(), "the open case is named: {spark}");
    // More growth later raises nothing more: one alert per post.
    app.clock.set(t0.plus_millis(30 * 60_000));
    ingest(&app, vec![post("neg", negative, t0, 2000)]).await;
    assert_eq!(alerts(&app).await.iter().filter(|a| a["kind"] == "spark").count(), 1);
    // The alert is in the event log the pages and webhooks follow.
    let events = app.store.events_after(0, 10_000).await.unwrap();
    assert_eq!(events.iter().filter(|e| e.kind == "alert.spark").count(), 1);
    let one: Value = app.get(&format!("/api/v1/alerts/{}", spark["id"])).await.json().await.unwrap();
    assert_eq!(one["id"], spark["id"]);
    assert_eq!(app.get("/api/v1/alerts/999999").await.status(), 404);
    // The page the alert's link opens shows its evidence.
    let mut browser = Browser::new(&app);
    browser.login(ADMIN_EMAIL, PASSWORD).await;
    let list = browser.get("/alerts").await.text().await.unwrap();
    assert!(list.contains(&format!("href=\"/alerts/{}\"", spark["id"])), "{list}");
    let page = browser.get(&format!("/alerts/{}", spark["id"])).await.text().await.unwrap();
    assert!(
        page.contains("h_neg") && page.contains("Momentum") && page.contains(&format!("/cases/{}", spark["case_id"]))
    );
    assert_eq!(browser.get("/alerts/999999").await.status(), 404);
}

#[tokio::test]
async fn a_burst_of_complaints_from_one_area_raises_a_candidate_with_evidence() {
    let app = spawn_app().await;
    // No start-up day and a short warm-up, so the test needs hours, not days.
    let burst = BurstConfig { startup_buckets: 0, warmup_buckets: 6, ..BurstConfig::default() };
    let _stop = start(&app, WatchConfig { burst, slow_bursts: Vec::new(), ..WatchConfig::default() });
    let t0 = Timestamp::parse_rfc3339("2026-11-20T00:00:00Z").unwrap();
    let mut n = 0;
    let mut msg = |at: Timestamp, text: &str| {
        n += 1;
        json!({
            "channel": "x",
            "external_id": format!("m{n}"),
            "author": { "id": format!("a{n}"), "handle": format!("person{n}") },
            "text": text,
            "created_at": at.to_rfc3339(),
        })
    };
    // Twelve quiet hours: two messages an hour about the area.
    for h in 0..12 {
        let at = t0.plus_millis(h * 3_600_000);
        app.clock.set(at);
        ingest(
            &app,
            vec![
                msg(at.plus_millis(60_000), "@acme is there work in SW1A 1AA today?"),
                msg(at.plus_millis(120_000), "@acme new router arrived in SW1A 2BB, thanks"),
            ],
        )
        .await;
    }
    assert!(alerts(&app).await.is_empty());
    // Then forty complaints in twenty minutes.
    let outage = t0.plus_millis(12 * 3_600_000);
    let items: Vec<Value> = (0..40)
        .map(|i| msg(outage.plus_millis(i * 30_000), "@acme no internet at all in SW1A 1AA since 9, outage again?"))
        .collect();
    app.clock.set(outage.plus_millis(20 * 60_000));
    let ids = ingest(&app, items).await;
    let bursts: Vec<Value> = alerts(&app).await.into_iter().filter(|a| a["kind"] == "burst").collect();
    let area = bursts.iter().find(|a| a["key"] == "area=SW1A").unwrap_or_else(|| panic!("{bursts:?}"));
    let e = &area["evidence"]["evidence"];
    assert!(e["observed"].as_u64().unwrap() >= 10, "{e}");
    assert!(e["expected"].as_f64().unwrap() < 5.0, "{e}");
    assert!(e["p_value"].as_f64().unwrap() <= 1e-4, "{e}");
    assert_eq!(e["areas"][0]["value"], "SW1A");
    let samples: Vec<i64> = e["samples"].as_array().unwrap().iter().map(|s| s.as_i64().unwrap()).collect();
    assert!(!samples.is_empty() && samples.iter().all(|s| ids.contains(s)), "samples are the burst's messages");
    assert!(e["top_terms"].as_array().unwrap().iter().any(|t| t["value"] == "internet"), "{e}");
    assert_eq!(e["sparkline"].as_array().unwrap().last().unwrap(), &e["observed"]);
    // `area=SW1A|topic=outage` was never seen before: a key without a
    // baseline alerts only above the cold threshold (100 in a bucket).
    assert!(!bursts.iter().any(|a| a["key"] == "area=SW1A|topic=outage"), "{bursts:?}");
    let events = app.store.events_after(0, 10_000).await.unwrap();
    assert!(events.iter().any(|e| e.kind == "alert.burst"));

    // Its page draws the sparkline and names the candidate.
    let mut browser = Browser::new(&app);
    browser.login(ADMIN_EMAIL, PASSWORD).await;
    let page = browser.get(&format!("/alerts/{}", area["id"])).await.text().await.unwrap();
    assert!(page.contains("<svg") && page.contains("internet (10)") && page.contains("Incident candidate"), "{page}");

    // The burst is an incident candidate; one POST opens it, and the next
    // complaint from the area is linked to the incident by the detectors.
    let candidate = area["evidence"]["candidate_id"].as_i64().expect("the alert names its candidate");
    let c: Value = app.get(&format!("/api/v1/incident-candidates/{candidate}")).await.json().await.unwrap();
    assert_eq!(c["key"], "area=SW1A");
    let opened = app
        .client
        .post(format!("{}/api/v1/incident-candidates/{candidate}/open", app.url))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(opened.status(), 201);
    let incident: Value = opened.json().await.unwrap();
    let later = outage.plus_millis(30 * 60_000);
    app.clock.set(later);
    let new = ingest(&app, vec![msg(later, "@acme still nothing in SW1A 1AA, when will it be fixed?")]).await;
    app.engine.watch_flush().await;
    let d: Value = app.get(&format!("/api/v1/incidents/{}", incident["id"])).await.json().await.unwrap();
    let linked: Vec<i64> = d["links"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["target"]["kind"] == "message")
        .filter_map(|l| l["target"]["id"].as_i64())
        .collect();
    assert!(linked.contains(&new[0]), "{d}");
}
