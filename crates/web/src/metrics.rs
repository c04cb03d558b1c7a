//! Counters of the HTTP layer and the Prometheus text exposition of them and
//! of the store's.

use std::{
    fmt::Write,
    sync::atomic::{AtomicU64, Ordering},
};

use axum::{
    extract::{Request, State},
    middleware::Next,
    response::Response,
};
use firebreak_store::{Histogram, HistogramSnapshot, StoreStats};

use crate::AppState;

const BATCH_BOUNDS: &[f64] = &[1.0, 10.0, 100.0, 1000.0, 5000.0, 10000.0];

/// What the HTTP layer counts.
#[derive(Debug)]
pub struct HttpMetrics {
    /// Responses by status class: 1xx..5xx.
    responses: [AtomicU64; 5],
    /// Messages per accepted `POST /api/v1/messages` batch.
    pub api_batch_messages: Histogram,
    /// Messages accepted from webhooks and inbound email.
    pub webhook_messages: AtomicU64,
}

impl Default for HttpMetrics {
    fn default() -> Self {
        HttpMetrics {
            responses: Default::default(),
            api_batch_messages: Histogram::new(BATCH_BOUNDS),
            webhook_messages: AtomicU64::new(0),
        }
    }
}

pub async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let resp = next.run(req).await;
    let class = (resp.status().as_u16() / 100).clamp(1, 5) as usize - 1;
    state.metrics().responses[class].fetch_add(1, Ordering::Relaxed);
    resp
}

fn histogram(out: &mut String, name: &str, help: &str, h: &HistogramSnapshot) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
    for (bound, count) in &h.buckets {
        let _ = writeln!(out, "{name}_bucket{{le=\"{bound}\"}} {count}");
    }
    let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {}", h.count);
    let _ = writeln!(out, "{name}_sum {}", h.sum);
    let _ = writeln!(out, "{name}_count {}", h.count);
}

fn counter(out: &mut String, name: &str, help: &str, v: u64) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter\n{name} {v}");
}

/// The Prometheus text format (version 0.0.4) of every counter.
pub fn render(http: &HttpMetrics, store: &StoreStats, uptime_seconds: f64) -> String {
    let mut out = String::with_capacity(4096);
    counter(&mut out, "firebreak_messages_ingested_total", "New messages committed.", store.messages_stored);
    counter(
        &mut out,
        "firebreak_messages_duplicate_total",
        "Re-deliveries recognised and not stored again.",
        store.messages_duplicate,
    );
    counter(&mut out, "firebreak_commits_total", "Group commits made durable.", store.groups_committed);
    counter(&mut out, "firebreak_commit_failures_total", "Group commits that failed.", store.commit_failures);
    histogram(
        &mut out,
        "firebreak_commit_seconds",
        "Time from the start of a group's transaction to its durable commit.",
        &store.commit_seconds,
    );
    histogram(&mut out, "firebreak_commit_group_messages", "Messages per group commit.", &store.group_messages);
    histogram(
        &mut out,
        "firebreak_api_batch_messages",
        "Messages per accepted POST /api/v1/messages batch.",
        &http.api_batch_messages.snapshot(),
    );
    counter(
        &mut out,
        "firebreak_webhook_messages_total",
        "Messages accepted from webhooks and inbound email.",
        http.webhook_messages.load(Ordering::Relaxed),
    );
    let _ = writeln!(
        out,
        "# HELP firebreak_http_responses_total HTTP responses by status class.\n\
         # TYPE firebreak_http_responses_total counter"
    );
    for (i, c) in http.responses.iter().enumerate() {
        let _ = writeln!(out, "firebreak_http_responses_total{{class=\"{}xx\"}} {}", i + 1, c.load(Ordering::Relaxed));
    }
    let _ = writeln!(
        out,
        "# HELP firebreak_uptime_seconds Seconds since the server started.\n\
         # TYPE firebreak_uptime_seconds gauge\nfirebreak_uptime_seconds {uptime_seconds:.3}"
    );
    out
}
