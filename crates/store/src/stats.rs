//! Counters the store keeps about itself, read by `/metrics`.

use std::sync::{
    Arc,
    atomic::{AtomicU64, Ordering},
};

/// A fixed-bucket histogram that many threads can observe into.
#[derive(Debug)]
pub struct Histogram {
    bounds: &'static [f64],
    counts: Vec<AtomicU64>,
    /// The sum of observations, in millionths of the unit.
    sum_micros: AtomicU64,
    count: AtomicU64,
}

/// A copy of a histogram at one moment: cumulative counts per upper bound.
#[derive(Debug, Clone, PartialEq)]
pub struct HistogramSnapshot {
    pub buckets: Vec<(f64, u64)>,
    pub sum: f64,
    pub count: u64,
}

impl Histogram {
    pub fn new(bounds: &'static [f64]) -> Histogram {
        Histogram {
            bounds,
            counts: bounds.iter().map(|_| AtomicU64::new(0)).collect(),
            sum_micros: AtomicU64::new(0),
            count: AtomicU64::new(0),
        }
    }

    pub fn observe(&self, v: f64) {
        if let Some(i) = self.bounds.iter().position(|b| v <= *b) {
            self.counts[i].fetch_add(1, Ordering::Relaxed);
        }
        self.sum_micros.fetch_add((v.max(0.0) * 1e6) as u64, Ordering::Relaxed);
        self.count.fetch_add(1, Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> HistogramSnapshot {
        let mut cumulative = 0;
        let buckets = self
            .bounds
            .iter()
            .zip(&self.counts)
            .map(|(b, c)| {
                cumulative += c.load(Ordering::Relaxed);
                (*b, cumulative)
            })
            .collect();
        HistogramSnapshot {
            buckets,
            sum: self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6,
            count: self.count.load(Ordering::Relaxed),
        }
    }
}

/// Upper bounds of the commit latency buckets, in seconds.
const LATENCY_BOUNDS: &[f64] = &[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];
/// Upper bounds of the group size buckets, in messages.
const GROUP_BOUNDS: &[f64] = &[1.0, 10.0, 100.0, 500.0, 1000.0, 2000.0, 5000.0, 10000.0, 50000.0];

#[derive(Debug)]
pub(crate) struct StatsInner {
    pub messages_stored: AtomicU64,
    pub messages_duplicate: AtomicU64,
    pub groups_committed: AtomicU64,
    pub commit_failures: AtomicU64,
    pub commit_seconds: Histogram,
    pub group_messages: Histogram,
    /// Community changes committed (caches of derived community figures
    /// compare it).
    pub community_changes: AtomicU64,
}

impl StatsInner {
    pub fn new() -> Arc<StatsInner> {
        Arc::new(StatsInner {
            messages_stored: AtomicU64::new(0),
            community_changes: AtomicU64::new(0),
            messages_duplicate: AtomicU64::new(0),
            groups_committed: AtomicU64::new(0),
            commit_failures: AtomicU64::new(0),
            commit_seconds: Histogram::new(LATENCY_BOUNDS),
            group_messages: Histogram::new(GROUP_BOUNDS),
        })
    }

    pub fn snapshot(&self) -> StoreStats {
        StoreStats {
            messages_stored: self.messages_stored.load(Ordering::Relaxed),
            messages_duplicate: self.messages_duplicate.load(Ordering::Relaxed),
            groups_committed: self.groups_committed.load(Ordering::Relaxed),
            commit_failures: self.commit_failures.load(Ordering::Relaxed),
            commit_seconds: self.commit_seconds.snapshot(),
            group_messages: self.group_messages.snapshot(),
        }
    }
}

/// The store's counters since it was opened.
#[derive(Debug, Clone)]
pub struct StoreStats {
    /// New messages committed.
    pub messages_stored: u64,
    /// Re-deliveries recognised.
    pub messages_duplicate: u64,
    pub groups_committed: u64,
    pub commit_failures: u64,
    /// Time from the start of a group's transaction to its durable commit.
    pub commit_seconds: HistogramSnapshot,
    /// Messages per committed group.
    pub group_messages: HistogramSnapshot,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_is_cumulative() {
        static B: &[f64] = &[1.0, 10.0];
        let h = Histogram::new(B);
        for v in [0.5, 2.0, 3.0, 50.0] {
            h.observe(v);
        }
        let s = h.snapshot();
        assert_eq!(s.buckets, vec![(1.0, 1), (10.0, 3)]);
        assert_eq!(s.count, 4);
        assert!((s.sum - 55.5).abs() < 1e-6);
    }
}
