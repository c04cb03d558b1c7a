//! `firebreak bench incidents`: outreach at scale and the detectors' alert
//! latency.
//!
//! Outreach: `--customers` customers in one postal area, every one of them
//! with an email address and proactive consent, and as many next door; an
//! incident on the area; the time to queue a notice to each affected
//! customer, against the time to only select them (the baseline, in the
//! same run). Latency: the app served on a loopback port with the
//! detectors on; a burst of complaints from one area; the time from the
//! POST of the message that crosses the threshold to its `alert.burst`
//! event on the event stream a page listens to.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::Context;
use async_trait::async_trait;
use clap::Args;
use firebreak_channels::outbound::{Delivered, OutboundReply, ReplyTransport, SendError, Visibility};
use firebreak_domain::{
    Channel, Clock, CustomerId, Email, NewCustomer, PostalArea, SystemClock, Timestamp,
    incident::{Dimension, Key},
};
use firebreak_engine::{
    Engine,
    incidents::{IncidentDraft, OutreachRequest},
    watcher::WatchConfig,
};
use firebreak_store::{Consent, SqliteStore, Store};

#[derive(Args)]
pub struct IncidentsBench {
    /// Affected customers (and as many unaffected next door).
    #[arg(long, default_value_t = 100_000)]
    customers: usize,
    /// Runs of each measurement; the median is reported.
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Where to put the scratch database (removed afterwards).
    #[arg(long, value_name = "DIR")]
    scratch: Option<std::path::PathBuf>,
}

/// A transport that could send anything and is never asked to: outreach
/// only queues (no worker runs in this benchmark).
struct Anything;

#[async_trait]
impl ReplyTransport for Anything {
    fn can_send(&self, _: Channel, _: Visibility) -> Result<(), SendError> {
        Ok(())
    }

    async fn send(&self, _: &OutboundReply) -> Result<Delivered, SendError> {
        Err(SendError::InvalidReply { code: "benchmark", message: "the benchmark sends nothing".into() })
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

pub async fn run(b: IncidentsBench) -> anyhow::Result<()> {
    let scratch = crate::bench::Scratch::new(&b.scratch, "incidents")?;
    let store = Arc::new(SqliteStore::open(&scratch.0, Default::default())?);
    let engine = Arc::new(Engine::new(store.clone(), Arc::new(SystemClock)).with_transport(Arc::new(Anything)));
    println!(
        "bench incidents: {} affected customers in area XX1 and as many in XX2, each with proactive consent",
        b.customers
    );
    let loaded = Instant::now();
    let mut ids: Vec<CustomerId> = Vec::with_capacity(2 * b.customers);
    for area in ["XX1", "XX2"] {
        for chunk in (0..b.customers).collect::<Vec<_>>().chunks(5_000) {
            let batch: Vec<NewCustomer> = chunk
                .iter()
                .map(|i| NewCustomer {
                    external_ref: Some(format!("{area}-{i}")),
                    name: None,
                    emails: vec![Email::parse(&format!("c{i}@{}.example", area.to_lowercase())).expect("an email")],
                    phones: Vec::new(),
                    postal_area: Some(PostalArea::parse(&format!("{area} {}", i % 900 + 100)).expect("an area")),
                    refs: Vec::new(),
                    products: Vec::new(),
                    preferred_channel: Some(Channel::Email),
                })
                .collect();
            ids.extend(store.upsert_customers(batch).await?.into_iter().map(|o| o.id));
        }
    }
    let mut jobs = tokio::task::JoinSet::new();
    for chunk in ids.chunks(ids.len().div_ceil(32).max(1)) {
        let (store, chunk) = (store.clone(), chunk.to_vec());
        jobs.spawn(async move {
            for id in chunk {
                let consent = Consent {
                    purpose: "proactive".into(),
                    granted: true,
                    at: Timestamp::now(),
                    wording_version: "v1".into(),
                    method: "import".into(),
                };
                store.record_consent(id, consent).await?;
            }
            anyhow::Ok(())
        });
    }
    while let Some(r) = jobs.join_next().await {
        r??;
    }
    println!("  loaded in {:.1} s", loaded.elapsed().as_secs_f64());

    let (mut queue, mut select) = (Vec::new(), Vec::new());
    for run in 0..b.runs.max(1) {
        let incident = engine
            .create_incident(IncidentDraft {
                title: format!("Broadband outage in XX1 (run {run})"),
                areas: vec!["XX1".into()],
                by: "bench".into(),
                ..IncidentDraft::default()
            })
            .await?;
        let id = incident.incident.id;
        let started = Instant::now();
        let affected = store.affected_customers(id).await?.len();
        select.push(started.elapsed().as_secs_f64());
        let started = Instant::now();
        let report = engine
            .outreach(
                id,
                OutreachRequest {
                    status_url: "https://status.example/".into(),
                    by: "bench".into(),
                    ..Default::default()
                },
            )
            .await?;
        queue.push(started.elapsed().as_secs_f64());
        anyhow::ensure!(report.queued as usize == b.customers, "queued {} of {}", report.queued, b.customers);
        println!(
            "  run {}: outreach queued {} notices in {:.2} s (selecting the {} affected alone: {:.2} s)",
            run + 1,
            report.queued,
            queue[run],
            affected,
            select[run]
        );
    }
    println!(
        "median: outreach to {} customers queued in {:.2} s (target 30 s); selecting them alone {:.2} s",
        b.customers,
        median(queue),
        median(select)
    );
    drop(engine);
    store.close().await?;

    alert_latency(&b.scratch).await
}

/// From the POST of the message that crosses the threshold to the
/// `alert.burst` event on the stream, over loopback HTTP.
async fn alert_latency(base: &Option<std::path::PathBuf>) -> anyhow::Result<()> {
    let dir = crate::bench::Scratch::new(base, "alerts")?;
    let store = Arc::new(SqliteStore::open(&dir.0, Default::default())?);
    let engine = Arc::new(Engine::new(store.clone(), Arc::new(SystemClock)));
    let (stop_tx, stop) = tokio::sync::watch::channel(false);
    let burst = firebreak_detect::BurstConfig { startup_buckets: 0, ..Default::default() };
    engine
        .spawn_watch(WatchConfig { burst, slow_bursts: Vec::new(), ..WatchConfig::default() }, stop)
        .map_err(anyhow::Error::msg)?;
    let token = "bench-incidents-token-0123456789".to_string();
    let web = firebreak_web::WebConfig { api_tokens: vec![token.clone()], ..Default::default() };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    let state = firebreak_web::AppState::new(engine.clone(), web);
    tokio::spawn(async move { firebreak_web::serve(listener, state, std::future::pending()).await });
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("authorization", format!("Bearer {token}").parse()?);
    let client = reqwest::Client::builder().default_headers(headers).build()?;
    let mut latencies = Vec::new();
    for round in 0..10 {
        // Each round a fresh area: a key never seen, so it needs the cold
        // threshold (100 in the hour); the 100th message crosses it.
        let area = format!("Q{round}");
        let key = Key::new([(Dimension::Area, area.clone())]).map_err(|e| anyhow::anyhow!("{e}"))?.to_string();
        let mut stream =
            client.get(format!("{url}/api/v1/events")).header("accept", "text/event-stream").send().await?;
        let now = SystemClock.now();
        let msg = |i: usize| {
            serde_json::json!({
                "channel": "x",
                "external_id": format!("lat-{round}-{i}"),
                "author": { "id": format!("lat-{round}-{i}"), "handle": format!("lat_{round}_{i}") },
                "text": format!("@acme no service in {area} 1AB since this morning"),
                "created_at": now.to_rfc3339()
            })
        };
        let before: Vec<_> = (0..99).map(msg).collect();
        client.post(format!("{url}/api/v1/messages")).json(&before).send().await?.error_for_status()?;
        engine.watch_flush().await;
        let started = Instant::now();
        client.post(format!("{url}/api/v1/messages")).json(&[msg(99)]).send().await?.error_for_status()?;
        let mut seen = String::new();
        loop {
            let chunk = tokio::time::timeout(Duration::from_secs(5), stream.chunk())
                .await
                .context("no alert within 5 s of the crossing message")??
                .context("the event stream ended")?;
            seen.push_str(&String::from_utf8_lossy(&chunk));
            if seen.contains("event: alert.burst") && seen.contains(&key) {
                break;
            }
        }
        latencies.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    latencies.sort_by(|a, b| a.total_cmp(b));
    println!(
        "alert latency (POST of the crossing message to alert.burst on the event stream): p50 {:.1} ms, max {:.1} ms over {} bursts (target 2 s)",
        latencies[latencies.len() / 2],
        latencies.last().copied().unwrap_or(0.0),
        latencies.len()
    );
    let _ = stop_tx.send(true);
    store.close().await?;
    Ok(())
}
