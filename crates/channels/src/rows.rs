//! Reading CSV files row by row for the bulk formats: columns found by header
//! name (so extra or reordered columns do no harm), line numbers on every
//! error, and a bad row that never stops the rows after it.

use std::io::Read;

use crate::RowError;

/// The header of a CSV file, for looking columns up by name.
pub(crate) struct Header {
    names: Vec<String>,
}

impl Header {
    /// The index of the first column whose name (trimmed, ignoring case and a
    /// byte-order mark) is one of `names`.
    pub fn find(&self, names: &[&str]) -> Option<usize> {
        names.iter().find_map(|want| self.names.iter().position(|n| n.eq_ignore_ascii_case(want)))
    }

    /// Like [`Header::find`], but a missing column is an error on line 1.
    pub fn require(&self, name: &str) -> Result<usize, RowError> {
        self.find(&[name])
            .ok_or_else(|| RowError::new(1, Some(name), "missing_column", format!("the header has no `{name}` column")))
    }

    /// The row as a JSON object of its named columns (unnamed columns, such as
    /// a pandas index, are left out).
    pub fn row_object(&self, record: &csv::StringRecord) -> serde_json::Value {
        let mut map = serde_json::Map::with_capacity(self.names.len());
        for (name, value) in self.names.iter().zip(record.iter()) {
            if !name.is_empty() {
                map.insert(name.clone(), serde_json::Value::String(value.to_owned()));
            }
        }
        serde_json::Value::Object(map)
    }
}

/// A CSV file being read: its header, and one reusable record.
pub(crate) struct Rows<R> {
    reader: csv::Reader<R>,
    record: csv::StringRecord,
    /// Set after an IO error, which would repeat forever.
    stopped: bool,
}

impl<R: Read> Rows<R> {
    /// Opens a CSV file with a header row.
    pub fn open(input: R) -> Result<(Rows<R>, Header), RowError> {
        // Only `\n` ends a record: real files (twcs) hold bare `\r` inside
        // unquoted fields. The `\r` of a CRLF file is taken off below.
        let mut reader =
            csv::ReaderBuilder::new().has_headers(true).terminator(csv::Terminator::Any(b'\n')).from_reader(input);
        let names = match reader.headers() {
            Ok(h) => h.iter().map(|n| n.trim_start_matches('\u{feff}').trim().to_owned()).collect(),
            Err(e) => return Err(csv_error(&e, 1)),
        };
        Ok((Rows { reader, record: csv::StringRecord::new(), stopped: false }, Header { names }))
    }

    /// The next record with the line it starts on, an error for a row that
    /// could not be read, or `None` at the end.
    pub fn next_record(&mut self) -> Option<Result<(u64, &csv::StringRecord), RowError>> {
        if self.stopped {
            return None;
        }
        let line_before = self.reader.position().line();
        match self.reader.read_record(&mut self.record) {
            Ok(false) => None,
            Ok(true) => {
                let line = self.record.position().map_or(line_before, |p| p.line());
                strip_cr(&mut self.record);
                Some(Ok((line, &self.record)))
            }
            Err(e) => {
                if matches!(e.kind(), csv::ErrorKind::Io(_)) {
                    self.stopped = true;
                }
                Some(Err(csv_error(&e, line_before)))
            }
        }
    }
}

/// A CSV file opened for one format: its rows and the format's column map,
/// or the header problem, which is returned once as the first item.
pub(crate) struct Table<R, C> {
    state: Result<(Rows<R>, Header, C), Option<RowError>>,
}

impl<R: Read, C> Table<R, C> {
    /// Opens `input` and maps its header with `columns`.
    pub fn open(input: R, columns: impl FnOnce(&Header) -> Result<C, RowError>) -> Table<R, C> {
        let state = Rows::open(input).and_then(|(rows, header)| {
            let cols = columns(&header)?;
            Ok((rows, header, cols))
        });
        Table { state: state.map_err(Some) }
    }

    /// The next row through `convert`, a row error, or `None` at the end.
    pub fn next_with<T>(
        &mut self,
        convert: impl FnOnce(u64, &csv::StringRecord, &C, &Header) -> Result<T, RowError>,
    ) -> Option<Result<T, RowError>> {
        match &mut self.state {
            Err(pending) => pending.take().map(Err),
            Ok((rows, header, cols)) => match rows.next_record()? {
                Ok((line, record)) => Some(convert(line, record, cols, header)),
                Err(e) => Some(Err(e)),
            },
        }
    }
}

/// Takes the `\r` of a CRLF line ending off the last field.
fn strip_cr(record: &mut csv::StringRecord) {
    if record.iter().next_back().is_some_and(|f| f.ends_with('\r')) {
        let pos = record.position().cloned();
        let n = record.len();
        let fields: Vec<String> = record
            .iter()
            .enumerate()
            .map(|(i, f)| if i + 1 == n { f.trim_end_matches('\r').to_owned() } else { f.to_owned() })
            .collect();
        *record = csv::StringRecord::from(fields);
        record.set_position(pos);
    }
}

fn csv_error(e: &csv::Error, fallback_line: u64) -> RowError {
    let line = e.position().map_or(fallback_line, |p| p.line());
    match e.kind() {
        csv::ErrorKind::Io(io) => RowError::io(line, io),
        csv::ErrorKind::Utf8 { .. } => RowError::new(line, None, "invalid_utf8", "the row is not valid UTF-8"),
        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => RowError::new(
            line,
            None,
            "malformed_row",
            format!("the row has {len} fields; the header has {expected_len}"),
        ),
        _ => RowError::new(line, None, "malformed_row", "the row could not be read as CSV"),
    }
}

/// The value of column `index` in a record, trimmed; empty when absent.
pub(crate) fn cell(record: &csv::StringRecord, index: usize) -> &str {
    record.get(index).unwrap_or("").trim()
}

/// The value of an optional column, `None` when the column is absent or the
/// cell is empty.
pub(crate) fn optional_cell(record: &csv::StringRecord, index: Option<usize>) -> Option<&str> {
    index.map(|i| cell(record, i)).filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_columns_and_numbers_lines() {
        let data = "\u{feff}Id,NAME\n1,\"two\nlines\"\n2,short,extra\n3,ok\n";
        let (mut rows, header) = Rows::open(data.as_bytes()).unwrap();
        assert_eq!(header.find(&["id"]), Some(0));
        assert_eq!(header.find(&["missing", "name"]), Some(1));
        assert_eq!(header.require("zzz").unwrap_err().code, "missing_column");
        let (line, r) = rows.next_record().unwrap().unwrap();
        assert_eq!((line, cell(r, 1)), (2, "two\nlines"));
        let e = rows.next_record().unwrap().unwrap_err();
        assert_eq!((e.line, e.code), (4, "malformed_row"));
        let (line, r) = rows.next_record().unwrap().unwrap();
        assert_eq!((line, cell(r, 0)), (5, "3"));
        assert!(rows.next_record().is_none());
    }

    #[test]
    fn carriage_returns() {
        let data = "a,b\r\n1,x\ry\r\n2,\"q\r\n\"\r\n";
        let (mut rows, header) = Rows::open(data.as_bytes()).unwrap();
        assert_eq!(header.find(&["b"]), Some(1));
        let (line, r) = rows.next_record().unwrap().unwrap();
        assert_eq!((line, r.get(1)), (2, Some("x\ry")));
        let (line, r) = rows.next_record().unwrap().unwrap();
        assert_eq!((line, r.get(1)), (3, Some("q\r\n")));
        assert!(rows.next_record().is_none());
    }

    #[test]
    fn invalid_utf8_is_one_bad_row() {
        let data: &[u8] = b"a,b\n1,\xff\n2,x\n";
        let (mut rows, _) = Rows::open(data).unwrap();
        assert_eq!(rows.next_record().unwrap().unwrap_err().code, "invalid_utf8");
        assert_eq!(cell(rows.next_record().unwrap().unwrap().1, 0), "2");
    }
}
