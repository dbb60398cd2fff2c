//! The binary batch form of `POST /v1/consensus/transactions/batch`
//! (`Content-Type: application/octet-stream`): pre-signed transactions as canonical bytes, each
//! preceded by its length as a 4-byte big-endian integer.
//!
//! It exists for clients that submit at high rates: the JSON form costs the node a base64
//! decode and a JSON parse per transaction (1.9 % of the machine in a profile of a loaded
//! 3-node cluster, docs/benchmarks/history.md, cluster), and the client a third more bytes.

use crate::consensus::submission::SubmitError;
use crate::error::{NodeError, Result};
use cretoai_consensus::{tx_frames, Limits, Transaction};

/// Media type of the binary batch form.
pub const MEDIA_TYPE: &str = "application/octet-stream";

/// Pre-signed transactions in binary, one after another: each one's canonical bytes
/// (docs/formats-consensus.md) after their length as a 4-byte big-endian integer.
#[derive(utoipa::ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct TxFrames(pub Vec<u8>);

/// Splits a body into frames ([`tx_frames`]) and decodes each. The framing must be whole (a
/// cut or zero-length frame fails the request); a frame whose bytes are not a valid transaction
/// fails only its own item, as in the JSON form.
pub fn decode(body: &[u8], max_items: usize, limits: &Limits) -> Result<Vec<Result<Transaction>>> {
    let mut items = Vec::new();
    for (i, frame) in tx_frames::split(body).enumerate() {
        if i == max_items {
            return Err(too_many(max_items));
        }
        let frame = frame.map_err(|source| SubmitError::MalformedFrame {
            frame: i,
            source: source.into(),
        })?;
        items.push(Transaction::decode(frame, limits).map_err(|source| {
            SubmitError::InvalidItem {
                item: i,
                source: source.into(),
            }
            .into()
        }));
    }
    if items.is_empty() {
        return Err(too_many(max_items));
    }
    Ok(items)
}

fn too_many(max_items: usize) -> NodeError {
    NodeError::InvalidRequest(format!("a batch holds 1 to {max_items} items"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use cretoai_consensus::tx_frames::encode;
    use cretoai_crypto::ml_dsa::{MlDsaLevel, SigningKey};

    fn txs(n: u64) -> Vec<Transaction> {
        let key = SigningKey::generate(MlDsaLevel::MlDsa44).unwrap();
        (0..n)
            .map(|i| Transaction::sign(&key, i, vec![i as u8; 3], &Limits::default()).unwrap())
            .collect()
    }

    #[test]
    fn frames_round_trip_and_bad_ones_are_refused() {
        let limits = Limits::default();
        let sent = txs(3);
        let body = encode(&sent);
        let got = decode(&body, 3, &limits).unwrap();
        let ids: Vec<_> = got.iter().map(|t| t.as_ref().unwrap().id()).collect();
        assert_eq!(ids, sent.iter().map(Transaction::id).collect::<Vec<_>>());

        // One item's bytes are not a transaction: only that item fails.
        let mut body = encode(&sent[..1]);
        body.extend_from_slice(&[0, 0, 0, 2, 9, 9]);
        let got = decode(&body, 3, &limits).unwrap();
        assert!(got[0].is_ok());
        let err = got[1].as_ref().unwrap_err().to_string();
        assert!(err.contains("item 1: invalid transaction"), "{err}");

        // Broken framing fails the whole request, with the frame named.
        let whole = encode(&sent);
        for (bad, why) in [
            (&whole[..whole.len() - 1], "frame 2"),
            (&whole[..2], "frame 0"),
            (&[0u8, 0, 0, 0][..], "frame 0"),
        ] {
            let err = decode(bad, 3, &limits).unwrap_err();
            assert!(
                matches!(
                    err,
                    NodeError::Submission(SubmitError::MalformedFrame { .. })
                ),
                "{err}"
            );
            assert!(err.to_string().contains(why), "{err}");
        }
        // Empty and oversized batches.
        assert!(decode(&[], 3, &limits).is_err());
        let err = decode(&whole, 2, &limits).unwrap_err().to_string();
        assert!(err.contains("1 to 2 items"), "{err}");
    }
}
