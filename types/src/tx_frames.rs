//! Transactions framed one after another: each one's canonical bytes after their length as a
//! 4-byte big-endian integer. The node's binary batch submissions and its journal's runs of
//! submitted transactions both use it.

use crate::error::{Error, Result};
use crate::transaction::Transaction;

/// Appends one framed transaction to `out`.
pub fn push(out: &mut Vec<u8>, tx: &Transaction) {
    out.extend_from_slice(&(tx.encoded_len() as u32).to_be_bytes());
    out.extend_from_slice(tx.as_bytes());
}

/// Frames transactions one after another.
pub fn encode<'a>(txs: impl IntoIterator<Item = &'a Transaction>) -> Vec<u8> {
    let mut out = Vec::new();
    for tx in txs {
        push(&mut out, tx);
    }
    out
}

/// The frames of `bytes`, in order, each still to be decoded. A frame whose length is cut
/// short, zero or longer than what remains ends the iteration with an error.
pub fn split(mut bytes: &[u8]) -> impl Iterator<Item = Result<&[u8]>> {
    std::iter::from_fn(move || {
        if bytes.is_empty() {
            return None;
        }
        let frame = bytes.split_first_chunk::<4>().and_then(|(len, rest)| {
            let len = u32::from_be_bytes(*len) as usize;
            (len > 0 && len <= rest.len()).then(|| rest.split_at(len))
        });
        let Some((frame, rest)) = frame else {
            bytes = &[];
            return Some(Err(Error::Truncated("transaction frame")));
        };
        bytes = rest;
        Some(Ok(frame))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Limits;
    use cretoai_crypto::ml_dsa::{MlDsaLevel, SigningKey};

    #[test]
    fn frames_split_back_into_the_transactions_and_cut_ones_are_errors() {
        let key = SigningKey::generate(MlDsaLevel::MlDsa44).unwrap();
        let txs: Vec<_> = (0..3u8)
            .map(|i| Transaction::sign(&key, i.into(), vec![i; 5], &Limits::default()).unwrap())
            .collect();
        let bytes = encode(&txs);
        let frames: Vec<&[u8]> = split(&bytes).map(|f| f.unwrap()).collect();
        assert_eq!(frames, txs.iter().map(|t| t.as_bytes()).collect::<Vec<_>>());
        assert_eq!(split(&[]).count(), 0);
        for cut in [&bytes[..bytes.len() - 1], &bytes[..2], &[0, 0, 0, 0][..]] {
            let last = split(cut).last().unwrap();
            assert_eq!(last, Err(Error::Truncated("transaction frame")));
        }
        // After an error the iteration ends.
        assert_eq!(split(&bytes[..bytes.len() - 1]).count(), 3);
    }
}
