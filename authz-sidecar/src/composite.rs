//! Composite ML-DSA-65 + Ed25519 (id-MLDSA65-Ed25519-SHA512), following the
//! message construction of draft-ietf-lamps-pq-composite-sigs-19 exactly:
//!
//! ```text
//! M'       = Prefix || Label || len(ctx) || ctx || SHA-512(M)
//! mldsaSig = ML-DSA-65.Sign(mldsaSK, M', ctx = Label)
//! tradSig  = Ed25519.Sign(tradSK, M')
//! s        = mldsaSig || tradSig          (3309 + 64 bytes)
//! pk       = mldsaPK  || tradPK           (1952 + 32 bytes)
//! ```
//!
//! JWS uses the empty application context, so `len(ctx)` is the single byte 0.

use aws_lc_rs::digest;

/// The fixed prefix: ASCII "CompositeAlgorithmSignatures2025".
pub const PREFIX: &[u8; 32] = b"CompositeAlgorithmSignatures2025";
/// The per-algorithm label (domain separator) of id-MLDSA65-Ed25519-SHA512.
pub const LABEL: &[u8] = b"COMPSIG-MLDSA65-Ed25519-SHA512";
/// ML-DSA-65 signature length.
pub const MLDSA_SIG_LEN: usize = 3309;
/// ML-DSA-65 public key length.
pub const MLDSA_PK_LEN: usize = 1952;
/// Ed25519 signature length.
pub const ED25519_SIG_LEN: usize = 64;
/// Ed25519 public key length.
pub const ED25519_PK_LEN: usize = 32;
/// Composite signature length.
pub const SIG_LEN: usize = MLDSA_SIG_LEN + ED25519_SIG_LEN;
/// Composite public key length.
pub const PK_LEN: usize = MLDSA_PK_LEN + ED25519_PK_LEN;

/// The message representative `M'` for message `msg` and application context `ctx`.
///
/// `ctx` longer than 255 bytes cannot be encoded and yields `None`.
pub fn message_representative(msg: &[u8], ctx: &[u8]) -> Option<Vec<u8>> {
    let ctx_len = u8::try_from(ctx.len()).ok()?;
    let ph = digest::digest(&digest::SHA512, msg);
    let mut m = Vec::with_capacity(PREFIX.len() + LABEL.len() + 1 + ctx.len() + 64);
    m.extend_from_slice(PREFIX);
    m.extend_from_slice(LABEL);
    m.push(ctx_len);
    m.extend_from_slice(ctx);
    m.extend_from_slice(ph.as_ref());
    Some(m)
}

/// Split a composite signature into its ML-DSA and Ed25519 halves.
pub fn split_signature(sig: &[u8]) -> Option<(&[u8], &[u8])> {
    (sig.len() == SIG_LEN).then(|| sig.split_at(MLDSA_SIG_LEN))
}

/// Split a composite public key into its ML-DSA and Ed25519 halves.
pub fn split_public_key(pk: &[u8]) -> Option<(&[u8], &[u8])> {
    (pk.len() == PK_LEN).then(|| pk.split_at(MLDSA_PK_LEN))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The draft's own sample (src/messageFormatSample_noctx.md) uses another
    /// label; rebuilding its layout with our label checks the byte order.
    #[test]
    fn representative_layout() {
        let msg = hex::decode("00010203040506070809").unwrap();
        let m = message_representative(&msg, b"").unwrap();
        assert_eq!(
            hex::encode(&m[..32]),
            "436f6d706f73697465416c676f726974686d5369676e61747572657332303235"
        );
        assert_eq!(&m[32..32 + LABEL.len()], LABEL);
        assert_eq!(m[32 + LABEL.len()], 0);
        // SHA-512(00..09) from the draft's sample.
        assert_eq!(
            hex::encode(&m[33 + LABEL.len()..]),
            "0f89ee1fcb7b0a4f7809d1267a029719004c5a5e5ec323a7c3523a20974f9a3f\
             202f56fadba4cd9e8d654ab9f2e96dc5c795ea176fa20ede8d854c342f903533"
        );
        let with_ctx = message_representative(&msg, b"ab").unwrap();
        assert_eq!(with_ctx[32 + LABEL.len()], 2);
        assert!(message_representative(&msg, &[0u8; 256]).is_none());
    }

    #[test]
    fn split_lengths() {
        assert!(split_signature(&[0u8; SIG_LEN - 1]).is_none());
        let (a, b) = split_signature(&[0u8; SIG_LEN]).unwrap();
        assert_eq!((a.len(), b.len()), (MLDSA_SIG_LEN, ED25519_SIG_LEN));
        assert!(split_public_key(&[0u8; PK_LEN]).is_some());
    }
}
