//! The crash test: several senders post batches while the server is killed
//! with SIGKILL several times and restarted. Afterwards every acknowledged
//! message is present exactly once, every unacknowledged batch is either
//! wholly present or wholly absent, and SQLite's integrity check is `ok`.

use std::{
    collections::HashMap,
    io::{BufRead, BufReader},
    path::Path,
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex},
    time::Duration,
};

use firebreak_store::{MessageQuery, SqliteOptions, SqliteStore, Store};
use serde_json::json;

const SENDERS: usize = 4;
const BATCH: usize = 200;
const KILLS: usize = 5;

/// A connector's token from the configuration.
const TOKEN: &str = "crash-test-token-0123456789";

fn start(data: &Path) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_firebreak"))
        .args(["serve", "--listen", "127.0.0.1:0", "--api-token", TOKEN, "--data"])
        .arg(data)
        .env("FIREBREAK_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the firebreak binary starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let url = line.trim().strip_prefix("listening on ").unwrap_or_else(|| panic!("unexpected first line: {line}"));
    (child, url.to_owned())
}

fn batch(sender: usize, n: usize) -> String {
    let items: Vec<_> = (0..BATCH)
        .map(|i| {
            json!({
                "channel": "x",
                "external_id": format!("s{sender}-b{n}-i{i}"),
                "author": { "id": format!("author-{sender}-{i}"), "handle": format!("h{sender}_{i}") },
                "text": format!("message {i} of batch {n} from sender {sender}: my flight was delayed again"),
                "created_at": "2026-11-20T07:42:00Z"
            })
        })
        .collect();
    serde_json::to_string(&items).unwrap()
}

#[derive(Default)]
struct Ledger {
    acked: Vec<(usize, usize)>,
    unacked: Vec<(usize, usize)>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_messages_survive_sigkill_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, url) = start(dir.path());
    let url = Arc::new(Mutex::new(url));
    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));

    let mut senders = Vec::new();
    for s in 0..SENDERS {
        let (url, ledger, stop) = (url.clone(), ledger.clone(), stop.clone());
        senders.push(tokio::spawn(async move {
            let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
            let mut n = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let target = {
                    let base = url.lock().unwrap();
                    format!("{base}/api/v1/messages")
                };
                let result = client
                    .post(target)
                    .bearer_auth(TOKEN)
                    .header("content-type", "application/json")
                    .body(batch(s, n))
                    .send()
                    .await;
                let acked = match result {
                    Ok(resp) if resp.status() == 200 => resp.bytes().await.is_ok(),
                    _ => false,
                };
                {
                    let mut l = ledger.lock().unwrap();
                    if acked { l.acked.push((s, n)) } else { l.unacked.push((s, n)) }
                }
                if !acked {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                n += 1;
            }
        }));
    }

    for k in 0..KILLS {
        tokio::time::sleep(Duration::from_millis(300 + 150 * k as u64)).await;
        child.kill().expect("SIGKILL is delivered");
        child.wait().unwrap();
        let (c, u) = start(dir.path());
        child = c;
        *url.lock().unwrap() = u;
    }
    tokio::time::sleep(Duration::from_millis(400)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for s in senders {
        s.await.unwrap();
    }
    child.kill().unwrap();
    child.wait().unwrap();

    let store = SqliteStore::open(dir.path(), SqliteOptions::default()).unwrap();
    assert_eq!(store.integrity_check().await.unwrap(), "ok");
    let mut per_batch: HashMap<(usize, usize), usize> = HashMap::new();
    let mut seen = std::collections::HashSet::new();
    let mut q = MessageQuery { limit: 1000, ..Default::default() };
    loop {
        let page = store.messages(q.clone()).await.unwrap();
        for m in &page.items {
            let id = m.message.external_id.as_str().to_owned();
            assert!(seen.insert(id.clone()), "{id} is stored twice");
            let mut parts = id.split('-');
            let s: usize = parts.next().unwrap()[1..].parse().unwrap();
            let b: usize = parts.next().unwrap()[1..].parse().unwrap();
            *per_batch.entry((s, b)).or_default() += 1;
        }
        match page.next {
            Some(c) => q.after = Some(c),
            None => break,
        }
    }
    let ledger = ledger.lock().unwrap();
    assert!(ledger.acked.len() > 10, "the senders got through between kills");
    assert!(!ledger.unacked.is_empty(), "the kills interrupted some requests");
    for b in &ledger.acked {
        assert_eq!(per_batch.get(b).copied().unwrap_or(0), BATCH, "acknowledged batch {b:?} is not whole");
    }
    for b in &ledger.unacked {
        let n = per_batch.get(b).copied().unwrap_or(0);
        assert!(n == 0 || n == BATCH, "unacknowledged batch {b:?} is half-present: {n} of {BATCH}");
    }
    eprintln!(
        "crash test: {} batches acknowledged, {} not ({} of those were stored whole before the kill)",
        ledger.acked.len(),
        ledger.unacked.len(),
        ledger.unacked.iter().filter(|b| per_batch.contains_key(b)).count()
    );
}
