//! Reading back: one message, listings with filters and cursors, search.

use serde_json::{Value, json};

use crate::helpers::{message, problem, spawn_app};

#[tokio::test]
async fn a_stored_message_reads_back_as_sent() {
    let app = spawn_app().await;
    let mut m = message("55", "hello @brand");
    m["metrics"] = json!({ "likes": 3, "shares": 1, "replies": 0 });
    m["in_reply_to"] = json!("54");
    m["thread_id"] = json!("50");
    m["raw"] = json!({ "source": "test" });
    let out: Value = app.post_messages(json!([m]).to_string()).await.json().await.unwrap();
    let id = out["items"][0]["id"].as_i64().unwrap();
    let got: Value = app.get(&format!("/api/v1/messages/{id}")).await.json().await.unwrap();
    assert_eq!(got["id"], id);
    assert_eq!(got["external_id"], "55");
    assert_eq!(got["direction"], "in");
    assert_eq!(got["author"]["handle"], "ann_example");
    assert_eq!(got["metrics"]["likes"], 3);
    assert_eq!(got["in_reply_to"], "54");
    assert_eq!(got["thread_id"], "50");
    assert_eq!(got["raw"]["source"], "test");
    assert_eq!(got["created_at"], "2026-11-20T07:42:00.000Z");
    assert!(got["received_at"].is_string());

    problem(app.get("/api/v1/messages/999999").await, 404, "not_found").await;
    problem(app.get("/api/v1/messages/abc").await, 404, "not_found").await;
}

#[tokio::test]
async fn listings_page_with_cursors_and_filter() {
    let app = spawn_app().await;
    let mut batch = Vec::new();
    for i in 0..12 {
        let mut m = message(&format!("m{i}"), "text");
        m["created_at"] = json!(format!("2026-11-20T07:{i:02}:00Z"));
        batch.push(m);
    }
    let mut fb = message("fb1", "on facebook");
    fb["channel"] = json!("facebook");
    fb["author"] = json!({ "id": "fb-9" });
    batch.push(fb);
    assert_eq!(app.post_messages(json!(batch).to_string()).await.status(), 200);

    let mut seen = Vec::new();
    let mut path = "/api/v1/messages?channel=x&limit=5".to_owned();
    loop {
        let page: Value = app.get(&path).await.json().await.unwrap();
        for m in page["items"].as_array().unwrap() {
            seen.push(m["external_id"].as_str().unwrap().to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(c) => path = format!("/api/v1/messages?channel=x&limit=5&cursor={c}"),
            None => break,
        }
    }
    let expected: Vec<String> = (0..12).rev().map(|i| format!("m{i}")).collect();
    assert_eq!(seen, expected);

    let window: Value =
        app.get("/api/v1/messages?since=2026-11-20T07:03:00Z&until=2026-11-20T07:05:00Z").await.json().await.unwrap();
    assert_eq!(window["items"].as_array().unwrap().len(), 2);
    let by_author: Value = app.get("/api/v1/messages?author=fb-9").await.json().await.unwrap();
    assert_eq!(by_author["items"][0]["external_id"], "fb1");

    problem(app.get("/api/v1/messages?channel=myspace").await, 400, "invalid_parameter").await;
    problem(app.get("/api/v1/messages?since=monday").await, 400, "invalid_parameter").await;
    problem(app.get("/api/v1/messages?limit=0").await, 400, "invalid_parameter").await;
    problem(app.get("/api/v1/messages?cursor=garbage").await, 400, "invalid_parameter").await;
    problem(app.get("/api/v1/messages?colour=red").await, 400, "invalid_parameter").await;
}

#[tokio::test]
async fn search_is_ranked_and_highlighted() {
    let app = spawn_app().await;
    let batch = json!([
        message("1", "my bag is lost, lost bag again"),
        message("2", "the flight was great"),
        message("3", "lost & found <desk>"),
    ]);
    app.post_messages(batch.to_string()).await;
    let body: Value = app.get("/api/v1/search?q=lost").await.json().await.unwrap();
    let items = body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["message"]["external_id"], "1");
    assert!(items[0]["snippet"].as_str().unwrap().contains("<mark>lost</mark>"));
    assert_eq!(items[0]["highlights"][0], json!([10, 14]));
    assert!(items[1]["snippet"].as_str().unwrap().contains("&amp; found &lt;desk&gt;"));

    let none: Value = app.get("/api/v1/search?q=refund").await.json().await.unwrap();
    assert!(none["items"].as_array().unwrap().is_empty());
    problem(app.get("/api/v1/search").await, 400, "invalid_parameter").await;
    problem(app.get("/api/v1/search?q=-lost").await, 400, "invalid_query").await;
    let odd: Value = app.get("/api/v1/search?q=NEAR(lost%22%20OR").await.json().await.unwrap();
    assert!(odd["items"].is_array(), "FTS syntax in the query is taken as words");
}
