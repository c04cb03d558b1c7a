//! `firebreak bench cases`: the cases issue's figures on a generated data set
//! built from the real texts (by default 1,000,000 messages, 200,000
//! customers on record, 150,000 people writing, so 150,000 active cases):
//! ingest with identity resolution, threading and cases on; then the latency
//! of an agent's queue, a case with its timeline, and a customer 360, over
//! HTTP, against the same reads made on the store directly in the same run.

use std::{path::PathBuf, sync::Arc, time::Instant};

use anyhow::Context;
use clap::Args;
use firebreak_domain::{
    Author, CaseId, Channel, CustomerId, CustomerRef, DisplayName, Email, ExternalId, Handle, NewCustomer,
    PlatformUserId,
};
use firebreak_engine::Engine;
use firebreak_store::{CaseQuery, SqliteOptions, SqliteStore, Store};
use firebreak_web::AppState;

use crate::bench::{Rng, Scratch, airline_messages, percentile, varied};

#[derive(Args)]
pub struct CasesBench {
    #[arg(long, default_value = "../shared/data/airline/Tweets.csv")]
    airline: PathBuf,
    #[arg(long, default_value_t = 1_000_000)]
    messages: usize,
    #[arg(long, default_value_t = 200_000)]
    customers: usize,
    /// People writing (each gets one active case).
    #[arg(long, default_value_t = 150_000)]
    people: usize,
    /// Requests timed per kind.
    #[arg(long, default_value_t = 1000)]
    requests: usize,
    /// Build the data set here and keep it; reused when it is already full.
    #[arg(long, value_name = "DIR")]
    data: Option<PathBuf>,
}

const FIRST: [&str; 12] = ["Ann", "Ben", "Chloe", "Dev", "Ewa", "Femi", "Grace", "Hugo", "Ines", "Jon", "Kemi", "Liam"];
const LAST: [&str; 10] = ["Lopez", "Becker", "Kaur", "Carter", "Morgan", "Schmidt", "Shaw", "Lee", "Brandt", "Obi"];

/// Person `j`: writes by email (on record) or on X (a handle on record).
fn author(j: usize) -> (Channel, Author) {
    let mut a = if j.is_multiple_of(3) {
        let mut a = Author::new(PlatformUserId::parse(format!("person{j}@example.com")).expect("an id"));
        a.handle = Handle::parse(&format!("person{j}@example.com")).ok();
        (Channel::Email, a)
    } else {
        let mut a = Author::new(PlatformUserId::parse(format!("x-{j}")).expect("an id"));
        a.handle = Handle::parse(&format!("p{j}")).ok();
        a.followers = Some((j % 5000) as u64);
        (Channel::X, a)
    };
    a.1.name = DisplayName::clean(&format!("{} {}", FIRST[j % FIRST.len()], LAST[j % LAST.len()]));
    a
}

fn timed<T>(samples: &mut Vec<f64>, started: Instant, r: T) -> T {
    samples.push(started.elapsed().as_secs_f64() * 1e3);
    r
}

fn report(name: &str, mut http: Vec<f64>, mut direct: Vec<f64>) {
    http.sort_by(|a, b| a.total_cmp(b));
    direct.sort_by(|a, b| a.total_cmp(b));
    println!(
        "  {name:<28} HTTP p50 {:>6.2} ms  p99 {:>6.2} ms   | store directly p50 {:>6.2} ms  p99 {:>6.2} ms",
        percentile(&http, 0.5),
        percentile(&http, 0.99),
        percentile(&direct, 0.5),
        percentile(&direct, 0.99)
    );
}

fn report_pages(name: &str, mut page: Vec<f64>, mut json: Vec<f64>) {
    page.sort_by(|a, b| a.total_cmp(b));
    json.sort_by(|a, b| a.total_cmp(b));
    println!(
        "  {name:<28} HTML p50 {:>6.2} ms  p99 {:>6.2} ms   | its JSON p50 {:>6.2} ms  p99 {:>6.2} ms",
        percentile(&page, 0.5),
        percentile(&page, 0.99),
        percentile(&json, 0.5),
        percentile(&json, 0.99)
    );
}

/// How soon an open inbox hears of a new message: from the POST to the
/// event on the stream the page listens to, and to the page's re-read of
/// itself done (the page waits 250 ms to gather events first).
async fn live_updates(client: &reqwest::Client, url: &str) -> anyhow::Result<()> {
    let mut stream = client.get(format!("{url}/api/v1/events")).header("accept", "text/event-stream").send().await?;
    let (mut heard, mut shown) = (Vec::new(), Vec::new());
    for i in 0..30 {
        let body = serde_json::json!([{
            "channel": "x",
            "external_id": format!("live-{}-{i}", std::process::id()),
            "author": { "id": format!("live-author-{i}"), "handle": format!("live_{i}") },
            "text": "my broadband is down again, third time this week",
            "created_at": firebreak_domain::Timestamp::now().to_rfc3339()
        }]);
        let started = Instant::now();
        client.post(format!("{url}/api/v1/messages")).json(&body).send().await?.error_for_status()?;
        loop {
            let chunk = tokio::time::timeout(std::time::Duration::from_secs(5), stream.chunk())
                .await
                .context("no event within 5 s of the ingest")??
                .context("the event stream ended")?;
            if String::from_utf8_lossy(&chunk).contains("event: case.") {
                break;
            }
        }
        heard.push(started.elapsed().as_secs_f64() * 1000.0);
        client.get(format!("{url}/inbox")).header("accept", "text/html").send().await?.bytes().await?;
        shown.push(started.elapsed().as_secs_f64() * 1000.0 + 250.0);
    }
    heard.sort_by(|a, b| a.total_cmp(b));
    shown.sort_by(|a, b| a.total_cmp(b));
    println!(
        "  live update                  event p50 {:>6.1} ms  max {:>6.1} ms   | page re-read done p50 {:>6.1} ms  max {:>6.1} ms",
        percentile(&heard, 0.5),
        heard.last().copied().unwrap_or(0.0),
        percentile(&shown, 0.5),
        shown.last().copied().unwrap_or(0.0)
    );
    Ok(())
}

pub async fn run(b: CasesBench) -> anyhow::Result<()> {
    let scratch;
    let dir = match &b.data {
        Some(d) => d.clone(),
        None => {
            scratch = Scratch::new(&None, "cases")?;
            scratch.0.clone()
        }
    };
    let store = Arc::new(SqliteStore::open(&dir, SqliteOptions::default())?);
    let engine = Arc::new(Engine::new(store.clone(), Arc::new(firebreak_domain::SystemClock)));
    let have = store.counts().await?;
    if have.messages < b.messages as u64 {
        let started = Instant::now();
        for chunk in (0..b.customers).collect::<Vec<_>>().chunks(10_000) {
            let batch = chunk
                .iter()
                .map(|&j| NewCustomer {
                    external_ref: Some(format!("C-{j}")),
                    name: DisplayName::clean(&format!("{} {}", FIRST[j % FIRST.len()], LAST[j % LAST.len()])),
                    emails: vec![Email::parse(&format!("person{j}@example.com")).expect("an address")],
                    phones: vec![],
                    postal_area: None,
                    refs: CustomerRef::parse("x", &format!("p{j}")).into_iter().collect(),
                    products: vec![],
                    preferred_channel: None,
                })
                .collect();
            store.upsert_customers(batch).await?;
        }
        println!("{} customers on record in {:.1} s", b.customers, started.elapsed().as_secs_f64());

        let base = airline_messages(&b.airline)?;
        let mut rng = Rng(0x5DEE_CE66_D1CE_4E5B);
        let started = Instant::now();
        let mut made = have.messages as usize;
        while made < b.messages {
            let n = (b.messages - made).min(50_000);
            let mut chunk = varied(&base, n, &mut rng);
            for (k, m) in chunk.iter_mut().enumerate() {
                let i = made + k;
                let (channel, a) = author(i % b.people);
                m.channel = channel;
                m.author = a;
                m.external_id = ExternalId::parse(format!("case-bench-{i}")).expect("an id");
                m.thread_id = None;
                m.created_at =
                    firebreak_domain::Timestamp::from_unix_millis(1_790_000_000_000 + i as i64 * 1000).expect("a time");
            }
            crate::import::ingest_all(&engine, chunk, 5000).await?;
            made += n;
            eprintln!("  {made} messages");
        }
        let secs = started.elapsed().as_secs_f64();
        println!(
            "ingest with triage, identity resolution, threading and cases: {} messages in {:.1} s = {:.0} msg/s",
            b.messages - have.messages as usize,
            secs,
            (b.messages - have.messages as usize) as f64 / secs
        );
    }
    let counts = store.counts().await?;
    let cases = store.cases(CaseQuery { limit: 1, ..Default::default() }).await?;
    println!(
        "data set: {} messages, {} customers, {} identities{}",
        counts.messages,
        counts.customers,
        counts.identities,
        if cases.items.is_empty() { ", no active case" } else { "" }
    );

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    let state = AppState::new(engine.clone(), crate::bench::bench_config());
    let server = tokio::spawn(async move {
        let _ = firebreak_web::serve(listener, state, std::future::pending()).await;
    });
    let client = crate::bench::bench_client()?;
    let mut rng = Rng(0x1234_5678_9ABC_DEF1);
    let queues = ["", "&sort=due", "&channel=x", "&priority=normal", "&unassigned=true"];
    let (mut http, mut direct) = (Vec::new(), Vec::new());
    for i in 0..b.requests {
        let page = 1 + rng.below(20);
        let filter = queues[i % queues.len()];
        let started = Instant::now();
        let body = client.get(format!("{url}/api/v1/cases?limit=50&page={page}{filter}")).send().await?.bytes().await?;
        timed(&mut http, started, body);
        let q = CaseQuery {
            limit: 50,
            offset: ((page - 1) * 50) as u32,
            channel: (filter == "&channel=x").then_some(Channel::X),
            priority: (filter == "&priority=normal").then_some(firebreak_domain::case::Priority::Normal),
            unassigned: filter == "&unassigned=true",
            sort: if filter == "&sort=due" {
                firebreak_store::CaseSort::Due
            } else {
                firebreak_store::CaseSort::Priority
            },
            ..Default::default()
        };
        let started = Instant::now();
        let page = store.cases(q).await?;
        timed(&mut direct, started, page);
    }
    println!("latency over {} requests each:", b.requests);
    report("queue (50 a page)", http, direct);

    let max_case = b.people.max(1);
    let (mut http, mut direct) = (Vec::new(), Vec::new());
    for _ in 0..b.requests {
        let id = 1 + rng.below(max_case);
        let started = Instant::now();
        let body = client.get(format!("{url}/api/v1/cases/{id}")).send().await?.bytes().await?;
        timed(&mut http, started, body);
        let started = Instant::now();
        let c = store.case(CaseId(id as i64)).await?;
        timed(&mut direct, started, c);
    }
    report("case with its timeline", http, direct);

    let (mut http, mut direct) = (Vec::new(), Vec::new());
    for _ in 0..b.requests {
        let id = 1 + rng.below(b.customers.max(1));
        let started = Instant::now();
        let body = client.get(format!("{url}/api/v1/customers/{id}")).send().await?.bytes().await?;
        timed(&mut http, started, body);
        let started = Instant::now();
        let c = store.customer(CustomerId(id as i64)).await?;
        timed(&mut direct, started, c);
    }
    report("customer 360", http, direct);

    // The agent's pages: server time for the whole HTML, against the JSON
    // of the same data (the API above) as the baseline.
    let (mut pages, mut json) = (Vec::new(), Vec::new());
    let inbox_queues = ["all", "unassigned", "urgent", "breaching", "all&channel=x", "all&sentiment=negative"];
    for i in 0..b.requests {
        let page = 1 + rng.below(20);
        let q = inbox_queues[i % inbox_queues.len()];
        let started = Instant::now();
        let body = client
            .get(format!("{url}/inbox?queue={q}&page={page}"))
            .header("accept", "text/html")
            .send()
            .await?
            .error_for_status()?
            .bytes()
            .await?;
        timed(&mut pages, started, body);
        let started = Instant::now();
        let body = client.get(format!("{url}/api/v1/cases?limit=50&page={page}")).send().await?.bytes().await?;
        timed(&mut json, started, body);
    }
    report_pages("inbox page (50 a page)", pages, json);
    let (mut pages, mut json) = (Vec::new(), Vec::new());
    for _ in 0..b.requests {
        let id = 1 + rng.below(max_case);
        let started = Instant::now();
        let body = client
            .get(format!("{url}/cases/{id}"))
            .header("accept", "text/html")
            .send()
            .await?
            .error_for_status()?
            .bytes()
            .await?;
        timed(&mut pages, started, body);
        let started = Instant::now();
        let body = client.get(format!("{url}/api/v1/cases/{id}")).send().await?.bytes().await?;
        timed(&mut json, started, body);
    }
    report_pages("case page", pages, json);
    live_updates(&client, &url).await?;
    server.abort();
    store.close().await.context("closing the store")?;
    Ok(())
}
