//! Consensus messages inside transport frames. The frame kind says what the payload is; the
//! payload uses the canonical vertex encoding and fixed-width big-endian integers. Decoding
//! bounds every count before allocating and never panics (see docs/cluster.md).

use cretoai_consensus::{Limits, Vertex, VertexId};
use cretoai_network::{Frame, FrameKind};

/// Request: "send me your public key"; the reply carries it (checked against the pinned id).
pub const HELLO: FrameKind = FrameKind(1);
const VERTEX: FrameKind = FrameKind(2);
const QUERY: FrameKind = FrameKind(3);
const CHITS: FrameKind = FrameKind(4);
const FETCH: FrameKind = FrameKind(5);
const VERTICES: FrameKind = FrameKind(6);
const FRONTIER: FrameKind = FrameKind(7);
/// A node's status summary for the cluster view (not a consensus message; see
/// [`crate::cluster::gossip`]).
pub const CLUSTER_STATUS: FrameKind = FrameKind(8);

/// Most vertex ids in one fetch or frontier message.
const MAX_IDS: usize = 4096;

/// A consensus message between two nodes.
#[derive(Debug, Clone)]
pub enum Message {
    /// A vertex, broadcast by its author.
    Vertex(Vertex),
    /// "Do you strongly prefer this vertex?"
    Query {
        /// Echoed in the answer.
        request_id: u64,
        /// The vertex in question.
        vertex: VertexId,
    },
    /// The answer to a query.
    Chits {
        /// The query's id.
        request_id: u64,
        /// Yes or no.
        preferred: bool,
    },
    /// "Send me these vertices."
    Fetch(Vec<VertexId>),
    /// Vertices asked for.
    Vertices(Vec<Vertex>),
    /// The sender's DAG tips.
    Frontier(Vec<VertexId>),
}

/// Why a payload was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Malformed(pub &'static str);

impl Message {
    /// The frame carrying this message.
    pub fn to_frame(&self) -> Frame {
        let mut out = Vec::new();
        let kind = match self {
            Message::Vertex(v) => return vertex_frame(v),
            Message::Vertices(vs) => {
                let encoded: Vec<Vec<u8>> = vs.iter().map(Vertex::encode).collect();
                return vertices_frame(&encoded);
            }
            Message::Query { request_id, vertex } => {
                out.extend_from_slice(&request_id.to_be_bytes());
                out.extend_from_slice(&vertex.0);
                QUERY
            }
            Message::Chits {
                request_id,
                preferred,
            } => {
                out.extend_from_slice(&request_id.to_be_bytes());
                out.push(u8::from(*preferred));
                CHITS
            }
            Message::Fetch(ids) => {
                put_ids(&mut out, ids);
                FETCH
            }
            Message::Frontier(ids) => {
                put_ids(&mut out, ids);
                FRONTIER
            }
        };
        Frame::new(kind, out)
    }

    /// Parses a frame; unknown kinds and bad payloads are [`Malformed`].
    pub fn from_frame(frame: &Frame, limits: &Limits) -> Result<Self, Malformed> {
        let p = frame.payload.as_slice();
        let vertex = |bytes: &[u8]| Vertex::decode(bytes, limits).map_err(|_| Malformed("vertex"));
        match frame.kind {
            VERTEX => Ok(Message::Vertex(vertex(p)?)),
            QUERY if p.len() == 40 => Ok(Message::Query {
                request_id: u64_at(p, 0),
                vertex: VertexId(id_at(p, 8)),
            }),
            CHITS if p.len() == 9 && p[8] <= 1 => Ok(Message::Chits {
                request_id: u64_at(p, 0),
                preferred: p[8] == 1,
            }),
            FETCH => Ok(Message::Fetch(ids(p)?)),
            FRONTIER => Ok(Message::Frontier(ids(p)?)),
            VERTICES => {
                let mut r = Reader(p);
                let count = r.u32()? as usize;
                if count > MAX_IDS {
                    return Err(Malformed("too many vertices"));
                }
                let mut out = Vec::with_capacity(count.min(64));
                for _ in 0..count {
                    let len = r.u32()? as usize;
                    out.push(vertex(r.take(len)?)?);
                }
                r.end()?;
                Ok(Message::Vertices(out))
            }
            _ => Err(Malformed("unknown kind or bad length")),
        }
    }
}

/// A vertex frame straight from a vertex, without copying it into a [`Message`] first.
pub fn vertex_frame(v: &Vertex) -> Frame {
    Frame::new(VERTEX, v.encode())
}

/// A `VERTICES` frame from canonical vertex encodings as the store holds them (answering a
/// fetch needs neither a decode nor an encode).
pub fn vertices_frame(encoded: &[Vec<u8>]) -> Frame {
    let size = 4 + encoded.iter().map(|b| b.len() + 4).sum::<usize>();
    let mut out = Vec::with_capacity(size);
    out.extend_from_slice(&(encoded.len() as u32).to_be_bytes());
    for bytes in encoded {
        out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
        out.extend_from_slice(bytes);
    }
    Frame::new(VERTICES, out)
}

fn put_ids(out: &mut Vec<u8>, ids: &[VertexId]) {
    out.extend_from_slice(&(ids.len() as u32).to_be_bytes());
    for id in ids {
        out.extend_from_slice(&id.0);
    }
}

fn ids(p: &[u8]) -> Result<Vec<VertexId>, Malformed> {
    let mut r = Reader(p);
    let count = r.u32()? as usize;
    if count > MAX_IDS {
        return Err(Malformed("too many ids"));
    }
    let body = r.take(count * 32)?;
    r.end()?;
    Ok(body
        .chunks_exact(32)
        .map(|c| VertexId(id_at(c, 0)))
        .collect())
}

fn u64_at(p: &[u8], at: usize) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&p[at..at + 8]);
    u64::from_be_bytes(b)
}

fn id_at(p: &[u8], at: usize) -> [u8; 32] {
    let mut b = [0u8; 32];
    b.copy_from_slice(&p[at..at + 32]);
    b
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], Malformed> {
        if self.0.len() < n {
            return Err(Malformed("truncated"));
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }
    fn u32(&mut self) -> Result<u32, Malformed> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn end(&self) -> Result<(), Malformed> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(Malformed("trailing bytes"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cretoai_crypto::ml_dsa::{MlDsaLevel, SigningKey};
    use proptest::prelude::*;

    #[test]
    fn every_message_round_trips() {
        let key = SigningKey::generate(MlDsaLevel::MlDsa65).unwrap();
        let limits = Limits::default();
        let v = Vertex::sign(&key, 0, 1, vec![], vec![], &limits).unwrap();
        let id = v.id();
        let messages = [
            Message::Vertex(v.clone()),
            Message::Query {
                request_id: 9,
                vertex: id,
            },
            Message::Chits {
                request_id: 9,
                preferred: true,
            },
            Message::Fetch(vec![id, id]),
            Message::Frontier(vec![id]),
            Message::Vertices(vec![v.clone(), v.clone()]),
        ];
        for m in messages {
            let back = Message::from_frame(&m.to_frame(), &limits).unwrap();
            assert_eq!(format!("{back:?}"), format!("{m:?}"));
        }
        let raw = vertices_frame(&[v.encode(), v.encode()]);
        let expected = Message::Vertices(vec![v.clone(), v.clone()]).to_frame();
        assert_eq!(raw.payload, expected.payload);
        assert_eq!(raw.kind, expected.kind);
        assert_eq!(
            vertex_frame(&v).payload,
            Message::Vertex(v).to_frame().payload
        );
        let lying = Frame::new(FETCH, u32::MAX.to_be_bytes().to_vec());
        assert!(Message::from_frame(&lying, &limits).is_err());
    }

    proptest! {
        #[test]
        fn arbitrary_payloads_never_panic(kind in 0u8..10, payload in proptest::collection::vec(any::<u8>(), 0..256)) {
            let _ = Message::from_frame(&Frame::new(FrameKind(kind), payload), &Limits::default());
        }
    }
}
