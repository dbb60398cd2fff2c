//! The messages consensus peers send each other, and their bytes.
//!
//! The codec sits here, beside the events and actions it carries, rather than in the node or
//! in `cretoai-types`: only consensus peers speak it, it carries the core's vertices, and here it
//! stays pure (bytes in, bytes out) and is exercised by the simulator, which passes every
//! message it delivers through [`Message::encode`] and [`Message::decode`]. The node puts the
//! bytes in a transport frame whose kind byte is [`Message::kind`]; kinds outside [`KINDS`]
//! (the node's `HELLO` request and its cluster status) are the node's own.
//!
//! Payloads use the canonical vertex encoding and fixed-width big-endian integers (table in
//! `docs/cluster.md`, "Wire messages"). Decoding bounds every count before allocating and never
//! panics.

use crate::vertex::{Vertex, VertexId};
use cretoai_types::encoding::{Reader, Writer};
use cretoai_types::Limits;
use std::ops::RangeInclusive;
use std::sync::Arc;

/// Kind of a vertex broadcast by its author.
pub const VERTEX: u8 = 2;
/// Kind of a query.
pub const QUERY: u8 = 3;
/// Kind of an answer to a query.
pub const CHITS: u8 = 4;
/// Kind of a request for vertices by id.
pub const FETCH: u8 = 5;
/// Kind of vertices sent in answer to a fetch.
pub const VERTICES: u8 = 6;
/// Kind of a peer's DAG tips.
pub const FRONTIER: u8 = 7;
/// Every kind this codec owns.
pub const KINDS: RangeInclusive<u8> = VERTEX..=FRONTIER;

/// Most vertex ids in one fetch or frontier message, and most vertices in one answer.
pub const MAX_IDS: usize = 4096;

/// A consensus message between two nodes.
#[derive(Debug, Clone)]
pub enum Message {
    /// A vertex, broadcast by its author.
    Vertex(Arc<Vertex>),
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
    Vertices(Vec<Arc<Vertex>>),
    /// The sender's DAG tips.
    Frontier(Vec<VertexId>),
}

/// Why a payload was refused (for logs; the sender gets no answer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Malformed(pub &'static str);

impl Message {
    /// The kind byte of this message's frame.
    pub fn kind(&self) -> u8 {
        match self {
            Message::Vertex(_) => VERTEX,
            Message::Query { .. } => QUERY,
            Message::Chits { .. } => CHITS,
            Message::Fetch(_) => FETCH,
            Message::Vertices(_) => VERTICES,
            Message::Frontier(_) => FRONTIER,
        }
    }

    /// The payload bytes of this message.
    pub fn encode(&self) -> Vec<u8> {
        match self {
            Message::Vertex(v) => v.encode(),
            Message::Vertices(vs) => {
                let encoded: Vec<Vec<u8>> = vs.iter().map(|v| v.encode()).collect();
                vertices_payload(&encoded)
            }
            Message::Query { request_id, vertex } => {
                let mut w = Writer::with_capacity(40);
                w.u64(*request_id);
                w.raw(&vertex.0);
                w.buf
            }
            Message::Chits {
                request_id,
                preferred,
            } => {
                let mut w = Writer::with_capacity(9);
                w.u64(*request_id);
                w.u8(u8::from(*preferred));
                w.buf
            }
            Message::Fetch(ids) | Message::Frontier(ids) => ids_payload(ids),
        }
    }

    /// Parses the payload of a frame of `kind`; unknown kinds and bad payloads are
    /// [`Malformed`].
    pub fn decode(kind: u8, payload: &[u8], limits: &Limits) -> Result<Self, Malformed> {
        let vertex = |bytes: &[u8]| {
            Vertex::decode(bytes, limits)
                .map(Arc::new)
                .map_err(|_| Malformed("vertex"))
        };
        let p = payload;
        match kind {
            VERTEX => Ok(Message::Vertex(vertex(p)?)),
            QUERY if p.len() == 40 => {
                let mut r = Reader::new(p);
                Ok(Message::Query {
                    request_id: r.u64("request id").map_err(malformed)?,
                    vertex: VertexId(r.array("vertex id").map_err(malformed)?),
                })
            }
            CHITS if p.len() == 9 && p[8] <= 1 => {
                let mut r = Reader::new(p);
                Ok(Message::Chits {
                    request_id: r.u64("request id").map_err(malformed)?,
                    preferred: p[8] == 1,
                })
            }
            FETCH => Ok(Message::Fetch(ids(p)?)),
            FRONTIER => Ok(Message::Frontier(ids(p)?)),
            VERTICES => {
                let mut r = Reader::new(p);
                let count = r.u32("count").map_err(malformed)? as usize;
                if count > MAX_IDS {
                    return Err(Malformed("too many vertices"));
                }
                let mut out = Vec::with_capacity(count.min(64));
                for _ in 0..count {
                    let len = r.u32("length").map_err(malformed)? as usize;
                    out.push(vertex(r.take(len, "vertex").map_err(malformed)?)?);
                }
                r.finish().map_err(malformed)?;
                Ok(Message::Vertices(out))
            }
            _ => Err(Malformed("unknown kind or bad length")),
        }
    }
}

/// The payload of a [`VERTICES`] message from canonical vertex encodings as a store holds them
/// (answering a fetch needs neither a decode nor an encode).
pub fn vertices_payload(encoded: &[Vec<u8>]) -> Vec<u8> {
    let size = 4 + encoded.iter().map(|b| b.len() + 4).sum::<usize>();
    let mut w = Writer::with_capacity(size);
    w.u32(encoded.len() as u32);
    for bytes in encoded {
        w.bytes32(bytes);
    }
    w.buf
}

fn ids_payload(ids: &[VertexId]) -> Vec<u8> {
    let mut w = Writer::with_capacity(4 + 32 * ids.len());
    w.u32(ids.len() as u32);
    for id in ids {
        w.raw(&id.0);
    }
    w.buf
}

fn ids(p: &[u8]) -> Result<Vec<VertexId>, Malformed> {
    let mut r = Reader::new(p);
    let count = r.u32("count").map_err(malformed)? as usize;
    if count > MAX_IDS {
        return Err(Malformed("too many ids"));
    }
    let body = r.take(count * 32, "ids").map_err(malformed)?;
    r.finish().map_err(malformed)?;
    Ok(body
        .chunks_exact(32)
        .map(|c| {
            let mut id = [0u8; 32];
            id.copy_from_slice(c);
            VertexId(id)
        })
        .collect())
}

/// The reason logged for a payload the reader refused.
fn malformed(e: cretoai_types::Error) -> Malformed {
    match e {
        cretoai_types::Error::TrailingBytes(_) => Malformed("trailing bytes"),
        _ => Malformed("truncated"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cretoai_crypto::ml_dsa::{MlDsaLevel, SigningKey};
    use proptest::prelude::*;

    #[test]
    fn every_message_round_trips() {
        let key = SigningKey::from_seed(MlDsaLevel::MlDsa65, &[3; 32]).unwrap();
        let limits = Limits::default();
        let v = Arc::new(Vertex::sign(&key, 0, 1, vec![], vec![], &limits).unwrap());
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
            let bytes = m.encode();
            let back = Message::decode(m.kind(), &bytes, &limits).unwrap();
            assert_eq!(format!("{back:?}"), format!("{m:?}"));
            assert_eq!(back.encode(), bytes, "the encoding is canonical");
        }
        assert_eq!(
            vertices_payload(&[v.encode(), v.encode()]),
            Message::Vertices(vec![v.clone(), v.clone()]).encode()
        );
        assert_eq!(Message::Vertex(v.clone()).encode(), v.encode());
    }

    #[test]
    fn payloads_have_the_documented_layout() {
        let query = Message::Query {
            request_id: 0x0102,
            vertex: VertexId([7; 32]),
        };
        let mut expected = vec![0, 0, 0, 0, 0, 0, 1, 2];
        expected.extend_from_slice(&[7; 32]);
        assert_eq!(query.encode(), expected);
        let chits = Message::Chits {
            request_id: 1,
            preferred: false,
        };
        assert_eq!(chits.encode(), vec![0, 0, 0, 0, 0, 0, 0, 1, 0]);
        let fetch = Message::Fetch(vec![VertexId([1; 32])]);
        assert_eq!(&fetch.encode()[..4], &[0, 0, 0, 1]);
        assert_eq!(fetch.encode().len(), 36);
    }

    #[test]
    fn malformed_payloads_are_refused() {
        let limits = Limits::default();
        let lying = u32::MAX.to_be_bytes();
        assert_eq!(
            Message::decode(FETCH, &lying, &limits).err(),
            Some(Malformed("too many ids"))
        );
        let mut cut = vec![0, 0, 0, 2];
        cut.extend_from_slice(&[1; 32]);
        assert_eq!(
            Message::decode(FRONTIER, &cut, &limits).err(),
            Some(Malformed("truncated"))
        );
        let trailing = [0, 0, 0, 0, 0];
        assert_eq!(
            Message::decode(FETCH, &trailing, &limits).err(),
            Some(Malformed("trailing bytes"))
        );
        assert!(Message::decode(CHITS, &[0, 0, 0, 0, 0, 0, 0, 1, 2], &limits).is_err());
        assert!(Message::decode(QUERY, &[0; 39], &limits).is_err());
        assert!(Message::decode(VERTEX, &[1, 2, 3], &limits).is_err());
        for kind in [0, 1, 8, 255] {
            assert!(!KINDS.contains(&kind));
            assert_eq!(
                Message::decode(kind, &[], &limits).err(),
                Some(Malformed("unknown kind or bad length"))
            );
        }
    }

    proptest! {
        #[test]
        fn arbitrary_payloads_never_panic(kind in 0u8..10, payload in proptest::collection::vec(any::<u8>(), 0..256)) {
            let _ = Message::decode(kind, &payload, &Limits::default());
        }
    }
}
