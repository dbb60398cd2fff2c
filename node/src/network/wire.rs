//! Consensus messages inside transport frames. The codec is the core's
//! ([`cretoai_consensus::wire`]): here its bytes only go into a frame whose kind byte it names,
//! and the node's own kinds (`HELLO`, cluster status) are declared, outside the core's range.
//! See docs/cluster.md, "Wire messages".

use cretoai_consensus::wire::{self, Malformed, Message};
use cretoai_consensus::{Limits, Vertex};
use cretoai_network::{Frame, FrameKind};

/// Request: "send me your public key"; the reply carries it (checked against the pinned id).
pub const HELLO: FrameKind = FrameKind(1);
/// A node's status summary for the cluster view (not a consensus message; see
/// [`crate::cluster::gossip`]).
pub const CLUSTER_STATUS: FrameKind = FrameKind(8);

/// The frame carrying a consensus message.
pub fn to_frame(message: &Message) -> Frame {
    Frame::new(FrameKind(message.kind()), message.encode())
}

/// The consensus message in a frame; other kinds and bad payloads are [`Malformed`].
pub fn from_frame(frame: &Frame, limits: &Limits) -> Result<Message, Malformed> {
    Message::decode(frame.kind.0, &frame.payload, limits)
}

/// A vertex frame straight from a vertex, without wrapping it in a [`Message`] first.
pub fn vertex_frame(v: &Vertex) -> Frame {
    Frame::new(FrameKind(wire::VERTEX), v.encode())
}

/// A vertices frame from canonical vertex encodings as the store holds them.
pub fn vertices_frame(encoded: &[Vec<u8>]) -> Frame {
    Frame::new(FrameKind(wire::VERTICES), wire::vertices_payload(encoded))
}

#[cfg(test)]
mod tests {
    use super::*;
    use cretoai_crypto::ml_dsa::{MlDsaLevel, SigningKey};
    use std::sync::Arc;

    #[test]
    fn the_node_kinds_are_outside_the_core_range() {
        for kind in [HELLO, CLUSTER_STATUS] {
            assert!(!wire::KINDS.contains(&kind.0));
            let frame = Frame::new(kind, Vec::new());
            assert!(from_frame(&frame, &Limits::default()).is_err());
        }
    }

    #[test]
    fn frames_carry_the_core_codec_bytes() {
        let key = SigningKey::from_seed(MlDsaLevel::MlDsa65, &[5; 32]).unwrap();
        let limits = Limits::default();
        let v = Arc::new(Vertex::sign(&key, 0, 1, vec![], vec![], &limits).unwrap());
        let one = Message::Vertex(v.clone());
        assert_eq!(vertex_frame(&v), to_frame(&one));
        let many = Message::Vertices(vec![v.clone(), v.clone()]);
        assert_eq!(vertices_frame(&[v.encode(), v.encode()]), to_frame(&many));
        let back = from_frame(&to_frame(&many), &limits).unwrap();
        assert_eq!(format!("{back:?}"), format!("{many:?}"));
    }
}
