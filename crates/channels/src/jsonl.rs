//! JSONL files of normalised messages, one per line, as `firebreak export`
//! writes them and `firebreak import --format jsonl` reads them. Each line is
//! read by [`crate::normalised::parse_item`], so the contract and its error
//! codes are the API's. Blank lines are skipped; a line over
//! [`MAX_LINE_BYTES`] is an error (`line_too_long`) and reading goes on with
//! the next line; a bad line is reported with its first problem and a count
//! of the others.

use std::io::BufRead;

use firebreak_domain::NewMessage;

use crate::{RowError, normalised};

/// The longest line read. A message holds at most 64 KiB of text and 64 KiB
/// of raw payload, which JSON escaping can at most grow sixfold.
pub const MAX_LINE_BYTES: usize = 1024 * 1024;

/// The messages of a JSONL file.
pub struct JsonlMessages<R> {
    reader: R,
    line: Vec<u8>,
    line_no: u64,
    done: bool,
}

/// Reads normalised messages from JSONL.
pub fn read<R: BufRead>(reader: R) -> JsonlMessages<R> {
    JsonlMessages { reader, line: Vec::new(), line_no: 0, done: false }
}

/// How reading one line went.
enum Line {
    End,
    Complete,
    TooLong,
}

impl<R: BufRead> JsonlMessages<R> {
    /// Reads up to the next newline into `self.line`, keeping at most
    /// [`MAX_LINE_BYTES`] and consuming (without keeping) the rest.
    fn read_line(&mut self) -> std::io::Result<Line> {
        self.line.clear();
        let mut any = false;
        let mut too_long = false;
        loop {
            let avail = self.reader.fill_buf()?;
            if avail.is_empty() {
                return Ok(match (any, too_long) {
                    (false, _) => Line::End,
                    (true, true) => Line::TooLong,
                    (true, false) => Line::Complete,
                });
            }
            any = true;
            let (chunk, used, ended) = match avail.iter().position(|&b| b == b'\n') {
                Some(i) => (&avail[..i], i + 1, true),
                None => (avail, avail.len(), false),
            };
            if self.line.len() + chunk.len() > MAX_LINE_BYTES {
                too_long = true;
            } else if !too_long {
                self.line.extend_from_slice(chunk);
            }
            self.reader.consume(used);
            if ended {
                return Ok(if too_long { Line::TooLong } else { Line::Complete });
            }
        }
    }
}

impl<R: BufRead> Iterator for JsonlMessages<R> {
    type Item = Result<NewMessage, RowError>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.done {
            let read = self.read_line();
            self.line_no += 1;
            let line_no = self.line_no;
            match read {
                Err(e) => {
                    self.done = true;
                    return Some(Err(RowError::io(line_no, &e)));
                }
                Ok(Line::End) => self.done = true,
                Ok(Line::TooLong) => {
                    return Some(Err(RowError::new(
                        line_no,
                        None,
                        "line_too_long",
                        format!("the line is over the limit of {MAX_LINE_BYTES} bytes"),
                    )));
                }
                Ok(Line::Complete) => {
                    let mut bytes = self.line.as_slice();
                    if line_no == 1 {
                        bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
                    }
                    if bytes.iter().all(u8::is_ascii_whitespace) {
                        continue;
                    }
                    return Some(normalised::parse_item(bytes).map_err(|problems| row_error(line_no, problems)));
                }
            }
        }
        None
    }
}

fn row_error(line: u64, problems: Vec<normalised::FieldProblem>) -> RowError {
    let more = problems.len().saturating_sub(1);
    let Some(first) = problems.into_iter().next() else {
        return RowError::new(line, None, "invalid_value", "the message is not valid");
    };
    let subject = if first.field.is_empty() { String::new() } else { format!("`{}`: ", first.field) };
    let tail = match more {
        0 => String::new(),
        1 => " (and 1 more problem)".to_owned(),
        n => format!(" (and {n} more problems)"),
    };
    RowError {
        line,
        field: Some(first.field).filter(|f| !f.is_empty()),
        code: first.code,
        message: format!("{subject}{}{tail}", first.message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str =
        r#"{"channel":"x","external_id":"1","author":{"id":"a"},"text":"hi","created_at":"2024-01-01T00:00:00Z"}"#;

    #[test]
    fn lines_blank_lines_and_errors() {
        let data = format!(
            "\u{feff}{GOOD}\r\n\n   \n{{\"channel\":\"myspace\",\"external_id\":\"\"}}\nnot json\n{}\n",
            GOOD.replace("\"1\"", "\"2\"")
        );
        let results: Vec<_> = read(data.as_bytes()).collect();
        assert_eq!(results.len(), 4);
        assert_eq!(results[0].as_ref().unwrap().external_id.as_str(), "1");
        let e = results[1].as_ref().unwrap_err();
        assert_eq!((e.line, e.code), (4, "missing_field"));
        let e = results[2].as_ref().unwrap_err();
        assert_eq!((e.line, e.code, e.field.as_deref()), (5, "malformed_json", None));
        assert_eq!(results[3].as_ref().unwrap().external_id.as_str(), "2");
    }

    #[test]
    fn several_problems_are_counted() {
        let line = r#"{"channel":"myspace","external_id":"","author":{"id":"a"},"text":"","created_at":"no"}"#;
        let e = read(line.as_bytes()).next().unwrap().unwrap_err();
        assert_eq!((e.code, e.field.as_deref()), ("unknown_channel", Some("channel")));
        assert!(e.message.ends_with("(and 2 more problems)"), "{}", e.message);
    }

    #[test]
    fn a_too_long_line_is_skipped() {
        let data = format!("{}\n{GOOD}", "x".repeat(MAX_LINE_BYTES + 10));
        let results: Vec<_> = read(std::io::BufReader::with_capacity(4096, data.as_bytes())).collect();
        assert_eq!(results[0].as_ref().unwrap_err().code, "line_too_long");
        assert_eq!(results[1].as_ref().unwrap().external_id.as_str(), "1");
        assert_eq!(results[1].as_ref().map(|_| ()), Ok(()));
    }

    #[test]
    fn export_lines_import_again() {
        let m = normalised::parse_item(GOOD.as_bytes()).unwrap();
        let line = normalised::to_json_line(&m);
        assert_eq!(read(line.as_bytes()).next().unwrap().unwrap(), m);
    }

    proptest::proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..400)) {
            for _ in read(bytes.as_slice()) {}
        }
    }
}
