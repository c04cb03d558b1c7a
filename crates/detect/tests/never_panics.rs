//! Property tests: no sequence of keys, times (out of order, far apart) and
//! counts (up to `u32::MAX`) makes a detector panic or pass its memory cap.

use firebreak_detect::{
    BurstConfig, BurstDetector, EmergingTerms, Engagement, SparkConfig, SparkSignals, SparkTracker,
};
use firebreak_domain::Timestamp;
use proptest::prelude::*;

const BASE_MS: i64 = 1_767_571_200_000;
const MIN_MS: i64 = -62_135_596_800_000;
const MAX_MS: i64 = 253_402_300_799_999;

#[derive(Debug, Clone)]
enum Op {
    Observe { key: u16, at: i64, n: u32 },
    Advance { at: i64 },
}

fn time() -> impl Strategy<Value = i64> {
    prop_oneof![
        6 => (-3 * 3_600_000i64..400 * 3_600_000).prop_map(|d| BASE_MS + d),
        1 => MIN_MS..=MAX_MS,
        1 => Just(MIN_MS),
        1 => Just(MAX_MS),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => (0u16..300, time(), prop_oneof![4 => 1u32..50, 1 => Just(u32::MAX), 1 => any::<u32>()])
            .prop_map(|(key, at, n)| Op::Observe { key, at, n }),
        1 => time().prop_map(|at| Op::Advance { at }),
    ]
}

fn ts(ms: i64) -> Timestamp {
    Timestamp::from_unix_millis(ms).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn no_input_panics_or_passes_the_caps(ops in prop::collection::vec(op(), 1..400)) {
        let cap = 40;
        let cfg = BurstConfig { max_keys: cap, warmup_buckets: 2, ..BurstConfig::default() };
        let mut bursts = BurstDetector::new(cfg).unwrap();
        let mut terms = EmergingTerms::new(3_600_000, 16, 3).unwrap();
        let spark_cfg = SparkConfig { max_posts: cap, ..SparkConfig::default() };
        let mut sparks = SparkTracker::new(spark_cfg).unwrap();
        for op in ops {
            match op {
                Op::Observe { key, at, n } => {
                    let key = format!("topic=t{key}|brand=b");
                    for alert in bursts.observe_n(&key, ts(at), n) {
                        prop_assert!(alert.p_value.is_finite() && (0.0..=1.0).contains(&alert.p_value));
                        prop_assert!(alert.expected > 0.0 && alert.ratio.is_finite());
                    }
                    terms.observe_n(&key, ts(at), u64::from(n));
                    let metrics = Engagement { likes: u64::from(n), shares: u64::from(n) * 7, replies: u64::MAX - u64::from(n) };
                    let signals = SparkSignals { sentiment: -(n as f32), followers: u64::from(n), shaming: n % 2 == 0, press_or_regulator: false };
                    if let Some(alert) = sparks.update(&key, ts(at), metrics, signals) {
                        prop_assert!((0.0..=1.0).contains(&alert.momentum));
                    }
                }
                Op::Advance { at } => {
                    bursts.advance(ts(at));
                    terms.advance(ts(at));
                }
            }
            prop_assert!(bursts.len() <= cap);
            prop_assert!(terms.current().len() <= 16);
            prop_assert!(terms.closed_buckets() <= 3);
            prop_assert!(sparks.len() <= cap);
        }
        let _ = terms.growth(10);
        let _ = terms.top(10);
    }
}
