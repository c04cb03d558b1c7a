//! Business-hours calendars: opening hours per weekday in a time zone, with
//! holidays, and the arithmetic SLA clocks need ("within 1 business hour").
//!
//! Opening hours are local wall-clock times, turned into UTC instants one local
//! day at a time with jiff's bundled time-zone database, so a day on which the
//! clocks change has 23 or 25 hours. Local times map to instants like this:
//! a time that does not exist (skipped by a spring-forward change) maps to the
//! instant of the change, the next valid instant; a time that happens twice
//! (repeated by a fall-back change) maps to its first occurrence. The mapping
//! never goes backwards, so ranges that touch stay touching and a range
//! `01:00-02:00` on a fall-back night is open for two hours.
//!
//! The arithmetic walks day by day over open intervals, never minute by
//! minute, and never further than [`HORIZON_MS`] (about ten years) from where
//! it starts, so a calendar that is almost always closed cannot make it loop.

use jiff::{
    civil::{Date, DateTime},
    tz::{AmbiguousOffset, TimeZone, TimeZoneDatabase},
};
use serde::{Deserialize, Serialize};

use crate::{FieldError, Timestamp, channel::truncate_for_message};

/// How far `add`, `between` and `next_open` of a calendar with opening hours
/// look from where they start: 3653 days, ten years. `add` and `next_open`
/// return the horizon when the answer lies beyond it; `between` counts only the
/// open time before it. The 24x7 calendar has no horizon: it is plain arithmetic.
pub const HORIZON_MS: i64 = 3653 * DAY_MS;

/// A `[start, end)` range of minutes after local midnight, 1440 being the
/// midnight at the end of the day.
type Minutes = (u16, u16);

const DAY_MS: i64 = 86_400_000;
const MINUTES_PER_DAY: u16 = 24 * 60;
/// The last instant a [`Timestamp`] can hold (the end of year 9999).
const TIMESTAMP_MAX_MS: i64 = 253_402_300_799_999;
const MAX_NAME_CHARS: usize = 100;
const DAY_NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const LONG_DAY_NAMES: [&str; 7] = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];

/// How a calendar is configured (TOML/JSON via serde).
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct CalendarConfig {
    pub name: String,
    /// IANA zone, e.g. "Europe/London".
    pub time_zone: String,
    /// Opening hours, e.g. `["mon-fri 09:00-17:30", "sat 10:00-14:00"]`: days
    /// (`mon`..`sun` or full names, ranges such as `mon-fri` or `fri-mon`,
    /// lists such as `mon,wed`, or `daily`), then one or more time ranges
    /// separated by spaces or commas. `00:00-24:00` means all day. Ranges that
    /// touch or overlap are merged; a range that passes midnight is written as
    /// two (`fri 22:00-24:00`, `sat 00:00-02:00`).
    pub hours: Vec<String>,
    /// Local dates on which the calendar is closed all day, "2026-12-25".
    #[serde(default)]
    pub holidays: Vec<String>,
}

/// A validated calendar: when a team is at work, and how much of its working
/// time lies between two instants.
#[derive(Clone, Debug)]
pub struct BusinessCalendar {
    name: String,
    kind: Kind,
}

#[derive(Clone, Debug)]
enum Kind {
    /// Open at every instant.
    Always,
    Weekly(Weekly),
}

/// Opening hours that have to be walked day by day.
#[derive(Clone, Debug)]
struct Weekly {
    tz: TimeZone,
    /// Sorted and merged ranges, Monday first.
    week: [Vec<Minutes>; 7],
    /// Sorted and without duplicates.
    holidays: Vec<Date>,
}

impl BusinessCalendar {
    /// Open all the time (the "24x7" calendar social channels use for first responses).
    pub fn always() -> BusinessCalendar {
        BusinessCalendar { name: "24x7".to_owned(), kind: Kind::Always }
    }

    /// Validates and builds; errors name the bad value. Codes:
    /// `invalid_calendar_name`, `unknown_time_zone`, `invalid_hours`,
    /// `invalid_holiday`, and `empty_calendar` for a calendar that is never open.
    /// A calendar open all day every day without holidays is built as 24x7.
    pub fn from_config(c: &CalendarConfig) -> Result<BusinessCalendar, FieldError> {
        let name = c.name.trim();
        if name.is_empty() || name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
            return Err(FieldError::new(
                "invalid_calendar_name",
                format!(
                    "`{}` is not a calendar name: give 1 to {MAX_NAME_CHARS} characters without control characters",
                    truncate_for_message(&c.name)
                ),
            ));
        }
        let tz = parse_time_zone(&c.time_zone)?;

        let mut week: [Vec<Minutes>; 7] = Default::default();
        for entry in &c.hours {
            let (days, ranges) = parse_hours_entry(entry).map_err(|reason| {
                FieldError::new(
                    "invalid_hours",
                    format!(
                        "`{}` is not opening hours such as `mon-fri 09:00-17:30`: {reason}",
                        truncate_for_message(entry)
                    ),
                )
            })?;
            for (day, open) in week.iter_mut().zip(days) {
                if open {
                    day.extend_from_slice(&ranges);
                }
            }
        }
        for day in &mut week {
            merge_ranges(day);
        }
        if week.iter().all(Vec::is_empty) {
            return Err(FieldError::new(
                "empty_calendar",
                format!(
                    "calendar `{}` is never open: give opening hours such as `mon-fri 09:00-17:30`",
                    truncate_for_message(name)
                ),
            ));
        }

        let mut holidays = c.holidays.iter().map(|h| parse_holiday(h)).collect::<Result<Vec<_>, _>>()?;
        holidays.sort_unstable();
        holidays.dedup();

        let all_day = week.iter().all(|d| d.as_slice() == [(0, MINUTES_PER_DAY)]);
        let kind =
            if all_day && holidays.is_empty() { Kind::Always } else { Kind::Weekly(Weekly { tz, week, holidays }) };
        Ok(BusinessCalendar { name: name.to_owned(), kind })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn is_open(&self, t: Timestamp) -> bool {
        self.next_open(t) == t
    }

    /// The instant when `business_ms` milliseconds of open time have elapsed
    /// after `start` (if `start` is in a closed period, counting begins at the
    /// next opening). A negative `business_ms` counts as 0, and 0 returns the
    /// next open instant at or after `start` (or `start` itself if open). When
    /// the time runs out exactly at a closing, the closing instant is returned.
    /// Never later than [`HORIZON_MS`] after `start`, except for 24x7.
    pub fn add(&self, start: Timestamp, business_ms: i64) -> Timestamp {
        let s = start.unix_millis();
        let mut left = business_ms.max(0);
        let w = match &self.kind {
            Kind::Always => return timestamp(s.saturating_add(left), start),
            Kind::Weekly(w) => w,
        };
        let horizon = horizon(s);
        for (a, b) in w.intervals_from(s) {
            if a >= horizon {
                break;
            }
            if b <= s {
                continue;
            }
            let a = a.max(s);
            if left <= b - a {
                return timestamp((a + left).min(horizon), start);
            }
            left -= b - a;
        }
        timestamp(horizon, start)
    }

    /// Open milliseconds in `[a, b)`; 0 when `b <= a`. Only the first
    /// [`HORIZON_MS`] after `a` are counted, except for 24x7.
    pub fn between(&self, a: Timestamp, b: Timestamp) -> i64 {
        let (a, b) = (a.unix_millis(), b.unix_millis());
        if b <= a {
            return 0;
        }
        let w = match &self.kind {
            Kind::Always => return b - a,
            Kind::Weekly(w) => w,
        };
        let end = b.min(horizon(a));
        let mut open = 0;
        for (x, y) in w.intervals_from(a) {
            if x >= end {
                break;
            }
            if y > a {
                open += y.min(end) - x.max(a);
            }
        }
        open
    }

    /// The next instant at or after `t` when the calendar is open; the horizon
    /// ([`HORIZON_MS`] after `t`) when there is none before it.
    pub fn next_open(&self, t: Timestamp) -> Timestamp {
        let s = t.unix_millis();
        let w = match &self.kind {
            Kind::Always => return t,
            Kind::Weekly(w) => w,
        };
        let horizon = horizon(s);
        let next = w.intervals_from(s).find(|&(_, b)| b > s).map_or(horizon, |(a, _)| a.max(s));
        timestamp(next.min(horizon), t)
    }
}

impl Weekly {
    /// The open intervals, as `[start, end)` UTC milliseconds in increasing
    /// order, from the local day before the one `t` falls on until the walk
    /// passes the horizon of `t`. Callers skip the intervals that end before `t`.
    fn intervals_from(&self, t: i64) -> Intervals<'_> {
        let day = jiff::Timestamp::from_millisecond(t).ok().map(|ts| self.tz.to_datetime(ts).date());
        match day.and_then(|d| d.yesterday().ok()).or(day) {
            Some(date) => Intervals {
                week: self,
                date,
                ranges: self.ranges_on(date),
                next: 0,
                days_left: HORIZON_MS / DAY_MS + 3,
            },
            // Beyond what jiff can represent (the last hours of year 9999): closed.
            None => Intervals { week: self, date: Date::MAX, ranges: &[], next: 0, days_left: 0 },
        }
    }

    fn ranges_on(&self, date: Date) -> &[Minutes] {
        if self.holidays.binary_search(&date).is_ok() {
            return &[];
        }
        &self.week[date.weekday().to_monday_zero_offset().unsigned_abs() as usize]
    }

    /// The instant at which the local wall clock of `date` reads `minute`
    /// (1440 being midnight at its end), or None outside jiff's range.
    fn instant(&self, date: Date, minute: u16) -> Option<i64> {
        let dt: DateTime = if minute >= MINUTES_PER_DAY {
            date.tomorrow().ok()?.at(0, 0, 0, 0)
        } else {
            // Both fit in an i8: hours < 24, minutes < 60.
            date.at((minute / 60) as i8, (minute % 60) as i8, 0, 0)
        };
        let ts = match self.tz.to_ambiguous_timestamp(dt).offset() {
            AmbiguousOffset::Unambiguous { offset } => offset.to_timestamp(dt).ok()?,
            AmbiguousOffset::Fold { before, .. } => before.to_timestamp(dt).ok()?,
            AmbiguousOffset::Gap { before, after } => {
                // Read with the later offset, `dt` is an instant just before the
                // change; the change itself is the next valid instant.
                let probe = after.to_timestamp(dt).ok()?;
                match self.tz.following(probe).next() {
                    Some(change) => change.timestamp(),
                    None => before.to_timestamp(dt).ok()?,
                }
            }
        };
        Some(ts.as_millisecond())
    }
}

/// Walks a [`Weekly`] calendar's open intervals one local day at a time.
struct Intervals<'a> {
    week: &'a Weekly,
    date: Date,
    ranges: &'a [Minutes],
    next: usize,
    days_left: i64,
}

impl Iterator for Intervals<'_> {
    type Item = (i64, i64);

    fn next(&mut self) -> Option<(i64, i64)> {
        loop {
            if let Some(&(start, end)) = self.ranges.get(self.next) {
                self.next += 1;
                let a = self.week.instant(self.date, start)?;
                let b = self.week.instant(self.date, end)?;
                // A range that lies wholly in a skipped hour is empty.
                if a < b {
                    return Some((a, b));
                }
                continue;
            }
            if self.days_left <= 0 {
                return None;
            }
            self.days_left -= 1;
            self.date = self.date.tomorrow().ok()?;
            self.ranges = self.week.ranges_on(self.date);
            self.next = 0;
        }
    }
}

fn horizon(start: i64) -> i64 {
    start.saturating_add(HORIZON_MS).min(TIMESTAMP_MAX_MS)
}

/// `ms` is never below `floor`, which is valid, so the fallback is not taken.
fn timestamp(ms: i64, floor: Timestamp) -> Timestamp {
    Timestamp::from_unix_millis(ms.min(TIMESTAMP_MAX_MS)).unwrap_or(floor)
}

/// Looks the zone up in the database bundled with jiff, so that results do not
/// depend on the host's zoneinfo and no file is read.
fn parse_time_zone(s: &str) -> Result<TimeZone, FieldError> {
    let unknown = || {
        FieldError::new(
            "unknown_time_zone",
            format!("`{}` is not an IANA time zone such as Europe/London", truncate_for_message(s)),
        )
    };
    let name = s.trim();
    if name.is_empty() {
        return Err(unknown());
    }
    match TimeZoneDatabase::bundled().get(name) {
        Ok(tz) if !tz.is_unknown() => Ok(tz),
        _ => Err(unknown()),
    }
}

fn parse_holiday(s: &str) -> Result<Date, FieldError> {
    let bad = || {
        FieldError::new("invalid_holiday", format!("`{}` is not a date such as 2026-12-25", truncate_for_message(s)))
    };
    let b = s.trim().as_bytes();
    let shape_ok = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shape_ok {
        return Err(bad());
    }
    let num = |r: std::ops::Range<usize>| b[r].iter().fold(0i16, |n, c| n * 10 + i16::from(c - b'0'));
    let (year, month, day) = (num(0..4), num(5..7), num(8..10));
    // Month and day are below 100, so they fit in an i8.
    Date::new(year, month as i8, day as i8).map_err(|_| bad())
}

/// Parses one entry such as `mon-fri 09:00-12:00, 13:00-17:30` into the days
/// it applies to (Monday first) and its ranges in minutes; errors are reasons.
fn parse_hours_entry(entry: &str) -> Result<([bool; 7], Vec<Minutes>), String> {
    let entry = entry.trim();
    let Some((days, times)) = entry.split_once(char::is_whitespace) else {
        return Err("expected days, then time ranges".to_owned());
    };
    let mut on = [false; 7];
    for item in days.split(',') {
        if item.eq_ignore_ascii_case("daily") {
            on = [true; 7];
            continue;
        }
        let (first, last) = match item.split_once('-') {
            Some((a, b)) => (parse_day(a)?, parse_day(b)?),
            None => (parse_day(item)?, parse_day(item)?),
        };
        let mut d = first;
        loop {
            on[d] = true;
            if d == last {
                break;
            }
            d = (d + 1) % 7;
        }
    }
    let mut ranges = Vec::new();
    for token in times.split(|c: char| c == ',' || c.is_whitespace()).filter(|t| !t.is_empty()) {
        ranges.push(parse_range(token)?);
    }
    if ranges.is_empty() {
        return Err("expected at least one time range such as 09:00-17:30".to_owned());
    }
    Ok((on, ranges))
}

fn parse_day(s: &str) -> Result<usize, String> {
    let lower = s.to_ascii_lowercase();
    DAY_NAMES.iter().position(|d| *d == lower).or_else(|| LONG_DAY_NAMES.iter().position(|d| *d == lower)).ok_or_else(
        || format!("`{}` is not a day; expected mon, tue, wed, thu, fri, sat, sun or daily", truncate_for_message(s)),
    )
}

fn parse_range(s: &str) -> Result<Minutes, String> {
    let bad = || format!("`{}` is not a time range such as 09:00-17:30", truncate_for_message(s));
    let (a, b) = s.split_once('-').ok_or_else(bad)?;
    let start = parse_time(a).filter(|&m| m < MINUTES_PER_DAY).ok_or_else(bad)?;
    let end = parse_time(b).ok_or_else(bad)?;
    if start >= end {
        return Err(format!(
            "`{}` does not end after it starts; write a range that passes midnight as two, ending at 24:00 and starting at 00:00",
            truncate_for_message(s)
        ));
    }
    Ok((start, end))
}

/// `H:MM` or `HH:MM` from 00:00 to 24:00, as minutes after midnight.
fn parse_time(s: &str) -> Option<u16> {
    let (h, m) = s.split_once(':')?;
    let digits = |t: &str| t.bytes().all(|c| c.is_ascii_digit());
    if !(1..=2).contains(&h.len()) || m.len() != 2 || !digits(h) || !digits(m) {
        return None;
    }
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    match (h, m) {
        (24, 0) => Some(MINUTES_PER_DAY),
        (0..=23, 0..=59) => Some(h * 60 + m),
        _ => None,
    }
}

/// Sorts ranges and merges those that touch or overlap.
fn merge_ranges(ranges: &mut Vec<Minutes>) {
    ranges.sort_unstable();
    let mut merged: Vec<Minutes> = Vec::with_capacity(ranges.len());
    for &(s, e) in ranges.iter() {
        match merged.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    *ranges = merged;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_entries_with_lists_wraps_and_several_ranges() {
        let (days, ranges) = parse_hours_entry("fri-mon,wed 9:00-12:00, 13:00-24:00").unwrap();
        assert_eq!(days, [true, false, true, false, true, true, true]);
        assert_eq!(ranges, vec![(540, 720), (780, 1440)]);
        assert_eq!(parse_hours_entry("DAILY 00:00-24:00").unwrap().0, [true; 7]);
        assert_eq!(
            parse_hours_entry("Saturday 10:00-14:00").unwrap().0,
            [false, false, false, false, false, true, false]
        );
    }

    #[test]
    fn refuses_bad_times() {
        for bad in ["mon", "mon 9-17", "mon 09:00-25:00", "mon 24:00-24:00", "mon 17:00-09:00", "mon 09:60-10:00"] {
            assert!(parse_hours_entry(bad).is_err(), "{bad}");
        }
        assert!(parse_hours_entry("funday 09:00-10:00").unwrap_err().contains("funday"));
    }

    #[test]
    fn merges_touching_and_overlapping_ranges() {
        let mut r = vec![(600, 700), (540, 600), (650, 800), (900, 960)];
        merge_ranges(&mut r);
        assert_eq!(r, vec![(540, 800), (900, 960)]);
    }

    #[test]
    fn parses_holidays_strictly() {
        assert_eq!(parse_holiday("2026-12-25").unwrap(), jiff::civil::date(2026, 12, 25));
        for bad in ["2026-02-30", "20261225", "2026-1-05", "+2026-12-25", "2026-12-25T00:00"] {
            assert_eq!(parse_holiday(bad).unwrap_err().code, "invalid_holiday", "{bad}");
        }
    }
}
