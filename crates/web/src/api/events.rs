//! `GET /api/v1/events`: the live event log as Server-Sent Events (case
//! created and updated, SLA warnings and breaches, promises falling due). A
//! client that reconnects with `Last-Event-ID` (or `?after=`) misses nothing:
//! every event is stored and streamed in order.

use std::{collections::HashMap, convert::Infallible, time::Duration};

use axum::{
    extract::{Query, State},
    http::HeaderMap,
    response::sse::{Event, KeepAlive, Sse},
};
use futures_util::stream::{self, Stream};

use crate::{AppState, Problem, api::params::invalid};

/// How long a quiet stream waits before looking again (for events written
/// by another process on the same data directory).
const POLL: Duration = Duration::from_secs(1);

pub async fn stream(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, Problem> {
    let from_header = headers.get("last-event-id").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let after = match q.get("after").cloned().or(from_header) {
        None => None,
        Some(s) => Some(s.parse::<i64>().map_err(|_| invalid("after", "invalid_number", "Use an event id."))?),
    };
    // Without a starting point, start from now: only new events.
    let after = match after {
        Some(a) => a,
        None => latest_event(&state).await,
    };
    let s = stream::unfold((state, after, Vec::new().into_iter()), |(state, mut after, mut pending)| async move {
        loop {
            if let Some(e) = pending.next() {
                let e: firebreak_store::EventRecord = e;
                after = e.id;
                let event = Event::default()
                    .id(e.id.to_string())
                    .event(e.kind.clone())
                    .data(serde_json::to_string(&e).unwrap_or_default());
                return Some((Ok(event), (state, after, pending)));
            }
            let changed = state.engine().changed().clone();
            let notified = changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            match state.engine().store().events_after(after, 100).await {
                Ok(batch) if !batch.is_empty() => pending = batch.into_iter(),
                Ok(_) => {
                    let _ = tokio::time::timeout(POLL, notified).await;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "the event stream cannot read the log");
                    tokio::time::sleep(POLL).await;
                }
            }
        }
    });
    Ok(Sse::new(s).keep_alive(KeepAlive::default()))
}

async fn latest_event(state: &AppState) -> i64 {
    state.engine().store().latest_event_id().await.unwrap_or(0)
}
