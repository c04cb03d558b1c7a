//! Meta webhook deliveries into messages: Page feed changes, Messenger and
//! Instagram messaging events, and Instagram comments. The rules for what is
//! kept are in the module doc of [`crate::meta`].

use firebreak_domain::{Author, Channel, Direction, NewMessage, ThreadKey, Timestamp};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::{
    ParseError, convert,
    json::{self, Str, StrOrNum},
    timefmt,
};

/// The author id used when Meta leaves out who wrote a comment.
const UNKNOWN_AUTHOR: &str = "unknown";

#[derive(Deserialize)]
struct Delivery<'a> {
    #[serde(borrow)]
    object: Str<'a>,
    #[serde(default, borrow)]
    entry: Vec<Entry<'a>>,
}

#[derive(Deserialize)]
struct Entry<'a> {
    #[serde(borrow)]
    id: StrOrNum<'a>,
    #[serde(default)]
    time: Option<i64>,
    #[serde(default, borrow)]
    changes: Vec<Change<'a>>,
    #[serde(default, borrow)]
    messaging: Vec<&'a RawValue>,
}

#[derive(Deserialize)]
struct Change<'a> {
    #[serde(borrow)]
    field: Str<'a>,
    #[serde(borrow)]
    value: &'a RawValue,
}

#[derive(Deserialize)]
struct From<'a> {
    #[serde(borrow)]
    id: StrOrNum<'a>,
    #[serde(default, borrow)]
    name: Option<Str<'a>>,
    #[serde(default, borrow)]
    username: Option<Str<'a>>,
}

#[derive(Deserialize)]
struct FeedChange<'a> {
    #[serde(default, borrow)]
    item: Option<Str<'a>>,
    #[serde(default, borrow)]
    verb: Option<Str<'a>>,
    #[serde(default, borrow)]
    from: Option<From<'a>>,
    #[serde(default, borrow)]
    message: Option<Str<'a>>,
    #[serde(default, borrow)]
    post_id: Option<StrOrNum<'a>>,
    #[serde(default, borrow)]
    comment_id: Option<StrOrNum<'a>>,
    #[serde(default, borrow)]
    parent_id: Option<StrOrNum<'a>>,
    #[serde(default, borrow)]
    created_time: Option<StrOrNum<'a>>,
}

#[derive(Deserialize)]
struct InstagramComment<'a> {
    #[serde(borrow)]
    id: StrOrNum<'a>,
    #[serde(default, borrow)]
    from: Option<From<'a>>,
    #[serde(default, borrow)]
    text: Option<Str<'a>>,
    #[serde(default, borrow)]
    parent_id: Option<StrOrNum<'a>>,
    #[serde(default, borrow)]
    media: Option<Media<'a>>,
}

#[derive(Deserialize)]
struct Media<'a> {
    #[serde(borrow)]
    id: StrOrNum<'a>,
}

#[derive(Deserialize)]
struct Messaging<'a> {
    #[serde(borrow)]
    sender: Party<'a>,
    #[serde(borrow)]
    recipient: Party<'a>,
    #[serde(default)]
    timestamp: Option<i64>,
    #[serde(default, borrow)]
    message: Option<MessengerMessage<'a>>,
}

#[derive(Deserialize)]
struct Party<'a> {
    #[serde(borrow)]
    id: StrOrNum<'a>,
}

#[derive(Deserialize)]
struct MessengerMessage<'a> {
    #[serde(borrow)]
    mid: Str<'a>,
    #[serde(default, borrow)]
    text: Option<Str<'a>>,
    #[serde(default)]
    is_echo: bool,
    #[serde(default, borrow)]
    reply_to: Option<ReplyTo<'a>>,
}

#[derive(Deserialize)]
struct ReplyTo<'a> {
    #[serde(borrow)]
    mid: Str<'a>,
}

/// Parses one Meta webhook delivery into messages, in delivery order.
pub fn parse_webhook(body: &[u8]) -> Result<Vec<NewMessage>, ParseError> {
    let d: Delivery<'_> = json::body(body)?;
    let channel = match d.object.as_str() {
        "page" => Channel::Facebook,
        "instagram" => Channel::Instagram,
        _ => return Ok(Vec::new()),
    };
    let mut out = Vec::new();
    for (i, entry) in d.entry.iter().enumerate() {
        let path = format!("entry[{i}]");
        let owner = entry.id.0.as_ref();
        // Page entries give `time` in seconds for feed changes and in
        // milliseconds for messaging; anything past 1e11 is milliseconds.
        let entry_time = entry.time.and_then(|t| {
            if t.abs() >= 100_000_000_000 { Timestamp::from_unix_millis(t) } else { Timestamp::from_unix_seconds(t) }
                .ok()
        });
        for (j, change) in entry.changes.iter().enumerate() {
            let at = format!("{path}.changes[{j}].value");
            let msg = match (channel, change.field.as_str()) {
                (Channel::Facebook, "feed") => feed(change.value, &at, owner, entry_time)?,
                (Channel::Instagram, "comments" | "live_comments") => {
                    instagram_comment(change.value, &at, owner, entry_time)?
                }
                _ => None,
            };
            out.extend(msg);
        }
        for (j, raw) in entry.messaging.iter().enumerate() {
            out.extend(messaging(raw, &format!("{path}.messaging[{j}]"), channel, owner)?);
        }
    }
    Ok(out)
}

fn author(from: Option<&From<'_>>, field: &str) -> Result<Author, ParseError> {
    let Some(from) = from else {
        return convert::user_id(field, UNKNOWN_AUTHOR).map(Author::new);
    };
    Ok(Author {
        id: convert::user_id(&json::join(field, "id"), &from.id.0)?,
        handle: convert::handle(from.username.as_ref().map(Str::as_str)),
        name: convert::name(from.name.as_ref().map(Str::as_str)),
        followers: None,
    })
}

fn direction(author: &Author, owner: &str) -> Direction {
    if author.id.as_str() == owner { Direction::Out } else { Direction::In }
}

fn feed(
    raw: &RawValue,
    path: &str,
    owner: &str,
    entry_time: Option<Timestamp>,
) -> Result<Option<NewMessage>, ParseError> {
    let v: FeedChange<'_> = json::typed_at(raw.get(), path)?;
    let verb_kept = matches!(v.verb.as_ref().map(Str::as_str), Some("add" | "edited"));
    let item = v.item.as_ref().map_or("", Str::as_str);
    let is_comment = item == "comment";
    let is_post = matches!(item, "post" | "status" | "photo" | "video" | "share");
    if !verb_kept || !(is_comment || is_post) {
        return Ok(None);
    }
    let at = |f: &str| json::join(path, f);
    let post_id = v.post_id.as_ref().map(|p| p.0.as_ref());
    let (id_field, id) =
        if is_comment { ("comment_id", v.comment_id.as_ref()) } else { ("post_id", v.post_id.as_ref()) };
    let id = id.ok_or_else(|| ParseError::missing(at(id_field)))?;
    let external_id = convert::external_id(&at(id_field), &id.0)?;
    let author = author(v.from.as_ref(), &at("from"))?;
    let created_at = match &v.created_time {
        Some(t) => timefmt::graph(&t.0).map_err(|e| ParseError::field(at("created_time"), e))?,
        None => entry_time.ok_or_else(|| ParseError::missing(at("created_time")))?,
    };
    let in_reply_to = if is_comment { v.parent_id.as_ref().map(|p| p.0.as_ref()).or(post_id) } else { None };
    Ok(Some(NewMessage {
        channel: Channel::Facebook,
        external_id,
        direction: direction(&author, owner),
        author,
        text: convert::text(v.message.as_ref().map_or("", Str::as_str)),
        language: None,
        created_at,
        in_reply_to: convert::reference(in_reply_to),
        thread_id: convert::thread(post_id),
        metrics: None,
        raw: Some(convert::raw(raw)),
        triage: None,
    }))
}

fn instagram_comment(
    raw: &RawValue,
    path: &str,
    owner: &str,
    entry_time: Option<Timestamp>,
) -> Result<Option<NewMessage>, ParseError> {
    let v: InstagramComment<'_> = json::typed_at(raw.get(), path)?;
    let at = |f: &str| json::join(path, f);
    let author = author(v.from.as_ref(), &at("from"))?;
    let media = v.media.as_ref().map(|m| m.id.0.as_ref());
    let in_reply_to = v.parent_id.as_ref().map(|p| p.0.as_ref()).or(media);
    Ok(Some(NewMessage {
        channel: Channel::Instagram,
        external_id: convert::external_id(&at("id"), &v.id.0)?,
        direction: direction(&author, owner),
        author,
        text: convert::text(v.text.as_ref().map_or("", Str::as_str)),
        language: None,
        created_at: entry_time.ok_or_else(|| ParseError::missing(json::join(path, "time")))?,
        in_reply_to: convert::reference(in_reply_to),
        thread_id: convert::thread(media),
        metrics: None,
        raw: Some(convert::raw(raw)),
        triage: None,
    }))
}

fn messaging(raw: &RawValue, path: &str, channel: Channel, owner: &str) -> Result<Option<NewMessage>, ParseError> {
    let e: Messaging<'_> = json::typed_at(raw.get(), path)?;
    let Some(message) = e.message else { return Ok(None) };
    let at = |f: &str| json::join(path, f);
    let sender = e.sender.id.0.as_ref();
    let recipient = e.recipient.id.0.as_ref();
    let author = Author::new(convert::user_id(&at("sender.id"), sender)?);
    let outbound = message.is_echo || sender == owner;
    let customer = if outbound { recipient } else { sender };
    let timestamp = e.timestamp.ok_or_else(|| ParseError::missing(at("timestamp")))?;
    Ok(Some(NewMessage {
        channel,
        external_id: convert::external_id(&at("message.mid"), message.mid.as_str())?,
        direction: if outbound { Direction::Out } else { Direction::In },
        author,
        text: convert::text(message.text.as_ref().map_or("", Str::as_str)),
        language: None,
        created_at: Timestamp::from_unix_millis(timestamp).map_err(|err| ParseError::field(at("timestamp"), err))?,
        in_reply_to: convert::reference(message.reply_to.as_ref().map(|r| r.mid.as_str())),
        thread_id: ThreadKey::parse(format!("m:{owner}:{customer}")).ok(),
        metrics: None,
        raw: Some(convert::raw(raw)),
        triage: None,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    #[test]
    fn page_feed_comments_replies_and_posts() {
        let msgs = parse_webhook(&fixture("meta_page_feed.json")).unwrap();
        assert_eq!(msgs.len(), 3, "the reaction, the removal and the mention are ignored");
        let c = &msgs[0];
        assert_eq!(c.channel, Channel::Facebook);
        assert_eq!(c.external_id.as_str(), "700000000000001_900000000000001");
        assert_eq!(c.direction, Direction::In);
        assert_eq!(c.author.id.as_str(), "24681357902468135");
        assert_eq!(c.author.name.as_ref().unwrap().as_str(), "Priya Shah");
        assert_eq!(c.text.as_str(), "My order #4411 arrived broken. Who do I talk to?");
        assert_eq!(c.created_at.unix_millis(), 1_700_000_000_000);
        assert_eq!(c.in_reply_to.as_ref().unwrap().as_str(), "106123456789012_700000000000001");
        assert_eq!(c.thread_id.as_ref().unwrap().as_str(), "106123456789012_700000000000001");
        let reply = &msgs[1];
        assert_eq!(reply.direction, Direction::Out);
        assert_eq!(reply.in_reply_to.as_ref().unwrap().as_str(), "700000000000001_900000000000001");
        assert_eq!(reply.created_at.to_rfc3339(), "2023-11-14T22:15:00.000Z");
        let post = &msgs[2];
        assert_eq!(post.external_id.as_str(), "106123456789012_700000000000009");
        assert_eq!((post.in_reply_to.as_ref(), post.direction), (None, Direction::Out));
    }

    #[test]
    fn messenger_messages_and_echoes() {
        let msgs = parse_webhook(&fixture("meta_messenger.json")).unwrap();
        assert_eq!(msgs.len(), 3, "delivery and read events are ignored");
        let (m, echo, photo) = (&msgs[0], &msgs[1], &msgs[2]);
        assert_eq!(m.direction, Direction::In);
        assert_eq!(m.author.id.as_str(), "6543210987654321");
        assert_eq!(m.text.as_str(), "Hi, is my refund processed?");
        assert_eq!(m.created_at.unix_millis(), 1_700_000_400_123);
        assert_eq!(m.thread_id.as_ref().unwrap().as_str(), "m:106123456789012:6543210987654321");
        assert_eq!(echo.direction, Direction::Out);
        assert_eq!(echo.author.id.as_str(), "106123456789012");
        assert_eq!(echo.thread_id, m.thread_id);
        assert_eq!(echo.in_reply_to.as_ref().map(|r| r.as_str()), Some(m.external_id.as_str()));
        assert_eq!(photo.text.as_str(), "");
        assert!(photo.raw.as_ref().unwrap().as_str().contains("attachments"));
    }

    #[test]
    fn instagram_comments() {
        let msgs = parse_webhook(&fixture("meta_instagram.json")).unwrap();
        assert_eq!(msgs.len(), 2, "mentions are ignored");
        let (c, reply) = (&msgs[0], &msgs[1]);
        assert_eq!(c.channel, Channel::Instagram);
        assert_eq!(c.author.handle.as_ref().unwrap().as_str(), "marta.runs");
        assert_eq!(c.in_reply_to.as_ref().unwrap().as_str(), "17900000000000042");
        assert_eq!(c.thread_id.as_ref().unwrap().as_str(), "17900000000000042");
        assert_eq!(c.created_at.unix_millis(), 1_700_001_000_000);
        assert_eq!(reply.direction, Direction::Out);
        assert_eq!(reply.in_reply_to.as_ref().unwrap().as_str(), "17865799348000001");
    }

    #[test]
    fn other_objects_missing_authors_and_bad_values() {
        assert_eq!(parse_webhook(br#"{"object":"permissions","entry":[{"id":"1"}]}"#).unwrap(), vec![]);
        let anonymous = br#"{"object":"page","entry":[{"id":"1","time":1700000000,"changes":[{"field":"feed",
            "value":{"item":"comment","verb":"add","comment_id":"1_2","post_id":"1_1","message":"hi"}}]}]}"#;
        let m = &parse_webhook(anonymous).unwrap()[0];
        assert_eq!(m.author.id.as_str(), "unknown");
        assert_eq!(m.created_at.unix_millis(), 1_700_000_000_000, "the entry's time");
        let no_id = br#"{"object":"page","entry":[{"id":"1","changes":[{"field":"feed",
            "value":{"item":"comment","verb":"add","post_id":"1_1","created_time":1}}]}]}"#;
        let ParseError::InvalidField { field, code, .. } = parse_webhook(no_id).unwrap_err() else { panic!() };
        assert_eq!((field.as_str(), code), ("entry[0].changes[0].value.comment_id", "missing_field"));
        assert_eq!(parse_webhook(br#"{"entry":[]}"#).unwrap_err().code(), "missing_field");
        let bad_time = br#"{"object":"page","entry":[{"id":"1","messaging":[{"sender":{"id":"2"},
            "recipient":{"id":"1"},"timestamp":-99999999999999999,"message":{"mid":"m_1"}}]}]}"#;
        assert_eq!(parse_webhook(bad_time).unwrap_err().code(), "invalid_timestamp");
    }

    proptest::proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
            let _ = parse_webhook(&bytes);
        }

        #[test]
        fn never_panics_on_json_shaped_input(object in "page|instagram", field in "feed|comments|x",
                                             item in "comment|post|.{0,5}", s in ".{0,30}", t in proptest::num::i64::ANY) {
            let body = serde_json::json!({"object": object, "entry": [{"id": s, "time": t,
                "changes": [{"field": field, "value": {"item": item, "verb": "add", "comment_id": s, "post_id": s,
                    "id": s, "created_time": s, "from": {"id": s}}}],
                "messaging": [{"sender": {"id": s}, "recipient": {"id": s}, "timestamp": t, "message": {"mid": s}}]}]});
            let _ = parse_webhook(&serde_json::to_vec(&body).unwrap());
        }
    }
}
