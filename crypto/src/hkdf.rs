//! HKDF-SHA-256 (RFC 5869), used to turn KEM shared secrets into AEAD keys.

use crate::{CryptoError, Result};
use aws_lc_rs::hkdf::{KeyType, Salt, HKDF_SHA256};

struct OutputLen(usize);

impl KeyType for OutputLen {
    fn len(&self) -> usize {
        self.0
    }
}

/// Derives `out.len()` bytes (at most 255 × 32) from `ikm`, `salt` and `info`.
pub fn derive(ikm: &[u8], salt: &[u8], info: &[u8], out: &mut [u8]) -> Result<()> {
    let prk = Salt::new(HKDF_SHA256, salt).extract(ikm);
    let info = [info];
    let okm = prk
        .expand(&info, OutputLen(out.len()))
        .map_err(|_| CryptoError::Malformed("HKDF output too long"))?;
    okm.fill(out).map_err(|_| CryptoError::Backend)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc5869_test_case_1() {
        let ikm = [0x0b; 22];
        let salt: Vec<u8> = (0x00..=0x0c).collect();
        let info: Vec<u8> = (0xf0..=0xf9).collect();
        let mut okm = [0u8; 42];
        derive(&ikm, &salt, &info, &mut okm).unwrap();
        let expected =
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865";
        let got: String = okm.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(got, expected);
    }

    #[test]
    fn refuses_overlong_output() {
        let mut out = vec![0u8; 255 * 32 + 1];
        assert!(derive(b"k", b"", b"", &mut out).is_err());
    }
}
