//! The lexicon baseline: sentiment from the hand-written lexicon alone, in
//! the manner of VADER, for comparison with the model in every evaluation.

use std::cell::RefCell;

use crate::features::Analysis;
use crate::judgement::Sentiment;
use crate::triager::cap;

thread_local! {
    static SCRATCH: RefCell<Analysis> = RefCell::new(Analysis::new());
}

/// The lexicon's compound score in [-1, 1] and its label (±0.05 thresholds).
pub fn lexicon_score(text: &str) -> (Sentiment, f32) {
    SCRATCH.with(|s| {
        let mut a = s.borrow_mut();
        a.read(cap(text));
        (a.lex.sentiment(), a.lex.compound)
    })
}

/// The lexicon baseline's label for a text.
pub fn lexicon_sentiment(text: &str) -> Sentiment {
    lexicon_score(text).0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_plain_cases() {
        assert_eq!(lexicon_sentiment("@united worst airline ever"), Sentiment::Negative);
        assert_eq!(lexicon_sentiment("@united love it, thanks!"), Sentiment::Positive);
        assert_eq!(lexicon_sentiment("@united flight 12 to Boston"), Sentiment::Neutral);
    }
}
