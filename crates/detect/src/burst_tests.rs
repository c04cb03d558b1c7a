//! Unit tests of the burst detector: flat series, jumps, daily rhythm,
//! cooldown, keys without history, the cap on keys and its memory.

use super::*;

/// 2026-01-05T00:00:00Z, a midnight.
const BASE_MS: i64 = 1_767_571_200_000;

fn at(hour: i64, minute: i64) -> Timestamp {
    Timestamp::from_unix_millis(BASE_MS + hour * HOUR_MS + minute * 60_000).unwrap()
}

fn detector() -> BurstDetector {
    BurstDetector::new(BurstConfig::default()).unwrap()
}

/// A small deterministic noise in `-spread..=spread`.
fn noise(i: i64, spread: i64) -> i64 {
    let x = (i as u64).wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
    ((x >> 33) % (2 * spread as u64 + 1)) as i64 - spread
}

/// Feeds `count` events for `key` in hour `hour` (spread over the hour) and
/// returns the alerts this closed, each with the hour it is about.
fn feed(det: &mut BurstDetector, key: &str, hour: i64, count: u32) -> Vec<BurstAlert> {
    let mut alerts = Vec::new();
    for i in 0..count {
        alerts.extend(det.observe(key, at(hour, i64::from(i) * 60 / i64::from(count.max(1)))));
    }
    alerts.extend(det.advance(at(hour + 1, 0)));
    alerts
}

#[test]
fn a_flat_series_raises_nothing() {
    let mut det = detector();
    for h in 0..24 * 10 {
        let alerts = feed(&mut det, "topic=refund", h, (20 + noise(h, 4)) as u32);
        assert!(alerts.is_empty(), "hour {h}: {alerts:?}");
    }
}

#[test]
fn a_threefold_jump_raises_one_alert_with_its_evidence() {
    let mut det = detector();
    for h in 0..72 {
        assert!(feed(&mut det, "topic=cancelled flight|brand=united", h, 20).is_empty());
    }
    let alerts = feed(&mut det, "topic=cancelled flight|brand=united", 72, 60);
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    let a = &alerts[0];
    assert_eq!(a.key, "topic=cancelled flight|brand=united");
    assert_eq!(a.bucket_start, at(72, 0));
    // Raised early, at the count that crossed the threshold: at least twice
    // the expected 20, with a Poisson tail under 1e-4.
    assert!((40..60).contains(&a.observed), "observed {}", a.observed);
    assert!((a.expected - 20.0).abs() < 1.0, "expected {}", a.expected);
    assert!(a.ratio >= 2.0, "ratio {}", a.ratio);
    assert!(a.p_value <= 1e-4, "p {}", a.p_value);
    assert_eq!(a.sparkline.len(), SPARKLINE_LEN);
    assert_eq!(a.sparkline[SPARKLINE_LEN - 1], a.observed);
    assert!(a.sparkline[..SPARKLINE_LEN - 1].iter().all(|&c| c == 20));
    // Back to normal: nothing more.
    for h in 73..80 {
        assert!(feed(&mut det, "topic=cancelled flight|brand=united", h, 20).is_empty());
    }
}

#[test]
fn a_jump_without_volume_raises_nothing() {
    let mut det = detector();
    for h in 0..72 {
        feed(&mut det, "area=SW1A|product=fibre", h, 2);
    }
    // Four times the usual count, but below the minimum count.
    assert!(feed(&mut det, "area=SW1A|product=fibre", 72, 8).is_empty());
}

#[test]
fn a_daily_rhythm_raises_nothing_after_warm_up() {
    let mut det = detector();
    let warmup = i64::from(det.config().warmup_buckets);
    for h in 0..24 * 14 {
        let hour_of_day = (h % 24) as f64;
        // Busy at 9am (about 200), quiet at 3am (about 5).
        let shape = ((hour_of_day - 9.0) * std::f64::consts::TAU / 24.0).cos().max(0.0);
        let count = (5.0 + 195.0 * shape) as i64;
        let count = (count + noise(h, (count / 10).max(1))).max(0) as u32;
        let alerts = feed(&mut det, "topic=delay", h, count);
        if h >= warmup {
            assert!(alerts.is_empty(), "hour {h} (count {count}): {alerts:?}");
        }
    }
}

#[test]
fn cooldown_holds_back_repeats_unless_the_burst_grows() {
    let mut det = detector();
    let key = "topic=outage";
    for h in 0..72 {
        feed(&mut det, key, h, 20);
    }
    assert_eq!(feed(&mut det, key, 72, 60).len(), 1);
    assert!(feed(&mut det, key, 73, 60).is_empty());
    assert!(feed(&mut det, key, 74, 65).is_empty());
    // It grows to 1.5 times the last anomalous bucket's count (60): a new
    // alert, raised as the count reaches 90.
    let grown = feed(&mut det, key, 75, 120);
    assert_eq!(grown.len(), 1);
    assert_eq!(grown[0].observed, 90);
}

#[test]
fn a_key_without_history_alerts_only_above_the_cold_threshold() {
    let mut det = BurstDetector::new(BurstConfig { startup_buckets: 0, ..BurstConfig::default() }).unwrap();
    // A new key with 50 mentions in its first hour: no baseline, not enough.
    assert!(feed(&mut det, "topic=new", 0, 50).is_empty());
    // During warm-up a modest rise is not enough either.
    assert!(feed(&mut det, "topic=new", 1, 99).is_empty());
    // A brand-new key with 150 mentions alerts against the floor.
    let alerts = feed(&mut det, "topic=fire", 2, 150);
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].expected, det.config().expected_floor);
    assert_eq!(alerts[0].observed, det.config().cold_min_count);
    assert_eq!(alerts[0].sparkline[SPARKLINE_LEN - 1], 100);
}

#[test]
fn an_alert_is_raised_by_the_event_that_crosses_not_at_the_close() {
    let mut det = detector();
    let key = "area=SW1A";
    for h in 0..48 {
        feed(&mut det, key, h, 10);
    }
    // Within hour 48, events one a minute: the alert comes from one of them,
    // long before the hour ends.
    let mut raised_at = None;
    for i in 0..60 {
        let alerts = det.observe(key, at(48, i));
        if !alerts.is_empty() {
            assert_eq!(alerts.len(), 1);
            raised_at = Some(i);
            break;
        }
    }
    let minute = raised_at.expect("an early alert");
    assert!((19..40).contains(&minute), "raised at minute {minute}");
    // The rest of the bucket and its close add nothing.
    for i in minute + 1..60 {
        assert!(det.observe(key, at(48, i)).is_empty());
    }
    assert!(det.advance(at(49, 0)).is_empty());
}

#[test]
fn nothing_alerts_while_the_detector_starts_up() {
    let mut det = detector();
    // Hundreds of mentions in the first hours of a fresh detector: learnt,
    // not raised; the same after the start-up day is raised.
    for h in 0..24 {
        assert!(feed(&mut det, "topic=fire", h, 150).is_empty(), "hour {h}");
    }
    assert_eq!(feed(&mut det, "topic=smoke", 24, 150).len(), 1);
}

#[test]
fn late_events_are_counted_not_folded() {
    let mut det = detector();
    det.observe("k", at(5, 0));
    det.advance(at(6, 0));
    assert!(det.observe("k", at(4, 59)).is_empty());
    assert_eq!(det.late_events(), 1);
}

#[test]
fn the_key_cap_evicts_the_quietest() {
    let cfg = BurstConfig { max_keys: 100, ..BurstConfig::default() };
    let mut det = BurstDetector::new(cfg).unwrap();
    for h in 0..5 {
        feed(&mut det, "loud", h, 50);
    }
    for i in 0..1000 {
        det.observe(&format!("quiet-{i}"), at(5, 0));
        assert!(det.len() <= 100);
    }
    det.advance(at(6, 0));
    assert!(det.index.contains_key("loud"));
}

#[test]
fn a_hundred_thousand_keys_fit_in_fifty_megabytes() {
    let mut det = detector();
    for i in 0..100_000 {
        det.observe(&format!("topic=term number {i}|brand=united"), at(0, 0));
    }
    det.advance(at(1, 0));
    assert_eq!(det.len(), 100_000);
    let bytes = det.approx_bytes();
    eprintln!("100,000 keys: about {} MB", bytes >> 20);
    assert!(bytes < 50 << 20, "{bytes} bytes");
    assert!(std::mem::size_of::<Option<KeyState>>() <= 208, "{}", std::mem::size_of::<Option<KeyState>>());
}

#[test]
fn bad_configurations_are_refused() {
    assert!(BurstDetector::new(BurstConfig { bucket_ms: 0, ..BurstConfig::default() }).is_err());
    assert!(BurstDetector::new(BurstConfig { alpha: 0.0, ..BurstConfig::default() }).is_err());
    assert!(BurstDetector::new(BurstConfig { max_keys: 0, ..BurstConfig::default() }).is_err());
}

/// Feeds `count` events for `key` on day `day` and closes the day.
fn feed_day(det: &mut BurstDetector, key: &str, day: i64, count: u32) -> Vec<BurstAlert> {
    let mut alerts = Vec::new();
    for i in 0..count {
        alerts.extend(det.observe(key, at(day * 24, i64::from(i) * 24 * 60 / i64::from(count.max(1)))));
    }
    alerts.extend(det.advance(at(day * 24 + 24, 0)));
    alerts
}

#[test]
fn daily_buckets_learn_no_season_and_catch_a_doubled_day() {
    let cfg = BurstConfig { bucket_ms: DAY_MS, warmup_buckets: 3, startup_buckets: 1, ..BurstConfig::default() };
    let mut det = BurstDetector::new(cfg).unwrap();
    // A steady week, then a day of twice and a half the volume.
    for (day, n) in [15, 19, 14, 21, 18].into_iter().enumerate() {
        assert!(feed_day(&mut det, "brand=united|topic=cancellation", day as i64, n).is_empty());
    }
    let alerts = feed_day(&mut det, "brand=united|topic=cancellation", 5, 45);
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    // The expected count is the mean of the days before: every bucket
    // starts at the same hour, so no seasonal factor bends it.
    assert!((alerts[0].expected - 17.4).abs() < 0.5, "expected {}", alerts[0].expected);
    let state = det.slots.iter().flatten().next().unwrap();
    assert_eq!(state.seen_hours, 0);
    // The storm is learnt capped at twice the expected count, not whole.
    assert!(state.level < 22.0, "level {}", state.level);
}
