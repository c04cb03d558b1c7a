//! The "Customer Support on Twitter" CSV (Kaggle, ThoughtVector 2017):
//! `tweet_id, author_id, inbound, created_at, text, response_tweet_id,
//! in_response_to_tweet_id`, with or without a leading unnamed pandas index
//! column (columns are found by header name, so either works).
//!
//! Each row becomes a message on channel `x`: `external_id` is `tweet_id`;
//! the author id is `author_id`, which is also the handle when it is not all
//! digits (brands appear by handle, customers by an anonymised number);
//! `inbound` `True` is `in`, `False` is `out`; `created_at` is read from
//! `Tue Oct 31 22:10:47 +0000 2017`; `in_reply_to` is
//! `in_response_to_tweet_id`, which pandas wrote as a float (`3.0` becomes
//! `3`); `raw` holds every named column as text. The file has no
//! conversation ids, so `thread_id` is empty and threads follow the replies.
//!
//! Only `\n` ends a record. The real file holds a bare `\r\r` inside the
//! unquoted text of one tweet; readers that end records at `\r` (pandas,
//! Python's csv) split that tweet into two rows, which is where the data
//! README's "5,001 rows, one repeated id" comes from. Read here, the file's
//! 5,000 records are 5,000 messages.

use std::io::Read;

use firebreak_domain::{Author, Channel, Direction, ExternalId, Handle, NewMessage, PlatformUserId, RawPayload};

use crate::{
    RowError, convert,
    rows::{Header, Table, cell, optional_cell},
    timefmt,
};

/// The rows of a twcs file, as messages or row errors.
pub struct TwcsRows<R> {
    table: Table<R, Columns>,
}

struct Columns {
    tweet_id: usize,
    author_id: usize,
    inbound: usize,
    created_at: usize,
    text: usize,
    in_response_to: Option<usize>,
}

/// Reads a twcs file. A header without the required columns is one error
/// on line 1, and then the end.
pub fn read<R: Read>(input: R) -> TwcsRows<R> {
    TwcsRows { table: Table::open(input, columns) }
}

fn columns(header: &Header) -> Result<Columns, RowError> {
    Ok(Columns {
        tweet_id: header.require("tweet_id")?,
        author_id: header.require("author_id")?,
        inbound: header.require("inbound")?,
        created_at: header.require("created_at")?,
        text: header.require("text")?,
        in_response_to: header.find(&["in_response_to_tweet_id"]),
    })
}

impl<R: Read> Iterator for TwcsRows<R> {
    type Item = Result<NewMessage, RowError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.table.next_with(row)
    }
}

fn row(line: u64, r: &csv::StringRecord, c: &Columns, header: &Header) -> Result<NewMessage, RowError> {
    let external_id = ExternalId::parse(cell(r, c.tweet_id)).map_err(|e| RowError::column(line, "tweet_id", e))?;
    let author_id = cell(r, c.author_id);
    let id = PlatformUserId::parse(author_id).map_err(|e| RowError::column(line, "author_id", e))?;
    let handle = if author_id.bytes().all(|b| b.is_ascii_digit()) { None } else { Handle::parse(author_id).ok() };
    let direction = match cell(r, c.inbound) {
        "True" | "true" | "TRUE" | "1" => Direction::In,
        "False" | "false" | "FALSE" | "0" => Direction::Out,
        other => {
            let shown: String = other.chars().take(32).collect();
            return Err(RowError::new(
                line,
                Some("inbound"),
                "invalid_value",
                format!("column `inbound`: `{shown}` is neither True nor False"),
            ));
        }
    };
    let created_at = timefmt::twitter(cell(r, c.created_at)).map_err(|e| RowError::column(line, "created_at", e))?;
    let in_reply_to = optional_cell(r, c.in_response_to).map(float_id);
    Ok(NewMessage {
        channel: Channel::X,
        external_id,
        direction,
        author: Author { id, handle, name: None, followers: None },
        text: convert::text(r.get(c.text).unwrap_or("")),
        language: None,
        created_at,
        in_reply_to: convert::reference(in_reply_to.as_deref()),
        thread_id: None,
        metrics: None,
        raw: Some(RawPayload::from_value(&header.row_object(r))),
        triage: None,
    })
}

/// An id that pandas wrote as a float: `3.0` is `3`, `1.5e6` is `1500000`.
/// Anything else is kept as written.
pub(crate) fn float_id(s: &str) -> String {
    if let Some(int) = s.strip_suffix(".0")
        && !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
    {
        return int.to_owned();
    }
    if s.bytes().all(|b| b.is_ascii_digit()) {
        return s.to_owned();
    }
    match s.parse::<f64>() {
        // Below 2^53 a float holds every integer exactly.
        Ok(f) if f.is_finite() && f >= 0.0 && f.fract() == 0.0 && f < 9_007_199_254_740_992.0 => format!("{f:.0}"),
        _ => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = "\
,tweet_id,author_id,inbound,created_at,text,response_tweet_id,in_response_to_tweet_id
0,1,sprintcare,False,Tue Oct 31 22:10:47 +0000 2017,@115712 I understand.,2,3.0
1,2,115712,True,Tue Oct 31 22:11:45 +0000 2017,@sprintcare and how do you propose we do that,,1.0
6,8,115712,True,Tue Oct 31 21:45:10 +0000 2017,\"@sprintcare is the worst, customer service\",\"9,6,10\",
";

    #[test]
    fn rows_with_a_pandas_index() {
        let msgs: Vec<NewMessage> = read(HEAD.as_bytes()).map(Result::unwrap).collect();
        assert_eq!(msgs.len(), 3);
        let brand = &msgs[0];
        assert_eq!(brand.channel, Channel::X);
        assert_eq!(brand.external_id.as_str(), "1");
        assert_eq!(brand.direction, Direction::Out);
        assert_eq!(brand.author.id.as_str(), "sprintcare");
        assert_eq!(brand.author.handle.as_ref().unwrap().as_str(), "sprintcare");
        assert_eq!(brand.in_reply_to.as_ref().unwrap().as_str(), "3");
        assert_eq!(brand.created_at.to_rfc3339(), "2017-10-31T22:10:47.000Z");
        let customer = &msgs[1];
        assert_eq!((customer.direction, customer.author.handle.as_ref()), (Direction::In, None));
        assert_eq!(customer.in_reply_to.as_ref().unwrap().as_str(), "1");
        let root = &msgs[2];
        assert_eq!(root.in_reply_to, None);
        assert_eq!(root.text.as_str(), "@sprintcare is the worst, customer service");
        let raw: serde_json::Value = serde_json::from_str(root.raw.as_ref().unwrap().as_str()).unwrap();
        assert_eq!(raw["response_tweet_id"], "9,6,10");
        assert!(raw.get("").is_none(), "the index column is left out");
    }

    #[test]
    fn rows_without_an_index_and_with_integer_replies() {
        let data = "tweet_id,author_id,inbound,created_at,text,response_tweet_id,in_response_to_tweet_id\n\
                    119238,ChaseSupport,False,Wed Oct 11 13:25:49 +0000 2017,Your business means a lot,,119239\n";
        let m = read(data.as_bytes()).next().unwrap().unwrap();
        assert_eq!(m.in_reply_to.as_ref().unwrap().as_str(), "119239");
        assert_eq!(m.author.handle.as_ref().unwrap().as_str(), "ChaseSupport");
    }

    #[test]
    fn bad_rows_are_reported_with_their_line_and_the_rest_continue() {
        let data = "tweet_id,author_id,inbound,created_at,text\n\
                    1,a,maybe,Tue Oct 31 22:10:47 +0000 2017,x\n\
                    2,a,True,yesterday,x\n\
                    ,a,True,Tue Oct 31 22:10:47 +0000 2017,x\n\
                    4,,True,Tue Oct 31 22:10:47 +0000 2017,x\n\
                    5,a,True,Tue Oct 31 22:10:47 +0000 2017,fine\n";
        let results: Vec<_> = read(data.as_bytes()).collect();
        let errs: Vec<(u64, &str, Option<&str>)> =
            results.iter().filter_map(|r| r.as_ref().err()).map(|e| (e.line, e.code, e.field.as_deref())).collect();
        assert_eq!(
            errs,
            vec![
                (2, "invalid_value", Some("inbound")),
                (3, "invalid_timestamp", Some("created_at")),
                (4, "empty", Some("tweet_id")),
                (5, "empty", Some("author_id")),
            ]
        );
        assert_eq!(results[4].as_ref().unwrap().text.as_str(), "fine");
        let missing: Vec<_> = read("tweet_id,text\n1,x\n".as_bytes()).collect();
        assert_eq!(missing.len(), 1, "a header error ends the rows");
        let e = missing[0].as_ref().unwrap_err();
        assert_eq!((e.line, e.code, e.field.as_deref()), (1, "missing_column", Some("author_id")));
    }

    #[test]
    fn float_ids() {
        assert_eq!(float_id("3.0"), "3");
        assert_eq!(float_id("119239"), "119239");
        assert_eq!(float_id("1.5e6"), "1500000");
        assert_eq!(float_id("abc"), "abc");
        assert_eq!(float_id("7.000"), "7");
        assert_eq!(float_id("2.5"), "2.5");
    }

    proptest::proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..400)) {
            for _ in read(bytes.as_slice()) {}
        }

        #[test]
        fn never_panics_on_rows(cells in proptest::collection::vec(".{0,20}", 0..8), s in ".{0,20}") {
            let mut w = csv::WriterBuilder::new().flexible(true).from_writer(Vec::new());
            w.write_record(["tweet_id", "author_id", "inbound", "created_at", "text", "in_response_to_tweet_id"]).unwrap();
            w.write_record(&cells).unwrap();
            w.write_record([s.as_str(), s.as_str(), "True", s.as_str(), s.as_str(), s.as_str()]).unwrap();
            let data = w.into_inner().unwrap();
            for _ in read(data.as_slice()) {}
            let _ = float_id(&s);
        }
    }
}
