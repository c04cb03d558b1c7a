//! The "Twitter US Airline Sentiment" CSV (Crowdflower, February 2015):
//! `tweet_id, airline_sentiment, ..., name, ..., retweet_count, text,
//! tweet_coord, tweet_created, tweet_location, user_timezone`, quoted, with
//! newlines inside texts.
//!
//! Each row becomes a message on channel `x`, `direction: in`: `external_id`
//! is `tweet_id`; the author's id and handle are `name` (the file has no user
//! ids; `name` is the screen name); `created_at` is read from
//! `2015-02-24 11:35:52 -0800`; `metrics.shares` is `retweet_count` (likes
//! and replies are not in the file and are 0; an unreadable count leaves
//! `metrics` empty); `raw` holds every column as text, including the labels
//! `airline_sentiment`, `negativereason` and `airline`. Rows that repeat a
//! tweet id are all returned; the store keeps the first.

use std::io::Read;

use firebreak_domain::{Author, Channel, Direction, ExternalId, Metrics, NewMessage, PlatformUserId, RawPayload};

use crate::{
    RowError, convert,
    rows::{Header, Table, cell, optional_cell},
    timefmt,
};

/// The rows of an airline sentiment file, as messages or row errors.
pub struct AirlineRows<R> {
    table: Table<R, Columns>,
}

struct Columns {
    tweet_id: usize,
    name: usize,
    text: usize,
    tweet_created: usize,
    retweet_count: Option<usize>,
}

/// Reads an airline sentiment file. A header without `tweet_id`, `name`,
/// `text` and `tweet_created` is one error on line 1, and then the end.
pub fn read<R: Read>(input: R) -> AirlineRows<R> {
    AirlineRows { table: Table::open(input, columns) }
}

fn columns(header: &Header) -> Result<Columns, RowError> {
    Ok(Columns {
        tweet_id: header.require("tweet_id")?,
        name: header.require("name")?,
        text: header.require("text")?,
        tweet_created: header.require("tweet_created")?,
        retweet_count: header.find(&["retweet_count"]),
    })
}

impl<R: Read> Iterator for AirlineRows<R> {
    type Item = Result<NewMessage, RowError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.table.next_with(row)
    }
}

fn row(line: u64, r: &csv::StringRecord, c: &Columns, header: &Header) -> Result<NewMessage, RowError> {
    let external_id = ExternalId::parse(cell(r, c.tweet_id)).map_err(|e| RowError::column(line, "tweet_id", e))?;
    let name = cell(r, c.name);
    let id = PlatformUserId::parse(name).map_err(|e| RowError::column(line, "name", e))?;
    let created_at =
        timefmt::spaced(cell(r, c.tweet_created)).map_err(|e| RowError::column(line, "tweet_created", e))?;
    let shares = optional_cell(r, c.retweet_count).and_then(|n| n.parse::<u64>().ok());
    Ok(NewMessage {
        channel: Channel::X,
        external_id,
        direction: Direction::In,
        author: Author { id, handle: convert::handle(Some(name)), name: None, followers: None },
        text: convert::text(r.get(c.text).unwrap_or("")),
        language: None,
        created_at,
        in_reply_to: None,
        thread_id: None,
        metrics: shares.map(|shares| Metrics { likes: 0, shares, replies: 0 }),
        raw: Some(RawPayload::from_value(&header.row_object(r))),
        triage: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = "\
tweet_id,airline_sentiment,airline_sentiment_confidence,negativereason,negativereason_confidence,airline,airline_sentiment_gold,name,negativereason_gold,retweet_count,text,tweet_coord,tweet_created,tweet_location,user_timezone
570306133677760513,neutral,1.0,,,Virgin America,,cairdin,,0,@VirginAmerica What @dhepburn said.,,2015-02-24 11:35:52 -0800,,Eastern Time (US & Canada)
570300767074181121,negative,1.0,Can't Tell,0.6842,Virgin America,,jnardino,,2,\"@VirginAmerica seriously would pay $30 a flight for seats that didn't have this playing.
it's really the only bad thing about flying VA\",,2015-02-24 11:14:33 -0800,,Pacific Time (US & Canada)
";

    #[test]
    fn rows_become_messages() {
        let msgs: Vec<NewMessage> = read(HEAD.as_bytes()).map(Result::unwrap).collect();
        assert_eq!(msgs.len(), 2);
        let m = &msgs[0];
        assert_eq!(m.channel, Channel::X);
        assert_eq!(m.external_id.as_str(), "570306133677760513");
        assert_eq!(m.author.id.as_str(), "cairdin");
        assert_eq!(m.author.handle.as_ref().unwrap().as_str(), "cairdin");
        assert_eq!(m.created_at.to_rfc3339(), "2015-02-24T19:35:52.000Z");
        assert_eq!(m.metrics, Some(Metrics { likes: 0, shares: 0, replies: 0 }));
        let raw: serde_json::Value = serde_json::from_str(m.raw.as_ref().unwrap().as_str()).unwrap();
        assert_eq!(raw["airline_sentiment"], "neutral");
        assert_eq!(raw["airline"], "Virgin America");
        let multi = &msgs[1];
        assert!(multi.text.as_str().contains("playing.\nit's really"));
        assert_eq!(multi.metrics.unwrap().shares, 2);
        let raw: serde_json::Value = serde_json::from_str(multi.raw.as_ref().unwrap().as_str()).unwrap();
        assert_eq!(raw["negativereason"], "Can't Tell");
    }

    #[test]
    fn bad_rows_and_headers() {
        let data = "tweet_id,name,text,tweet_created,retweet_count\n\
                    1,ann,hi,2015-02-24 11:35:52 -0800,many\n\
                    2,ann,hi,24/02/2015,0\n\
                    3,a b,hi,2015-02-24 11:35:52 -0800,0\n";
        let results: Vec<_> = read(data.as_bytes()).collect();
        assert_eq!(results[0].as_ref().unwrap().metrics, None, "an unreadable count is no metrics");
        let e = results[1].as_ref().unwrap_err();
        assert_eq!((e.line, e.code, e.field.as_deref()), (3, "invalid_timestamp", Some("tweet_created")));
        assert_eq!(results[2].as_ref().unwrap().author.handle, None, "a name with a space is no handle");
        let header: Vec<_> = read("tweet_id,text\n".as_bytes()).collect();
        assert_eq!(header.len(), 1);
        assert_eq!(header[0].as_ref().unwrap_err().code, "missing_column");
    }

    proptest::proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..400)) {
            for _ in read(bytes.as_slice()) {}
        }

        #[test]
        fn never_panics_on_rows(cells in proptest::collection::vec(".{0,20}", 0..6), s in ".{0,20}") {
            let mut w = csv::WriterBuilder::new().flexible(true).from_writer(Vec::new());
            w.write_record(["tweet_id", "name", "text", "tweet_created", "retweet_count"]).unwrap();
            w.write_record(&cells).unwrap();
            w.write_record([s.as_str(), s.as_str(), s.as_str(), s.as_str(), s.as_str()]).unwrap();
            let data = w.into_inner().unwrap();
            for _ in read(data.as_slice()) {}
        }
    }
}
