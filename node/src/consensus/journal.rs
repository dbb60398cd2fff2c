//! The storage thread ("journal"): commits the core's `Persist` records to redb and only then
//! releases what came after them: network messages, API replies ("durable before the 2xx"),
//! events and metrics. It runs on its own thread, so fsyncs never stall the consensus actor or
//! an HTTP worker.
//!
//! Group commit: every batch the consensus actor flushed while the previous commit was being
//! fsynced is written in one redb transaction, so under load the number of fsyncs per second
//! stays at what the disk can do while each of them covers more transactions.

use super::events::EventBus;
use super::stats::ConsensusStats;
use super::submission::SubmitError;
use crate::error::{NodeError, Result};
use crate::replication::applier::StateDecided;
use crate::store::Store;
use crate::store::StoreError;
use actix::prelude::*;
use cretoai_consensus::{Action, Record, TxId, TxStatus, VertexId};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use tokio::sync::oneshot;

/// Most queued batches merged into one durable commit.
const MAX_MERGED: usize = 256;

/// Per-item outcome of a submission.
pub type SubmitOutcome = Vec<std::result::Result<TxId, SubmitError>>;

/// Where a submission's answer goes once its records are durable.
pub struct SubmitReply {
    /// The waiting API handler.
    pub sender: oneshot::Sender<SubmitOutcome>,
    /// Its outcome, pending the commit.
    pub outcome: SubmitOutcome,
}

/// Network actions to carry out, in order (sent by the journal after the commit).
#[derive(Message)]
#[rtype(result = "()")]
pub struct Outgoing(pub Vec<Action>);

/// A batch of the core's actions and the replies that wait for it.
pub struct Commit {
    /// The core's actions, in order.
    pub actions: Vec<Action>,
    /// API replies to release after the commit.
    pub replies: Vec<SubmitReply>,
}

/// Handle to the journal thread; cheap to clone. The thread ends when every handle is gone.
#[derive(Clone)]
pub struct Journal {
    queue: mpsc::Sender<Commit>,
    durable_statuses: Arc<AtomicU64>,
}

impl Journal {
    /// Starts the journal on its own thread; it sends the core's messages to `network` (none
    /// for a node without peers) and decisions of state operations to `applier`.
    pub fn start(
        store: Store,
        stats: Arc<ConsensusStats>,
        events: EventBus,
        network: Option<Recipient<Outgoing>>,
        applier: Option<Recipient<StateDecided>>,
    ) -> Result<Journal> {
        let (queue, inbox) = mpsc::channel();
        let durable_statuses = Arc::new(AtomicU64::new(0));
        let writer = Writer {
            store,
            stats,
            events,
            network,
            applier,
            durable_statuses: durable_statuses.clone(),
            failed: false,
        };
        std::thread::Builder::new()
            .name("consensus-journal".into())
            .spawn(move || writer.run(inbox))
            .map_err(|_| NodeError::Internal("cannot start the journal thread"))?;
        Ok(Journal {
            queue,
            durable_statuses,
        })
    }

    /// How many of the core's `Record::Status` records (counted in the order the core emitted
    /// them, since this process started) are durable: all those before the first failed
    /// commit, if one failed. The core lets the outcomes go from memory only up to here.
    pub fn durable_statuses(&self) -> u64 {
        self.durable_statuses.load(Ordering::Acquire)
    }

    /// Queues a batch; it is committed (merged with whatever else is queued) in order.
    pub fn do_send(&self, commit: Commit) {
        if self.queue.send(commit).is_err() {
            tracing::error!("consensus journal is gone; batch dropped");
        }
    }
}

/// The journal thread's state.
struct Writer {
    store: Store,
    stats: Arc<ConsensusStats>,
    events: EventBus,
    network: Option<Recipient<Outgoing>>,
    /// Where decisions of state operations go (see `crate::replication`).
    applier: Option<Recipient<StateDecided>>,
    durable_statuses: Arc<AtomicU64>,
    /// A commit failed: the records after it are no longer a prefix of what the core emitted.
    failed: bool,
}

impl Writer {
    fn run(mut self, inbox: mpsc::Receiver<Commit>) {
        while let Ok(first) = inbox.recv() {
            let mut batch = vec![first];
            while batch.len() < MAX_MERGED {
                match inbox.try_recv() {
                    Ok(more) => batch.push(more),
                    Err(_) => break,
                }
            }
            self.handle(batch);
        }
    }

    fn commit(&self, batch: &[Commit], now_ms: u64) -> Result<u64> {
        let records: Vec<&Record> = batch
            .iter()
            .flat_map(|c| &c.actions)
            .filter_map(|a| match a {
                Action::Persist(r) => Some(r),
                _ => None,
            })
            .collect();
        if records.is_empty() {
            return Ok(0);
        }
        let through: Vec<(TxId, VertexId)> = batch
            .iter()
            .flat_map(|c| &c.actions)
            .filter_map(|a| match a {
                Action::Accepted(pairs) => Some(pairs),
                _ => None,
            })
            .flatten()
            .copied()
            .collect();
        let committed =
            self.store
                .append_consensus_through(records.iter().copied(), &through, now_ms)?;
        if !committed.state_ops.is_empty() {
            if let Some(applier) = &self.applier {
                applier.do_send(StateDecided(committed.state_ops));
            }
        }
        let decisions = committed.decisions;
        self.stats.commits.fetch_add(1, Ordering::Relaxed);
        let mut finality = Vec::new();
        for d in &decisions {
            match d.status {
                TxStatus::Accepted => finality.push(d.elapsed_ms),
                _ => {
                    self.stats.rejected.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
        self.stats.record_accepted(now_ms, &finality);
        let mut statuses = 0;
        for r in &records {
            match r {
                Record::Vertex(_) => {
                    self.stats.vertices.fetch_add(1, Ordering::Relaxed);
                }
                Record::Equivocation(_) => {
                    self.stats.equivocations.fetch_add(1, Ordering::Relaxed);
                }
                Record::Status { .. } => statuses += 1,
                _ => {}
            }
        }
        Ok(statuses)
    }

    fn handle(&mut self, batch: Vec<Commit>) {
        let now_ms = super::now_ms();
        let statuses = match self.commit(&batch, now_ms) {
            Ok(statuses) => statuses,
            Err(e) => {
                self.failed = true;
                // Nothing after an unwritten record may leave this node (it could contradict what
                // a restart replays), so the batch's messages are dropped and the clients told.
                tracing::error!(error = %e, "consensus commit failed");
                for reply in batch.into_iter().flat_map(|c| c.replies) {
                    let failed = reply
                        .outcome
                        .into_iter()
                        .map(|o| o.and(Err(StoreError::Database(e.to_string()).into())))
                        .collect();
                    let _ = reply.sender.send(failed);
                }
                return;
            }
        };
        if !self.failed {
            self.durable_statuses.fetch_add(statuses, Ordering::Release);
        }
        let mut network = Vec::new();
        for commit in batch {
            for reply in commit.replies {
                let _ = reply.sender.send(reply.outcome);
            }
            self.events.publish(&commit.actions, now_ms);
            network.extend(commit.actions.into_iter().filter(|a| {
                matches!(
                    a,
                    Action::Broadcast(_)
                        | Action::Query { .. }
                        | Action::RespondChits { .. }
                        | Action::Fetch { .. }
                        | Action::SendVertices { .. }
                        | Action::Frontier { .. }
                )
            }));
        }
        if !network.is_empty() {
            if let Some(net) = &self.network {
                net.do_send(Outgoing(network));
            }
        }
    }
}
