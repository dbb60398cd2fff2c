//! Proposing replicated writes: the service the API calls for every key, vault and token
//! change. Each method checks the request against this node's state, builds the operation for
//! the object's next revision, and returns once the operation is applied here, trying the next
//! revision when another writer took this one.

use super::applier::{Applier, ApplyLocal};
use super::operation::{nonce, value_label, Change, Operation, OVERHEAD};
use super::{Applied, Outcome, ReplicationError, Waiters};
use crate::audit::{AuditEntry, AuditLog};
use crate::auth::tokens::{IssuedToken, TokenRegistry};
use crate::clock::SharedClock;
use crate::consensus::submission::SubmitError;
use crate::consensus::ConsensusHandle;
use crate::error::{NodeError, Result};
use crate::keys::directory::KeyDirectory;
use crate::keys::key_ring::{KeyType, NamedKey};
use crate::keys::{KeyError, KeyRing};
use crate::master_key::MasterKey;
use crate::store::vault::SecretMeta;
use crate::store::Store;
use crate::vault::actor::{Change as VaultChange, Written};
use crate::vault::{Vault, VaultError};
use actix::Addr;
use cretoai_consensus::Transaction;
use cretoai_crypto::ml_dsa::SigningKey;
use std::sync::Arc;
use std::time::Duration;
use zeroize::Zeroizing;

/// How long a write waits for the cluster's decision, and how long a proposer keeps trying
/// the next revision while other writers keep taking it.
const DECISION_TIMEOUT: Duration = Duration::from_secs(15);

/// What a cluster node needs to put operations on the DAG.
pub struct ClusterLink {
    /// This node's consensus.
    pub consensus: ConsensusHandle,
    /// The cluster's state key.
    pub state_key: SigningKey,
    /// Nodes in the cluster, this one included.
    pub nodes: usize,
}

/// The replicated-write service; cheap to clone.
#[derive(Clone)]
pub struct Replicator(Arc<Parts>);

/// What [`Replicator::new`] is built from.
pub struct Parts {
    /// The database.
    pub store: Store,
    /// The applier.
    pub applier: Addr<Applier>,
    /// Where the applier hands outcomes.
    pub waiters: Waiters,
    /// The DAG, in cluster mode.
    pub cluster: Option<ClusterLink>,
    /// Seals values for transit.
    pub transit: Arc<MasterKey>,
    /// The key ring (reserved, node-local keys are changed through it).
    pub keys: KeyRing,
    /// API tokens.
    pub tokens: Arc<TokenRegistry>,
    /// The vault (its limits).
    pub vault: Vault,
    /// Time source.
    pub clock: SharedClock,
    /// Records refusals made before an operation exists.
    pub audit: AuditLog,
    /// Hex id of this node.
    pub origin: String,
}

impl Replicator {
    /// The service over `parts`.
    pub fn new(parts: Parts) -> Self {
        Replicator(Arc::new(parts))
    }

    fn parts(&self) -> &Parts {
        &self.0
    }

    fn directory(&self) -> &KeyDirectory {
        self.parts().keys.directory()
    }

    /// Writes a new version of `path`; `value` is the JSON encoding of the data.
    pub async fn vault_write(
        &self,
        entry: AuditEntry,
        path: String,
        value: Zeroizing<Vec<u8>>,
        cas: Option<u32>,
    ) -> Result<Written> {
        let p = self.parts();
        let limit = self.max_value_bytes();
        let size = value.len();
        let fits = p.vault.check_size(size).and_then(|()| {
            (size <= limit)
                .then_some(())
                .ok_or(NodeError::Vault(VaultError::ValueTooLarge { size, limit }))
        });
        if let Err(e) = fits {
            return p.audit.outcome(&entry, Err(e)).await;
        }
        let object = format!("vault:{path}");
        let applied = self
            .commit(&object, &entry, |_| {
                let current = p.store.vault_meta(&path)?.map_or(0, |m| m.current_version);
                if let Some(expected) = cas.filter(|c| *c != current) {
                    return Err(NodeError::Vault(VaultError::CasMismatch {
                        path: path.clone(),
                        expected,
                        current,
                    }));
                }
                let label = value_label(&path, current.saturating_add(1));
                let sealed = p.transit.seal(&value, &label)?;
                Ok((Change::VaultWrite { cas: current }, sealed))
            })
            .await?;
        match applied {
            Applied::Written(w) => Ok(w),
            _ => Err(NodeError::Internal(
                "a vault write applied as something else",
            )),
        }
    }

    /// Applies a lifecycle change to `path`; the new metadata (`None` after a delete of all).
    pub async fn vault_modify(
        &self,
        entry: AuditEntry,
        path: String,
        change: VaultChange,
    ) -> Result<Option<SecretMeta>> {
        let p = self.parts();
        let object = format!("vault:{path}");
        let applied = self
            .commit(&object, &entry, |_| {
                p.store
                    .vault_meta(&path)?
                    .ok_or_else(|| NodeError::Vault(VaultError::NotFound(path.clone())))?;
                Ok((
                    Change::VaultModify {
                        change: change.clone(),
                    },
                    Vec::new(),
                ))
            })
            .await?;
        match applied {
            Applied::Meta(meta) => Ok(meta),
            _ => Err(NodeError::Internal(
                "a vault change applied as something else",
            )),
        }
    }

    /// Creates a key with version 1.
    pub async fn key_create(
        &self,
        entry: AuditEntry,
        name: String,
        key_type: KeyType,
        deletion_allowed: bool,
    ) -> Result<Arc<NamedKey>> {
        let object = format!("key:{name}");
        self.put_key(&object, &entry, |at| {
            if self.directory().contains(&name) {
                return Err(NodeError::Keys(KeyError::Exists(name.clone())));
            }
            let mut key = NamedKey::new(&name, key_type, at)?;
            key.deletion_allowed = deletion_allowed;
            Ok(key)
        })
        .await
    }

    /// Adds a new newest version. The node's own keys (`_vault`) rotate on this node only.
    pub async fn key_rotate(&self, entry: AuditEntry, name: String) -> Result<Arc<NamedKey>> {
        if is_node_local(&name) {
            let result = self.parts().keys.rotate(name).await;
            return self.parts().audit.outcome(&entry, result).await;
        }
        let object = format!("key:{name}");
        self.put_key(&object, &entry, |at| {
            self.directory().get(&name)?.rotated(at)
        })
        .await
    }

    /// Changes a key's settings.
    pub async fn key_configure(
        &self,
        entry: AuditEntry,
        name: String,
        min: Option<u32>,
        deletion_allowed: Option<bool>,
    ) -> Result<Arc<NamedKey>> {
        if is_node_local(&name) {
            let result = self
                .parts()
                .keys
                .configure(name, min, deletion_allowed)
                .await;
            return self.parts().audit.outcome(&entry, result).await;
        }
        let object = format!("key:{name}");
        self.put_key(&object, &entry, |_| {
            self.directory()
                .get(&name)?
                .configured(min, deletion_allowed)
        })
        .await
    }

    /// Deletes a key whose `deletion_allowed` is set.
    pub async fn key_delete(&self, entry: AuditEntry, name: String) -> Result<()> {
        if is_node_local(&name) {
            let result = self.parts().keys.delete(name).await;
            return self.parts().audit.outcome(&entry, result).await;
        }
        let object = format!("key:{name}");
        self.commit(&object, &entry, |_| {
            let key = self.directory().get(&name)?;
            if !key.deletion_allowed {
                return Err(NodeError::Keys(KeyError::DeletionNotAllowed(name.clone())));
            }
            Ok((Change::KeyDelete, Vec::new()))
        })
        .await
        .map(|_| ())
    }

    /// Creates an API token; the token itself is returned here only.
    pub async fn token_create(
        &self,
        entry: AuditEntry,
        scopes: Vec<String>,
        ttl_seconds: u64,
    ) -> Result<IssuedToken> {
        let p = self.parts();
        let (issued, record) = match p.tokens.issue(&scopes, ttl_seconds, p.clock.now()) {
            Ok(made) => made,
            Err(e) => return p.audit.outcome(&entry, Err(e)).await,
        };
        let object = format!("token:{}", issued.id);
        self.commit(&object, &entry, |_| {
            Ok((
                Change::TokenPut {
                    token: record.clone(),
                },
                Vec::new(),
            ))
        })
        .await?;
        Ok(issued)
    }

    /// Revokes a token on every node.
    pub async fn token_revoke(&self, entry: AuditEntry, id: String) -> Result<()> {
        let object = format!("token:{id}");
        self.commit(&object, &entry, |_| {
            self.parts().tokens.check_revocable(&id)?;
            Ok((Change::TokenRevoke, Vec::new()))
        })
        .await
        .map(|_| ())
    }

    async fn put_key(
        &self,
        object: &str,
        entry: &AuditEntry,
        next: impl Fn(u64) -> Result<NamedKey>,
    ) -> Result<Arc<NamedKey>> {
        let transit = &self.parts().transit;
        let applied = self
            .commit(object, entry, |at| {
                let key = next(at)?.to_stored(transit)?;
                Ok((Change::KeyPut { key }, Vec::new()))
            })
            .await?;
        match applied {
            Applied::Key(Some(key)) => Ok(key),
            _ => Err(NodeError::Internal(
                "a key change applied as something else",
            )),
        }
    }

    /// Proposes the operation `build` makes for the object's next revision until one of this
    /// node's proposals applies. `build` sees the time to stamp and checks the request
    /// against the current state; its refusal is recorded here and returned.
    async fn commit(
        &self,
        object: &str,
        entry: &AuditEntry,
        build: impl Fn(u64) -> Result<(Change, Vec<u8>)>,
    ) -> Result<Applied> {
        let p = self.parts();
        let deadline = tokio::time::Instant::now() + DECISION_TIMEOUT;
        while tokio::time::Instant::now() < deadline {
            let revision = p.store.revision(object)? + 1;
            let at = p.clock.now();
            let (change, blob) = match build(at) {
                Ok(built) => built,
                Err(e) => return p.audit.outcome(entry, Err(e)).await,
            };
            let op = Operation {
                object: object.to_string(),
                revision,
                at,
                origin: p.origin.clone(),
                token_id: entry.token_id.clone(),
                operation: entry.operation.clone(),
                change,
                blob,
            };
            match self.propose(op).await? {
                Outcome::Applied(result) => return result,
                Outcome::Lost => self.wait_for(object, revision).await?,
            }
        }
        Err(ReplicationError::Contended(object.to_string()).into())
    }

    /// One proposal: applied at once without peers, else signed, submitted and awaited.
    async fn propose(&self, op: Operation) -> Result<Outcome> {
        let p = self.parts();
        let Some(link) = &p.cluster else {
            return p
                .applier
                .send(ApplyLocal(op))
                .await
                .map_err(|_| NodeError::Unavailable("replication applier"));
        };
        let reachable = 1 + link
            .consensus
            .network()
            .map_or(0, |n| n.peers().iter().filter(|s| s.connected).count());
        let needed = link.nodes / 2 + 1;
        if reachable < needed {
            return Err(ReplicationError::NoQuorum { reachable, needed }.into());
        }
        let limit = link.consensus.limits.max_payload;
        let payload = op.encode();
        if payload.len() > limit {
            return Err(ReplicationError::TooLarge {
                size: payload.len(),
                limit,
            }
            .into());
        }
        let tx = Transaction::sign(
            &link.state_key,
            nonce(&op.object, op.revision),
            payload,
            &link.consensus.limits,
        )
        .map_err(|e| NodeError::from(SubmitError::Signing(e.into())))?;
        let id = tx.id();
        let answer = p.waiters.register(id);
        let submitted = link.consensus.submit(vec![tx]).await;
        match submitted.map(|mut o| o.pop()) {
            Ok(Some(Ok(_))) => {}
            // The core knows a decided operation for this revision already.
            Ok(Some(Err(SubmitError::Refused(_)))) => {
                p.waiters.forget(&id);
                return Ok(Outcome::Lost);
            }
            Ok(Some(Err(e))) | Err(e) => {
                p.waiters.forget(&id);
                return Err(e.into());
            }
            Ok(None) => {
                p.waiters.forget(&id);
                return Err(NodeError::Internal("missing submission outcome"));
            }
        }
        match tokio::time::timeout(DECISION_TIMEOUT, answer).await {
            Ok(Ok(outcome)) => Ok(outcome),
            Ok(Err(_)) => Err(NodeError::Unavailable("replication applier")),
            Err(_) => {
                p.waiters.forget(&id);
                Err(ReplicationError::Timeout(DECISION_TIMEOUT.as_secs()).into())
            }
        }
    }

    /// Waits until `object` reached `revision` here (another writer's operation applied).
    async fn wait_for(&self, object: &str, revision: u64) -> Result<()> {
        let deadline = tokio::time::Instant::now() + DECISION_TIMEOUT;
        while self.parts().store.revision(object)? < revision {
            if tokio::time::Instant::now() >= deadline {
                return Err(ReplicationError::Timeout(DECISION_TIMEOUT.as_secs()).into());
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        Ok(())
    }

    /// Waits until this node holds no state operation on `object` that it has seen and not
    /// applied (undecided, or accepted and not applied yet): a read after it reflects every
    /// change to the object this node knows of. A node without peers applies at once.
    pub async fn settled(&self, object: &str) -> Result<()> {
        let Some(link) = &self.parts().cluster else {
            return Ok(());
        };
        let deadline = tokio::time::Instant::now() + DECISION_TIMEOUT;
        loop {
            let store = self.parts().store.clone();
            let ops = tokio::task::spawn_blocking(move || store.unapplied_state_ops())
                .await
                .map_err(|_| NodeError::Unavailable("blocking pool"))??;
            let pending = ops.iter().any(|bytes| {
                Transaction::decode(bytes, &link.consensus.limits)
                    .ok()
                    .and_then(|tx| Operation::decode(tx.payload()).ok())
                    .is_some_and(|op| op.object == object)
            });
            if !pending {
                return Ok(());
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(ReplicationError::Timeout(DECISION_TIMEOUT.as_secs()).into());
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// The largest vault value a replicated write can carry.
    pub fn max_value_bytes(&self) -> usize {
        self.parts().cluster.as_ref().map_or(usize::MAX, |l| {
            l.consensus.limits.max_payload.saturating_sub(OVERHEAD)
        })
    }
}

/// Keys the node made for itself (`_vault`): each node's own, never replicated.
fn is_node_local(name: &str) -> bool {
    name.starts_with('_')
}

/// A single-node replicator over `store` for unit tests of the services it writes through.
#[cfg(test)]
pub fn for_tests(
    store: &Store,
    master: Arc<MasterKey>,
    keys: &KeyRing,
    vault: &Vault,
    clock: SharedClock,
) -> Replicator {
    use actix::Actor;
    let tokens = Arc::new(TokenRegistry::load(store.clone(), clock.clone()).unwrap());
    let waiters = Waiters::default();
    let transit = Arc::new(
        super::ClusterKey::load(None, &master, false)
            .unwrap()
            .transit()
            .unwrap(),
    );
    let applier = Applier {
        store: store.clone(),
        master,
        transit: transit.clone(),
        keys: keys.directory().clone(),
        tokens: tokens.clone(),
        vault_limits: vault.limits(),
        tx_limits: cretoai_consensus::Limits::default(),
        waiters: waiters.clone(),
    }
    .start();
    Replicator::new(Parts {
        store: store.clone(),
        applier,
        waiters,
        cluster: None,
        transit,
        keys: keys.clone(),
        tokens,
        vault: vault.clone(),
        audit: crate::audit::AuditLog::start(store.clone(), clock.clone()).unwrap(),
        clock,
        origin: "test".into(),
    })
}
