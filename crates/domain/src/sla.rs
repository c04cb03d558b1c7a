//! Service levels: the policies a team promises (first response, next
//! response, resolution, by channel and priority, on a calendar) and the
//! arithmetic of their clocks, which pause while a case waits on the customer.
//! Pure: "now" is always passed in.

use serde::{Deserialize, Serialize};

use crate::{
    Channel, FieldError, Timestamp,
    calendar::{BusinessCalendar, CalendarConfig},
    case::Priority,
};

/// The three clocks of a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockKind {
    /// From the customer's first message to the team's first answer.
    FirstResponse,
    /// From each later customer message to the team's next answer.
    NextResponse,
    /// From opening to resolution.
    Resolution,
}

impl ClockKind {
    pub const ALL: [ClockKind; 3] = [ClockKind::FirstResponse, ClockKind::NextResponse, ClockKind::Resolution];

    pub fn as_str(self) -> &'static str {
        match self {
            ClockKind::FirstResponse => "first_response",
            ClockKind::NextResponse => "next_response",
            ClockKind::Resolution => "resolution",
        }
    }

    pub fn parse(s: &str) -> Option<ClockKind> {
        ClockKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One target as configured: how long, and whether only business hours count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetConfig {
    pub minutes: i64,
    /// Count only the policy calendar's open hours (`true`), or every minute
    /// (`false`, the default: "respond within the hour, day or night").
    #[serde(default)]
    pub business_hours: bool,
}

/// A policy as configured (in the TOML file or through the API).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlaPolicyConfig {
    pub name: String,
    /// The channels it applies to; empty means every channel.
    #[serde(default)]
    pub channels: Vec<Channel>,
    /// The priorities it applies to; empty means every priority.
    #[serde(default)]
    pub priorities: Vec<Priority>,
    pub first_response: Option<TargetConfig>,
    pub next_response: Option<TargetConfig>,
    pub resolution: Option<TargetConfig>,
    /// The calendar business-hours targets count on; 24x7 when absent.
    pub calendar: Option<CalendarConfig>,
    /// How long before a breach to warn, as a percentage of the target
    /// (default 20: a one-hour target warns at 48 minutes).
    pub warn_at_percent_left: Option<i64>,
}

/// A checked policy.
#[derive(Debug, Clone)]
pub struct SlaPolicy {
    config: SlaPolicyConfig,
    calendar: BusinessCalendar,
    always: BusinessCalendar,
}

/// A bad value in a policy, with the path of its field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyError {
    pub field: String,
    pub error: FieldError,
}

/// The longest target: a year.
const MAX_MINUTES: i64 = 366 * 24 * 60;

impl SlaPolicy {
    /// Checks a configured policy; every bad field is named.
    pub fn from_config(config: SlaPolicyConfig) -> Result<SlaPolicy, Vec<PolicyError>> {
        let mut errors = Vec::new();
        let name = config.name.trim();
        if name.is_empty() || name.len() > 100 || name.chars().any(char::is_control) {
            errors.push(PolicyError {
                field: "name".into(),
                error: FieldError::new("invalid_name", "the name must be 1 to 100 printable characters"),
            });
        }
        for (field, target) in [
            ("first_response", config.first_response),
            ("next_response", config.next_response),
            ("resolution", config.resolution),
        ] {
            if let Some(t) = target
                && !(1..=MAX_MINUTES).contains(&t.minutes)
            {
                let code = if t.minutes <= 0 { "not_positive" } else { "too_long" };
                errors.push(PolicyError {
                    field: format!("{field}.minutes"),
                    error: FieldError::new(
                        code,
                        format!("a target must be from 1 minute to a year; {} minutes is not", t.minutes),
                    ),
                });
            }
        }
        if config.first_response.is_none() && config.next_response.is_none() && config.resolution.is_none() {
            errors.push(PolicyError {
                field: "first_response".into(),
                error: FieldError::new("no_targets", "a policy needs at least one target"),
            });
        }
        if let Some(p) = config.warn_at_percent_left
            && !(0..=99).contains(&p)
        {
            errors.push(PolicyError {
                field: "warn_at_percent_left".into(),
                error: FieldError::new("out_of_range", format!("{p} is not a percentage from 0 to 99")),
            });
        }
        let calendar = match &config.calendar {
            Some(c) => match BusinessCalendar::from_config(c) {
                Ok(cal) => cal,
                Err(e) => {
                    errors.push(PolicyError { field: "calendar".into(), error: e });
                    BusinessCalendar::always()
                }
            },
            None => BusinessCalendar::always(),
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(SlaPolicy { config, calendar, always: BusinessCalendar::always() })
    }

    pub fn name(&self) -> &str {
        &self.config.name
    }

    pub fn config(&self) -> &SlaPolicyConfig {
        &self.config
    }

    /// Whether this policy covers a case on `channel` at `priority`.
    pub fn applies(&self, channel: Channel, priority: Priority) -> bool {
        (self.config.channels.is_empty() || self.config.channels.contains(&channel))
            && (self.config.priorities.is_empty() || self.config.priorities.contains(&priority))
    }

    fn target(&self, kind: ClockKind) -> Option<TargetConfig> {
        match kind {
            ClockKind::FirstResponse => self.config.first_response,
            ClockKind::NextResponse => self.config.next_response,
            ClockKind::Resolution => self.config.resolution,
        }
    }

    /// The calendar a clock counts on.
    pub fn calendar(&self, kind: ClockKind) -> &BusinessCalendar {
        match self.target(kind) {
            Some(t) if t.business_hours => &self.calendar,
            _ => &self.always,
        }
    }

    /// The target of a clock in milliseconds (of counted time), if it has one.
    pub fn target_ms(&self, kind: ClockKind) -> Option<i64> {
        self.target(kind).map(|t| t.minutes * 60_000)
    }

    /// When a clock started at `start` falls due.
    pub fn due(&self, kind: ClockKind, start: Timestamp) -> Option<Timestamp> {
        self.target_ms(kind).map(|ms| self.calendar(kind).add(start, ms))
    }

    /// Counted time left on a clock when it should warn.
    pub fn warn_left_ms(&self, kind: ClockKind) -> Option<i64> {
        self.target_ms(kind).map(|ms| ms * self.config.warn_at_percent_left.unwrap_or(20) / 100)
    }

    /// When to warn about a clock due at `due`: the instant from which the
    /// given percentage of its target (20 by default) of counted time is left.
    pub fn warn_at(&self, kind: ClockKind, due: Timestamp) -> Option<Timestamp> {
        let ms = self.target_ms(kind)?;
        let left = ms * self.config.warn_at_percent_left.unwrap_or(20) / 100;
        Some(latest_with_left(self.calendar(kind), due, left))
    }

    /// Counted time left on a clock due at `due`, at `now`; negative when the
    /// clock is past due. Used when a case pauses.
    pub fn left_at(&self, kind: ClockKind, due: Timestamp, now: Timestamp) -> i64 {
        let cal = self.calendar(kind);
        if due >= now { cal.between(now, due) } else { -cal.between(due, now) }
    }

    /// When a paused clock with `left` counted time falls due if it resumes at `now`.
    pub fn resume(&self, kind: ClockKind, left: i64, now: Timestamp) -> Timestamp {
        let cal = self.calendar(kind);
        if left >= 0 {
            cal.add(now, left)
        } else {
            Timestamp::from_unix_millis(now.unix_millis().saturating_add(left)).unwrap_or(now)
        }
    }
}

/// The latest instant `t` with at least `left` counted time in `[t, due)`,
/// found by bisection to the millisecond over the calendar's arithmetic.
fn latest_with_left(cal: &BusinessCalendar, due: Timestamp, left: i64) -> Timestamp {
    let due_ms = due.unix_millis();
    // Counted time is at most wall time, so the answer is at or before due - left;
    // look back far enough to cover closed periods (a calendar's horizon).
    let mut hi = due_ms.saturating_sub(left);
    let mut lo = hi.saturating_sub(crate::calendar::HORIZON_MS).max(-62_135_596_800_000);
    let counted = |t: i64| cal.between(Timestamp::from_unix_millis(t).unwrap_or(due), due);
    if counted(hi) >= left {
        return Timestamp::from_unix_millis(hi).unwrap_or(due);
    }
    // Invariant: counted(lo) >= left > counted(hi).
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if counted(mid) >= left { lo = mid } else { hi = mid }
    }
    Timestamp::from_unix_millis(lo).unwrap_or(due)
}

/// The policies Firebreak starts with, in order: the first that applies wins.
/// Urgent cases get half-hour answers day and night; social channels get
/// answers within the hour day and night ("respond immediately, then normal
/// service standards") and resolution in three business days; everything
/// else gets answers within eight business hours and resolution in five
/// business days, on a Monday-to-Friday London calendar.
pub fn default_policies() -> Vec<SlaPolicyConfig> {
    let office = CalendarConfig {
        name: "office".into(),
        time_zone: "Europe/London".into(),
        hours: vec!["mon-fri 09:00-17:00".into()],
        holidays: vec![],
    };
    let minutes = |m, business_hours| Some(TargetConfig { minutes: m, business_hours });
    vec![
        SlaPolicyConfig {
            name: "urgent".into(),
            channels: vec![],
            priorities: vec![Priority::Urgent],
            first_response: minutes(30, false),
            next_response: minutes(30, false),
            resolution: minutes(8 * 60, true),
            calendar: Some(office.clone()),
            warn_at_percent_left: None,
        },
        SlaPolicyConfig {
            name: "social".into(),
            channels: vec![Channel::X, Channel::Facebook, Channel::Instagram, Channel::Youtube],
            priorities: vec![],
            first_response: minutes(60, false),
            next_response: minutes(60, false),
            resolution: minutes(3 * 8 * 60, true),
            calendar: Some(office.clone()),
            warn_at_percent_left: None,
        },
        SlaPolicyConfig {
            name: "standard".into(),
            channels: vec![],
            priorities: vec![],
            first_response: minutes(8 * 60, true),
            next_response: minutes(8 * 60, true),
            resolution: minutes(5 * 8 * 60, true),
            calendar: Some(office),
            warn_at_percent_left: None,
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        Timestamp::parse_rfc3339(s).unwrap()
    }

    fn policy(name: &str) -> SlaPolicy {
        let c = default_policies().into_iter().find(|p| p.name == name).unwrap();
        SlaPolicy::from_config(c).unwrap()
    }

    #[test]
    fn social_answers_within_the_hour_day_and_night_but_resolves_in_business_days() {
        let p = policy("social");
        assert!(p.applies(Channel::X, Priority::Low));
        assert!(!p.applies(Channel::Email, Priority::Low));
        // Saturday 23:00 in London (GMT in November).
        let start = at("2026-11-21T23:00:00Z");
        assert_eq!(p.due(ClockKind::FirstResponse, start), Some(at("2026-11-22T00:00:00Z")));
        // Three eight-hour business days from Monday 09:00: Wednesday 17:00.
        assert_eq!(p.due(ClockKind::Resolution, start), Some(at("2026-11-25T17:00:00Z")));
        assert_eq!(p.warn_at(ClockKind::FirstResponse, at("2026-11-22T00:00:00Z")), Some(at("2026-11-21T23:48:00Z")));
    }

    #[test]
    fn pausing_keeps_the_time_left_and_resuming_spends_it() {
        let p = policy("standard");
        let due = p.due(ClockKind::FirstResponse, at("2026-11-23T09:00:00Z")).unwrap();
        assert_eq!(due, at("2026-11-23T17:00:00Z"));
        let left = p.left_at(ClockKind::FirstResponse, due, at("2026-11-23T13:00:00Z"));
        assert_eq!(left, 4 * 3_600_000);
        // Paused over the night, resumed Tuesday 10:00: due Tuesday 14:00.
        assert_eq!(p.resume(ClockKind::FirstResponse, left, at("2026-11-24T10:00:00Z")), at("2026-11-24T14:00:00Z"));
        // A clock paused when already an hour late stays an hour late.
        let late = p.left_at(ClockKind::FirstResponse, due, at("2026-11-24T10:00:00Z"));
        assert_eq!(late, -3_600_000);
        assert_eq!(p.resume(ClockKind::FirstResponse, late, at("2026-11-25T12:00:00Z")), at("2026-11-25T11:00:00Z"));
    }

    #[test]
    fn bad_policies_name_each_field() {
        let mut c = default_policies().remove(0);
        c.first_response = Some(TargetConfig { minutes: -5, business_hours: false });
        c.resolution = Some(TargetConfig { minutes: 0, business_hours: true });
        c.warn_at_percent_left = Some(150);
        let errors = SlaPolicy::from_config(c).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["first_response.minutes", "resolution.minutes", "warn_at_percent_left"]);
        assert_eq!(errors[0].error.code, "not_positive");
    }
}
