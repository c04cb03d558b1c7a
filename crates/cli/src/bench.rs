//! `firebreak bench`: Firebreak's speed, measured against a baseline in the
//! same run, on real rows from `../shared/data`. Reports medians: the machine
//! is shared and noisy.
//!
//! - `bench ingest`: end-to-end `POST /api/v1/messages` over loopback HTTP
//!   (batches of 1,000, FTS on, durable) against plain batched SQLite inserts
//!   of the same rows into the same schema with the same durability; and the
//!   `import` path (the engine without HTTP, after parsing).
//! - `bench search`: `GET /api/v1/search` latency over a store of a million
//!   messages generated from the real rows, against the bare FTS5 query.

use std::{
    path::{Path, PathBuf},
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Instant,
};

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use firebreak_channels::normalised;
use firebreak_domain::{ExternalId, NewMessage};
use firebreak_engine::Engine;
use firebreak_store::{SqliteOptions, SqliteStore, Store};
use firebreak_web::{AppState, WebConfig};

use crate::import;

#[derive(Subcommand)]
pub enum BenchCommand {
    /// Ingest throughput: HTTP end to end, the import path, and the raw SQLite baseline.
    Ingest(IngestBench),
    /// Search latency over a large store.
    Search(SearchBench),
    /// Cases at scale: ingest with identity and threading, queue, case and 360 latency.
    Cases(crate::bench_cases::CasesBench),
    /// Incidents at scale: outreach to 100,000 customers, and the time from
    /// the message that crosses a threshold to the alert on the event stream.
    Incidents(crate::bench_incidents::IncidentsBench),
    /// The community at scale: a topic page with 200 replies among 1,000,000
    /// posts, votes and kudos from many members at once, the value report.
    Community(crate::bench_community::CommunityBench),
}

#[derive(Args)]
pub struct IngestBench {
    /// The airline sentiment CSV whose texts make the messages.
    #[arg(long, default_value = "../shared/data/airline/Tweets.csv")]
    airline: PathBuf,
    /// Messages per run.
    #[arg(long, default_value_t = 100_000)]
    messages: usize,
    /// Messages per HTTP batch.
    #[arg(long, default_value_t = 1000)]
    batch: usize,
    /// Concurrent HTTP senders.
    #[arg(long, default_value_t = 4)]
    senders: usize,
    /// Runs of each measurement; the median is reported.
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// Where to put the scratch databases (removed afterwards).
    #[arg(long, value_name = "DIR")]
    scratch: Option<PathBuf>,
    /// Run the detectors in the HTTP server, as `serve` does (both the runs
    /// with and without triage).
    #[arg(long)]
    detectors: bool,
    /// Measure one part only (to profile it); the others print as 0.
    #[arg(long, value_enum)]
    only: Option<IngestPart>,
}

/// The parts of `bench ingest`.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum IngestPart {
    /// Plain batched SQLite inserts: the baseline.
    Raw,
    /// `POST /api/v1/messages`, with and without triage.
    Http,
    /// The import path after parsing.
    Import,
}

#[derive(Args)]
pub struct SearchBench {
    #[arg(long, default_value = "../shared/data/airline/Tweets.csv")]
    airline: PathBuf,
    #[arg(long, default_value = "../shared/data/twcs/twcs-head.csv")]
    twcs: PathBuf,
    /// Messages in the store.
    #[arg(long, default_value_t = 1_000_000)]
    messages: usize,
    /// Queries to time.
    #[arg(long, default_value_t = 2000)]
    queries: usize,
    /// A data directory to build the store in and keep; reused when it
    /// already holds enough messages. A scratch directory when absent.
    #[arg(long, value_name = "DIR")]
    data: Option<PathBuf>,
}

pub async fn run(cmd: BenchCommand) -> anyhow::Result<()> {
    match cmd {
        BenchCommand::Ingest(b) => ingest(b).await,
        BenchCommand::Search(b) => search(b).await,
        BenchCommand::Cases(b) => crate::bench_cases::run(b).await,
        BenchCommand::Incidents(b) => crate::bench_incidents::run(b).await,
        BenchCommand::Community(b) => crate::bench_community::run(b).await,
    }
}

/// A scratch directory that is removed when dropped.
pub(crate) struct Scratch(pub(crate) PathBuf);

impl Scratch {
    pub(crate) fn new(base: &Option<PathBuf>, name: &str) -> anyhow::Result<Scratch> {
        let base = base.clone().unwrap_or_else(std::env::temp_dir);
        let dir = base.join(format!("firebreak-bench-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
        Ok(Scratch(dir))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    if v.is_empty() { 0.0 } else { v[v.len() / 2] }
}

pub(crate) fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// The airline rows as messages, in file order, duplicates dropped.
pub(crate) fn airline_messages(path: &Path) -> anyhow::Result<Vec<NewMessage>> {
    if !path.exists() {
        bail!("{} is missing; the benchmarks need ../shared/data (or pass --airline)", path.display());
    }
    let file = std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for m in firebreak_channels::airline::read(std::io::BufReader::new(file)) {
        let m = m.map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        if seen.insert(m.external_id.clone()) {
            out.push(m);
        }
    }
    Ok(out)
}

/// `n` messages made from `base`, cycling, each with its own external id.
fn cycle(base: &[NewMessage], n: usize, tag: &str) -> Vec<NewMessage> {
    (0..n)
        .map(|i| {
            let mut m = base[i % base.len()].clone();
            m.external_id = ExternalId::parse(format!("{tag}-{i}")).expect("a well-formed id");
            m
        })
        .collect()
}

/// Whether the engine judges messages as it stores them.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Triage {
    On,
    Off,
}

/// The token the benchmarks' own server accepts.
const BENCH_TOKEN: &str = "firebreak-bench-token-0123456789";

/// The benchmarks' server configuration: a configured token, so requests
/// pay for the same authorisation check as in production.
pub(crate) fn bench_config() -> WebConfig {
    WebConfig { api_tokens: vec![BENCH_TOKEN.into()], ..WebConfig::default() }
}

/// A client that sends the benchmarks' token.
pub(crate) fn bench_client() -> anyhow::Result<reqwest::Client> {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::AUTHORIZATION, format!("Bearer {BENCH_TOKEN}").parse()?);
    Ok(reqwest::Client::builder().default_headers(headers).build()?)
}

async fn start_server(
    dir: &Path,
    triage: Triage,
    detectors: bool,
) -> anyhow::Result<(Arc<SqliteStore>, String, tokio::task::JoinHandle<()>)> {
    let store = Arc::new(SqliteStore::open(dir, SqliteOptions::default())?);
    let mut engine = Engine::new(store.clone(), Arc::new(firebreak_domain::SystemClock));
    if triage == Triage::Off {
        engine = engine.without_triage();
    }
    let engine = Arc::new(engine);
    // The detectors, as `serve` runs them; their stop sender lives in the
    // server's task and is dropped with it, which stops them.
    let (stop_tx, stop) = tokio::sync::watch::channel(false);
    if detectors {
        engine.spawn_watch(Default::default(), stop).map_err(anyhow::Error::msg)?;
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    let state = AppState::new(engine, bench_config());
    let handle = tokio::spawn(async move {
        let _stop = stop_tx;
        let _ = firebreak_web::serve(listener, state, std::future::pending()).await;
    });
    Ok((store, url, handle))
}

async fn http_ingest_run(
    scratch: &Path,
    bodies: Arc<Vec<bytes::Bytes>>,
    senders: usize,
    total: usize,
    triage: Triage,
    detectors: bool,
) -> anyhow::Result<HttpRun> {
    let (store, url, server) = start_server(scratch, triage, detectors).await?;
    let client = bench_client()?;
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..senders {
        let (client, bodies, next, url) = (client.clone(), bodies.clone(), next.clone(), url.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(body) = bodies.get(i) else { return Ok::<(), anyhow::Error>(()) };
                let resp = client
                    .post(format!("{url}/api/v1/messages"))
                    .header("content-type", "application/json")
                    .body(body.clone())
                    .send()
                    .await?;
                if !resp.status().is_success() {
                    bail!("the server answered {}: {}", resp.status(), resp.text().await.unwrap_or_default());
                }
                resp.bytes().await?;
            }
        }));
    }
    for t in tasks {
        t.await??;
    }
    let secs = started.elapsed().as_secs_f64();
    let stored = store.counts().await?.messages as usize;
    // The writer's time in its transactions, per message: the serial part
    // of ingest, and the least disturbed by other work on the machine.
    let writer_us = store.stats().commit_seconds.sum * 1e6 / total.max(1) as f64;
    server.abort();
    store.close().await?;
    if stored != total {
        bail!("the server stored {stored} messages, not {total}");
    }
    Ok(HttpRun { rate: total as f64 / secs, writer_us })
}

/// One run of `POST /api/v1/messages`.
struct HttpRun {
    /// Messages per second, end to end.
    rate: f64,
    /// Microseconds per message the writer spent in its transactions.
    writer_us: f64,
}

async fn ingest(b: IngestBench) -> anyhow::Result<()> {
    let base = airline_messages(&b.airline)?;
    let messages = cycle(&base, b.messages, "bench");
    // Each body is serialised once; a request shares it (a `Bytes` clone
    // copies nothing), so the client's cost per request is the socket only.
    let bodies: Vec<bytes::Bytes> = messages
        .chunks(b.batch.max(1))
        .map(|chunk| {
            let items: Vec<serde_json::Value> = chunk.iter().map(normalised::to_json).collect();
            bytes::Bytes::from(serde_json::to_vec(&items).expect("messages serialise"))
        })
        .collect();
    let bytes: usize = bodies.iter().map(bytes::Bytes::len).sum();
    println!(
        "bench ingest: {} messages from {} real airline texts, {} per batch ({:.0} bytes per message), {} senders, {} runs",
        messages.len(),
        base.len(),
        b.batch,
        bytes as f64 / messages.len() as f64,
        b.senders,
        b.runs
    );
    let bodies = Arc::new(bodies);
    let (mut http, mut import_path, mut raw, mut ratios) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut untriaged, mut triage_ratios, mut writer_ratios) = (Vec::new(), Vec::new(), Vec::new());
    for run in 0..b.runs {
        let runs = |part: IngestPart| b.only.is_none_or(|only| only == part);
        let (mut raw_rate, mut http_rate, mut plain_rate, mut import_rate) = (0.0, 0.0, 0.0, 0.0);
        if runs(IngestPart::Raw) {
            let dir = Scratch::new(&b.scratch, &format!("raw-{run}"))?;
            let m = messages.clone();
            let d = dir.0.clone();
            let batch = b.batch;
            let report =
                tokio::task::spawn_blocking(move || firebreak_store::run_raw_baseline(&d, &m, batch)).await??;
            raw_rate = report.per_second();
        }
        let (mut writer_on, mut writer_off) = (0.0, 0.0);
        if runs(IngestPart::Http) {
            // With and without triage take turns at going first, so neither
            // always follows the same work (and its disk writes).
            let order = if run % 2 == 0 { [Triage::On, Triage::Off] } else { [Triage::Off, Triage::On] };
            for triage in order {
                let dir = Scratch::new(&b.scratch, &format!("http-{run}"))?;
                let r = http_ingest_run(&dir.0, bodies.clone(), b.senders, messages.len(), triage, b.detectors).await?;
                match triage {
                    Triage::On => (http_rate, writer_on) = (r.rate, r.writer_us),
                    Triage::Off => (plain_rate, writer_off) = (r.rate, r.writer_us),
                }
            }
        }
        if runs(IngestPart::Import) {
            let dir = Scratch::new(&b.scratch, &format!("import-{run}"))?;
            let store = Arc::new(SqliteStore::open(&dir.0, SqliteOptions::default())?);
            let engine = Arc::new(Engine::new(store.clone(), Arc::new(firebreak_domain::SystemClock)));
            let started = Instant::now();
            import::ingest_all(&engine, messages.clone(), import::BATCH).await?;
            import_rate = messages.len() as f64 / started.elapsed().as_secs_f64();
            store.close().await?;
        }

        println!(
            "  run {}: http {:>7.0} msg/s (without triage {:>7.0}, ratio {:.2}; writer {:.1}/{:.1} us/msg)   \
             import {:>7.0} msg/s   raw sqlite {:>7.0} msg/s   http/raw {:.2}",
            run + 1,
            http_rate,
            plain_rate,
            http_rate / plain_rate,
            writer_on,
            writer_off,
            import_rate,
            raw_rate,
            http_rate / raw_rate
        );
        untriaged.push(plain_rate);
        writer_ratios.push(writer_off / writer_on);
        triage_ratios.push(http_rate / plain_rate);
        http.push(http_rate);
        import_path.push(import_rate);
        raw.push(raw_rate);
        ratios.push(http_rate / raw_rate);
    }
    println!(
        "median: http {:.0} msg/s, import (after parsing) {:.0} msg/s, raw sqlite baseline {:.0} msg/s",
        median(http.clone()),
        median(import_path.clone()),
        median(raw.clone())
    );
    println!(
        "median: http without triage {:.0} msg/s; with/without triage {:.2} (the writer's time per message, \
         without/with: {:.2})",
        median(untriaged),
        median(triage_ratios),
        median(writer_ratios)
    );
    println!(
        "median ratio http/raw {:.2}, import/raw {:.2}",
        median(ratios),
        median(import_path.iter().zip(&raw).map(|(a, b)| a / b).collect())
    );
    Ok(())
}

/// A small, seeded pseudo-random generator (xorshift64*), so generated data
/// and query mixes are the same on every run.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Generates `n` messages from real texts: each joins the first part of one
/// real text to the last part of another, so the vocabulary and lengths are
/// real but the documents are not copies.
pub(crate) fn varied(texts: &[NewMessage], n: usize, rng: &mut Rng) -> Vec<NewMessage> {
    let words: Vec<Vec<&str>> = texts.iter().map(|m| m.text.as_str().split_whitespace().collect()).collect();
    (0..n)
        .map(|i| {
            let a = rng.below(texts.len());
            let b = rng.below(texts.len());
            let (wa, wb) = (&words[a], &words[b]);
            let cut_a = (wa.len() / 2).max(1).min(wa.len());
            let cut_b = wb.len() / 2;
            let text = wa[..cut_a].iter().chain(&wb[cut_b..]).copied().collect::<Vec<_>>().join(" ");
            let mut m = texts[a].clone();
            m.external_id = ExternalId::parse(format!("gen-{i}")).expect("a well-formed id");
            m.text = firebreak_domain::MessageText::clamp(&text).0;
            m.in_reply_to = None;
            m.raw = None;
            m
        })
        .collect()
}

async fn search(b: SearchBench) -> anyhow::Result<()> {
    let mut base = airline_messages(&b.airline)?;
    let file = std::fs::File::open(&b.twcs).with_context(|| format!("cannot open {}", b.twcs.display()))?;
    base.extend(firebreak_channels::twcs::read(std::io::BufReader::new(file)).filter_map(Result::ok));
    let scratch;
    let dir = match &b.data {
        Some(d) => d.clone(),
        None => {
            scratch = Scratch::new(&None, "search")?;
            scratch.0.clone()
        }
    };
    let (store, url, server) = start_server(&dir, Triage::On, false).await?;
    let have = store.counts().await?.messages as usize;
    if have < b.messages {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let started = Instant::now();
        let engine = Arc::new(Engine::new(store.clone(), Arc::new(firebreak_domain::SystemClock)));
        let mut made = have;
        while made < b.messages {
            let n = (b.messages - made).min(100_000);
            let mut chunk = varied(&base, n, &mut rng);
            for (j, m) in chunk.iter_mut().enumerate() {
                m.external_id = ExternalId::parse(format!("gen-{}", made + j)).expect("a well-formed id");
            }
            import::ingest_all(&engine, chunk, 5000).await?;
            made += n;
            eprintln!("  generated {made} messages");
        }
        println!("generated {} messages in {:.1}s", b.messages - have, started.elapsed().as_secs_f64());
    }
    let total = store.counts().await?.messages;

    // The query mix: words drawn from the corpus by their frequency, so
    // common words (big posting lists) are asked for as often as users do.
    let mut freq: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for m in &base {
        for w in m.text.as_str().split(|c: char| !c.is_alphanumeric()).filter(|w| w.len() >= 3) {
            *freq.entry(w.to_lowercase()).or_default() += 1;
        }
    }
    let mut vocab: Vec<(String, usize)> = freq.into_iter().collect();
    vocab.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut rng = Rng(0xD1B5_4A32_D192_ED03);
    let mut queries = Vec::with_capacity(b.queries);
    for i in 0..b.queries {
        let pick = |rng: &mut Rng, top: usize| vocab[rng.below(top.min(vocab.len()))].0.clone();
        let q = match i % 10 {
            0..=3 => pick(&mut rng, 200),                                         // a common word
            4..=6 => pick(&mut rng, 5000),                                        // a rarer word
            7 | 8 => format!("{} {}", pick(&mut rng, 300), pick(&mut rng, 3000)), // two words
            _ => {
                let m = &base[rng.below(base.len())];
                let w: Vec<&str> =
                    m.text.as_str().split_whitespace().filter(|w| w.chars().all(char::is_alphanumeric)).collect();
                if w.len() >= 2 { format!("\"{} {}\"", w[0], w[1]) } else { pick(&mut rng, 200) }
            }
        };
        queries.push(q);
    }

    let client = bench_client()?;
    // Warm the caches once, as a running server would be.
    for q in queries.iter().take(50) {
        client.get(format!("{url}/api/v1/search")).query(&[("q", q.as_str())]).send().await?.bytes().await?;
    }
    let mut http_ms = Vec::with_capacity(queries.len());
    let mut hits = 0usize;
    for q in &queries {
        let started = Instant::now();
        let resp = client.get(format!("{url}/api/v1/search")).query(&[("q", q.as_str())]).send().await?;
        if !resp.status().is_success() {
            bail!("search `{q}` failed: {}", resp.text().await.unwrap_or_default());
        }
        let body = resp.bytes().await?;
        http_ms.push(started.elapsed().as_secs_f64() * 1e3);
        hits += usize::from(body.len() > 20);
    }
    let db = firebreak_store::SqliteStore::open(&dir, SqliteOptions::default())?;
    let raw_ms = tokio::task::spawn_blocking({
        let path = db.path().to_owned();
        let queries = queries.clone();
        move || firebreak_store::time_raw_search(&path, &queries, 20)
    })
    .await??;
    db.close().await?;
    server.abort();
    store.close().await?;

    http_ms.sort_by(|a, b| a.total_cmp(b));
    let mut raw_sorted = raw_ms;
    raw_sorted.sort_by(|a, b| a.total_cmp(b));
    println!("bench search: {} queries over {} messages ({} with results)", queries.len(), total, hits);
    println!(
        "  GET /api/v1/search  p50 {:.2} ms  p90 {:.2} ms  p99 {:.2} ms  max {:.2} ms",
        percentile(&http_ms, 0.5),
        percentile(&http_ms, 0.9),
        percentile(&http_ms, 0.99),
        http_ms.last().copied().unwrap_or(0.0)
    );
    println!(
        "  bare FTS5 top-20    p50 {:.2} ms  p90 {:.2} ms  p99 {:.2} ms  max {:.2} ms",
        percentile(&raw_sorted, 0.5),
        percentile(&raw_sorted, 0.9),
        percentile(&raw_sorted, 0.99),
        raw_sorted.last().copied().unwrap_or(0.0)
    );
    Ok(())
}
