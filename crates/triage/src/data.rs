//! Reading the shared data sets from bytes: the airline sentiment CSV (with
//! the evaluation split every figure uses) and the customer-support tweets.
//! The caller opens the files; this module never touches the file system.

use crate::judgement::Sentiment;

/// Why a data file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    #[error("the CSV could not be read: {0}")]
    Csv(#[from] csv::Error),
    #[error("the CSV has no `{0}` column")]
    MissingColumn(&'static str),
    #[error("row {row}: {message}")]
    BadRow { row: usize, message: String },
}

/// One row of the airline sentiment data set, with the fields triage uses.
#[derive(Debug, Clone, PartialEq)]
pub struct AirlineRow {
    pub tweet_id: u64,
    pub sentiment: Sentiment,
    /// How much the annotators agreed on the sentiment (0 to 1).
    pub confidence: f32,
    /// The annotators' reason for a negative label (`Late Flight`...), if any.
    pub negative_reason: Option<String>,
    pub airline: String,
    pub text: String,
}

impl AirlineRow {
    /// Whether the row belongs to the test split: `tweet_id % 5 == 0`.
    pub fn is_test(&self) -> bool {
        self.tweet_id.is_multiple_of(5)
    }
}

fn column(headers: &csv::StringRecord, name: &'static str) -> Result<usize, DataError> {
    headers.iter().position(|h| h == name).ok_or(DataError::MissingColumn(name))
}

/// Reads `Tweets.csv` and removes repeated tweet ids, keeping the first row of
/// each, as the data README prescribes. Rows come back in file order.
pub fn read_airline(csv_bytes: &[u8]) -> Result<Vec<AirlineRow>, DataError> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(csv_bytes);
    let headers = reader.headers()?.clone();
    let id_col = column(&headers, "tweet_id")?;
    let sent_col = column(&headers, "airline_sentiment")?;
    let conf_col = column(&headers, "airline_sentiment_confidence")?;
    let reason_col = column(&headers, "negativereason")?;
    let airline_col = column(&headers, "airline")?;
    let text_col = column(&headers, "text")?;
    let mut seen = std::collections::HashSet::new();
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record?;
        let field = |c: usize| record.get(c).unwrap_or("");
        let tweet_id: u64 = field(id_col)
            .parse()
            .map_err(|_| DataError::BadRow { row: i + 1, message: format!("bad tweet_id `{}`", field(id_col)) })?;
        let sentiment = Sentiment::parse(field(sent_col))
            .ok_or_else(|| DataError::BadRow { row: i + 1, message: format!("bad sentiment `{}`", field(sent_col)) })?;
        if !seen.insert(tweet_id) {
            continue;
        }
        let reason = field(reason_col);
        let confidence = field(conf_col).parse::<f32>().ok().filter(|c| c.is_finite()).unwrap_or(1.0).clamp(0.0, 1.0);
        rows.push(AirlineRow {
            tweet_id,
            sentiment,
            confidence,
            negative_reason: (!reason.is_empty()).then(|| reason.to_owned()),
            airline: field(airline_col).to_owned(),
            text: field(text_col).to_owned(),
        });
    }
    Ok(rows)
}

/// One row of the customer-support tweets (`twcs-head.csv` or `sample.csv`).
#[derive(Debug, Clone, PartialEq)]
pub struct TwcsRow {
    pub tweet_id: u64,
    pub author_id: String,
    /// True when a customer wrote it, false when the brand did.
    pub inbound: bool,
    pub text: String,
}

/// Reads the customer-support tweets, with or without the leading index
/// column, keeping the first row of each repeated tweet id.
pub fn read_twcs(csv_bytes: &[u8]) -> Result<Vec<TwcsRow>, DataError> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(csv_bytes);
    let headers = reader.headers()?.clone();
    let id_col = column(&headers, "tweet_id")?;
    let author_col = column(&headers, "author_id")?;
    let inbound_col = column(&headers, "inbound")?;
    let text_col = column(&headers, "text")?;
    let mut seen = std::collections::HashSet::new();
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record?;
        let field = |c: usize| record.get(c).unwrap_or("");
        let tweet_id: u64 = field(id_col)
            .parse()
            .map_err(|_| DataError::BadRow { row: i + 1, message: format!("bad tweet_id `{}`", field(id_col)) })?;
        if !seen.insert(tweet_id) {
            continue;
        }
        rows.push(TwcsRow {
            tweet_id,
            author_id: field(author_col).to_owned(),
            inbound: field(inbound_col).eq_ignore_ascii_case("true"),
            text: field(text_col).to_owned(),
        });
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    const AIRLINE: &str = "tweet_id,airline_sentiment,airline_sentiment_confidence,negativereason,negativereason_confidence,airline,airline_sentiment_gold,name,negativereason_gold,retweet_count,text,tweet_coord,tweet_created,tweet_location,user_timezone
10,negative,1.0,Late Flight,1.0,United,,a,,0,\"@united late\nagain\",,,,
11,positive,1.0,,,Delta,,b,,0,@Delta thanks,,,,
10,neutral,1.0,,,United,,a,,0,dup,,,,
";

    #[test]
    fn reads_dedupes_and_splits() {
        let rows = read_airline(AIRLINE.as_bytes()).unwrap_or_default();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].text, "@united late\nagain");
        assert_eq!(rows[0].negative_reason.as_deref(), Some("Late Flight"));
        assert!(rows[0].is_test());
        assert!(!rows[1].is_test());
        assert_eq!(rows[1].negative_reason, None);
    }

    #[test]
    fn reports_bad_input() {
        assert!(matches!(read_airline(b"a,b\n1,2\n"), Err(DataError::MissingColumn("tweet_id"))));
        let bad = AIRLINE.replace("11,positive", "x,positive");
        assert!(matches!(read_airline(bad.as_bytes()), Err(DataError::BadRow { .. })));
    }

    #[test]
    fn reads_twcs_with_its_index_column() {
        let csv = ",tweet_id,author_id,inbound,created_at,text,response_tweet_id,in_response_to_tweet_id
0,1,sprintcare,False,x,@115712 hi,2,3.0
1,2,115712,True,x,@sprintcare no,,1.0
";
        let rows = read_twcs(csv.as_bytes()).unwrap_or_default();
        assert_eq!(rows.len(), 2);
        assert!(!rows[0].inbound);
        assert!(rows[1].inbound);
        assert_eq!(rows[1].author_id, "115712");
    }
}
