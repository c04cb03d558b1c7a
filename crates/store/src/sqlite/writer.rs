//! The single writer: one thread owns the write connection, takes jobs from a
//! queue, and commits them in groups.
//!
//! Group commit: the writer blocks for the first job, then takes every job
//! already waiting (up to `max_group_messages` messages) and applies them all
//! in one `BEGIN IMMEDIATE` transaction, each job inside its own savepoint so
//! that one failing job does not take the others down. While one group is
//! being made durable (the fsync of the WAL), the next group queues up, so the
//! cost of an fsync is shared by every caller waiting at that moment without
//! adding any wait when the queue is quiet. Callers get their answer only
//! after the group's `COMMIT` has returned, which with `synchronous=FULL` in
//! WAL mode means the WAL is on disk.

use std::{
    any::Any,
    sync::{Arc, atomic::Ordering, mpsc},
    time::Instant,
};

use firebreak_domain::{NewCustomer, NewMessage, Timestamp};
use rusqlite::{Connection, TransactionBehavior};
use tokio::sync::oneshot;

use super::{
    SqliteOptions,
    cases::{self, Policies},
    rows,
};
use crate::{CustomerOutcome, IngestOutcome, StoreError, stats::StatsInner};

/// A command run inside a group's transaction: any write that is not a batch
/// of messages or customers (a case update, a merge, the SLA timer).
type Command = Box<dyn FnOnce(&Connection, &Policies, Timestamp) -> Result<Box<dyn Any + Send>, StoreError> + Send>;

/// What runs after a batch is stored, in the same savepoint: it sees the
/// batch's outcomes, and its failure undoes the batch.
type Then = Box<dyn FnOnce(&Connection, &[IngestOutcome], Timestamp) -> Result<(), StoreError> + Send>;

/// A unit of work for the writer.
enum Work {
    Ingest(Vec<rows::Prepared>),
    /// A batch and what must happen with it atomically (a sent reply's
    /// message, and the queue row that says it was sent).
    IngestThen(Vec<rows::Prepared>, Then),
    Customers(Vec<NewCustomer>),
    Command(Command),
}

/// What a unit of work produced. A batch of messages goes back with its
/// outcomes, so the caller's thread frees it, not the writer's.
enum Output {
    Ingest(Vec<IngestOutcome>, Vec<rows::Prepared>),
    Customers(Vec<CustomerOutcome>),
    Command(Box<dyn Any + Send>),
}

type Reply = oneshot::Sender<Result<Output, StoreError>>;

enum Job {
    Work(Work, Reply),
    /// Fold the WAL into the database and truncate it (after an erasure).
    Checkpoint(oneshot::Sender<Result<(), StoreError>>),
    Close(oneshot::Sender<Result<(), StoreError>>),
}

impl Work {
    fn weight(&self) -> usize {
        match self {
            Work::Ingest(b) | Work::IngestThen(b, _) => b.len(),
            Work::Customers(b) => b.len(),
            Work::Command(_) => 1,
        }
    }
}

/// The callers' end of the writer's queue.
pub struct WriterHandle {
    tx: mpsc::Sender<Job>,
}

impl WriterHandle {
    async fn submit(&self, work: Work) -> Result<Output, StoreError> {
        let (reply, rx) = oneshot::channel();
        self.tx.send(Job::Work(work, reply)).map_err(|_| StoreError::Closed)?;
        rx.await.map_err(|_| StoreError::Closed)?
    }

    pub async fn ingest(&self, batch: Vec<NewMessage>) -> Result<Vec<IngestOutcome>, StoreError> {
        let batch = batch.into_iter().map(rows::Prepared::new).collect();
        match self.submit(Work::Ingest(batch)).await? {
            Output::Ingest(o, _spent) => Ok(o),
            _ => Err(StoreError::Database("the writer answered the wrong job".into())),
        }
    }

    /// Stores a batch and runs `then` in the same savepoint.
    pub async fn ingest_then<F>(&self, batch: Vec<NewMessage>, then: F) -> Result<Vec<IngestOutcome>, StoreError>
    where
        F: FnOnce(&Connection, &[IngestOutcome], Timestamp) -> Result<(), StoreError> + Send + 'static,
    {
        let batch = batch.into_iter().map(rows::Prepared::new).collect();
        match self.submit(Work::IngestThen(batch, Box::new(then))).await? {
            Output::Ingest(o, _spent) => Ok(o),
            _ => Err(StoreError::Database("the writer answered the wrong job".into())),
        }
    }

    pub async fn customers(&self, batch: Vec<NewCustomer>) -> Result<Vec<CustomerOutcome>, StoreError> {
        match self.submit(Work::Customers(batch)).await? {
            Output::Customers(o) => Ok(o),
            _ => Err(StoreError::Database("the writer answered the wrong job".into())),
        }
    }

    /// Runs `f` inside the next group's transaction (in a savepoint of its
    /// own) and answers after the commit.
    pub async fn run<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection, &Policies, Timestamp) -> Result<T, StoreError> + Send + 'static,
    {
        let command: Command = Box::new(move |c, p, now| f(c, p, now).map(|v| Box::new(v) as Box<dyn Any + Send>));
        match self.submit(Work::Command(command)).await? {
            Output::Command(v) => v
                .downcast::<T>()
                .map(|b| *b)
                .map_err(|_| StoreError::Database("the writer answered the wrong job".into())),
            _ => Err(StoreError::Database("the writer answered the wrong job".into())),
        }
    }

    /// Commits what is queued, then checkpoints the WAL and truncates it.
    pub async fn checkpoint(&self) -> Result<(), StoreError> {
        let (reply, rx) = oneshot::channel();
        self.tx.send(Job::Checkpoint(reply)).map_err(|_| StoreError::Closed)?;
        rx.await.map_err(|_| StoreError::Closed)?
    }

    /// Asks the writer to commit what is queued and stop; waits until it has.
    pub async fn close(&self) -> Result<(), StoreError> {
        let (reply, rx) = oneshot::channel();
        if self.tx.send(Job::Close(reply)).is_err() {
            return Ok(()); // already closed
        }
        rx.await.unwrap_or(Ok(()))
    }
}

pub fn spawn(conn: Connection, opts: SqliteOptions, stats: Arc<StatsInner>) -> WriterHandle {
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .name("firebreak-writer".into())
        .spawn(move || run(conn, rx, opts, stats))
        .expect("the OS refused to start the writer thread");
    WriterHandle { tx }
}

fn run(mut conn: Connection, rx: mpsc::Receiver<Job>, opts: SqliteOptions, stats: Arc<StatsInner>) {
    let mut closing = None;
    while closing.is_none() {
        let mut group = Vec::new();
        let mut weight = 0;
        let mut checkpoint = None;
        match rx.recv() {
            Ok(Job::Work(work, reply)) => {
                weight += work.weight();
                group.push((work, reply));
            }
            Ok(Job::Checkpoint(reply)) => checkpoint = Some(reply),
            Ok(Job::Close(reply)) => closing = Some(reply),
            Err(_) => return, // every handle is gone
        }
        while closing.is_none() && checkpoint.is_none() && weight < opts.max_group_messages {
            match rx.try_recv() {
                Ok(Job::Work(work, reply)) => {
                    weight += work.weight();
                    group.push((work, reply));
                }
                Ok(Job::Checkpoint(reply)) => checkpoint = Some(reply),
                Ok(Job::Close(reply)) => closing = Some(reply),
                Err(_) => break,
            }
        }
        if !group.is_empty() {
            commit_group(&mut conn, group, opts.clock.now(), opts.reopen_window.as_millis() as i64, &stats);
        }
        if let Some(reply) = checkpoint {
            let result = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(())).map_err(StoreError::from);
            let _ = reply.send(result);
        }
    }
    // Everything queued before the close has been committed; refuse what
    // raced in after it, then fold the WAL into the main file.
    while let Ok(job) = rx.try_recv() {
        match job {
            Job::Work(_, reply) => drop(reply.send(Err(StoreError::Closed))),
            Job::Checkpoint(reply) | Job::Close(reply) => drop(reply.send(Ok(()))),
        }
    }
    let result = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(())).map_err(StoreError::from);
    if let Some(reply) = closing {
        let _ = reply.send(result);
    }
}

/// Applies every job of the group in one transaction, each in a savepoint,
/// commits, and only then answers the callers.
fn commit_group(
    conn: &mut Connection,
    group: Vec<(Work, Reply)>,
    now: Timestamp,
    reopen_window_ms: i64,
    stats: &StatsInner,
) {
    let started = Instant::now();
    let messages: usize = group.iter().map(|(w, _)| w.weight()).sum();
    let (works, replies): (Vec<Work>, Vec<Reply>) = group.into_iter().unzip();

    let outcome = (|| -> Result<Vec<Result<Output, StoreError>>, StoreError> {
        let mut tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        // Messages are written first and indexed together at the end of the
        // group; ids only grow, so the new ones are those above `floor`.
        let floor = rows::max_message_id(&tx)?;
        let policies = cases::Policies::load(&tx, reopen_window_ms)?;
        let mut results = Vec::with_capacity(works.len());
        // The entity index entries of the jobs that succeed, written once at
        // the end (see `rows::index_entities`).
        let mut entities = Vec::new();
        for work in works {
            let mut sp = tx.savepoint()?;
            let mut mine = Vec::new();
            let r = match work {
                Work::Ingest(mut batch) => {
                    rows::insert_messages(&sp, &policies, &mut batch, now, &mut mine).map(|o| Output::Ingest(o, batch))
                }
                Work::IngestThen(mut batch, then) => rows::insert_messages(&sp, &policies, &mut batch, now, &mut mine)
                    .and_then(|o| then(&sp, &o, now).map(|()| Output::Ingest(o, batch))),
                Work::Customers(batch) => rows::upsert_customers(&sp, &batch, now).map(Output::Customers),
                Work::Command(f) => f(&sp, &policies, now).map(Output::Command),
            };
            if r.is_err() {
                sp.rollback()?;
            } else {
                entities.append(&mut mine);
            }
            sp.commit()?;
            results.push(r);
        }
        rows::index_entities(&tx, entities)?;
        let new: usize = results
            .iter()
            .map(|r| match r {
                Ok(Output::Ingest(o, _)) => o.iter().filter(|o| !o.duplicate).count(),
                _ => 0,
            })
            .sum();
        let indexed = rows::index_new_messages(&tx, floor)?;
        if indexed != new {
            return Err(StoreError::Database(format!("indexed {indexed} new messages, expected {new}")));
        }
        tx.commit()?;
        Ok(results)
    })();

    match outcome {
        Ok(results) => {
            stats.groups_committed.fetch_add(1, Ordering::Relaxed);
            stats.commit_seconds.observe(started.elapsed().as_secs_f64());
            stats.group_messages.observe(messages as f64);
            for (r, reply) in results.into_iter().zip(replies) {
                if let Ok(Output::Ingest(outcomes, _)) = &r {
                    let dup = outcomes.iter().filter(|o| o.duplicate).count() as u64;
                    stats.messages_duplicate.fetch_add(dup, Ordering::Relaxed);
                    stats.messages_stored.fetch_add(outcomes.len() as u64 - dup, Ordering::Relaxed);
                }
                let _ = reply.send(r);
            }
        }
        Err(e) => {
            stats.commit_failures.fetch_add(1, Ordering::Relaxed);
            tracing::error!(error = %e, "a group commit failed; nothing in it was stored");
            for reply in replies {
                let _ = reply.send(Err(e.clone()));
            }
        }
    }
}
