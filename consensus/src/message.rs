//! What goes in and out of the core: events, actions, persisted records, equivocation evidence.

use crate::conflict_set::TxStatus;
use crate::error::Result;
use crate::validator::ValidatorSet;
use crate::vertex::{Vertex, VertexId};
use cretoai_types::NodeId;
use cretoai_types::{Transaction, TxId};
use std::sync::Arc;

/// An input to [`crate::Node::handle`]. Time comes with the call, never from a clock.
#[derive(Clone, Debug)]
pub enum Event {
    /// The shell's answer to [`Action::RecallOutcomes`]: this node's durable decision on each
    /// transaction asked about, `None` for one it never decided.
    Recalled(Vec<(TxId, Option<TxStatus>)>),
    /// Time passed: expire polls, retry fetches, gossip the frontier, maybe issue a vertex.
    Tick,
    /// A client handed this node a transaction (see also [`crate::Node::submit`]).
    SubmitTx(Transaction),
    /// A peer sent a vertex (broadcast, or answer to a fetch).
    Vertex {
        /// The sender.
        from: NodeId,
        /// The vertex.
        vertex: Arc<Vertex>,
    },
    /// A peer asks whether this node strongly prefers a vertex.
    Query {
        /// The asking peer.
        from: NodeId,
        /// Its request id, echoed in the answer.
        request_id: u64,
        /// The vertex in question.
        vertex: VertexId,
    },
    /// A peer answered one of this node's queries.
    Chits {
        /// The answering peer.
        from: NodeId,
        /// The request id of the query.
        request_id: u64,
        /// Whether it strongly prefers the vertex.
        preferred: bool,
    },
    /// A peer asks for vertices by id.
    FetchRequest {
        /// The asking peer.
        from: NodeId,
        /// What it wants.
        ids: Vec<VertexId>,
    },
    /// A peer's current DAG tips (anti-entropy gossip).
    Frontier {
        /// The gossiping peer.
        from: NodeId,
        /// Its tips.
        tips: Vec<VertexId>,
    },
}

/// An output of the core, to be carried out in order (persist before sending).
#[derive(Clone, Debug)]
pub enum Action {
    /// Append this record to durable storage before carrying out later actions.
    Persist(Record),
    /// Send the vertex to every peer.
    Broadcast(Arc<Vertex>),
    /// Ask `peer` whether it strongly prefers `vertex`.
    Query {
        /// Whom to ask.
        peer: NodeId,
        /// Id to echo in the answer.
        request_id: u64,
        /// The vertex in question.
        vertex: VertexId,
    },
    /// Answer a peer's query.
    RespondChits {
        /// Whom to answer.
        peer: NodeId,
        /// Its request id.
        request_id: u64,
        /// The answer.
        preferred: bool,
    },
    /// Ask `peer` for vertices this node lacks.
    Fetch {
        /// Whom to ask.
        peer: NodeId,
        /// What is missing.
        ids: Vec<VertexId>,
    },
    /// Send vertices a peer asked for.
    SendVertices {
        /// Whom to send to.
        peer: NodeId,
        /// The vertices.
        vertices: Vec<Arc<Vertex>>,
    },
    /// Send this node's DAG tips to a peer (anti-entropy).
    Frontier {
        /// Whom to tell.
        peer: NodeId,
        /// The tips.
        tips: Vec<VertexId>,
    },
    /// These transactions are final: accepted, each with the vertex it was decided through (the
    /// newest vertex carrying it in the ancestry of the poll that decided it: the copy it was
    /// re-issued in, if it was stranded beside a loser).
    Accepted(Vec<(TxId, VertexId)>),
    /// These transactions are final: rejected (a conflicting one was accepted).
    Rejected(Vec<TxId>),
    /// An author signed two different vertices for one round.
    EquivocationDetected(Arc<Equivocation>),
    /// Look these transactions up in the node's durable record of its own decisions and
    /// answer with [`Event::Recalled`]. Their outcomes left memory (see
    /// [`crate::Config::archived`]) and an arrival that carries them waits for the answer.
    /// Only a core with an archive asks.
    RecallOutcomes(Vec<TxId>),
}

/// A durable record. Replaying a node's records in order through [`crate::Node::replay`]
/// rebuilds its state exactly; `Status` records are outputs for the store's queries.
#[derive(Clone, Debug)]
pub enum Record {
    /// A transaction submitted to this node.
    Submitted(Transaction),
    /// A vertex added to the DAG (parents always come first).
    Vertex(Arc<Vertex>),
    /// The result of this node's poll of a vertex: "yes" slots out of k.
    PollResult {
        /// The polled vertex.
        vertex: VertexId,
        /// "Yes" slots, the node's own included.
        yes: u32,
    },
    /// A transaction was decided.
    Status {
        /// The transaction.
        tx: TxId,
        /// Accepted or rejected.
        status: TxStatus,
    },
    /// Equivocation evidence that was detected.
    Equivocation(Arc<Equivocation>),
}

/// Proof that an author signed two different vertices for the same round.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Equivocation {
    /// The vertex seen first.
    pub first: Arc<Vertex>,
    /// The conflicting vertex.
    pub second: Arc<Vertex>,
}

impl Equivocation {
    /// The equivocating author.
    pub fn author(&self) -> NodeId {
        self.first.author()
    }
    /// The round it signed twice.
    pub fn round(&self) -> u64 {
        self.first.round()
    }
    /// Checks that this is real evidence: same author and round, different vertices, both
    /// signatures valid. Anyone holding the validator set can check it.
    pub fn verify(&self, validators: &ValidatorSet) -> Result<()> {
        if self.first.author() != self.second.author()
            || self.first.round() != self.second.round()
            || self.first.id() == self.second.id()
        {
            return Err(cretoai_types::Error::InvalidField("not an equivocation").into());
        }
        self.first.verify_signatures(validators, false)?;
        self.second.verify_signatures(validators, false)
    }
}
