//! Outgoing webhooks against a small HTTP server on loopback: events arrive
//! signed, in order, at least once; a failure is retried.

use std::{
    io::{BufRead, BufReader, Read, Write},
    net::TcpListener,
    sync::{Arc, Mutex},
    time::Duration,
};

use firebreak_domain::{
    Author, Channel, Direction, ExternalId, MessageText, NewMessage, PlatformUserId, SystemClock, Timestamp,
};
use firebreak_engine::{Engine, WebhookTarget};
use firebreak_store::{SqliteOptions, SqliteStore, Store};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// A received request: headers (lower-cased names) and body.
type Received = (Vec<(String, String)>, Vec<u8>);

/// Answers 500 to the first request and 200 after, recording every request.
fn endpoint() -> (String, Arc<Mutex<Vec<Received>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hooks", listener.local_addr().unwrap());
    let seen: Arc<Mutex<Vec<Received>>> = Arc::default();
    let log = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let mut stream = stream.unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            let mut headers = Vec::new();
            let mut length = 0;
            loop {
                let mut h = String::new();
                reader.read_line(&mut h).unwrap();
                let h = h.trim_end();
                if h.is_empty() {
                    break;
                }
                let (k, v) = h.split_once(':').unwrap();
                let (k, v) = (k.trim().to_lowercase(), v.trim().to_owned());
                if k == "content-length" {
                    length = v.parse().unwrap();
                }
                headers.push((k, v));
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            let first = {
                let mut l = log.lock().unwrap();
                l.push((headers, body));
                l.len() == 1
            };
            let status = if first { "500 Internal Server Error" } else { "200 OK" };
            write!(stream, "HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").unwrap();
        }
    });
    (url, seen)
}

fn message(id: &str) -> NewMessage {
    NewMessage {
        channel: Channel::X,
        external_id: ExternalId::parse(id).unwrap(),
        direction: Direction::In,
        author: Author::new(PlatformUserId::parse(format!("user-{id}")).unwrap()),
        text: MessageText::parse("my broadband is down").unwrap(),
        language: None,
        created_at: Timestamp::now(),
        in_reply_to: None,
        thread_id: None,
        metrics: None,
        raw: None,
        triage: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_are_delivered_signed_in_order_and_retried() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(dir.path(), SqliteOptions::default()).unwrap());
    let engine = Arc::new(Engine::new(store.clone(), Arc::new(SystemClock)));
    let (url, seen) = endpoint();
    let (stop_tx, stop) = tokio::sync::watch::channel(false);
    let target = WebhookTarget {
        url: url.clone(),
        secret: "hook-secret".into(),
        events: vec!["case.created".into()],
        ..WebhookTarget::default()
    };
    let task = engine.spawn_webhook(target, stop);
    tokio::time::sleep(Duration::from_millis(200)).await;

    engine.ingest(vec![message("1"), message("2")]).await.unwrap();
    // Two case.created events; the first delivery fails, is retried after a second.
    for _ in 0..60 {
        if seen.lock().unwrap().len() >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = stop_tx.send(true);
    task.await.unwrap();

    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 3, "a failure, its retry, the second event");
    let ids: Vec<String> =
        seen.iter().map(|(h, _)| h.iter().find(|(k, _)| k == "x-firebreak-delivery").unwrap().1.clone()).collect();
    assert_eq!(ids[0], ids[1], "the failed event is sent again");
    assert!(ids[1].parse::<i64>().unwrap() < ids[2].parse::<i64>().unwrap(), "in order");
    for (headers, body) in seen.iter() {
        let event: serde_json::Value = serde_json::from_slice(body).unwrap();
        assert_eq!(event["kind"], "case.created", "only the kinds asked for");
        let mut mac = Hmac::<Sha256>::new_from_slice(b"hook-secret").unwrap();
        mac.update(body);
        let expected: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
        let sig = &headers.iter().find(|(k, _)| k == "x-firebreak-signature").unwrap().1;
        assert_eq!(sig, &format!("sha256={expected}"));
    }
    let cursor = store.webhook_cursor(url).await.unwrap().unwrap();
    assert!(cursor >= ids[2].parse::<i64>().unwrap(), "progress is stored");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_reach_a_chat_webhook_as_one_line_with_the_link() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(dir.path(), SqliteOptions::default()).unwrap());
    let engine = Arc::new(Engine::new(store.clone(), Arc::new(SystemClock)));
    let (url, seen) = endpoint();
    let (stop_tx, stop) = tokio::sync::watch::channel(false);
    let target = WebhookTarget {
        url: url.clone(),
        secret: "hook-secret".into(),
        events: vec!["alert.".into()],
        format: firebreak_engine::WebhookFormat::Slack,
        base_url: Some("https://care.example.com/".into()),
    };
    let task = engine.spawn_webhook(target, stop);
    tokio::time::sleep(Duration::from_millis(200)).await;
    // A case event (not asked for) and an alert.
    engine.ingest(vec![message("9")]).await.unwrap();
    let alert = store
        .record_alert(firebreak_store::NewAlert {
            kind: firebreak_store::AlertKind::Burst,
            at: Timestamp::now(),
            key: Some("area=SW1A".into()),
            message: None,
            case: None,
            customer: None,
            summary: "burst area=SW1A: 40 messages in the 1 hours".into(),
            evidence: serde_json::json!({}),
        })
        .await
        .unwrap();
    engine.notify_changed();
    for _ in 0..60 {
        if seen.lock().unwrap().len() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = stop_tx.send(true);
    task.await.unwrap();
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2, "a failure and its retry, the alert only");
    let body: serde_json::Value = serde_json::from_slice(&seen[1].1).unwrap();
    assert_eq!(
        body,
        serde_json::json!({ "text": format!(
            ":rotating_light: burst area=SW1A: 40 messages in the 1 hours <https://care.example.com/alerts/{}|evidence>",
            alert.id
        ) })
    );
}

/// Records what it is asked to send.
#[derive(Default)]
struct Recorder(Mutex<Vec<firebreak_channels::outbound::OutboundReply>>);

#[async_trait::async_trait]
impl firebreak_channels::outbound::ReplyTransport for Recorder {
    fn can_send(
        &self,
        _: Channel,
        _: firebreak_channels::outbound::Visibility,
    ) -> Result<(), firebreak_channels::outbound::SendError> {
        Ok(())
    }

    async fn send(
        &self,
        reply: &firebreak_channels::outbound::OutboundReply,
    ) -> Result<firebreak_channels::outbound::Delivered, firebreak_channels::outbound::SendError> {
        self.0.lock().unwrap().push(reply.clone());
        Ok(firebreak_channels::outbound::Delivered { external_id: ExternalId::parse("sent").unwrap() })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_are_mailed_once_to_each_address_with_the_link() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(dir.path(), SqliteOptions::default()).unwrap());
    let recorder = Arc::new(Recorder::default());
    let engine = Arc::new(Engine::new(store.clone(), Arc::new(SystemClock)).with_transport(recorder.clone()));
    let (stop_tx, stop) = tokio::sync::watch::channel(false);
    let to = vec![
        firebreak_domain::Email::parse("oncall@example.com").unwrap(),
        firebreak_domain::Email::parse("lead@example.com").unwrap(),
    ];
    let mail = firebreak_engine::AlertMail { to, base_url: Some("https://care.example.com".into()) };
    let task = engine.spawn_alert_mail(mail, stop);
    tokio::time::sleep(Duration::from_millis(200)).await;
    engine.ingest(vec![message("7")]).await.unwrap();
    let alert = store
        .record_alert(firebreak_store::NewAlert {
            kind: firebreak_store::AlertKind::Spark,
            at: Timestamp::now(),
            key: None,
            message: None,
            case: None,
            customer: None,
            summary: "spark: message 7 by ann (momentum 0.61)".into(),
            evidence: serde_json::json!({}),
        })
        .await
        .unwrap();
    engine.notify_changed();
    for _ in 0..50 {
        if recorder.0.lock().unwrap().len() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let _ = stop_tx.send(true);
    task.await.unwrap();
    let sent = recorder.0.lock().unwrap().clone();
    assert_eq!(sent.len(), 2, "one email per address, none for the case event: {sent:?}");
    let email = sent[0].email.as_ref().unwrap();
    assert_eq!(email.to.as_str(), "oncall@example.com");
    assert!(email.new_thread);
    assert_eq!(email.subject, "[Firebreak alert] spark: message 7 by ann (momentum 0.61)");
    assert!(sent[0].text.contains(&format!("https://care.example.com/alerts/{}", alert.id)), "{}", sent[0].text);
    assert_eq!(sent[1].email.as_ref().unwrap().to.as_str(), "lead@example.com");
}
