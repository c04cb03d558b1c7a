//! The cases issue's story in one test, through the real server: a tweet, an
//! email from the same person, one case, a reply, a wait, a resolution and a
//! satisfaction answer. Time is the app's manual clock; nothing sleeps.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use firebreak_store::Store;

use crate::helpers::{TestApp, X_SECRET, spawn_app};

async fn post_json(app: &TestApp, path: &str, body: Value) -> Value {
    let resp = app.client.post(format!("{}{path}", app.url)).json(&body).send().await.unwrap();
    let status = resp.status();
    let text = resp.text().await.unwrap();
    assert!(status.is_success(), "POST {path}: {status} {text}");
    serde_json::from_str(&text).unwrap()
}

async fn patch_json(app: &TestApp, path: &str, body: Value) -> Value {
    let resp = app.client.patch(format!("{}{path}", app.url)).json(&body).send().await.unwrap();
    let status = resp.status();
    let text = resp.text().await.unwrap();
    assert!(status.is_success(), "PATCH {path}: {status} {text}");
    serde_json::from_str(&text).unwrap()
}

async fn get_json(app: &TestApp, path: &str) -> Value {
    let resp = app.get(path).await;
    assert!(resp.status().is_success(), "GET {path}: {}", resp.status());
    resp.json().await.unwrap()
}

fn clock<'a>(case: &'a Value, which: &str) -> &'a Value {
    case["clocks"].as_array().unwrap().iter().find(|c| c["clock"] == which).unwrap()
}

async fn tweet(app: &TestApp, id: &str, text: &str, at: &str) {
    let body = json!({
        "for_user_id": "900",
        "tweet_create_events": [{
            "created_at": at,
            "id_str": id,
            "text": text,
            "user": { "id_str": "4001", "name": "Maria Lopez", "screen_name": "maria_runs", "followers_count": 1840 },
            "in_reply_to_status_id_str": null,
            "lang": "en"
        }]
    })
    .to_string();
    let mut mac = Hmac::<Sha256>::new_from_slice(X_SECRET.as_bytes()).unwrap();
    mac.update(body.as_bytes());
    let sig = format!("sha256={}", base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes()));
    let resp = app
        .client
        .post(format!("{}/webhooks/x", app.url))
        .header("x-twitter-webhooks-signature", sig)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
}

#[tokio::test]
async fn a_tweet_and_an_email_make_one_case_that_is_answered_paused_resolved_and_rated() {
    let app = spawn_app().await;

    // The company's records: Maria, her email, and an order.
    let c = post_json(
        &app,
        "/api/v1/customers",
        json!({
            "external_ref": "C-100231", "name": "Maria Lopez", "emails": ["maria.lopez@example.com"]
        }),
    )
    .await;
    let customer = c["id"].as_i64().unwrap();
    post_json(&app, &format!("/api/v1/customers/{customer}/events"), json!({
        "kind": "order_placed", "occurred_at": "2026-11-01T10:00:00Z", "reference": "NW-2211845", "external_id": "evt-1"
    }))
    .await;

    // 08:00 Friday: she complains on X, naming the order.
    tweet(
        &app,
        "1860000000000000009",
        "@NorthwindTel you charged me twice for November, order NW-2211845. Still waiting for a refund after 3 calls",
        "Fri Nov 20 08:00:00 +0000 2026",
    )
    .await;
    let queue = get_json(&app, "/api/v1/cases").await;
    let cases = queue["items"].as_array().unwrap();
    assert_eq!(cases.len(), 1, "{queue}");
    let case = &cases[0];
    let id = case["id"].as_i64().unwrap();
    assert_eq!(case["customer_id"], customer, "the order number tied the tweet to Maria's record");
    assert_eq!(case["sla_policy"], "social");
    assert_eq!(case["status"], "new");
    assert_eq!(clock(case, "first_response")["due_at"], "2026-11-20T09:00:00.000Z", "an hour, day or night");

    // 08:10: she emails from the address on her record; it joins the case.
    app.clock.advance_millis(10 * 60_000);
    let raw = "From: Maria Lopez <Maria.Lopez@example.com>\r\nTo: care@northwind.example\r\nSubject: Double charge\r\nMessage-ID: <m1@example.com>\r\nDate: Fri, 20 Nov 2026 08:10:00 +0000\r\n\r\nI tweeted you too. Please refund the second payment.\r\n";
    let resp = app.client.post(format!("{}/api/v1/inbound/email", app.url)).body(raw).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let queue = get_json(&app, "/api/v1/cases").await;
    assert_eq!(queue["items"].as_array().unwrap().len(), 1, "still one case: {queue}");
    let detail = get_json(&app, &format!("/api/v1/cases/{id}")).await;
    let channels: Vec<&str> =
        detail["timeline"].as_array().unwrap().iter().map(|m| m["channel"].as_str().unwrap()).collect();
    assert_eq!(channels, ["x", "email"]);
    let person = get_json(&app, &format!("/api/v1/customers/{customer}")).await;
    let timeline: Vec<&str> =
        person["timeline"].as_array().unwrap().iter().map(|m| m["channel"].as_str().unwrap()).collect();
    assert_eq!(timeline, ["x", "email"], "one timeline across channels, in order");
    assert_eq!(person["identities"].as_array().unwrap().len(), 2);
    let week = &person["sentiment"][0];
    assert_eq!(week["week_start"], "2026-11-16T00:00:00.000Z", "weeks start on Monday");
    assert_eq!(week["messages"], 2);
    assert!(week["mean_score"].as_f64().unwrap() < 0.0, "an unhappy week: {week}");
    assert_eq!(person["open_cases"][0]["id"], id);

    // 08:15: an agent answers; the first-response clock stops, met.
    app.clock.advance_millis(5 * 60_000);
    let reply = post_json(
        &app,
        &format!("/api/v1/cases/{id}/replies"),
        json!({ "text": "Sorry Maria, the refund is on its way.", "by": "Aisha", "visibility": "private" }),
    )
    .await;
    assert_eq!(reply["status"], "queued");
    assert_eq!(reply["channel"], "email", "answered on the channel she used last");
    // The worker delivers it; it joins the timeline under the platform's id.
    app.clock.advance_millis(2_000);
    assert_eq!(app.engine.deliver_due().await.unwrap(), 1);
    let sent = app.transport.sent.lock().unwrap().clone();
    assert_eq!(sent.len(), 1);
    let email = sent[0].email.as_ref().expect("an email reply has its threading");
    assert_eq!(email.to.as_str(), "maria.lopez@example.com");
    assert!(sent[0].in_reply_to.is_some(), "it answers her email");
    let detail = get_json(&app, &format!("/api/v1/cases/{id}")).await;
    assert_eq!(detail["first_response_at"], "2026-11-20T08:15:00.000Z");
    assert_eq!(clock(&detail, "first_response")["state"], "stopped");
    assert!(
        detail["sla_events"].as_array().unwrap().iter().any(|e| e["clock"] == "first_response" && e["kind"] == "met")
    );
    assert_eq!(detail["status"], "open");

    // Aisha promises a refund by Monday and says so; she will be reminded.
    let promise = post_json(
        &app,
        &format!("/api/v1/cases/{id}/promises"),
        json!({
            "what": "refund the second payment", "due_at": "2026-11-23T12:00:00Z", "told_customer": true, "by": "Aisha"
        }),
    )
    .await;
    assert_eq!(promise["status"], "open");

    // She goes quiet: the case waits on her, and the resolution clock pauses.
    let waiting = patch_json(&app, &format!("/api/v1/cases/{id}"), json!({ "status": "pending", "by": "Aisha" })).await;
    assert_eq!(clock(&waiting, "resolution")["state"], "paused");
    let left = clock(&waiting, "resolution")["left_ms"].as_i64().unwrap();
    app.clock.advance_millis(6 * 86_400_000);
    let report = app.engine.tick().await.unwrap();
    assert_eq!(report.breaches, 0, "a paused clock does not breach");
    assert_eq!((report.promise_reminders, report.promises_due), (1, 1), "reminded, then due");
    post_json(&app, &format!("/api/v1/promises/{}", promise["id"]), json!({ "status": "kept", "by": "Aisha" })).await;
    let promises = get_json(&app, "/api/v1/reports/promises").await;
    assert_eq!(promises["total"]["kept"], 1);
    assert_eq!(promises["kept_rate"], 1.0);
    assert_eq!(promises["by_agent"]["Aisha"]["kept"], 1);
    let still = get_json(&app, &format!("/api/v1/cases/{id}")).await;
    assert_eq!(clock(&still, "resolution")["left_ms"].as_i64().unwrap(), left, "no time passed on a paused clock");

    // Resolved: a satisfaction request goes out, and her answer is stored.
    let resolved =
        patch_json(&app, &format!("/api/v1/cases/{id}"), json!({ "status": "resolved", "by": "Aisha" })).await;
    assert_eq!(resolved["status"], "resolved");
    let token = resolved["csat"]["token"].as_str().unwrap().to_owned();
    assert_eq!(token.len(), 32);
    post_json(&app, &format!("/api/v1/csat/{token}"), json!({ "score": 5, "comment": "Sorted quickly, thank you" }))
        .await;
    let done = get_json(&app, &format!("/api/v1/cases/{id}")).await;
    assert_eq!(done["csat"]["score"], 5);
    assert_eq!(done["csat"]["comment"], "Sorted quickly, thank you");
    assert_eq!(app.store.integrity_check().await.unwrap(), "ok", "structure and foreign keys");
}

#[tokio::test]
async fn a_breach_is_warned_then_recorded_once_and_a_new_message_reopens_a_resolved_case() {
    let app = spawn_app().await;
    tweet(
        &app,
        "1",
        "@NorthwindTel my broadband has been down all morning, nobody answers",
        "Fri Nov 20 08:00:00 +0000 2026",
    )
    .await;
    let case = &get_json(&app, "/api/v1/cases").await["items"][0];
    let id = case["id"].as_i64().unwrap();

    app.clock.advance_millis(50 * 60_000); // 08:50: 20% of the hour left
    let r = app.engine.tick().await.unwrap();
    assert_eq!((r.warnings, r.breaches), (1, 0));
    app.clock.advance_millis(15 * 60_000); // 09:05: late
    let r = app.engine.tick().await.unwrap();
    assert_eq!((r.warnings, r.breaches), (0, 1));
    let r = app.engine.tick().await.unwrap();
    assert_eq!((r.warnings, r.breaches), (0, 0), "each alert once");
    let detail = get_json(&app, &format!("/api/v1/cases/{id}")).await;
    let kinds: Vec<&str> =
        detail["sla_events"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert!(kinds.contains(&"warning") && kinds.contains(&"breach"), "{kinds:?}");

    patch_json(&app, &format!("/api/v1/cases/{id}"), json!({ "status": "resolved" })).await;
    app.clock.advance_millis(86_400_000);
    tweet(&app, "2", "@NorthwindTel it's down again!!", "Sat Nov 21 09:05:00 +0000 2026").await;
    let after = get_json(&app, &format!("/api/v1/cases/{id}")).await;
    assert_eq!(after["status"], "open", "a message within the reopen window reopens the case");
    assert_eq!(after["reopened"], 1);
}

#[tokio::test]
async fn bad_case_input_is_named_and_changes_nothing() {
    let app = spawn_app().await;
    tweet(&app, "1", "@NorthwindTel hello?", "Fri Nov 20 08:00:00 +0000 2026").await;
    let id = get_json(&app, "/api/v1/cases").await["items"][0]["id"].as_i64().unwrap();
    let past = app
        .client
        .post(format!("{}/api/v1/cases/{id}/promises", app.url))
        .json(&json!({ "what": "call back", "due_at": "2020-01-01T00:00:00Z" }))
        .send()
        .await
        .unwrap();
    let body = crate::helpers::problem(past, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "due_at");
    let status = app
        .client
        .patch(format!("{}/api/v1/cases/{id}", app.url))
        .json(&json!({ "status": "done" }))
        .send()
        .await
        .unwrap();
    let body = crate::helpers::problem(status, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "status");
    let none = app
        .client
        .patch(format!("{}/api/v1/cases/999", app.url))
        .json(&json!({ "status": "open" }))
        .send()
        .await
        .unwrap();
    crate::helpers::problem(none, 404, "not_found").await;
    let customer = get_json(&app, &format!("/api/v1/cases/{id}")).await["customer_id"].as_i64().unwrap();
    let itself = app
        .client
        .post(format!("{}/api/v1/customers/{customer}/merge", app.url))
        .json(&json!({ "from": customer, "reason": "same" }))
        .send()
        .await
        .unwrap();
    let body = crate::helpers::problem(itself, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "from");
    let detail = get_json(&app, &format!("/api/v1/cases/{id}")).await;
    assert!(detail["promises"].as_array().unwrap().is_empty());
    assert_eq!(detail["status"], "new");
}
