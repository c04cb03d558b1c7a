//! Emerging terms: a Space-Saving heavy-hitter sketch over terms and
//! hashtags, kept per time bucket, so topics nobody configured can be found.
//!
//! [`HeavyHitters`] keeps at most `k` counters. A term already counted is
//! incremented; a new term takes over the smallest counter, inheriting its
//! count as its error. For every counted term the true count lies in
//! `[count - error, count]`, every error is at most `total / k`, and a term
//! not counted has a true count of at most [`HeavyHitters::min_count`]. The
//! counters sit in a min-heap, so an update costs one hash and O(log k) in
//! the worst case (usually O(1)).
//!
//! [`EmergingTerms`] keeps one sketch for the open bucket and snapshots of
//! the last few closed ones; [`EmergingTerms::growth`] compares each term's
//! guaranteed count now with its largest possible mean count before.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use firebreak_domain::Timestamp;
use serde::Serialize;

use crate::ConfigError;
use crate::hash::SeededState;

/// A term with its counted value and the most that count may overstate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TermCount {
    pub term: String,
    /// An upper bound of the true count.
    pub count: u64,
    /// `count - error` is a lower bound of the true count.
    pub error: u64,
}

/// How much a term grew in the open bucket against the closed ones.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TermGrowth {
    pub term: String,
    /// The guaranteed count in the open bucket (`count - error`).
    pub current: u64,
    /// The largest possible mean count per bucket in the previous buckets.
    pub previous: f64,
    /// `current - previous`, what the list is sorted by.
    pub increase: f64,
    /// `(current + 1) / (previous + 1)`.
    pub ratio: f64,
}

#[derive(Debug, Clone)]
struct Counter {
    term: Arc<str>,
    count: u64,
    error: u64,
}

/// A Space-Saving sketch with `k` counters.
#[derive(Debug, Clone)]
pub struct HeavyHitters {
    k: usize,
    index: HashMap<Arc<str>, u32, SeededState>,
    /// Counters by slot; slots never move.
    slots: Vec<Counter>,
    /// A min-heap of slots by count.
    heap: Vec<u32>,
    /// The heap position of each slot.
    pos: Vec<u32>,
    total: u64,
}

impl HeavyHitters {
    pub fn new(k: usize) -> Result<Self, ConfigError> {
        if k == 0 || k > u32::MAX as usize / 2 {
            return Err(ConfigError::invalid("k", "between 1 and 2^31"));
        }
        Ok(HeavyHitters {
            k,
            index: HashMap::with_capacity_and_hasher(k, SeededState::default()),
            slots: Vec::with_capacity(k),
            heap: Vec::with_capacity(k),
            pos: Vec::with_capacity(k),
            total: 0,
        })
    }

    /// Counters in use (never more than `k`).
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Occurrences counted, all terms together.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// The smallest counter once all `k` are in use, else 0: no term outside
    /// the sketch occurred more often than this.
    pub fn min_count(&self) -> u64 {
        if self.slots.len() < self.k { 0 } else { self.heap.first().map_or(0, |&s| self.slots[s as usize].count) }
    }

    pub fn add(&mut self, term: &str) {
        self.add_n(term, 1);
    }

    pub fn add_n(&mut self, term: &str, n: u64) {
        if n == 0 {
            return;
        }
        self.total = self.total.saturating_add(n);
        if let Some(&slot) = self.index.get(term) {
            let c = &mut self.slots[slot as usize];
            c.count = c.count.saturating_add(n);
            self.sift_down(self.pos[slot as usize] as usize);
        } else if self.slots.len() < self.k {
            let slot = self.slots.len() as u32;
            let term: Arc<str> = Arc::from(term);
            self.slots.push(Counter { term: term.clone(), count: n, error: 0 });
            self.index.insert(term, slot);
            self.heap.push(slot);
            self.pos.push(slot);
            self.sift_up(self.heap.len() - 1);
        } else {
            let slot = self.heap[0];
            let min = self.slots[slot as usize].count;
            let term: Arc<str> = Arc::from(term);
            let old = std::mem::replace(
                &mut self.slots[slot as usize],
                Counter { term: term.clone(), count: min.saturating_add(n), error: min },
            );
            self.index.remove(&old.term);
            self.index.insert(term, slot);
            self.sift_down(0);
        }
    }

    /// The `n` largest counters, largest first (ties by term).
    pub fn top(&self, n: usize) -> Vec<TermCount> {
        let mut all: Vec<&Counter> = self.slots.iter().collect();
        all.sort_unstable_by(|a, b| b.count.cmp(&a.count).then_with(|| a.term.cmp(&b.term)));
        all.into_iter()
            .take(n)
            .map(|c| TermCount { term: c.term.to_string(), count: c.count, error: c.error })
            .collect()
    }

    /// The counter of `term`, if it has one.
    pub fn get(&self, term: &str) -> Option<TermCount> {
        let c = &self.slots[*self.index.get(term)? as usize];
        Some(TermCount { term: c.term.to_string(), count: c.count, error: c.error })
    }

    /// The largest count `term` may have had.
    pub fn upper_bound(&self, term: &str) -> u64 {
        self.index.get(term).map_or(self.min_count(), |&s| self.slots[s as usize].count)
    }

    fn count_at(&self, heap_pos: usize) -> u64 {
        self.slots[self.heap[heap_pos] as usize].count
    }

    fn swap(&mut self, a: usize, b: usize) {
        self.heap.swap(a, b);
        self.pos[self.heap[a] as usize] = a as u32;
        self.pos[self.heap[b] as usize] = b as u32;
    }

    fn sift_up(&mut self, mut i: usize) {
        while i > 0 {
            let parent = (i - 1) / 2;
            if self.count_at(i) >= self.count_at(parent) {
                break;
            }
            self.swap(i, parent);
            i = parent;
        }
    }

    fn sift_down(&mut self, mut i: usize) {
        let len = self.heap.len();
        loop {
            let (l, r) = (2 * i + 1, 2 * i + 2);
            let mut least = i;
            if l < len && self.count_at(l) < self.count_at(least) {
                least = l;
            }
            if r < len && self.count_at(r) < self.count_at(least) {
                least = r;
            }
            if least == i {
                break;
            }
            self.swap(i, least);
            i = least;
        }
    }
}

/// A closed bucket's counters: upper bounds, and the bound for absent terms.
#[derive(Debug, Clone, Default)]
struct Snapshot {
    counts: HashMap<Arc<str>, u64, SeededState>,
    floor: u64,
}

impl Snapshot {
    fn of(sketch: HeavyHitters) -> Snapshot {
        let floor = sketch.min_count();
        Snapshot { counts: sketch.slots.into_iter().map(|c| (c.term, c.count)).collect(), floor }
    }

    fn upper_bound(&self, term: &str) -> u64 {
        self.counts.get(term).copied().unwrap_or(self.floor)
    }
}

/// Heavy hitters per time bucket, with the growth against earlier buckets.
#[derive(Debug, Clone)]
pub struct EmergingTerms {
    bucket_ms: i64,
    k: usize,
    history: usize,
    open: Option<i64>,
    current: HeavyHitters,
    previous: VecDeque<Snapshot>,
    late: u64,
}

impl EmergingTerms {
    /// Buckets of `bucket_ms`, `k` counters per bucket, and `history` closed
    /// buckets kept to compare with (at least one).
    pub fn new(bucket_ms: i64, k: usize, history: usize) -> Result<Self, ConfigError> {
        if bucket_ms <= 0 {
            return Err(ConfigError::invalid("bucket_ms", "positive"));
        }
        if !(1..=1000).contains(&history) {
            return Err(ConfigError::invalid("history", "between 1 and 1000"));
        }
        Ok(EmergingTerms {
            bucket_ms,
            k,
            history,
            open: None,
            current: HeavyHitters::new(k)?,
            previous: VecDeque::with_capacity(history),
            late: 0,
        })
    }

    /// The sketch of the open bucket.
    pub fn current(&self) -> &HeavyHitters {
        &self.current
    }

    /// Closed buckets kept (at most `history`).
    pub fn closed_buckets(&self) -> usize {
        self.previous.len()
    }

    /// Occurrences dropped because their bucket was already closed.
    pub fn late_events(&self) -> u64 {
        self.late
    }

    /// Counts `term` at `at`, closing earlier buckets first.
    pub fn observe(&mut self, term: &str, at: Timestamp) {
        self.observe_n(term, at, 1);
    }

    pub fn observe_n(&mut self, term: &str, at: Timestamp, n: u64) {
        let bucket = at.unix_millis().div_euclid(self.bucket_ms);
        match self.open {
            Some(open) if bucket < open => {
                self.late = self.late.saturating_add(n);
                return;
            }
            Some(open) if bucket > open => self.roll(open, bucket),
            Some(_) => {}
            None => self.open = Some(bucket),
        }
        self.current.add_n(term, n);
    }

    /// Closes the open bucket if `now` is past it.
    pub fn advance(&mut self, now: Timestamp) {
        let bucket = now.unix_millis().div_euclid(self.bucket_ms);
        if let Some(open) = self.open.filter(|&open| bucket > open) {
            self.roll(open, bucket);
        }
    }

    /// The `n` most frequent terms of the open bucket.
    pub fn top(&self, n: usize) -> Vec<TermCount> {
        self.current.top(n)
    }

    /// The `n` terms of the open bucket that grew most against the mean of
    /// the closed buckets kept, largest increase first; only terms that grew.
    /// With no closed bucket yet, the previous count is taken as 0.
    pub fn growth(&self, n: usize) -> Vec<TermGrowth> {
        let buckets = self.previous.len().max(1) as f64;
        let mut grown: Vec<TermGrowth> = self
            .current
            .slots
            .iter()
            .filter_map(|c| {
                let current = c.count - c.error;
                let before: u64 = self.previous.iter().map(|s| s.upper_bound(&c.term)).sum();
                let previous = before as f64 / buckets;
                let increase = current as f64 - previous;
                (increase > 0.0).then(|| TermGrowth {
                    term: c.term.to_string(),
                    current,
                    previous,
                    increase,
                    ratio: (current as f64 + 1.0) / (previous + 1.0),
                })
            })
            .collect();
        grown.sort_unstable_by(|a, b| b.increase.total_cmp(&a.increase).then_with(|| a.term.cmp(&b.term)));
        grown.truncate(n);
        grown
    }

    fn roll(&mut self, open: i64, next: i64) {
        let fresh = HeavyHitters::new(self.k).unwrap_or_else(|_| self.current.clone());
        let closed = std::mem::replace(&mut self.current, fresh);
        self.previous.push_back(Snapshot::of(closed));
        // Buckets with no events at all count as empty ones.
        let empty = (next - open - 1).clamp(0, self.history as i64) as usize;
        for _ in 0..empty {
            self.previous.push_back(Snapshot::default());
        }
        while self.previous.len() > self.history {
            self.previous.pop_front();
        }
        self.open = Some(next);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Lcg(u64);

    impl Lcg {
        fn unit(&mut self) -> f64 {
            self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (self.0 >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    /// Samples term ranks from a Zipf law with exponent `s` over `n` terms.
    fn zipf(n: usize, s: f64, samples: usize, seed: u64) -> Vec<usize> {
        let mut cdf: Vec<f64> = (1..=n).map(|r| 1.0 / (r as f64).powf(s)).collect();
        let mut acc = 0.0;
        for x in &mut cdf {
            acc += *x;
            *x = acc;
        }
        let mut rng = Lcg(seed);
        (0..samples).map(|_| cdf.partition_point(|&c| c < rng.unit() * acc).min(n - 1)).collect()
    }

    #[test]
    fn finds_the_true_top_terms_of_a_zipf_stream_within_the_bound() {
        let stream = zipf(20_000, 1.1, 200_000, 7);
        let mut truth: HashMap<String, u64> = HashMap::new();
        let mut sketch = HeavyHitters::new(300).unwrap();
        for &rank in &stream {
            let term = format!("#term{rank}");
            sketch.add(&term);
            *truth.entry(term).or_default() += 1;
        }
        let mut true_top: Vec<(&String, &u64)> = truth.iter().collect();
        true_top.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
        let want: Vec<&str> = true_top.iter().take(10).map(|(t, _)| t.as_str()).collect();
        let got: Vec<String> = sketch.top(10).into_iter().map(|t| t.term).collect();
        assert_eq!(got, want);
        let bound = sketch.total() / 300;
        for c in sketch.top(300) {
            let exact = truth[&c.term];
            assert!(c.count - c.error <= exact && exact <= c.count, "{c:?} vs {exact}");
            assert!(c.error <= bound, "{c:?} above {bound}");
        }
        assert!(sketch.len() <= 300);
        // A term outside the sketch is below the smallest counter.
        for (term, &exact) in &truth {
            if sketch.get(term).is_none() {
                assert!(exact <= sketch.min_count());
            }
        }
    }

    #[test]
    fn growth_ranks_terms_that_rose_against_the_previous_bucket() {
        let hour = 3_600_000;
        let t = |h: i64| Timestamp::from_unix_millis(1_767_571_200_000 + h * hour).unwrap();
        let mut terms = EmergingTerms::new(hour, 100, 3).unwrap();
        terms.observe_n("refund", t(0), 100);
        terms.observe_n("#delay", t(0), 100);
        terms.observe_n("refund", t(1), 100);
        terms.observe_n("#delay", t(1), 500);
        terms.observe_n("#strike", t(1), 300);
        assert_eq!(terms.closed_buckets(), 1);
        let grown = terms.growth(10);
        let names: Vec<&str> = grown.iter().map(|g| g.term.as_str()).collect();
        assert_eq!(names, ["#delay", "#strike"]);
        assert_eq!(grown[0].increase, 400.0);
        assert_eq!(grown[1].previous, 0.0);
        assert_eq!(terms.top(1)[0].term, "#delay");
        // Late events are dropped, not counted in the open bucket.
        terms.observe("refund", t(0));
        assert_eq!(terms.late_events(), 1);
        // Silent buckets count as empty ones.
        terms.advance(t(10));
        assert_eq!(terms.closed_buckets(), 3);
    }
}
