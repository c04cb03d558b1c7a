//! Times the whole judgement over the airline tweets without criterion, for
//! profiling: `cargo run --release -p firebreak-triage --example speed [-- ROUNDS [TEXT]]`.
//! With TEXT, times that one text instead.

use std::hint::black_box;
use std::time::Instant;

use firebreak_domain::Channel;
use firebreak_triage::{Triager, read_airline};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let data = std::env::var("FIREBREAK_DATA").unwrap_or_else(|_| "../shared/data".to_owned());
    let rounds: usize = std::env::args().nth(1).map(|r| r.parse()).transpose()?.unwrap_or(10);
    let texts: Vec<String> = match std::env::args().nth(2) {
        Some(t) => vec![t; 10_000],
        None => {
            read_airline(&std::fs::read(format!("{data}/airline/Tweets.csv"))?)?.into_iter().map(|r| r.text).collect()
        }
    };
    let triager = Triager::builtin();
    let mut best = f64::MAX;
    for _ in 0..rounds {
        let start = Instant::now();
        for t in &texts {
            black_box(triager.judge(black_box(t), Channel::X));
        }
        best = best.min(start.elapsed().as_secs_f64());
    }
    let n = texts.len() as f64;
    println!("best round: {:.0} messages/s ({:.2} µs each)", n / best, best / n * 1e6);
    Ok(())
}
