//! Bursts: a streaming detector over keys in fixed time buckets.
//!
//! Each key keeps an EWMA baseline of its count per bucket (`level`) and 24
//! hourly seasonal factors learnt with their own EWMA, so the count expected
//! for a bucket is `level * season[hour of day]`. A daily rhythm (busy at
//! 9am, quiet at 3am) is therefore learnt, not alarmed on.
//!
//! Buckets are closed by event time: [`BurstDetector::observe`] with a time
//! in a later bucket, or [`BurstDetector::advance`], closes the open bucket.
//! Events older than the open bucket are late and only counted in
//! [`BurstDetector::late_events`]. At the close, each key seen in the bucket
//! is tested: it alerts when all of these hold:
//!
//! - the count is at least `min_count`;
//! - the count is at least `min_ratio` times the expected count;
//! - the Poisson upper tail `P(X >= count)` under the expected count is at
//!   most `max_p_value` (summed exactly in log space, see
//!   [`crate::poisson_upper_tail`]), with both scaled down by the key's
//!   dispersion when its counts vary more than Poisson counts do
//!   (quasi-Poisson). The dispersion is an EWMA of `(count - expected)^2 /
//!   expected` over the key's ordinary buckets after warm-up, so a key
//!   whose hourly counts swing widely (a brand's whole volume, collected
//!   unevenly) needs a larger jump than a steady one.
//!
//! A key with no history: its first `warmup_buckets` buckets (zero buckets
//! included) are a warm-up, during which it can alert only when its count is
//! at least `cold_min_count`, a high absolute threshold. In its very first
//! bucket there is no baseline at all, and the expected count is
//! `expected_floor`. We chose this over comparing with peer keys because
//! peers of a new topic are rarely alike, and a new key with hundreds of
//! mentions in its first hour is exactly what should be seen.
//!
//! Early alerts: a key is also tested while its bucket is still open, each
//! time its count grows, against the whole bucket's expected count. The
//! count so far can only grow, so an alert raised early is one the close
//! would raise too; raising it at once is what lets an alert reach a screen
//! seconds after the message that crossed the threshold, not when the hour
//! ends. A bucket that alerted early does not alert again at its close.
//!
//! Start-up: in the detector's own first `startup_buckets` buckets nothing
//! alerts: every key is new then, and the first day of a fresh install (or
//! of a replayed file) is for learning.
//!
//! Cooldown: after an alert, the same key does not alert again while its
//! anomaly continues (an anomalous bucket within `cooldown_buckets` of the
//! previous anomalous one) unless its count reaches `regrowth` times the last
//! alerted count. While a key is anomalous its baseline learns from the count
//! capped at `min_ratio` times the expected count, so a burst does not
//! become normal at once but a lasting change is adopted within hours.
//!
//! Memory: at most `max_keys` keys; when a new key would pass the cap, the
//! sixteenth of the keys with the lowest decayed level (quietest and oldest
//! together) is evicted. A key costs about 200 bytes of state, plus its text
//! and its table entry: about 30 MB for 100,000 keys of 40 characters
//! ([`BurstDetector::approx_bytes`] gives the estimate at run time).
//!
//! The hours of the seasonal profile are UTC hours; a rhythm in any time zone
//! is learnt all the same, since each of the 24 factors is learnt on its own.
//! With buckets longer than an hour, only the factors of the hours at which
//! buckets start are used. A bucket of a whole day has no time of day: its
//! expected count is the level alone, and no seasonal factor is learnt
//! (every bucket would start at the same hour, and the one factor would
//! only echo the level's last changes).

use std::collections::HashMap;
use std::sync::Arc;

use firebreak_domain::Timestamp;
use serde::Serialize;

use crate::ConfigError;
use crate::hash::SeededState;
use crate::poisson::poisson_upper_tail;

/// Buckets shown in an alert's sparkline, the current one last.
pub const SPARKLINE_LEN: usize = 24;

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;
/// Zero buckets folded into a key that was silent longer than this are
/// skipped: its level has decayed to nothing by then anyway.
const MAX_CATCH_UP: i64 = 24 * 7;
/// Below this level a key has no usable baseline to learn seasons from.
const LEVEL_EPS: f32 = 1e-3;
const SEASON_MIN: f32 = 0.01;
const SEASON_MAX: f32 = 100.0;

/// Settings of a [`BurstDetector`]. `Default` gives hourly buckets.
#[derive(Debug, Clone, PartialEq)]
pub struct BurstConfig {
    /// Length of a bucket in milliseconds (default one hour).
    pub bucket_ms: i64,
    /// EWMA weight of the newest bucket in the level (default 0.1).
    pub alpha: f32,
    /// EWMA weight of the newest day in an hour's seasonal factor (default 0.2).
    pub season_alpha: f32,
    /// Largest Poisson tail probability that can alert (default 1e-4).
    pub max_p_value: f64,
    /// Smallest count that can alert (default 10).
    pub min_count: u32,
    /// Smallest ratio of observed to expected that can alert (default 2.0).
    pub min_ratio: f64,
    /// Expected count used when there is no baseline (default 0.5).
    pub expected_floor: f64,
    /// Buckets of history before the normal test applies (default 24).
    pub warmup_buckets: u32,
    /// During warm-up, the smallest count that can alert (default 100).
    pub cold_min_count: u32,
    /// Buckets after an anomalous one in which no new alert is raised (default 3).
    pub cooldown_buckets: u32,
    /// Growth over the last alerted count that alerts again in cooldown (default 1.5).
    pub regrowth: f64,
    /// Cap on keys kept (default 200,000).
    pub max_keys: usize,
    /// Learn each key's dispersion and test quasi-Poisson (default true).
    pub overdispersion: bool,
    /// Where buckets start, in milliseconds after UTC midnight (default 0):
    /// daily buckets that start at a brand's own midnight (5 hours for US
    /// Eastern time) keep one local day's storm in one bucket.
    pub offset_ms: i64,
    /// Buckets from the detector's first event during which nothing alerts
    /// at all: a detector that has just started has no baseline for any key
    /// (default 24).
    pub startup_buckets: u32,
}

impl Default for BurstConfig {
    fn default() -> Self {
        BurstConfig {
            bucket_ms: HOUR_MS,
            alpha: 0.1,
            season_alpha: 0.2,
            max_p_value: 1e-4,
            min_count: 10,
            min_ratio: 2.0,
            expected_floor: 0.5,
            warmup_buckets: 24,
            cold_min_count: 100,
            cooldown_buckets: 3,
            regrowth: 1.5,
            max_keys: 200_000,
            overdispersion: true,
            offset_ms: 0,
            startup_buckets: 24,
        }
    }
}

impl BurstConfig {
    fn validate(&self) -> Result<(), ConfigError> {
        let unit = |x: f32| x > 0.0 && x <= 1.0;
        if !(1..=DAY_MS).contains(&self.bucket_ms) {
            return Err(ConfigError::invalid("bucket_ms", "between 1 ms and one day"));
        }
        if !unit(self.alpha) || !unit(self.season_alpha) {
            return Err(ConfigError::invalid("alpha and season_alpha", "in (0, 1]"));
        }
        if !(self.max_p_value > 0.0 && self.max_p_value <= 1.0) {
            return Err(ConfigError::invalid("max_p_value", "in (0, 1]"));
        }
        let at_least_one = |x: f64| x.is_finite() && x >= 1.0;
        if !at_least_one(self.min_ratio) || !at_least_one(self.regrowth) {
            return Err(ConfigError::invalid("min_ratio and regrowth", "finite and at least 1"));
        }
        if !(self.expected_floor > 0.0 && self.expected_floor.is_finite()) {
            return Err(ConfigError::invalid("expected_floor", "positive"));
        }
        if !(0..DAY_MS).contains(&self.offset_ms) {
            return Err(ConfigError::invalid("offset_ms", "at least 0 and less than a day"));
        }
        if self.max_keys == 0 || self.max_keys > u32::MAX as usize / 2 {
            return Err(ConfigError::invalid("max_keys", "between 1 and 2^31"));
        }
        Ok(())
    }
}

/// A key whose count in a closed bucket is far above its expected count.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BurstAlert {
    pub key: String,
    /// Start of the bucket that burst.
    pub bucket_start: Timestamp,
    pub observed: u32,
    pub expected: f64,
    /// `P(X >= observed)` for a Poisson count with the expected mean.
    pub p_value: f64,
    /// `observed / expected`.
    pub ratio: f64,
    /// The key's last [`SPARKLINE_LEN`] bucket counts, oldest first, this bucket last.
    pub sparkline: Vec<u32>,
}

/// A seasonal factor in `[SEASON_MIN, SEASON_MAX]`, kept as `log2` in
/// steps of 1/2048 (0.034% apart) in 16 bits, which halves the seasons'
/// share of a key's memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Season(u16);

impl Season {
    const ONE: Season = Season(32_768);

    fn new(factor: f32) -> Season {
        let factor = if factor.is_nan() { 1.0 } else { factor.clamp(SEASON_MIN, SEASON_MAX) };
        Season((factor.log2() * 2048.0 + 32_768.0).round().clamp(0.0, 65_535.0) as u16)
    }

    fn get(self) -> f32 {
        ((f32::from(self.0) - 32_768.0) / 2048.0).exp2()
    }
}

/// What the detector keeps for one key.
#[derive(Debug, Clone)]
struct KeyState {
    key: Arc<str>,
    level: f32,
    /// Hourly seasonal factors, log-scaled into 16 bits (see [`Season`]).
    season: [Season; 24],
    spark: [u32; SPARKLINE_LEN],
    /// Count in the open bucket.
    pending: u32,
    /// Hours of the day whose seasonal factor has been set.
    seen_hours: u32,
    /// How much more the key's counts vary than a Poisson count would: an
    /// EWMA of `(count - expected)^2 / expected`, at least 1 when used.
    dispersion: f32,
    /// Buckets folded into the baseline so far.
    history: u32,
    last_alert_observed: u32,
    /// True when the open bucket already raised an early alert.
    alerted_open: bool,
    /// Index of the last bucket folded into the baseline.
    last_closed: i64,
    /// Index of the last anomalous bucket, alerted or held back by cooldown.
    last_anomaly: i64,
    spark_head: u8,
}

impl KeyState {
    fn new(key: Arc<str>, open: i64) -> Self {
        KeyState {
            key,
            level: 0.0,
            season: [Season::ONE; 24],
            spark: [0; SPARKLINE_LEN],
            pending: 0,
            seen_hours: 0,
            dispersion: 1.0,
            history: 0,
            last_alert_observed: 0,
            alerted_open: false,
            last_closed: open - 1,
            last_anomaly: i64::MIN / 2,
            spark_head: 0,
        }
    }

    fn expected(&self, hour: usize, cfg: &BurstConfig) -> f64 {
        (f64::from(self.level) * f64::from(self.season[hour].get())).max(cfg.expected_floor)
    }

    /// True when buckets have a time of day to learn a rhythm from.
    fn seasonal(cfg: &BurstConfig) -> bool {
        cfg.bucket_ms < DAY_MS
    }

    /// Folds one closed bucket into the baseline: `learn` is the count the
    /// model learns from, `shown` the one the sparkline shows.
    fn fold(&mut self, learn: f32, shown: u32, hour: usize, cfg: &BurstConfig) {
        let bit = 1u32 << hour;
        let alpha = cfg.alpha.max(1.0 / (self.history as f32 + 1.0));
        if self.level >= LEVEL_EPS && KeyState::seasonal(cfg) {
            let target = (learn / self.level).clamp(SEASON_MIN, SEASON_MAX);
            let s = self.season[hour].get();
            let learnt = if self.seen_hours & bit == 0 { target } else { s + cfg.season_alpha * (target - s) };
            self.season[hour] = Season::new(learnt);
            self.seen_hours |= bit;
        }
        let deseasoned = learn / self.season[hour].get();
        self.level += alpha * (deseasoned - self.level);
        self.spark[usize::from(self.spark_head)] = shown;
        self.spark_head = ((usize::from(self.spark_head) + 1) % SPARKLINE_LEN) as u8;
        self.history = self.history.saturating_add(1);
        if self.history.is_multiple_of(24) {
            self.normalise_seasons();
        }
    }

    /// Rescales the seen hours' factors to a mean of one, moving the scale
    /// into the level, so that the two stay identifiable.
    fn normalise_seasons(&mut self) {
        let seen = self.seen_hours.count_ones();
        if seen == 0 {
            return;
        }
        let sum: f32 = (0..24).filter(|h| self.seen_hours & (1 << h) != 0).map(|h| self.season[h].get()).sum();
        let mean = sum / seen as f32;
        if mean > 0.0 && mean.is_finite() {
            for h in 0..24 {
                if self.seen_hours & (1 << h) != 0 {
                    self.season[h] = Season::new(self.season[h].get() / mean);
                }
            }
            self.level *= mean;
        }
    }

    fn sparkline(&self) -> Vec<u32> {
        let head = usize::from(self.spark_head);
        self.spark[head..].iter().chain(&self.spark[..head]).copied().collect()
    }
}

/// The burst detector. See the module documentation for the rules.
#[derive(Debug)]
pub struct BurstDetector {
    cfg: BurstConfig,
    index: HashMap<Arc<str>, u32, SeededState>,
    slots: Vec<Option<KeyState>>,
    free: Vec<u32>,
    /// Slots with a count in the open bucket (may hold duplicates and stale ids).
    dirty: Vec<u32>,
    /// Index of the open bucket, once an event has been seen.
    open: Option<i64>,
    /// Index of the first bucket the detector saw.
    first: Option<i64>,
    late: u64,
}

impl BurstDetector {
    pub fn new(cfg: BurstConfig) -> Result<Self, ConfigError> {
        cfg.validate()?;
        Ok(BurstDetector {
            cfg,
            index: HashMap::default(),
            slots: Vec::new(),
            free: Vec::new(),
            dirty: Vec::new(),
            open: None,
            first: None,
            late: 0,
        })
    }

    pub fn config(&self) -> &BurstConfig {
        &self.cfg
    }

    /// Keys kept now (never more than `max_keys`).
    pub fn len(&self) -> usize {
        self.index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// Events dropped because their bucket was already closed.
    pub fn late_events(&self) -> u64 {
        self.late
    }

    /// Counts one event for `key` at `at`, closing earlier buckets first.
    pub fn observe(&mut self, key: &str, at: Timestamp) -> Vec<BurstAlert> {
        self.observe_n(key, at, 1)
    }

    /// Counts `n` events for `key` at `at`, closing earlier buckets first.
    /// Returns the alerts of the buckets this closed.
    pub fn observe_n(&mut self, key: &str, at: Timestamp, n: u32) -> Vec<BurstAlert> {
        let bucket = self.bucket_of(at);
        self.first.get_or_insert(bucket);
        let alerts = match self.open {
            Some(open) if bucket < open => {
                self.late = self.late.saturating_add(u64::from(n));
                return Vec::new();
            }
            Some(open) if bucket > open => self.close_open(bucket),
            Some(_) => Vec::new(),
            None => {
                self.open = Some(bucket);
                Vec::new()
            }
        };
        if n == 0 {
            return alerts;
        }
        let id = match self.index.get(key) {
            Some(&id) => id,
            None => self.insert(key, bucket),
        };
        let mut alerts = alerts;
        if let Some(state) = self.slots[id as usize].as_mut() {
            if state.pending == 0 {
                self.dirty.push(id);
            }
            state.pending = state.pending.saturating_add(n);
            let started = bucket - self.first.unwrap_or(bucket) >= i64::from(self.cfg.startup_buckets);
            if started && let Some(alert) = test_open(state, bucket, &self.cfg) {
                alerts.push(alert);
            }
        }
        alerts
    }

    /// Closes every bucket that ends at or before `now`.
    pub fn advance(&mut self, now: Timestamp) -> Vec<BurstAlert> {
        match self.open {
            Some(open) => {
                let bucket = self.bucket_of(now);
                if bucket > open { self.close_open(bucket) } else { Vec::new() }
            }
            None => Vec::new(),
        }
    }

    /// An estimate of the heap and inline bytes held, from `size_of` of the
    /// parts and the capacities of the collections.
    pub fn approx_bytes(&self) -> usize {
        use std::mem::size_of;
        let index = self.index.capacity() * (size_of::<(Arc<str>, u32)>() + 1);
        let slots = self.slots.capacity() * size_of::<Option<KeyState>>();
        // An Arc<str> allocation: two counters and the text, rounded to 8.
        let keys: usize = self.index.keys().map(|k| (16 + k.len()).next_multiple_of(8)).sum();
        let ids = (self.free.capacity() + self.dirty.capacity()) * size_of::<u32>();
        size_of::<Self>() + index + slots + keys + ids
    }

    fn bucket_of(&self, at: Timestamp) -> i64 {
        (at.unix_millis() - self.cfg.offset_ms).div_euclid(self.cfg.bucket_ms)
    }

    fn insert(&mut self, key: &str, open: i64) -> u32 {
        if self.index.len() >= self.cfg.max_keys {
            self.evict(open);
        }
        let key: Arc<str> = Arc::from(key);
        let state = KeyState::new(key.clone(), open);
        let id = match self.free.pop() {
            Some(id) => {
                self.slots[id as usize] = Some(state);
                id
            }
            None => {
                // Grow by a quarter, not double, so a large table wastes
                // little; never past the cap.
                if self.slots.len() == self.slots.capacity() {
                    let more = (self.slots.len() / 4).max(1024).min(self.cfg.max_keys.saturating_sub(self.slots.len()));
                    self.slots.reserve_exact(more.max(1));
                }
                self.slots.push(Some(state));
                (self.slots.len() - 1) as u32
            }
        };
        self.index.insert(key, id);
        id
    }

    /// Evicts a sixteenth of the keys (at least one): those with the lowest
    /// level decayed by their silence, or by count in the open bucket.
    fn evict(&mut self, open: i64) {
        let decay = 1.0 - f64::from(self.cfg.alpha);
        let mut scored: Vec<(f64, u32)> = self
            .slots
            .iter()
            .enumerate()
            .filter_map(|(id, slot)| {
                let s = slot.as_ref()?;
                let silent = (open - s.last_closed).clamp(0, 1000) as i32;
                let score = (f64::from(s.level) * decay.powi(silent)).max(f64::from(s.pending));
                Some((score, id as u32))
            })
            .collect();
        let batch = (self.cfg.max_keys / 16).clamp(1, scored.len().max(1));
        if scored.len() > batch {
            scored.select_nth_unstable_by(batch - 1, |a, b| a.0.total_cmp(&b.0));
        }
        for &(_, id) in scored.iter().take(batch) {
            if let Some(state) = self.slots[id as usize].take() {
                self.index.remove(&state.key);
                self.free.push(id);
            }
        }
    }

    /// Closes the open bucket and opens `next`, returning the alerts.
    fn close_open(&mut self, next: i64) -> Vec<BurstAlert> {
        let Some(closing) = self.open else {
            return Vec::new();
        };
        self.open = Some(next);
        let hour = hour_of(closing, &self.cfg);
        let bucket_start = start_of(closing, &self.cfg);
        let mut alerts = Vec::new();
        let dirty = std::mem::take(&mut self.dirty);
        for &id in &dirty {
            let Some(state) = self.slots.get_mut(id as usize).and_then(Option::as_mut) else {
                continue;
            };
            if state.pending == 0 {
                continue;
            }
            let observed = std::mem::take(&mut state.pending);
            let gap_start = (state.last_closed + 1).max(closing - MAX_CATCH_UP);
            for b in gap_start..closing {
                state.fold(0.0, 0, hour_of(b, &self.cfg), &self.cfg);
            }
            let started = closing - self.first.unwrap_or(closing) >= i64::from(self.cfg.startup_buckets);
            if let Some(alert) = test_and_fold(state, observed, closing, hour, bucket_start, &self.cfg)
                && started
            {
                alerts.push(alert);
            }
            state.last_closed = closing;
        }
        self.dirty = dirty;
        self.dirty.clear();
        alerts
    }
}

/// The hour of the day (UTC) at which bucket `bucket` starts.
fn start_of(bucket: i64, cfg: &BurstConfig) -> Timestamp {
    Timestamp::EPOCH.plus_millis(bucket.saturating_mul(cfg.bucket_ms).saturating_add(cfg.offset_ms))
}

fn hour_of(bucket: i64, cfg: &BurstConfig) -> usize {
    (bucket.saturating_mul(cfg.bucket_ms).saturating_add(cfg.offset_ms).rem_euclid(DAY_MS) / HOUR_MS) as usize
}

/// The tail `P(X >= observed)` when counts vary `dispersion` times more
/// than Poisson counts (quasi-Poisson: both sides scaled down by the
/// dispersion, which is at least 1).
fn quasi_poisson_tail(observed: u32, expected: f64, dispersion: f32) -> f64 {
    let phi = f64::from(dispersion).max(1.0);
    poisson_upper_tail((f64::from(observed) / phi).floor() as u64, expected / phi)
}

/// Tests a key's open bucket with its count so far against the whole
/// bucket's expected count; returns an early alert the first time it is
/// anomalous (and not held back by cooldown).
fn test_open(state: &mut KeyState, bucket: i64, cfg: &BurstConfig) -> Option<BurstAlert> {
    if state.alerted_open {
        return None;
    }
    let observed = state.pending;
    let warm = state.history >= cfg.warmup_buckets;
    let min_count = if warm { cfg.min_count } else { cfg.min_count.max(cfg.cold_min_count) };
    if observed < min_count {
        return None;
    }
    let hour = hour_of(bucket, cfg);
    let expected = state.expected(hour, cfg);
    let ratio = f64::from(observed) / expected;
    if ratio < cfg.min_ratio {
        return None;
    }
    let in_cooldown = bucket - state.last_anomaly <= i64::from(cfg.cooldown_buckets);
    let regrown = f64::from(observed) >= f64::from(state.last_alert_observed) * cfg.regrowth;
    if in_cooldown && !regrown {
        return None;
    }
    let p_value = quasi_poisson_tail(observed, expected, state.dispersion);
    if p_value > cfg.max_p_value {
        return None;
    }
    state.alerted_open = true;
    state.last_anomaly = bucket;
    state.last_alert_observed = observed;
    let mut sparkline = state.sparkline();
    sparkline.remove(0);
    sparkline.push(observed);
    Some(BurstAlert {
        key: state.key.to_string(),
        bucket_start: start_of(bucket, cfg),
        observed,
        expected,
        p_value,
        ratio,
        sparkline,
    })
}

/// Tests a key's closed bucket against its baseline, then folds it in.
fn test_and_fold(
    state: &mut KeyState,
    observed: u32,
    bucket: i64,
    hour: usize,
    bucket_start: Timestamp,
    cfg: &BurstConfig,
) -> Option<BurstAlert> {
    let expected = state.expected(hour, cfg);
    let ratio = f64::from(observed) / expected;
    let warm = state.history >= cfg.warmup_buckets;
    let min_count = if warm { cfg.min_count } else { cfg.min_count.max(cfg.cold_min_count) };
    let mut anomalous = observed >= min_count && ratio >= cfg.min_ratio;
    let mut p_value = 1.0;
    if anomalous {
        p_value = quasi_poisson_tail(observed, expected, state.dispersion);
        anomalous = p_value <= cfg.max_p_value;
    }
    // The key's own noise: learnt from ordinary buckets only, once the
    // baseline can be trusted, and never below Poisson's.
    if cfg.overdispersion && !anomalous && warm && expected > cfg.expected_floor {
        let d = (f64::from(observed) - expected).powi(2) / expected;
        state.dispersion += cfg.alpha * (d.min(50.0) as f32 - state.dispersion);
    }
    let mut alert = None;
    if std::mem::take(&mut state.alerted_open) {
        // Raised while the bucket was open: the episode is known already.
        state.last_alert_observed = state.last_alert_observed.max(observed);
        state.last_anomaly = bucket;
    } else if anomalous {
        let in_cooldown = bucket - state.last_anomaly <= i64::from(cfg.cooldown_buckets);
        let regrown = f64::from(observed) >= f64::from(state.last_alert_observed) * cfg.regrowth;
        state.last_anomaly = bucket;
        if !in_cooldown || regrown {
            state.last_alert_observed = observed;
            alert = Some(());
        }
    }
    // A burst is learnt capped, but only against a baseline that exists:
    // in warm-up, or in an hour never seen, the count is the best estimate.
    let trusted = warm && (!KeyState::seasonal(cfg) || state.seen_hours & (1 << hour) != 0);
    let learn =
        if anomalous && trusted { (expected * cfg.min_ratio).min(f64::from(observed)) } else { f64::from(observed) };
    state.fold(learn as f32, observed, hour, cfg);
    alert.map(|()| BurstAlert {
        key: state.key.to_string(),
        bucket_start,
        observed,
        expected,
        p_value,
        ratio,
        sparkline: state.sparkline(),
    })
}

#[cfg(test)]
#[path = "burst_tests.rs"]
mod tests;
