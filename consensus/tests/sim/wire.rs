//! Messages on the simulated wire: the real codec's bytes, decoded at delivery.

use super::{Msg, Sim};
use std::sync::Arc;

/// A message on the simulated wire.
#[derive(Debug, Clone)]
pub(super) enum Wire {
    /// Its kind byte and payload, as the codec wrote them.
    Bytes { kind: u8, bytes: Arc<[u8]> },
    /// The message itself, when [`Sim::codec`] is off.
    Message(Msg),
}

impl Wire {
    /// What goes on the wire for `msg`: its bytes if `codec`, else the message.
    pub(super) fn of(msg: Msg, codec: bool) -> Self {
        if codec {
            Wire::Bytes {
                kind: msg.kind(),
                bytes: msg.encode().into(),
            }
        } else {
            Wire::Message(msg)
        }
    }
}

impl Sim {
    /// Sends raw bytes as a message of `kind`, as a peer with a broken (or hostile) encoder
    /// would.
    pub fn send_bytes(&mut self, from: usize, to: usize, kind: u8, bytes: Vec<u8>) {
        let wire = Wire::Bytes {
            kind,
            bytes: bytes.into(),
        };
        self.transmit(from, to, wire);
    }

    /// The message as the receiver's codec reads it from the wire. A message that does not
    /// decode, or does not encode back to the same bytes, is a codec bug: a violation, and not
    /// delivered.
    pub(super) fn receive(&mut self, from: usize, wire: Wire) -> Option<Msg> {
        let (kind, bytes) = match wire {
            Wire::Message(msg) => return Some(msg),
            Wire::Bytes { kind, bytes } => (kind, bytes),
        };
        match Msg::decode(kind, &bytes, &self.config.params.limits) {
            Ok(msg) if msg.kind() == kind && msg.encode()[..] == bytes[..] => Some(msg),
            Ok(msg) => {
                self.violations.push(format!(
                    "codec: a kind {kind} message from node {from} re-encodes differently: {msg:?}"
                ));
                None
            }
            Err(e) => {
                self.violations.push(format!(
                    "codec: a kind {kind} message from node {from} does not decode: {e:?}"
                ));
                None
            }
        }
    }
}
