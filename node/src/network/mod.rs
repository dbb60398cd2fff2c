//! The networking actor around `cretoai-network`: it sends the core's messages to peers over
//! post-quantum QUIC, turns what peers send into core events (after the verification pool has
//! checked every signature), and learns each peer's public key over its pinned connection
//! ([`keys`]: consensus activates once a majority of the validator weight is keyed).

pub mod identity;
pub mod keys;
pub mod wire;

use crate::cluster::gossip::StatusReport;
use crate::cluster::ClusterView;
use crate::config::Config;
use crate::consensus::actor::PeerEvent;
use crate::consensus::journal::Outgoing;
use crate::consensus::{now_ms, ConsensusHandle, NetworkLink};
use crate::error::{NodeError, Result};
use crate::store::Store;
use actix::prelude::*;
use cretoai_consensus::wire::Message;
use cretoai_consensus::{Action, ConsensusError, Event, NodeId, Vertex};
use cretoai_network::{Frame, Inbound, Network, NetworkConfig};
use identity::NodeKey;
use keys::SharedValidators;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use wire::{CLUSTER_STATUS, HELLO};

/// How long after a failed query send the peer counts as having answered "no".
const UNREACHABLE_ANSWER_DELAY: Duration = Duration::from_millis(200);

/// Sends the core's outgoing messages.
pub struct NetworkActor {
    net: Network,
    consensus: Recipient<PeerEvent>,
}

impl Actor for NetworkActor {
    type Context = Context<Self>;
}

impl Handler<Outgoing> for NetworkActor {
    type Result = ();

    fn handle(&mut self, msg: Outgoing, _: &mut Context<Self>) {
        for action in msg.0 {
            let (peer, message) = match action {
                Action::Broadcast(v) => {
                    let net = self.net.clone();
                    let frame = wire::vertex_frame(&v);
                    actix::spawn(async move {
                        net.broadcast(&frame).await;
                    });
                    continue;
                }
                Action::Query {
                    peer,
                    request_id,
                    vertex,
                } => {
                    // A peer we cannot reach answers "no" soon rather than at the query
                    // timeout; the short delay keeps an isolated node from spinning vertices.
                    let net = self.net.clone();
                    let consensus = self.consensus.clone();
                    let frame = wire::to_frame(&Message::Query { request_id, vertex });
                    actix::spawn(async move {
                        if net.send(&peer, &frame).await.is_err() {
                            tokio::time::sleep(UNREACHABLE_ANSWER_DELAY).await;
                            consensus.do_send(PeerEvent(Event::Chits {
                                from: peer,
                                request_id,
                                preferred: false,
                            }));
                        }
                    });
                    continue;
                }
                Action::RespondChits {
                    peer,
                    request_id,
                    preferred,
                } => (
                    peer,
                    Message::Chits {
                        request_id,
                        preferred,
                    },
                ),
                Action::Fetch { peer, ids } => (peer, Message::Fetch(ids)),
                Action::SendVertices { peer, vertices } => (peer, Message::Vertices(vertices)),
                Action::Frontier { peer, tips } => (peer, Message::Frontier(tips)),
                _ => continue,
            };
            let net = self.net.clone();
            let frame = wire::to_frame(&message);
            actix::spawn(async move {
                if let Err(e) = net.send(&peer, &frame).await {
                    tracing::debug!(peer = %hex::encode(&peer.0[..4]), error = %e, "send failed");
                }
            });
        }
    }
}

/// The transport, bound before consensus starts (cluster mode): consensus is built with its
/// [`Bound::link`], then [`Bound::serve`] starts what needs the running consensus. The
/// networking actor's address exists from the start (actix's two-phase `Context::new`), so the
/// journal can be handed it before the actor runs.
pub struct Bound {
    net: Network,
    inbound: mpsc::Receiver<Inbound>,
    validators: SharedValidators,
    actor: Context<NetworkActor>,
}

/// Binds the QUIC endpoint with the node's identity (cluster mode). Must run inside the actix
/// system; returns once the endpoint listens. The store's consensus tables must be open (the
/// peer keys of an earlier run are read).
pub async fn bind(node_key: &NodeKey, store: &Store, config: &Config) -> Result<Bound> {
    let identity = node_key.network_identity()?;
    let mut net_config = NetworkConfig::new(config.quic_listen);
    net_config.peers = config.peers.clone();
    let (net, inbound) = Network::start(identity, net_config)
        .await
        .map_err(|e| NodeError::Config(format!("cluster transport: {e}")))?;
    let validators = SharedValidators::from_config(node_key, store, &net)?;
    tracing::info!(quic = %net.local_addr(), peers = config.peers.len(), "cluster transport up");
    Ok(Bound {
        net,
        inbound,
        validators,
        actor: Context::new(),
    })
}

impl Bound {
    /// What consensus is built with: the transport, where the journal sends, the validator set.
    pub fn link(&self) -> NetworkLink {
        NetworkLink {
            network: self.net.clone(),
            outgoing: self.actor.address().recipient(),
            validators: self.validators.clone(),
        }
    }

    /// Starts the networking actor, the receive loop and the key learner; peers' status
    /// reports go to `cluster`.
    pub fn serve(self, consensus: &ConsensusHandle, cluster: ClusterView) {
        let Bound {
            net,
            inbound,
            validators,
            actor,
        } = self;
        actor.run(NetworkActor {
            net: net.clone(),
            consensus: consensus.peer_events(),
        });
        actix::spawn(receive(
            inbound,
            consensus.clone(),
            validators.clone(),
            cluster,
        ));
        actix::spawn(keys::learn_keys(net, consensus.clone(), validators));
    }
}

/// Turns inbound frames into core events. Vertices are verified on the pool first, each in its
/// own task so that slow verification never delays votes.
async fn receive(
    mut inbound: mpsc::Receiver<Inbound>,
    consensus: ConsensusHandle,
    validators: SharedValidators,
    cluster: ClusterView,
) {
    let own_key = consensus
        .node_key()
        .signing_key()
        .map(|k| k.verifying_key().as_bytes().to_vec())
        .unwrap_or_default();
    let events = consensus.peer_events();
    while let Some(item) = inbound.recv().await {
        let (from, frame) = match item {
            Inbound::Request { frame, reply, .. } if frame.kind == HELLO => {
                let _ = reply.reply(Frame::new(HELLO, own_key.clone()));
                continue;
            }
            Inbound::Message { from, frame } if frame.kind == CLUSTER_STATUS => {
                match StatusReport::from_payload(&frame.payload) {
                    Some(r) => {
                        cluster.record(&from.to_string(), r.summary, &r.samples, now_ms());
                    }
                    None => {
                        consensus
                            .stats
                            .refused_frames
                            .fetch_add(1, Ordering::Relaxed);
                        tracing::warn!(peer = %from, "malformed status frame");
                    }
                }
                continue;
            }
            Inbound::Message { from, frame } => (from, frame),
            Inbound::PeerUp { peer } => {
                tracing::info!(peer = %peer, "peer connected");
                continue;
            }
            Inbound::PeerDown { peer } => {
                tracing::info!(peer = %peer, "peer disconnected");
                continue;
            }
            Inbound::Request { .. } => continue,
        };
        let message = match wire::from_frame(&frame, &consensus.limits) {
            Ok(m) => m,
            Err(e) => {
                consensus
                    .stats
                    .refused_frames
                    .fetch_add(1, Ordering::Relaxed);
                tracing::warn!(peer = %hex::encode(&from.0[..4]), reason = e.0, "malformed consensus frame");
                continue;
            }
        };
        let event = match message {
            Message::Vertex(v) => {
                verify_then_deliver(vec![v], from, &consensus, &validators, &events);
                continue;
            }
            Message::Vertices(vs) => {
                verify_then_deliver(vs, from, &consensus, &validators, &events);
                continue;
            }
            Message::Query { request_id, vertex } => Event::Query {
                from,
                request_id,
                vertex,
            },
            Message::Chits {
                request_id,
                preferred,
            } => Event::Chits {
                from,
                request_id,
                preferred,
            },
            Message::Fetch(ids) => {
                serve_fetch(ids, from, &consensus);
                continue;
            }
            Message::Frontier(tips) => Event::Frontier { from, tips },
        };
        events.do_send(PeerEvent(event));
    }
}

/// Most vertices sent in answer to one fetch (a fetch names at most 4096 ids).
const MAX_FETCH_ANSWER: usize = 256;
/// Bytes of vertices per answer frame, well under the transport's 8 MiB frame limit (a full
/// vertex of 256 ML-DSA-65 transactions is about 1.4 MB).
const FETCH_ANSWER_BYTES: usize = 4 * 1024 * 1024;

/// Answers a peer's fetch from the store, not the core: the core prunes settled vertices,
/// the store keeps every vertex this node ever accepted into its DAG, and a vertex is in the
/// store before its id is sent anywhere (the journal commits before it releases messages).
fn serve_fetch(ids: Vec<cretoai_consensus::VertexId>, from: NodeId, consensus: &ConsensusHandle) {
    let Some(net) = consensus.network().cloned() else {
        return;
    };
    let store = consensus.store.clone();
    let stats = consensus.stats.clone();
    actix::spawn(async move {
        let found = tokio::task::spawn_blocking(move || {
            store.consensus_vertices_encoded(&ids[..ids.len().min(MAX_FETCH_ANSWER)])
        })
        .await;
        let encoded = match found {
            Ok(Ok(encoded)) if !encoded.is_empty() => encoded,
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "cannot read vertices for a fetch");
                return;
            }
            _ => return,
        };
        // Several full vertices can exceed the transport's frame limit: split by size.
        let mut start = 0;
        while start < encoded.len() {
            let mut end = start + 1;
            let mut size = encoded[start].len();
            while end < encoded.len() && size + encoded[end].len() <= FETCH_ANSWER_BYTES {
                size += encoded[end].len();
                end += 1;
            }
            let frame = wire::vertices_frame(&encoded[start..end]);
            if let Err(e) = net.send(&from, &frame).await {
                tracing::debug!(peer = %hex::encode(&from.0[..4]), error = %e, "fetch answer not sent");
                return;
            }
            stats
                .served_vertices
                .fetch_add((end - start) as u64, Ordering::Relaxed);
            start = end;
        }
    });
}

fn verify_then_deliver(
    vertices: Vec<Arc<Vertex>>,
    from: NodeId,
    consensus: &ConsensusHandle,
    validators: &SharedValidators,
    events: &Recipient<PeerEvent>,
) {
    let set = validators.snapshot();
    let verifier = consensus.verifier.clone();
    let stats = consensus.stats.clone();
    let events = events.clone();
    actix::spawn(async move {
        // In order, so that parents reach the core before their children.
        for v in vertices {
            // Not an offence: the author's key is just not learned yet. Once it is, frontier
            // gossip and fetch retries bring the vertex again.
            if matches!(
                set.author_key(&v.author()),
                Err(ConsensusError::AuthorKeyUnknown)
            ) {
                tracing::debug!(author = %hex::encode(&v.author().0[..4]), "vertex of an author whose key is unknown dropped");
                continue;
            }
            if verifier.vertex(v.clone(), set.clone()).await {
                events.do_send(PeerEvent(Event::Vertex { from, vertex: v }));
            } else {
                stats.refused_frames.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(peer = %hex::encode(&from.0[..4]), "vertex with a bad signature refused");
            }
        }
    });
}
