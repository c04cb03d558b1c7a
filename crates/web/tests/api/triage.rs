//! Triage on ingest: every message is judged as it is stored, and listings
//! filter on the judgement.

use serde_json::{Value, json};

use crate::helpers::{message, problem, spawn_app};

#[tokio::test]
async fn messages_are_judged_on_ingest_and_filtered_by_the_judgement() {
    let app = spawn_app().await;
    let batch = json!([
        message("1", "@AmericanAir flight AA1234 cancelled AGAIN, 3 hours on hold, cancelling my card #fail"),
        message("2", "@united thank you so much, the crew were wonderful and the flight was early!"),
        message("3", "@Delta what time does the lounge at JFK open on Sundays?"),
    ]);
    assert_eq!(app.post_messages(batch.to_string()).await.status(), 200);

    let one: Value = app.get("/api/v1/messages?urgent=true").await.json().await.unwrap();
    let items = one["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{one}");
    let t = &items[0]["triage"];
    assert_eq!(t["sentiment"], "negative");
    assert_eq!(t["intent"], "complaint");
    assert_eq!(t["complaint"], true);
    let reasons: Vec<&str> =
        t["urgent_reasons"].as_array().unwrap().iter().map(|r| r["reason"].as_str().unwrap()).collect();
    assert!(reasons.contains(&"churn") && reasons.contains(&"shaming"), "{reasons:?}");
    assert!(t["reasons"].as_array().unwrap().len() >= 2, "the words that drove it are named");

    let flights: Value = app.get("/api/v1/messages?entity=flight_number:AA1234").await.json().await.unwrap();
    assert_eq!(flights["items"][0]["external_id"], "1");
    let any_kind: Value = app.get("/api/v1/messages?entity=aa1234").await.json().await.unwrap();
    assert_eq!(any_kind["items"].as_array().unwrap().len(), 1, "entities match without regard to case");

    let positive: Value = app.get("/api/v1/messages?sentiment=positive").await.json().await.unwrap();
    assert_eq!(positive["items"][0]["external_id"], "2");
    let questions: Value = app.get("/api/v1/messages?intent=question").await.json().await.unwrap();
    assert_eq!(questions["items"][0]["external_id"], "3");
    let calm: Value = app.get("/api/v1/messages?urgent=false").await.json().await.unwrap();
    assert_eq!(calm["items"].as_array().unwrap().len(), 2);

    problem(app.get("/api/v1/messages?sentiment=angry").await, 400, "invalid_parameter").await;
    problem(app.get("/api/v1/messages?intent=rant").await, 400, "invalid_parameter").await;
    problem(app.get("/api/v1/messages?urgent=maybe").await, 400, "invalid_parameter").await;
}
