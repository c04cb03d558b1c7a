//! X API v2: search and lookup responses (`data` as an array or one object)
//! and filtered-stream lines (one object with `data`), with authors joined
//! from `includes.users` by `author_id`.

use std::collections::HashMap;

use firebreak_domain::{Author, Channel, Direction, Metrics, NewMessage};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::{
    ParseError, convert,
    json::{self, Str, StrOrNum},
    timefmt,
};

#[derive(Deserialize)]
struct Response<'a> {
    #[serde(default, borrow)]
    data: Option<&'a RawValue>,
    #[serde(default, borrow)]
    includes: Option<Includes<'a>>,
    #[serde(default, borrow)]
    errors: Option<Vec<ApiError<'a>>>,
    /// A v2 problem answer (`{"title", "detail", "type", "status"}`).
    #[serde(default, borrow)]
    title: Option<Str<'a>>,
    #[serde(default, borrow)]
    detail: Option<Str<'a>>,
}

#[derive(Deserialize)]
struct Includes<'a> {
    #[serde(default, borrow)]
    users: Vec<User<'a>>,
}

#[derive(Deserialize)]
struct ApiError<'a> {
    #[serde(default, borrow)]
    title: Option<Str<'a>>,
    #[serde(default, borrow)]
    detail: Option<Str<'a>>,
    #[serde(default, borrow)]
    message: Option<Str<'a>>,
}

#[derive(Deserialize)]
struct User<'a> {
    #[serde(borrow)]
    id: StrOrNum<'a>,
    #[serde(default, borrow)]
    username: Option<Str<'a>>,
    #[serde(default, borrow)]
    name: Option<Str<'a>>,
    #[serde(default)]
    public_metrics: Option<UserMetrics>,
}

#[derive(Deserialize)]
struct UserMetrics {
    #[serde(default)]
    followers_count: Option<u64>,
}

#[derive(Deserialize)]
struct Tweet<'a> {
    #[serde(borrow)]
    id: StrOrNum<'a>,
    #[serde(default, borrow)]
    text: Option<Str<'a>>,
    #[serde(default, borrow)]
    author_id: Option<StrOrNum<'a>>,
    #[serde(default, borrow)]
    created_at: Option<Str<'a>>,
    #[serde(default, borrow)]
    conversation_id: Option<StrOrNum<'a>>,
    #[serde(default, borrow)]
    referenced_tweets: Vec<Reference<'a>>,
    #[serde(default)]
    public_metrics: Option<TweetMetrics>,
    #[serde(default, borrow)]
    lang: Option<Str<'a>>,
    #[serde(default, borrow)]
    note_tweet: Option<NoteTweet<'a>>,
}

#[derive(Deserialize)]
struct Reference<'a> {
    #[serde(rename = "type", borrow)]
    kind: Str<'a>,
    #[serde(borrow)]
    id: StrOrNum<'a>,
}

#[derive(Deserialize)]
struct TweetMetrics {
    #[serde(default)]
    like_count: u64,
    #[serde(default)]
    retweet_count: u64,
    #[serde(default)]
    quote_count: u64,
    #[serde(default)]
    reply_count: u64,
}

#[derive(Deserialize)]
struct NoteTweet<'a> {
    #[serde(default, borrow)]
    text: Option<Str<'a>>,
}

/// Parses an API v2 tweet response or one filtered-stream line. A body of
/// only whitespace (a stream keep-alive) or with no `data` (a search with no
/// results) is no messages; a body with `errors` and no `data` is
/// [`ParseError::PlatformError`].
pub fn parse_v2_response(body: &[u8]) -> Result<Vec<NewMessage>, ParseError> {
    let text = json::utf8(body)?;
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    let resp: Response<'_> = json::typed_at(text, "")?;
    let Some(data) = resp.data else {
        return match platform_error(&resp) {
            Some(message) => Err(ParseError::PlatformError { message }),
            None => Ok(Vec::new()),
        };
    };
    let users: HashMap<&str, &User<'_>> =
        resp.includes.iter().flat_map(|i| i.users.iter()).map(|u| (u.id.0.as_ref(), u)).collect();
    let data_text = data.get();
    if data_text.starts_with('[') {
        let items: Vec<&RawValue> = json::typed_at(data_text, "data")?;
        items.iter().enumerate().map(|(i, raw)| tweet(raw, &format!("data[{i}]"), &users)).collect()
    } else {
        Ok(vec![tweet(data, "data", &users)?])
    }
}

fn platform_error(resp: &Response<'_>) -> Option<String> {
    let from_errors = resp.errors.as_ref().and_then(|errs| errs.first()).map(|e| {
        let parts = [&e.title, &e.detail, &e.message];
        let words: Vec<&str> = parts.iter().filter_map(|p| p.as_ref().map(Str::as_str)).collect();
        if words.is_empty() { "an unspecified error".to_owned() } else { words.join(": ") }
    });
    let from_problem = match (&resp.title, &resp.detail) {
        (Some(t), Some(d)) => Some(format!("{}: {}", t.as_str(), d.as_str())),
        (Some(t), None) => Some(t.as_str().to_owned()),
        (None, Some(d)) => Some(d.as_str().to_owned()),
        (None, None) => None,
    };
    from_errors.or(from_problem).map(|m| json::cut(&m).into_owned())
}

fn tweet(raw: &RawValue, path: &str, users: &HashMap<&str, &User<'_>>) -> Result<NewMessage, ParseError> {
    let t: Tweet<'_> = json::typed_at(raw.get(), path)?;
    let at = |f: &str| json::join(path, f);
    let external_id = convert::external_id(&at("id"), &t.id.0)?;
    let author_id = t.author_id.as_ref().ok_or_else(|| ParseError::missing(at("author_id")))?;
    let mut author = Author::new(convert::user_id(&at("author_id"), &author_id.0)?);
    if let Some(user) = users.get(author_id.0.as_ref()) {
        author.handle = convert::handle(user.username.as_ref().map(Str::as_str));
        author.name = convert::name(user.name.as_ref().map(Str::as_str));
        author.followers = user.public_metrics.as_ref().and_then(|m| m.followers_count);
    }
    let created_at = match &t.created_at {
        Some(s) => firebreak_domain::Timestamp::parse_rfc3339(s.as_str())
            .map_err(|e| ParseError::field(at("created_at"), e))?,
        None => timefmt::snowflake(&t.id.0).ok_or_else(|| ParseError::missing(at("created_at")))?,
    };
    // A long post's `text` is cut at 280 characters; the whole is in `note_tweet`.
    let body = t.note_tweet.as_ref().and_then(|n| n.text.as_ref()).or(t.text.as_ref()).map_or("", Str::as_str);
    let in_reply_to = t.referenced_tweets.iter().find(|r| r.kind.as_str() == "replied_to").map(|r| r.id.0.as_ref());
    Ok(NewMessage {
        channel: Channel::X,
        external_id,
        direction: Direction::In,
        author,
        text: convert::text(body),
        language: convert::language(t.lang.as_ref().map(Str::as_str)),
        created_at,
        in_reply_to: convert::reference(in_reply_to),
        thread_id: convert::thread(t.conversation_id.as_ref().map(|c| c.0.as_ref())),
        metrics: t.public_metrics.map(|m| Metrics {
            likes: m.like_count,
            shares: m.retweet_count.saturating_add(m.quote_count),
            replies: m.reply_count,
        }),
        raw: Some(convert::raw(raw)),
        triage: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    #[test]
    fn search_response_joins_authors_and_reads_every_field() {
        let msgs = parse_v2_response(&fixture("x_v2_search.json")).unwrap();
        assert_eq!(msgs.len(), 3);
        let first = &msgs[0];
        assert_eq!(first.channel, Channel::X);
        assert_eq!(first.external_id.as_str(), "1460323737035677698");
        assert_eq!(first.author.id.as_str(), "2244994945");
        assert_eq!(first.author.handle.as_ref().unwrap().as_str(), "jdoe_travels");
        assert_eq!(first.author.name.as_ref().unwrap().as_str(), "Jane Doe");
        assert_eq!(first.author.followers, Some(431));
        assert_eq!(first.created_at.to_rfc3339(), "2021-11-15T19:08:05.000Z");
        assert_eq!(first.thread_id.as_ref().unwrap().as_str(), "1460323737035677698");
        assert_eq!(first.metrics, Some(Metrics { likes: 5, shares: 3, replies: 1 }));
        assert_eq!(first.language.as_ref().unwrap().as_str(), "en");
        assert_eq!(first.in_reply_to, None);
        let raw: serde_json::Value = serde_json::from_str(first.raw.as_ref().unwrap().as_str()).unwrap();
        assert_eq!(raw["public_metrics"]["impression_count"], 310);

        let reply = &msgs[1];
        assert_eq!(reply.in_reply_to.as_ref().unwrap().as_str(), "1460323737035677698");
        assert_eq!(reply.author.handle.as_ref().unwrap().as_str(), "AcmeAir");

        let long = &msgs[2];
        assert!(long.text.as_str().ends_with("where the full text of a long post lives."));
        assert_eq!(long.in_reply_to, None, "a quote is not a reply");
        assert_eq!(long.author.handle, None, "the author is not in includes");
        assert_eq!(long.metrics, None);
        assert_eq!(long.language.as_ref().unwrap().as_str(), "und");
    }

    #[test]
    fn a_stream_line_is_one_message() {
        let msgs = parse_v2_response(&fixture("x_v2_stream_line.json")).unwrap();
        assert_eq!(msgs.len(), 1);
        assert_eq!(msgs[0].text.as_str(), "@AcmeAir thanks, all sorted 👍");
        assert_eq!(msgs[0].in_reply_to.as_ref().unwrap().as_str(), "1460324114485919744");
        assert_eq!(parse_v2_response(b"\r\n").unwrap(), vec![]);
    }

    #[test]
    fn empty_results_errors_and_missing_fields() {
        assert_eq!(parse_v2_response(br#"{"meta":{"result_count":0}}"#).unwrap(), vec![]);
        let err = parse_v2_response(&fixture("x_v2_error.json")).unwrap_err();
        assert_eq!(err.code(), "platform_error");
        assert!(err.to_string().contains("Could not find tweet"), "{err}");
        let err = parse_v2_response(br#"{"title":"Unauthorized","type":"about:blank","status":401}"#).unwrap_err();
        assert_eq!(err.code(), "platform_error");

        let no_author = br#"{"data":[{"id":"1460323737035677698","text":"hi"}]}"#;
        let err = parse_v2_response(no_author).unwrap_err();
        assert_eq!((err.code(), err.to_string().contains("data[0].author_id")), ("missing_field", true));
        let bad_type = br#"{"data":{"id":"1","author_id":"2","text":5}}"#;
        let ParseError::InvalidField { field, code, .. } = parse_v2_response(bad_type).unwrap_err() else { panic!() };
        assert_eq!((field.as_str(), code), ("data.text", "invalid_type"));
        assert_eq!(parse_v2_response(b"{").unwrap_err().code(), "malformed_json");
        assert_eq!(parse_v2_response(b"\xff").unwrap_err().code(), "invalid_utf8");
    }

    #[test]
    fn created_at_falls_back_to_the_snowflake() {
        let body = br#"{"data":{"id":"1212092628029698048","author_id":"2244994945","text":"hi"}}"#;
        let m = &parse_v2_response(body).unwrap()[0];
        assert_eq!(m.created_at.to_rfc3339(), "2019-12-31T19:26:16.771Z");
        let old = br#"{"data":{"id":"20","author_id":"12","text":"just setting up my twttr"}}"#;
        assert_eq!(parse_v2_response(old).unwrap_err().code(), "missing_field");
    }

    proptest::proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
            let _ = parse_v2_response(&bytes);
        }

        #[test]
        fn never_panics_on_json_shaped_input(id in ".{0,20}", text in ".{0,40}", ts in ".{0,30}",
                                             kind in "replied_to|quoted|.{0,8}") {
            let body = serde_json::json!({"data": [{"id": id, "author_id": id, "text": text, "created_at": ts,
                "conversation_id": id, "referenced_tweets": [{"type": kind, "id": id}]}],
                "includes": {"users": [{"id": id, "username": text, "name": text}]}});
            let _ = parse_v2_response(&serde_json::to_vec(&body).unwrap());
        }
    }
}
