//! Hash maps and sets keyed by ids (transaction, vertex, node ids, conflict keys).
//!
//! The core looks up every undecided transaction of a polled vertex's ancestry on every poll,
//! so hashing is on its hottest path. std's SipHash costs several times more than foldhash on
//! these 32-byte keys; foldhash's per-process random seed still keeps an attacker who chooses
//! transaction contents from aiming collisions at the tables.

/// A map keyed by ids.
pub(crate) type IdMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
/// A set of ids.
pub(crate) type IdSet<K> = std::collections::HashSet<K, foldhash::fast::RandomState>;
