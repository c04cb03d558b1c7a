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
    drivers::{self, Tally},
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

/// Messages read per step when catching up.
const CATCH_UP_CHUNK: u32 = 2_000;

/// How often counted contact drivers are written (one small commit).
const DRIVERS_EVERY: Duration = Duration::from_secs(1);

/// The contact drivers counted and not yet written.
struct Drivers {
    tally: Tally,
    /// The highest message id counted.
    through: MessageId,
    /// Messages up to this id were counted when the task started.
    floor: MessageId,
    last: std::time::Instant,
}

impl Drivers {
    fn new(floor: MessageId) -> Drivers {
        Drivers { tally: Tally::default(), through: MessageId(0), floor, last: std::time::Instant::now() }
    }
}

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
            let mut drivers = engine.catch_up(&mut watcher).await;
            let mut tick = tokio::time::interval(Duration::from_secs(5));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    job = rx.recv() => match job {
                        Some(Job::Batch(batch)) => engine.watch_batch(&mut watcher, &mut drivers, batch).await,
                        Some(Job::Flush(done)) => {
                            engine.flush_drivers(&mut drivers).await;
                            let _ = done.send(());
                        }
                        Some(Job::Advance(to, done)) => {
                            let raised = watcher.advance(to);
                            engine.raise(raised).await;
                            let _ = done.send(());
                        }
                        None => break,
                    },
                    _ = tick.tick() => {
                        let raised = watcher.advance(engine.clock.now());
                        engine.raise(raised).await;
                        engine.flush_drivers(&mut drivers).await;
                    }
                    // A dropped sender is a stop too (never a busy loop).
                    changed = stop.changed() => {
                        if changed.is_err() || *stop.borrow() {
                            break;
                        }
                    }
                }
            }
            engine.flush_drivers(&mut drivers).await;
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

    /// Catches up when the detectors start: re-reads the stored messages of
    /// the detectors' warm-up ([`Watcher::warm_up_ms`]) so the baselines are
    /// as they were before a restart (what they raised then was recorded
    /// then; nothing is raised again), and counts the contact drivers of every stored message they
    /// have not counted yet (messages imported while the server was down,
    /// or counted but not yet written when it stopped).
    async fn catch_up(&self, watcher: &mut Watcher) -> Drivers {
        let now = self.clock.now();
        let since = now.plus_millis(-watcher.warm_up_ms());
        let bounds = self.store.watch_bounds(since).await;
        let through = self.store.drivers_through().await;
        let ((max, first_recent), through) = match (bounds, through) {
            (Ok(b), Ok(t)) => (b, t),
            (Err(e), _) | (_, Err(e)) => {
                tracing::warn!(error = %e, "the detectors cannot catch up on stored messages; they start from now");
                return Drivers::new(MessageId(0));
            }
        };
        let mut after = MessageId(through.0.min(first_recent.map_or(max.0, |f| f.0 - 1)));
        let (mut watched, mut counted) = (0u64, 0u64);
        let started = std::time::Instant::now();
        let mut tally = Tally::default();
        while after < max {
            let rows = match self.store.watch_rows(after, max, CATCH_UP_CHUNK).await {
                Ok(rows) if !rows.is_empty() => rows,
                Ok(_) => break,
                Err(e) => {
                    tracing::warn!(error = %e, "the detectors stopped catching up on stored messages");
                    break;
                }
            };
            let ids: Vec<MessageId> =
                rows.iter().filter(|m| m.message.direction == firebreak_domain::Direction::In).map(|m| m.id).collect();
            let contexts = self.contexts(ids).await;
            let last = rows.last().map_or(max, |m| m.id);
            for stored in rows {
                // A stored message keeps its judgement beside it.
                let (id, mut message) = (stored.id, stored.message);
                message.triage = stored.triage;
                let o = Observed::of(id, false, &message);
                let ctx = contexts.get(&id);
                let recent = o.created_at >= since;
                let count = id > through && drivers::counts(&o);
                if !recent && !count {
                    continue;
                }
                let facets = watcher.facets(&o, ctx);
                if recent {
                    // Raised before the restart, and recorded then.
                    let _ = watcher.observe_with(&o, ctx, &facets, now);
                    watched += 1;
                }
                if count {
                    tally.add(&o, &facets);
                    counted += 1;
                }
            }
            after = last;
            if after > through
                && let Err(e) = self.store.add_drivers(tally.take(), after).await
            {
                tracing::warn!(error = %e, "contact drivers could not be recorded");
            }
        }
        let _ = watcher.advance(now);
        if watched + counted > 0 {
            tracing::info!(
                watched,
                counted,
                seconds = started.elapsed().as_secs_f64(),
                "the detectors caught up on stored messages"
            );
        }
        Drivers::new(max)
    }

    /// The stored context of messages, by id (empty when it cannot be read:
    /// the detectors then see the text only).
    async fn contexts(&self, ids: Vec<MessageId>) -> HashMap<MessageId, firebreak_store::MessageContext> {
        match self.store.message_contexts(ids).await {
            Ok(c) => c.into_iter().map(|c| (c.message, c)).collect(),
            Err(e) => {
                tracing::warn!(error = %e, "the detectors cannot read the messages' context; they see the text only");
                HashMap::new()
            }
        }
    }

    /// Writes the contact drivers counted so far.
    async fn flush_drivers(&self, d: &mut Drivers) {
        d.last = std::time::Instant::now();
        if d.tally.is_empty() {
            return;
        }
        if let Err(e) = self.store.add_drivers(d.tally.take(), d.through).await {
            tracing::warn!(error = %e, "contact drivers could not be recorded");
        }
    }

    async fn watch_batch(&self, watcher: &mut Watcher, drivers: &mut Drivers, batch: Vec<Observed>) {
        let ids: Vec<MessageId> = batch.iter().filter(|o| o.inbound).map(|o| o.id).collect();
        let contexts = self.contexts(ids).await;
        let now = self.clock.now();
        let link = self.open_incidents().await;
        let mut raised = Vec::new();
        let mut to_link = Vec::new();
        // Only inbound messages are watched, counted and linked.
        for o in batch.iter().filter(|o| o.inbound) {
            let ctx = contexts.get(&o.id);
            // Read once: for the bursts, the drivers and the links.
            let facets = watcher.facets(o, ctx);
            raised.extend(watcher.observe_with(o, ctx, &facets, now));
            // Messages up to the floor were counted when the task started.
            if o.id > drivers.floor && drivers::counts(o) {
                drivers.tally.add(o, &facets);
                drivers.through = drivers.through.max(o.id);
            }
            if link && !o.duplicate {
                to_link.push((o.id, facets, o.created_at));
            }
        }
        self.raise(raised).await;
        if drivers.last.elapsed() >= DRIVERS_EVERY {
            self.flush_drivers(drivers).await;
        }
        // New messages that match an open incident are linked to it (and
        // their cases); asked only while some incident is open.
        if link {
            match self.store.link_new_messages(to_link).await {
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
