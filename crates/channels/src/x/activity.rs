//! X Account Activity API webhook deliveries: `tweet_create_events` (v1.1
//! tweet objects) and `direct_message_events` (`message_create` events with a
//! `users` map), for the subscribed account `for_user_id`.

use std::collections::HashMap;

use firebreak_domain::{Author, Channel, Direction, Metrics, NewMessage, ThreadKey};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::{
    ParseError, convert,
    json::{self, Str, StrOrNum},
    timefmt,
};

#[derive(Deserialize)]
struct Delivery<'a> {
    #[serde(default, borrow)]
    for_user_id: Option<StrOrNum<'a>>,
    #[serde(default, borrow)]
    tweet_create_events: Vec<&'a RawValue>,
    #[serde(default, borrow)]
    direct_message_events: Vec<&'a RawValue>,
    #[serde(default)]
    users: HashMap<String, DmUser>,
}

#[derive(Deserialize)]
struct DmUser {
    #[serde(default)]
    screen_name: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    followers_count: Option<u64>,
}

#[derive(Deserialize)]
struct V1Tweet<'a> {
    #[serde(default, borrow)]
    id_str: Option<Str<'a>>,
    #[serde(default, borrow)]
    id: Option<StrOrNum<'a>>,
    #[serde(default, borrow)]
    text: Option<Str<'a>>,
    #[serde(default, borrow)]
    full_text: Option<Str<'a>>,
    #[serde(default, borrow)]
    extended_tweet: Option<Extended<'a>>,
    #[serde(borrow)]
    user: V1User<'a>,
    #[serde(default, borrow)]
    created_at: Option<Str<'a>>,
    #[serde(default, borrow)]
    in_reply_to_status_id_str: Option<Str<'a>>,
    #[serde(default)]
    favorite_count: Option<u64>,
    #[serde(default)]
    retweet_count: Option<u64>,
    #[serde(default)]
    quote_count: Option<u64>,
    #[serde(default)]
    reply_count: Option<u64>,
    #[serde(default, borrow)]
    lang: Option<Str<'a>>,
}

#[derive(Deserialize)]
struct Extended<'a> {
    #[serde(default, borrow)]
    full_text: Option<Str<'a>>,
}

#[derive(Deserialize)]
struct V1User<'a> {
    #[serde(default, borrow)]
    id_str: Option<Str<'a>>,
    #[serde(default, borrow)]
    id: Option<StrOrNum<'a>>,
    #[serde(default, borrow)]
    screen_name: Option<Str<'a>>,
    #[serde(default, borrow)]
    name: Option<Str<'a>>,
    #[serde(default)]
    followers_count: Option<u64>,
}

#[derive(Deserialize)]
struct DmEvent<'a> {
    #[serde(rename = "type", default, borrow)]
    kind: Option<Str<'a>>,
    #[serde(default, borrow)]
    id: Option<StrOrNum<'a>>,
    #[serde(default, borrow)]
    created_timestamp: Option<StrOrNum<'a>>,
    #[serde(default, borrow)]
    message_create: Option<MessageCreate<'a>>,
}

#[derive(Deserialize)]
struct MessageCreate<'a> {
    #[serde(borrow)]
    target: Target<'a>,
    #[serde(borrow)]
    sender_id: StrOrNum<'a>,
    #[serde(default, borrow)]
    message_data: Option<MessageData<'a>>,
}

#[derive(Deserialize)]
struct Target<'a> {
    #[serde(borrow)]
    recipient_id: StrOrNum<'a>,
}

#[derive(Deserialize)]
struct MessageData<'a> {
    #[serde(default, borrow)]
    text: Option<Str<'a>>,
}

/// Parses one Account Activity delivery into its tweets and direct messages,
/// in delivery order (tweets first). Other kinds of event give no messages.
pub fn parse_account_activity(body: &[u8]) -> Result<Vec<NewMessage>, ParseError> {
    let d: Delivery<'_> = json::body(body)?;
    let brand = d.for_user_id.as_ref().map(|u| u.0.as_ref());
    let mut out = Vec::with_capacity(d.tweet_create_events.len() + d.direct_message_events.len());
    for (i, raw) in d.tweet_create_events.iter().enumerate() {
        out.push(tweet(raw, &format!("tweet_create_events[{i}]"), brand)?);
    }
    for (i, raw) in d.direct_message_events.iter().enumerate() {
        if let Some(m) = direct_message(raw, &format!("direct_message_events[{i}]"), brand, &d.users)? {
            out.push(m);
        }
    }
    Ok(out)
}

fn tweet(raw: &RawValue, path: &str, brand: Option<&str>) -> Result<NewMessage, ParseError> {
    let t: V1Tweet<'_> = json::typed_at(raw.get(), path)?;
    let at = |f: &str| json::join(path, f);
    let id = t.id_str.as_ref().map(|s| s.0.as_ref()).or(t.id.as_ref().map(|s| s.0.as_ref()));
    let external_id = convert::external_id(&at("id_str"), id.ok_or_else(|| ParseError::missing(at("id_str")))?)?;
    let user_id = t.user.id_str.as_ref().map(|s| s.0.as_ref()).or(t.user.id.as_ref().map(|s| s.0.as_ref()));
    let user_id = user_id.ok_or_else(|| ParseError::missing(at("user.id_str")))?;
    let author = Author {
        id: convert::user_id(&at("user.id_str"), user_id)?,
        handle: convert::handle(t.user.screen_name.as_ref().map(Str::as_str)),
        name: convert::name(t.user.name.as_ref().map(Str::as_str)),
        followers: t.user.followers_count,
    };
    let created_at = match &t.created_at {
        Some(s) => timefmt::twitter(s.as_str()).map_err(|e| ParseError::field(at("created_at"), e))?,
        None => timefmt::snowflake(external_id.as_str()).ok_or_else(|| ParseError::missing(at("created_at")))?,
    };
    // A tweet over 140 characters is `truncated`; its whole text is in `extended_tweet`.
    let text = t
        .extended_tweet
        .as_ref()
        .and_then(|e| e.full_text.as_ref())
        .or(t.full_text.as_ref())
        .or(t.text.as_ref())
        .map_or("", Str::as_str);
    let counts = [t.favorite_count, t.retweet_count, t.quote_count, t.reply_count];
    let metrics = counts.iter().any(Option::is_some).then(|| Metrics {
        likes: t.favorite_count.unwrap_or(0),
        shares: t.retweet_count.unwrap_or(0).saturating_add(t.quote_count.unwrap_or(0)),
        replies: t.reply_count.unwrap_or(0),
    });
    Ok(NewMessage {
        channel: Channel::X,
        direction: direction(author.id.as_str(), brand),
        external_id,
        author,
        text: convert::text(text),
        language: convert::language(t.lang.as_ref().map(Str::as_str)),
        created_at,
        in_reply_to: convert::reference(t.in_reply_to_status_id_str.as_ref().map(Str::as_str)),
        thread_id: None,
        metrics,
        raw: Some(convert::raw(raw)),
        triage: None,
    })
}

fn direct_message(
    raw: &RawValue,
    path: &str,
    brand: Option<&str>,
    users: &HashMap<String, DmUser>,
) -> Result<Option<NewMessage>, ParseError> {
    let e: DmEvent<'_> = json::typed_at(raw.get(), path)?;
    let at = |f: &str| json::join(path, f);
    if e.kind.as_ref().is_some_and(|k| k.as_str() != "message_create") {
        return Ok(None);
    }
    let Some(mc) = e.message_create else {
        return if e.kind.is_some() { Err(ParseError::missing(at("message_create"))) } else { Ok(None) };
    };
    let id = e.id.as_ref().ok_or_else(|| ParseError::missing(at("id")))?;
    let external_id = convert::external_id(&at("id"), &id.0)?;
    let sender = mc.sender_id.0.as_ref();
    let mut author = Author::new(convert::user_id(&at("message_create.sender_id"), sender)?);
    if let Some(u) = users.get(sender) {
        author.handle = convert::handle(u.screen_name.as_deref());
        author.name = convert::name(u.name.as_deref());
        author.followers = u.followers_count;
    }
    let created_at = match &e.created_timestamp {
        Some(ms) => timefmt::millis_text(&ms.0).map_err(|err| ParseError::field(at("created_timestamp"), err))?,
        None => timefmt::snowflake(&id.0).ok_or_else(|| ParseError::missing(at("created_timestamp")))?,
    };
    let text = mc.message_data.as_ref().and_then(|d| d.text.as_ref()).map_or("", Str::as_str);
    let thread = super::dm_thread(sender, &mc.target.recipient_id.0);
    Ok(Some(NewMessage {
        channel: Channel::X,
        direction: direction(sender, brand),
        external_id,
        author,
        text: convert::text(text),
        language: None,
        created_at,
        in_reply_to: None,
        thread_id: ThreadKey::parse(thread).ok(),
        metrics: None,
        raw: Some(convert::raw(raw)),
        triage: None,
    }))
}

fn direction(author: &str, brand: Option<&str>) -> Direction {
    if brand == Some(author) { Direction::Out } else { Direction::In }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    #[test]
    fn tweet_create_events() {
        let msgs = parse_account_activity(&fixture("x_activity_tweet_create.json")).unwrap();
        assert_eq!(msgs.len(), 2);
        let m = &msgs[0];
        assert_eq!(m.external_id.as_str(), "1050118621198921728");
        assert_eq!(m.direction, Direction::In);
        assert_eq!(m.author.id.as_str(), "6253282");
        assert_eq!(m.author.handle.as_ref().unwrap().as_str(), "samlee");
        assert_eq!(m.author.name.as_ref().unwrap().as_str(), "Sam \"Traveller\" Lee");
        assert_eq!(m.author.followers, Some(82));
        assert!(m.text.as_str().ends_with("every time I fly with you."), "the extended text is used");
        assert_eq!(m.created_at.to_rfc3339(), "2018-10-10T20:19:24.000Z");
        assert_eq!(m.metrics, Some(Metrics { likes: 3, shares: 1, replies: 0 }));
        assert_eq!(m.in_reply_to, None);
        let reply = &msgs[1];
        assert_eq!(reply.direction, Direction::Out, "written by for_user_id");
        assert_eq!(reply.in_reply_to.as_ref().unwrap().as_str(), "1050118621198921728");
        assert_eq!(reply.text.as_str(), "@samlee Sorry about that, Sam. Please DM us your file reference.");
    }

    #[test]
    fn direct_message_events() {
        let msgs = parse_account_activity(&fixture("x_activity_dm.json")).unwrap();
        assert_eq!(msgs.len(), 2);
        let (inbound, outbound) = (&msgs[0], &msgs[1]);
        assert_eq!(inbound.external_id.as_str(), "1050126000000000000");
        assert_eq!(inbound.direction, Direction::In);
        assert_eq!(inbound.author.handle.as_ref().unwrap().as_str(), "samlee");
        assert_eq!(inbound.author.followers, Some(82));
        assert_eq!(inbound.text.as_str(), "My file reference is LHR12345");
        assert_eq!(inbound.created_at.unix_millis(), 1_539_203_400_000);
        assert_eq!(outbound.direction, Direction::Out);
        assert_eq!(outbound.author.name.as_ref().unwrap().as_str(), "Acme Air");
        assert_eq!(inbound.thread_id, outbound.thread_id);
        assert_eq!(inbound.thread_id.as_ref().unwrap().as_str(), "dm:783214-6253282");
    }

    #[test]
    fn other_events_are_ignored() {
        assert_eq!(parse_account_activity(&fixture("x_activity_other.json")).unwrap(), vec![]);
        let typing = br#"{"for_user_id":"1","direct_message_events":[{"type":"message_delete","id":"5"}]}"#;
        assert_eq!(parse_account_activity(typing).unwrap(), vec![]);
    }

    #[test]
    fn bad_events_name_their_path() {
        let body = br#"{"for_user_id":"1","tweet_create_events":[{"id_str":"10","text":"x","user":{}}]}"#;
        let ParseError::InvalidField { field, code, .. } = parse_account_activity(body).unwrap_err() else { panic!() };
        assert_eq!((field.as_str(), code), ("tweet_create_events[0].user.id_str", "missing_field"));
        let body = br#"{"direct_message_events":[{"type":"message_create","id":"9","created_timestamp":"soon",
            "message_create":{"target":{"recipient_id":"1"},"sender_id":"2"}}]}"#;
        let err = parse_account_activity(body).unwrap_err();
        assert_eq!(err.code(), "invalid_timestamp");
        assert!(err.to_string().contains("direct_message_events[0].created_timestamp"), "{err}");
        assert_eq!(parse_account_activity(b"5").unwrap_err().code(), "invalid_type");
    }

    proptest::proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
            let _ = parse_account_activity(&bytes);
        }

        #[test]
        fn never_panics_on_json_shaped_input(id in ".{0,20}", text in ".{0,40}", ts in ".{0,30}") {
            let body = serde_json::json!({"for_user_id": id,
                "tweet_create_events": [{"id_str": id, "text": text, "created_at": ts, "user": {"id_str": id}}],
                "direct_message_events": [{"type": "message_create", "id": id, "created_timestamp": ts,
                    "message_create": {"target": {"recipient_id": id}, "sender_id": text}}],
                "users": {id.clone(): {"screen_name": text}}});
            let _ = parse_account_activity(&serde_json::to_vec(&body).unwrap());
        }
    }
}
