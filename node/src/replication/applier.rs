//! The applier: the single writer of replicated state. It applies accepted operations from the
//! inbox, each in one redb transaction with the object's new revision, the removal from the
//! inbox and the audit record, so an operation applies exactly once even across a crash. Per
//! object, operations apply in revision order: one that arrives before its predecessor waits
//! in the inbox (its predecessor was accepted, or it could not have been proposed).
//!
//! Every node runs the same deterministic change on the same previous state, so every node ends
//! in the same state; what differs is only local sealing (each node re-seals under its own
//! master and vault keys).

use super::operation::{value_label, Change, Operation};
use super::{Applied, Outcome, Waiters};
use crate::audit::AuditEntry;
use crate::auth::tokens::TokenRegistry;
use crate::error::{NodeError, Result};
use crate::keys::directory::KeyDirectory;
use crate::keys::key_ring::NamedKey;
use crate::master_key::MasterKey;
use crate::store::replication::{advance, revision_in};
use crate::store::vault::VaultTxn;
use crate::store::{audit, keys as key_table, tokens as token_table, Store};
use crate::vault::{actor as vault_apply, VaultLimits};
use actix::prelude::*;
use cretoai_consensus::{Limits, Transaction, TxId, TxStatus};
use redb::WriteTransaction;
use std::sync::Arc;

/// Decisions of state operations, from the consensus journal once they are durable.
#[derive(Message)]
#[rtype(result = "()")]
pub struct StateDecided(pub Vec<(TxId, TxStatus)>);

/// Apply an operation proposed on a node without peers (there is no vote to wait for).
#[derive(Message)]
#[rtype(result = "Outcome")]
pub struct ApplyLocal(pub Operation);

/// What the applier writes to.
pub struct Applier {
    /// The database.
    pub store: Store,
    /// Seals key seeds at rest on this node.
    pub master: Arc<MasterKey>,
    /// Opens what operations carry sealed (derived from the cluster key).
    pub transit: Arc<MasterKey>,
    /// The key view request handlers read.
    pub keys: KeyDirectory,
    /// API tokens.
    pub tokens: Arc<TokenRegistry>,
    /// The vault's limits.
    pub vault_limits: VaultLimits,
    /// Transaction size limits (to decode operations).
    pub tx_limits: Limits,
    /// Proposers waiting for outcomes.
    pub waiters: Waiters,
}

impl Actor for Applier {
    type Context = Context<Self>;

    fn started(&mut self, _: &mut Context<Self>) {
        // Operations accepted before a crash or restart and not applied yet.
        self.drain();
    }
}

/// What applying one operation did.
enum Step {
    /// Applied (its outcome may be a deterministic refusal, recorded like a success).
    Done(Result<Applied>),
    /// Its revision was applied already: a duplicate.
    Stale,
    /// Its predecessor has not applied here yet.
    Early,
}

/// What to publish to the in-memory views once the transaction committed.
enum Publish {
    Nothing,
    Key(Arc<NamedKey>),
    KeyGone(String),
    Token(crate::store::tokens::StoredToken),
    TokenGone(String),
}

impl Applier {
    /// Applies every inbox entry whose predecessor has applied, until none can.
    fn drain(&mut self) {
        loop {
            let inbox = match self.store.inbox() {
                Ok(inbox) => inbox,
                Err(e) => {
                    tracing::error!(error = %e, "cannot read the replication inbox");
                    return;
                }
            };
            let mut progress = false;
            for (seq, bytes) in inbox {
                let decoded = Transaction::decode(&bytes, &self.tx_limits)
                    .ok()
                    .and_then(|tx| Some((tx.id(), Operation::decode(tx.payload()).ok()?)));
                let Some((id, op)) = decoded else {
                    tracing::error!(seq, "an accepted state operation does not decode; dropped");
                    let _ = self.store.drop_from_inbox(seq);
                    continue;
                };
                match self.apply(&op, Some(seq)) {
                    Ok(Step::Done(result)) => {
                        progress = true;
                        self.waiters.finish(&id, Outcome::Applied(result));
                    }
                    Ok(Step::Stale) => {
                        let _ = self.store.drop_from_inbox(seq);
                        self.waiters.finish(&id, Outcome::Lost);
                    }
                    Ok(Step::Early) => {}
                    Err(e) => {
                        // The store failed: leave the entry for the next wake-up.
                        tracing::error!(error = %e, object = %op.object, "applying failed");
                        return;
                    }
                }
            }
            if !progress {
                return;
            }
        }
    }

    /// Applies `op` if it is the object's next revision.
    fn apply(&self, op: &Operation, inbox_seq: Option<u64>) -> Result<Step> {
        let txn = self.store.begin_write()?;
        let current = revision_in(&txn, &op.object)?;
        if op.revision <= current {
            return Ok(Step::Stale);
        }
        if op.revision > current + 1 {
            return Ok(Step::Early);
        }
        let result = match self.change(&txn, op) {
            // The store failed, not the operation: nothing commits, the entry stays.
            Err(e @ NodeError::Store(_)) => return Err(e),
            other => other,
        };
        let txn = if result.is_err() {
            txn.abort()?;
            self.store.begin_write()?
        } else {
            txn
        };
        advance(&txn, &op.object, op.revision, inbox_seq)?;
        let entry = AuditEntry::new(&op.token_id, &op.operation, op.target());
        audit::append(&txn, op.at, &entry.with(&result))?;
        txn.commit()?;
        Ok(Step::Done(result.map(|(applied, publish)| {
            self.publish(publish);
            applied
        })))
    }

    /// The change itself, inside `txn`.
    fn change(&self, txn: &WriteTransaction, op: &Operation) -> Result<(Applied, Publish)> {
        let target = op.target();
        Ok(match &op.change {
            Change::VaultWrite { cas } => {
                let label = value_label(target, cas.saturating_add(1));
                let value = self.transit.open(&op.blob, &label)?;
                let written = vault_apply::write(
                    &VaultTxn(txn),
                    op.at,
                    &self.keys,
                    self.vault_limits,
                    target,
                    &value,
                    Some(*cas),
                )?;
                (Applied::Written(written), Publish::Nothing)
            }
            Change::VaultModify { change } => {
                let meta = vault_apply::modify(&VaultTxn(txn), op.at, target, change)?;
                (Applied::Meta(meta), Publish::Nothing)
            }
            Change::KeyPut { key } => {
                let named = Arc::new(NamedKey::from_stored(key, &self.transit)?);
                crate::store::put_in(
                    txn,
                    key_table::TABLE,
                    target,
                    &named.to_stored(&self.master)?,
                )?;
                (Applied::Key(Some(named.clone())), Publish::Key(named))
            }
            Change::KeyDelete => {
                crate::store::remove_in(txn, key_table::TABLE, target)?;
                (Applied::Key(None), Publish::KeyGone(target.to_string()))
            }
            Change::TokenPut { token } => {
                crate::store::put_in(txn, token_table::TABLE, target, token)?;
                (Applied::Token, Publish::Token(token.clone()))
            }
            Change::TokenRevoke => {
                crate::store::remove_in(txn, token_table::TABLE, target)?;
                (Applied::Token, Publish::TokenGone(target.to_string()))
            }
        })
    }

    fn publish(&self, publish: Publish) {
        match publish {
            Publish::Nothing => {}
            Publish::Key(key) => self.keys.publish(key),
            Publish::KeyGone(name) => self.keys.withdraw(&name),
            Publish::Token(record) => {
                if let Err(e) = self.tokens.admit(&record) {
                    tracing::error!(error = %e, "a replicated token does not load");
                }
            }
            Publish::TokenGone(id) => self.tokens.withdraw(&id),
        }
    }
}

impl Handler<StateDecided> for Applier {
    type Result = ();
    fn handle(&mut self, msg: StateDecided, _: &mut Context<Self>) {
        for (id, status) in msg.0 {
            if status == TxStatus::Rejected {
                self.waiters.finish(&id, Outcome::Lost);
            }
        }
        self.drain();
    }
}

impl Handler<ApplyLocal> for Applier {
    type Result = MessageResult<ApplyLocal>;
    fn handle(&mut self, msg: ApplyLocal, _: &mut Context<Self>) -> Self::Result {
        MessageResult(match self.apply(&msg.0, None) {
            Ok(Step::Done(result)) => Outcome::Applied(result),
            Ok(Step::Stale | Step::Early) => Outcome::Lost,
            Err(e) => Outcome::Applied(Err(e)),
        })
    }
}
