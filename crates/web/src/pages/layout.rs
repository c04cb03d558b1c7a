//! The frame of every page: the header with the navigation and the signed-in
//! person, the style sheet and the script, and the small pieces pages share
//! (the CSRF field, a message's channel and judgement, times and durations).

use firebreak_domain::{StoredMessage, Timestamp, staff::Role};
use maud::{DOCTYPE, Markup, html};

use crate::auth::{CSRF_FIELD, Principal};

/// What a page tells the frame.
#[derive(Default)]
pub struct Frame<'a> {
    pub title: &'a str,
    /// The navigation entry to mark as current.
    pub nav: &'a str,
    /// The ids of the regions re-read when the server reports a change.
    pub live: Option<&'a str>,
    /// The last event id when the page's data was read: the page's stream
    /// starts after it, so nothing that happens meanwhile is missed.
    pub events_after: Option<i64>,
    /// `inbox`, `case`, ...: what the keyboard shortcuts act on.
    pub kind: &'a str,
    /// A draft the server has used, to forget in the browser.
    pub clear_draft: Option<String>,
    pub narrow: bool,
}

fn nav_link(href: &str, label: &str, current: &str, key: &str) -> Markup {
    html! {
        @if current == key { a href=(href) aria-current="page" { (label) } } @else { a href=(href) { (label) } }
    }
}

/// A whole page around `body`.
pub fn page(who: Option<&Principal>, f: Frame<'_>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (f.title) " · Firebreak" }
                link rel="stylesheet" href="/assets/app.css";
                script src="/assets/app.js" defer {}
            }
            body data-live=[f.live] data-events-after=[f.events_after] data-page=(f.kind)
                data-clear-draft=[f.clear_draft.as_deref()] {
                header.top {
                    h1 { "Firebreak" }
                    @if let Some(p) = who {
                        nav aria-label="Main" {
                            (nav_link("/inbox", "Inbox", f.nav, "inbox"))
                            (nav_link("/customers", "Customers", f.nav, "customers"))
                            (nav_link("/messages", "Messages", f.nav, "messages"))
                            (nav_link("/supervisor", "Supervisor", f.nav, "supervisor"))
                            (nav_link("/incidents", "Incidents", f.nav, "incidents"))
                            (nav_link("/alerts", "Alerts", f.nav, "alerts"))
                            (nav_link("/reports/firewall", "Reports", f.nav, "reports"))
                            @if p.account.role == Role::Admin { (nav_link("/admin/staff", "Staff", f.nav, "staff")) }
                        }
                        a.who href="/account" { (p.account.name) " · " (p.account.role.as_str()) }
                        form method="post" action="/logout" {
                            (csrf_field(p))
                            button.quiet type="submit" { "Sign out" }
                        }
                    }
                }
                main class=[f.narrow.then_some("narrow")] { (body) }
                div #keys hidden {
                    strong { "Keys" } br;
                    kbd { "j" } " / " kbd { "k" } " next / previous · " kbd { "o" } " open · " kbd { "x" } " select" br;
                    kbd { "r" } " reply · " kbd { "e" } " resolve · " kbd { "a" } " assign to me · " kbd { "/" } " search · " kbd { "Ctrl" } "+" kbd { "Enter" } " send"
                }
            }
        }
    }
}

/// The hidden field every form posts its CSRF token in.
pub fn csrf_field(p: &Principal) -> Markup {
    html! { input type="hidden" name=(CSRF_FIELD) value=(p.csrf()); }
}

/// A message's channel, author, time and judgement, in one line.
pub fn message_meta(m: &StoredMessage) -> Markup {
    let a = &m.message.author;
    html! {
        div.meta {
            span.chan { (m.message.channel.as_str()) } " "
            strong {
                @if let Some(h) = &a.handle { "@" (h.as_str()) }
                @else if let Some(n) = &a.name { (n.as_str()) }
                @else { (a.id.as_str()) }
            }
            " · " time datetime=(m.message.created_at.to_rfc3339()) { (short_time(m.message.created_at)) }
            @if let Some(j) = &m.triage {
                " · " span class=(j.sentiment.as_str()) { (j.sentiment.as_str()) }
                " · " (j.intent.as_str())
                @if j.urgent { " " span.tag.urgent { "urgent" } }
            }
        }
    }
}

/// `2026-11-20 07:42` (UTC).
pub fn short_time(t: Timestamp) -> String {
    let s = t.to_rfc3339();
    s.get(..16).map(|x| x.replace('T', " ")).unwrap_or(s)
}

/// A length of time as people say it: `40 s`, `12 min`, `3 h 5 min`, `2 d 4 h`.
pub fn duration(ms: i64) -> String {
    let ms = ms.abs();
    let min = ms / 60_000;
    if ms < 60_000 {
        format!("{} s", ms / 1000)
    } else if min < 60 {
        format!("{min} min")
    } else if min < 48 * 60 {
        match min % 60 {
            0 => format!("{} h", min / 60),
            m => format!("{} h {m} min", min / 60),
        }
    } else {
        match (min / 60) % 24 {
            0 => format!("{} d", min / (24 * 60)),
            h => format!("{} d {h} h", min / (24 * 60)),
        }
    }
}

/// How soon a target falls due: `due in 12 min`, or `late 5 min` (class
/// `breach`), marked `soon` in its last half hour.
pub fn due_label(due: Timestamp, now: Timestamp) -> Markup {
    let left = due.unix_millis() - now.unix_millis();
    html! {
        time datetime=(due.to_rfc3339()) title=(short_time(due)) {
            @if left < 0 { span.breach { "late " (duration(left)) } }
            @else if left <= 30 * 60_000 { span.soon { "due in " (duration(left)) } }
            @else { "due in " (duration(left)) }
        }
    }
}

/// A time, with how long ago it was.
pub fn ago(t: Timestamp, now: Timestamp) -> Markup {
    html! { time datetime=(t.to_rfc3339()) title=(short_time(t)) { (duration(now.unix_millis() - t.unix_millis())) " ago" } }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_people_say_them() {
        assert_eq!(duration(40_000), "40 s");
        assert_eq!(duration(-12 * 60_000), "12 min");
        assert_eq!(duration(185 * 60_000), "3 h 5 min");
        assert_eq!(duration(120 * 60_000), "2 h");
        assert_eq!(duration((52 * 60 + 7) * 60_000), "2 d 4 h");
    }

    #[test]
    fn late_targets_are_marked() {
        let now = Timestamp::parse_rfc3339("2026-11-20T08:00:00Z").unwrap();
        let late = due_label(now.plus_millis(-5 * 60_000), now).into_string();
        assert!(late.contains("class=\"breach\"") && late.contains("late 5 min"), "{late}");
        let soon = due_label(now.plus_millis(12 * 60_000), now).into_string();
        assert!(soon.contains("class=\"soon\"") && soon.contains("due in 12 min"), "{soon}");
        assert!(!due_label(now.plus_millis(3_600_000), now).into_string().contains("class"));
    }
}
