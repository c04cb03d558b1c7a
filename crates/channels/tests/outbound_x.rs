//! The X transport against a fake X API on loopback: the exact requests
//! (method, path, headers, JSON), bearer and OAuth 1.0a authentication (the
//! signature re-computed here from RFC 5849, independently of the crate), the
//! parsed answers, and the classification of 429, 5xx and 4xx answers.

use std::{
    collections::{BTreeMap, VecDeque},
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{
    Router,
    body::Bytes,
    extract::State,
    http::{HeaderMap, Method, StatusCode, Uri},
    response::{IntoResponse, Response},
};
use base64::Engine;
use firebreak_channels::outbound::{OutboundConfig, OutboundReply, Retry, Secret, Transports, Visibility, XConfig};
use firebreak_domain::{Channel, ExternalId, PlatformUserId};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};

/// One request the fake server saw.
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

/// A scripted answer: status, headers, body.
type Answer = (u16, Vec<(&'static str, String)>, String);

#[derive(Clone, Default)]
struct Script {
    seen: Arc<Mutex<Vec<Seen>>>,
    answers: Arc<Mutex<VecDeque<Answer>>>,
    delay: Option<Duration>,
}

async fn record(State(s): State<Script>, method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    s.seen.lock().unwrap().push(Seen {
        method,
        path: uri.path().to_owned(),
        query: uri.query().map(str::to_owned),
        headers,
        body: body.to_vec(),
    });
    if let Some(d) = s.delay {
        tokio::time::sleep(d).await;
    }
    let (status, headers, body) = s.answers.lock().unwrap().pop_front().expect("an answer is scripted");
    let mut response = (StatusCode::from_u16(status).unwrap(), body).into_response();
    for (k, v) in headers {
        response.headers_mut().insert(k, v.parse().unwrap());
    }
    response
}

/// Starts a fake API on 127.0.0.1; returns its base URL and the script.
async fn fake(answers: Vec<Answer>, delay: Option<Duration>) -> (String, Script) {
    let script = Script { delay, ..Script::default() };
    script.answers.lock().unwrap().extend(answers);
    let app = Router::new().fallback(record).with_state(script.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), script)
}

fn json_answer(status: u16, body: Value) -> Answer {
    (status, vec![("content-type", "application/json".into())], body.to_string())
}

fn bearer_config(base: &str) -> XConfig {
    XConfig { base_url: base.into(), bearer_token: Some(Secret::new("user-token-123")), ..XConfig::default() }
}

const CONSUMER_SECRET: &str = "consumer-secret/with+odd=chars";
const TOKEN_SECRET: &str = "token secret!";

fn oauth1_config(base: &str) -> XConfig {
    XConfig {
        base_url: base.into(),
        consumer_key: Some(Secret::new("ck-abc")),
        consumer_secret: Some(Secret::new(CONSUMER_SECRET)),
        access_token: Some(Secret::new("12-tok")),
        access_token_secret: Some(Secret::new(TOKEN_SECRET)),
        timeout_secs: 5,
        ..XConfig::default()
    }
}

fn transports(x: XConfig) -> Transports {
    Transports::new(&OutboundConfig { x: Some(x), ..OutboundConfig::default() }).unwrap()
}

fn public_reply(text: &str) -> OutboundReply {
    OutboundReply {
        channel: Channel::X,
        visibility: Visibility::Public,
        text: text.into(),
        in_reply_to: Some(ExternalId::parse("1846987139428634858").unwrap()),
        recipient: None,
        email: None,
        idempotency_key: "reply-1".into(),
    }
}

fn direct_message(text: &str) -> OutboundReply {
    OutboundReply {
        visibility: Visibility::Private,
        in_reply_to: None,
        recipient: Some(PlatformUserId::parse("9876543210").unwrap()),
        ..public_reply(text)
    }
}

// OAuth 1.0a, re-implemented from RFC 5849 section 3.4 for verification.

fn rfc3986(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// The parameters of an `Authorization: OAuth k="v", ...` header, decoded.
fn oauth_params(header: &str) -> BTreeMap<String, String> {
    let rest = header.strip_prefix("OAuth ").expect("an OAuth header");
    rest.split(", ")
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap();
            let v = v.strip_prefix('"').and_then(|v| v.strip_suffix('"')).expect("a quoted value");
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

/// The expected signature for these parameters (everything but
/// `oauth_signature`, plus query and form parameters).
fn expected_signature(method: &str, base_uri: &str, params: &[(String, String)], secrets: (&str, &str)) -> String {
    let mut pairs: Vec<String> = params.iter().map(|(k, v)| format!("{}={}", rfc3986(k), rfc3986(v))).collect();
    pairs.sort();
    let base = format!("{method}&{}&{}", rfc3986(base_uri), rfc3986(&pairs.join("&")));
    let key = format!("{}&{}", rfc3986(secrets.0), rfc3986(secrets.1));
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(key.as_bytes()).unwrap();
    mac.update(base.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

#[test]
fn the_verifier_itself_reproduces_the_documented_example() {
    let params: Vec<(String, String)> = [
        ("include_entities", "true"),
        ("status", "Hello Ladies + Gentlemen, a signed OAuth request!"),
        ("oauth_consumer_key", "xvz1evFS4wEEPTGEFPHBog"),
        ("oauth_nonce", "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg"),
        ("oauth_signature_method", "HMAC-SHA1"),
        ("oauth_timestamp", "1318622958"),
        ("oauth_token", "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb"),
        ("oauth_version", "1.0"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let secrets = ("kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw", "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE");
    let sig = expected_signature("POST", "https://api.twitter.com/1.1/statuses/update.json", &params, secrets);
    assert_eq!(sig, "hCtSmYh+iHYCEqBWrE7C7hYmtUk=");
}

/// Checks a request's OAuth 1.0a header against the configured credentials.
fn verify_oauth1(seen: &Seen, base: &str) -> BTreeMap<String, String> {
    let params = oauth_params(seen.header("authorization"));
    assert_eq!(params["oauth_consumer_key"], "ck-abc");
    assert_eq!(params["oauth_token"], "12-tok");
    assert_eq!(params["oauth_signature_method"], "HMAC-SHA1");
    assert_eq!(params["oauth_version"], "1.0");
    assert!(params["oauth_nonce"].len() >= 32);
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let ts: u64 = params["oauth_timestamp"].parse().unwrap();
    assert!(now.abs_diff(ts) < 300, "the timestamp is now");
    let signed: Vec<(String, String)> =
        params.iter().filter(|(k, _)| *k != "oauth_signature").map(|(k, v)| (k.clone(), v.clone())).collect();
    assert_eq!(signed.len(), 6, "exactly the six protocol parameters are sent: {params:?}");
    let uri = format!("{base}{}", seen.path);
    let expected = expected_signature(seen.method.as_str(), &uri, &signed, (CONSUMER_SECRET, TOKEN_SECRET));
    assert_eq!(params["oauth_signature"], expected, "the signature verifies (the JSON body is not signed)");
    params
}

#[tokio::test]
async fn a_public_reply_with_a_bearer_token() {
    let answer = json_answer(201, json!({"data": {"id": "1847000000000000001", "text": "Sorry — fixed now!"}}));
    let (base, script) = fake(vec![answer], None).await;
    let t = transports(bearer_config(&base));
    t.can_send(Channel::X, Visibility::Public).unwrap();

    let delivered = t.send(&public_reply("Sorry — fixed now!")).await.unwrap();
    assert_eq!(delivered.external_id.as_str(), "1847000000000000001");

    let seen = script.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    let r = &seen[0];
    assert_eq!(r.method, Method::POST);
    assert_eq!(r.path, "/2/tweets");
    assert_eq!(r.query, None);
    assert_eq!(r.header("content-type"), "application/json");
    assert_eq!(r.header("authorization"), "Bearer user-token-123");
    assert_eq!(
        r.json(),
        json!({"text": "Sorry — fixed now!", "reply": {"in_reply_to_tweet_id": "1846987139428634858"}})
    );
}

#[tokio::test]
async fn a_direct_message_signed_with_oauth1() {
    let dm = |id: &str| json_answer(201, json!({"data": {"dm_conversation_id": "1-9876543210", "dm_event_id": id}}));
    let (base, script) = fake(vec![dm("1582838223935119364"), dm("1582838223935119365")], None).await;
    let t = transports(oauth1_config(&base));

    let first = t.send(&direct_message("Could you send your booking code? 🙏")).await.unwrap();
    assert_eq!(first.external_id.as_str(), "1582838223935119364");
    let second = t.send(&public_reply("We are on it.")).await;
    // The second answer is a DM shape, so the public reply finds no `data.id`.
    assert_eq!(second.unwrap_err().code(), "unexpected_response");

    let seen = script.seen.lock().unwrap().clone();
    assert_eq!(seen[0].path, "/2/dm_conversations/with/9876543210/messages");
    assert_eq!(seen[0].header("content-type"), "application/json");
    assert_eq!(seen[0].json(), json!({"text": "Could you send your booking code? 🙏"}));
    let a = verify_oauth1(&seen[0], &base);
    assert_eq!(seen[1].path, "/2/tweets");
    let b = verify_oauth1(&seen[1], &base);
    assert_ne!(a["oauth_nonce"], b["oauth_nonce"], "every request has its own nonce");
}

#[tokio::test]
async fn error_answers_are_classified() {
    let answers = vec![
        (429, vec![("retry-after", "7".to_owned())], r#"{"title":"Too Many Requests","status":429}"#.to_owned()),
        json_answer(503, json!({"title": "Service Unavailable", "status": 503})),
        json_answer(400, json!({"errors": [{"message": "The `text` field is invalid"}], "title": "Invalid Request"})),
        json_answer(
            403,
            json!({"detail": "You are not allowed to create a Tweet with duplicate content.", "status": 403}),
        ),
        json_answer(401, json!({"title": "Unauthorized", "status": 401})),
    ];
    let (base, _script) = fake(answers, None).await;
    let t = transports(bearer_config(&base));
    let reply = public_reply("Hello");

    let limited = t.send(&reply).await.unwrap_err();
    assert_eq!((limited.code(), limited.retry()), ("rate_limited", Retry::Transient));
    assert_eq!(limited.retry_after(), Some(Duration::from_secs(7)));

    let down = t.send(&reply).await.unwrap_err();
    assert_eq!((down.code(), down.retry()), ("platform_unavailable", Retry::Transient));

    let bad = t.send(&reply).await.unwrap_err();
    assert_eq!((bad.code(), bad.retry()), ("platform_rejected", Retry::Permanent));
    assert_eq!(bad.to_string(), "X refused the reply (400): Invalid Request");

    let dup = t.send(&reply).await.unwrap_err();
    assert_eq!((dup.code(), dup.retry()), ("duplicate_content", Retry::Permanent));

    let unauthorized = t.send(&reply).await.unwrap_err();
    assert_eq!(unauthorized.code(), "platform_unauthorized");
    assert!(!unauthorized.to_string().contains("user-token-123"));
}

#[tokio::test]
async fn nothing_is_sent_without_credentials_or_with_a_bad_reply() {
    let (base, script) = fake(vec![], None).await;
    let t = transports(XConfig { base_url: base.clone(), ..XConfig::default() });
    let missing = t.can_send(Channel::X, Visibility::Private).unwrap_err();
    assert_eq!(missing.code(), "credential_missing");
    assert_eq!(t.send(&direct_message("hi")).await.unwrap_err().code(), "credential_missing");

    let t = transports(bearer_config(&base));
    let no_parent = OutboundReply { in_reply_to: None, ..public_reply("hi") };
    assert_eq!(t.send(&no_parent).await.unwrap_err().code(), "missing_in_reply_to");
    let sneaky =
        OutboundReply { recipient: Some(PlatformUserId::parse("../../2/tweets").unwrap()), ..direct_message("hi") };
    assert_eq!(t.send(&sneaky).await.unwrap_err().code(), "invalid_id");
    let long = public_reply(&"a".repeat(281));
    assert_eq!(t.send(&long).await.unwrap_err().code(), "reply_too_long");
    assert!(script.seen.lock().unwrap().is_empty(), "no request reached the server");
}

#[tokio::test]
async fn network_failures_and_timeouts_are_transient() {
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let t = transports(bearer_config(&format!("http://{closed}")));
    let e = t.send(&public_reply("hi")).await.unwrap_err();
    assert_eq!((e.code(), e.retry()), ("network_error", Retry::Transient));
    assert!(!e.to_string().contains("user-token-123"));

    let (base, _script) = fake(vec![json_answer(201, json!({}))], Some(Duration::from_secs(5))).await;
    let t = transports(XConfig { timeout_secs: 1, ..bearer_config(&base) });
    let e = t.send(&public_reply("hi")).await.unwrap_err();
    assert_eq!((e.code(), e.retry()), ("timeout", Retry::Transient));
}
