//! The pipeline and the work around it: what happens to a message between the
//! wire and the database, and the work that runs in the background.
//!
//! [`Engine::ingest`] runs each batch through the stages that need no stored
//! state ([`Engine::prepare`]: triage plugs in here) and asks the store to
//! commit it; the store applies, inside the same transaction, the rules that
//! need stored state (identity resolution, threading, the case and its SLA
//! clocks; see `firebreak-store`), and the engine answers only once the batch
//! is durable. Around the commit the engine runs what is not part of it: the
//! agent's reply queued and delivered on the customer's channel (`outbound`), the SLA
//! and promise timer ([`Engine::spawn_timer`]), the wake-ups of live event
//! streams ([`Engine::changed`]), the detectors (`watcher`, fed after each
//! commit on a task of their own: [`Engine::spawn_watch`], which also counts
//! the contact drivers, `drivers`), incidents with their outreach and credits
//! (`incidents`), the event log followed by outgoing webhooks and alert
//! emails, members' sign-in (`members`, `member_oidc`) and community posts
//! checked for spam (`community_posts`).

mod alert_mail;
mod community_posts;
pub mod drivers;
pub mod incidents;
pub mod member_oidc;
pub mod members;
pub mod outbound;
pub mod staff;
pub mod watcher;
mod watcher_task;
mod webhooks;

use std::{sync::Arc, time::Duration};

use firebreak_domain::{Clock, NewMessage};
use firebreak_store::{IngestOutcome, Store, StoreError, TickReport};
use firebreak_triage::Triager;
use tokio::sync::{Notify, watch};

pub use alert_mail::AlertMail;
pub use webhooks::{SIGNATURE_HEADER, WebhookFormat, WebhookTarget, chat_text, sign as sign_webhook};

/// What can go wrong in the engine.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The request cannot be carried out as asked; `field` names the value.
    #[error("`{field}`: {message}")]
    Invalid { field: String, code: &'static str, message: String },
    /// Something that should not fail did (no randomness, a task panicked);
    /// the details are for the log.
    #[error("an internal error: {0}")]
    Internal(String),
}

/// An [`EngineError::Invalid`] naming the field.
pub(crate) fn invalid(field: &str, code: &'static str, message: impl Into<String>) -> EngineError {
    EngineError::Invalid { field: field.into(), code, message: message.into() }
}

/// The pipeline, shared by the HTTP server, the importers and the pollers.
pub struct Engine {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    /// `None` only for the benchmark that measures the cost of triage.
    triager: Option<Triager>,
    changed: Arc<Notify>,
    logins: staff::LoginLimiter,
    /// Members' failed sign-ins, counted apart from staff's.
    member_logins: staff::LoginLimiter,
    /// Delivers replies; `None` refuses every reply at the form.
    transport: Option<Arc<dyn firebreak_channels::outbound::ReplyTransport>>,
    /// Wakes the reply worker when a reply is queued.
    outbound_wake: Notify,
    /// Feeds the detectors, once `spawn_watch` has started them.
    watch: std::sync::OnceLock<tokio::sync::mpsc::Sender<watcher_task::Job>>,
    /// Whether an incident was open when last asked, and when.
    open_incidents: std::sync::Mutex<Option<(std::time::Instant, bool)>>,
}

impl Engine {
    /// An engine that triages with the model shipped in the binary.
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Engine {
        Engine {
            store,
            clock,
            triager: Some(Triager::builtin()),
            changed: Arc::new(Notify::new()),
            logins: staff::LoginLimiter::default(),
            member_logins: staff::LoginLimiter::default(),
            transport: None,
            outbound_wake: Notify::new(),
            watch: std::sync::OnceLock::new(),
            open_incidents: std::sync::Mutex::new(None),
        }
    }

    /// Uses another triage model (`--model`) or brand catalogue.
    pub fn with_triager(mut self, triager: Triager) -> Engine {
        self.triager = Some(triager);
        self
    }

    /// Stores messages without judging them: only for measuring what triage
    /// costs (`firebreak bench ingest`).
    pub fn without_triage(mut self) -> Engine {
        self.triager = None;
        self
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// Woken after every write made through the engine, so live streams can
    /// read what is new without polling hard.
    pub fn changed(&self) -> &Arc<Notify> {
        &self.changed
    }

    /// Tells live streams that something was written (by the engine or
    /// through the store directly).
    pub fn notify_changed(&self) {
        self.changed.notify_waiters();
    }

    /// Runs a batch through the pipeline and commits it as one unit. Returns
    /// one outcome per message, in order, after the batch is durable.
    pub async fn ingest(&self, batch: Vec<NewMessage>) -> Result<Vec<IngestOutcome>, EngineError> {
        let batch = self.prepare(batch);
        // What the detectors need is taken before the batch moves into the
        // store; ids are filled in from the outcomes.
        let watch = self.watch.get().map(|tx| (tx, batch.iter().map(watcher::Observed::pending).collect::<Vec<_>>()));
        let out = self.store.ingest(batch).await?;
        self.notify_changed();
        if let Some((tx, mut observed)) = watch {
            for (o, outcome) in observed.iter_mut().zip(&out) {
                o.id = outcome.id;
                o.duplicate = outcome.duplicate;
            }
            // The batch is durable already; if the detectors are behind,
            // this waits for room rather than dropping what they should see.
            let _ = tx.send(watcher_task::Job::Batch(observed)).await;
        }
        Ok(out)
    }

    /// The stages that look at each message before it is stored. Pure and
    /// synchronous: anything slow or fallible belongs after the commit.
    /// Triage reads each message (a few microseconds) unless it was read
    /// already.
    fn prepare(&self, mut batch: Vec<NewMessage>) -> Vec<NewMessage> {
        if let Some(triager) = &self.triager {
            for m in batch.iter_mut().filter(|m| m.triage.is_none()) {
                m.triage = Some(triager.judge(m.text.as_str(), m.channel));
            }
        }
        batch
    }

    /// Runs the SLA and promise timer once.
    pub async fn tick(&self) -> Result<TickReport, EngineError> {
        let report = self.store.tick().await?;
        if report != TickReport::default() {
            self.notify_changed();
        }
        Ok(report)
    }

    /// Sends the event log to an outgoing webhook until `stop` turns true.
    pub fn spawn_webhook(
        self: &Arc<Self>,
        target: WebhookTarget,
        stop: watch::Receiver<bool>,
    ) -> tokio::task::JoinHandle<()> {
        tokio::spawn(webhooks::run(self.clone(), target, stop))
    }

    /// Runs the timer every `period` until `stop` turns true.
    pub fn spawn_timer(
        self: &Arc<Self>,
        period: Duration,
        mut stop: watch::Receiver<bool>,
    ) -> tokio::task::JoinHandle<()> {
        let engine = self.clone();
        tokio::spawn(async move {
            loop {
                if let Err(e) = engine.tick().await {
                    tracing::warn!(error = %e, "the SLA timer failed; it will try again");
                }
                tokio::select! {
                    _ = tokio::time::sleep(period) => {}
                    _ = stop.changed() => return,
                }
                if *stop.borrow() {
                    return;
                }
            }
        })
    }
}
