//! `GET /api/v1/events`: what changes, streamed as Server-Sent Events, and
//! resumable with `Last-Event-ID`.

use std::time::Duration;

use serde_json::json;

use crate::helpers::{TestApp, message, spawn_app};

/// Reads the stream until `needle` has been seen (or a few seconds pass).
async fn read_until(resp: &mut reqwest::Response, needle: &str) -> String {
    let mut seen = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while !seen.contains(needle) {
        match tokio::time::timeout_at(deadline, resp.chunk()).await {
            Ok(Ok(Some(chunk))) => seen.push_str(&String::from_utf8_lossy(&chunk)),
            _ => break,
        }
    }
    seen
}

async fn open(app: &TestApp, last: Option<&str>) -> reqwest::Response {
    let mut req = app.client.get(format!("{}/api/v1/events", app.url));
    if let Some(id) = last {
        req = req.header("last-event-id", id);
    }
    let resp = req.send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
    resp
}

#[tokio::test]
async fn changes_are_streamed_live_and_a_reconnect_misses_nothing() {
    let app = spawn_app().await;
    let mut stream = open(&app, None).await;
    app.post_messages(json!([message("1", "@brand my router is on fire")]).to_string()).await;
    let seen = read_until(&mut stream, "event: case.created").await;
    assert!(seen.contains("event: case.created"), "{seen}");
    let first_id: String = seen.lines().find_map(|l| l.strip_prefix("id: ")).expect("every event has an id").to_owned();
    drop(stream);

    // While nobody listens, another case opens; a reconnect with the last id
    // it saw gets it.
    app.post_messages(
        json!([{
            "channel": "email", "external_id": "<m@x>", "author": { "id": "bo@example.com" },
            "text": "a second customer", "created_at": "2026-11-20T07:50:00Z"
        }])
        .to_string(),
    )
    .await;
    let mut again = open(&app, Some(&first_id)).await;
    let seen = read_until(&mut again, "event: case.created").await;
    let next: i64 = seen.lines().find_map(|l| l.strip_prefix("id: ")).unwrap().parse().unwrap();
    assert!(next > first_id.parse::<i64>().unwrap(), "{seen}");
    assert!(seen.contains("\"channel\":\"email\""), "{seen}");
}
