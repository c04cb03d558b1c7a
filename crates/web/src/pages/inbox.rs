//! The inbox: the queues an agent works from (mine, unassigned, my team's,
//! breaching within the hour, urgent), filtered by channel and by the
//! customer's sentiment, most pressing first, fifty a page; and the bulk
//! actions on the selected cases. The table re-reads itself when the server
//! reports a change.

use std::collections::HashMap;

use axum::{
    Extension,
    extract::{Query, State},
    response::{IntoResponse, Redirect, Response},
};
use firebreak_domain::{CaseId, Channel, case::CaseStatus, judgement::Sentiment};
use firebreak_store::{CasePage, CaseQuery, CaseUpdate, CaseView, QUEUE_COUNT_CAP, QueueCountQuery, QueueCounts};
use maud::{Markup, html};

use super::{
    forms::{Fields, Refusal, error_page, notice},
    layout::{Frame, csrf_field, due_label, page},
};
use crate::{
    AppState,
    auth::{Access, Principal},
};

/// Cases a page.
const PAGE: u32 = 50;
/// "Breaching" means a target falls due within the hour.
const BREACHING_WITHIN_MS: i64 = 3_600_000;

/// The queues, as `?queue=` names them.
const QUEUES: [(&str, &str); 6] = [
    ("all", "All"),
    ("mine", "Mine"),
    ("unassigned", "Unassigned"),
    ("team", "My team"),
    ("breaching", "Breaching"),
    ("urgent", "Urgent"),
];

/// What the inbox shows: a queue, filters and a page.
#[derive(Debug, Clone, Default)]
struct View {
    queue: &'static str,
    channel: Option<Channel>,
    sentiment: Option<Sentiment>,
    page: u32,
}

impl View {
    fn read(get: impl Fn(&str) -> Option<String>) -> View {
        let queue = get("queue").and_then(|q| QUEUES.iter().find(|(k, _)| *k == q).map(|(k, _)| *k)).unwrap_or("all");
        View {
            queue,
            channel: get("channel").and_then(|c| Channel::parse(&c).ok()),
            sentiment: get("sentiment").and_then(|s| Sentiment::parse(&s)),
            page: get("page").and_then(|p| p.parse().ok()).filter(|p| *p >= 1).unwrap_or(1),
        }
    }

    /// The inbox's address for this view (on another queue or page).
    fn url(&self, queue: &str, page: u32) -> String {
        let mut url = format!("/inbox?queue={queue}");
        if let Some(c) = self.channel {
            url.push_str(&format!("&channel={}", c.as_str()));
        }
        if let Some(s) = self.sentiment {
            url.push_str(&format!("&sentiment={}", s.as_str()));
        }
        if page > 1 {
            url.push_str(&format!("&page={page}"));
        }
        url
    }

    fn here(&self) -> String {
        self.url(self.queue, self.page)
    }
}

/// `GET /inbox`.
pub async fn show(
    State(state): State<AppState>,
    Extension(who): Extension<Principal>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let view = View::read(|k| q.get(k).cloned());
    let store = state.engine().store();
    // Read before the queue, so the page's stream replays what changes after.
    let events_after = store.latest_event_id().await.ok();
    let now = state.engine().clock().now();
    let me = &who.account;
    let mut query = CaseQuery {
        channel: view.channel,
        sentiment: view.sentiment,
        offset: (view.page - 1).saturating_mul(PAGE),
        limit: PAGE,
        ..Default::default()
    };
    let mut no_team = false;
    match view.queue {
        "mine" => query.agent_id = Some(me.id),
        "unassigned" => query.unassigned = true,
        "team" => match me.team_id {
            Some(t) => query.team_id = Some(t),
            None => no_team = true,
        },
        "breaching" => query.due_before = Some(now.plus_millis(BREACHING_WITHIN_MS)),
        "urgent" => query.priority = Some(firebreak_domain::case::Priority::Urgent),
        _ => {}
    }
    let found = if no_team { Ok(CasePage { items: Vec::new(), more: false }) } else { store.cases(query).await };
    let found = match found {
        Ok(p) => p,
        Err(e) => return error_page(&who, &Refusal::store(e)),
    };
    let counts = store
        .queue_counts(QueueCountQuery {
            agent_id: me.id,
            team_id: me.team_id,
            due_before: now.plus_millis(BREACHING_WITHIN_MS),
        })
        .await
        .unwrap_or_default();
    let names: HashMap<i64, String> =
        store.agents().await.unwrap_or_default().into_iter().map(|a| (a.id, a.name)).collect();
    let work = who.allows(Access::Work);
    let body = html! {
        h2 { "Inbox" }
        (notice(&q))
        nav.queues #queue-counts aria-label="Queues" {
            @for (key, label) in QUEUES {
                @let n = count_of(&counts, key);
                @if key == view.queue {
                    a href=(view.url(key, 1)) aria-current="page" { (label) @if let Some(n) = n { " " span.count { (shown_count(n)) } } }
                } @else {
                    a href=(view.url(key, 1)) { (label) @if let Some(n) = n { " " span.count { (shown_count(n)) } } }
                }
            }
        }
        div.toolbar {
            (filters(&view))
            @if work { (bulk_form(&who, &view)) }
        }
        section #queue aria-label="Cases" {
            p.meta {
                @if no_team { "You are not in a team, so there is no team queue. " }
                (found.items.len()) " case(s) on this page, most pressing first. "
                span #live-status aria-live="polite" {}
            }
            table {
                thead { tr {
                    th { span.sr { "Select" } } th { "Case" } th { "Customer" } th { "Channel" } th { "Priority" }
                    th { "Status" } th { "SLA" } th { "Assignee" }
                } }
                tbody {
                    @for c in &found.items { (row(&who, c, &names, now, &view, work)) }
                    @if found.items.is_empty() { tr { td colspan="8" { "No cases in this queue." } } }
                }
            }
            nav.pager aria-label="Pages" {
                @if view.page > 1 { a href=(view.url(view.queue, view.page - 1)) rel="prev" { "← Previous" } }
                " Page " (view.page) " "
                @if found.more { a href=(view.url(view.queue, view.page + 1)) rel="next" { "Next →" } }
            }
        }
    };
    let frame = Frame {
        title: "Inbox",
        nav: "inbox",
        live: Some("queue queue-counts"),
        events_after,
        kind: "inbox",
        ..Default::default()
    };
    page(Some(&who), frame, body).into_response()
}

/// A queue's size, or `999+` when it reached the cap of the count.
fn shown_count(n: u64) -> String {
    if n >= QUEUE_COUNT_CAP { format!("{}+", QUEUE_COUNT_CAP - 1) } else { n.to_string() }
}

fn count_of(c: &QueueCounts, key: &str) -> Option<u64> {
    match key {
        "all" => Some(c.all),
        "mine" => Some(c.mine),
        "unassigned" => Some(c.unassigned),
        "team" => c.team,
        "breaching" => Some(c.breaching),
        "urgent" => Some(c.urgent),
        _ => None,
    }
}

fn filters(view: &View) -> Markup {
    html! {
        form.row method="get" action="/inbox" aria-label="Filters" {
            input type="hidden" name="queue" value=(view.queue);
            label for="f-channel" { "Channel" }
            select #f-channel name="channel" {
                option value="" { "any" }
                @for ch in Channel::ALL {
                    option value=(ch.as_str()) selected[view.channel == Some(ch)] { (ch.as_str()) }
                }
            }
            label for="f-sentiment" { "Customer's mood" }
            select #f-sentiment name="sentiment" {
                option value="" { "any" }
                @for s in Sentiment::ALL {
                    option value=(s.as_str()) selected[view.sentiment == Some(s)] { (s.as_str()) }
                }
            }
            button.quiet type="submit" { "Filter" }
        }
    }
}

fn bulk_form(who: &Principal, view: &View) -> Markup {
    html! {
        form #bulk .row method="post" action="/inbox/bulk" aria-label="Bulk actions" {
            (csrf_field(who))
            input type="hidden" name="back" value=(view.here());
            label for="bulk-action" { "With the selected cases" }
            select #bulk-action name="action" {
                option value="assign-to-me" { "assign to me" }
                option value="tag" { "add the tag" }
                option value="resolve" { "resolve" }
            }
            label.sr for="bulk-tag" { "Tag" }
            input #bulk-tag type="text" name="tag" placeholder="tag (for “add the tag”)" maxlength="64";
            button type="submit" { "Apply" }
        }
    }
}

fn row(
    who: &Principal,
    c: &CaseView,
    names: &HashMap<i64, String>,
    now: firebreak_domain::Timestamp,
    view: &View,
    work: bool,
) -> Markup {
    let id = c.id.0;
    html! {
        tr data-row data-id=(id) {
            td { @if work { input type="checkbox" name="case" value=(id) form="bulk" aria-label={ "Select case " (id) }; } }
            td {
                a href={ "/cases/" (id) } { "#" (id) " " (c.subject) }
                @for t in &c.tags { " " span.tag { (t) } }
            }
            td { (c.customer_name.as_deref().unwrap_or("unknown")) }
            td { span.chan { (c.channel.as_str()) } }
            td { span class={ "prio " (c.priority.as_str()) } { (c.priority.as_str()) } }
            td { (c.status.as_str()) }
            td { @match c.due_at { Some(d) => (due_label(d, now)), None => span.meta { "no clock running" } } }
            td {
                @match c.agent_id {
                    Some(a) => (names.get(&a).map(String::as_str).unwrap_or("an agent")),
                    None => span.meta { "nobody" },
                }
                @if work {
                    form hidden method="post" action={ "/cases/" (id) "/status" } data-action="resolve" {
                        (csrf_field(who))
                        input type="hidden" name="status" value="resolved";
                        input type="hidden" name="back" value=(view.here());
                    }
                    form hidden method="post" action={ "/cases/" (id) "/assign" } data-action="assign" {
                        (csrf_field(who))
                        input type="hidden" name="agent" value="me";
                        input type="hidden" name="back" value=(view.here());
                    }
                }
            }
        }
    }
}

/// `POST /inbox/bulk`: assign to me, tag or resolve the selected cases.
pub async fn bulk(State(state): State<AppState>, Extension(who): Extension<Principal>, f: Fields) -> Response {
    let back = inbox_back(f.get("back"));
    let join = if back.contains('?') { '&' } else { '?' };
    let ids: Vec<CaseId> = f.all("case").filter_map(|s| s.trim().parse().ok()).map(CaseId).collect();
    if ids.is_empty() {
        return Redirect::to(&format!("{back}{join}done=none")).into_response();
    }
    let actor = who.account.name.clone();
    let (update, done) = match f.get("action") {
        Some("assign-to-me") => {
            (CaseUpdate { agent_id: Some(Some(who.account.id)), actor, ..Default::default() }, "assigned")
        }
        Some("resolve") => (CaseUpdate { status: Some(CaseStatus::Resolved), actor, ..Default::default() }, "resolved"),
        Some("tag") => match f.get("tag") {
            Some(tag) => (CaseUpdate { add_tags: vec![tag.to_owned()], actor, ..Default::default() }, "tagged"),
            None => return error_page(&who, &Refusal::invalid("Type the tag to add to the selected cases.")),
        },
        _ => return error_page(&who, &Refusal::invalid("Choose assign to me, add the tag, or resolve.")),
    };
    let store = state.engine().store();
    let (mut ok, mut failed) = (0u32, 0u32);
    for id in ids {
        match store.update_case(id, update.clone()).await {
            Ok(_) => ok += 1,
            Err(e) => {
                tracing::warn!(case = id.0, error = %e, "a bulk action skipped a case");
                failed += 1;
            }
        }
    }
    state.engine().notify_changed();
    let failed = if failed > 0 { format!("&failed={failed}") } else { String::new() };
    Redirect::to(&format!("{back}{join}done={done}&n={ok}{failed}")).into_response()
}

/// Where to go back to after an action taken from the inbox: an inbox
/// address as the inbox itself writes them, else the inbox.
pub fn inbox_back(back: Option<&str>) -> String {
    match back {
        Some(b)
            if b.starts_with("/inbox") && b.bytes().all(|c| c.is_ascii_alphanumeric() || b"/?&=_-".contains(&c)) =>
        {
            b.to_owned()
        }
        _ => "/inbox".to_owned(),
    }
}
