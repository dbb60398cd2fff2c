//! Rebuilding a node from the records it persisted, in the order it persisted them. The node
//! resumes where it stopped: same DAG, same counters, same own round (so it never signs a
//! second vertex for a round it already used).
//!
//! With an archive, outcomes leave memory as the replay goes, and a record can carry a
//! transaction whose outcome left: the replay then stops at that record, names the
//! transactions, and goes on once the shell answers from its archive ([`Replay::recalled`]),
//! as a running node does with `Action::RecallOutcomes`.

use super::{Node, REPLAY_PRUNE_EVERY};
use crate::conflict_set::TxStatus;
use crate::error::{ConsensusError, Result};
use crate::message::{Action, Record};
use crate::vertex::VertexId;
use crate::Config;
use cretoai_crypto::ml_dsa::SigningKey;
use cretoai_types::TxId;
use std::collections::HashSet;

/// A node being rebuilt from its records ([`Node::replay`]).
pub struct Replay {
    node: Node,
    polled: HashSet<VertexId>,
    records: usize,
    /// The record waiting for the archive's answers.
    held: Option<Record>,
    /// Actions of the record being applied: what the node would have done was done before the
    /// crash, and they hold the record's vertices and transactions, which must not outlive
    /// their turn.
    sink: Vec<Action>,
}

impl Node {
    /// Starts rebuilding a node: feed it every record in order ([`Replay::record`]), then
    /// [`Replay::finish`].
    pub fn replay(config: Config, key: SigningKey, seed: [u8; 32]) -> Result<Replay> {
        let mut node = Self::new(config, key, seed)?;
        node.replaying = true;
        // Every decision replayed was made, and made durable, before: outcomes may leave
        // memory as the replay goes.
        node.txs.decided.persisted(u64::MAX);
        Ok(Replay {
            node,
            polled: HashSet::new(),
            records: 0,
            held: None,
            sink: Vec::new(),
        })
    }

    /// Rebuilds a node without an archive to ask ([`Config::archived`] false: no outcome
    /// leaves memory, so none is asked for). With one, use [`Node::replay`].
    pub fn restore(
        config: Config,
        key: SigningKey,
        seed: [u8; 32],
        records: impl IntoIterator<Item = Record>,
    ) -> Result<Self> {
        let mut replay = Self::replay(config, key, seed)?;
        for record in records {
            if !replay.record(record)?.is_empty() {
                return Err(ConsensusError::Restore(
                    "a record needs the archive: replay with Node::replay",
                ));
            }
        }
        Ok(replay.finish())
    }
}

impl Replay {
    /// Replays one record. Returns the transactions whose outcomes the archive must give first
    /// (then the record waits: answer with [`Replay::recalled`]); empty once it is applied.
    pub fn record(&mut self, record: Record) -> Result<Vec<TxId>> {
        if self.held.is_some() {
            return Err(ConsensusError::Restore(
                "a record still waits for the archive",
            ));
        }
        let missing = self.missing(&record);
        if !missing.is_empty() {
            self.held = Some(record);
            return Ok(missing);
        }
        self.apply(record)?;
        Ok(Vec::new())
    }

    /// The archive's answers for the waiting record (see [`Replay::record`]), which is applied
    /// now. `None`: the node never decided the transaction.
    pub fn recalled(&mut self, outcomes: Vec<(TxId, Option<TxStatus>)>) -> Result<()> {
        let record = self
            .held
            .take()
            .ok_or(ConsensusError::Restore("no record waits for the archive"))?;
        for (id, status) in outcomes {
            self.node.txs.decided.answer(id, status);
        }
        if !self.missing(&record).is_empty() {
            return Err(ConsensusError::Restore(
                "the archive left a transaction out",
            ));
        }
        self.apply(record)
    }

    /// The rebuilt node, ready to run.
    pub fn finish(self) -> Node {
        let Replay {
            mut node, polled, ..
        } = self;
        node.replaying = false;
        node.txs.decided.restart_counts();
        node.dag.prune();
        node.trim_outcomes();
        let mut unpolled: Vec<VertexId> = node
            .dag
            .entries
            .iter()
            .filter(|(id, e)| !e.settled && !polled.contains(*id))
            .map(|(id, _)| *id)
            .collect();
        unpolled.sort_by_key(|id| (node.dag.entries[id].height, *id));
        node.unpolled = unpolled;
        node
    }

    fn missing(&self, record: &Record) -> Vec<TxId> {
        match record {
            Record::Submitted(tx) => self.node.missing_outcomes(std::slice::from_ref(tx)),
            Record::Vertex(v) => self.node.missing_outcomes(v.txs()),
            _ => Vec::new(),
        }
    }

    fn apply(&mut self, record: Record) -> Result<()> {
        let node = &mut self.node;
        // Prune as the replay goes, so a long log is restored in bounded memory.
        if self.records.is_multiple_of(REPLAY_PRUNE_EVERY) {
            node.dag.prune();
        }
        self.records += 1;
        self.sink.clear();
        match record {
            Record::Submitted(tx) => node.admit_submitted(tx, &mut self.sink),
            Record::Vertex(v) => {
                if !node.dag.missing_parents(&v).is_empty() {
                    return Err(ConsensusError::Restore("vertex before its parents"));
                }
                node.insert_vertex(0, v, &mut self.sink);
            }
            Record::PollResult { vertex, yes } => {
                if !node.dag.contains(&vertex) {
                    return Err(ConsensusError::Restore("poll result for unknown vertex"));
                }
                self.polled.insert(vertex);
                node.apply_poll_result(vertex, yes, &mut self.sink);
            }
            Record::Status { .. } => {}
            Record::Equivocation(e) => {
                if node.equivocation_slots.insert((e.author(), e.round())) {
                    node.keep_evidence(e);
                }
            }
        }
        self.sink.clear();
        node.txs.decided.clear_newcomers();
        node.trim_outcomes();
        Ok(())
    }
}
