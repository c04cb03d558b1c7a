//! Black-box tests of business-hours calendars: concrete SLA cases, the
//! daylight-saving weekends of 2026, and properties of the arithmetic.

use firebreak_domain::{
    Timestamp,
    calendar::{BusinessCalendar, CalendarConfig, HORIZON_MS},
};
use proptest::prelude::*;

const HOUR: i64 = 3_600_000;
const MINUTE: i64 = 60_000;
const YEAR: i64 = 365 * 24 * HOUR;

fn t(s: &str) -> Timestamp {
    Timestamp::parse_rfc3339(s).unwrap()
}

fn config(tz: &str, hours: &[&str], holidays: &[&str]) -> CalendarConfig {
    CalendarConfig {
        name: "support".to_owned(),
        time_zone: tz.to_owned(),
        hours: hours.iter().map(|h| (*h).to_owned()).collect(),
        holidays: holidays.iter().map(|h| (*h).to_owned()).collect(),
    }
}

fn cal(tz: &str, hours: &[&str], holidays: &[&str]) -> BusinessCalendar {
    BusinessCalendar::from_config(&config(tz, hours, holidays)).unwrap()
}

fn london() -> BusinessCalendar {
    cal("Europe/London", &["mon-fri 09:00-17:30"], &[])
}

#[test]
fn friday_afternoon_plus_two_hours_is_monday_morning() {
    // 2026-01-16 is a Friday; London is on GMT in January. One hour is left on
    // Friday (16:30-17:30), the other is Monday 09:00-10:00.
    assert_eq!(london().add(t("2026-01-16T16:30:00Z"), 2 * HOUR), t("2026-01-19T10:00:00Z"));
    assert_eq!(london().between(t("2026-01-16T16:30:00Z"), t("2026-01-19T10:00:00Z")), 2 * HOUR);
    // Closing at 17:00 leaves half an hour on Friday, so Monday 10:30.
    let five = cal("Europe/London", &["mon-fri 09:00-17:00"], &[]);
    assert_eq!(five.add(t("2026-01-16T16:30:00Z"), 2 * HOUR), t("2026-01-19T10:30:00Z"));
}

#[test]
fn a_holiday_is_skipped() {
    let c = cal("Europe/London", &["mon-fri 09:00-17:30"], &["2026-01-19"]);
    assert_eq!(c.add(t("2026-01-16T16:30:00Z"), 2 * HOUR), t("2026-01-20T10:00:00Z"));
    assert!(!c.is_open(t("2026-01-19T12:00:00Z")));
    assert_eq!(c.next_open(t("2026-01-17T12:00:00Z")), t("2026-01-20T09:00:00Z"));
}

#[test]
fn a_start_in_a_closed_period_counts_from_the_next_opening() {
    let c = london();
    let saturday = t("2026-01-17T12:00:00Z");
    assert!(!c.is_open(saturday));
    assert_eq!(c.next_open(saturday), t("2026-01-19T09:00:00Z"));
    assert_eq!(c.add(saturday, 0), t("2026-01-19T09:00:00Z"));
    assert_eq!(c.add(saturday, HOUR), t("2026-01-19T10:00:00Z"));
    assert_eq!(c.add(t("2026-01-19T07:00:00Z"), HOUR), t("2026-01-19T10:00:00Z"));
    assert_eq!(c.between(saturday, t("2026-01-19T10:00:00Z")), HOUR);
}

#[test]
fn open_instants_and_closings() {
    let c = london();
    let open = t("2026-01-16T12:00:00Z");
    assert!(c.is_open(open));
    assert_eq!(c.next_open(open), open);
    assert_eq!(c.add(open, 0), open);
    assert!(c.is_open(t("2026-01-16T09:00:00Z")));
    assert!(!c.is_open(t("2026-01-16T17:30:00Z")));
    // Time that runs out exactly at the closing ends at the closing.
    assert_eq!(c.add(t("2026-01-16T17:00:00Z"), 30 * MINUTE), t("2026-01-16T17:30:00Z"));
    assert_eq!(c.add(t("2026-01-16T17:00:00Z"), 30 * MINUTE + 1), t("2026-01-19T09:00:00.001Z"));
}

#[test]
fn three_business_days_and_negative_durations() {
    let c = london();
    let day = 8 * HOUR + 30 * MINUTE;
    assert_eq!(c.add(t("2026-01-14T10:00:00Z"), 3 * day), t("2026-01-19T10:00:00Z"));
    assert_eq!(c.add(t("2026-01-14T10:00:00Z"), -5), t("2026-01-14T10:00:00Z"));
    assert_eq!(c.between(t("2026-01-19T00:00:00Z"), t("2026-01-26T00:00:00Z")), 5 * day);
    assert_eq!(c.between(t("2026-01-26T00:00:00Z"), t("2026-01-19T00:00:00Z")), 0);
}

#[test]
fn london_spring_forward_weekend_2026() {
    // Clocks go from 01:00 GMT to 02:00 BST on Sunday 2026-03-29.
    let c = london();
    // Friday 16:30 GMT + 2h = Monday 10:00 BST.
    assert_eq!(c.add(t("2026-03-27T16:30:00Z"), 2 * HOUR), t("2026-03-30T09:00:00Z"));
    let sunday = cal("Europe/London", &["sun 00:00-24:00"], &[]);
    assert_eq!(sunday.between(t("2026-03-28T00:00:00Z"), t("2026-03-31T00:00:00Z")), 23 * HOUR);
    // 01:30 does not exist that night: the range starts at the change.
    let skipped = cal("Europe/London", &["sun 01:30-03:00"], &[]);
    assert_eq!(skipped.next_open(t("2026-03-28T12:00:00Z")), t("2026-03-29T01:00:00Z"));
    assert_eq!(skipped.add(t("2026-03-28T12:00:00Z"), HOUR), t("2026-03-29T02:00:00Z"));
    // A range wholly inside the skipped hour is not open that day.
    let gone = cal("Europe/London", &["sun 01:15-01:45", "mon 09:00-10:00"], &[]);
    assert_eq!(gone.next_open(t("2026-03-28T12:00:00Z")), t("2026-03-30T08:00:00Z"));
}

#[test]
fn london_fall_back_weekend_2026() {
    // Clocks go from 02:00 BST back to 01:00 GMT on Sunday 2026-10-25.
    let c = london();
    // Friday 16:30 BST + 2h = Monday 10:00 GMT.
    assert_eq!(c.add(t("2026-10-23T15:30:00Z"), 2 * HOUR), t("2026-10-26T10:00:00Z"));
    let sunday = cal("Europe/London", &["sun 00:00-24:00"], &[]);
    assert_eq!(sunday.between(t("2026-10-24T00:00:00Z"), t("2026-10-27T00:00:00Z")), 25 * HOUR);
    // 01:00-02:00 happens twice; the range runs from the first 01:00 to 02:00.
    let repeated = cal("Europe/London", &["sun 01:00-02:00"], &[]);
    assert_eq!(repeated.next_open(t("2026-10-24T12:00:00Z")), t("2026-10-25T00:00:00Z"));
    assert_eq!(repeated.between(t("2026-10-24T00:00:00Z"), t("2026-10-27T00:00:00Z")), 2 * HOUR);
}

#[test]
fn new_york_dst_weekends_2026() {
    let c = cal("America/New_York", &["mon-fri 09:00-17:00"], &[]);
    // Spring forward on 2026-03-08: Friday 16:00 EST + 2h = Monday 10:00 EDT.
    assert_eq!(c.add(t("2026-03-06T21:00:00Z"), 2 * HOUR), t("2026-03-09T14:00:00Z"));
    // Fall back on 2026-11-01: Friday 16:00 EDT + 2h = Monday 10:00 EST.
    assert_eq!(c.add(t("2026-10-30T20:00:00Z"), 2 * HOUR), t("2026-11-02T15:00:00Z"));
    let sunday = cal("America/New_York", &["sun 00:00-24:00"], &[]);
    assert_eq!(sunday.between(t("2026-03-07T00:00:00Z"), t("2026-03-10T00:00:00Z")), 23 * HOUR);
    assert_eq!(sunday.between(t("2026-10-31T00:00:00Z"), t("2026-11-03T00:00:00Z")), 25 * HOUR);
    // 02:30 does not exist on 2026-03-08; the range starts at 03:00 EDT.
    let skipped = cal("America/New_York", &["sun 02:30-04:00"], &[]);
    assert_eq!(skipped.next_open(t("2026-03-07T12:00:00Z")), t("2026-03-08T07:00:00Z"));
    assert_eq!(skipped.between(t("2026-03-07T00:00:00Z"), t("2026-03-09T00:00:00Z")), HOUR);
}

#[test]
fn always_is_plain_arithmetic() {
    let c = BusinessCalendar::always();
    assert_eq!(c.name(), "24x7");
    let a = t("2026-03-29T00:30:00Z");
    assert!(c.is_open(a));
    assert_eq!(c.add(a, 5 * HOUR), t("2026-03-29T05:30:00Z"));
    assert_eq!(c.between(a, t("2026-03-29T05:30:00Z")), 5 * HOUR);
    assert_eq!(c.add(t("9999-12-31T23:00:00Z"), i64::MAX), t("9999-12-31T23:59:59.999Z"));
    // Open all day every day without holidays is the same thing.
    let full = cal("Europe/London", &["daily 00:00-24:00"], &[]);
    assert_eq!(full.add(a, 5 * HOUR), t("2026-03-29T05:30:00Z"));
}

#[test]
fn ranges_that_touch_or_overlap_are_merged() {
    let c = cal("UTC", &["mon 09:00-12:00", "mon 11:00-13:00, 13:00-14:00", "mon 16:00-17:00 00:00-01:00"], &[]);
    // Monday 2026-01-19.
    assert_eq!(c.between(t("2026-01-19T00:00:00Z"), t("2026-01-20T00:00:00Z")), 7 * HOUR);
    assert_eq!(c.add(t("2026-01-19T09:00:00Z"), 5 * HOUR), t("2026-01-19T14:00:00Z"));
    assert_eq!(c.add(t("2026-01-19T09:00:00Z"), 5 * HOUR + 1), t("2026-01-19T16:00:00.001Z"));
}

#[test]
fn ranges_across_midnight_are_contiguous() {
    let c = cal("Asia/Tokyo", &["fri 22:00-24:00", "sat 00:00-02:00"], &[]);
    // Friday 2026-01-16 22:00 JST is 13:00Z.
    assert_eq!(c.add(t("2026-01-16T13:00:00Z"), 4 * HOUR), t("2026-01-16T17:00:00Z"));
    assert!(c.is_open(t("2026-01-16T15:00:00Z")));
}

#[test]
fn never_reaching_the_target_returns_the_horizon() {
    let holidays: Vec<String> = (0..30).map(|d| format!("2026-02-{:02}", d % 28 + 1)).collect();
    let holidays: Vec<&str> = holidays.iter().map(String::as_str).collect();
    let c = cal("UTC", &["mon 09:00-10:00"], &holidays);
    let a = t("2026-01-01T00:00:00Z");
    let cap = Timestamp::from_unix_millis(a.unix_millis() + HORIZON_MS).unwrap();
    assert_eq!(c.add(a, i64::MAX), cap);
    assert!(c.between(a, t("9999-01-01T00:00:00Z")) < HORIZON_MS);
    assert_eq!(c.add(t("9999-12-31T23:00:00Z"), HOUR), t("9999-12-31T23:59:59.999Z"));
    assert!(!c.is_open(t("9999-12-31T23:00:00Z")));
}

#[test]
fn bad_configs_name_the_bad_value() {
    let code = |c: CalendarConfig| BusinessCalendar::from_config(&c).unwrap_err();
    let e = code(config("Mars/Olympus", &["mon 09:00-10:00"], &[]));
    assert_eq!(e.code, "unknown_time_zone");
    assert!(e.message.contains("Mars/Olympus"));
    assert_eq!(code(config("Etc/Unknown", &["mon 09:00-10:00"], &[])).code, "unknown_time_zone");
    let e = code(config("UTC", &["mon 17:00-09:00"], &[]));
    assert_eq!(e.code, "invalid_hours");
    assert!(e.message.contains("17:00-09:00"));
    let e = code(config("UTC", &["mon 09:00-10:00"], &["2026-13-01"]));
    assert_eq!(e.code, "invalid_holiday");
    assert!(e.message.contains("2026-13-01"));
    assert_eq!(code(config("UTC", &[], &[])).code, "empty_calendar");
    let mut blank = config("UTC", &["mon 09:00-10:00"], &[]);
    blank.name = "  ".to_owned();
    assert_eq!(code(blank).code, "invalid_calendar_name");
}

#[test]
fn config_reads_from_json_with_default_holidays() {
    let c: CalendarConfig =
        serde_json::from_str(r#"{"name":"uk","time_zone":"europe/london","hours":["mon-fri 09:00-17:30"]}"#).unwrap();
    assert!(c.holidays.is_empty());
    assert_eq!(BusinessCalendar::from_config(&c).unwrap().name(), "uk");
    assert!(
        serde_json::from_str::<CalendarConfig>(r#"{"name":"uk","time_zone":"UTC","hours":[],"holiday":[]}"#).is_err()
    );
}

#[test]
fn calendars_can_be_shared_between_threads() {
    fn shared<T: Clone + std::fmt::Debug + Send + Sync>() {}
    shared::<BusinessCalendar>();
}

/// Run with `cargo test --release -p firebreak-domain --test calendar -- --ignored --nocapture`.
#[test]
#[ignore = "a timing, not a check"]
fn timing_of_a_thirty_business_day_target() {
    let c = cal("Europe/London", &["mon-fri 09:00-12:30 13:30-17:30"], &["2026-04-03", "2026-04-06", "2026-05-04"]);
    let start = t("2026-03-20T15:00:00Z");
    let d = 30 * (7 * HOUR + 30 * MINUTE);
    let n = 10_000u32;
    let clock = std::time::Instant::now();
    let mut end = start;
    for i in 0..n {
        end = c.add(Timestamp::from_unix_millis(start.unix_millis() + i64::from(i % 7)).unwrap(), d);
    }
    let add = clock.elapsed() / n;
    let clock = std::time::Instant::now();
    let mut total = 0;
    for i in 0..n {
        total += c.between(Timestamp::from_unix_millis(start.unix_millis() + i64::from(i % 7)).unwrap(), end);
    }
    let between = clock.elapsed() / n;
    println!("30 business days: add {add:?}, between {between:?} per call (ends {end}, {total})");
    // The worst case: a target never reached, walked to the ten-year horizon.
    let clock = std::time::Instant::now();
    let far = c.add(start, i64::MAX);
    println!("to the horizon: add {:?} (ends {far})", clock.elapsed());
}

fn calendars() -> Vec<BusinessCalendar> {
    vec![
        cal("Europe/London", &["mon-fri 09:00-17:30"], &["2026-12-25", "2026-12-28", "2027-01-01"]),
        cal("America/New_York", &["mon-fri 08:00-12:00 13:00-18:00", "sat 10:00-14:00"], &["2026-07-03"]),
        cal("Australia/Lord_Howe", &["daily 01:30-02:30 20:00-24:00"], &[]),
        cal("Asia/Kathmandu", &["sun-thu 10:00-17:00"], &[]),
        cal("Europe/London", &["sun 00:00-24:00", "wed 00:30-01:30"], &["2026-03-29"]),
        cal("America/Sao_Paulo", &["daily 00:00-00:30"], &[]),
    ]
}

fn instant() -> impl Strategy<Value = Timestamp> {
    // 2015 to 2035.
    (1_420_070_400_000i64..2_051_222_400_000).prop_map(|ms| Timestamp::from_unix_millis(ms).unwrap())
}

proptest! {
    #[test]
    fn between_undoes_add(i in 0..6usize, a in instant(), d in 0..60 * 8 * HOUR) {
        let c = &calendars()[i];
        prop_assert_eq!(c.between(a, c.add(a, d)), d);
    }

    #[test]
    fn add_is_monotonic(i in 0..6usize, a in instant(), d1 in 0..30 * 8 * HOUR, d2 in 0..30 * 8 * HOUR) {
        let c = &calendars()[i];
        let (lo, hi) = (d1.min(d2), d1.max(d2));
        prop_assert!(c.add(a, lo) <= c.add(a, hi));
        prop_assert!(c.add(a, lo) >= a);
    }

    #[test]
    fn between_is_additive(i in 0..6usize, a in instant(), d1 in 0..3 * YEAR, d2 in 0..3 * YEAR) {
        // Within the horizon, where nothing is cut off.
        let c = &calendars()[i];
        let b = Timestamp::from_unix_millis(a.unix_millis() + d1).unwrap();
        let e = Timestamp::from_unix_millis(b.unix_millis() + d2).unwrap();
        prop_assert_eq!(c.between(a, b) + c.between(b, e), c.between(a, e));
    }

    #[test]
    fn next_open_agrees_with_is_open(i in 0..6usize, a in instant()) {
        let c = &calendars()[i];
        let n = c.next_open(a);
        prop_assert!(n >= a);
        prop_assert!(c.is_open(n));
        prop_assert_eq!(c.is_open(a), n == a);
        prop_assert_eq!(c.between(a, n), 0);
        prop_assert_eq!(c.add(a, 0), n);
    }

    #[test]
    fn always_matches_plain_arithmetic(a in instant(), b in instant(), d in 0..HORIZON_MS) {
        let c = BusinessCalendar::always();
        prop_assert_eq!(c.add(a, d).unix_millis(), a.unix_millis() + d);
        prop_assert_eq!(c.between(a, b), (b.unix_millis() - a.unix_millis()).max(0));
        prop_assert!(c.is_open(a));
        prop_assert_eq!(c.next_open(a), a);
    }

    #[test]
    fn from_config_never_panics(
        name in ".*",
        tz in prop_oneof![Just("Europe/London".to_owned()), ".*"],
        hours in proptest::collection::vec(prop_oneof![".*", "[a-zA-Z,-]{0,12} [0-9:, -]{0,20}"], 0..4),
        holidays in proptest::collection::vec(prop_oneof![".*", "[0-9]{4}-[0-9]{2}-[0-9]{2}"], 0..3),
    ) {
        let _ = BusinessCalendar::from_config(&CalendarConfig { name, time_zone: tz, hours, holidays });
    }
}
