//! The customer 360 as a panel: who they are on each channel, suggested
//! matches to confirm or reject, their other cases, account events,
//! promises, consents and incidents. Shown beside a case and on the
//! customer's own page.

use firebreak_domain::{CaseId, Timestamp};
use firebreak_store::{CaseView, Customer360, CustomerLinks, MatchProposal};
use maud::{Markup, html};

use super::layout::{csrf_field, short_time};
use crate::auth::Principal;

/// Cases, events and promises shown per list before "and N more".
const SHOWN: usize = 10;

/// The 360 panel; `case` is the case it is shown beside (left out of the
/// customer's other cases), `back` where the suggestion forms return.
pub fn panel(
    who: &Principal,
    c: &Customer360,
    links: &CustomerLinks,
    case: Option<CaseId>,
    back: &str,
    work: bool,
    now: Timestamp,
) -> Markup {
    let open: Vec<&CaseView> = c.open_cases.iter().filter(|x| Some(x.id) != case).collect();
    let past: Vec<&CaseView> = c.past_cases.iter().filter(|x| Some(x.id) != case).collect();
    html! {
        section.card aria-labelledby="who" {
            h3 #who {
                a href={ "/customers/" (c.id.0) } { (c.name.as_ref().map(|n| n.as_str()).unwrap_or("Unnamed customer")) }
                @if c.provisional { " " span.tag title="Not yet tied to the company's records" { "provisional" } }
            }
            dl.kv {
                @if let Some(r) = &c.external_ref { dt { "Reference" } dd { (r) } }
                @if !c.emails.is_empty() {
                    dt { "Email" } dd { (c.emails.iter().map(|e| e.as_str()).collect::<Vec<_>>().join(", ")) }
                }
                @if !c.phones.is_empty() {
                    dt { "Phone" } dd { (c.phones.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(", ")) }
                }
                @if let Some(a) = &c.postal_area { dt { "Area" } dd { (a.as_str()) } }
                @for (kind, value) in &c.refs { dt { (kind) } dd { (value) } }
            }
            h4 { "On each channel" }
            @if c.identities.is_empty() { p.meta { "No identities." } }
            ul.plain {
                @for i in &c.identities {
                    li {
                        span.chan { (i.channel.as_str()) } " "
                        @match &i.handle { Some(h) => { "@" (h.as_str()) }, None => (i.platform_id.as_str()) }
                        @if let Some(n) = &i.name { " · " (n.as_str()) }
                        @if let Some(f) = i.followers { span.meta { " · " (f) " followers" } }
                    }
                }
            }
        }
        @if !c.proposals.is_empty() || !links.suggestions.is_empty() {
            section.card aria-labelledby="matches" {
                h3 #matches { "Suggested matches" }
                ul.plain {
                    @for p in &c.proposals {
                        li { "Identity #" (p.identity_id) " may be this customer " (proposal(who, p, back, work)) }
                    }
                    @for p in &links.suggestions {
                        li {
                            "This person may be "
                            a href={ "/customers/" (p.customer_id.0) } { "customer #" (p.customer_id.0) }
                            " " (proposal(who, p, back, work))
                        }
                    }
                }
            }
        }
        section.card aria-labelledby="history" {
            h3 #history { "Cases" }
            (case_list("Open", &open))
            (case_list("Past", &past))
            h4 { "Account events" }
            @if c.account_events.is_empty() { p.meta { "None." } }
            ul.plain {
                @for e in c.account_events.iter().take(SHOWN) {
                    li {
                        (e.kind.replace('_', " "))
                        @if let Some(r) = &e.reference { " " strong { (r) } }
                        span.meta { " · " (short_time(e.occurred_at)) }
                    }
                }
            }
            @if c.account_events.len() > SHOWN { p.meta { "and " (c.account_events.len() - SHOWN) " more" } }
            h4 { "Promises" }
            @if c.promises.is_empty() { p.meta { "None." } }
            ul.plain {
                @for p in c.promises.iter().take(SHOWN) {
                    li {
                        (p.what) span.meta { " · " (p.status) " · due " (short_time(p.due_at)) " · case "
                            a href={ "/cases/" (p.case_id.0) } { "#" (p.case_id.0) } }
                    }
                }
            }
            h4 { "Consent" }
            @if c.consents.is_empty() { p.meta { "None recorded." } }
            ul.plain {
                @for k in &c.consents {
                    li {
                        (k.purpose) ": " @if k.granted { "given" } @else { "withdrawn" }
                        span.meta { " · " (short_time(k.at)) " · " (k.method) ", wording " (k.wording_version) }
                    }
                }
            }
            @if !c.products.is_empty() || c.preferred_channel.is_some() {
                p.meta {
                    @if !c.products.is_empty() { "Holds: " (c.products.join(", ")) }
                    @if let Some(ch) = c.preferred_channel { " · prefers " (ch.as_str()) }
                }
            }
            h4 { "Incidents" }
            @if c.incidents.is_empty() { p.meta { "none" } }
            ul.plain { @for i in &c.incidents { li {
                @let title = i.get("title").and_then(|t| t.as_str()).unwrap_or("an incident");
                @match i.get("id").and_then(serde_json::Value::as_i64) {
                    Some(id) => a href={ "/incidents/" (id) } { (title) },
                    None => (title),
                }
                span.meta {
                    " · " (i.get("status").and_then(|t| t.as_str()).unwrap_or(""))
                    @if let Some(n) = i.get("notice").filter(|n| !n.is_null()) {
                        " · notice " (n.get("status").and_then(|t| t.as_str()).unwrap_or(""))
                        " by " (n.get("channel").and_then(|t| t.as_str()).unwrap_or(""))
                    }
                    @if i.get("credit").is_some_and(|c| !c.is_null()) { " · credited" }
                }
            } } }
            @if let Some(w) = c.sentiment.last() {
                p.meta {
                    "Mood in the week of " (short_time(w.week_start).get(..10).unwrap_or(""))
                    ": " (format!("{:+.2}", w.mean_score)) " over " (w.messages) " message(s)"
                    @if now.unix_millis() - w.week_start.unix_millis() > 14 * 86_400_000 { " (a while ago)" }
                }
            }
        }
    }
}

fn case_list(label: &str, cases: &[&CaseView]) -> Markup {
    html! {
        h4 { (label) }
        @if cases.is_empty() { p.meta { "None." } }
        ul.plain {
            @for c in cases.iter().take(SHOWN) {
                li {
                    a href={ "/cases/" (c.id.0) } { "#" (c.id.0) " " (c.subject) }
                    span.meta { " · " (c.status.as_str()) " · " (c.channel.as_str()) " · " (short_time(c.opened_at)) }
                }
            }
        }
        @if cases.len() > SHOWN { p.meta { "and " (cases.len() - SHOWN) " more" } }
    }
}

/// A suggestion's score and evidence, with its Confirm and Reject buttons.
fn proposal(who: &Principal, p: &MatchProposal, back: &str, work: bool) -> Markup {
    let evidence: Vec<String> = match &p.evidence {
        serde_json::Value::Array(a) => {
            a.iter().map(|e| e.as_str().map(str::to_owned).unwrap_or_else(|| e.to_string())).collect()
        }
        serde_json::Value::Null => Vec::new(),
        other => vec![other.to_string()],
    };
    html! {
        span.meta { "(score " (format!("{:.2}", p.score)) ")" }
        @if !evidence.is_empty() { br; span.meta { (evidence.join("; ")) } }
        @if work {
            form.row method="post" action={ "/proposals/" (p.id) "/decide" } {
                (csrf_field(who))
                input type="hidden" name="back" value=(back);
                button.quiet type="submit" name="decision" value="confirm" { "Confirm" }
                button.quiet type="submit" name="decision" value="reject" { "Reject" }
            }
        }
    }
}
