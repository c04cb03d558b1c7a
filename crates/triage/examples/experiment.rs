//! Trains with options from the command line and prints the airline test
//! figures (and, with `--cross`, the cross-airline check): the tool used to
//! choose the shipped options. Run with
//! `cargo run --release -p firebreak-triage --example experiment -- [key=value...] [--cross]`.

use std::time::Instant;

use firebreak_triage::{TrainOptions, TrainingSources, Triager, cross_airline, evaluate_airline, train};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let data = std::env::var("FIREBREAK_DATA").unwrap_or_else(|_| "../shared/data".to_owned());
    let airline = std::fs::read(format!("{data}/airline/Tweets.csv"))?;
    let mut opts = TrainOptions::default();
    let mut cross = false;
    for arg in std::env::args().skip(1) {
        if arg == "--cross" {
            cross = true;
            continue;
        }
        let (k, v) = arg.split_once('=').ok_or("arguments are key=value")?;
        match k {
            "bits" => opts.features.bucket_bits = v.parse()?,
            "cmin" => opts.features.char_min = v.parse()?,
            "cmax" => opts.features.char_max = v.parse()?,
            "cw" => opts.features.char_weight_tenths = v.parse()?,
            "bigrams" => opts.features.bigrams = v.parse()?,
            "epochs" => opts.epochs = v.parse()?,
            "lr" => opts.learning_rate = v.parse()?,
            "l2" => opts.l2 = v.parse()?,
            "balance" => opts.class_balance = v.parse()?,
            "seed" => opts.seed = v.parse()?,
            "nb" => opts.nb_alpha = v.parse()?,
            "runs" => opts.runs = v.parse()?,
            "conf" => opts.confidence_power = v.parse()?,
            "avg" => opts.average_epochs = v.parse()?,
            _ => return Err(format!("unknown option {k}").into()),
        }
    }
    let sources = TrainingSources { airline_csv: &airline, twcs_csv: None };
    let t = Instant::now();
    let model = train(&sources, &opts)?;
    eprintln!("trained in {:.2?}: {model:?}", t.elapsed());
    let triager = Triager::from_model(model);
    let report = evaluate_airline(&triager, &airline)?;
    println!("{opts:?}");
    println!("{report}");
    if cross {
        println!("{}", cross_airline(&sources, &opts)?);
    }
    Ok(())
}
