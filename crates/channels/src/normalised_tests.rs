//! Tests of the normalised contract: defaults, nulls, every refusal with its
//! path and code, whole-body errors, and the export-import round trip.

use firebreak_domain::{Direction, MAX_TEXT_BYTES};
use proptest::prelude::*;
use serde_json::json;

use super::*;

fn item() -> serde_json::Value {
    json!({
        "channel": "x",
        "external_id": "570306133677760513",
        "author": {"id": "cairdin"},
        "text": "@VirginAmerica What @dhepburn said.",
        "created_at": "2015-02-24T11:35:52-08:00"
    })
}

fn batch(items: &[serde_json::Value]) -> Vec<u8> {
    serde_json::to_vec(items).unwrap()
}

fn item_errors(body: &[u8]) -> Vec<(usize, String, &'static str)> {
    match parse_batch(body) {
        Err(BatchError::InvalidItems { errors }) => errors.into_iter().map(|e| (e.index, e.field, e.code)).collect(),
        other => panic!("expected item errors, got {other:?}"),
    }
}

#[test]
fn a_minimal_item_takes_the_defaults() {
    let msgs = parse_batch(&batch(&[item()])).unwrap();
    let m = &msgs[0];
    assert_eq!(m.channel, Channel::X);
    assert_eq!(m.direction, Direction::In);
    assert_eq!(m.author.id.as_str(), "cairdin");
    assert_eq!(m.author.handle, None);
    assert_eq!(m.created_at.to_rfc3339(), "2015-02-24T19:35:52.000Z");
    assert_eq!((m.metrics, m.raw.is_none(), m.language.is_none()), (None, true, true));
}

#[test]
fn a_full_item_and_nulls_for_optional_fields() {
    let full = json!({
        "channel": "facebook", "external_id": "44444444_444444444_55555", "direction": "out",
        "author": {"id": "1", "handle": "@brand", "name": "The Brand", "followers": 12},
        "text": "Sorry to hear that — DM us.", "created_at": "2024-05-01T12:00:00Z", "language": "en",
        "in_reply_to": "44444444_444444444", "thread_id": "44444444_444444444",
        "metrics": {"likes": 3, "replies": 1}, "raw": {"verb": "add", "nested": [1, 2]}
    });
    let nulls = json!({
        "channel": "email", "external_id": "<a@b>", "direction": null,
        "author": {"id": "ann@example.com", "handle": null, "name": null, "followers": null},
        "text": "", "created_at": "2024-05-01T12:00:00Z", "language": null, "in_reply_to": null,
        "thread_id": null, "metrics": null, "raw": null
    });
    let msgs = parse_batch(&batch(&[full, nulls])).unwrap();
    let m = &msgs[0];
    assert_eq!(m.direction, Direction::Out);
    assert_eq!(m.author.handle.as_ref().unwrap().as_str(), "brand");
    assert_eq!(m.author.followers, Some(12));
    assert_eq!(m.metrics, Some(Metrics { likes: 3, shares: 0, replies: 1 }));
    assert_eq!(m.raw.as_ref().unwrap().as_str(), r#"{"nested":[1,2],"verb":"add"}"#);
    assert_eq!(m.in_reply_to.as_ref().unwrap().as_str(), "44444444_444444444");
    assert_eq!(m.language.as_ref().unwrap().as_str(), "en");
    let n = &msgs[1];
    assert_eq!(n.direction, Direction::In);
    assert_eq!((n.author.handle.is_none(), n.metrics.is_none(), n.raw.is_none()), (true, true, true));
}

#[test]
fn every_bad_item_is_named_with_its_field_and_code() {
    let mut no_author_id = item();
    no_author_id["author"] = json!({"handle": "x"});
    let mut unknown_top = item();
    unknown_top["sentiment"] = json!("negative");
    let mut unknown_nested = item();
    unknown_nested["author"]["verified"] = json!(true);
    let mut long = item();
    long["text"] = json!("x".repeat(MAX_TEXT_BYTES + 1));
    let mut several = item();
    several["channel"] = json!("myspace");
    several["created_at"] = json!("yesterday");
    several["external_id"] = json!("");
    let mut neg = item();
    neg["metrics"] = json!({"likes": -1});
    let mut not_object = item();
    not_object["raw"] = json!([1, 2]);
    let mut bad_direction = item();
    bad_direction["direction"] = json!("sideways");
    let body = batch(&[
        item(),
        no_author_id,
        unknown_top,
        unknown_nested,
        long,
        several,
        neg,
        not_object,
        json!("a string"),
        bad_direction,
    ]);
    let errors = item_errors(&body);
    let expect: Vec<(usize, String, &str)> = vec![
        (1, "author.id".into(), "missing_field"),
        (2, "sentiment".into(), "unknown_field"),
        (3, "author.verified".into(), "unknown_field"),
        (4, "text".into(), "text_too_long"),
        (5, "channel".into(), "unknown_channel"),
        (5, "external_id".into(), "empty"),
        (5, "created_at".into(), "invalid_timestamp"),
        (6, "metrics.likes".into(), "invalid_value"),
        (7, "raw".into(), "invalid_type"),
        (8, "".into(), "invalid_type"),
        (9, "direction".into(), "invalid_direction"),
    ];
    assert_eq!(errors, expect);
    let err = parse_batch(&body).unwrap_err();
    assert_eq!(err.code(), "invalid_items");
    assert_eq!(err.to_string(), "9 of the messages are invalid");
}

#[test]
fn messages_are_sentences_and_stay_short() {
    let mut long = item();
    long["author"]["followers"] = json!("many".repeat(10_000));
    let Err(BatchError::InvalidItems { errors }) = parse_batch(&batch(&[long])) else { panic!() };
    assert_eq!(errors[0].field, "author.followers");
    assert_eq!(errors[0].code, "invalid_type");
    assert!(errors[0].message.len() < 300, "{}", errors[0].message);
}

#[test]
fn whole_body_problems() {
    assert_eq!(parse_batch(b"[\xff]").unwrap_err().code(), "invalid_utf8");
    assert_eq!(parse_batch(b"[{").unwrap_err().code(), "malformed_json");
    assert_eq!(parse_batch(b"").unwrap_err().code(), "malformed_json");
    assert_eq!(parse_batch(b"{}").unwrap_err(), BatchError::NotAnArray);
    assert_eq!(parse_batch(b"null").unwrap_err(), BatchError::NotAnArray);
    assert_eq!(parse_batch(b"[] x").unwrap_err().code(), "malformed_json");
    assert_eq!(parse_batch(b" [ ] ").unwrap(), vec![]);
    let many = format!("[{}]", vec!["{}"; MAX_BATCH_ITEMS + 1].join(","));
    assert_eq!(
        parse_batch(many.as_bytes()).unwrap_err(),
        BatchError::TooManyItems { count: MAX_BATCH_ITEMS + 1, limit: MAX_BATCH_ITEMS }
    );
}

#[test]
fn parse_item_reports_lines_that_are_not_json() {
    assert_eq!(parse_item(b"{\"channel\":").unwrap_err()[0].code, "malformed_json");
    assert_eq!(parse_item(b"\xc3\x28").unwrap_err()[0].code, "invalid_utf8");
    let line = serde_json::to_vec(&item()).unwrap();
    assert_eq!(parse_item(&line).unwrap().external_id.as_str(), "570306133677760513");
}

#[test]
fn escaped_strings_are_decoded() {
    let mut it = item();
    it["text"] = json!("line one\nline \"two\" \u{1F600}");
    let m = parse_item(&serde_json::to_vec(&it).unwrap()).unwrap();
    assert_eq!(m.text.as_str(), "line one\nline \"two\" \u{1F600}");
}

fn arb_message() -> impl Strategy<Value = NewMessage> {
    let ids = "[^\\p{Cc}]{1,40}";
    (
        proptest::sample::select(Channel::ALL.to_vec()),
        ids,
        any::<bool>(),
        (
            ids,
            proptest::option::of("[a-zA-Z0-9_]{1,15}"),
            proptest::option::of("[^\\p{Cc}]{0,30}"),
            any::<Option<u64>>(),
        ),
        "[^\\x00]{0,200}",
        proptest::option::of(proptest::sample::select(vec!["en", "und", "pt-br", "es"])),
        -62_135_596_800_000i64..253_402_300_799_999,
        (proptest::option::of(ids), proptest::option::of(ids)),
        proptest::option::of(any::<(u64, u64, u64)>()),
        proptest::option::of("[^\\x00]{0,40}"),
    )
        .prop_map(
            |(channel, ext, out, (aid, handle, name, followers), text, lang, ms, (reply, thread), metrics, raw)| {
                NewMessage {
                    channel,
                    external_id: ExternalId::parse(ext).unwrap(),
                    direction: if out { Direction::Out } else { Direction::In },
                    author: Author {
                        id: PlatformUserId::parse(aid).unwrap(),
                        handle: handle.map(|h| Handle::parse(&h).unwrap()),
                        name: name.map(|n| DisplayName::parse(&n).unwrap()),
                        followers,
                    },
                    text: MessageText::parse(text).unwrap(),
                    language: lang.map(|l| Language::parse(l).unwrap()),
                    created_at: Timestamp::from_unix_millis(ms).unwrap(),
                    in_reply_to: reply.map(|r| ExternalId::parse(r).unwrap()),
                    thread_id: thread.map(|t| ThreadKey::parse(t).unwrap()),
                    metrics: metrics.map(|(likes, shares, replies)| Metrics { likes, shares, replies }),
                    raw: raw.map(|r| RawPayload::from_value(&json!({"note": r, "n": [1, {"a": null}]}))),
                    triage: None,
                }
            },
        )
}

proptest! {
    #[test]
    fn export_then_import_round_trips(m in arb_message()) {
        let line = to_json_line(&m);
        prop_assert_eq!(parse_item(line.as_bytes()).unwrap(), m.clone());
        let value = to_json(&m);
        let body = serde_json::to_vec(&vec![value]).unwrap();
        prop_assert_eq!(parse_batch(&body).unwrap(), vec![m]);
    }

    #[test]
    fn parse_batch_never_panics_on_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = parse_batch(&bytes);
        let _ = parse_item(&bytes);
    }

    #[test]
    fn parse_batch_never_panics_on_near_misses(
        key in "[a-z_.]{0,12}",
        value in prop_oneof![Just(json!(null)), Just(json!(-1)), Just(json!(1.5)), Just(json!([])),
                             Just(json!({})), ".{0,40}".prop_map(|s| json!(s))],
    ) {
        let mut it = item();
        it[key.as_str()] = value.clone();
        it["author"][key.as_str()] = value;
        let body = batch(&[it]);
        let _ = parse_batch(&body);
    }
}
