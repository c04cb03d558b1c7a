//! The watcher: what the detectors see of each stored message, and what they
//! raise.
//!
//! [`Watcher`] is synchronous and does no IO: it reads a message's facets
//! (brand addressed, topics, products, postal area, channel), counts the
//! message under each of its keys in the burst detector, adds its terms to
//! the emerging-terms sketch, updates the spark tracker with its engagement,
//! and returns what crossed a threshold as [`Raised`] values with their
//! evidence. The engine runs it on a task of its own after each commit
//! (`watcher_task`), so detection never holds up an acknowledgement.
//!
//! It reads only what production would see: the text, the author's reach,
//! the time, the brand addressed (the handle mentioned), the customer's
//! postal area on record, and triage's judgement of the text.

use std::collections::{HashMap, VecDeque};

use firebreak_detect::{
    BurstAlert, BurstConfig, BurstDetector, EmergingTerms, Engagement, SparkAlert, SparkConfig, SparkSignals,
    SparkTracker, TopicCatalogue, TopicRule, poisson_upper_tail, terms_of,
};
use firebreak_domain::{
    Channel, MessageId, Metrics, NewMessage, Timestamp,
    incident::{Counted, Dimension, Evidence, Facets, Key, NewCandidate, district},
    judgement::{EntityKind, Judgement, UrgentKind},
};
use firebreak_store::MessageContext;

/// A brand and the handles that address it (`@united`, `@unitedairlines`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct BrandRule {
    pub name: String,
    pub handles: Vec<String>,
}

/// How the detectors are set up.
#[derive(Debug, Clone)]
pub struct WatchConfig {
    /// The fast detector: hourly buckets, for outages that flare up.
    pub burst: BurstConfig,
    /// The slow ones: six-hour buckets, for storms that build over a day
    /// (twice the usual volume all day long never makes one hour stand
    /// out), and daily buckets, for a day of twice the usual volume whose
    /// quarters are each too small to stand out.
    pub slow_bursts: Vec<BurstConfig>,
    pub spark: SparkConfig,
    pub topics: Vec<TopicRule>,
    /// The brands and their handles. With none, the brand of a message is
    /// the first handle it mentions.
    pub brands: Vec<BrandRule>,
    /// Counters kept per bucket by the emerging-terms sketch.
    pub term_counters: usize,
    /// An emerging term must reach this count in its bucket...
    pub term_min_count: u64,
    /// ...and this many times its mean in the earlier buckets.
    pub term_min_ratio: f64,
    /// Messages remembered for the evidence of an alert.
    pub recent: usize,
}

impl Default for WatchConfig {
    fn default() -> Self {
        WatchConfig {
            // Three days to learn the hours of the day before the hourly
            // detector trusts them.
            burst: BurstConfig { warmup_buckets: 72, startup_buckets: 72, ..BurstConfig::default() },
            // Six-hour buckets are few and their counts large: the Poisson
            // test without a learnt dispersion, which four buckets a day
            // cannot estimate. Raised early all the same, as the count
            // crosses the threshold.
            slow_bursts: vec![
                BurstConfig {
                    bucket_ms: 6 * 3_600_000,
                    warmup_buckets: 4,
                    startup_buckets: 4,
                    cooldown_buckets: 2,
                    overdispersion: false,
                    ..BurstConfig::default()
                },
                // Days: the mean of the days before (there is no time of
                // day to learn). A key is judged only after three days of
                // history: a new key's first day is partial (it starts when
                // the key is first seen), so its second would look doubled.
                // A new key with a big first hour is the hourly detector's.
                // The detector's own first two days are for learning: the
                // first is partial too.
                BurstConfig {
                    bucket_ms: 24 * 3_600_000,
                    warmup_buckets: 3,
                    cold_min_count: u32::MAX,
                    startup_buckets: 2,
                    cooldown_buckets: 1,
                    overdispersion: false,
                    ..BurstConfig::default()
                },
            ],
            spark: SparkConfig::default(),
            topics: firebreak_detect::default_topics(),
            brands: Vec::new(),
            term_counters: 2_000,
            term_min_count: 20,
            term_min_ratio: 4.0,
            recent: 20_000,
        }
    }
}

/// What the watcher needs of one stored message, taken before the batch
/// goes to the store.
#[derive(Debug, Clone)]
pub struct Observed {
    pub id: MessageId,
    pub duplicate: bool,
    pub channel: Channel,
    pub inbound: bool,
    pub created_at: Timestamp,
    pub text: String,
    pub followers: u64,
    pub metrics: Option<Metrics>,
    pub sentiment_score: f32,
    /// Triage's sentiment class (`None`: not judged).
    pub sentiment: Option<firebreak_domain::judgement::Sentiment>,
    pub spam: bool,
    pub shaming: bool,
    pub press_or_regulator: bool,
    pub mentions: Vec<String>,
    pub products: Vec<String>,
    /// A postcode or ZIP code written in the message.
    pub postal: Option<String>,
}

impl Observed {
    /// What the watcher keeps of a message and its judgement, before the
    /// store has given it an id (the id is 0 until then).
    pub fn pending(m: &NewMessage) -> Observed {
        Observed::of(MessageId(0), false, m)
    }

    /// What the watcher keeps of a stored message and its judgement.
    pub fn of(id: MessageId, duplicate: bool, m: &NewMessage) -> Observed {
        let j: Option<&Judgement> = m.triage.as_ref();
        let entities = j.map(|j| j.entities.as_slice()).unwrap_or_default();
        let of_kind = |k: EntityKind| entities.iter().filter(move |e| e.kind == k);
        let reasons = j.map(|j| j.urgent_reasons.as_slice()).unwrap_or_default();
        Observed {
            id,
            duplicate,
            channel: m.channel,
            inbound: m.direction == firebreak_domain::Direction::In,
            created_at: m.created_at,
            text: m.text.as_str().to_string(),
            followers: m.author.followers.unwrap_or(0),
            metrics: m.metrics,
            sentiment_score: j.map_or(0.0, |j| j.sentiment_score),
            sentiment: j.map(|j| j.sentiment),
            spam: j.is_some_and(|j| j.spam),
            shaming: reasons.iter().any(|r| r.reason == UrgentKind::Shaming),
            press_or_regulator: reasons.iter().any(|r| r.reason == UrgentKind::Legal),
            mentions: of_kind(EntityKind::Mention).map(|e| e.text.trim_start_matches('@').to_lowercase()).collect(),
            products: of_kind(EntityKind::Product)
                .map(|e| e.canonical.as_deref().unwrap_or(&e.text).to_lowercase())
                .collect(),
            postal: of_kind(EntityKind::Postcode)
                .chain(of_kind(EntityKind::ZipCode))
                .map(|e| e.text.to_uppercase())
                .next(),
        }
    }
}

/// What crossed a threshold.
#[derive(Debug, Clone, PartialEq)]
pub enum Raised {
    /// Many messages about one thing: an incident candidate.
    Burst { candidate: NewCandidate, emerging: bool },
    /// One post catching fire.
    Spark { alert: SparkAlert, message: MessageId, context: Option<MessageContext> },
}

/// A message remembered for evidence.
#[derive(Debug)]
struct Seen {
    id: MessageId,
    at: Timestamp,
    facets: Facets,
    terms: Box<[Box<str>]>,
}

/// The detectors and what they remember.
pub struct Watcher {
    cfg: WatchConfig,
    /// The fast detector first, then the slow ones.
    bursts: Vec<BurstDetector>,
    terms: EmergingTerms,
    sparks: SparkTracker,
    topics: TopicCatalogue,
    /// Handle (lower-case, no `@`) to brand name.
    brands: HashMap<String, String>,
    recent: VecDeque<Seen>,
    /// Emerging terms already raised, with the bucket they were raised in.
    raised_terms: HashMap<String, i64>,
    /// Brands seen (at most 10,000): a brand's own name is not an emerging
    /// term, it is in every message about it.
    brands_seen: std::collections::HashSet<String>,
    /// The bucket whose emerging terms were last checked, and when.
    terms_checked: (i64, i64),
}

impl Watcher {
    pub fn new(cfg: WatchConfig) -> Result<Watcher, String> {
        let mut bursts = vec![BurstDetector::new(cfg.burst.clone()).map_err(|e| format!("[watch] burst: {e}"))?];
        for slow in &cfg.slow_bursts {
            bursts.push(BurstDetector::new(slow.clone()).map_err(|e| format!("[watch] slow burst: {e}"))?);
        }
        let terms = EmergingTerms::new(cfg.burst.bucket_ms, cfg.term_counters, 24)
            .map_err(|e| format!("[watch] terms: {e}"))?;
        let sparks = SparkTracker::new(cfg.spark.clone()).map_err(|e| format!("[watch] spark: {e}"))?;
        let topics = TopicCatalogue::new(&cfg.topics).map_err(|e| format!("[watch] topics: {e}"))?;
        let mut brands = HashMap::new();
        for b in &cfg.brands {
            for h in &b.handles {
                brands.insert(h.trim_start_matches('@').to_lowercase(), b.name.to_lowercase());
            }
        }
        Ok(Watcher {
            bursts,
            terms,
            sparks,
            topics,
            brands,
            recent: VecDeque::with_capacity(cfg.recent.min(1 << 16)),
            raised_terms: HashMap::new(),
            brands_seen: std::collections::HashSet::new(),
            terms_checked: (i64::MIN, i64::MIN),
            cfg,
        })
    }

    /// The facets of a message: what its keys are made of.
    pub fn facets(&self, o: &Observed, ctx: Option<&MessageContext>) -> Facets {
        let brand = if self.brands.is_empty() {
            o.mentions.first().cloned()
        } else {
            o.mentions.iter().find_map(|m| self.brands.get(m).cloned())
        };
        let area = o.postal.as_deref().or(ctx.and_then(|c| c.postal_area.as_deref())).map(|p| district(p).to_string());
        Facets {
            brand,
            topics: self.topics.topics_of(&o.text).into_iter().map(str::to_string).collect(),
            products: o.products.clone(),
            area,
            channel: Some(o.channel),
        }
    }

    /// The keys a message is counted under: the brand, the area and each
    /// product alone and with each topic, and each topic alone.
    pub fn keys(f: &Facets) -> Vec<Key> {
        let mut out = Vec::new();
        let mut push = |pairs: Vec<(Dimension, String)>| {
            if let Ok(k) = Key::new(pairs) {
                out.push(k);
            }
        };
        let mut anchors: Vec<(Dimension, &String)> = Vec::new();
        if let Some(b) = &f.brand {
            anchors.push((Dimension::Brand, b));
        }
        if let Some(a) = &f.area {
            anchors.push((Dimension::Area, a));
        }
        for p in &f.products {
            anchors.push((Dimension::Product, p));
        }
        for (d, v) in &anchors {
            push(vec![(*d, (*v).clone())]);
            for t in &f.topics {
                push(vec![(*d, (*v).clone()), (Dimension::Topic, t.clone())]);
            }
        }
        for t in &f.topics {
            push(vec![(Dimension::Topic, t.clone())]);
        }
        out
    }

    /// Watches one stored message; `now` is the engine's clock.
    pub fn observe(&mut self, o: &Observed, ctx: Option<&MessageContext>, now: Timestamp) -> Vec<Raised> {
        let facets = self.facets(o, ctx);
        self.observe_with(o, ctx, &facets, now)
    }

    /// [`Watcher::observe`] with the message's facets already read (the
    /// detectors' task reads them once for the bursts, the contact drivers
    /// and the links to open incidents).
    pub fn observe_with(
        &mut self,
        o: &Observed,
        ctx: Option<&MessageContext>,
        facets: &Facets,
        now: Timestamp,
    ) -> Vec<Raised> {
        let mut raised = Vec::new();
        if !o.inbound {
            return raised;
        }
        if let Some(m) = o.metrics {
            let signals = SparkSignals {
                sentiment: o.sentiment_score,
                followers: o.followers,
                shaming: o.shaming,
                press_or_regulator: o.press_or_regulator,
            };
            let engagement = Engagement { likes: m.likes, shares: m.shares, replies: m.replies };
            if let Some(alert) = self.sparks.update(&o.id.0.to_string(), now, engagement, signals) {
                raised.push(Raised::Spark { alert, message: o.id, context: ctx.cloned() });
            }
        }
        if o.duplicate || o.spam {
            return raised;
        }
        if let Some(b) = &facets.brand
            && self.brands_seen.len() < 10_000
            && !self.brands_seen.contains(b)
        {
            self.brands_seen.insert(b.clone());
        }
        let terms = terms_of(&o.text);
        for t in &terms {
            self.terms.observe(t, o.created_at);
        }
        let mut alerts = Vec::new();
        for key in Watcher::keys(facets) {
            let key = key.to_string();
            for d in &mut self.bursts {
                let bucket_ms = d.config().bucket_ms;
                alerts.extend(d.observe(&key, o.created_at).into_iter().map(|a| (a, bucket_ms)));
            }
        }
        if self.recent.len() >= self.cfg.recent {
            self.recent.pop_front();
        }
        self.recent.push_back(Seen {
            id: o.id,
            at: o.created_at,
            facets: facets.clone(),
            terms: terms.into_iter().map(String::into_boxed_str).collect(),
        });
        for (a, bucket_ms) in alerts {
            if let Some(c) = self.candidate(&a, bucket_ms) {
                raised.push(Raised::Burst { candidate: c, emerging: false });
            }
        }
        raised.extend(self.emerging(o.created_at));
        raised
    }

    /// Closes buckets that ended before `now` (stream time), returning what
    /// their close raised.
    pub fn advance(&mut self, now: Timestamp) -> Vec<Raised> {
        self.terms.advance(now);
        let mut alerts = Vec::new();
        for d in &mut self.bursts {
            let bucket_ms = d.config().bucket_ms;
            alerts.extend(d.advance(now).into_iter().map(|a| (a, bucket_ms)));
        }
        alerts
            .iter()
            .filter_map(|(a, bucket_ms)| self.candidate(a, *bucket_ms))
            .map(|candidate| Raised::Burst { candidate, emerging: false })
            .collect()
    }

    /// How much stream time the burst detectors need before every key can
    /// be judged: the longest of their start-up and warm-up periods, plus
    /// the open bucket (four days with the default daily detector), at most
    /// a week. The detectors re-read this much when they start.
    pub fn warm_up_ms(&self) -> i64 {
        self.bursts
            .iter()
            .map(|d| {
                let c = d.config();
                (i64::from(c.startup_buckets.max(c.warmup_buckets)) + 1).saturating_mul(c.bucket_ms)
            })
            .max()
            .unwrap_or(0)
            .min(7 * 24 * 3_600_000)
    }

    /// Bytes held by the detectors (an estimate).
    pub fn approx_bytes(&self) -> usize {
        self.bursts.iter().map(BurstDetector::approx_bytes).sum::<usize>() + self.recent.len() * 256
    }

    /// A candidate with its evidence from the messages remembered.
    fn candidate(&self, a: &BurstAlert, bucket_ms: i64) -> Option<NewCandidate> {
        let key = Key::parse(&a.key).ok()?;
        let start = a.bucket_start;
        let matching = self.recent.iter().rev().filter(|s| s.at >= start && key.matches(&s.facets));
        Some(NewCandidate {
            raised_at: self.recent.back().map_or(start, |s| s.at),
            evidence: evidence(
                matching,
                a.observed,
                a.expected,
                a.p_value,
                a.ratio,
                start,
                bucket_ms,
                a.sparkline.clone(),
            ),
            key,
        })
    }

    /// Emerging terms: at most once a minute of stream time, the terms of
    /// the open bucket that grew far above their mean in the earlier
    /// buckets, that no configured topic covers, raised once per term a day.
    fn emerging(&mut self, at: Timestamp) -> Vec<Raised> {
        let bucket_ms = self.cfg.burst.bucket_ms;
        let bucket = at.unix_millis().div_euclid(bucket_ms);
        let minute = at.unix_millis().div_euclid(60_000);
        if self.terms_checked == (bucket, minute) || self.terms.closed_buckets() < 24 {
            return Vec::new();
        }
        self.terms_checked = (bucket, minute);
        let mut out = Vec::new();
        // Messages behind the terms raised in this check: a term carried by
        // the same messages as one raised already is the same story.
        let mut covered: std::collections::HashSet<MessageId> = std::collections::HashSet::new();
        for g in self.terms.growth(5) {
            let expected = g.previous.max(0.5);
            if g.current < self.cfg.term_min_count || g.ratio < self.cfg.term_min_ratio {
                continue;
            }
            let bare = g.term.trim_start_matches('#');
            if !self.topics.topics_of(bare).is_empty() || self.brands_seen.contains(bare) {
                continue;
            }
            if self.raised_terms.get(&g.term).is_some_and(|&b| bucket - b < 24 * 3_600_000 / bucket_ms.max(1)) {
                continue;
            }
            let p = poisson_upper_tail(g.current, expected);
            if p > self.cfg.burst.max_p_value {
                continue;
            }
            let start = Timestamp::EPOCH.plus_millis(bucket * bucket_ms);
            let ids: Vec<MessageId> = self
                .recent
                .iter()
                .filter(|s| s.at >= start && s.terms.iter().any(|t| **t == *g.term))
                .map(|s| s.id)
                .collect();
            let shared = ids.iter().filter(|id| covered.contains(id)).count();
            if !ids.is_empty() && shared * 2 >= ids.len() {
                self.raised_terms.insert(g.term.clone(), bucket);
                continue;
            }
            covered.extend(ids);
            let Ok(key) = Key::new([(Dimension::Topic, g.term.clone())]) else {
                continue;
            };
            self.raised_terms.insert(g.term.clone(), bucket);
            let term = g.term.as_str();
            let matching = self.recent.iter().rev().filter(|s| s.at >= start && s.terms.iter().any(|t| &**t == term));
            let observed = u32::try_from(g.current).unwrap_or(u32::MAX);
            let evidence = evidence(
                matching,
                observed,
                expected,
                p,
                g.current as f64 / expected,
                start,
                bucket_ms,
                vec![g.previous.round() as u32, observed],
            );
            out.push(Raised::Burst { candidate: NewCandidate { key, raised_at: at, evidence }, emerging: true });
        }
        out
    }
}

/// Evidence from the matching messages remembered (newest first).
#[allow(clippy::too_many_arguments)]
fn evidence<'a>(
    matching: impl Iterator<Item = &'a Seen>,
    observed: u32,
    expected: f64,
    p_value: f64,
    ratio: f64,
    bucket_start: Timestamp,
    bucket_ms: i64,
    sparkline: Vec<u32>,
) -> Evidence {
    let mut samples = Vec::new();
    let mut areas: HashMap<&str, u64> = HashMap::new();
    let mut products: HashMap<&str, u64> = HashMap::new();
    let mut terms: HashMap<&str, u64> = HashMap::new();
    for s in matching {
        if samples.len() < 5 {
            samples.push(s.id);
        }
        if let Some(a) = &s.facets.area {
            *areas.entry(a).or_default() += 1;
        }
        for p in &s.facets.products {
            *products.entry(p).or_default() += 1;
        }
        for t in s.terms.iter() {
            *terms.entry(t).or_default() += 1;
        }
    }
    Evidence {
        observed,
        expected,
        p_value,
        ratio,
        bucket_start,
        bucket_ms,
        sparkline,
        top_terms: top(terms, 8),
        samples,
        areas: top(areas, 5),
        products: top(products, 5),
    }
}

fn top(counts: HashMap<&str, u64>, n: usize) -> Vec<Counted> {
    let mut v: Vec<Counted> = counts.into_iter().map(|(k, c)| Counted { value: k.to_string(), count: c }).collect();
    v.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
    v.truncate(n);
    v
}

/// One line for a person: what a raised alert is about.
pub fn summary(r: &Raised) -> String {
    match r {
        Raised::Burst { candidate, emerging } => {
            let e = &candidate.evidence;
            format!(
                "{} {}: {} messages in the {} hours from {} where {:.1} were expected ({:.1}x, p={:.1e})",
                if *emerging { "emerging term" } else { "burst" },
                candidate.key,
                e.observed,
                e.bucket_ms / 3_600_000,
                e.bucket_start,
                e.expected,
                e.ratio,
                e.p_value
            )
        }
        Raised::Spark { alert, context, .. } => format!(
            "spark: message {} by {} (momentum {:.2}, {:.0} weighted shares a minute, reach {:.2})",
            alert.post_id,
            context.as_ref().and_then(|c| c.author.as_deref()).unwrap_or("an unknown author"),
            alert.momentum,
            alert.rate_per_minute,
            alert.reach
        ),
    }
}
