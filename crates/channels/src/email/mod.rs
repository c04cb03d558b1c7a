//! Email: one raw RFC 5322/MIME message ([`parse_rfc5322`], for
//! `POST /api/v1/inbound/email`) and mbox files split into messages
//! ([`mbox_messages`], for `firebreak import --format mbox`).
//!
//! A message becomes, on channel `email`:
//! - `external_id`: the Message-ID without angle brackets. When it is absent
//!   (or unusable), one is synthesised from the SHA-256 of the raw bytes,
//!   `sha256-<hex>@firebreak.invalid`, so the same bytes delivered twice are
//!   still one message; `raw.synthesised_message_id` says so.
//! - `author`: `id` and `handle` are the From address in lower case, `name`
//!   the display name.
//! - `text`: the Subject, a blank line, then the text/plain body (or the
//!   HTML body through [`crate::html::html_to_text`]); cut to 64 KiB.
//! - `in_reply_to`: the first In-Reply-To id; `thread_id`: the first id of
//!   References (the root of the thread), else In-Reply-To, else the
//!   message's own id.
//! - `created_at`: the Date header, else the caller's `received_at`.
//! - `direction`: always `in` (this crate does not know the brand's
//!   addresses; the engine may re-mark mail sent from them).
//! - `raw`: the kept headers (Message-ID, Subject, From, To, Cc, Reply-To,
//!   Date, In-Reply-To, References, List-Id), each cut to 998 bytes and each
//!   list to 50 entries.

mod mbox;

pub use mbox::{MAX_MESSAGE_BYTES, MboxMessages, mbox_messages};

use firebreak_domain::{Author, Channel, Direction, ExternalId, NewMessage, RawPayload, Timestamp};
use mail_parser::{Address, HeaderValue, MessageParser};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::{ParseError, convert, html::html_to_text};

/// The longest header value kept in `raw` (the RFC 5322 line limit).
const MAX_HEADER_BYTES: usize = 998;
/// The most addresses or references kept per header in `raw`.
const MAX_LIST: usize = 50;

/// Parses one raw email into a message. `received_at` is used when the
/// message has no valid Date header.
pub fn parse_rfc5322(raw: &[u8], received_at: Timestamp) -> Result<NewMessage, ParseError> {
    let msg = MessageParser::default().parse(raw).ok_or(ParseError::NotAnEmail)?;
    if msg.headers().is_empty() {
        return Err(ParseError::NotAnEmail);
    }
    let from = msg.from().and_then(Address::first);
    let address = from.and_then(|a| a.address()).map(|a| a.trim().to_lowercase()).filter(|a| !a.is_empty());
    let address = address.ok_or_else(|| ParseError::missing("From"))?;
    let author = Author {
        id: convert::user_id("From", &address)?,
        handle: convert::handle(Some(&address)),
        name: convert::name(from.and_then(|a| a.name())),
        followers: None,
    };

    let (external_id, synthesised) = match msg.message_id().and_then(|id| ExternalId::parse(id.trim()).ok()) {
        Some(id) => (id, false),
        None => (synthesised_id(raw)?, true),
    };
    let in_reply_to = first_id(msg.in_reply_to());
    let references = ids(msg.references());
    let thread = references.first().copied().or(in_reply_to).unwrap_or(external_id.as_str());

    let subject = msg.subject().map(str::trim).unwrap_or("");
    let body = body_text(&msg);
    let body = body.trim();
    let text = match (subject.is_empty(), body.is_empty()) {
        (true, _) => body.to_owned(),
        (false, true) => subject.to_owned(),
        (false, false) => format!("{subject}\n\n{body}"),
    };
    let (text, cut) = firebreak_domain::MessageText::clamp(&text);

    let date = msg.date().filter(|d| d.is_valid());
    let created_at = date.and_then(|d| Timestamp::from_unix_seconds(d.to_timestamp()).ok()).unwrap_or(received_at);

    let mut kept = serde_json::Map::new();
    let mut put = |k: &str, v: Value| {
        if !v.is_null() {
            kept.insert(k.to_owned(), v);
        }
    };
    put("message_id", Value::String(bounded(external_id.as_str())));
    put("subject", msg.subject().map_or(Value::Null, |s| Value::String(bounded(s))));
    put("from", json!({"address": bounded(&address), "name": from.and_then(|a| a.name()).map(bounded)}));
    put("to", addresses(msg.to()));
    put("cc", addresses(msg.cc()));
    put("reply_to", addresses(msg.reply_to()));
    put("date", date.map_or(Value::Null, |d| Value::String(d.to_rfc3339())));
    put("in_reply_to", in_reply_to.map_or(Value::Null, |s| Value::String(bounded(s))));
    put("references", Value::Array(references.iter().take(MAX_LIST).map(|s| Value::String(bounded(s))).collect()));
    put("list_id", msg.list_id().as_text().map_or(Value::Null, |s| Value::String(bounded(s))));
    if synthesised {
        put("synthesised_message_id", Value::Bool(true));
    }
    if cut {
        put("text_truncated", Value::Bool(true));
    }

    Ok(NewMessage {
        channel: Channel::Email,
        direction: Direction::In,
        author,
        text,
        language: None,
        created_at,
        in_reply_to: convert::reference(in_reply_to),
        thread_id: convert::thread(Some(thread)),
        metrics: None,
        raw: Some(RawPayload::from_value(&Value::Object(kept))),
        triage: None,
        external_id,
    })
}

fn synthesised_id(raw: &[u8]) -> Result<ExternalId, ParseError> {
    let digest = Sha256::digest(raw);
    ExternalId::parse(format!("sha256-{}@firebreak.invalid", hex::encode(digest)))
        .map_err(|e| ParseError::field("Message-ID", e))
}

/// The first text/plain body, or the first HTML body as text.
fn body_text(msg: &mail_parser::Message<'_>) -> String {
    if let Some(part) = msg.text_part(0) {
        let text = part.text_contents().unwrap_or("");
        return if part.is_text_html() { html_to_text(text) } else { text.replace("\r\n", "\n") };
    }
    msg.html_part(0).and_then(|p| p.text_contents()).map(html_to_text).unwrap_or_default()
}

/// The message ids in an In-Reply-To or References header, in order.
fn ids<'a>(value: &'a HeaderValue<'_>) -> Vec<&'a str> {
    match value {
        HeaderValue::Text(t) => vec![t.as_ref()],
        HeaderValue::TextList(list) => list.iter().map(|t| t.as_ref()).collect(),
        _ => Vec::new(),
    }
    .into_iter()
    .map(str::trim)
    .filter(|s| !s.is_empty())
    .collect()
}

fn first_id<'a>(value: &'a HeaderValue<'_>) -> Option<&'a str> {
    ids(value).into_iter().next()
}

fn addresses(list: Option<&Address<'_>>) -> Value {
    let Some(list) = list else { return Value::Null };
    Value::Array(list.iter().take(MAX_LIST).filter_map(|a| a.address()).map(|a| Value::String(bounded(a))).collect())
}

fn bounded(s: &str) -> String {
    let mut end = s.len().min(MAX_HEADER_BYTES);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn fallback() -> Timestamp {
        Timestamp::parse_rfc3339("2024-01-01T00:00:00Z").unwrap()
    }

    #[test]
    fn a_reply_keeps_its_ids_subject_and_plain_text() {
        let m = parse_rfc5322(&fixture("email_reply.eml"), fallback()).unwrap();
        assert_eq!(m.channel, Channel::Email);
        assert_eq!(m.external_id.as_str(), "CAF=3dxQ7r+ZK1@mail.example.com");
        assert_eq!(m.author.id.as_str(), "ann.lee@example.com");
        assert_eq!(m.author.handle.as_ref().unwrap().as_str(), "ann.lee@example.com");
        assert_eq!(m.author.name.as_ref().unwrap().as_str(), "Ann Lee");
        assert_eq!(
            m.text.as_str(),
            "Refund for order #4411 — still waiting\n\nHi,\n\nIt has been three weeks and the refund has not \
             arrived. Café vouchers are not a refund.\n\nAnn"
        );
        assert_eq!(m.in_reply_to.as_ref().unwrap().as_str(), "ticket-8812-reply@acme.test");
        assert_eq!(m.thread_id.as_ref().unwrap().as_str(), "ticket-8812@acme.test");
        assert_eq!(m.created_at.to_rfc3339(), "2023-11-14T10:15:00.000Z");
        let raw: Value = serde_json::from_str(m.raw.as_ref().unwrap().as_str()).unwrap();
        assert_eq!(raw["to"], json!(["support@acme.test"]));
        assert_eq!(raw["cc"], json!(["billing@acme.test"]));
        assert_eq!(raw["references"], json!(["ticket-8812@acme.test", "ticket-8812-reply@acme.test"]));
        assert_eq!(raw["subject"], "Refund for order #4411 — still waiting");
    }

    #[test]
    fn html_only_mail_is_converted() {
        let m = parse_rfc5322(&fixture("email_html_only.eml"), fallback()).unwrap();
        assert_eq!(m.text.as_str(), "Your weekly deals\n\nDeals\n\nSave 20% on everything.");
        assert_eq!(m.created_at.to_rfc3339(), "2023-11-15T13:00:00.000Z");
        assert_eq!(m.thread_id.as_ref().unwrap().as_str(), m.external_id.as_str());
    }

    #[test]
    fn a_missing_message_id_is_synthesised_stably_and_the_date_falls_back() {
        let bytes = fixture("email_minimal.eml");
        let a = parse_rfc5322(&bytes, fallback()).unwrap();
        let b = parse_rfc5322(&bytes, Timestamp::now()).unwrap();
        assert_eq!(a.external_id, b.external_id);
        assert!(
            a.external_id.as_str().starts_with("sha256-") && a.external_id.as_str().ends_with("@firebreak.invalid")
        );
        assert_eq!(a.created_at, fallback());
        assert_eq!(a.author.name.as_ref().unwrap().as_str(), "Bob");
        assert!(a.raw.as_ref().unwrap().as_str().contains(r#""synthesised_message_id":true"#));
        let mut other = bytes.clone();
        other.extend_from_slice(b"More.\n");
        assert_ne!(parse_rfc5322(&other, fallback()).unwrap().external_id, a.external_id);
    }

    #[test]
    fn refusals() {
        assert_eq!(parse_rfc5322(b"", fallback()).unwrap_err().code(), "not_an_email");
        let no_from = b"To: a@b.test\r\nSubject: hi\r\n\r\nbody";
        assert_eq!(parse_rfc5322(no_from, fallback()).unwrap_err().code(), "missing_field");
        let long = format!("From: a@b.test\r\nSubject: big\r\n\r\n{}", "y".repeat(200_000));
        let m = parse_rfc5322(long.as_bytes(), fallback()).unwrap();
        assert_eq!(m.text.as_str().len(), firebreak_domain::MAX_TEXT_BYTES);
    }

    proptest::proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..400)) {
            let _ = parse_rfc5322(&bytes, fallback());
        }

        #[test]
        fn never_panics_on_header_shaped_input(from in ".{0,40}", subject in ".{0,40}", refs in ".{0,40}",
                                               date in ".{0,40}", body in ".{0,80}") {
            let raw = format!("From: {from}\r\nSubject: {subject}\r\nReferences: {refs}\r\nIn-Reply-To: {refs}\r\n\
                               Date: {date}\r\nContent-Type: text/html\r\n\r\n{body}");
            let _ = parse_rfc5322(raw.as_bytes(), fallback());
        }
    }
}
