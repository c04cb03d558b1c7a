//! `firebreak`: the one binary. Parses the command line once into validated
//! configuration and hands it to the command that was asked for. Errors reach
//! the user as one plain sentence on standard error and a non-zero exit.

mod bench;
mod bench_cases;
mod bench_community;
mod bench_incidents;
mod config;
mod demo;
mod export;
mod feeds;
mod import;
mod replay;
mod serve;
mod triage;
mod user;

use std::{path::PathBuf, process::ExitCode};

use clap::{Args, Parser, Subcommand};
use config::{Config, Overrides};

#[derive(Parser)]
#[command(
    name = "firebreak",
    version,
    about = "A self-hosted social CRM: hear every post about the brand, know who is speaking, handle it as one case."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Log filter, e.g. `info` or `firebreak_store=debug`.
    #[arg(long, global = true, env = "FIREBREAK_LOG", default_value = "info")]
    log: String,
    /// Log format: `text` or `json`.
    #[arg(long, global = true, env = "FIREBREAK_LOG_FORMAT", default_value = "text")]
    log_format: LogFormat,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

/// Where the data lives; every command that touches stored data takes these.
#[derive(Args, Clone)]
pub(crate) struct DataArgs {
    /// The data directory.
    #[arg(long, env = "FIREBREAK_DATA", value_name = "DIR")]
    data: Option<PathBuf>,
    /// A TOML configuration file.
    #[arg(long, env = "FIREBREAK_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
}

impl DataArgs {
    pub(crate) fn overrides(&self) -> Overrides {
        Overrides { data: self.data.clone(), config: self.config.clone(), ..Default::default() }
    }
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP server: API, webhooks, pages.
    Serve {
        #[command(flatten)]
        data: DataArgs,
        /// The address to listen on.
        #[arg(long, env = "FIREBREAK_LISTEN", value_name = "ADDR")]
        listen: Option<String>,
        /// A bearer token from the configuration that may send messages in
        /// and work cases (repeat, or comma-separate in the environment), for
        /// connectors; people use accounts and their own API tokens.
        #[arg(
            long = "api-token",
            env = "FIREBREAK_API_TOKENS",
            value_delimiter = ',',
            value_name = "TOKEN",
            hide_env_values = true
        )]
        api_tokens: Vec<String>,
        /// Load the demo data set first, so there is something to look at.
        #[arg(long)]
        demo: bool,
        /// A triage model written by `firebreak train`; the built-in one when absent.
        #[arg(long, value_name = "FILE")]
        model: Option<PathBuf>,
    },
    /// Import messages or customers from files.
    Import(import::ImportArgs),
    /// Play a file of past messages in time order through the live
    /// pipeline and the detectors, on an accelerated clock.
    Replay(replay::ReplayArgs),
    /// Write stored messages as JSONL in the normalised form.
    Export(export::ExportArgs),
    /// Judge messages from standard input: sentiment, intent, urgency, entities.
    Triage(triage::TriageArgs),
    /// Train a triage model from the shared data sets.
    Train(triage::TrainArgs),
    /// Evaluate a triage model on the airline test split.
    Eval(triage::EvalArgs),
    /// Re-judge every stored message with a (new) model.
    Retriage(triage::RetriageArgs),
    /// Measure Firebreak's speed against a baseline in the same run.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
    /// Staff accounts: `user add --role admin EMAIL` makes the first admin.
    #[command(subcommand)]
    User(user::UserCommand),
}

fn init_logging(filter: &str, format: LogFormat) {
    let filter =
        tracing_subscriber::EnvFilter::try_new(filter).unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(&cli.log, cli.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("firebreak: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Serve { data, listen, api_tokens, demo, model } => {
                let config = Config::resolve(Overrides { listen, api_tokens, ..data.overrides() })?;
                let triager = triage::load_triager(model.as_deref())?;
                serve::run(config, demo, triager).await.map(|()| ExitCode::SUCCESS)
            }
            Command::Triage(args) => triage::triage(args),
            Command::Train(args) => triage::train_model(args).map(|()| ExitCode::SUCCESS),
            Command::Eval(args) => triage::eval(args).map(|()| ExitCode::SUCCESS),
            Command::Retriage(args) => triage::retriage(args).await.map(|()| ExitCode::SUCCESS),
            Command::Import(args) => import::run(args).await,
            Command::Replay(args) => replay::run(args).await.map(|()| ExitCode::SUCCESS),
            Command::Export(args) => export::run(args).await.map(|()| ExitCode::SUCCESS),
            Command::Bench(cmd) => bench::run(cmd).await.map(|()| ExitCode::SUCCESS),
            Command::User(cmd) => user::run(cmd).await.map(|()| ExitCode::SUCCESS),
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("firebreak: {e:#}");
            ExitCode::FAILURE
        }
    }
}
