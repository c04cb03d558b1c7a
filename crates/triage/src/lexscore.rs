//! The lexicon scorer, in the manner of VADER: each lexicon word's valence,
//! strengthened by intensifiers and capitals, softened by softeners, flipped
//! by negation and reweighted around `but`, summed and squashed into a
//! compound score in [-1, 1]. The model reads its per-word valences as
//! features; on its own it is the lexicon baseline of the evaluation.

use crate::judgement::Sentiment;
use crate::tokenize::{TokKind, Tokens};
use crate::words::{WordInfo, flags};

/// The lexicon's reading of one message.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct LexScore {
    /// The adjusted valence of each token (0 for words outside the lexicon).
    pub valences: Vec<f32>,
    pub positive: f32,
    pub negative: f32,
    /// The squashed sum, in [-1, 1].
    pub compound: f32,
}

impl LexScore {
    /// The baseline's label: VADER's usual thresholds of ±0.05 on the compound.
    pub fn sentiment(&self) -> Sentiment {
        if self.compound >= 0.05 {
            Sentiment::Positive
        } else if self.compound <= -0.05 {
            Sentiment::Negative
        } else {
            Sentiment::Neutral
        }
    }
}

const BOOST: f32 = 0.3;
const CAPS_BOOST: f32 = 0.7;
const NEGATION_FACTOR: f32 = -0.7;

/// Scores a tokenised message with the lexicon.
pub(crate) fn score(tokens: &Tokens, infos: &[WordInfo], negated: &[bool], out: &mut LexScore) {
    out.valences.clear();
    let (mut words, mut caps_words) = (0usize, 0usize);
    for t in &tokens.list {
        words += usize::from(t.kind == TokKind::Word);
        caps_words += usize::from(t.caps);
    }
    // Capitals stand out only when the message is not written all in capitals.
    let caps_stand_out = caps_words * 2 < words;
    let contrast_at = infos.iter().rposition(|i| i.flags & flags::CONTRAST != 0);
    let mut exclamations = 0usize;
    let (mut sum, mut positive, mut negative) = (0f32, 0f32, 0f32);
    for (i, (t, info)) in tokens.list.iter().zip(infos).enumerate() {
        if t.clause_end {
            let norm = tokens.norm(t);
            if norm.contains('!') {
                exclamations += if norm == "!" { 1 } else { 2 };
            }
        }
        let mut v = info.valence;
        if v == 0.0 {
            out.valences.push(0.0);
            continue;
        }
        let sign = v.signum();
        // Intensifiers and softeners within the three tokens before, fading with distance.
        for back in 1..=3usize {
            let Some(j) = i.checked_sub(back) else { break };
            let prev = infos[j].flags;
            let fade = 1.0 - 0.15 * (back as f32 - 1.0);
            if prev & flags::BOOSTER != 0 {
                v += sign * BOOST * fade;
            } else if prev & flags::DIMINISHER != 0 {
                v -= sign * BOOST * fade;
            }
        }
        if t.caps && caps_stand_out {
            v += sign * CAPS_BOOST;
        }
        if t.elongated {
            v += sign * BOOST;
        }
        if negated.get(i).copied().unwrap_or(false) {
            v *= NEGATION_FACTOR;
        }
        if let Some(c) = contrast_at {
            v *= if i < c { 0.5 } else { 1.5 };
        }
        out.valences.push(v);
        // The sums, in token order (the zeros left out change none of them).
        sum += v;
        if v > 0.0 {
            positive += v;
        } else if v < 0.0 {
            negative += v;
        }
    }
    if sum != 0.0 {
        sum += sum.signum() * 0.292 * exclamations.min(4) as f32;
    }
    out.positive = positive;
    out.negative = negative;
    out.compound = (sum / (sum * sum + 15.0).sqrt()).clamp(-1.0, 1.0);
}

#[cfg(test)]
mod tests {
    use crate::features::Analysis;
    use crate::judgement::Sentiment;

    fn lex(text: &str) -> (Sentiment, f32) {
        let mut a = Analysis::new();
        a.read(text);
        (a.lex.sentiment(), a.lex.compound)
    }

    #[test]
    fn reads_the_obvious_cases() {
        assert_eq!(lex("thanks, great service!").0, Sentiment::Positive);
        assert_eq!(lex("terrible service, never again").0, Sentiment::Negative);
        assert_eq!(lex("my flight is at 5pm").0, Sentiment::Neutral);
        assert_eq!(lex("not good").0, Sentiment::Negative);
        assert!(lex("very good").1 > lex("good").1);
        assert!(lex("a GOOD day for me").1 > lex("a good day for me").1);
        assert!(lex("good!!!").1 > lex("good").1);
    }
}
