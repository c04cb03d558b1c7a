//! The date formats platforms write that are not RFC 3339: X's v1.1
//! `Wed Oct 10 20:19:24 +0000 2018`, the airline file's
//! `2015-02-24 11:35:52 -0800`, the Graph API's `2018-03-07T00:26:11+0000`,
//! and the time inside an X snowflake id.

use firebreak_domain::{FieldError, Timestamp};
use time::{OffsetDateTime, format_description::BorrowedFormatItem, macros::format_description};

const TWITTER: &[BorrowedFormatItem<'static>] = format_description!(
    "[weekday repr:short] [month repr:short] [day] [hour]:[minute]:[second] [offset_hour sign:mandatory][offset_minute] [year]"
);
const SPACED: &[BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day] [hour]:[minute]:[second] [offset_hour sign:mandatory][offset_minute]");
const GRAPH: &[BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second][offset_hour sign:mandatory][offset_minute]");

fn with(s: &str, format: &[BorrowedFormatItem<'_>], example: &str) -> Result<Timestamp, FieldError> {
    let t = OffsetDateTime::parse(s.trim(), format).map_err(|_| {
        let shown: String = s.chars().take(64).collect();
        FieldError::new("invalid_timestamp", format!("`{shown}` is not a date-time such as {example}"))
    })?;
    Timestamp::from_offset_datetime(t)
}

/// `Wed Oct 10 20:19:24 +0000 2018` (X API v1.1, the twcs file).
pub(crate) fn twitter(s: &str) -> Result<Timestamp, FieldError> {
    with(s, TWITTER, "`Wed Oct 10 20:19:24 +0000 2018`")
}

/// `2015-02-24 11:35:52 -0800` (the airline file).
pub(crate) fn spaced(s: &str) -> Result<Timestamp, FieldError> {
    with(s, SPACED, "`2015-02-24 11:35:52 -0800`")
}

/// RFC 3339, or the Graph API's `2018-03-07T00:26:11+0000` (no colon in the
/// offset), or Unix seconds written as digits.
pub(crate) fn graph(s: &str) -> Result<Timestamp, FieldError> {
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return s
            .parse::<i64>()
            .map_err(|_| FieldError::new("invalid_timestamp", "the Unix time is too large"))
            .and_then(Timestamp::from_unix_seconds);
    }
    Timestamp::parse_rfc3339(s).or_else(|_| with(s, GRAPH, "`2018-03-07T00:26:11+0000`"))
}

/// Unix milliseconds written as a decimal string (X's `created_timestamp`).
pub(crate) fn millis_text(s: &str) -> Result<Timestamp, FieldError> {
    s.trim()
        .parse::<i64>()
        .map_err(|_| {
            let shown: String = s.chars().take(64).collect();
            FieldError::new("invalid_timestamp", format!("`{shown}` is not a time in Unix milliseconds"))
        })
        .and_then(Timestamp::from_unix_millis)
}

/// The creation time held in an X snowflake id: the top 42 bits are
/// milliseconds since X's epoch (2010-11-04T01:42:54.657Z). `None` for ids
/// that are not snowflakes (older or non-numeric ids).
pub(crate) fn snowflake(id: &str) -> Option<Timestamp> {
    const TWEPOCH_MS: i64 = 1_288_834_974_657;
    // Snowflakes started in November 2010 at about 2.9e16.
    const FIRST_SNOWFLAKE: u64 = 29_700_859_247_000_000;
    let n: u64 = id.parse().ok()?;
    if n < FIRST_SNOWFLAKE {
        return None;
    }
    let ms = i64::try_from(n >> 22).ok()?.checked_add(TWEPOCH_MS)?;
    Timestamp::from_unix_millis(ms).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(twitter("Wed Oct 10 20:19:24 +0000 2018").unwrap().to_rfc3339(), "2018-10-10T20:19:24.000Z");
        assert_eq!(twitter("Tue Oct 31 22:10:47 +0000 2017").unwrap().to_rfc3339(), "2017-10-31T22:10:47.000Z");
        assert_eq!(spaced("2015-02-24 11:35:52 -0800").unwrap().to_rfc3339(), "2015-02-24T19:35:52.000Z");
        assert_eq!(graph("2018-03-07T00:26:11+0000").unwrap().to_rfc3339(), "2018-03-07T00:26:11.000Z");
        assert_eq!(graph("2018-03-07T00:26:11Z").unwrap().to_rfc3339(), "2018-03-07T00:26:11.000Z");
        assert_eq!(graph("1520382171").unwrap().to_rfc3339(), "2018-03-07T00:22:51.000Z");
        assert_eq!(millis_text("1516403560557").unwrap().unix_millis(), 1_516_403_560_557);
        assert_eq!(twitter("yesterday").unwrap_err().code, "invalid_timestamp");
        assert!(graph("99999999999999999999").is_err());
    }

    #[test]
    fn snowflake_times() {
        // 1212092628029698048 was posted at 2019-12-31T19:26:16.000Z (X's docs).
        let t = snowflake("1212092628029698048").unwrap();
        assert_eq!(t.to_rfc3339(), "2019-12-31T19:26:16.771Z");
        assert_eq!(snowflake("12345"), None);
        assert_eq!(snowflake("abc"), None);
    }

    proptest::proptest! {
        #[test]
        fn never_panic(s in ".{0,80}") {
            let _ = twitter(&s);
            let _ = spaced(&s);
            let _ = graph(&s);
            let _ = millis_text(&s);
            let _ = snowflake(&s);
        }
    }
}
