//! Urgency: rules that find safety risks, legal or regulator threats, churn
//! threats and public shaming, each with the words that showed it. Rules,
//! not a model, because the cases are rare, must be explainable, and must not
//! depend on the sentiment of the rest of the message.

use std::sync::OnceLock;

use firebreak_domain::Channel;

use crate::features::Analysis;
use crate::hash::hash_bytes;
use crate::judgement::{UrgentKind, UrgentReason};
use crate::phrases::{PhraseMatch, PhraseSet};
use crate::tokenize::TokKind;

const SAFETY: &[&str] = &[
    "injured",
    "injury",
    "injuries",
    "injuring",
    "hurt my|his|her|their|our back|neck|leg|arm|knee|knees|head|hand|foot|shoulder|wrist|ankle",
    "got hurt",
    "getting hurt",
    "caught fire",
    "on fire _ plane|phone|battery|car|house|kitchen",
    "smoke",
    "smoking _ battery|phone|plane|cabin|engine",
    "smell* smoke|gas|burning",
    "burning smell",
    "gas leak*",
    "carbon monoxide",
    "flood*",
    "water leak*",
    "leak* water|gas",
    "explod*",
    "explosion",
    "electrocut*",
    "electric shock",
    "shocked me",
    "sparks",
    "sparking",
    "overheat*",
    "bleeding",
    "ambulance",
    "paramedic*",
    "hospital",
    "hospitalized",
    "hospitalised",
    "emergency room|landing|surgery",
    "medical emergency",
    "unsafe",
    "dangerous",
    "life threatening",
    "life - threatening",
    "allergic reaction",
    "anaphyla*",
    "choking",
    "collapsed",
    "fainted",
    "passed out",
    "unconscious",
    "heart attack",
    "seizure",
    "assault*",
    "harass*",
    "threatened",
    "threaten*|threatening me|us|my",
    "near miss",
    "safety hazard|issue|concern|risk",
    "fire hazard",
    "fire alarm",
    "fire detector*",
];

const LEGAL: &[&str] = &[
    "lawyer*",
    "attorney*",
    "sue",
    "suing",
    "sued",
    "lawsuit*",
    "legal action|team|advice|department",
    "take|taking _ to court",
    "see you in court",
    "go|going|goes to court",
    "small claims",
    "class action",
    "ombudsman",
    "regulator*",
    "fcc",
    "ftc",
    "faa",
    "cfpb",
    "bbb",
    "better business bureau",
    "department of transportation",
    "dept of transportation",
    "ofcom",
    "ofgem",
    "ofwat",
    "trading standards",
    "consumer protection",
    "attorney general",
    "report you|this to",
    "file|filing|filed a complaint with",
    "illegal",
    "illegally",
    "breach of contract",
    "chargeback",
    "dispute the charge*",
    "dot complaint",
    "complaint to|with the dot",
];

const CHURN: &[&str] = &[
    "cancel*|close*|closing|terminate*|terminating my|our|the account|card|subscription|membership|service|contract|plan|policy|prime|visa",
    "cancel*|close*|closing my|our credit card",
    "switch*|switching to|over|from",
    "switch*|switching|change|changing|find|finding|try|trying another|other|different airline*|carrier*|provider*|company|companies|bank",
    "switch*|switching|changing airline*|carrier*|providers|banks",
    "never fly*|use|using|book*|buy*|shop*|order*|choose|choosing|recommend*",
    "never again",
    "ever again",
    "another airline|carrier|provider|bank may|would|will|that",
    "boycott*",
    "last time i fly|flying|use|book|order",
    "done with you|u|yall|this|your",
    "im done",
    "i am done",
    "take|taking my business elsewhere",
    "taking my money elsewhere",
    "lost a|another|my|this customer",
    "lose|losing a|another|my customer",
    "you lost me",
    "wont|will not fly|use|book|be flying|be using|be back",
    "not fly* with you|u again",
    "goodbye",
    "bye bye",
    "port my number",
    "leaving for",
    "leave you",
    "leaving you",
    "no longer a customer",
    "dont want to be a customer",
    "give up my _ status",
];

const SHAMING: &[&str] = &[
    "shame on",
    "going viral",
    "go viral",
    "tell|telling|warn|warning everyone",
    "let everyone know",
    "everyone should know",
    "make sure everyone",
    "spread the word",
    "please rt",
    "pls rt",
    "rt if",
    "retweet this",
    "boycott*",
    "contact* the media|press|news",
    "call* the news",
    "tell* the news|press|media",
    "post* this everywhere",
    "bad press",
    "0 star review",
    "bad review",
    "review on yelp|tripadvisor|trustpilot",
];

/// Words that, inside a hashtag, shame (`#fail`, `#worstflightever`, `#boycottx`).
const SHAMING_HASHTAG_STEMS: &[&str] = &[
    "fail",
    "worst",
    "shame",
    "boycott",
    "never",
    "sucks",
    "badservice",
    "terrible",
    "horrible",
    "awful",
    "ripoff",
    "scam",
    "disgrace",
    "unacceptable",
    "joke",
    "nothanks",
    "pathetic",
    "fraud",
    "liar",
    "notcool",
    "ashamed",
];

/// Accounts of the press and of consumer programmes: tagging them is shaming.
const PRESS_HANDLES: &[&str] = &[
    "abc",
    "abcnews",
    "ap",
    "bbc",
    "bbcbreaking",
    "bbcnews",
    "bbcwatchdog",
    "bloomberg",
    "business",
    "buzzfeed",
    "cbc",
    "cbsnews",
    "cbsthismorning",
    "cnbc",
    "cnn",
    "cnnbrk",
    "cnnmoney",
    "consumerist",
    "consumerreports",
    "dailymail",
    "elliottdotorg",
    "forbes",
    "foxnews",
    "gma",
    "guardian",
    "huffingtonpost",
    "huffpost",
    "insideedition",
    "latimes",
    "mashable",
    "msnbc",
    "nbc",
    "nbcnews",
    "nbcnightlynews",
    "nytimes",
    "reuters",
    "skynews",
    "techcrunch",
    "thesun",
    "theverge",
    "time",
    "todayshow",
    "usatoday",
    "washingtonpost",
    "which",
    "wsj",
];

/// Words that, inside a hashtag, threaten to leave (`#time2switch`, `#neveragain`, `#delete...`).
const CHURN_HASHTAG_STEMS: &[&str] = &["switch", "never", "delete", "boycott", "goodbye", "byebye"];

/// Regulators named in a hashtag (`#FAA`): calling them in.
const REGULATOR_HASHTAGS: &[&str] = &["#faa", "#dot", "#usdot", "#bbb", "#fcc", "#ftc", "#cfpb", "#ofcom", "#ofgem"];

/// Prefixes of the accounts of broadcasters and their local stations (`@CBSPhilly`).
const PRESS_PREFIXES: [&[u8]; 4] = [b"cbs", b"nbc", b"cnn", b"bbc"];

/// Accounts of regulators: tagging them is a legal threat.
const REGULATOR_HANDLES: &[&str] =
    &["bbb", "bbb_media", "cfpb", "cpsc", "faanews", "fcc", "ftc", "nhtsagov", "ofcom", "ofgem", "tsa", "usdot"];

const TAGS: [UrgentKind; 4] = [UrgentKind::Safety, UrgentKind::Legal, UrgentKind::Churn, UrgentKind::Shaming];

/// The tag of the spam module's promotion phrases, matched in the same pass.
pub(crate) const PROMOTION_TAG: u8 = 4;

/// The phrases of the urgency reasons (tags 0 to 3, in the order of `TAGS`)
/// and the promotion phrases of the spam rules, so that one pass finds both.
pub(crate) fn phrases() -> &'static PhraseSet {
    static SET: OnceLock<PhraseSet> = OnceLock::new();
    SET.get_or_init(|| {
        let mut set = PhraseSet::default();
        for (tag, list) in [SAFETY, LEGAL, CHURN, SHAMING].into_iter().enumerate() {
            // The lists are fixed and tested; a bad phrase is left out rather than panicking.
            let _ = set.add(tag as u8, list);
        }
        let _ = set.add(PROMOTION_TAG, crate::spam::PROMOTION);
        set
    })
}

/// The hash of a handle in lower case, without allocating.
fn handle_hash(handle: &str) -> u64 {
    let mut buf = [0u8; 32];
    let b = handle.as_bytes();
    let n = b.len().min(buf.len());
    for (d, s) in buf.iter_mut().zip(&b[..n]) {
        *d = s.to_ascii_lowercase();
    }
    hash_bytes(HANDLE_SEED, &buf[..n]) ^ (b.len() as u64)
}

const HANDLE_SEED: u64 = 0x4E45_5753;

/// The sorted hashes of the press and regulator handles.
fn handle_sets() -> &'static (Vec<u64>, Vec<u64>) {
    static SETS: OnceLock<(Vec<u64>, Vec<u64>)> = OnceLock::new();
    SETS.get_or_init(|| {
        let hashed = |list: &[&str]| {
            let mut v: Vec<u64> = list.iter().map(|h| handle_hash(h)).collect();
            v.sort_unstable();
            v
        };
        (hashed(PRESS_HANDLES), hashed(REGULATOR_HANDLES))
    })
}

fn add_reason(out: &mut Vec<UrgentReason>, kind: UrgentKind, words: &str) {
    if let Some(r) = out.iter_mut().find(|r| r.reason == kind) {
        if !r.words.iter().any(|w| w == words) {
            r.words.push(words.to_owned());
        }
    } else {
        out.push(UrgentReason { reason: kind, words: vec![words.to_owned()] });
    }
}

/// For each lower-case letter, the stems (bit `k` for `SHAMING_HASHTAG_STEMS[k]`,
/// bit 24 + `k` for `CHURN_HASHTAG_STEMS[k]`) that start with it.
const STEMS_BY_LETTER: [u32; 26] = {
    let mut masks = [0u32; 26];
    let mut k = 0;
    while k < SHAMING_HASHTAG_STEMS.len() {
        masks[(SHAMING_HASHTAG_STEMS[k].as_bytes()[0] - b'a') as usize] |= 1 << k;
        k += 1;
    }
    let mut k = 0;
    while k < CHURN_HASHTAG_STEMS.len() {
        masks[(CHURN_HASHTAG_STEMS[k].as_bytes()[0] - b'a') as usize] |= 1 << (24 + k);
        k += 1;
    }
    masks
};

/// Whether a hashtag (normalised) contains a shaming stem, and a churn stem.
fn hashtag_stems(lower: &[u8]) -> (bool, bool) {
    let (mut shaming, mut churn) = (false, false);
    for p in 0..lower.len() {
        let b = lower[p];
        if !b.is_ascii_lowercase() {
            continue;
        }
        let mut mask = STEMS_BY_LETTER[usize::from(b - b'a')];
        while mask != 0 {
            let k = mask.trailing_zeros() as usize;
            mask &= mask - 1;
            let (stem, is_churn) =
                if k >= 24 { (CHURN_HASHTAG_STEMS[k - 24], true) } else { (SHAMING_HASHTAG_STEMS[k], false) };
            if lower[p..].starts_with(stem.as_bytes()) {
                if is_churn {
                    churn = true;
                } else {
                    shaming = true;
                }
            }
        }
    }
    (shaming, churn)
}

/// Finds the urgency reasons of an analysed message (`text` is the judged text).
/// `matches` are those of [`phrases`] in the message.
pub(crate) fn urgent_reasons(text: &str, a: &Analysis, channel: Channel, matches: &[PhraseMatch]) -> Vec<UrgentReason> {
    let mut out = Vec::new();
    let list = &a.tokens.list;
    for m in matches.iter().filter(|m| m.tag < PROMOTION_TAG) {
        let (Some(first), Some(last)) = (list.get(m.first), list.get(m.last)) else { continue };
        let words = text.get(first.start as usize..last.end as usize).unwrap_or("");
        add_reason(&mut out, TAGS[usize::from(m.tag).min(3)], words);
    }
    let social = !matches!(channel, Channel::Email | Channel::Phone | Channel::Sms | Channel::Chat);
    for t in list {
        if !matches!(t.kind, TokKind::Hashtag | TokKind::Mention) {
            continue;
        }
        let raw = text.get(t.start as usize..t.end as usize).unwrap_or("");
        match t.kind {
            TokKind::Hashtag => {
                let lower = a.tokens.norm(t);
                let (shaming, churn) = hashtag_stems(lower.as_bytes());
                if shaming {
                    add_reason(&mut out, UrgentKind::Shaming, raw);
                }
                if churn {
                    add_reason(&mut out, UrgentKind::Churn, raw);
                }
                if REGULATOR_HASHTAGS.contains(&lower) {
                    add_reason(&mut out, UrgentKind::Legal, raw);
                }
            }
            TokKind::Mention if social => {
                let handle = raw.trim_start_matches('@');
                let h = handle_hash(handle);
                let (press, regulators) = handle_sets();
                if regulators.binary_search(&h).is_ok() {
                    add_reason(&mut out, UrgentKind::Legal, raw);
                } else if press.binary_search(&h).is_ok()
                    || handle.as_bytes().windows(4).any(|w| w.eq_ignore_ascii_case(b"news"))
                    || PRESS_PREFIXES.iter().any(|p| handle.len() > 3 && handle.as_bytes()[..3].eq_ignore_ascii_case(p))
                {
                    add_reason(&mut out, UrgentKind::Shaming, raw);
                }
            }
            _ => {}
        }
    }
    out.sort_by_key(|r| r.reason);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reasons(text: &str) -> Vec<(UrgentKind, Vec<String>)> {
        let mut a = Analysis::new();
        a.read(text);
        let mut m = Vec::new();
        phrases().find(&a, &mut m);
        urgent_reasons(text, &a, Channel::X, &m).into_iter().map(|r| (r.reason, r.words)).collect()
    }

    #[test]
    fn every_phrase_list_compiles() {
        for (tag, list) in [SAFETY, LEGAL, CHURN, SHAMING, crate::spam::PROMOTION].into_iter().enumerate() {
            let mut set = PhraseSet::default();
            assert_eq!(set.add(tag as u8, list), Ok(()));
        }
        let mut sorted = PRESS_HANDLES.to_vec();
        sorted.sort_unstable();
        assert_eq!(sorted, PRESS_HANDLES);
        let mut sorted = REGULATOR_HANDLES.to_vec();
        sorted.sort_unstable();
        assert_eq!(sorted, REGULATOR_HANDLES);
    }

    #[test]
    fn hashtag_stems_match_as_substrings() {
        assert!(SHAMING_HASHTAG_STEMS.len() <= 24 && CHURN_HASHTAG_STEMS.len() <= 8);
        for tag in ["#fail", "#epicfail", "#worstairlineever", "#neveragain", "#time0switch", "#thanks", "#x", "#", ""]
        {
            let shaming = SHAMING_HASHTAG_STEMS.iter().any(|s| tag.contains(s));
            let churn = CHURN_HASHTAG_STEMS.iter().any(|s| tag.contains(s));
            assert_eq!(hashtag_stems(tag.as_bytes()), (shaming, churn), "{tag}");
        }
    }

    #[test]
    fn finds_the_acceptance_reasons() {
        let r = reasons("@AmericanAir flight AA1234 cancelled AGAIN, 3 hours on hold, cancelling my card #fail");
        assert_eq!(
            r,
            [
                (UrgentKind::Churn, vec!["cancelling my card".to_owned()]),
                (UrgentKind::Shaming, vec!["#fail".to_owned()])
            ]
        );
    }

    #[test]
    fn finds_each_kind() {
        assert_eq!(reasons("my phone battery caught fire")[0].0, UrgentKind::Safety);
        assert_eq!(reasons("I am calling my lawyer")[0].0, UrgentKind::Legal);
        assert_eq!(reasons("@united filed a complaint with @USDOT")[0].0, UrgentKind::Legal);
        assert_eq!(reasons("switching to @Delta")[0].0, UrgentKind::Churn);
        assert_eq!(reasons("I will never fly with you again")[0].0, UrgentKind::Churn);
        assert_eq!(reasons("@united @CNN look at this")[0].0, UrgentKind::Shaming);
        assert!(reasons("my flight was cancelled, please rebook me").is_empty());
        assert!(reasons("thanks for the help").is_empty());
    }
}
