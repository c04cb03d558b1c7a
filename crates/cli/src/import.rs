//! `firebreak import`: files in the platforms' and our own formats, parsed on
//! a thread of their own and committed in batches through the engine, with a
//! progress bar and a summary. Rows that cannot be read are reported (with
//! line and reason) and make the exit status non-zero; the rest are stored.
//! Works whether or not `serve` is running on the same data directory.

use std::{
    collections::BTreeMap,
    io::{BufReader, Read},
    path::Path,
    process::ExitCode,
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use firebreak_channels::{RowError, airline, customers_csv, email, jsonl, twcs, x};
use firebreak_domain::{NewCustomer, NewMessage, Timestamp};
use firebreak_engine::Engine;
use firebreak_store::{SqliteStore, Store};
use indicatif::{ProgressBar, ProgressStyle};
use tokio::{sync::mpsc, task::JoinSet};

use crate::{DataArgs, config::Config, feeds};

/// Messages per committed batch.
pub const BATCH: usize = 1000;
/// Batches in flight at once, so parsing and committing overlap.
const IN_FLIGHT: usize = 4;

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Normalised messages, one JSON object per line.
    Jsonl,
    /// The Customer Support on Twitter CSV.
    Twcs,
    /// The Twitter US Airline Sentiment CSV.
    Airline,
    /// A Unix mailbox of RFC 5322 messages.
    Mbox,
    /// An RSS, Atom or JSON feed, from a file or an http(s) URL.
    Feed,
    /// X API v2 results: one search or lookup response, or filtered-stream
    /// lines (one JSON object per line).
    #[value(name = "x-v2")]
    XV2,
    /// Customers: external_id, name, emails, phones, postal_area, accounts, handles.
    CustomersCsv,
    /// Account events from the company's systems, one JSON object per line:
    /// `customer` (its external id) or `customer_id`, `kind`, `occurred_at`,
    /// and optionally `reference`, `details`, `external_id`.
    EventsJsonl,
}

#[derive(Args)]
pub struct ImportArgs {
    #[command(flatten)]
    data: DataArgs,
    /// The format of the files.
    #[arg(long, value_enum)]
    format: Format,
    /// The files to import (for `feed`, files or URLs).
    #[arg(required = true, value_name = "FILE")]
    files: Vec<String>,
}

/// One unit of parsed input.
pub(crate) enum Item {
    Message(NewMessage),
    Customer(NewCustomer),
}

/// What an import did.
#[derive(Default)]
struct Summary {
    read: u64,
    stored: u64,
    duplicates: u64,
    rejected: Vec<(String, RowError)>,
}

pub async fn run(args: ImportArgs) -> anyhow::Result<ExitCode> {
    let config = Config::resolve(args.data.overrides())?;
    for f in &args.files {
        let is_url = f.starts_with("http://") || f.starts_with("https://");
        let fetchable = is_url && args.format == Format::Feed;
        if !fetchable && !Path::new(f).exists() {
            bail!("{f} does not exist");
        }
    }
    let store = Arc::new(SqliteStore::open(&config.data, config.store_options())?);
    let engine = Arc::new(Engine::new(store.clone(), Arc::new(firebreak_domain::SystemClock)));
    let started = Instant::now();
    let total_bytes: u64 = args.files.iter().filter_map(|f| std::fs::metadata(f).ok()).map(|m| m.len()).sum();
    let bar = ProgressBar::new(total_bytes.max(1));
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );

    let mut summary = Summary::default();
    for file in &args.files {
        let items = match args.format {
            Format::EventsJsonl => {
                import_events(&engine, file, &mut summary).await?;
                continue;
            }
            Format::Feed => read_feed(file).await?,
            Format::XV2 => read_x_v2(file)?,
            _ => {
                let f = std::fs::File::open(file).with_context(|| format!("cannot open {file}"))?;
                spawn_reader(args.format, bar.clone(), f)
            }
        };
        import_stream(&engine, file, items, &mut summary, &bar).await?;
    }
    bar.finish_and_clear();
    store.close().await?;

    let secs = started.elapsed().as_secs_f64();
    println!(
        "read {}, stored {}, duplicates {}, rejected {} ({:.1} s, {:.0} rows/s)",
        summary.read,
        summary.stored,
        summary.duplicates,
        summary.rejected.len(),
        secs,
        summary.read as f64 / secs.max(1e-9)
    );
    if summary.rejected.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    let mut by_code: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, e) in &summary.rejected {
        *by_code.entry(e.code).or_default() += 1;
    }
    let codes: Vec<String> = by_code.iter().map(|(c, n)| format!("{c}: {n}")).collect();
    eprintln!("rejected rows by reason: {}", codes.join(", "));
    for (file, e) in summary.rejected.iter().take(20) {
        eprintln!("  {file}: {e}");
    }
    if summary.rejected.len() > 20 {
        eprintln!("  … and {} more", summary.rejected.len() - 20);
    }
    Ok(ExitCode::FAILURE)
}

/// A reader that moves the progress bar as it is read.
struct Counting<R> {
    inner: R,
    bar: ProgressBar,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bar.inc(n as u64);
        Ok(n)
    }
}

pub(crate) type Chunk = Vec<Result<Item, RowError>>;

/// Parses `file` on a thread of its own, sending chunks of items.
pub(crate) fn spawn_reader(format: Format, bar: ProgressBar, file: std::fs::File) -> mpsc::Receiver<Chunk> {
    let (tx, rx) = mpsc::channel::<Chunk>(IN_FLIGHT);
    std::thread::spawn(move || {
        let input = BufReader::with_capacity(1 << 20, Counting { inner: file, bar });
        let iter: Box<dyn Iterator<Item = Result<Item, RowError>>> = match format {
            Format::Jsonl => Box::new(jsonl::read(input).map(|r| r.map(Item::Message))),
            Format::Twcs => Box::new(twcs::read(input).map(|r| r.map(Item::Message))),
            Format::Airline => Box::new(airline::read(input).map(|r| r.map(Item::Message))),
            Format::CustomersCsv => Box::new(customers_csv::read(input).map(|r| r.map(Item::Customer))),
            Format::Mbox => Box::new(email::mbox_messages(input).map(|r| {
                r.and_then(|(line, raw)| {
                    email::parse_rfc5322(&raw, Timestamp::now()).map(Item::Message).map_err(|e| RowError {
                        line,
                        field: None,
                        code: e.code(),
                        message: e.to_string(),
                    })
                })
            })),
            Format::Feed | Format::XV2 | Format::EventsJsonl => unreachable!("these formats are read whole"),
        };
        let mut chunk = Vec::with_capacity(BATCH);
        for item in iter {
            chunk.push(item);
            if chunk.len() == BATCH
                && tx.blocking_send(std::mem::replace(&mut chunk, Vec::with_capacity(BATCH))).is_err()
            {
                return;
            }
        }
        if !chunk.is_empty() {
            let _ = tx.blocking_send(chunk);
        }
    });
    rx
}

pub(crate) async fn read_feed(source: &str) -> anyhow::Result<mpsc::Receiver<Chunk>> {
    let bytes = if source.starts_with("http://") || source.starts_with("https://") {
        feeds::fetch(&reqwest::Client::new(), source, None).await?.map(|f| f.body).unwrap_or_default()
    } else {
        std::fs::read(source).with_context(|| format!("cannot read {source}"))?
    };
    let messages = firebreak_channels::feed::parse_feed(&bytes, source, Timestamp::now())
        .with_context(|| format!("{source} cannot be read as a feed"))?;
    let (tx, rx) = mpsc::channel(1);
    tx.send(messages.into_iter().map(|m| Ok(Item::Message(m))).collect()).await.ok();
    Ok(rx)
}

/// One line of an events file.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct EventLine {
    customer: Option<String>,
    customer_id: Option<i64>,
    kind: String,
    occurred_at: String,
    reference: Option<String>,
    #[serde(default)]
    details: serde_json::Value,
    external_id: Option<String>,
}

/// Imports account events, line by line; each event is idempotent on its
/// `external_id`.
async fn import_events(engine: &Arc<Engine>, file: &str, summary: &mut Summary) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(file).with_context(|| format!("cannot read {file} as UTF-8 text"))?;
    let mut by_ref: std::collections::HashMap<String, Option<firebreak_domain::CustomerId>> = Default::default();
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        summary.read += 1;
        let n = i as u64 + 1;
        let reject = |summary: &mut Summary, code: &'static str, message: String| {
            summary.rejected.push((file.to_owned(), RowError { line: n, field: None, code, message }));
        };
        let e: EventLine = match serde_json::from_str(line) {
            Ok(e) => e,
            Err(err) => {
                reject(summary, "invalid_json", format!("the line is not an event: {err}"));
                continue;
            }
        };
        let customer = match (e.customer_id, &e.customer) {
            (Some(id), _) => Some(firebreak_domain::CustomerId(id)),
            (None, Some(r)) => match by_ref.get(r) {
                Some(c) => *c,
                None => {
                    let c = engine.store().customer_by_ref(r.clone()).await?;
                    by_ref.insert(r.clone(), c);
                    c
                }
            },
            (None, None) => None,
        };
        let Some(customer) = customer else {
            reject(summary, "unknown_customer", "no customer on record has that id".into());
            continue;
        };
        let occurred_at = match Timestamp::parse_rfc3339(&e.occurred_at) {
            Ok(t) => t,
            Err(err) => {
                reject(summary, err.code, err.message);
                continue;
            }
        };
        let event = firebreak_store::NewAccountEvent {
            kind: e.kind,
            occurred_at,
            reference: e.reference,
            details: e.details,
            external_id: e.external_id,
        };
        match engine.store().add_account_event(customer, event).await {
            Ok(_) => summary.stored += 1,
            Err(firebreak_store::StoreError::Invalid { code, message, .. }) => reject(summary, code, message),
            Err(firebreak_store::StoreError::NotFound(what)) => {
                reject(summary, "unknown_customer", format!("there is no {what}"))
            }
            Err(other) => return Err(other.into()),
        }
    }
    Ok(())
}

/// Reads an X API v2 file: a whole response, or else one response per line
/// (the filtered stream's form), each line's problems reported on its own.
pub(crate) fn read_x_v2(file: &str) -> anyhow::Result<mpsc::Receiver<Chunk>> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {file}"))?;
    let items: Chunk = match x::parse_v2_response(&bytes) {
        Ok(messages) => messages.into_iter().map(|m| Ok(Item::Message(m))).collect(),
        Err(_) => bytes
            .split(|b| *b == b'\n')
            .enumerate()
            .filter(|(_, line)| !line.iter().all(u8::is_ascii_whitespace))
            .flat_map(|(i, line)| match x::parse_v2_response(line) {
                Ok(messages) => messages.into_iter().map(|m| Ok(Item::Message(m))).collect::<Vec<_>>(),
                Err(e) => {
                    vec![Err(RowError { line: i as u64 + 1, field: None, code: e.code(), message: e.to_string() })]
                }
            })
            .collect(),
    };
    let (tx, rx) = mpsc::channel(1);
    tx.try_send(items).ok();
    Ok(rx)
}

async fn import_stream(
    engine: &Arc<Engine>,
    file: &str,
    mut chunks: mpsc::Receiver<Chunk>,
    summary: &mut Summary,
    bar: &ProgressBar,
) -> anyhow::Result<()> {
    let mut in_flight: JoinSet<anyhow::Result<(u64, u64)>> = JoinSet::new();
    while let Some(chunk) = chunks.recv().await {
        let mut messages = Vec::with_capacity(chunk.len());
        let mut customers = Vec::new();
        for item in chunk {
            summary.read += 1;
            match item {
                Ok(Item::Message(m)) => messages.push(m),
                Ok(Item::Customer(c)) => customers.push(c),
                Err(e) => summary.rejected.push((file.to_owned(), e)),
            }
        }
        while in_flight.len() >= IN_FLIGHT {
            absorb(in_flight.join_next().await, summary)?;
        }
        let engine = engine.clone();
        in_flight.spawn(async move {
            let mut stored = 0;
            let mut dup = 0;
            if !customers.is_empty() {
                stored += engine.store().upsert_customers(customers).await?.len() as u64;
            }
            if !messages.is_empty() {
                for o in engine.ingest(messages).await? {
                    if o.duplicate { dup += 1 } else { stored += 1 }
                }
            }
            Ok((stored, dup))
        });
        bar.set_message(format!("{} stored", summary.stored));
    }
    while let Some(r) = in_flight.join_next().await {
        absorb(Some(r), summary)?;
    }
    Ok(())
}

fn absorb(
    r: Option<Result<anyhow::Result<(u64, u64)>, tokio::task::JoinError>>,
    summary: &mut Summary,
) -> anyhow::Result<()> {
    if let Some(r) = r {
        let (stored, dup) = r.context("an import task failed")??;
        summary.stored += stored;
        summary.duplicates += dup;
    }
    Ok(())
}

/// Ingests already-parsed messages in batches, several in flight; returns
/// (stored, duplicates). The benchmark's "import after parsing" path.
pub async fn ingest_all(engine: &Arc<Engine>, messages: Vec<NewMessage>, batch: usize) -> anyhow::Result<(u64, u64)> {
    let mut set: JoinSet<anyhow::Result<(u64, u64)>> = JoinSet::new();
    let mut totals = (0, 0);
    let mut iter = messages.into_iter().peekable();
    while iter.peek().is_some() {
        let chunk: Vec<NewMessage> = iter.by_ref().take(batch.max(1)).collect();
        while set.len() >= IN_FLIGHT {
            if let Some(r) = set.join_next().await {
                let (s, d) = r??;
                totals.0 += s;
                totals.1 += d;
            }
        }
        let engine = engine.clone();
        set.spawn(async move {
            let out = engine.ingest(chunk).await?;
            let dup = out.iter().filter(|o| o.duplicate).count() as u64;
            Ok((out.len() as u64 - dup, dup))
        });
    }
    while let Some(r) = set.join_next().await {
        let (s, d) = r??;
        totals.0 += s;
        totals.1 += d;
    }
    Ok(totals)
}

/// Starts one poller per configured feed; each stops when `stop` turns true.
pub fn spawn_feed_pollers(
    engine: Arc<Engine>,
    feeds_config: &[(String, Duration)],
    stop: tokio::sync::watch::Receiver<bool>,
) -> Vec<tokio::task::JoinHandle<()>> {
    feeds_config
        .iter()
        .map(|(url, every)| tokio::spawn(feeds::poll_forever(engine.clone(), url.clone(), *every, stop.clone())))
        .collect()
}
