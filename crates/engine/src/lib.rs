//! The pipeline and the rules: what happens to a message between the wire and
//! the database, and the work that runs in the background.
//!
//! Today the pipeline is: channel parsers (in `firebreak-channels`) hand the
//! engine normalised messages; [`Engine::ingest`] runs each batch through the
//! stages in order and then asks the store to commit it, answering only once
//! the store says the batch is durable. The stages to come plug in at
//! [`Engine::prepare`]: triage (sentiment, intent, urgency, entities), then
//! identity resolution, threading into cases, and the detectors.

use std::sync::Arc;

use firebreak_domain::NewMessage;
use firebreak_store::{IngestOutcome, Store, StoreError};

/// What can go wrong while ingesting.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The pipeline, shared by the HTTP server, the importers and the pollers.
pub struct Engine {
    store: Arc<dyn Store>,
}

impl Engine {
    pub fn new(store: Arc<dyn Store>) -> Engine {
        Engine { store }
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// Runs a batch through the pipeline and commits it as one unit. Returns
    /// one outcome per message, in order, after the batch is durable.
    pub async fn ingest(&self, batch: Vec<NewMessage>) -> Result<Vec<IngestOutcome>, EngineError> {
        let batch = self.prepare(batch);
        Ok(self.store.ingest(batch).await?)
    }

    /// The stages that look at each message before it is stored. Pure and
    /// synchronous: anything slow or fallible belongs after the commit.
    fn prepare(&self, batch: Vec<NewMessage>) -> Vec<NewMessage> {
        batch
    }
}
