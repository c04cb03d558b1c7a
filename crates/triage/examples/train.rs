//! Trains the shipped model with the default options and writes it to
//! `crates/triage/model/triage.fbm` (or the path given), the same thing
//! `firebreak train --out FILE` does. Run from the repository root with
//! `cargo run --release -p firebreak-triage --example train [-- OUT]`.

use firebreak_triage::{TrainOptions, TrainingSources, train};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let data = std::env::var("FIREBREAK_DATA").unwrap_or_else(|_| "../shared/data".to_owned());
    let out = std::env::args().nth(1).unwrap_or_else(|| "crates/triage/model/triage.fbm".to_owned());
    let airline = std::fs::read(format!("{data}/airline/Tweets.csv"))?;
    let twcs = std::fs::read(format!("{data}/twcs/twcs-head.csv")).ok();
    let sources = TrainingSources { airline_csv: &airline, twcs_csv: twcs.as_deref() };
    let model = train(&sources, &TrainOptions::default())?;
    let bytes = model.to_bytes();
    std::fs::write(&out, &bytes)?;
    eprintln!("wrote {out}: {} bytes", bytes.len());
    Ok(())
}
