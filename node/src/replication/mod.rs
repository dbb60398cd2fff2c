//! Replicated state: keys, vault secrets and API tokens are the same on every node of a
//! cluster, because every change to them is a transaction on the QR-Avalanche DAG
//! (docs/decisions/0012-replicated-state.md).
//!
//! A change to an object (a secret path, a key name, a token id) creates the object's next
//! revision. Its transaction is signed with the cluster's state key and its nonce is derived
//! from (object, revision), so two nodes proposing the same revision propose conflicting
//! transactions and consensus accepts exactly one. Each node applies accepted operations per
//! object in revision order ([`applier`]). The proposer re-reads the state and tries again when
//! it lost the race; a `cas` that no longer holds is then `409 cas_mismatch`.
//!
//! A write is answered once this node has accepted it and applied it: the failure of one node
//! cannot lose it, and the node that answered reads its own write. On a node without peers the
//! operation applies at once, without a vote.

pub mod applier;
pub mod operation;
pub mod proposals;
mod secret_key;

pub use proposals::{ClusterLink, Parts, Replicator};
pub use secret_key::ClusterKey;

use crate::error::Result;
use crate::keys::key_ring::NamedKey;
use crate::store::vault::SecretMeta;
use crate::vault::actor::Written;
use cretoai_consensus::TxId;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

/// Why a replicated write was not done.
#[derive(Debug, thiserror::Error)]
pub enum ReplicationError {
    /// This node cannot reach a majority of the cluster, so nothing it proposes can be
    /// accepted.
    #[error("this node reaches {reachable} of the {needed} nodes a write needs; retry on another node or later")]
    NoQuorum {
        /// Nodes this one reaches, itself included.
        reachable: usize,
        /// A majority of the cluster.
        needed: usize,
    },
    /// The cluster did not decide the write in time. It may still be applied.
    #[error("the cluster did not accept the write within {0} s; it may still be applied, read before retrying")]
    Timeout(u64),
    /// Other writers kept taking the object's next revision.
    #[error("`{0}` is being changed by other writers; retry")]
    Contended(String),
    /// The operation does not fit in a transaction (checked before: the vault's value limit
    /// leaves room for the rest).
    #[error("the change is {size} bytes; a replicated change may be at most {limit}")]
    TooLarge {
        /// Its size.
        size: usize,
        /// The limit.
        limit: usize,
    },
}

/// What an applied operation produced, for the node that proposed it.
pub enum Applied {
    /// A vault write.
    Written(Written),
    /// A vault lifecycle change: the new metadata.
    Meta(Option<SecretMeta>),
    /// A key put (`Some`) or deleted (`None`).
    Key(Option<Arc<NamedKey>>),
    /// A token created or revoked.
    Token,
}

/// The end of one proposal.
pub enum Outcome {
    /// It was accepted and applied here, with this result.
    Applied(Result<Applied>),
    /// Another operation took its revision.
    Lost,
}

/// Proposers waiting for their operation's outcome, by transaction id.
#[derive(Clone, Default)]
pub struct Waiters(Arc<Mutex<HashMap<TxId, oneshot::Sender<Outcome>>>>);

impl Waiters {
    fn register(&self, id: TxId) -> oneshot::Receiver<Outcome> {
        let (tx, rx) = oneshot::channel();
        self.lock().insert(id, tx);
        rx
    }

    fn forget(&self, id: &TxId) {
        self.lock().remove(id);
    }

    /// Hands `outcome` to whoever waits for `id` (nobody, when another node proposed it).
    pub fn finish(&self, id: &TxId, outcome: Outcome) {
        if let Some(waiter) = self.lock().remove(id) {
            let _ = waiter.send(outcome);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<TxId, oneshot::Sender<Outcome>>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}
