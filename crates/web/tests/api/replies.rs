//! Replies that really go out: refused at once when they could never be
//! sent, queued durably, delivered once through the real X transport to a
//! fake X API on loopback, retried after a failure that shows on the case.

use std::sync::{Arc, Mutex};

use axum::{Json, Router, extract::State, http::HeaderMap, routing::post};
use firebreak_channels::outbound::{OutboundConfig, Secret, Transports, XConfig};
use firebreak_store::Store;
use serde_json::{Value, json};

use crate::helpers::{FakeTransport, TestApp, configured, message, problem, spawn_full};

/// What the fake X API was sent, and how many times it should fail first.
#[derive(Default)]
struct XLog {
    requests: Vec<(String, String, Value)>,
    fail_first: usize,
}

async fn tweets(
    State(log): State<Arc<Mutex<XLog>>>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> (axum::http::StatusCode, Json<Value>) {
    let mut log = log.lock().unwrap();
    let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    log.requests.push(("/2/tweets".into(), auth, body.clone()));
    if log.fail_first > 0 {
        log.fail_first -= 1;
        return (axum::http::StatusCode::SERVICE_UNAVAILABLE, Json(json!({ "title": "Service Unavailable" })));
    }
    let id = format!("19000000000000{}", log.requests.len());
    (axum::http::StatusCode::CREATED, Json(json!({ "data": { "id": id, "text": body["text"] } })))
}

async fn fake_x(fail_first: usize) -> (String, Arc<Mutex<XLog>>) {
    let log = Arc::new(Mutex::new(XLog { fail_first, ..XLog::default() }));
    let app = Router::new().route("/2/tweets", post(tweets)).with_state(log.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, log)
}

async fn app_with_x(fail_first: usize) -> (TestApp, Arc<Mutex<XLog>>) {
    let (base, log) = fake_x(fail_first).await;
    let config = OutboundConfig {
        x: Some(XConfig { base_url: base, bearer_token: Some(Secret::new("user-bearer-token")), ..XConfig::default() }),
        ..OutboundConfig::default()
    };
    let transports = Arc::new(Transports::new(&config).unwrap());
    (spawn_full(configured(), transports, Arc::new(FakeTransport::default())).await, log)
}

/// A customer tweets; returns the case id.
async fn tweet_case(app: &TestApp) -> i64 {
    let resp =
        app.post_messages(json!([message("1890000000000000001", "my router is broken again")]).to_string()).await;
    assert_eq!(resp.status(), 200);
    let cases: Value = app.get("/api/v1/cases").await.json().await.unwrap();
    cases["items"][0]["id"].as_i64().unwrap()
}

async fn reply(app: &TestApp, case: i64, body: Value) -> reqwest::Response {
    app.client.post(format!("{}/api/v1/cases/{case}/replies", app.url)).json(&body).send().await.unwrap()
}

#[tokio::test]
async fn a_public_reply_is_posted_once_to_x_as_a_reply_to_the_tweet() {
    let (app, log) = app_with_x(0).await;
    let case = tweet_case(&app).await;
    let body =
        json!({ "text": "Sorry to hear that, we're on it.", "visibility": "public", "idempotency_key": "form-1" });
    let first = reply(&app, case, body.clone()).await;
    assert_eq!(first.status(), 202);
    let first: Value = first.json().await.unwrap();
    // The same form sent twice is one reply.
    let again: Value = reply(&app, case, body).await.json().await.unwrap();
    assert_eq!(first["id"], again["id"]);

    assert_eq!(app.engine.deliver_due().await.unwrap(), 1);
    assert_eq!(app.engine.deliver_due().await.unwrap(), 0, "nothing is sent twice");
    let requests = log.lock().unwrap().requests.clone();
    assert_eq!(requests.len(), 1);
    let (path, auth, sent) = &requests[0];
    assert_eq!(path, "/2/tweets");
    assert_eq!(auth, "Bearer user-bearer-token");
    assert_eq!(
        sent,
        &json!({ "text": "Sorry to hear that, we're on it.", "reply": { "in_reply_to_tweet_id": "1890000000000000001" } })
    );

    let detail: Value = app.get(&format!("/api/v1/cases/{case}")).await.json().await.unwrap();
    let d = &detail["replies"][0];
    assert_eq!(d["status"], "sent");
    assert_eq!(d["external_id"], "190000000000001");
    let out = detail["timeline"].as_array().unwrap().iter().find(|m| m["direction"] == "out").expect("in the timeline");
    assert_eq!(out["external_id"], "190000000000001", "under the platform's id, so its echo is a re-delivery");
    assert!(detail["first_response_at"].is_string(), "the reply answered the case");
}

#[tokio::test]
async fn a_failed_attempt_shows_on_the_case_and_is_retried_with_backoff() {
    let (app, log) = app_with_x(1).await;
    let case = tweet_case(&app).await;
    assert_eq!(reply(&app, case, json!({ "text": "On it." })).await.status(), 202);
    assert_eq!(app.engine.deliver_due().await.unwrap(), 1);
    let detail: Value = app.get(&format!("/api/v1/cases/{case}")).await.json().await.unwrap();
    let d = &detail["replies"][0];
    assert_eq!(d["status"], "queued");
    assert_eq!(d["attempts"], 1);
    assert!(d["last_error"].as_str().is_some_and(|e| !e.is_empty()), "the failure shows on the case: {d}");
    // Not before the backoff is over.
    assert_eq!(app.engine.deliver_due().await.unwrap(), 0);
    app.clock.advance_millis(2_001);
    assert_eq!(app.engine.deliver_due().await.unwrap(), 1);
    let detail: Value = app.get(&format!("/api/v1/cases/{case}")).await.json().await.unwrap();
    assert_eq!(detail["replies"][0]["status"], "sent");
    assert_eq!(log.lock().unwrap().requests.len(), 2, "one failure, one success");
}

#[tokio::test]
async fn replies_that_could_never_go_out_are_refused_at_once_and_nothing_is_queued() {
    let (app, log) = app_with_x(0).await;
    let case = tweet_case(&app).await;
    problem(reply(&app, case, json!({ "text": "   " })).await, 422, "validation_failed").await;
    let long = "x".repeat(281);
    let body = problem(reply(&app, case, json!({ "text": long })).await, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["code"], "reply_too_long");
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("280"), "the limit is named: {body}");
    // X direct messages need OAuth 1.0a or a bearer token: the bearer token
    // is there, so a private reply is possible; email is not configured.
    let email_case = {
        let raw = "From: Ann <ann@example.com>\r\nTo: care@x.example\r\nSubject: Help\r\nMessage-ID: <a1@example.com>\r\n\r\nHelp me.\r\n";
        let resp = app.client.post(format!("{}/api/v1/inbound/email", app.url)).body(raw).send().await.unwrap();
        assert_eq!(resp.status(), 200);
        let cases: Value = app.get("/api/v1/cases?channel=email").await.json().await.unwrap();
        cases["items"][0]["id"].as_i64().unwrap()
    };
    let body = problem(
        reply(&app, email_case, json!({ "text": "Hello", "visibility": "private" })).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(body["errors"][0]["code"], "transport_not_configured", "{body}");
    let body = problem(
        reply(&app, email_case, json!({ "text": "Hello", "visibility": "public" })).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(body["errors"][0]["code"], "reply_not_possible", "{body}");
    let detail: Value = app.get(&format!("/api/v1/cases/{case}")).await.json().await.unwrap();
    assert_eq!(detail["replies"].as_array().unwrap().len(), 0);
    assert!(log.lock().unwrap().requests.is_empty());
}

#[tokio::test]
async fn an_attempt_cut_short_by_a_stop_is_unknown_and_never_sent_again() {
    let (app, log) = app_with_x(0).await;
    let case = tweet_case(&app).await;
    assert_eq!(reply(&app, case, json!({ "text": "On it." })).await.status(), 202);
    // The worker claims it, then the server dies before the answer.
    let claimed = app.store.claim_replies(10).await.unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(app.store.recover_replies().await.unwrap(), 1);
    assert_eq!(app.engine.deliver_due().await.unwrap(), 0);
    let detail: Value = app.get(&format!("/api/v1/cases/{case}")).await.json().await.unwrap();
    assert_eq!(detail["replies"][0]["status"], "unknown");
    assert!(log.lock().unwrap().requests.is_empty());
}
