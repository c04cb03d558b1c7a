//! The value of the community (staff): who contributes, and the contacts
//! their accepted solutions are estimated to have deflected, with the
//! assumptions used (`[community] deflection_rate` and `[reports] cost_per_contact`).
//!
//! A view is counted when a topic page with an accepted solution is shown.
//! Views wait in memory ([`SolutionViews`]) and are written as one batch at
//! most once a second (and before the report is read), so showing a topic
//! never waits for the writer.

use std::{
    sync::{
        Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use axum::{
    extract::State,
    response::{IntoResponse, Response},
};
use firebreak_community::TopicId;
use firebreak_store::{CommunityStoreError, ValueReport};
use maud::html;

use super::{Viewer, community_page, community_problem, page_or_error};
use crate::{
    AppState, Problem,
    pages::charts::{Bar, bars, lines},
};

/// The most views kept before a batch is written regardless of the clock.
const MAX_PENDING: usize = 10_000;
const EVERY: Duration = Duration::from_secs(1);

/// Solution views waiting to be written.
pub struct SolutionViews {
    pending: Mutex<Vec<TopicId>>,
    last: Mutex<Instant>,
    writing: AtomicBool,
}

impl Default for SolutionViews {
    fn default() -> Self {
        SolutionViews {
            pending: Mutex::new(Vec::new()),
            last: Mutex::new(Instant::now()),
            writing: AtomicBool::new(false),
        }
    }
}

impl SolutionViews {
    /// Notes a view; answers whether a batch is due (the caller then
    /// writes it in the background with [`flush`]).
    pub fn count(&self, topic: TopicId) -> bool {
        let n = {
            let mut p = self.pending.lock().unwrap_or_else(|e| e.into_inner());
            p.push(topic);
            p.len()
        };
        let due = n >= MAX_PENDING || self.last.lock().map(|l| l.elapsed() >= EVERY).unwrap_or(true);
        due && !self.writing.swap(true, Ordering::AcqRel)
    }

    fn take(&self) -> Vec<TopicId> {
        std::mem::take(&mut *self.pending.lock().unwrap_or_else(|e| e.into_inner()))
    }

    fn put_back(&self, views: Vec<TopicId>) {
        let mut p = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        if p.len() + views.len() <= MAX_PENDING * 10 {
            p.extend(views);
        }
    }
}

/// Writes the waiting views as one batch (a failed batch is kept for the
/// next, up to a bound).
pub async fn flush(state: &AppState) -> Result<u64, CommunityStoreError> {
    let views = state.views();
    let batch = views.take();
    if let Ok(mut l) = views.last.lock() {
        *l = Instant::now();
    }
    let r = if batch.is_empty() {
        Ok(0)
    } else {
        match state.engine().store().record_solution_views(batch.clone()).await {
            Ok(n) => Ok(n),
            Err(e) => {
                views.put_back(batch);
                Err(e)
            }
        }
    };
    views.writing.store(false, Ordering::Release);
    r
}

/// Counts a view of a solved topic, writing the batch in the background
/// when one is due.
pub fn count_view(state: &AppState, topic: TopicId) {
    if state.views().count(topic) {
        let state = state.clone();
        tokio::spawn(async move {
            if let Err(e) = flush(&state).await {
                tracing::warn!(error = %e, "solution views not written yet");
            }
        });
    }
}

/// How many contributors the report lists.
pub const TOP: u32 = 20;

/// The report, after writing the views waiting in memory.
pub async fn report(state: &AppState) -> Result<ValueReport, Problem> {
    flush(state).await.map_err(community_problem)?;
    state.engine().store().community_value(state.config().community.value, TOP).await.map_err(community_problem)
}

fn money(cents: u64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

fn day_label(day: i64) -> String {
    time::Date::from_julian_day((day + 2_440_588) as i32).map(|d| d.to_string()).unwrap_or_else(|_| day.to_string())
}

/// `GET /community/value` (staff).
pub async fn show(State(state): State<AppState>, v: Viewer) -> Response {
    let r = async {
        let rep = report(&state).await?;
        let deflected: Vec<Bar> = rep
            .contributors
            .iter()
            .map(|c| Bar {
                label: c.display_name.clone(),
                value: c.contacts_deflected,
                text: format!("{:.1}", c.contacts_deflected),
                class: "ok",
            })
            .collect();
        let labels: Vec<String> = rep.daily_views.iter().map(|d| day_label(d.day)).collect();
        let series = vec![("Solution views".to_owned(), rep.daily_views.iter().map(|d| d.views).collect())];
        let body = html! {
            h2 { "The value of the community" }
            p.meta #assumptions {
                "Estimated with a deflection rate of " (format!("{:.0}%", rep.config.deflection_rate * 100.0))
                " of solution views and " (money(rep.config.cost_per_contact_cents)) " a contact."
            }
            dl #value-totals {
                dt { "Solved questions" } dd data-solved=(rep.solved_topics) { (rep.solved_topics) }
                dt { "Solution views" } dd data-views=(rep.solution_views) { (rep.solution_views) }
                dt { "Contacts deflected" } dd data-deflected=(format!("{:.1}", rep.contacts_deflected)) { (format!("{:.1}", rep.contacts_deflected)) }
                dt { "Saving" } dd data-saved=(rep.saved_cents) { (money(rep.saved_cents)) }
            }
            h3 { "Top contributors" }
            @if rep.contributors.is_empty() { p.meta { "No contributions yet." } }
            table #contributors {
                thead { tr {
                    th { "Member" } th { "Posts" } th { "Solutions" } th { "Kudos received" }
                    th { "People helped" } th { "Views" } th { "Contacts deflected" } th { "Saving" }
                } }
                tbody { @for c in &rep.contributors { tr data-member=(c.member) {
                    td { a href=(format!("/community/members/{}", c.member)) { (c.display_name) } }
                    td { (c.posts) } td { (c.solutions) } td { (c.kudos_received) } td { (c.people_helped) }
                    td { (c.solution_views) } td { (format!("{:.1}", c.contacts_deflected)) } td { (money(c.saved_cents)) }
                } } }
            }
            @if !deflected.is_empty() {
                h3 { "Contacts deflected per top member" }
                (bars("Contacts deflected per top member", &deflected, 0.0))
            }
            h3 { "Solution views a day" }
            @if labels.is_empty() { p.meta { "No views yet." } } @else {
                (lines("Solution views a day", &labels, &series))
            }
        };
        Ok(community_page(&v, "The value of the community", body).into_response())
    };
    page_or_error(&v, r.await)
}
