//! A Byzantine machine: every few ticks it signs two different vertices for the same round,
//! each carrying one side of a double spend, and shows each to half of the network; it answers
//! every query "yes", voting for both sides.

use super::{Msg, Sim};
use cretoai_consensus::{Transaction, Vertex, VertexId};
use cretoai_crypto::ml_dsa::{MlDsaLevel, SigningKey};
use rand::RngCore;
use std::collections::HashMap;
use std::sync::Arc;

/// How many rounds a Byzantine machine equivocates before falling silent (except for votes).
const EQUIVOCATING_ROUNDS: u64 = 4;

pub struct Byzantine {
    key: SigningKey,
    client: SigningKey,
    round: u64,
    tips: Option<(VertexId, VertexId)>,
    vertices: HashMap<VertexId, Arc<Vertex>>,
    ticks: u64,
}

impl Byzantine {
    pub fn new(key: SigningKey, index: usize, rng: &mut impl RngCore) -> Self {
        let mut s = [0u8; 32];
        rng.fill_bytes(&mut s);
        s[0] = index as u8;
        Self {
            key,
            client: SigningKey::from_seed(MlDsaLevel::MlDsa44, &s).unwrap(),
            round: 0,
            tips: None,
            vertices: HashMap::new(),
            ticks: 0,
        }
    }
}

pub fn step(sim: &mut Sim, i: usize) {
    let Some(mut b) = sim.machines[i].byzantine.take() else {
        return;
    };
    b.ticks += 1;
    if b.ticks % 3 == 0 && b.round < EQUIVOCATING_ROUNDS {
        let limits = sim.config.params.limits;
        let nonce = b.round;
        let left = Transaction::sign(&b.client, nonce, b"byz-left".to_vec(), &limits).unwrap();
        let right = Transaction::sign(&b.client, nonce, b"byz-right".to_vec(), &limits).unwrap();
        sim.keys.insert(left.id(), left.conflict_key());
        sim.keys.insert(right.id(), right.conflict_key());
        let (pa, pb) = match b.tips {
            Some((a, bb)) => (vec![a], vec![bb]),
            None => (vec![], vec![]),
        };
        let va = Arc::new(Vertex::sign(&b.key, b.round, sim.now, pa, vec![left], &limits).unwrap());
        let vb =
            Arc::new(Vertex::sign(&b.key, b.round, sim.now, pb, vec![right], &limits).unwrap());
        b.vertices.insert(va.id(), va.clone());
        b.vertices.insert(vb.id(), vb.clone());
        b.tips = Some((va.id(), vb.id()));
        b.round += 1;
        for j in 0..sim.n() {
            if j != i {
                let v = if j % 2 == 0 { va.clone() } else { vb.clone() };
                sim.send(i, j, Msg::Vertex(v));
            }
        }
    }
    sim.machines[i].byzantine = Some(b);
}

pub fn receive(sim: &mut Sim, i: usize, from: usize, msg: Msg) {
    match msg {
        Msg::Query { request_id, .. } => {
            sim.send(
                i,
                from,
                Msg::Chits {
                    request_id,
                    preferred: true,
                },
            );
        }
        Msg::Fetch(ids) => {
            let found: Vec<Arc<Vertex>> = {
                let b = sim.machines[i].byzantine.as_ref().expect("byzantine");
                ids.iter()
                    .filter_map(|id| b.vertices.get(id).cloned())
                    .collect()
            };
            for v in found {
                sim.send(i, from, Msg::Vertex(v));
            }
        }
        _ => {}
    }
}
