//! Benchmarks of the whole judgement (sentiment, intent, urgency, entities,
//! language, spam, reasons) over the real airline tweets, with the lexicon
//! baseline measured in the same run, and of 100 KB pathological inputs.
//! Skips the airline part, with a message, when `../shared/data` is absent.
//! Run with `cargo bench -p firebreak-triage --bench triage`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use firebreak_domain::Channel;
use firebreak_triage::{Triager, lexicon_score, read_airline};

fn airline_texts() -> Option<Vec<String>> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/airline/Tweets.csv");
    let bytes = std::fs::read(root).ok()?;
    Some(read_airline(&bytes).ok()?.into_iter().map(|r| r.text).collect())
}

fn pathological() -> Vec<(&'static str, String)> {
    let emoji = "😡🔥👍🏽❤️".repeat(100_000 / 17 + 1);
    let words = "cancelled again ".repeat(100_000 / 16 + 1);
    let token = "a".repeat(100_000);
    let urls = "https://t.co/abcdef ".repeat(100_000 / 20 + 1);
    let mixed = "Привет 你好 مرحبا hello 123-456-7890 #tag @who ".repeat(100_000 / 60 + 1);
    vec![("emoji", emoji), ("repeated_words", words), ("one_token", token), ("urls", urls), ("mixed_scripts", mixed)]
}

fn bench(c: &mut Criterion) {
    let triager = Triager::builtin();
    match airline_texts() {
        Some(texts) => {
            let mut group = c.benchmark_group("airline");
            group.throughput(Throughput::Elements(texts.len() as u64));
            group.measurement_time(Duration::from_secs(10));
            group.sample_size(20);
            group.bench_function("judge", |b| {
                b.iter(|| {
                    for t in &texts {
                        black_box(triager.judge(black_box(t), Channel::X));
                    }
                })
            });
            group.bench_function("lexicon_baseline", |b| {
                b.iter(|| {
                    for t in &texts {
                        black_box(lexicon_score(black_box(t)));
                    }
                })
            });
            group.finish();
        }
        None => eprintln!("skipping the airline benchmark: ../shared/data/airline/Tweets.csv is not there"),
    }
    let mut group = c.benchmark_group("pathological_100kb");
    group.sample_size(20);
    for (name, text) in pathological() {
        group.bench_function(name, |b| b.iter(|| black_box(triager.judge(black_box(&text), Channel::X))));
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
