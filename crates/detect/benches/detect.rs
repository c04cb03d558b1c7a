//! Message updates per second through the burst detector with 100,000
//! active keys and the heavy-hitter sketch, on one core.
//!
//! Each message is one `BurstDetector::observe` on one of 100,000 keys and
//! one `EmergingTerms::observe` of one of 50,000 terms drawn from a Zipf
//! law. Messages are 36 ms apart, so a batch of 100,000 spans an hour and
//! includes the close of one bucket. The detector and sketch alone are
//! measured too, as the baselines of the same run.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use firebreak_detect::{BurstConfig, BurstDetector, EmergingTerms};
use firebreak_domain::Timestamp;

const KEYS: usize = 100_000;
const TERMS: usize = 50_000;
const BATCH: usize = 100_000;
const STEP_MS: i64 = 36;
const BASE_MS: i64 = 1_767_571_200_000;

struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 11
    }

    fn unit(&mut self) -> f64 {
        self.next() as f64 / (1u64 << 53) as f64
    }
}

struct Stream {
    keys: Vec<String>,
    terms: Vec<String>,
    /// Message `i` is about `keys[picks[i].0]` and has term `terms[picks[i].1]`.
    picks: Vec<(u32, u32)>,
}

fn stream() -> Stream {
    let keys: Vec<String> = (0..KEYS).map(|i| format!("topic=topic number {}|brand=brand{}", i / 20, i % 20)).collect();
    let terms: Vec<String> = (0..TERMS).map(|i| format!("#term{i}")).collect();
    let mut cdf: Vec<f64> = (1..=TERMS).map(|r| 1.0 / (r as f64).powf(1.1)).collect();
    let mut acc = 0.0;
    for x in &mut cdf {
        acc += *x;
        *x = acc;
    }
    let mut rng = Lcg(42);
    let picks = (0..BATCH)
        .map(|_| {
            let key = (rng.next() % KEYS as u64) as u32;
            let u = rng.unit() * acc;
            let term = cdf.partition_point(|&c| c < u).min(TERMS - 1) as u32;
            (key, term)
        })
        .collect();
    Stream { keys, terms, picks }
}

fn ts(ms: i64) -> Timestamp {
    Timestamp::from_unix_millis(ms).unwrap()
}

/// A detector with every key active: each seen once in the first hour.
fn warm_detector(s: &Stream) -> BurstDetector {
    let mut det = BurstDetector::new(BurstConfig::default()).unwrap();
    for key in &s.keys {
        det.observe(key, ts(BASE_MS));
    }
    det.advance(ts(BASE_MS + 3_600_000));
    assert_eq!(det.len(), KEYS);
    det
}

fn bench(c: &mut Criterion) {
    let s = stream();
    let mut group = c.benchmark_group("detect");
    group.throughput(Throughput::Elements(BATCH as u64));
    group.sample_size(20);

    let mut det = warm_detector(&s);
    let mut terms = EmergingTerms::new(3_600_000, 2_000, 3).unwrap();
    let mut now = BASE_MS + 3_600_000;
    group.bench_function("bursts_and_terms_100k_keys", |b| {
        b.iter(|| {
            let mut alerts = 0;
            for &(key, term) in &s.picks {
                now += STEP_MS;
                alerts += det.observe(&s.keys[key as usize], ts(now)).len();
                terms.observe(&s.terms[term as usize], ts(now));
            }
            black_box(alerts)
        })
    });

    let mut det = warm_detector(&s);
    let mut now = BASE_MS + 3_600_000;
    group.bench_function("bursts_only_100k_keys", |b| {
        b.iter(|| {
            let mut alerts = 0;
            for &(key, _) in &s.picks {
                now += STEP_MS;
                alerts += det.observe(&s.keys[key as usize], ts(now)).len();
            }
            black_box(alerts)
        })
    });

    let mut terms = EmergingTerms::new(3_600_000, 2_000, 3).unwrap();
    let mut now = BASE_MS;
    group.bench_function("terms_only", |b| {
        b.iter(|| {
            for &(_, term) in &s.picks {
                now += STEP_MS;
                terms.observe(&s.terms[term as usize], ts(now));
            }
            black_box(terms.current().total())
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
