//! Instants in time, kept as milliseconds since the Unix epoch in UTC and
//! written as RFC 3339.

use std::fmt;

use serde::{Deserialize, Serialize};
use time::{OffsetDateTime, format_description::well_known::Rfc3339};

use crate::{FieldError, channel::truncate_for_message};

/// A UTC instant with millisecond precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Timestamp(i64);

impl Timestamp {
    /// Year 1 to year 9999, so that every value can be written as RFC 3339.
    const MIN_MS: i64 = -62_135_596_800_000;
    const MAX_MS: i64 = 253_402_300_799_999;

    /// 1970-01-01T00:00:00Z.
    pub const EPOCH: Timestamp = Timestamp(0);

    /// This instant moved by `ms` milliseconds, kept within the valid range.
    pub fn plus_millis(self, ms: i64) -> Timestamp {
        Timestamp(self.0.saturating_add(ms).clamp(Self::MIN_MS, Self::MAX_MS))
    }

    pub fn from_unix_millis(ms: i64) -> Result<Timestamp, FieldError> {
        if !(Self::MIN_MS..=Self::MAX_MS).contains(&ms) {
            return Err(FieldError::new("invalid_timestamp", format!("{ms} ms is outside years 1 to 9999")));
        }
        Ok(Timestamp(ms))
    }

    pub fn from_unix_seconds(s: i64) -> Result<Timestamp, FieldError> {
        s.checked_mul(1000)
            .ok_or_else(|| FieldError::new("invalid_timestamp", format!("{s} s is outside years 1 to 9999")))
            .and_then(Timestamp::from_unix_millis)
    }

    pub fn from_offset_datetime(t: OffsetDateTime) -> Result<Timestamp, FieldError> {
        let ms = t.unix_timestamp_nanos() / 1_000_000;
        i64::try_from(ms)
            .map_err(|_| FieldError::new("invalid_timestamp", "the time is outside years 1 to 9999"))
            .and_then(Timestamp::from_unix_millis)
    }

    /// Parses an RFC 3339 date-time such as `2015-02-24T11:35:52-08:00`.
    pub fn parse_rfc3339(s: &str) -> Result<Timestamp, FieldError> {
        let t = OffsetDateTime::parse(s, &Rfc3339).map_err(|_| {
            FieldError::new(
                "invalid_timestamp",
                format!("`{}` is not an RFC 3339 date-time such as 2024-05-01T12:00:00Z", truncate_for_message(s)),
            )
        })?;
        Timestamp::from_offset_datetime(t)
    }

    pub fn now() -> Timestamp {
        Timestamp::from_offset_datetime(OffsetDateTime::now_utc()).unwrap_or(Timestamp(0))
    }

    pub fn unix_millis(self) -> i64 {
        self.0
    }

    pub fn to_offset_datetime(self) -> OffsetDateTime {
        // In range by construction.
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(self.0) * 1_000_000).unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }

    /// RFC 3339 in UTC, with milliseconds: `2015-02-24T19:35:52.000Z`.
    pub fn to_rfc3339(self) -> String {
        let t = self.to_offset_datetime();
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second(),
            t.millisecond()
        )
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_rfc3339())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Timestamp::parse_rfc3339(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_offsets_to_utc() {
        let t = Timestamp::parse_rfc3339("2015-02-24T11:35:52-08:00").unwrap();
        assert_eq!(t.to_rfc3339(), "2015-02-24T19:35:52.000Z");
        assert_eq!(t.unix_millis(), 1_424_806_552_000);
    }

    #[test]
    fn refuses_what_is_not_rfc3339() {
        assert_eq!(Timestamp::parse_rfc3339("2015-02-24 11:35:52").unwrap_err().code, "invalid_timestamp");
        assert!(Timestamp::from_unix_millis(i64::MAX).is_err());
    }

    proptest! {
        #[test]
        fn round_trips_through_rfc3339(ms in Timestamp::MIN_MS..=Timestamp::MAX_MS) {
            let t = Timestamp::from_unix_millis(ms).unwrap();
            prop_assert_eq!(Timestamp::parse_rfc3339(&t.to_rfc3339()).unwrap(), t);
        }

        #[test]
        fn parse_never_panics(s in ".*") {
            let _ = Timestamp::parse_rfc3339(&s);
        }
    }
}
