//! Splitting an mbox file into raw messages, streaming.
//!
//! A line that starts with `From ` at the start of the file or after a blank
//! line begins a new message (mboxo and mboxrd writers escape any other
//! `From ` line, so requiring the blank line only spares files from careless
//! writers). Inside a message, `>From `, `>>From `... lose one `>` (mboxrd
//! unescaping). The blank line before a separator belongs to the separator.
//! A file that does not start with a `From ` line is read as one message, so
//! a single `.eml` file imports too. Empty messages are skipped.

use std::io::BufRead;

use crate::RowError;

/// The largest message kept; a larger one is reported and skipped.
pub const MAX_MESSAGE_BYTES: usize = 32 * 1024 * 1024;

/// The messages of an mbox file, each with the line its `From ` line is on.
pub struct MboxMessages<R> {
    reader: R,
    line: Vec<u8>,
    line_no: u64,
    /// The message being read: its first line number and its bytes.
    current: Option<(u64, Vec<u8>)>,
    oversize: bool,
    previous_blank: bool,
    done: bool,
}

/// Reads the messages of an mbox file: each is the line its `From ` line is
/// on (its first line when there is none) and its raw bytes. Errors carry
/// that line too, with code `message_too_large` or `io_error`; after an IO
/// error the iterator ends.
pub fn mbox_messages<R: BufRead>(reader: R) -> MboxMessages<R> {
    MboxMessages {
        reader,
        line: Vec::new(),
        line_no: 0,
        current: None,
        oversize: false,
        previous_blank: true,
        done: false,
    }
}

impl<R: BufRead> MboxMessages<R> {
    /// Ends the current message, if it has any content.
    fn finish(&mut self) -> Option<Result<(u64, Vec<u8>), RowError>> {
        let (start, mut bytes) = self.current.take()?;
        let oversize = std::mem::replace(&mut self.oversize, false);
        if oversize {
            return Some(Err(RowError::new(
                start,
                None,
                "message_too_large",
                format!("the message is over the limit of {MAX_MESSAGE_BYTES} bytes"),
            )));
        }
        // The blank line before the next `From ` is part of the separator.
        if bytes.ends_with(b"\r\n\r\n") {
            bytes.truncate(bytes.len() - 2);
        } else if bytes.ends_with(b"\n\n") {
            bytes.truncate(bytes.len() - 1);
        }
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return None;
        }
        Some(Ok((start, bytes)))
    }
}

impl<R: BufRead> Iterator for MboxMessages<R> {
    type Item = Result<(u64, Vec<u8>), RowError>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.done {
            self.line.clear();
            match self.reader.read_until(b'\n', &mut self.line) {
                Err(e) => {
                    self.done = true;
                    return Some(Err(RowError::io(self.line_no + 1, &e)));
                }
                Ok(0) => {
                    self.done = true;
                    return self.finish();
                }
                Ok(_) => {}
            }
            self.line_no += 1;
            let blank = self.line.iter().all(u8::is_ascii_whitespace);
            if self.line.starts_with(b"From ") && self.previous_blank {
                self.previous_blank = false;
                let done = self.finish();
                self.current = Some((self.line_no, Vec::new()));
                match done {
                    Some(m) => return Some(m),
                    None => continue,
                }
            }
            self.previous_blank = blank;
            if self.current.is_none() {
                // Blank lines before the first message are not a message.
                if blank {
                    continue;
                }
                self.current = Some((self.line_no, Vec::new()));
            }
            let Some((_, current)) = &mut self.current else { continue };
            let quoted = self.line.iter().take_while(|&&b| b == b'>').count();
            let unescape = quoted > 0 && self.line[quoted..].starts_with(b"From ");
            let content = if unescape { &self.line[1..] } else { &self.line[..] };
            if current.len() + content.len() > MAX_MESSAGE_BYTES {
                self.oversize = true;
            } else if !self.oversize {
                current.extend_from_slice(content);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::email::parse_rfc5322;
    use firebreak_domain::Timestamp;

    fn split(data: &[u8]) -> Vec<Result<Vec<u8>, RowError>> {
        mbox_messages(data).map(|r| r.map(|(_, bytes)| bytes)).collect()
    }

    #[test]
    fn splits_unescapes_and_parses() {
        let path = format!("{}/tests/fixtures/mail.mbox", env!("CARGO_MANIFEST_DIR"));
        let data = std::fs::read(path).unwrap();
        let lines: Vec<u64> = mbox_messages(data.as_slice()).map(|r| r.unwrap().0).collect();
        assert_eq!(lines, [1, 12, 20]);
        let msgs: Vec<Vec<u8>> = split(&data).into_iter().map(Result::unwrap).collect();
        assert_eq!(msgs.len(), 3);
        let first = String::from_utf8(msgs[0].clone()).unwrap();
        assert!(first.starts_with("Message-ID: <first@example.com>\n"));
        assert!(first.contains("\nFrom the mboxrd escaping"));
        assert!(first.contains("\n>From this one keeps one quote mark."));
        assert!(first.ends_with("so not a separator.\n"), "{first:?}");
        let parsed: Vec<_> = msgs.iter().map(|m| parse_rfc5322(m, Timestamp::now()).unwrap()).collect();
        assert_eq!(parsed[1].in_reply_to.as_ref().unwrap().as_str(), "first@example.com");
        assert!(parsed[2].external_id.as_str().starts_with("sha256-"));
        assert_eq!(parsed[2].text.as_str(), "Third, with no Message-ID\n\nHello.");
    }

    #[test]
    fn a_single_message_without_a_from_line_is_one_message() {
        let with_lines: Vec<_> = mbox_messages(&b"\n\nFrom: a@b.test\nSubject: x\n\nbody\n"[..]).collect();
        assert_eq!(with_lines[0].as_ref().unwrap().0, 3);
        let msgs = split(b"\n\nFrom: a@b.test\nSubject: x\n\nbody\n");
        assert_eq!(msgs.len(), 1);
        assert_eq!(msgs[0].as_ref().unwrap().as_slice(), b"From: a@b.test\nSubject: x\n\nbody\n");
    }

    #[test]
    fn empty_inputs_and_empty_messages() {
        assert!(split(b"").is_empty());
        assert!(split(b"From a\n\nFrom b\n\n\nFrom c\n").is_empty());
        let crlf = split(b"From a\r\nSubject: x\r\n\r\nbody\r\n\r\nFrom b\r\nSubject: y\r\n\r\n");
        assert_eq!(crlf.len(), 2);
        assert_eq!(crlf[0].as_ref().unwrap().as_slice(), b"Subject: x\r\n\r\nbody\r\n");
    }

    #[test]
    fn a_too_large_message_is_reported_and_the_next_one_read() {
        let mut data = b"From a\nSubject: big\n\n".to_vec();
        let line = vec![b'x'; 1023];
        for _ in 0..(MAX_MESSAGE_BYTES / 1024 + 2) {
            data.extend_from_slice(&line);
            data.push(b'\n');
        }
        data.extend_from_slice(b"\nFrom b\nSubject: small\n\nok\n");
        let msgs = split(&data);
        assert_eq!(msgs.len(), 2);
        let err = msgs[0].as_ref().unwrap_err();
        assert_eq!((err.line, err.code), (1, "message_too_large"));
        assert_eq!(msgs[1].as_ref().unwrap().as_slice(), b"Subject: small\n\nok\n");
    }

    proptest::proptest! {
        #[test]
        fn never_panics_and_never_invents_bytes(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..400)) {
            let total: usize = split(&bytes).into_iter().filter_map(Result::ok).map(|m| m.len()).sum();
            proptest::prop_assert!(total <= bytes.len());
        }

        #[test]
        fn never_panics_on_mbox_shaped_input(lines in proptest::collection::vec(
            "From x|>From y|>>From z|\r|[a-z: ]{0,10}", 0..30)) {
            let data = lines.join("\n");
            let _ = split(data.as_bytes());
        }
    }
}
