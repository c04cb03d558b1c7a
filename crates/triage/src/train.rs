//! Training: multinomial logistic regression for the sentiment and intent
//! heads over the hashed features, fitted with AdaGrad in a fixed order from
//! a fixed seed, so that the same data and options give the same model file,
//! byte for byte.
//!
//! The training rows are the airline data set's non-test rows (the split of
//! `../shared/data/README.md`); intent labels are derived as `intent`
//! documents.

use crate::data::{AirlineRow, DataError, read_airline};
use crate::features::{Analysis, Feat, FeatureConfig};
use crate::intent::weak_label;
use crate::judgement::Sentiment;
use crate::model::{HEADS, INTENT_HEAD, Model};

/// The bytes of the data files training reads. The caller opens the files.
#[derive(Debug, Clone, Copy)]
pub struct TrainingSources<'a> {
    /// `../shared/data/airline/Tweets.csv`.
    pub airline_csv: &'a [u8],
    /// `../shared/data/twcs/twcs-head.csv`, if present. The current model
    /// does not learn from it (it has no labels); it is accepted so that the
    /// command line does not change when a later model does.
    pub twcs_csv: Option<&'a [u8]>,
}

/// The settings of a training run. `TrainOptions::default()` is the shipped model's.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainOptions {
    pub features: FeatureConfig,
    pub epochs: u32,
    pub learning_rate: f32,
    /// L2 penalty applied to the weights an example touches.
    pub l2: f32,
    /// 0 trains on the classes as they come; 1 weighs every class equally.
    pub class_balance: f32,
    pub seed: u64,
    /// Examples count by the annotators' confidence raised to this power (0: all count the same).
    pub confidence_power: f32,
    /// When above 0, features are scaled per head by their naive-Bayes
    /// log-count ratio (with this smoothing) while fitting, as in NB-SVM;
    /// the ratios are folded into the saved weights, so judging is unchanged.
    pub nb_alpha: f32,
    /// Fits this many runs from consecutive seeds and averages their weights.
    pub runs: u32,
    /// Leave out every row of this airline (for the cross-airline check).
    pub hold_out_airline: Option<String>,
    /// Averages the weights at the end of this many of the last epochs
    /// (0 or 1: the weights of the last epoch alone).
    pub average_epochs: u32,
}

impl Default for TrainOptions {
    fn default() -> TrainOptions {
        TrainOptions {
            features: FeatureConfig::default(),
            epochs: 10,
            learning_rate: 0.05,
            l2: 1e-5,
            class_balance: 0.5,
            seed: 0x5EED,
            confidence_power: 2.0,
            runs: 1,
            nb_alpha: 1.0,
            hold_out_airline: None,
            average_epochs: 0,
        }
    }
}

/// One training example: its features and labels.
pub(crate) struct Example {
    pub feats: Vec<Feat>,
    pub sentiment: usize,
    pub intent: usize,
    /// How much the example counts (the annotators' confidence, shaped).
    pub weight: f32,
}

/// Trains the model from the data files: the airline training split, less
/// the held-out airline if any.
pub fn train(sources: &TrainingSources<'_>, opts: &TrainOptions) -> Result<Model, DataError> {
    let rows = read_airline(sources.airline_csv)?;
    let rows: Vec<&AirlineRow> = rows
        .iter()
        .filter(|r| !r.is_test())
        .filter(|r| opts.hold_out_airline.as_deref() != Some(r.airline.as_str()))
        .collect();
    Ok(train_rows(&rows, opts))
}

/// Trains on the given labelled rows.
pub(crate) fn train_rows(rows: &[&AirlineRow], opts: &TrainOptions) -> Model {
    let mut a = Analysis::new();
    let examples: Vec<Example> = rows
        .iter()
        .map(|r| {
            a.run(&r.text, &opts.features);
            Example {
                feats: a.feats.clone(),
                sentiment: r.sentiment.index(),
                intent: weak_label(&a, r.sentiment).index(),
                weight: r.confidence.powf(opts.confidence_power),
            }
        })
        .collect();
    fit(&examples, opts)
}

/// A small deterministic generator (splitmix64) for the shuffles.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        crate::hash::mix(self.0)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn class_weights(examples: &[&Example], pick: impl Fn(&Example) -> usize, classes: usize, balance: f32) -> Vec<f32> {
    let mut counts = vec![0usize; classes];
    for e in examples {
        counts[pick(e)] += 1;
    }
    let total = examples.len().max(1) as f32;
    counts.iter().map(|&c| if c == 0 { 1.0 } else { (total / (classes as f32 * c as f32)).powf(balance) }).collect()
}

fn softmax(scores: &mut [f32]) {
    let max = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    for s in scores.iter_mut() {
        *s = (*s - max).exp();
        sum += *s;
    }
    for s in scores.iter_mut() {
        *s /= sum;
    }
}

/// Fits `opts.runs` runs and averages them into one model.
pub(crate) fn fit(examples: &[Example], opts: &TrainOptions) -> Model {
    let refs: Vec<&Example> = examples.iter().collect();
    fit_refs(&refs, opts)
}

/// Fits on borrowed examples (see [`fit`]).
fn fit_refs(examples: &[&Example], opts: &TrainOptions) -> Model {
    let runs = opts.runs.max(1);
    let mut w_sum: Vec<f32> = Vec::new();
    let mut bias_sum = [0f32; HEADS];
    for run in 0..runs {
        let (w, bias) = fit_run(examples, opts, opts.seed.wrapping_add(u64::from(run)));
        if w_sum.is_empty() {
            w_sum = w;
        } else {
            for (s, x) in w_sum.iter_mut().zip(&w) {
                *s += x;
            }
        }
        for h in 0..HEADS {
            bias_sum[h] += bias[h];
        }
    }
    let n = runs as f32;
    for x in &mut w_sum {
        *x /= n;
    }
    for b in &mut bias_sum {
        *b /= n;
    }
    Model::quantise(opts.features, &w_sum, bias_sum, 0.5)
}

/// Fits both heads with AdaGrad, examples shuffled each epoch from the seed.
fn fit_run(examples: &[&Example], opts: &TrainOptions, seed: u64) -> (Vec<f32>, [f32; HEADS]) {
    let buckets = 1usize << opts.features.bucket_bits;
    let mut w = vec![0f32; buckets * HEADS];
    let mut g2 = vec![0f32; buckets * HEADS];
    let mut bias = [0f32; HEADS];
    let mut bias_g2 = [0f32; HEADS];
    let sent_w = class_weights(examples, |e| e.sentiment, INTENT_HEAD, opts.class_balance);
    let int_w = class_weights(examples, |e| e.intent, HEADS - INTENT_HEAD, opts.class_balance);
    let ratio = nb_ratios(examples, buckets, opts.nb_alpha);
    let mut order: Vec<usize> = (0..examples.len()).collect();
    let mut rng = Rng(seed);
    let eps = 1e-6f32;
    let average_from = opts.epochs.saturating_sub(opts.average_epochs.max(1));
    let mut w_avg: Vec<f32> = Vec::new();
    let mut bias_avg = [0f32; HEADS];
    for epoch in 0..opts.epochs {
        for i in (1..order.len()).rev() {
            let j = rng.below(i + 1);
            order.swap(i, j);
        }
        for &idx in &order {
            let ex = &examples[idx];
            let mut scores = bias;
            for f in &ex.feats {
                let start = f.bucket as usize * HEADS;
                for h in 0..HEADS {
                    scores[h] += w[start + h] * f.value * ratio.get(start + h).copied().unwrap_or(1.0);
                }
            }
            softmax(&mut scores[..INTENT_HEAD]);
            softmax(&mut scores[INTENT_HEAD..]);
            let mut grad = [0f32; HEADS];
            for (h, (g, p)) in grad.iter_mut().zip(&scores).enumerate() {
                let (gold, weight) = if h < INTENT_HEAD {
                    (ex.sentiment, sent_w[ex.sentiment])
                } else {
                    (ex.intent + INTENT_HEAD, int_w[ex.intent])
                };
                let y = if h == gold { 1.0 } else { 0.0 };
                *g = (p - y) * weight * ex.weight;
            }
            for f in &ex.feats {
                let start = f.bucket as usize * HEADS;
                for (h, gh) in grad.iter().enumerate() {
                    let k = start + h;
                    let g = gh * f.value * ratio.get(k).copied().unwrap_or(1.0) + opts.l2 * w[k];
                    g2[k] += g * g;
                    w[k] -= opts.learning_rate * g / (g2[k] + eps).sqrt();
                }
            }
            for ((b, b2), g) in bias.iter_mut().zip(bias_g2.iter_mut()).zip(&grad) {
                *b2 += g * g;
                *b -= opts.learning_rate * g / (*b2 + eps).sqrt();
            }
        }
        if opts.average_epochs > 1 && epoch >= average_from {
            if w_avg.is_empty() {
                w_avg = vec![0f32; w.len()];
            }
            for (a, x) in w_avg.iter_mut().zip(&w) {
                *a += x;
            }
            for (a, x) in bias_avg.iter_mut().zip(&bias) {
                *a += x;
            }
        }
    }
    if !w_avg.is_empty() {
        let k = (opts.epochs - average_from) as f32;
        for (x, a) in w.iter_mut().zip(&w_avg) {
            *x = a / k;
        }
        for (x, a) in bias.iter_mut().zip(&bias_avg) {
            *x = a / k;
        }
    }
    if !ratio.is_empty() {
        for (x, r) in w.iter_mut().zip(&ratio) {
            *x *= r;
        }
    }
    (w, bias)
}

/// Each bucket's naive-Bayes log-count ratio for each head (its class against
/// the other classes of its group), or nothing when `alpha` is 0.
fn nb_ratios(examples: &[&Example], buckets: usize, alpha: f32) -> Vec<f32> {
    if alpha <= 0.0 {
        return Vec::new();
    }
    let mut counts = vec![0f32; buckets * HEADS];
    for e in examples {
        for f in &e.feats {
            let start = f.bucket as usize * HEADS;
            counts[start + e.sentiment] += 1.0;
            counts[start + INTENT_HEAD + e.intent] += 1.0;
        }
    }
    let mut ratio = vec![1f32; buckets * HEADS];
    for (group, range) in [(0, 0..INTENT_HEAD), (1, INTENT_HEAD..HEADS)] {
        let _ = group;
        let mut totals = [0f64; HEADS];
        for b in 0..buckets {
            for h in range.clone() {
                totals[h] += f64::from(counts[b * HEADS + h] + alpha);
            }
        }
        let all: f64 = range.clone().map(|h| totals[h]).sum();
        for b in 0..buckets {
            let row = &counts[b * HEADS..b * HEADS + HEADS];
            let sum: f32 = range.clone().map(|h| row[h]).sum();
            for h in range.clone() {
                let p = f64::from(row[h] + alpha) / totals[h];
                let q = f64::from(sum - row[h] + alpha * (range.len() - 1) as f32) / (all - totals[h]);
                ratio[b * HEADS + h] = (p / q).ln() as f32;
            }
        }
    }
    ratio
}

/// The sentiment a model gives a text (for evaluation).
pub(crate) fn predict_sentiment(model: &Model, a: &mut Analysis, text: &str) -> Sentiment {
    a.run(text, &model.config);
    let s = model.score(&a.feats);
    let mut best = 0;
    for h in 1..INTENT_HEAD {
        if s[h] > s[best] {
            best = h;
        }
    }
    Sentiment::ALL[best]
}
