//! Prints the airline test-split evaluation of the shipped model (what
//! `firebreak eval --format airline FILE` prints), timing the whole judgement
//! of the test messages, and with `--labels` the urgency and entity label
//! figures. Run from the repository root with
//! `cargo run --release -p firebreak-triage --example eval [-- --labels]`.

use std::hint::black_box;
use std::time::Instant;

use firebreak_domain::Channel;
use firebreak_triage::{LabelSources, Triager, airline_test_rows, evaluate_airline, evaluate_labels};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let data = std::env::var("FIREBREAK_DATA").unwrap_or_else(|_| "../shared/data".to_owned());
    let airline = std::fs::read(format!("{data}/airline/Tweets.csv"))?;
    let triager = Triager::builtin();
    let rows = airline_test_rows(&airline)?;
    // Time the whole judgement of every test message (best of five passes).
    let mut best = f64::MAX;
    for _ in 0..5 {
        let start = Instant::now();
        for r in &rows {
            black_box(triager.judge(black_box(&r.text), Channel::X));
        }
        best = best.min(start.elapsed().as_secs_f64());
    }
    let mut report = evaluate_airline(&triager, &airline)?;
    report.messages_per_second = Some(rows.len() as f64 / best);
    println!("{report}");
    if std::env::args().any(|a| a == "--labels") {
        let twcs = std::fs::read(format!("{data}/twcs/twcs-head.csv"))?;
        let labels = evaluate_labels(&triager, &LabelSources { airline_csv: &airline, twcs_csv: &twcs })?;
        println!("{labels}");
    }
    Ok(())
}
