//! Judges each line of standard input and prints the judgement as JSON, one
//! object per line (what `firebreak triage` does with the built-in model).
//! Run with `cargo run --release -p firebreak-triage --example judge`.

use std::io::{BufRead, Write};

use firebreak_domain::Channel;
use firebreak_triage::Triager;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let triager = Triager::builtin();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for line in std::io::stdin().lock().lines() {
        let j = triager.judge(&line?, Channel::X);
        writeln!(out, "{}", serde_json::to_string(&j)?)?;
    }
    Ok(())
}
