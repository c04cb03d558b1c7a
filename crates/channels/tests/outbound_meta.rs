//! The Graph API transport against a fake Graph API on loopback: comment
//! replies, Messenger messages to a PSID and private replies to a comment,
//! each checked to the byte (path, version, bearer token, `appsecret_proof`
//! re-computed here, JSON body), and Graph error bodies classified.

use std::{
    collections::VecDeque,
    sync::{Arc, Mutex},
};

use axum::{
    Router,
    body::Bytes,
    extract::State,
    http::{HeaderMap, Method, StatusCode, Uri},
    response::{IntoResponse, Response},
};
use firebreak_channels::outbound::{MetaConfig, OutboundConfig, OutboundReply, Retry, Secret, Transports, Visibility};
use firebreak_domain::{Channel, ExternalId, PlatformUserId};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};

#[derive(Debug, Clone)]
struct Seen {
    method: Method,
    path: String,
    query: Option<String>,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Seen {
    fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("the body is JSON")
    }
}

#[derive(Clone, Default)]
struct Script {
    seen: Arc<Mutex<Vec<Seen>>>,
    answers: Arc<Mutex<VecDeque<(u16, String)>>>,
}

async fn record(State(s): State<Script>, method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    s.seen.lock().unwrap().push(Seen {
        method,
        path: uri.path().to_owned(),
        query: uri.query().map(str::to_owned),
        headers,
        body: body.to_vec(),
    });
    let (status, body) = s.answers.lock().unwrap().pop_front().expect("an answer is scripted");
    let mut response = (StatusCode::from_u16(status).unwrap(), body).into_response();
    response.headers_mut().insert("content-type", "application/json; charset=UTF-8".parse().unwrap());
    response
}

async fn fake(answers: Vec<(u16, Value)>) -> (String, Script) {
    let script = Script::default();
    script.answers.lock().unwrap().extend(answers.into_iter().map(|(s, v)| (s, v.to_string())));
    let app = Router::new().fallback(record).with_state(script.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), script)
}

const TOKEN: &str = "EAAGpage-token";
const APP_SECRET: &str = "app-secret-42";

fn transports(base: &str, app_secret: Option<&str>) -> Transports {
    let meta = MetaConfig {
        base_url: base.into(),
        api_version: "v21.0".into(),
        page_access_token: Some(Secret::new(TOKEN)),
        app_secret: app_secret.map(Secret::new),
        timeout_secs: 5,
    };
    Transports::new(&OutboundConfig { meta: Some(meta), ..OutboundConfig::default() }).unwrap()
}

fn reply(visibility: Visibility, text: &str) -> OutboundReply {
    OutboundReply {
        channel: Channel::Facebook,
        visibility,
        text: text.into(),
        in_reply_to: Some(ExternalId::parse("1234567890_987654321").unwrap()),
        recipient: None,
        email: None,
        idempotency_key: "r-1".into(),
    }
}

fn graph_error(code: i64, message: &str) -> Value {
    json!({"error": {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "A1b2C3"}})
}

#[tokio::test]
async fn a_comment_reply_with_appsecret_proof() {
    let (base, script) = fake(vec![(200, json!({"id": "1234567890_111222333"}))]).await;
    let t = transports(&base, Some(APP_SECRET));
    t.can_send(Channel::Facebook, Visibility::Public).unwrap();

    let delivered = t.send(&reply(Visibility::Public, "Thanks, Ana — we've refunded you.")).await.unwrap();
    assert_eq!(delivered.external_id.as_str(), "1234567890_111222333");

    let seen = script.seen.lock().unwrap().clone();
    let r = &seen[0];
    assert_eq!(r.method, Method::POST);
    assert_eq!(r.path, "/v21.0/1234567890_987654321/comments");
    assert_eq!(r.header("authorization"), format!("Bearer {TOKEN}"));
    assert_eq!(r.header("content-type"), "application/json");
    assert_eq!(r.json(), json!({"message": "Thanks, Ana — we've refunded you."}));
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(APP_SECRET.as_bytes()).unwrap();
    mac.update(TOKEN.as_bytes());
    let proof = hex::encode(mac.finalize().into_bytes());
    assert_eq!(r.query.as_deref(), Some(format!("appsecret_proof={proof}").as_str()));
    assert!(!r.query.as_deref().unwrap_or("").contains(TOKEN), "the token never travels in the URL");
}

#[tokio::test]
async fn messenger_to_a_psid_and_a_private_reply_to_a_comment() {
    let answers = vec![
        (
            200,
            json!({"recipient_id": "6543210987654321", "message_id": "m_AG5Hz2Uq7tuwNEhXfYYKj8mJEM_QPpz5jdCK48PnKAjSdjfipqxqMvK8ma6AC8fplwlqLP_5cgXIbu7I3rBN0P"}),
        ),
        (200, json!({"recipient_id": "7777", "message_id": "m_private_reply"})),
    ];
    let (base, script) = fake(answers).await;
    let t = transports(&base, None);

    let to_psid = OutboundReply {
        recipient: Some(PlatformUserId::parse("6543210987654321").unwrap()),
        ..reply(Visibility::Private, "Your order ships tomorrow.")
    };
    let d = t.send(&to_psid).await.unwrap();
    assert!(d.external_id.as_str().starts_with("m_AG5Hz2"));
    let d = t.send(&reply(Visibility::Private, "Let's take this to DM.")).await.unwrap();
    assert_eq!(d.external_id.as_str(), "m_private_reply");

    let seen = script.seen.lock().unwrap().clone();
    assert_eq!(seen[0].path, "/v21.0/me/messages");
    assert_eq!(seen[0].query, None, "no app secret, no proof");
    assert_eq!(seen[0].header("authorization"), format!("Bearer {TOKEN}"));
    assert_eq!(
        seen[0].json(),
        json!({"recipient": {"id": "6543210987654321"}, "messaging_type": "RESPONSE", "message": {"text": "Your order ships tomorrow."}})
    );
    assert_eq!(seen[1].path, "/v21.0/me/messages");
    assert_eq!(
        seen[1].json(),
        json!({"recipient": {"comment_id": "1234567890_987654321"}, "message": {"text": "Let's take this to DM."}})
    );
}

#[tokio::test]
async fn graph_errors_are_classified() {
    let answers = vec![
        (400, graph_error(613, "Calls to this api have exceeded the rate limit.")),
        (500, graph_error(2, "An unexpected error has occurred. Please retry your request later.")),
        (400, graph_error(100, "Invalid parameter")),
        (400, graph_error(190, "Error validating access token: Session has expired.")),
        (200, json!("not an object")),
    ];
    let (base, _script) = fake(answers).await;
    let t = transports(&base, Some(APP_SECRET));
    let r = reply(Visibility::Public, "hello");

    let e = t.send(&r).await.unwrap_err();
    assert_eq!((e.code(), e.retry()), ("rate_limited", Retry::Transient));
    let e = t.send(&r).await.unwrap_err();
    assert_eq!((e.code(), e.retry()), ("platform_unavailable", Retry::Transient));
    let e = t.send(&r).await.unwrap_err();
    assert_eq!((e.code(), e.retry()), ("platform_rejected", Retry::Permanent));
    assert_eq!(e.to_string(), "the Graph API refused the reply (400): Invalid parameter (code 100, fbtrace_id A1b2C3)");
    let e = t.send(&r).await.unwrap_err();
    assert_eq!((e.code(), e.retry()), ("platform_unauthorized", Retry::Permanent));
    assert!(!e.to_string().contains(TOKEN) && !e.to_string().contains(APP_SECRET));
    let e = t.send(&r).await.unwrap_err();
    assert_eq!((e.code(), e.retry()), ("unexpected_response", Retry::Permanent));
}

#[tokio::test]
async fn refused_before_any_request() {
    let (base, script) = fake(vec![]).await;
    let t = transports(&base, None);
    let long = reply(Visibility::Private, &"x".repeat(2_001));
    let e = t.send(&long).await.unwrap_err();
    assert_eq!(e.code(), "reply_too_long");
    assert!(e.to_string().contains("2000"));
    let nowhere = OutboundReply { in_reply_to: None, ..reply(Visibility::Private, "hi") };
    assert_eq!(t.send(&nowhere).await.unwrap_err().code(), "missing_recipient");
    let instagram = OutboundReply { channel: Channel::Instagram, ..reply(Visibility::Public, "hi") };
    assert_eq!(t.send(&instagram).await.unwrap_err().code(), "channel_not_supported");
    assert!(script.seen.lock().unwrap().is_empty());

    let unconfigured =
        Transports::new(&OutboundConfig { meta: Some(MetaConfig::default()), ..OutboundConfig::default() }).unwrap();
    assert_eq!(unconfigured.can_send(Channel::Facebook, Visibility::Private).unwrap_err().code(), "credential_missing");
}
