//! The detectors' task: takes what each commit stored, adds what the store
//! knows of it (the customer's postal area, the case), runs the
//! [`Watcher`](crate::watcher::Watcher), and records what it raised as alerts
//! (and bursts as incident candidates), which reach pages over the event
//! stream and outgoing webhooks.

use std::{collections::HashMap, sync::Arc, time::Duration};

use firebreak_domain::MessageId;
use firebreak_store::{AlertKind, NewAlert};
use tokio::sync::{mpsc, oneshot, watch as stop_watch};

use crate::{
    Engine,
    watcher::{Observed, Raised, WatchConfig, Watcher, summary},
};

/// Work for the detectors' task.
pub(crate) enum Job {
    Batch(Vec<Observed>),
    /// Answered once every job sent before it is done.
    Flush(oneshot::Sender<()>),
    /// Closes the buckets that ended before this stream time.
    Advance(firebreak_domain::Timestamp, oneshot::Sender<()>),
}

/// Batches that may wait for the detectors before `ingest` waits for room.
const QUEUE: usize = 256;

impl Engine {
    /// Starts the detectors; from now on every ingested batch is watched.
    /// Fails if they are started already or the configuration is invalid.
    pub fn spawn_watch(
        self: &Arc<Self>,
        cfg: WatchConfig,
        mut stop: stop_watch::Receiver<bool>,
    ) -> Result<tokio::task::JoinHandle<()>, String> {
        let mut watcher = Watcher::new(cfg)?;
        let (tx, mut rx) = mpsc::channel::<Job>(QUEUE);
        self.watch.set(tx).map_err(|_| "the detectors are running already".to_string())?;
        let engine = self.clone();
        Ok(tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(5));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    job = rx.recv() => match job {
                        Some(Job::Batch(batch)) => engine.watch_batch(&mut watcher, batch).await,
                        Some(Job::Flush(done)) => {
                            let _ = done.send(());
                        }
                        Some(Job::Advance(to, done)) => {
                            let raised = watcher.advance(to);
                            engine.raise(raised).await;
                            let _ = done.send(());
                        }
                        None => return,
                    },
                    _ = tick.tick() => {
                        let raised = watcher.advance(engine.clock.now());
                        engine.raise(raised).await;
                    }
                    // A dropped sender is a stop too (never a busy loop).
                    changed = stop.changed() => {
                        if changed.is_err() || *stop.borrow() {
                            return;
                        }
                    }
                }
            }
        }))
    }

    /// Waits until the detectors have seen every batch ingested so far and
    /// recorded what it raised. Returns at once when they are not running.
    pub async fn watch_flush(&self) {
        if let Some(tx) = self.watch.get() {
            let (done, wait) = oneshot::channel();
            if tx.send(Job::Flush(done)).await.is_ok() {
                let _ = wait.await;
            }
        }
    }

    /// Closes the detectors' buckets that end before `to` (stream time) and
    /// records what that raised; waits until it is done.
    pub async fn watch_advance(&self, to: firebreak_domain::Timestamp) {
        if let Some(tx) = self.watch.get() {
            let (done, wait) = oneshot::channel();
            if tx.send(Job::Advance(to, done)).await.is_ok() {
                let _ = wait.await;
            }
        }
    }

    async fn watch_batch(&self, watcher: &mut Watcher, batch: Vec<Observed>) {
        let ids: Vec<MessageId> = batch.iter().filter(|o| o.inbound).map(|o| o.id).collect();
        let contexts = match self.store.message_contexts(ids).await {
            Ok(c) => c.into_iter().map(|c| (c.message, c)).collect::<HashMap<_, _>>(),
            Err(e) => {
                tracing::warn!(error = %e, "the detectors cannot read the messages' context; they see the text only");
                HashMap::new()
            }
        };
        let now = self.clock.now();
        let mut raised = Vec::new();
        for o in &batch {
            raised.extend(watcher.observe(o, contexts.get(&o.id), now));
        }
        self.raise(raised).await;
        // New messages that match an open incident are linked to it (and
        // their cases); asked only while some incident is open.
        if self.open_incidents().await {
            let items: Vec<_> = batch
                .iter()
                .filter(|o| o.inbound && !o.duplicate)
                .map(|o| (o.id, watcher.facets(o, contexts.get(&o.id)), o.created_at))
                .collect();
            match self.store.link_new_messages(items).await {
                Ok(0) => {}
                Ok(n) => {
                    tracing::debug!(links = n, "messages linked to open incidents");
                    self.notify_changed();
                }
                Err(e) => tracing::warn!(error = %e, "messages could not be linked to open incidents"),
            }
        }
    }

    /// Whether any incident is open: read at most once a second, and again
    /// as soon as the engine opens, changes or resolves one.
    async fn open_incidents(&self) -> bool {
        let cached = *self.open_incidents.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((at, open)) = cached
            && at.elapsed() < Duration::from_secs(1)
        {
            return open;
        }
        let filter = firebreak_store::IncidentFilter { open_only: true, public_only: false };
        let open = self.store.incidents(filter).await.map(|v| !v.is_empty()).unwrap_or(true);
        *self.open_incidents.lock().unwrap_or_else(|e| e.into_inner()) = Some((std::time::Instant::now(), open));
        open
    }

    /// Forgets whether an incident is open (one was opened, changed or
    /// resolved), so the next batch asks the store.
    pub(crate) fn incidents_changed(&self) {
        *self.open_incidents.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    /// Records what the detectors raised.
    async fn raise(&self, raised: Vec<Raised>) {
        if raised.is_empty() {
            return;
        }
        for r in raised {
            let line = summary(&r);
            // A burst is an incident candidate a supervisor opens in one
            // click; the alert names it.
            let candidate_id = match &r {
                Raised::Burst { candidate, .. } => match self.store.add_candidate(candidate.clone()).await {
                    Ok(id) => Some(id),
                    Err(e) => {
                        tracing::error!(error = %e, "an incident candidate could not be recorded");
                        None
                    }
                },
                Raised::Spark { .. } => None,
            };
            let alert = match &r {
                Raised::Burst { candidate, emerging } => NewAlert {
                    kind: AlertKind::Burst,
                    at: candidate.raised_at,
                    key: Some(candidate.key.to_string()),
                    message: candidate.evidence.samples.first().copied(),
                    case: None,
                    customer: None,
                    summary: line,
                    evidence: serde_json::json!({
                        "emerging": emerging,
                        "candidate_id": candidate_id,
                        "evidence": candidate.evidence,
                    }),
                },
                Raised::Spark { alert, message, context } => NewAlert {
                    kind: AlertKind::Spark,
                    at: alert.at,
                    key: None,
                    message: Some(*message),
                    case: context.as_ref().and_then(|c| c.case),
                    customer: context.as_ref().and_then(|c| c.customer),
                    summary: line,
                    evidence: serde_json::json!({
                        "momentum": alert.momentum,
                        "negativity": alert.negativity,
                        "reach": alert.reach,
                        "rate_per_minute": alert.rate_per_minute,
                        "engagement": {
                            "likes": alert.engagement.likes,
                            "shares": alert.engagement.shares,
                            "replies": alert.engagement.replies,
                        },
                        "author": context.as_ref().and_then(|c| c.author.clone()),
                    }),
                },
            };
            match self.store.record_alert(alert).await {
                Ok(a) => tracing::info!(alert = a.id, kind = a.kind.as_str(), summary = %a.summary, "alert"),
                Err(e) => tracing::error!(error = %e, "an alert could not be recorded"),
            }
        }
        self.notify_changed();
    }
}
