//! Firebreak's own wire format: the normalised message of the ingest API
//! (`POST /api/v1/messages`) and of JSONL import and export.
//!
//! A message is a JSON object:
//!
//! | field         | type                                             | |
//! |---------------|--------------------------------------------------|-|
//! | `channel`     | one of `x`, `facebook`, ..., `web_form`          | required |
//! | `external_id` | string                                           | required |
//! | `direction`   | `"in"` or `"out"`                                | default `"in"` |
//! | `author`      | `{"id", "handle", "name", "followers"}`          | required, `id` required |
//! | `text`        | string, at most 64 KiB of UTF-8                  | required, may be empty |
//! | `created_at`  | RFC 3339                                         | required |
//! | `language`    | a tag such as `en`, `pt-BR`, `und`               | optional |
//! | `in_reply_to` | the external id it answers                       | optional |
//! | `thread_id`   | the platform's conversation key                  | optional |
//! | `metrics`     | `{"likes", "shares", "replies"}`, each default 0 | optional |
//! | `raw`         | object                                           | optional |
//!
//! Every optional field also accepts `null`. Unknown fields are refused, at
//! any depth. `language` is not in the first version of the contract, but
//! `firebreak export` writes it, so an export imports again unchanged. A `raw`
//! object over 64 KiB is kept as `{"truncated": true, "original_bytes": N}`
//! (the domain's rule) rather than refused.
//!
//! Errors name the item's index, the path of the field (`author.id`,
//! `metrics.likes`; the empty string for the item as a whole), a stable code
//! and a sentence. The codes are serde's shape codes (`missing_field`,
//! `unknown_field`, `duplicate_field`, `invalid_type`, `invalid_value`), the
//! domain's value codes (`unknown_channel`, `invalid_direction`, `empty`,
//! `too_long`, `control_character`, `whitespace`, `text_too_long`,
//! `invalid_timestamp`, `invalid_language`), and for a JSONL line that is not
//! JSON at all, `invalid_utf8` and `malformed_json`.
//!
//! Parsing is typed and borrows strings from the body; the path of a bad
//! value is only worked out (by reading the item again) when it is bad.

use firebreak_domain::{
    Author, Channel, DisplayName, ExternalId, FieldError, Handle, Language, MessageText, Metrics, NewMessage,
    PlatformUserId, RawPayload, ThreadKey, Timestamp,
};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::json::{self, Str, TypedError};

/// The most messages one batch may hold.
pub const MAX_BATCH_ITEMS: usize = 10_000;

/// One thing wrong with one message: where, which rule, a sentence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldProblem {
    /// A path such as `author.id`; empty for the item as a whole.
    pub field: String,
    pub code: &'static str,
    pub message: String,
}

/// A [`FieldProblem`] in the item at `index` of a batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ItemError {
    pub index: usize,
    pub field: String,
    pub code: &'static str,
    pub message: String,
}

/// Why a batch was refused. A batch is all or nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BatchError {
    #[error("the body is not valid UTF-8 (the first bad byte is at offset {valid_up_to})")]
    InvalidUtf8 { valid_up_to: usize },
    #[error("the body is not valid JSON: {detail}")]
    MalformedJson { detail: String },
    #[error("the body must be a JSON array of messages")]
    NotAnArray,
    #[error("the batch has {count} messages; the limit is {limit}")]
    TooManyItems { count: usize, limit: usize },
    /// Every problem of every bad item, in item order.
    #[error("{} of the messages are invalid", count_items(.errors))]
    InvalidItems { errors: Vec<ItemError> },
}

impl BatchError {
    /// The stable code for this error.
    pub fn code(&self) -> &'static str {
        match self {
            BatchError::InvalidUtf8 { .. } => "invalid_utf8",
            BatchError::MalformedJson { .. } => "malformed_json",
            BatchError::NotAnArray => "not_an_array",
            BatchError::TooManyItems { .. } => "too_many_items",
            BatchError::InvalidItems { .. } => "invalid_items",
        }
    }
}

fn count_items(errors: &[ItemError]) -> usize {
    let mut n = 0;
    let mut last = None;
    for e in errors {
        if last != Some(e.index) {
            n += 1;
            last = Some(e.index);
        }
    }
    n
}

/// Parses the body of `POST /api/v1/messages`: a JSON array of at most
/// [`MAX_BATCH_ITEMS`] normalised messages. Either every item is valid, or the
/// error names every problem of every bad item.
pub fn parse_batch(body: &[u8]) -> Result<Vec<NewMessage>, BatchError> {
    let text = std::str::from_utf8(body).map_err(|e| BatchError::InvalidUtf8 { valid_up_to: e.valid_up_to() })?;
    let items: Vec<&RawValue> = serde_json::from_str(text).map_err(|e| {
        if e.is_data() { BatchError::NotAnArray } else { BatchError::MalformedJson { detail: e.to_string() } }
    })?;
    if items.len() > MAX_BATCH_ITEMS {
        return Err(BatchError::TooManyItems { count: items.len(), limit: MAX_BATCH_ITEMS });
    }
    let mut messages = Vec::with_capacity(items.len());
    let mut errors = Vec::new();
    for (index, item) in items.into_iter().enumerate() {
        match parse_text(item.get()) {
            Ok(m) if errors.is_empty() => messages.push(m),
            Ok(_) => {}
            Err(problems) => errors.extend(problems.into_iter().map(|p| ItemError {
                index,
                field: p.field,
                code: p.code,
                message: p.message,
            })),
        }
    }
    if errors.is_empty() { Ok(messages) } else { Err(BatchError::InvalidItems { errors }) }
}

/// Parses one normalised message (one JSONL line). Every problem found is
/// returned; a line that is not JSON has one problem with an empty `field`.
pub fn parse_item(bytes: &[u8]) -> Result<NewMessage, Vec<FieldProblem>> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        vec![FieldProblem {
            field: String::new(),
            code: "invalid_utf8",
            message: format!("the line is not valid UTF-8 (the first bad byte is at offset {})", e.valid_up_to()),
        }]
    })?;
    parse_text(text)
}

/// The normalised JSON of a message: what `firebreak export` writes and
/// [`parse_item`] reads back. (This is `NewMessage`'s own serialisation,
/// which matches the contract field for field.)
pub fn to_json(message: &NewMessage) -> serde_json::Value {
    serde_json::to_value(message).unwrap_or(serde_json::Value::Null)
}

/// One JSONL line (without the newline) for a message.
pub fn to_json_line(message: &NewMessage) -> String {
    serde_json::to_string(message).unwrap_or_else(|_| "null".to_owned())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WireMessage<'a> {
    #[serde(borrow)]
    channel: Str<'a>,
    #[serde(borrow)]
    external_id: Str<'a>,
    #[serde(default, borrow)]
    direction: Option<Str<'a>>,
    #[serde(borrow)]
    author: WireAuthor<'a>,
    #[serde(borrow)]
    text: Str<'a>,
    #[serde(default, borrow)]
    language: Option<Str<'a>>,
    #[serde(borrow)]
    created_at: Str<'a>,
    #[serde(default, borrow)]
    in_reply_to: Option<Str<'a>>,
    #[serde(default, borrow)]
    thread_id: Option<Str<'a>>,
    #[serde(default)]
    metrics: Option<WireMetrics>,
    #[serde(default, borrow)]
    raw: Option<&'a RawValue>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WireAuthor<'a> {
    #[serde(borrow)]
    id: Str<'a>,
    #[serde(default, borrow)]
    handle: Option<Str<'a>>,
    #[serde(default, borrow)]
    name: Option<Str<'a>>,
    #[serde(default)]
    followers: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WireMetrics {
    #[serde(default)]
    likes: Option<u64>,
    #[serde(default)]
    shares: Option<u64>,
    #[serde(default)]
    replies: Option<u64>,
}

fn parse_text(text: &str) -> Result<NewMessage, Vec<FieldProblem>> {
    let wire: WireMessage<'_> = json::typed(text).map_err(|e| {
        vec![match e {
            TypedError::Syntax(detail) => FieldProblem {
                field: String::new(),
                code: "malformed_json",
                message: format!("the line is not valid JSON: {detail}"),
            },
            TypedError::Shape(p) => FieldProblem { field: p.field, code: p.code, message: p.message },
        }]
    })?;
    build(wire)
}

/// Collects the problems of each field while keeping the values that parsed.
struct Checker(Vec<FieldProblem>);

impl Checker {
    fn check<T>(&mut self, field: &str, r: Result<T, FieldError>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.0.push(FieldProblem { field: field.to_owned(), code: e.code, message: e.message });
                None
            }
        }
    }

    /// An optional field: `None` stays `None`; a present value must parse.
    fn optional<T>(&mut self, field: &str, r: Option<Result<T, FieldError>>) -> Option<Option<T>> {
        match r {
            None => Some(None),
            Some(r) => self.check(field, r).map(Some),
        }
    }
}

fn build(w: WireMessage<'_>) -> Result<NewMessage, Vec<FieldProblem>> {
    let mut c = Checker(Vec::new());
    let channel = c.check("channel", Channel::parse(w.channel.as_str()));
    let external_id = c.check("external_id", ExternalId::parse(w.external_id.0));
    let direction = c.optional("direction", w.direction.map(|d| firebreak_domain::Direction::parse(d.as_str())));
    let author_id = c.check("author.id", PlatformUserId::parse(w.author.id.0));
    let handle = c.optional("author.handle", w.author.handle.map(|h| Handle::parse(h.as_str())));
    let name = c.optional("author.name", w.author.name.map(|n| DisplayName::parse(n.as_str())));
    let text = c.check("text", MessageText::parse(w.text.0));
    let language = c.optional("language", w.language.map(|l| Language::parse(l.as_str())));
    let created_at = c.check("created_at", Timestamp::parse_rfc3339(w.created_at.as_str()));
    let in_reply_to = c.optional("in_reply_to", w.in_reply_to.map(|s| ExternalId::parse(s.0)));
    let thread_id = c.optional("thread_id", w.thread_id.map(|s| ThreadKey::parse(s.0)));
    let raw = c.optional("raw", w.raw.map(raw_object));
    let metrics = w.metrics.map(|m| Metrics {
        likes: m.likes.unwrap_or(0),
        shares: m.shares.unwrap_or(0),
        replies: m.replies.unwrap_or(0),
    });
    match (
        channel,
        external_id,
        direction,
        author_id,
        handle,
        name,
        text,
        language,
        created_at,
        (in_reply_to, thread_id, raw),
    ) {
        (
            Some(channel),
            Some(external_id),
            Some(direction),
            Some(id),
            Some(handle),
            Some(name),
            Some(text),
            Some(language),
            Some(created_at),
            (Some(in_reply_to), Some(thread_id), Some(raw)),
        ) if c.0.is_empty() => Ok(NewMessage {
            channel,
            external_id,
            direction: direction.unwrap_or_default(),
            author: Author { id, handle, name, followers: w.author.followers },
            text,
            language,
            created_at,
            in_reply_to,
            thread_id,
            metrics,
            raw,
            triage: None,
        }),
        _ => Err(c.0),
    }
}

fn raw_object(raw: &RawValue) -> Result<RawPayload, FieldError> {
    if raw.get().starts_with('{') {
        Ok(RawPayload::from_json_text(raw.get().to_owned()))
    } else {
        Err(FieldError::new("invalid_type", "`raw` must be a JSON object"))
    }
}

#[cfg(test)]
#[path = "normalised_tests.rs"]
mod tests;
