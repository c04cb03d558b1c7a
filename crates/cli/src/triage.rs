//! `firebreak triage`, `train`, `eval` and `retriage`: the triage model from
//! the command line. The `triage` crate is pure; this module opens the files,
//! times the runs and writes the answers.

use std::{
    io::{BufRead, BufWriter, Write},
    path::{Path, PathBuf},
    process::ExitCode,
    time::Instant,
};

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use firebreak_domain::Channel;
use firebreak_store::{MessageQuery, SqliteStore, Store};
use firebreak_triage::{
    LabelSources, TrainOptions, TrainingSources, Triager, airline_test_rows, evaluate_airline, evaluate_labels, train,
};
use serde_json::{Map, Value};

use crate::{DataArgs, config::Config};

/// Loads `--model FILE`, or the model shipped in the binary.
pub fn load_triager(model: Option<&Path>) -> anyhow::Result<Triager> {
    match model {
        None => Ok(Triager::builtin()),
        Some(p) => {
            let bytes = std::fs::read(p).with_context(|| format!("cannot read the model {}", p.display()))?;
            Triager::from_model_bytes(&bytes)
                .with_context(|| format!("{} is not a Firebreak triage model", p.display()))
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InputFormat {
    /// One message per line.
    Text,
    /// One JSON object per line with a `text` field (and optionally `channel`);
    /// other fields are passed through.
    Jsonl,
}

#[derive(Args)]
pub struct TriageArgs {
    #[arg(long, value_enum, default_value = "text")]
    format: InputFormat,
    /// The channel messages came from, when the input does not say.
    #[arg(long, default_value = "x", value_parser = |s: &str| Channel::parse(s).map_err(|e| e.message))]
    channel: Channel,
    /// A model written by `firebreak train`; the built-in model when absent.
    #[arg(long, value_name = "FILE")]
    model: Option<PathBuf>,
}

/// Reads standard input, writes one judgement per line, in order. A line that
/// cannot be read gives an `{"error": ...}` object in its place and a
/// non-zero exit at the end.
pub fn triage(args: TriageArgs) -> anyhow::Result<ExitCode> {
    let triager = load_triager(args.model.as_deref())?;
    let stdin = std::io::stdin();
    let mut out = BufWriter::new(std::io::stdout().lock());
    let mut bad = 0usize;
    for (n, line) in stdin.lock().split(b'\n').enumerate() {
        let line = line.context("cannot read standard input")?;
        let line = line.strip_suffix(b"\r").unwrap_or(&line);
        let answer = match judge_line(&triager, args.format, args.channel, line) {
            Ok(v) => v,
            Err((code, message)) => {
                bad += 1;
                serde_json::json!({ "error": { "line": n + 1, "code": code, "message": message } })
            }
        };
        serde_json::to_writer(&mut out, &answer)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    if bad > 0 {
        eprintln!("firebreak: {bad} input lines could not be read; their answers are error objects");
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

fn judge_line(
    triager: &Triager,
    format: InputFormat,
    channel: Channel,
    line: &[u8],
) -> Result<Value, (&'static str, String)> {
    let text = std::str::from_utf8(line).map_err(|e| ("invalid_utf8", format!("the line is not UTF-8: {e}")))?;
    match format {
        InputFormat::Text => {
            serde_json::to_value(triager.judge(text, channel)).map_err(|e| ("internal", e.to_string()))
        }
        InputFormat::Jsonl => {
            let mut obj: Map<String, Value> = serde_json::from_str(text)
                .map_err(|e| ("invalid_json", format!("the line is not a JSON object: {e}")))?;
            let body = obj
                .get("text")
                .and_then(Value::as_str)
                .ok_or(("missing_text", "the object has no string `text` field".to_owned()))?;
            let channel = match obj.get("channel").and_then(Value::as_str) {
                Some(c) => Channel::parse(c).map_err(|e| (e.code, e.message))?,
                None => channel,
            };
            let judgement =
                serde_json::to_value(triager.judge(body, channel)).map_err(|e| ("internal", e.to_string()))?;
            if let Value::Object(j) = judgement {
                obj.extend(j);
            }
            Ok(Value::Object(obj))
        }
    }
}

#[derive(Args)]
pub struct TrainArgs {
    /// Where to write the model.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// The airline sentiment CSV (labels for training; its test split is never used).
    #[arg(long, default_value = "../shared/data/airline/Tweets.csv")]
    airline: PathBuf,
    /// The Customer Support on Twitter CSV.
    #[arg(long, default_value = "../shared/data/twcs/twcs-head.csv")]
    twcs: PathBuf,
}

/// Trains a model with the default options: `firebreak train --out FILE`
/// reproduces the model shipped in the binary byte for byte.
pub fn train_model(args: TrainArgs) -> anyhow::Result<()> {
    let airline = std::fs::read(&args.airline).with_context(|| format!("cannot read {}", args.airline.display()))?;
    let twcs = std::fs::read(&args.twcs).ok();
    let started = Instant::now();
    let model = train(&TrainingSources { airline_csv: &airline, twcs_csv: twcs.as_deref() }, &TrainOptions::default())
        .context("training failed")?;
    let bytes = model.to_bytes();
    std::fs::write(&args.out, &bytes).with_context(|| format!("cannot write {}", args.out.display()))?;
    println!(
        "wrote {} ({} bytes) in {:.1} s; it is {} the built-in model",
        args.out.display(),
        bytes.len(),
        started.elapsed().as_secs_f64(),
        if Triager::builtin().model().to_bytes() == bytes { "identical to" } else { "different from" }
    );
    Ok(())
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EvalFormat {
    Airline,
}

#[derive(Args)]
pub struct EvalArgs {
    #[arg(long, value_enum)]
    format: EvalFormat,
    /// The labelled file.
    file: PathBuf,
    #[arg(long, value_name = "FILE")]
    model: Option<PathBuf>,
    /// Also report urgency and entity precision and recall on the labels in
    /// the repository (needs the twcs sample beside the airline file).
    #[arg(long)]
    labels: bool,
    #[arg(long, default_value = "../shared/data/twcs/twcs-head.csv")]
    twcs: PathBuf,
}

/// Prints accuracy, macro-F1, per-class figures and the confusion matrix on
/// the airline test split, the lexicon baseline's in the same run, and the
/// speed of the whole judgement (best of five timed passes).
pub fn eval(args: EvalArgs) -> anyhow::Result<()> {
    let EvalFormat::Airline = args.format;
    let triager = load_triager(args.model.as_deref())?;
    let airline = std::fs::read(&args.file).with_context(|| format!("cannot read {}", args.file.display()))?;
    let rows = airline_test_rows(&airline).context("the file is not the airline sentiment CSV")?;
    if rows.is_empty() {
        bail!("{} has no test rows", args.file.display());
    }
    let mut best = f64::MAX;
    for _ in 0..5 {
        let started = Instant::now();
        for r in &rows {
            std::hint::black_box(triager.judge(std::hint::black_box(&r.text), Channel::X));
        }
        best = best.min(started.elapsed().as_secs_f64());
    }
    let mut report = evaluate_airline(&triager, &airline)?;
    report.messages_per_second = Some(rows.len() as f64 / best);
    println!("{report}");
    if args.labels {
        let twcs = std::fs::read(&args.twcs).with_context(|| format!("cannot read {}", args.twcs.display()))?;
        println!("{}", evaluate_labels(&triager, &LabelSources { airline_csv: &airline, twcs_csv: &twcs })?);
    }
    Ok(())
}

#[derive(Args)]
pub struct RetriageArgs {
    #[command(flatten)]
    data: DataArgs,
    #[arg(long, value_name = "FILE")]
    model: Option<PathBuf>,
}

/// Re-reads every stored message with a (new) model and stores the new
/// judgements, a thousand at a time.
pub async fn retriage(args: RetriageArgs) -> anyhow::Result<()> {
    let triager = load_triager(args.model.as_deref())?;
    let config = Config::resolve(args.data.overrides())?;
    let store = SqliteStore::open(&config.data, config.store_options())?;
    let started = Instant::now();
    let mut q = MessageQuery { limit: 1000, ..Default::default() };
    let mut done = 0usize;
    loop {
        let page = store.messages(q.clone()).await?;
        let batch: Vec<_> =
            page.items.iter().map(|m| (m.id, triager.judge(m.message.text.as_str(), m.message.channel))).collect();
        done += store.set_triage(batch).await?;
        match page.next {
            Some(c) => q.after = Some(c),
            None => break,
        }
    }
    store.close().await?;
    println!("re-triaged {done} messages in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}
