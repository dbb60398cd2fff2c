//! The consensus actor: owns the sans-IO core, feeds it submissions, peer events and timer
//! ticks, and hands every resulting action to the journal, which persists before anything is
//! sent. It never does crypto (the verifier did) nor I/O (the journal and network actors do).
//!
//! Actions are buffered and flushed once per mailbox turn, so a burst of submissions and
//! peer messages becomes one durable commit (group commit) rather than one fsync each.

use super::decision_archive;
use super::journal::{Commit, Journal, SubmitOutcome, SubmitReply};
use super::settings::ConsensusFlags;
use super::submission::SubmitError;
use super::{now_ms, CoreView};
use crate::error::{NodeError, Result};
use crate::store::Store;
use crate::store::StoreError;
use actix::prelude::*;
use cretoai_consensus::{
    Action, Config as CoreConfig, Event, Node, Now, Params, SignatureCheck, Transaction, TxId,
    TxStatus, ValidatorSet,
};
use cretoai_crypto::ml_dsa::{SigningKey, VerifyingKey};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
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

/// The store's answer to the core's `Action::RecallOutcomes`.
#[derive(Message)]
#[rtype(result = "()")]
struct Recalled(Result<Vec<(TxId, Option<TxStatus>)>>);

/// The actor.
pub struct ConsensusActor {
    /// Origin of the core's monotonic clock.
    started: Instant,
    core: Option<Node>,
    key: Option<SigningKey>,
    params: Params,
    tick: Duration,
    store: Store,
    journal: Journal,
    view: Arc<Mutex<CoreView>>,
    /// Decided outcomes the core keeps in memory (older ones are read from the store).
    remembered_decisions: usize,
    /// The core's tip-gossip interval.
    sync_interval_ms: u64,
    out: Vec<Action>,
    replies: Vec<SubmitReply>,
    /// Replies to submissions the core parked until the archive answers: acknowledged only
    /// once their transactions are recorded, so a 202 is never followed by a 404.
    parked: Vec<(Vec<TxId>, SubmitReply)>,
    flush_scheduled: bool,
}

impl ConsensusActor {
    /// A waiting actor; it runs once it receives [`Activate`].
    pub fn new(
        key: SigningKey,
        params: Params,
        settings: &ConsensusFlags,
        store: Store,
        journal: Journal,
        view: Arc<Mutex<CoreView>>,
    ) -> Self {
        ConsensusActor {
            started: Instant::now(),
            core: None,
            key: Some(key),
            params,
            tick: Duration::from_millis(settings.tick_ms()),
            store,
            journal,
            view,
            remembered_decisions: settings.remembered_decisions(),
            sync_interval_ms: settings.sync_interval_ms(),
            out: Vec::new(),
            replies: Vec::new(),
            parked: Vec::new(),
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
        config.sync_interval_ms = self.sync_interval_ms;
        config.archived = true;
        config.remembered_decisions = self.remembered_decisions;
        // Streamed: the core prunes as it replays, so a long log never sits in memory whole.
        // Startup reads the archive in place: nothing else runs yet.
        let mut replay =
            Node::replay(config, key, cretoai_crypto::random::array()).map_err(|e| {
                NodeError::Store(StoreError::Database(format!("consensus cannot start: {e}")))
            })?;
        let replay_error = |e: cretoai_consensus::ConsensusError| {
            NodeError::Store(StoreError::Database(format!(
                "consensus log cannot be replayed: {e}"
            )))
        };
        let mut replayed = 0usize;
        for record in self.store.consensus_replay(&self.params.limits) {
            let missing = replay.record(record?).map_err(replay_error)?;
            replayed += 1;
            if !missing.is_empty() {
                let outcomes = decision_archive::recall(&self.store, &missing)?;
                replay.recalled(outcomes).map_err(replay_error)?;
            }
        }
        let node = replay.finish();
        tracing::info!(
            replayed,
            round = ?node.round(),
            dag = node.dag_len(),
            "consensus core running"
        );
        Ok(node)
    }

    /// The time of a call into the core.
    fn now(&self) -> Now {
        Now {
            monotonic_ms: u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX),
            unix_ms: now_ms(),
        }
    }

    /// Queues the core's actions for the journal, except archive look-ups, which are read on
    /// a blocking thread and come back as [`Recalled`].
    fn take(&mut self, actions: Vec<Action>, ctx: &mut Context<Self>) {
        for action in actions {
            match action {
                Action::RecallOutcomes(ids) => {
                    let store = self.store.clone();
                    let me = ctx.address();
                    actix::spawn(async move {
                        let read = tokio::task::spawn_blocking(move || {
                            decision_archive::recall(&store, &ids)
                        })
                        .await
                        .unwrap_or_else(|e| {
                            Err(NodeError::Store(StoreError::Database(format!(
                                "archive read: {e}"
                            ))))
                        });
                        me.do_send(Recalled(read));
                    });
                }
                other => self.out.push(other),
            }
        }
        self.schedule_flush(ctx);
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
                    let now = actor.now();
                    let actions = match actor.core.as_mut() {
                        Some(core) => core.handle(now, Event::Tick),
                        None => Vec::new(),
                    };
                    actor.take(actions, ctx);
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
        let now = self.now();
        let Some(core) = self.core.as_mut() else {
            let outcome = msg
                .txs
                .iter()
                .map(|_| {
                    Err(SubmitError::Unavailable(
                        "consensus is waiting for peer keys",
                    ))
                })
                .collect();
            let _ = msg.reply.send(outcome);
            return;
        };
        let ids: Vec<_> = msg.txs.iter().map(|tx| tx.id()).collect();
        let (verdicts, actions) = core.submit_all(now, msg.txs);
        let parked: Vec<TxId> = ids
            .iter()
            .zip(&verdicts)
            .filter(|(id, verdict)| verdict.is_ok() && core.awaits_archive(id))
            .map(|(id, _)| *id)
            .collect();
        self.take(actions, ctx);
        let outcome = ids
            .into_iter()
            .zip(verdicts)
            .map(|(id, verdict)| verdict.map(|()| id).map_err(SubmitError::Refused))
            .collect();
        let reply = SubmitReply {
            sender: msg.reply,
            outcome,
        };
        if parked.is_empty() {
            self.replies.push(reply);
        } else {
            self.parked.push((parked, reply));
        }
    }
}

impl Handler<PeerEvent> for ConsensusActor {
    type Result = ();

    fn handle(&mut self, msg: PeerEvent, ctx: &mut Context<Self>) {
        let now = self.now();
        if let Some(core) = self.core.as_mut() {
            let actions = core.handle(now, msg.0);
            self.take(actions, ctx);
        }
    }
}

impl Handler<Recalled> for ConsensusActor {
    type Result = ();

    fn handle(&mut self, msg: Recalled, ctx: &mut Context<Self>) {
        match msg.0 {
            Ok(outcomes) => {
                let now = self.now();
                if let Some(core) = self.core.as_mut() {
                    let actions = core.handle(now, Event::Recalled(outcomes));
                    // Replies go with the commit that records their transactions.
                    let (ready, still): (Vec<_>, Vec<_>) = std::mem::take(&mut self.parked)
                        .into_iter()
                        .partition(|(ids, _)| !ids.iter().any(|id| core.awaits_archive(id)));
                    self.parked = still;
                    self.replies
                        .extend(ready.into_iter().map(|(_, reply)| reply));
                    self.take(actions, ctx);
                }
            }
            Err(e) => {
                // The core cannot judge the waiting arrivals without the answer, and guessing
                // could reject a transaction this node accepted: stop, a restart replays the log.
                tracing::error!(error = %e, "decision archive unreadable; stopping");
                System::current().stop_with_code(1);
            }
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
