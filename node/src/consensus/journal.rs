//! The storage actor: commits the core's `Persist` records to redb (one durable transaction per
//! batch) and only then releases what came after them: network messages, API replies
//! ("durable before the 2xx"), events and metrics. It runs on its own thread, so fsyncs never
//! stall the consensus actor or an HTTP worker.

use super::events::EventBus;
use super::stats::ConsensusStats;
use crate::error::{NodeError, Result};
use crate::store::Store;
use actix::prelude::*;
use cretoai_consensus::{Action, Record, TxId, TxStatus};
use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock};
use tokio::sync::oneshot;

/// Per-item outcome of a submission.
pub type SubmitOutcome = Vec<Result<TxId>>;

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
#[derive(Message)]
#[rtype(result = "()")]
pub struct Commit {
    /// The core's actions, in order.
    pub actions: Vec<Action>,
    /// API replies to release after the commit.
    pub replies: Vec<SubmitReply>,
}

/// The storage actor.
pub struct Journal {
    store: Store,
    stats: Arc<ConsensusStats>,
    events: EventBus,
    network: Arc<OnceLock<Recipient<Outgoing>>>,
}

impl Actor for Journal {
    type Context = SyncContext<Self>;
}

impl Journal {
    /// Starts the journal on its own thread.
    pub fn start(
        store: Store,
        stats: Arc<ConsensusStats>,
        events: EventBus,
        network: Arc<OnceLock<Recipient<Outgoing>>>,
    ) -> Addr<Journal> {
        SyncArbiter::start(1, move || Journal {
            store: store.clone(),
            stats: stats.clone(),
            events: events.clone(),
            network: network.clone(),
        })
    }

    fn commit(&self, actions: &[Action], now_ms: u64) -> Result<()> {
        let records: Vec<Record> = actions
            .iter()
            .filter_map(|a| match a {
                Action::Persist(r) => Some(r.clone()),
                _ => None,
            })
            .collect();
        if records.is_empty() {
            return Ok(());
        }
        let decisions = self.store.append_consensus(&records, now_ms)?;
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
        for r in &records {
            match r {
                Record::Vertex(_) => self.stats.vertices.fetch_add(1, Ordering::Relaxed),
                Record::Equivocation(_) => self.stats.equivocations.fetch_add(1, Ordering::Relaxed),
                _ => 0,
            };
        }
        Ok(())
    }
}

impl Handler<Commit> for Journal {
    type Result = ();

    fn handle(&mut self, msg: Commit, _: &mut SyncContext<Self>) {
        let now_ms = super::now_ms();
        if let Err(e) = self.commit(&msg.actions, now_ms) {
            // Nothing after an unwritten record may leave this node (it could contradict what
            // a restart replays), so the batch's messages are dropped and the clients told.
            tracing::error!(error = %e, "consensus commit failed");
            for reply in msg.replies {
                let failed = reply
                    .outcome
                    .into_iter()
                    .map(|o| o.and(Err(NodeError::Storage(e.to_string()))))
                    .collect();
                let _ = reply.sender.send(failed);
            }
            return;
        }
        for reply in msg.replies {
            let _ = reply.sender.send(reply.outcome);
        }
        self.events.publish(&msg.actions, now_ms);
        let network: Vec<Action> = msg
            .actions
            .into_iter()
            .filter(|a| {
                matches!(
                    a,
                    Action::Broadcast(_)
                        | Action::Query { .. }
                        | Action::RespondChits { .. }
                        | Action::Fetch { .. }
                        | Action::SendVertices { .. }
                        | Action::Frontier { .. }
                )
            })
            .collect();
        if !network.is_empty() {
            if let Some(net) = self.network.get() {
                net.do_send(Outgoing(network));
            }
        }
    }
}
