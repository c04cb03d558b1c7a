//! `POST /api/v1/messages`: the contract, all-or-nothing batches, and every
//! kind of bad input.

use serde_json::{Value, json};

use crate::helpers::{TOKEN, configured, message, problem, spawn_app, spawn_with};

#[tokio::test]
async fn a_batch_is_stored_and_answered_in_order_and_redelivery_is_a_duplicate() {
    let app = spawn_app().await;
    let batch = json!([message("1", "first"), message("2", "second"), message("1", "first again")]);
    let resp = app.post_messages(batch.to_string()).await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    let items = body["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert_eq!(items[0]["duplicate"], false);
    assert_eq!(items[1]["duplicate"], false);
    assert_eq!(items[2]["duplicate"], true);
    assert_eq!(items[2]["id"], items[0]["id"]);
    assert_ne!(items[0]["id"], items[1]["id"]);

    let again: Value = app.post_messages(batch.to_string()).await.json().await.unwrap();
    assert!(again["items"].as_array().unwrap().iter().all(|i| i["duplicate"] == true));
    assert_eq!(app.stored().await, 2);
}

#[tokio::test]
async fn one_bad_item_refuses_the_whole_batch_and_names_each_problem() {
    let app = spawn_app().await;
    let mut bad_channel = message("b", "x");
    bad_channel["channel"] = json!("myspace");
    let mut no_author_id = message("c", "x");
    no_author_id["author"] = json!({ "handle": "nobody" });
    let mut unknown = message("d", "x");
    unknown["mood"] = json!("grumpy");
    let batch = json!([message("a", "fine"), bad_channel, no_author_id, unknown]);
    let body = problem(app.post_messages(batch.to_string()).await, 422, "validation_failed").await;
    let errors = body["errors"].as_array().unwrap();
    let find = |index: u64| errors.iter().find(|e| e["index"] == index).unwrap_or_else(|| panic!("{body}"));
    assert_eq!(find(1)["field"], "channel");
    assert_eq!(find(1)["code"], "unknown_channel");
    assert_eq!(find(2)["field"], "author.id");
    assert_eq!(find(3)["field"], "mood");
    assert_eq!(find(3)["code"], "unknown_field");
    assert!(errors.iter().all(|e| e["index"] != 0));
    assert_eq!(app.stored().await, 0, "nothing of a refused batch is stored");
}

#[tokio::test]
async fn wrong_types_long_text_and_bad_times_are_named() {
    let app = spawn_app().await;
    let mut wrong_type = message("a", "x");
    wrong_type["text"] = json!(42);
    let long = message("b", &"x".repeat(64 * 1024 + 1));
    let mut bad_time = message("c", "x");
    bad_time["created_at"] = json!("yesterday");
    let body =
        problem(app.post_messages(json!([wrong_type, long, bad_time]).to_string()).await, 422, "validation_failed")
            .await;
    let errors = body["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 3, "{body}");
    assert_eq!(errors[0]["field"], "text");
    assert_eq!(errors[1]["code"], "text_too_long");
    assert_eq!(errors[2]["field"], "created_at");
    assert_eq!(app.stored().await, 0);
}

#[tokio::test]
async fn malformed_bodies_get_problems_and_the_server_keeps_serving() {
    let app = spawn_app().await;
    problem(app.post_messages("[{\"channel\": ").await, 400, "invalid_json").await;
    problem(app.post_messages(vec![b'[', b'"', 0xff, 0xfe, b'"', b']']).await, 400, "invalid_utf8").await;
    problem(app.post_messages("{\"not\": \"an array\"}").await, 422, "validation_failed").await;

    let resp = app
        .client
        .post(format!("{}/api/v1/messages", app.url))
        .header("content-type", "text/plain")
        .body("[]")
        .send()
        .await
        .unwrap();
    problem(resp, 415, "unsupported_media_type").await;

    let too_big = format!("[\"{}\"]", "x".repeat(10 * 1024 * 1024));
    problem(app.post_messages(too_big).await, 413, "body_too_large").await;

    let many: Vec<Value> = (0..10_001).map(|i| message(&i.to_string(), "x")).collect();
    problem(app.post_messages(serde_json::to_vec(&many).unwrap()).await, 413, "too_many_items").await;

    assert_eq!(app.stored().await, 0);
    let ok = app.post_messages(json!([message("1", "still here")]).to_string()).await;
    assert_eq!(ok.status(), 200);
}

#[tokio::test]
async fn ten_thousand_items_are_accepted() {
    let app = spawn_app().await;
    let many: Vec<Value> = (0..10_000).map(|i| message(&i.to_string(), "a tweet-sized text about a flight")).collect();
    let resp = app.post_messages(serde_json::to_vec(&many).unwrap()).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(app.stored().await, 10_000);
}

#[tokio::test]
async fn configured_bearer_tokens_may_send_messages_in() {
    let mut config = configured();
    config.api_tokens = vec![TOKEN.into()];
    let app = spawn_with(config).await;
    let url = format!("{}/api/v1/messages", app.url);
    let body = json!([message("1", "x")]).to_string();

    let anon = &app.anonymous;
    problem(anon.post(&url).body(body.clone()).send().await.unwrap(), 401, "unauthorized").await;
    let wrong = anon.post(&url).bearer_auth("not-the-token-at-all").body(body.clone()).send().await.unwrap();
    problem(wrong, 401, "unauthorized").await;
    let search = anon.get(format!("{}/api/v1/search?q=x", app.url)).send().await.unwrap();
    problem(search, 401, "unauthorized").await;
    assert_eq!(app.stored().await, 0);

    let right = anon.post(&url).bearer_auth(TOKEN).body(body).send().await.unwrap();
    assert_eq!(right.status(), 200);
    // A configured token may send messages in, but not manage accounts.
    let staff = anon.get(format!("{}/api/v1/staff", app.url)).bearer_auth(TOKEN).send().await.unwrap();
    problem(staff, 403, "forbidden").await;
    let doc = anon.get(format!("{}/api/v1/openapi.json", app.url)).send().await.unwrap();
    assert_eq!(doc.status(), 200, "the API description is public");
    assert_eq!(anon.get(format!("{}/healthz", app.url)).send().await.unwrap().status(), 200);
}
