//! `firebreak replay`: a file of past messages played back in time order
//! through the same pipeline as live ingest (triage, identity, threading,
//! cases, then the detectors), on a clock that runs `--speed` times faster
//! than the file's own. Each incident candidate the detectors raise is
//! printed on one line as it is raised:
//!
//! ```text
//! incident 2015-02-22T14:00:03Z key=brand=usairways|topic=cancellation observed=31 expected=9.8 ratio=3.2 p=2.1e-8 sparkline=... terms=...
//! ```
//!
//! Spark alerts are printed as `spark` lines. The detectors see what they
//! would see in production: the replayed messages as the importers parse
//! them. Labels some files carry (the airline file's sentiment and reason)
//! are not read: the airline parser keeps them only in the raw payload,
//! which nothing in the pipeline reads.

use std::{
    path::Path,
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::{Context, bail};
use clap::Args;
use firebreak_domain::{ManualClock, NewMessage, Timestamp};
use firebreak_engine::Engine;
use firebreak_store::{Alert, AlertKind, SqliteStore, Store};
use indicatif::ProgressBar;

use crate::{
    DataArgs,
    config::Config,
    import::{self, Format, Item},
};

#[derive(Args)]
pub struct ReplayArgs {
    #[command(flatten)]
    data: DataArgs,
    /// The format of the files (a message format of `import`).
    #[arg(long, value_enum)]
    format: Format,
    /// How many times faster than real time the file is played: 3600 plays
    /// an hour of the file in a second. Pauses longer than a second of wall
    /// time are cut to a second.
    #[arg(long, default_value_t = 3600.0)]
    speed: f64,
    /// Messages per committed batch, at most (a batch never spans more than
    /// a minute of stream time).
    #[arg(long, default_value_t = 200)]
    batch: usize,
    /// The files to replay.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<String>,
}

pub async fn run(args: ReplayArgs) -> anyhow::Result<()> {
    if !(args.speed.is_finite() && args.speed > 0.0) {
        bail!("--speed must be a positive number (it was {})", args.speed);
    }
    if matches!(args.format, Format::CustomersCsv | Format::EventsJsonl) {
        bail!("replay plays messages; customers and account events are loaded with `firebreak import`");
    }
    let messages = read_all(args.format, &args.files).await?;
    let Some(first) = messages.first().map(|m| m.created_at) else {
        bail!("there are no messages to replay in {}", args.files.join(", "));
    };
    let config = Config::resolve(args.data.overrides())?;
    let store = Arc::new(SqliteStore::open(&config.data, config.store_options())?);
    let clock = Arc::new(ManualClock::new(first));
    let engine = Arc::new(Engine::new(store.clone(), clock.clone()));
    let (stop_tx, stop) = tokio::sync::watch::channel(false);
    let task = engine.spawn_watch(config.watch.clone(), stop).map_err(anyhow::Error::msg)?;
    let mut seen = store.alerts(1).await?.first().map_or(0, |a| a.id);

    let started = Instant::now();
    let (total, last_time) = (messages.len(), messages.last().map_or(first, |m| m.created_at));
    let mut iter = messages.into_iter().peekable();
    let mut stream = first;
    let (mut incidents, mut sparks) = (0usize, 0usize);
    while let Some(head) = iter.next() {
        let minute = head.created_at.unix_millis().div_euclid(60_000);
        let mut batch = vec![head];
        while batch.len() < args.batch.max(1)
            && iter.peek().is_some_and(|m| m.created_at.unix_millis().div_euclid(60_000) == minute)
        {
            batch.extend(iter.next());
        }
        let at = batch[0].created_at;
        let gap_ms = (at.unix_millis() - stream.unix_millis()).max(0) as f64 / args.speed;
        if gap_ms >= 1.0 {
            tokio::time::sleep(Duration::from_secs_f64((gap_ms / 1000.0).min(1.0))).await;
        }
        stream = at;
        clock.set(batch.last().map_or(at, |m| m.created_at));
        engine.ingest(batch).await?;
        engine.watch_flush().await;
        for alert in new_alerts(store.as_ref(), &mut seen).await? {
            print_alert(&alert, &mut incidents, &mut sparks);
        }
    }
    // Close the last bucket, so a burst in it is judged too.
    engine.watch_advance(last_time.plus_millis(config.watch.burst.bucket_ms)).await;
    let _ = stop_tx.send(true);
    let _ = task.await;
    for alert in new_alerts(store.as_ref(), &mut seen).await? {
        print_alert(&alert, &mut incidents, &mut sparks);
    }
    store.close().await?;
    let secs = started.elapsed().as_secs_f64();
    let span_h = (last_time.unix_millis() - first.unix_millis()) as f64 / 3_600_000.0;
    println!(
        "replayed {total} messages from {} to {} ({span_h:.1} hours of stream) in {secs:.1} s: {incidents} incidents, {sparks} sparks",
        first, last_time
    );
    Ok(())
}

/// Every message of the files, sorted by the time it was posted.
async fn read_all(format: Format, files: &[String]) -> anyhow::Result<Vec<NewMessage>> {
    let mut messages = Vec::new();
    let mut rejected = 0usize;
    for file in files {
        let mut chunks = match format {
            Format::Feed => import::read_feed(file).await?,
            Format::XV2 => import::read_x_v2(file)?,
            _ => {
                if !Path::new(file).exists() {
                    bail!("{file} does not exist");
                }
                let f = std::fs::File::open(file).with_context(|| format!("cannot open {file}"))?;
                import::spawn_reader(format, ProgressBar::hidden(), f)
            }
        };
        while let Some(chunk) = chunks.recv().await {
            for item in chunk {
                match item {
                    Ok(Item::Message(m)) => messages.push(m),
                    Ok(Item::Customer(_)) => {}
                    Err(e) => {
                        rejected += 1;
                        if rejected <= 5 {
                            eprintln!("{file}: {e}");
                        }
                    }
                }
            }
        }
    }
    if rejected > 0 {
        eprintln!("{rejected} rows could not be read and are left out");
    }
    messages.sort_by(|a, b| a.created_at.cmp(&b.created_at).then_with(|| a.external_id.cmp(&b.external_id)));
    Ok(messages)
}

async fn new_alerts(store: &dyn Store, seen: &mut i64) -> anyhow::Result<Vec<Alert>> {
    let mut fresh: Vec<Alert> = store.alerts(1000).await?.into_iter().filter(|a| a.id > *seen).collect();
    fresh.sort_by_key(|a| a.id);
    if let Some(last) = fresh.last() {
        *seen = last.id;
    }
    Ok(fresh)
}

fn print_alert(alert: &Alert, incidents: &mut usize, sparks: &mut usize) {
    match alert.kind {
        AlertKind::Burst => {
            *incidents += 1;
            println!("{}", incident_line(alert));
        }
        AlertKind::Spark => {
            *sparks += 1;
            println!("spark {} {}", Timestamp::to_rfc3339(alert.at), alert.summary);
        }
    }
}

/// `incident <time> key=<key> observed=.. expected=.. ...`: one line per
/// candidate, with its evidence.
fn incident_line(alert: &Alert) -> String {
    let e = &alert.evidence["evidence"];
    let list = |v: &serde_json::Value| {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|c| Some(format!("{}:{}", c["value"].as_str()?, c["count"].as_u64()?)))
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .unwrap_or_default()
    };
    let sparkline = e["sparkline"]
        .as_array()
        .map(|a| a.iter().map(|v| v.to_string()).collect::<Vec<_>>().join(","))
        .unwrap_or_default();
    format!(
        "incident {} key={} {}observed={} expected={:.1} ratio={:.1} p={:.1e} bucket={}+{}h sparkline={} terms={} areas={} samples={}",
        alert.at.to_rfc3339(),
        alert.key.as_deref().unwrap_or("-"),
        if alert.evidence["emerging"].as_bool() == Some(true) { "emerging " } else { "" },
        e["observed"],
        e["expected"].as_f64().unwrap_or(0.0),
        e["ratio"].as_f64().unwrap_or(0.0),
        e["p_value"].as_f64().unwrap_or(1.0),
        e["bucket_start"].as_str().unwrap_or("-"),
        e["bucket_ms"].as_i64().unwrap_or(0) / 3_600_000,
        sparkline,
        list(&e["top_terms"]),
        list(&e["areas"]),
        e["samples"].as_array().map(|a| a.len()).unwrap_or(0),
    )
}
