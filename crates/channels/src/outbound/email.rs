//! The email reply as an RFC 5322 message: [`compose`] builds the bytes the
//! SMTP transport sends, and [`message_id_for`] names it.
//!
//! The headers are Date, From, To, Subject (`Re: ` added unless the subject
//! already starts with it), Message-ID, In-Reply-To and References (the
//! parent's References and then its Message-ID), MIME-Version, Content-Type
//! (`text/plain; charset=utf-8`) and Content-Transfer-Encoding: `7bit` when
//! the body is ASCII with short lines, else `quoted-printable` (readable in
//! the raw, and safe through any relay). Non-ASCII in the subject and display
//! names is written as RFC 2047 encoded words. Nothing a person typed can
//! start a header of its own: a subject or name with a line break or another
//! control character is refused, addresses are limited to plain ASCII
//! `local@domain`, and message ids that are not plain are left out.
//!
//! Our Message-ID is derived from the reply's idempotency key and the
//! configured domain, `<fb.{32 hex of SHA-256(key)}@{domain}>`, so a resend
//! of the same reply carries the same id and can be recognised downstream.

use std::fmt::Write as _;

use base64::Engine;
use firebreak_domain::{Email, Timestamp};
use sha2::{Digest, Sha256};
use time::format_description::well_known::Rfc2822;

use super::{OutboundReply, error::SendError};

/// Who sends the mail, from the SMTP configuration.
#[derive(Debug, Clone)]
pub struct Sender {
    pub from: Email,
    pub from_name: Option<String>,
    /// The right side of our Message-IDs.
    pub message_id_domain: String,
}

/// A message ready for SMTP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComposedEmail {
    /// Our Message-ID, without angle brackets (the form the inbound parser
    /// stores as `external_id`).
    pub message_id: String,
    /// The envelope sender (`MAIL FROM`).
    pub envelope_from: String,
    /// The envelope recipient (`RCPT TO`).
    pub envelope_to: String,
    /// The whole message: headers, a blank line and the body, lines ended by
    /// CRLF, ASCII only, not yet dot-stuffed.
    pub bytes: Vec<u8>,
}

/// The most references kept: the first (the thread's root) and the latest.
const MAX_REFERENCES: usize = 20;
/// Display names are cut to this many characters.
const MAX_NAME_CHARS: usize = 128;
/// Message ids longer than this are left out of the threading headers.
const MAX_ID_BYTES: usize = 900;

/// The Message-ID (without brackets) of the reply with this idempotency key.
pub fn message_id_for(idempotency_key: &str, domain: &str) -> String {
    let digest = Sha256::digest(idempotency_key.as_bytes());
    format!("fb.{}@{}", &hex::encode(digest)[..32], domain)
}

/// Builds the message for an email reply, dated `date`.
pub fn compose(reply: &OutboundReply, sender: &Sender, date: Timestamp) -> Result<ComposedEmail, SendError> {
    let threading = reply.email.as_ref().ok_or_else(|| {
        SendError::invalid("missing_email_threading", "an email reply needs its subject and recipient")
    })?;
    if !is_domain(&sender.message_id_domain) {
        return Err(SendError::invalid(
            "address_unsupported",
            "the Message-ID domain must be letters, digits, dots and hyphens",
        ));
    }
    // A per-reply From (the address the customer wrote to) changes the
    // header; the envelope keeps the configured sender, which the relay knows.
    let envelope_from = sender_address(&sender.from)?;
    let from_addr = sender_address(threading.from.as_ref().unwrap_or(&sender.from))?;
    let from_name = threading.from_name.as_deref().or(sender.from_name.as_deref());
    let to_addr = sender_address(&threading.to)?;
    let message_id = message_id_for(&reply.idempotency_key, &sender.message_id_domain);

    let parent = reply.in_reply_to.as_ref().and_then(|id| msg_id(id.as_str()));
    let mut references: Vec<&str> = threading.references.iter().filter_map(|r| msg_id(r)).collect();
    references.extend(parent);
    dedupe(&mut references);
    if references.len() > MAX_REFERENCES {
        references.drain(1..references.len() - (MAX_REFERENCES - 1));
    }

    let mut head = String::new();
    // RFC 2822 dates start in 1900; a clock before that is wrong, so now is used.
    let date = date
        .to_offset_datetime()
        .format(&Rfc2822)
        .or_else(|_| Timestamp::now().to_offset_datetime().format(&Rfc2822))
        .unwrap_or_default();
    header(&mut head, "Date", &date);
    header(&mut head, "From", &mailbox("From", from_name, from_addr)?);
    header(&mut head, "To", &mailbox("To", threading.to_name.as_deref(), to_addr)?);
    header(&mut head, "Subject", &subject(&threading.subject, !threading.new_thread)?);
    header(&mut head, "Message-ID", &format!("<{message_id}>"));
    if let Some(parent) = parent {
        header(&mut head, "In-Reply-To", &format!("<{parent}>"));
    }
    if !references.is_empty() {
        let ids: Vec<String> = references.iter().map(|r| format!("<{r}>")).collect();
        header(&mut head, "References", &ids.join("\r\n "));
    }
    header(&mut head, "MIME-Version", "1.0");
    header(&mut head, "Content-Type", "text/plain; charset=utf-8");
    let (encoding, body) = body(&reply.text);
    header(&mut head, "Content-Transfer-Encoding", encoding);
    head.push_str("\r\n");
    head.push_str(&body);
    Ok(ComposedEmail {
        message_id,
        envelope_from: envelope_from.to_owned(),
        envelope_to: to_addr.to_owned(),
        bytes: head.into_bytes(),
    })
}

fn header(out: &mut String, name: &str, value: &str) {
    let _ = write!(out, "{name}: {value}\r\n");
}

/// An address we can put in a header and an SMTP envelope as it is: an ASCII
/// dot-atom local part and a host name.
fn sender_address(email: &Email) -> Result<&str, SendError> {
    let addr = email.as_str();
    let ok = addr.rsplit_once('@').is_some_and(|(local, domain)| {
        let atext = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c);
        !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local.chars().all(|c| atext(c) || c == '.')
            && is_domain(domain)
    });
    if ok {
        Ok(addr)
    } else {
        Err(SendError::invalid(
            "address_unsupported",
            format!("`{}` cannot be used: only plain ASCII addresses are sent", super::error::bounded(addr)),
        ))
    }
}

fn is_domain(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// A message id as it may appear between angle brackets, or `None` when it
/// cannot (brackets are stripped first).
fn msg_id(raw: &str) -> Option<&str> {
    let id = raw.trim();
    let id = id.strip_prefix('<').unwrap_or(id);
    let id = id.strip_suffix('>').unwrap_or(id);
    let plain = !id.is_empty()
        && id.len() <= MAX_ID_BYTES
        && id.bytes().all(|b| b.is_ascii_graphic() && !matches!(b, b'<' | b'>'));
    plain.then_some(id)
}

fn dedupe(ids: &mut Vec<&str>) {
    let mut seen = std::collections::HashSet::new();
    ids.retain(|id| seen.insert(*id));
}

/// Refuses line breaks and other control characters in a header value;
/// tabs become spaces.
fn header_text(field: &str, value: &str) -> Result<String, SendError> {
    if value.contains(['\r', '\n']) {
        return Err(SendError::invalid(
            "header_line_break",
            format!("the {field} contains a line break, which email headers cannot hold"),
        ));
    }
    if value.chars().any(|c| c.is_control() && c != '\t') {
        return Err(SendError::invalid(
            "header_control_character",
            format!("the {field} contains a control character"),
        ));
    }
    Ok(value.replace('\t', " ").trim().to_owned())
}

/// The Subject value: `Re: ` prefixed when it answers (`reply`), encoded
/// when it is not plain ASCII.
fn subject(raw: &str, reply: bool) -> Result<String, SendError> {
    let text = header_text("subject", raw)?;
    let has_re = text.get(..3).is_some_and(|p| p.eq_ignore_ascii_case("re:"));
    let text = if has_re || !reply { text } else { format!("Re: {text}").trim_end().to_owned() };
    let plain = text.bytes().all(|b| (0x20..0x7F).contains(&b))
        && !text.contains("=?")
        && text.split(' ').all(|w| w.len() <= 900);
    if plain { Ok(fold_words(&text, "Subject: ".len())) } else { Ok(encoded_words(&text)) }
}

/// A plain ASCII value folded at spaces to keep lines near 78 characters.
fn fold_words(text: &str, first_line_used: usize) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let mut line = first_line_used;
    for (i, word) in text.split(' ').enumerate() {
        if i > 0 {
            if line + 1 + word.len() > 78 && line > 1 {
                out.push_str("\r\n");
                line = 0;
            }
            out.push(' ');
            line += 1;
        }
        out.push_str(word);
        line += word.len();
    }
    out
}

/// RFC 2047 `B` encoded words of at most 75 characters, folded one per line;
/// a character is never split between two words.
fn encoded_words(text: &str) -> String {
    const MAX_BYTES: usize = 45; // 60 base64 characters + 12 of wrapping.
    let mut words = Vec::new();
    let mut start = 0;
    while start < text.len() {
        let mut end = (start + MAX_BYTES).min(text.len());
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let chunk = &text[start..end];
        words.push(format!("=?UTF-8?B?{}?=", base64::engine::general_purpose::STANDARD.encode(chunk)));
        start = end;
    }
    words.join("\r\n ")
}

/// `Name <address>` (or the bare address), the name quoted or encoded.
fn mailbox(field: &str, name: Option<&str>, addr: &str) -> Result<String, SendError> {
    let Some(name) = name else {
        return Ok(addr.to_owned());
    };
    let name = header_text(&format!("{field} name"), name)?;
    let name: String = name.chars().take(MAX_NAME_CHARS).collect();
    if name.is_empty() {
        return Ok(addr.to_owned());
    }
    let phrase = if name.bytes().all(|b| (0x20..0x7F).contains(&b)) && !name.contains("=?") {
        format!("\"{}\"", name.replace('\\', "\\\\").replace('"', "\\\""))
    } else {
        encoded_words(&name)
    };
    let fold = if field.len() + 2 + phrase.len() + 3 + addr.len() > 78 { "\r\n " } else { " " };
    Ok(format!("{phrase}{fold}<{addr}>"))
}

/// The body with CRLF line ends, and its transfer encoding.
fn body(text: &str) -> (&'static str, String) {
    let normalised = text.replace("\r\n", "\n").replace('\r', "\n");
    let lines: Vec<&str> = normalised.split('\n').collect();
    let seven_bit = lines.iter().all(|l| l.len() <= 998 && l.bytes().all(|b| b == b'\t' || (0x20..0x7F).contains(&b)));
    let mut out = String::with_capacity(normalised.len() + lines.len() * 2);
    for line in &lines {
        if seven_bit {
            out.push_str(line);
        } else {
            quoted_printable_line(line, &mut out);
        }
        out.push_str("\r\n");
    }
    (if seven_bit { "7bit" } else { "quoted-printable" }, out)
}

/// One line in quoted-printable (RFC 2045 section 6.7), soft-broken so no
/// encoded line is longer than 76 characters.
fn quoted_printable_line(line: &str, out: &mut String) {
    let bytes = line.as_bytes();
    let mut width = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let last = i + 1 == bytes.len();
        let literal = (b.is_ascii_graphic() && b != b'=') || ((b == b' ' || b == b'\t') && !last);
        let token_len = if literal { 1 } else { 3 };
        // Leave room for the `=` of a soft break unless this is the end.
        let room = if last { 76 } else { 75 };
        if width + token_len > room {
            out.push_str("=\r\n");
            width = 0;
        }
        if literal {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "={b:02X}");
        }
        width += token_len;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects() {
        assert_eq!(subject("Order 42", true).unwrap(), "Re: Order 42");
        assert_eq!(subject("RE: Order 42", true).unwrap(), "RE: Order 42");
        assert_eq!(subject("", true).unwrap(), "Re:");
        assert_eq!(subject("Über", true).unwrap(), "=?UTF-8?B?UmU6IMOcYmVy?=");
        assert_eq!(subject("a=?b", true).unwrap(), "=?UTF-8?B?UmU6IGE9P2I=?=");
        assert_eq!(subject("x\r\nBcc: a@b.c", true).unwrap_err().code(), "header_line_break");
        assert_eq!(subject("x\u{1b}", true).unwrap_err().code(), "header_control_character");
        assert_eq!(subject("Broadband outage in XX1", false).unwrap(), "Broadband outage in XX1");
        let long = subject(&"word ".repeat(40), true).unwrap();
        assert!(long.split("\r\n").all(|l| l.len() <= 78), "{long}");
    }

    #[test]
    fn encoded_words_stay_short_and_whole() {
        let words = encoded_words(&"日本語".repeat(30));
        for w in words.split("\r\n ") {
            assert!(w.len() <= 75, "{w}");
            let inner = w.strip_prefix("=?UTF-8?B?").unwrap().strip_suffix("?=").unwrap();
            let bytes = base64::engine::general_purpose::STANDARD.decode(inner).unwrap();
            assert!(String::from_utf8(bytes).is_ok());
        }
    }

    #[test]
    fn quoted_printable() {
        let (enc, b) = body("Grüße\nline two \n.dot");
        assert_eq!(enc, "quoted-printable");
        assert_eq!(b, "Gr=C3=BC=C3=9Fe\r\nline two=20\r\n.dot\r\n");
        let (_, long) = body(&"é".repeat(100));
        assert!(long.split("\r\n").all(|l| l.len() <= 76));
        let (enc, b) = body("plain\r\ntext");
        assert_eq!((enc, b.as_str()), ("7bit", "plain\r\ntext\r\n"));
    }

    #[test]
    fn message_ids_are_stable_and_plain() {
        let a = message_id_for("reply-1", "acme.test");
        assert_eq!(a, message_id_for("reply-1", "acme.test"));
        assert_ne!(a, message_id_for("reply-2", "acme.test"));
        assert!(a.starts_with("fb.") && a.ends_with("@acme.test") && a.len() == 3 + 32 + 10);
        assert_eq!(msg_id(" <a@b> "), Some("a@b"));
        assert_eq!(msg_id("a b@c"), None);
        assert_eq!(msg_id("<>"), None);
    }

    #[test]
    fn mailboxes() {
        assert_eq!(mailbox("To", Some("Ana \"A\" Li"), "a@b.c").unwrap(), "\"Ana \\\"A\\\" Li\" <a@b.c>");
        assert_eq!(mailbox("To", None, "a@b.c").unwrap(), "a@b.c");
        assert!(mailbox("To", Some("José"), "a@b.c").unwrap().starts_with("=?UTF-8?B?"));
        assert!(sender_address(&Email::parse("a,b@x.com").unwrap()).is_err());
        assert!(sender_address(&Email::parse("ops+1@mail.acme.test").unwrap()).is_ok());
    }
}
