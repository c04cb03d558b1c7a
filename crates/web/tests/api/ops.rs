//! Health, metrics, the OpenAPI document, and answers for unknown routes.

use serde_json::{Value, json};

use crate::helpers::{message, problem, spawn_app};

#[tokio::test]
async fn health_answers() {
    let app = spawn_app().await;
    let resp = app.get("/healthz").await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["status"], "ok");
}

#[tokio::test]
async fn metrics_count_ingest_batches_and_commits() {
    let app = spawn_app().await;
    app.post_messages(json!([message("1", "a"), message("2", "b")]).to_string()).await;
    let resp = app.get("/metrics").await;
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("text/plain; version=0.0.4"));
    let text = resp.text().await.unwrap();
    assert!(text.contains("firebreak_messages_ingested_total 2"), "{text}");
    assert!(text.contains("firebreak_api_batch_messages_count 1"), "{text}");
    let commits = text
        .lines()
        .find_map(|l| l.strip_prefix("firebreak_commit_seconds_bucket{le=\"+Inf\"} "))
        .and_then(|v| v.parse::<u64>().ok());
    assert!(commits.is_some_and(|n| n >= 1), "{text}");
    assert!(text.contains("firebreak_http_responses_total{class=\"2xx\"}"), "{text}");
}

#[tokio::test]
async fn every_documented_route_answers_and_unknown_ones_are_problems() {
    let app = spawn_app().await;
    let doc: Value = app.get("/api/v1/openapi.json").await.json().await.unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for method in ops.as_object().unwrap().keys() {
            if path == "/api/v1/events" {
                continue; // a stream; it has its own test
            }
            let concrete = path
                .replace("{id}", "999999")
                .replace("{code}", "not_found")
                .replace("{token}", "x")
                .replace("{name}", "n");
            let req = match method.as_str() {
                "get" => app.client.get(format!("{}{concrete}", app.url)),
                "post" => app.client.post(format!("{}{concrete}", app.url)).body("{}"),
                "patch" => app.client.patch(format!("{}{concrete}", app.url)).body("{}"),
                "put" => app.client.put(format!("{}{concrete}", app.url)).body("{}"),
                "delete" => app.client.delete(format!("{}{concrete}", app.url)),
                m => panic!("unexpected method {m}"),
            };
            let resp = req.send().await.unwrap();
            let status = resp.status().as_u16();
            let body = resp.text().await.unwrap();
            assert!(
                !body.contains("There is no such route") && status != 405,
                "{method} {path} is documented but not routed: {status} {body}"
            );
        }
    }
    problem(app.get("/no/such/page").await, 404, "not_found").await;
    let put = app.client.put(format!("{}/api/v1/messages", app.url)).send().await.unwrap();
    problem(put, 405, "method_not_allowed").await;
    let known: Value = app.get("/problems/validation_failed").await.json().await.unwrap();
    assert_eq!(known["status"], 422);
}

#[tokio::test]
async fn the_messages_page_lists_and_searches_escaped() {
    let app = spawn_app().await;
    app.post_messages(json!([message("1", "<script>alert(1)</script> lost bag")]).to_string()).await;
    let html = app.get("/messages").await.text().await.unwrap();
    assert!(html.contains("&lt;script&gt;"), "{html}");
    assert!(!html.contains("<script>alert"));
    let html = app.get("/messages?q=lost").await.text().await.unwrap();
    assert!(html.contains("<mark>lost</mark>"), "{html}");
    assert!(!html.contains("<script>alert"));
}
