//! The set of node ids a node accepts as peers.

use std::collections::BTreeSet;

use rustls::pki_types::CertificateDer;

use crate::certificate::node_id_of;
use crate::error::{NetworkError, Result};
use cretoai_types::NodeId;

/// Node ids that are allowed to connect (or to answer a dial). Pure value; no I/O.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PinSet(BTreeSet<NodeId>);

impl PinSet {
    /// An empty set: nobody is accepted.
    pub fn new() -> Self {
        PinSet::default()
    }

    /// Adds a node id; returns whether it was new.
    pub fn insert(&mut self, id: NodeId) -> bool {
        self.0.insert(id)
    }

    /// Removes a node id; returns whether it was present.
    pub fn remove(&mut self, id: &NodeId) -> bool {
        self.0.remove(id)
    }

    /// Whether `id` is pinned.
    pub fn contains(&self, id: &NodeId) -> bool {
        self.0.contains(id)
    }

    /// Number of pinned ids.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether no id is pinned.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The pinned ids, in order.
    pub fn iter(&self) -> impl Iterator<Item = &NodeId> {
        self.0.iter()
    }

    /// The node id of `cert` if it is an ML-DSA-65 certificate whose key is pinned.
    pub fn admit(&self, cert: &CertificateDer<'_>) -> Result<NodeId> {
        let id = node_id_of(cert)?;
        if self.contains(&id) {
            Ok(id)
        } else {
            Err(NetworkError::UnknownPeer(id))
        }
    }
}

impl FromIterator<NodeId> for PinSet {
    fn from_iter<I: IntoIterator<Item = NodeId>>(iter: I) -> Self {
        PinSet(iter.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::NodeIdentity;

    #[test]
    fn admits_exactly_the_pinned_keys() {
        let a = NodeIdentity::generate().unwrap();
        let b = NodeIdentity::generate().unwrap();
        let pins: PinSet = [a.node_id()].into_iter().collect();
        assert_eq!(pins.admit(a.certificate()).unwrap(), a.node_id());
        assert!(matches!(
            pins.admit(b.certificate()),
            Err(NetworkError::UnknownPeer(id)) if id == b.node_id()
        ));
        assert!(PinSet::new().admit(a.certificate()).is_err());
    }

    #[test]
    fn insert_and_remove() {
        let id = NodeId::from_bytes([1; 32]);
        let mut pins = PinSet::new();
        assert!(pins.is_empty());
        assert!(pins.insert(id));
        assert!(!pins.insert(id));
        assert_eq!(pins.len(), 1);
        assert!(pins.remove(&id));
        assert!(!pins.contains(&id));
    }
}
