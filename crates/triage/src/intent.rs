//! Intent cues and the weak labels the intent head is trained on.
//!
//! No data set here labels intent, so the training labels are derived:
//! - a tweet the annotators marked negative is a `complaint` (the airline
//!   set's negatives all carry a `negativereason`: late flight, lost luggage,
//!   rude staff... that is, a complaint);
//! - otherwise a tweet with a suggestion cue (`you should`, `would be nice`,
//!   `please add`, `how about`...) is a `suggestion`;
//! - otherwise a tweet with a question cue (a `?`, or opening with a question
//!   word such as `how`, `can`, `does`) is a `question`, unless it is positive
//!   and thanks someone;
//! - otherwise a positive tweet is `praise` and a neutral one is `other`.
//!
//! The intent head learns from these labels with the same features as the
//! sentiment head, so it generalises the cues (and the vocabulary of
//! complaints) beyond the literal rules.

use crate::features::Analysis;
use crate::judgement::{Intent, Sentiment};
use crate::tokenize::TokKind;
use crate::words::flags;

/// Phrases that suggest an improvement, as normalised token sequences.
pub(crate) const SUGGESTION_PHRASES: &[&[&str]] = &[
    &["you", "should"],
    &["u", "should"],
    &["yall", "should"],
    &["should", "add"],
    &["should", "offer"],
    &["should", "consider"],
    &["should", "bring"],
    &["should", "make"],
    &["should", "start"],
    &["should", "allow"],
    &["should", "let"],
    &["would", "be", "nice"],
    &["would", "be", "great"],
    &["would", "be", "awesome"],
    &["would", "be", "cool"],
    &["would", "be", "helpful"],
    &["would", "be", "good"],
    &["would", "love", "to", "see"],
    &["itd", "be"],
    &["it", "would", "be"],
    &["how", "about"],
    &["why", "not"],
    &["why", "dont", "you"],
    &["please", "add"],
    &["please", "bring"],
    &["please", "consider"],
    &["please", "offer"],
    &["please", "make"],
    &["please", "allow"],
    &["need", "to", "add"],
    &["need", "to", "offer"],
    &["need", "to", "start"],
    &["wish", "you"],
    &["wish", "there"],
    &["hope", "you", "add"],
    &["bring", "back"],
    &["suggest"],
    &["suggestion"],
    &["suggestions"],
    &["feature", "request"],
    &["idea"],
    &["you", "guys", "need", "to"],
    &["consider", "adding"],
];

/// Question words that open a question when they open the message.
const OPENERS: &[&str] = &[
    "what", "why", "how", "when", "where", "who", "which", "whats", "hows", "can", "could", "do", "does", "did", "is",
    "are", "will", "would", "any", "anyone", "has", "have", "was", "were", "should", "may", "am",
];

/// What the intent cues say about one message.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Cues {
    pub question: bool,
    pub suggestion: bool,
    pub thanks: bool,
}

/// Whether the normalised tokens from `i` on spell `phrase`.
pub(crate) fn phrase_at(a: &Analysis, i: usize, phrase: &[&str]) -> bool {
    let list = &a.tokens.list;
    !phrase.is_empty()
        && i + phrase.len() <= list.len()
        && phrase.iter().enumerate().all(|(k, p)| a.tokens.norm(&list[i + k]) == *p)
}

/// Reads the question, suggestion and thanks cues of an analysed message.
pub(crate) fn cues(a: &Analysis) -> Cues {
    let tokens = &a.tokens;
    let question_mark = tokens.list.iter().any(|t| t.kind == TokKind::Punct && tokens.norm(t).contains('?'));
    let opener = tokens
        .list
        .iter()
        .find(|t| t.kind != TokKind::Mention && t.kind != TokKind::Punct)
        .is_some_and(|t| OPENERS.contains(&tokens.norm(t)));
    let suggestion = a.infos.iter().enumerate().any(|(i, info)| {
        info.flags & flags::SUGGESTION_START != 0 && SUGGESTION_PHRASES.iter().any(|p| phrase_at(a, i, p))
    });
    let thanks = a.infos.iter().any(|i| i.flags & flags::THANKS != 0);
    Cues { question: question_mark || opener, suggestion, thanks }
}

/// The weak intent label of a training tweet (see the module documentation).
pub(crate) fn weak_label(a: &Analysis, sentiment: Sentiment) -> Intent {
    let c = cues(a);
    match sentiment {
        Sentiment::Negative => Intent::Complaint,
        _ if c.suggestion => Intent::Suggestion,
        Sentiment::Positive if c.question && !c.thanks => Intent::Question,
        Sentiment::Positive => Intent::Praise,
        Sentiment::Neutral if c.question => Intent::Question,
        Sentiment::Neutral => Intent::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn label(text: &str, s: Sentiment) -> Intent {
        let mut a = Analysis::new();
        a.read(text);
        weak_label(&a, s)
    }

    #[test]
    fn derives_the_documented_labels() {
        assert_eq!(label("@united lost my bag", Sentiment::Negative), Intent::Complaint);
        assert_eq!(label("@united why is my flight late?", Sentiment::Negative), Intent::Complaint);
        assert_eq!(label("@united you should add wifi", Sentiment::Neutral), Intent::Suggestion);
        assert_eq!(label("@united does flight 12 have wifi", Sentiment::Neutral), Intent::Question);
        assert_eq!(label("@united thanks, can't wait to fly again!", Sentiment::Positive), Intent::Praise);
        assert_eq!(label("@united see you tomorrow", Sentiment::Neutral), Intent::Other);
        assert_eq!(label("@united it would be great to have more legroom", Sentiment::Positive), Intent::Suggestion);
    }
}
