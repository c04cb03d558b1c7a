//! The case page's side: the work on the case (resolve, status and
//! priority, assignment, tags) and the promises made to the customer, each a
//! small form that posts and comes back.

use firebreak_domain::{
    Timestamp,
    case::{CaseStatus, Priority},
};
use firebreak_store::{Agent, CaseDetail, Team};
use maud::{Markup, html};

use super::{
    case::{Extras, Part},
    layout::{csrf_field, due_label, short_time},
};
use crate::auth::Principal;

/// Status, priority, assignment (to one of `agents`) and tags; nothing for
/// analysts, who read.
pub fn work(
    who: &Principal,
    d: &CaseDetail,
    agents: &[Agent],
    teams: &[Team],
    x: &Extras,
    work: bool,
    here: &str,
) -> Markup {
    let c = &d.case;
    let id = c.id.0;
    if !work {
        return html! {};
    }
    html! {
        section.card aria-labelledby="work" {
            h3 #work { "Work on this case" }
            div.row {
                form method="post" action={ "/cases/" (id) "/status" } data-action="resolve" {
                    (csrf_field(who))
                    input type="hidden" name="status" value="resolved";
                    input type="hidden" name="back" value=(here);
                    button type="submit" title="e" { "Resolve" }
                }
                form method="post" action={ "/cases/" (id) "/assign" } data-action="assign" {
                    (csrf_field(who))
                    input type="hidden" name="agent" value="me";
                    button.quiet type="submit" title="a" disabled[c.agent_id == Some(who.account.id)] { "Assign to me" }
                }
            }
            (x.error_for(Part::Status))
            form.row method="post" action={ "/cases/" (id) "/status" } {
                (csrf_field(who))
                input type="hidden" name="back" value=(here);
                label for="status" { "Status" }
                select #status name="status" {
                    @for s in CaseStatus::ALL.into_iter().filter(|s| *s != CaseStatus::New) {
                        option value=(s.as_str()) selected[c.status == s] { (s.as_str()) }
                    }
                }
                label for="priority" { "Priority" }
                select #priority name="priority" {
                    @for p in Priority::ALL { option value=(p.as_str()) selected[c.priority == p] { (p.as_str()) } }
                }
                button.quiet type="submit" { "Change" }
            }
            (x.error_for(Part::Assign))
            form.row method="post" action={ "/cases/" (id) "/assign" } {
                (csrf_field(who))
                label for="agent" { "Agent" }
                select #agent name="agent" {
                    option value="" { "keep" }
                    option value="me" { "me" }
                    option value="none" { "nobody" }
                    option value="round_robin" { "next in the team, in turn" }
                    option value="skills" { "least loaded with the skills" }
                    @for a in agents {
                        option value=(a.id) selected[c.agent_id == Some(a.id)] {
                            (a.name) " (" (a.open_cases) "/" (a.max_load) ")"
                        }
                    }
                }
                label for="team" { "Team" }
                select #team name="team" {
                    option value="" { "keep" }
                    option value="none" { "no team" }
                    @for t in teams { option value=(t.id) selected[c.team_id == Some(t.id)] { (t.name) } }
                }
                button.quiet type="submit" { "Assign" }
            }
            (x.error_for(Part::Tags))
            div.row {
                span.meta { "Tags:" }
                @for t in &c.tags {
                    form.inline method="post" action={ "/cases/" (id) "/tags" } {
                        (csrf_field(who))
                        input type="hidden" name="remove" value=(t);
                        span.tag { (t) }
                        button.link type="submit" aria-label={ "Remove the tag " (t) } { "×" }
                    }
                }
                form.inline method="post" action={ "/cases/" (id) "/tags" } {
                    (csrf_field(who))
                    label.sr for="add-tag" { "Add a tag" }
                    input #add-tag type="text" name="add" placeholder="add a tag" maxlength="64" size="12";
                    button.quiet type="submit" { "Add" }
                }
            }
        }
    }
}

/// The promises on the case, with kept and broken buttons, and a form for a
/// new one.
pub fn promises(who: &Principal, d: &CaseDetail, x: &Extras, work: bool, now: Timestamp) -> Markup {
    let id = d.case.id.0;
    let suggested = short_time(now.plus_millis(24 * 3_600_000)).replace(' ', "T");
    html! {
        section.card aria-labelledby="promises" {
            h3 #promises { "Promises" }
            @if d.promises.is_empty() { p.meta { "None made on this case." } }
            ul.plain {
                @for p in &d.promises {
                    li {
                        (p.what) br;
                        span.meta {
                            (p.status) " · "
                            @if matches!(p.status.as_str(), "open" | "due") { (due_label(p.due_at, now)) }
                            @else { "due " (short_time(p.due_at)) }
                            @if p.told_customer { " · the customer was told" }
                            " · by " (p.created_by)
                        }
                        @if work && matches!(p.status.as_str(), "open" | "due") {
                            form.inline method="post" action={ "/promises/" (p.id) "/settle" } {
                                (csrf_field(who))
                                button.quiet type="submit" name="status" value="kept" { "Kept" }
                                " "
                                button.quiet type="submit" name="status" value="broken" { "Broken" }
                            }
                        }
                    }
                }
            }
            @if work {
                form.stack method="post" action={ "/cases/" (id) "/promises" } {
                    (csrf_field(who))
                    (x.error_for(Part::Promise))
                    label for="promise-what" { "Promise" }
                    input #promise-what .wide type="text" name="what" maxlength="4096"
                        placeholder="Call back with the refund status";
                    div.row {
                        label for="promise-due" { "Due (UTC)" }
                        input #promise-due type="datetime-local" name="due_at" value=(suggested);
                        label { input type="checkbox" name="told_customer" value="yes"; " told the customer" }
                    }
                    button.quiet type="submit" { "Record promise" }
                }
            }
        }
    }
}
