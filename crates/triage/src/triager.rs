//! The `Triager`: a model and a brand catalogue, built once and shared by
//! reference across threads, that turns a message into a [`Judgement`].

use std::cell::RefCell;
use std::sync::{Arc, OnceLock};

use firebreak_domain::Channel;

use crate::catalogue::Catalogue;
use crate::entities;
use crate::features::{Analysis, FeatureConfig};
use crate::judgement::{Intent, Judgement, Reason, Sentiment, Towards};
use crate::language;
use crate::model::{HEADS, INTENT_HEAD, Model, ModelError};
use crate::phrases::PhraseMatch;
use crate::score::{TokenCache, score_message};
use crate::spam;
use crate::urgent;

/// Only the first `MAX_JUDGED_BYTES` bytes of a message are judged (cut at a
/// character boundary), so that judging is linear in the input and bounded:
/// a tweet or a chat line is far shorter, and the opening of a long email
/// says what it is about. Entity spans refer to this prefix, which is also a
/// prefix of the original text.
pub const MAX_JUDGED_BYTES: usize = 4096;

/// The shipped model, trained by `firebreak train` from `../shared/data`.
static BUILTIN_MODEL: &[u8] = include_bytes!("../model/triage.fbm");

/// How many words the reasons name, at most, for sentiment and for intent.
const SENTIMENT_REASONS: usize = 3;
const INTENT_REASONS: usize = 2;
/// Contributions smaller than this (in log-odds) are not worth showing.
const MIN_REASON_WEIGHT: f32 = 0.05;
/// Only the first tokens of a message are named as reasons.
const REASON_TOKENS: usize = 64;

/// The prefix of `text` that is judged: at most [`MAX_JUDGED_BYTES`] bytes.
pub fn cap(text: &str) -> &str {
    if text.len() <= MAX_JUDGED_BYTES {
        return text;
    }
    let mut end = MAX_JUDGED_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// Per-thread working memory, so that judging allocates only its result.
struct Scratch {
    analysis: Analysis,
    matches: Vec<PhraseMatch>,
    per_token: Vec<[f32; HEADS]>,
    cache: TokenCache,
}

impl Scratch {
    fn new() -> Scratch {
        Scratch { analysis: Analysis::new(), matches: Vec::new(), per_token: Vec::new(), cache: TokenCache::new() }
    }
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::new());
}

/// Reads messages and judges them. Cheap to clone (the model is shared).
#[derive(Debug, Clone)]
pub struct Triager {
    model: Arc<Model>,
    catalogue: Arc<Catalogue>,
}

impl Default for Triager {
    fn default() -> Triager {
        Triager::builtin()
    }
}

fn softmax(scores: &[f32], out: &mut [f32]) {
    let max = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    for (o, s) in out.iter_mut().zip(scores) {
        *o = (*s - max).exp();
        sum += *o;
    }
    for o in out.iter_mut() {
        *o /= sum;
    }
}

fn argmax(v: &[f32]) -> usize {
    let mut best = 0;
    for (i, x) in v.iter().enumerate() {
        if *x > v[best] {
            best = i;
        }
    }
    best
}

impl Triager {
    /// The triager with the model shipped inside the crate and no catalogue.
    pub fn builtin() -> Triager {
        static MODEL: OnceLock<Arc<Model>> = OnceLock::new();
        let model = MODEL.get_or_init(|| {
            // The shipped model is checked by a test; should it ever fail to
            // read, an empty model keeps the rules (urgency, entities) working.
            Arc::new(Model::from_bytes(BUILTIN_MODEL).unwrap_or_else(|_| {
                let config = FeatureConfig { bucket_bits: 10, ..FeatureConfig::default() };
                Model::quantise(config, &vec![0.0; (1 << 10) * HEADS], [0.0; HEADS], 0.5)
            }))
        });
        Triager { model: Arc::clone(model), catalogue: Arc::new(Catalogue::new()) }
    }

    /// A triager with a model read from a file's bytes (see [`Model::from_bytes`]).
    pub fn from_model_bytes(bytes: &[u8]) -> Result<Triager, ModelError> {
        Ok(Triager::from_model(Model::from_bytes(bytes)?))
    }

    pub fn from_model(model: Model) -> Triager {
        Triager { model: Arc::new(model), catalogue: Arc::new(Catalogue::new()) }
    }

    /// The same model with a brand's catalogue.
    pub fn with_catalogue(self, catalogue: Catalogue) -> Triager {
        Triager { model: self.model, catalogue: Arc::new(catalogue) }
    }

    pub fn model(&self) -> &Model {
        &self.model
    }

    pub fn catalogue(&self) -> &Catalogue {
        &self.catalogue
    }

    /// Judges one message. Never panics; linear in the input, of which only
    /// the first [`MAX_JUDGED_BYTES`] bytes are read.
    pub fn judge(&self, text: &str, channel: Channel) -> Judgement {
        let text = cap(text);
        SCRATCH.with(|s| match s.try_borrow_mut() {
            Ok(mut s) => self.judge_with(&mut s, text, channel),
            // Only reachable if judging re-entered itself on this thread.
            Err(_) => self.judge_with(&mut Scratch::new(), text, channel),
        })
    }

    fn judge_with(&self, s: &mut Scratch, text: &str, channel: Channel) -> Judgement {
        let model = &*self.model;
        let a = &mut s.analysis;
        let cache = &mut s.cache;
        cache.begin(model);
        a.scan(text);
        cache.warm(model, a);
        a.look_up(|h, norm, kind| cache.look_up(model, h, norm, kind));
        let scores = score_message(model, a, cache, &mut s.per_token);
        let mut sp = [0f32; INTENT_HEAD];
        softmax(&scores[..INTENT_HEAD], &mut sp);
        let mut ip = [0f32; HEADS - INTENT_HEAD];
        softmax(&scores[INTENT_HEAD..], &mut ip);
        let sentiment = Sentiment::ALL[argmax(&sp)];
        let intent = Intent::ALL[argmax(&ip)];
        let complaint = intent == Intent::Complaint || ip[Intent::Complaint.index()] >= model.complaint_threshold;
        s.matches.clear();
        urgent::phrases().find(a, &mut s.matches);
        let urgent_reasons = urgent::urgent_reasons(text, a, channel, &s.matches);
        let mut entities = Vec::new();
        entities::extract(text, a, &self.catalogue, &mut entities);
        let language = std::borrow::Cow::Borrowed(language::detect(text, &a.tokens, &a.infos));
        let spam = spam::is_spam(a, channel, &s.matches);
        let reasons = self.explain(text, a, &s.per_token, sentiment, intent);
        Judgement {
            sentiment,
            sentiment_score: (sp[Sentiment::Positive.index()] - sp[Sentiment::Negative.index()]).clamp(-1.0, 1.0),
            intent,
            complaint,
            urgent: !urgent_reasons.is_empty(),
            urgent_reasons,
            entities,
            language,
            spam,
            reasons,
        }
    }

    /// The words that pushed the sentiment, then the intent, hardest against
    /// the other classes of their group, from what each token's features
    /// added to each head.
    fn explain(
        &self,
        text: &str,
        a: &Analysis,
        per_token: &[[f32; HEADS]],
        sentiment: Sentiment,
        intent: Intent,
    ) -> Vec<Reason> {
        let scales = &self.model.scales;
        let n = a.tokens.len().min(per_token.len()).min(REASON_TOKENS);
        // Each head's weight against the mean of the others in its group.
        let coef = |head: usize, group: std::ops::Range<usize>| {
            let mut coef = [0f32; HEADS];
            let others = (group.len() - 1) as f32;
            for h in group {
                coef[h] = if h == head { scales[h] } else { -scales[h] / others };
            }
            coef
        };
        let cs = coef(sentiment.index(), 0..INTENT_HEAD);
        let ci = coef(INTENT_HEAD + intent.index(), INTENT_HEAD..HEADS);
        let mut s_contrib = [0f32; REASON_TOKENS];
        let mut i_contrib = [0f32; REASON_TOKENS];
        for ((row, s), i) in per_token[..n].iter().zip(&mut s_contrib).zip(&mut i_contrib) {
            // Each group's coefficients are zero outside it.
            let (mut x, mut y) = (0f32, 0f32);
            for h in 0..INTENT_HEAD {
                x += row[h] * cs[h];
            }
            for h in INTENT_HEAD..HEADS {
                y += row[h] * ci[h];
            }
            *s = x;
            *i = y;
        }
        let mut out = Vec::with_capacity(SENTIMENT_REASONS + INTENT_REASONS);
        pick(text, a, &mut s_contrib, n, SENTIMENT_REASONS, sentiment.into(), &mut out);
        pick(text, a, &mut i_contrib, n, INTENT_REASONS, intent.into(), &mut out);
        out
    }
}

/// Adds up to `limit` words, by their contribution, largest first (the later
/// token on a tie), skipping contributions under [`MIN_REASON_WEIGHT`] and
/// words already named. `contrib` holds the first `n` tokens' contributions
/// and zeros after them.
fn pick(
    text: &str,
    a: &Analysis,
    contrib: &mut [f32; REASON_TOKENS],
    n: usize,
    limit: usize,
    towards: Towards,
    out: &mut Vec<Reason>,
) {
    let lanes_used = n.div_ceil(8) * 8;
    let mut added = 0;
    while added < limit {
        // The largest contribution, eight lanes at a time (no branches to mispredict).
        let mut lanes = [0f32; 8];
        for chunk in contrib[..lanes_used].chunks_exact(8) {
            for (l, x) in lanes.iter_mut().zip(chunk) {
                *l = if *x > *l { *x } else { *l };
            }
        }
        let c = lanes.iter().fold(0f32, |m, x| if *x > m { *x } else { m });
        if c < MIN_REASON_WEIGHT {
            return;
        }
        let Some(i) = contrib[..n].iter().rposition(|x| *x == c) else { return };
        contrib[i] = 0.0;
        let Some(t) = a.tokens.list.get(i) else { return };
        let word = cap_word(text.get(t.start as usize..t.end as usize).unwrap_or(""));
        // A word already named (for sentiment, say) is not named again.
        if out.iter().any(|r| r.feature.eq_ignore_ascii_case(word)) {
            continue;
        }
        out.push(Reason { feature: word.to_owned(), weight: (c * 100.0).round() / 100.0, towards });
        added += 1;
    }
}

/// Cuts a word shown as a reason to at most 40 bytes.
fn cap_word(word: &str) -> &str {
    let mut end = word.len().min(40);
    while !word.is_char_boundary(end) {
        end -= 1;
    }
    &word[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_at_a_character_boundary() {
        let long = "é".repeat(MAX_JUDGED_BYTES);
        let c = cap(&long);
        assert!(c.len() <= MAX_JUDGED_BYTES && c.len() >= MAX_JUDGED_BYTES - 1);
        assert_eq!(cap("short"), "short");
    }

    #[test]
    fn the_builtin_model_reads() {
        assert!(Model::from_bytes(BUILTIN_MODEL).is_ok());
        assert!(BUILTIN_MODEL.len() <= 10 * 1024 * 1024);
    }

    #[test]
    fn triager_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Triager>();
    }
}
