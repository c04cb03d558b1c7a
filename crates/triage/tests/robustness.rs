//! Bad input never breaks a judgement: arbitrary strings, empty text, only
//! emoji, only URLs, mixed scripts, 64 KiB of one character; and judging is
//! linear, with a length cap, so 100 KB of anything is judged quickly.

use std::time::{Duration, Instant};

use firebreak_domain::Channel;
use firebreak_triage::{MAX_JUDGED_BYTES, Triager};
use proptest::prelude::*;

fn check(text: &str) {
    let t = Triager::builtin();
    for channel in Channel::ALL {
        let j = t.judge(text, channel);
        assert!((-1.0..=1.0).contains(&j.sentiment_score), "{text:?}");
        assert!(!j.language.is_empty());
        for e in &j.entities {
            assert!(e.start < e.end && e.end <= text.len().min(MAX_JUDGED_BYTES));
            assert_eq!(text.get(e.start..e.end), Some(e.text.as_str()));
        }
        for r in &j.reasons {
            assert!(r.weight.is_finite());
        }
        assert_eq!(j.urgent, !j.urgent_reasons.is_empty());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn never_panics_on_arbitrary_strings(s in any::<String>()) {
        check(&s);
    }

    #[test]
    fn never_panics_on_tweet_like_strings(s in r"(@[A-Za-z0-9_]{0,12}|#[a-z0-9]{0,8}|https?://[a-z./]{0,12}|[A-Z]{2}[0-9]{1,4}|[0-9() +.-]{1,16}|[a-zA-Z']{1,9}|[!?.,:;]{1,3}|😡|👍🏽|❤️| ){0,40}") {
        check(&s);
    }

    #[test]
    fn never_panics_on_repeated_units(unit in ".{1,4}", n in 0usize..20_000) {
        check(&unit.repeat(n));
    }
}

#[test]
fn odd_inputs_give_judgements() {
    check("");
    check(" \n\t ");
    check("😡😡😡🔥🔥👍🏽❤️‍🔥");
    check("https://t.co/a https://t.co/b http://www.example.com/x?y=z");
    check("Привет! 你好 مرحبا שלום こんにちは 안녕하세요 hello");
    check(&"a".repeat(64 * 1024));
    check(&"é".repeat(32 * 1024));
    check(&"😡".repeat(16 * 1024));
    check("\u{0}\u{FEFF}\u{200D}\u{FE0F}");
}

/// 100 KB inputs, judged in well under 5 ms each (the bench measures them
/// precisely; this guards against a quadratic slip in any build).
#[test]
fn pathological_inputs_are_fast() {
    let inputs = [
        "😡🔥👍🏽❤️".repeat(6_000),
        "cancelled again ".repeat(6_400),
        "a".repeat(100_000),
        "https://t.co/abcdef ".repeat(5_000),
        "Привет 你好 مرحبا hello 123-456-7890 #tag @who ".repeat(1_700),
        "1-800-".repeat(17_000),
        "@a".repeat(50_000),
        "#a".repeat(50_000),
    ];
    let t = Triager::builtin();
    for text in &inputs {
        let _ = t.judge(text, Channel::X);
        let start = Instant::now();
        let _ = t.judge(text, Channel::X);
        let took = start.elapsed();
        // Generous for unoptimised test builds on a shared machine.
        assert!(took < Duration::from_millis(50), "{} bytes took {took:?}", text.len());
    }
}
