//! The platforms' webhooks. Every expected signature here was computed
//! outside our code, with Python's hmac module:
//!   python3 -c 'import hmac,hashlib,base64; print(base64.b64encode(hmac.new(SECRET, BODY, hashlib.sha256).digest()).decode())'
//!   python3 -c 'import hmac,hashlib; print(hmac.new(SECRET, BODY, hashlib.sha256).hexdigest())'

use serde_json::Value;

use crate::helpers::{META_VERIFY, problem, spawn_app, spawn_with};

const X_BODY: &str = r#"{"for_user_id":"2244994945","tweet_create_events":[{"created_at":"Wed Oct 10 20:19:24 +0000 2018","id_str":"1050118621198921728","text":"@TwitterDev my order 1234 never arrived","user":{"id_str":"6253282","name":"Ann Example","screen_name":"ann_example","followers_count":42},"in_reply_to_status_id_str":null,"favorite_count":0,"retweet_count":0,"reply_count":0,"lang":"en"}]}"#;
const X_BODY_SIGNATURE: &str = "sha256=tqGWUCSWHpF6Tsc9sn1eCti0K1d9ytRKOGPzxaOdfEU=";
const X_CRC_TOKEN: &str = "challenge-abc123";
const X_CRC_ANSWER: &str = "sha256=ru62AVyTirwxcmByGkflby9mKdDK9f7lIf2i1pINGq8=";

const META_BODY: &str = r#"{"object":"page","entry":[{"id":"1122334455","time":1732100000,"changes":[{"field":"feed","value":{"from":{"id":"7001","name":"Helen Carter"},"item":"comment","comment_id":"1122334455_9988","post_id":"1122334455_777","verb":"add","created_time":1732100000,"message":"Still no broadband in SW1A"}}]}]}"#;
const META_SIGNATURE: &str = "sha256=375011df530091282a11b892990da9d2ec0f58a9c29fa2921dafe4dce85a3f47";

async fn post(
    app: &crate::helpers::TestApp,
    path: &str,
    header: Option<(&str, &str)>,
    body: Vec<u8>,
) -> reqwest::Response {
    let mut req = app.client.post(format!("{}{path}", app.url)).header("content-type", "application/json").body(body);
    if let Some((k, v)) = header {
        req = req.header(k, v);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn x_crc_answer_matches_an_independent_computation() {
    let app = spawn_app().await;
    let body: Value = app.get(&format!("/webhooks/x?crc_token={X_CRC_TOKEN}")).await.json().await.unwrap();
    assert_eq!(body["response_token"], X_CRC_ANSWER);
    problem(app.get("/webhooks/x").await, 400, "invalid_parameter").await;
}

#[tokio::test]
async fn x_events_with_a_good_signature_are_stored_once() {
    let app = spawn_app().await;
    let h = ("x-twitter-webhooks-signature", X_BODY_SIGNATURE);
    let resp = post(&app, "/webhooks/x", Some(h), X_BODY.into()).await;
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    let again: Value = post(&app, "/webhooks/x", Some(h), X_BODY.into()).await.json().await.unwrap();
    assert_eq!(again["items"][0]["duplicate"], true);
    assert_eq!(app.stored().await, 1);
    let list: Value = app.get("/api/v1/messages").await.json().await.unwrap();
    assert_eq!(list["items"][0]["external_id"], "1050118621198921728");
    assert_eq!(list["items"][0]["author"]["handle"], "ann_example");
}

#[tokio::test]
async fn x_events_with_bad_signatures_are_refused_and_store_nothing() {
    let app = spawn_app().await;
    let mut flipped = X_BODY.as_bytes().to_vec();
    flipped[40] ^= 0x01;
    let h = "x-twitter-webhooks-signature";
    problem(post(&app, "/webhooks/x", Some((h, X_BODY_SIGNATURE)), flipped).await, 401, "signature_invalid").await;
    let wrong_prefix = X_BODY_SIGNATURE.replace("sha256=", "sha1=");
    problem(post(&app, "/webhooks/x", Some((h, &wrong_prefix)), X_BODY.into()).await, 401, "signature_invalid").await;
    problem(post(&app, "/webhooks/x", None, X_BODY.into()).await, 401, "signature_missing").await;
    assert_eq!(app.stored().await, 0);
}

#[tokio::test]
async fn webhooks_without_a_secret_are_refused() {
    let app = spawn_with(firebreak_web::WebConfig::default()).await;
    let h = ("x-twitter-webhooks-signature", X_BODY_SIGNATURE);
    problem(post(&app, "/webhooks/x", Some(h), X_BODY.into()).await, 403, "webhook_not_configured").await;
    problem(app.get(&format!("/webhooks/x?crc_token={X_CRC_TOKEN}")).await, 403, "webhook_not_configured").await;
    let mh = ("x-hub-signature-256", META_SIGNATURE);
    problem(post(&app, "/webhooks/meta", Some(mh), META_BODY.into()).await, 403, "webhook_not_configured").await;
    let verify = app.get("/webhooks/meta?hub.mode=subscribe&hub.verify_token=x&hub.challenge=1").await;
    problem(verify, 403, "webhook_not_configured").await;
    assert_eq!(app.stored().await, 0);
}

#[tokio::test]
async fn meta_handshake_and_signed_events() {
    let app = spawn_app().await;
    let ok = app
        .get(&format!("/webhooks/meta?hub.mode=subscribe&hub.verify_token={META_VERIFY}&hub.challenge=1158201444"))
        .await;
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.text().await.unwrap(), "1158201444");
    let bad = app.get("/webhooks/meta?hub.mode=subscribe&hub.verify_token=guess&hub.challenge=1158201444").await;
    problem(bad, 403, "verify_token_mismatch").await;

    let h = "x-hub-signature-256";
    let mut flipped = META_BODY.as_bytes().to_vec();
    flipped[30] ^= 0x01;
    problem(post(&app, "/webhooks/meta", Some((h, META_SIGNATURE)), flipped).await, 401, "signature_invalid").await;
    let wrong_prefix = META_SIGNATURE.replace("sha256=", "md5=");
    problem(post(&app, "/webhooks/meta", Some((h, &wrong_prefix)), META_BODY.into()).await, 401, "signature_invalid")
        .await;
    problem(post(&app, "/webhooks/meta", None, META_BODY.into()).await, 401, "signature_missing").await;
    assert_eq!(app.stored().await, 0);

    let resp = post(&app, "/webhooks/meta", Some((h, META_SIGNATURE)), META_BODY.into()).await;
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    let list: Value = app.get("/api/v1/messages?channel=facebook").await.json().await.unwrap();
    assert_eq!(list["items"][0]["text"], "Still no broadband in SW1A");
    assert_eq!(list["items"][0]["thread_id"], "1122334455_777");
}

#[tokio::test]
async fn inbound_email_keeps_threading_headers() {
    let app = spawn_app().await;
    let raw = "From: James Morgan <J.Morgan@example.com>\r\nTo: care@northwind.example\r\nSubject: Engineer did not come\r\nMessage-ID: <abc-2@mail.example.com>\r\nIn-Reply-To: <abc-1@northwind.example>\r\nReferences: <abc-0@mail.example.com> <abc-1@northwind.example>\r\nDate: Wed, 18 Nov 2026 17:02:00 +0000\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nNobody came for booking BK-448120.\r\n";
    let resp = app.client.post(format!("{}/api/v1/inbound/email", app.url)).body(raw).send().await.unwrap();
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    let list: Value = app.get("/api/v1/messages?channel=email").await.json().await.unwrap();
    let m = &list["items"][0];
    assert_eq!(m["author"]["id"], "j.morgan@example.com");
    assert!(m["external_id"].as_str().unwrap().contains("abc-2@mail.example.com"));
    assert!(m["in_reply_to"].as_str().unwrap().contains("abc-1@northwind.example"));
    assert!(m["thread_id"].as_str().unwrap().contains("abc-0@mail.example.com"));
    assert!(m["text"].as_str().unwrap().contains("BK-448120"));

    let junk = app.client.post(format!("{}/api/v1/inbound/email", app.url)).body("").send().await.unwrap();
    problem(junk, 422, "invalid_email").await;
}
