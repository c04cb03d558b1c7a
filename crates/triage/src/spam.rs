//! Spam: promotions, link farms and bots, by a score over cheap signals
//! (links, hashtags and mentions in bulk, promotion phrases, repetition).
//! Kept conservative: a customer shouting is not spam.

use firebreak_domain::Channel;

use crate::features::Analysis;
use crate::phrases::PhraseMatch;
use crate::tokenize::TokKind;
use crate::urgent::PROMOTION_TAG;

/// Phrases of promotions and bait, matched with the urgency phrases (see `urgent::phrases`).
pub(crate) const PROMOTION: &[&str] = &[
    "giveaway",
    "give away",
    "win a|an|free|the",
    "chance to win",
    "free followers",
    "followers",
    "follow me",
    "follow back",
    "follow and rt|retweet",
    "rt to win",
    "rt and follow",
    "retweet to win",
    "click here",
    "click the link",
    "click link",
    "check out my",
    "check my profile",
    "subscribe to my",
    "promo code",
    "coupon",
    "discount code",
    "use code",
    "limited time",
    "act now",
    "buy now",
    "order now",
    "shop now",
    "earn $|money|cash",
    "make money",
    "work from home",
    "bitcoin",
    "crypto",
    "forex",
    "casino",
    "viagra",
    "cialis",
    "loan*",
    "dm me for",
    "dm for",
    "hot singles",
    "weight loss",
    "lose weight",
    "onlyfans",
];

/// Whether an analysed message looks like spam.
/// `matches` are those of `urgent::phrases` in the message.
pub(crate) fn is_spam(a: &Analysis, channel: Channel, matches: &[PhraseMatch]) -> bool {
    let tokens = &a.tokens;
    let mut kinds = [0usize; 8];
    for t in &tokens.list {
        kinds[t.kind as usize] += 1;
    }
    let urls = kinds[TokKind::Url as usize];
    let hashtags = kinds[TokKind::Hashtag as usize];
    let mentions = kinds[TokKind::Mention as usize];
    let words = kinds[TokKind::Word as usize] + kinds[TokKind::Number as usize];
    let mut score = 0u32;
    if urls >= 2 {
        score += 1;
    }
    if urls >= 1 && words <= 2 {
        score += 1;
    }
    if urls >= 3 {
        score += 1;
    }
    if hashtags >= 5 {
        score += 1;
    }
    if hashtags >= 8 {
        score += 1;
    }
    if mentions >= 6 {
        score += 1;
    }
    let promotions = matches.iter().filter(|m| m.tag == PROMOTION_TAG).count();
    score += 2 * promotions.min(3) as u32;
    // The same word over and over, or a short cycle of words: a bot or a flood.
    if words >= 8 {
        let mut repeats = 0usize;
        let hashes = &a.hashes;
        let needed = hashes.len() * 2 / 3 + 1;
        for i in 1..hashes.len() {
            // Stop once even repeats in every remaining token would not be enough.
            if repeats + (hashes.len() - i) < needed {
                break;
            }
            let back = |k: usize| i >= k && hashes[i - k] == hashes[i];
            repeats += usize::from(back(1) || back(2) || back(3));
        }
        if repeats * 3 > hashes.len() * 2 {
            score += 3;
        }
    }
    let threshold =
        if matches!(channel, Channel::Email | Channel::WebForm | Channel::Blog | Channel::Forum) { 4 } else { 3 };
    score >= threshold
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spam(text: &str) -> bool {
        let mut a = Analysis::new();
        a.read(text);
        let mut m = Vec::new();
        crate::urgent::phrases().find(&a, &mut m);
        is_spam(&a, Channel::X, &m)
    }

    #[test]
    fn catches_promotions_and_spares_customers() {
        assert!(spam("WIN a free iPhone!!! RT to win, follow me http://spam.example #win #free #iphone #giveaway #rt"));
        assert!(spam("http://a.example http://b.example http://c.example"));
        assert!(spam("buy buy buy buy buy buy buy buy buy buy"));
        assert!(!spam("@united my flight was cancelled AGAIN!!! worst airline ever #fail"));
        assert!(!spam("@united thanks! here is the photo http://t.co/abc"));
        assert!(!spam(""));
    }
}
