//! `firebreak export`: stored messages as JSONL in the normalised form, the
//! same form `import --format jsonl` and `POST /api/v1/messages` read, so an
//! export can be imported elsewhere.

use std::{
    io::{BufWriter, Write},
    path::PathBuf,
};

use anyhow::Context;
use clap::Args;
use firebreak_channels::normalised;
use firebreak_domain::{Channel, Timestamp};
use firebreak_store::{MessageQuery, SqliteStore, Store};

use crate::{DataArgs, config::Config};

#[derive(Args)]
pub struct ExportArgs {
    #[command(flatten)]
    data: DataArgs,
    /// Where to write; standard output when absent or `-`.
    #[arg(long, short, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Only this channel.
    #[arg(long, value_parser = |s: &str| Channel::parse(s).map_err(|e| e.message))]
    channel: Option<Channel>,
    /// Only messages created at or after this time (RFC 3339).
    #[arg(long, value_parser = |s: &str| Timestamp::parse_rfc3339(s).map_err(|e| e.message))]
    since: Option<Timestamp>,
    /// Only messages created before this time (RFC 3339).
    #[arg(long, value_parser = |s: &str| Timestamp::parse_rfc3339(s).map_err(|e| e.message))]
    until: Option<Timestamp>,
}

pub async fn run(args: ExportArgs) -> anyhow::Result<()> {
    let config = Config::resolve(args.data.overrides())?;
    let store = SqliteStore::open(&config.data, config.store_options())?;
    let sink: Box<dyn Write> = match &args.out {
        Some(p) if p.as_os_str() != "-" => {
            Box::new(std::fs::File::create(p).with_context(|| format!("cannot create {}", p.display()))?)
        }
        _ => Box::new(std::io::stdout().lock()),
    };
    let mut out = BufWriter::new(sink);
    let mut query =
        MessageQuery { channel: args.channel, since: args.since, until: args.until, limit: 1000, ..Default::default() };
    let mut written = 0u64;
    loop {
        let page = store.messages(query.clone()).await?;
        for m in &page.items {
            writeln!(out, "{}", normalised::to_json_line(&m.message)).context("cannot write the export")?;
        }
        written += page.items.len() as u64;
        match page.next {
            Some(c) => query.after = Some(c),
            None => break,
        }
    }
    out.flush().context("cannot write the export")?;
    store.close().await?;
    tracing::info!(messages = written, "export finished");
    Ok(())
}
