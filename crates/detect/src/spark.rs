//! Sparks: a momentum score per post, and one alert when it crosses a
//! threshold.
//!
//! The caller gives each delivery of a post: its cumulative engagement
//! (likes, shares, replies) at a time, and the signals judged elsewhere
//! (sentiment, the author's followers, shaming and press or regulator
//! markers). The momentum, in `[0, 1]`, is `heat * spread`:
//!
//! - `heat = min(1, negativity + 0.5 * shaming + 0.5 * press_or_regulator)`,
//!   with `negativity = max(0, -sentiment)`, so a positive post without
//!   markers has no heat, however fast it spreads;
//! - `spread = 0.6 * velocity + 0.4 * reach`, where `reach` is
//!   `ln(1 + followers) / ln(1 + full_reach_followers)` and `velocity` is
//!   `ln(1 + rate) / ln(1 + full_rate_per_minute)`, both capped at 1;
//! - `rate` is the growth of `share_weight * shares + reply_weight * replies`
//!   per minute between the last two deliveries (shares weigh most; likes do
//!   not count, they say little about spread). Gaps under a minute count as
//!   a minute, so two deliveries a millisecond apart cannot explode it.
//!
//! A post alerts once, the first time its momentum reaches the threshold.
//! Memory: posts not updated within `window_ms` of the latest time seen are
//! forgotten, and at most `max_posts` are kept (the least recently updated
//! go first). A forgotten post that comes back starts afresh.

use std::collections::HashMap;

use firebreak_domain::Timestamp;
use serde::Serialize;

use crate::ConfigError;

/// Settings of a [`SparkTracker`].
#[derive(Debug, Clone, PartialEq)]
pub struct SparkConfig {
    /// Momentum at which a post alerts (default 0.45).
    pub threshold: f64,
    /// How long a post is remembered after its last update (default 48 hours).
    pub window_ms: i64,
    /// Cap on posts kept (default 200,000).
    pub max_posts: usize,
    /// Weight of a share in the growth rate (default 3).
    pub share_weight: f64,
    /// Weight of a reply in the growth rate (default 1).
    pub reply_weight: f64,
    /// Weighted growth per minute at which velocity is full (default 100).
    pub full_rate_per_minute: f64,
    /// Followers at which reach is full (default 10 million).
    pub full_reach_followers: u64,
}

impl Default for SparkConfig {
    fn default() -> Self {
        SparkConfig {
            threshold: 0.45,
            window_ms: 48 * 3_600_000,
            max_posts: 200_000,
            share_weight: 3.0,
            reply_weight: 1.0,
            full_rate_per_minute: 100.0,
            full_reach_followers: 10_000_000,
        }
    }
}

/// Cumulative engagement of a post at one delivery.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Engagement {
    pub likes: u64,
    pub shares: u64,
    pub replies: u64,
}

/// What the caller judged about a post and its author.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct SparkSignals {
    /// Sentiment score in `[-1, 1]`; values outside are clamped.
    pub sentiment: f32,
    pub followers: u64,
    /// The post shames the brand or a person (a call-out, a boycott).
    pub shaming: bool,
    /// Press or a regulator is mentioned or is the author.
    pub press_or_regulator: bool,
}

/// A post whose momentum crossed the threshold, with the evidence.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SparkAlert {
    pub post_id: String,
    pub at: Timestamp,
    pub momentum: f64,
    pub negativity: f64,
    pub reach: f64,
    /// Weighted shares and replies gained per minute.
    pub rate_per_minute: f64,
    pub engagement: Engagement,
}

#[derive(Debug, Clone)]
struct PostState {
    last_at: i64,
    last: Engagement,
    alerted: bool,
}

/// Tracks posts and raises one [`SparkAlert`] per post.
#[derive(Debug)]
pub struct SparkTracker {
    cfg: SparkConfig,
    posts: HashMap<Box<str>, PostState>,
    /// The latest time seen, which the window is measured from.
    watermark: i64,
    updates: u64,
}

impl SparkTracker {
    pub fn new(cfg: SparkConfig) -> Result<Self, ConfigError> {
        if !(cfg.threshold > 0.0 && cfg.threshold <= 1.0) {
            return Err(ConfigError::invalid("threshold", "in (0, 1]"));
        }
        if cfg.window_ms <= 0 || cfg.max_posts == 0 {
            return Err(ConfigError::invalid("window_ms and max_posts", "positive"));
        }
        let weights = [cfg.share_weight, cfg.reply_weight];
        if weights.iter().any(|w| !(w.is_finite() && *w >= 0.0)) {
            return Err(ConfigError::invalid("share_weight and reply_weight", "finite and not negative"));
        }
        if !(cfg.full_rate_per_minute.is_finite() && cfg.full_rate_per_minute > 0.0) || cfg.full_reach_followers == 0 {
            return Err(ConfigError::invalid("full_rate_per_minute and full_reach_followers", "positive"));
        }
        Ok(SparkTracker { cfg, posts: HashMap::new(), watermark: i64::MIN, updates: 0 })
    }

    /// Posts remembered now (never more than `max_posts`).
    pub fn len(&self) -> usize {
        self.posts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.posts.is_empty()
    }

    /// The momentum of a post with these signals growing at `rate_per_minute`.
    pub fn momentum(&self, signals: &SparkSignals, rate_per_minute: f64) -> f64 {
        let (negativity, reach) = (self.negativity(signals), self.reach(signals));
        momentum_of(negativity, reach, self.velocity(rate_per_minute), signals)
    }

    /// Records one delivery of `post_id`; returns an alert the first time
    /// the post's momentum reaches the threshold.
    pub fn update(
        &mut self,
        post_id: &str,
        at: Timestamp,
        metrics: Engagement,
        signals: SparkSignals,
    ) -> Option<SparkAlert> {
        let now = at.unix_millis();
        self.watermark = self.watermark.max(now);
        if now < self.watermark.saturating_sub(self.cfg.window_ms) {
            return None;
        }
        self.updates += 1;
        if self.updates.is_multiple_of(4096) {
            self.expire();
        }
        if !self.posts.contains_key(post_id) && self.posts.len() >= self.cfg.max_posts {
            self.expire();
            if self.posts.len() >= self.cfg.max_posts {
                self.evict_oldest();
            }
        }
        let weighted =
            |e: &Engagement| self.cfg.share_weight * e.shares as f64 + self.cfg.reply_weight * e.replies as f64;
        let (rate, already) = match self.posts.get(post_id) {
            Some(prev) if now > prev.last_at => {
                let minutes = ((now - prev.last_at) as f64 / 60_000.0).max(1.0);
                (((weighted(&metrics) - weighted(&prev.last)) / minutes).max(0.0), prev.alerted)
            }
            Some(prev) => (0.0, prev.alerted),
            None => (0.0, false),
        };
        let (negativity, reach) = (self.negativity(&signals), self.reach(&signals));
        let momentum = momentum_of(negativity, reach, self.velocity(rate), &signals);
        let fire = !already && momentum >= self.cfg.threshold;
        let state =
            self.posts.entry(Box::from(post_id)).or_insert(PostState { last_at: now, last: metrics, alerted: false });
        if now >= state.last_at {
            state.last_at = now;
            state.last = metrics;
        }
        state.alerted |= fire;
        fire.then(|| SparkAlert {
            post_id: post_id.to_string(),
            at,
            momentum,
            negativity,
            reach,
            rate_per_minute: rate,
            engagement: metrics,
        })
    }

    fn negativity(&self, s: &SparkSignals) -> f64 {
        let sentiment = if s.sentiment.is_finite() { f64::from(s.sentiment).clamp(-1.0, 1.0) } else { 0.0 };
        (-sentiment).max(0.0)
    }

    fn reach(&self, s: &SparkSignals) -> f64 {
        ((s.followers as f64).ln_1p() / (self.cfg.full_reach_followers as f64).ln_1p()).min(1.0)
    }

    fn velocity(&self, rate: f64) -> f64 {
        if !rate.is_finite() || rate <= 0.0 {
            return if rate == f64::INFINITY { 1.0 } else { 0.0 };
        }
        (rate.ln_1p() / self.cfg.full_rate_per_minute.ln_1p()).min(1.0)
    }

    /// Forgets posts not updated within the window.
    fn expire(&mut self) {
        let oldest = self.watermark.saturating_sub(self.cfg.window_ms);
        self.posts.retain(|_, p| p.last_at >= oldest);
    }

    /// Forgets the least recently updated sixteenth of the posts.
    fn evict_oldest(&mut self) {
        let mut times: Vec<i64> = self.posts.values().map(|p| p.last_at).collect();
        let batch = (self.cfg.max_posts / 16).clamp(1, times.len().max(1));
        let (_, &mut cut, _) = times.select_nth_unstable(batch - 1);
        let mut left = batch;
        self.posts.retain(|_, p| {
            if p.last_at <= cut && left > 0 {
                left -= 1;
                false
            } else {
                true
            }
        });
    }
}

fn momentum_of(negativity: f64, reach: f64, velocity: f64, s: &SparkSignals) -> f64 {
    let markers = 0.5 * f64::from(u8::from(s.shaming)) + 0.5 * f64::from(u8::from(s.press_or_regulator));
    let heat = (negativity + markers).min(1.0);
    let spread = 0.6 * velocity + 0.4 * reach;
    (heat * spread).clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minute: i64) -> Timestamp {
        Timestamp::from_unix_millis(1_767_571_200_000 + minute * 60_000).unwrap()
    }

    fn tracker() -> SparkTracker {
        SparkTracker::new(SparkConfig::default()).unwrap()
    }

    /// Five deliveries, five minutes apart, gaining 60 shares and 20 replies each time.
    fn fast_growth(t: &mut SparkTracker, post: &str, sentiment: f32) -> Vec<SparkAlert> {
        let signals = SparkSignals { sentiment, followers: 1_000, ..SparkSignals::default() };
        (0..5)
            .filter_map(|i| {
                let metrics = Engagement { likes: 200 * i, shares: 60 * i, replies: 20 * i };
                t.update(post, at(5 * i as i64), metrics, signals)
            })
            .collect()
    }

    #[test]
    fn a_negative_post_growing_fast_alerts_once_and_a_positive_one_does_not() {
        let mut t = tracker();
        let negative = fast_growth(&mut t, "post-neg", -0.8);
        assert_eq!(negative.len(), 1, "{negative:?}");
        let alert = &negative[0];
        assert_eq!(alert.post_id, "post-neg");
        assert_eq!(alert.at, at(5));
        assert!((alert.rate_per_minute - 40.0).abs() < 1e-9, "{}", alert.rate_per_minute);
        assert!(alert.momentum >= 0.45 && (alert.negativity - 0.8).abs() < 1e-6);
        assert!(fast_growth(&mut t, "post-pos", 0.8).is_empty());
    }

    #[test]
    fn a_negative_post_that_does_not_spread_stays_quiet() {
        let mut t = tracker();
        let signals = SparkSignals { sentiment: -1.0, followers: 5_000, ..SparkSignals::default() };
        for i in 0..10 {
            let metrics = Engagement { likes: i, shares: i / 3, replies: i / 2 };
            assert!(t.update("calm", at(10 * i as i64), metrics, signals).is_none());
        }
    }

    #[test]
    fn markers_heat_a_neutral_post_from_a_large_account() {
        let t = tracker();
        let plain = SparkSignals { sentiment: 0.0, followers: 2_000_000, ..SparkSignals::default() };
        let shamed = SparkSignals { shaming: true, press_or_regulator: true, ..plain };
        assert_eq!(t.momentum(&plain, 50.0), 0.0);
        assert!(t.momentum(&shamed, 50.0) >= 0.45);
    }

    #[test]
    fn memory_is_bounded_by_the_cap_and_the_window() {
        let cfg = SparkConfig { max_posts: 100, window_ms: 60 * 60_000, ..SparkConfig::default() };
        let mut t = SparkTracker::new(cfg).unwrap();
        for i in 0..1_000 {
            t.update(&format!("p{i}"), at(0), Engagement::default(), SparkSignals::default());
            assert!(t.len() <= 100);
        }
        // Two hours later, everything older than an hour is forgotten.
        t.update("late", at(120), Engagement::default(), SparkSignals::default());
        t.update("later", at(121), Engagement::default(), SparkSignals::default());
        t.expire();
        assert_eq!(t.len(), 2);
        // An update older than the window is ignored.
        assert!(t.update("old", at(0), Engagement::default(), SparkSignals::default()).is_none());
        assert_eq!(t.len(), 2);
    }
}
