//! The consensus actor: owns the sans-IO core, feeds it submissions, peer events and timer
//! ticks, and hands every resulting action to the journal, which persists before anything is
//! sent. It never does crypto (the verifier did) nor I/O (the journal and network actors do).
//!
//! Actions are buffered and flushed once per mailbox turn, so a burst of submissions and
//! peer messages becomes one durable commit (group commit) rather than one fsync each.

use super::decision_archive::StoreArchive;
use super::journal::{Commit, Journal, SubmitOutcome, SubmitReply};
use super::{now_ms, CoreView};
use crate::error::{NodeError, Result};
use crate::store::Store;
use actix::prelude::*;
use cretoai_consensus::{
    Action, Config as CoreConfig, Event, Node, Params, SignatureCheck, Transaction, ValidatorSet,
};
use cretoai_crypto::ml_dsa::{SigningKey, VerifyingKey};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::oneshot;

/// Submit client transactions (signatures already verified); answered once durable.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Submit {
    /// The transactions.
    pub txs: Vec<Transaction>,
    /// Where the per-item outcome goes.
    pub reply: oneshot::Sender<SubmitOutcome>,
}

/// An event from a peer (signatures already verified).
#[derive(Message)]
#[rtype(result = "()")]
pub struct PeerEvent(pub Event);

/// Enough validator keys are known: build the core from the persisted log and start. Keys
/// still missing in the set come later as [`LearnKey`].
#[derive(Message)]
#[rtype(result = "()")]
pub struct Activate(pub ValidatorSet);

/// A peer's key was learned (and checked against its pinned id) after activation.
#[derive(Message)]
#[rtype(result = "()")]
pub struct LearnKey(pub VerifyingKey);

/// The actor.
pub struct ConsensusActor {
    core: Option<Node>,
    key: Option<SigningKey>,
    params: Params,
    tick: Duration,
    store: Store,
    journal: Journal,
    view: Arc<Mutex<CoreView>>,
    /// Decided outcomes the core keeps in memory (older ones are read from the store).
    remembered_decisions: usize,
    out: Vec<Action>,
    replies: Vec<SubmitReply>,
    flush_scheduled: bool,
}

impl ConsensusActor {
    /// A waiting actor; it runs once it receives [`Activate`].
    pub fn new(
        key: SigningKey,
        params: Params,
        tick: Duration,
        store: Store,
        journal: Journal,
        view: Arc<Mutex<CoreView>>,
        remembered_decisions: usize,
    ) -> Self {
        ConsensusActor {
            core: None,
            key: Some(key),
            params,
            tick,
            store,
            journal,
            view,
            remembered_decisions,
            out: Vec::new(),
            replies: Vec::new(),
            flush_scheduled: false,
        }
    }

    fn activate(&mut self, validators: ValidatorSet) -> Result<Node> {
        let key = self
            .key
            .take()
            .ok_or(NodeError::Internal("consensus activated twice"))?;
        let mut config = CoreConfig::new(self.params.clone(), validators);
        config.signature_check = SignatureCheck::Trusted;
        config.sync_interval_ms = 500;
        config.archive = Some(Arc::new(StoreArchive(self.store.clone())));
        config.remembered_decisions = self.remembered_decisions;
        // Streamed: the core prunes as it replays, so a long log never sits in memory whole.
        let mut failure = None;
        let mut replayed = 0usize;
        let records = self
            .store
            .consensus_replay(&self.params.limits)
            .map_while(|r| match r {
                Ok(record) => {
                    replayed += 1;
                    Some(record)
                }
                Err(e) => {
                    failure = Some(e);
                    None
                }
            });
        let node = Node::restore(config, key, cretoai_crypto::random::array(), records)
            .map_err(|e| NodeError::Storage(format!("consensus log cannot be replayed: {e}")));
        if let Some(e) = failure {
            return Err(e);
        }
        let node = node?;
        tracing::info!(
            replayed,
            round = ?node.round(),
            dag = node.dag_len(),
            "consensus core running"
        );
        Ok(node)
    }

    fn schedule_flush(&mut self, ctx: &mut Context<Self>) {
        if !self.flush_scheduled {
            self.flush_scheduled = true;
            ctx.run_later(Duration::ZERO, |actor, _| actor.flush());
        }
    }

    fn flush(&mut self) {
        self.flush_scheduled = false;
        if let Some(core) = &mut self.core {
            core.decisions_persisted(self.journal.durable_statuses());
            let mut view = self.view.lock().unwrap_or_else(|e| e.into_inner());
            view.active = true;
            view.round = core.round();
            view.dag_len = core.dag_len();
            view.pending_len = core.pending_len();
            view.decided_in_memory = core.decided_in_memory();
        }
        if self.out.is_empty() && self.replies.is_empty() {
            return;
        }
        for action in &self.out {
            if let Action::EquivocationDetected(e) = action {
                tracing::warn!(author = %hex::encode(e.author().0), round = e.round(), "equivocation detected");
            }
        }
        self.journal.do_send(Commit {
            actions: std::mem::take(&mut self.out),
            replies: std::mem::take(&mut self.replies),
        });
    }
}

impl Actor for ConsensusActor {
    type Context = Context<Self>;
}

impl Handler<Activate> for ConsensusActor {
    type Result = ();

    fn handle(&mut self, msg: Activate, ctx: &mut Context<Self>) {
        if self.core.is_some() {
            return;
        }
        match self.activate(msg.0) {
            Ok(node) => {
                self.core = Some(node);
                ctx.run_interval(self.tick, |actor, ctx| {
                    if let Some(core) = actor.core.as_mut() {
                        actor.out.extend(core.handle(now_ms(), Event::Tick));
                    }
                    actor.schedule_flush(ctx);
                });
                self.schedule_flush(ctx);
            }
            Err(e) => {
                tracing::error!(error = %e, "consensus cannot start");
                System::current().stop_with_code(1);
            }
        }
    }
}

impl Handler<Submit> for ConsensusActor {
    type Result = ();

    fn handle(&mut self, msg: Submit, ctx: &mut Context<Self>) {
        let Some(core) = self.core.as_mut() else {
            let outcome = msg
                .txs
                .iter()
                .map(|_| Err(NodeError::Unavailable("consensus is waiting for peer keys")))
                .collect();
            let _ = msg.reply.send(outcome);
            return;
        };
        let ids: Vec<_> = msg.txs.iter().map(|tx| tx.id()).collect();
        let (verdicts, actions) = core.submit_all(now_ms(), msg.txs);
        self.out.extend(actions);
        let outcome = ids
            .into_iter()
            .zip(verdicts)
            .map(|(id, verdict)| {
                verdict
                    .map(|()| id)
                    .map_err(|e| NodeError::InvalidRequest(format!("transaction refused: {e}")))
            })
            .collect();
        self.replies.push(SubmitReply {
            sender: msg.reply,
            outcome,
        });
        self.schedule_flush(ctx);
    }
}

impl Handler<PeerEvent> for ConsensusActor {
    type Result = ();

    fn handle(&mut self, msg: PeerEvent, ctx: &mut Context<Self>) {
        if let Some(core) = self.core.as_mut() {
            self.out.extend(core.handle(now_ms(), msg.0));
            self.schedule_flush(ctx);
        }
    }
}

impl Handler<LearnKey> for ConsensusActor {
    type Result = ();

    fn handle(&mut self, msg: LearnKey, _: &mut Context<Self>) {
        // Sent only after `Activate` by the same task, so the core exists unless activation
        // failed (and the node is stopping).
        if let Some(core) = self.core.as_mut() {
            if let Err(e) = core.learn_key(msg.0) {
                tracing::warn!(error = %e, "peer key refused by the core");
            }
        }
    }
}
