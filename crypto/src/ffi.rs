//! The one place that calls aws-lc directly.
//!
//! aws-lc-rs exposes ML-DSA and ML-KEM, but (as of 1.19) not the FIPS 204 context string nor
//! seeded ML-KEM key generation; aws-lc itself has both. Everything `unsafe` in the crate lives
//! here, behind owned handles that free themselves.

use crate::{CryptoError, Result};
use aws_lc_sys as sys;
use std::ptr::{self, NonNull};
use zeroize::Zeroizing;

/// An owned `EVP_PKEY`.
pub(crate) struct Pkey(NonNull<sys::EVP_PKEY>);

// SAFETY: an EVP_PKEY is reference counted and never mutated after construction here; aws-lc
// allows concurrent signing, verification and decapsulation with the same key from many threads.
unsafe impl Send for Pkey {}
// SAFETY: as for `Send` above: shared use from many threads only reads the key.
unsafe impl Sync for Pkey {}

impl Drop for Pkey {
    fn drop(&mut self) {
        // SAFETY: we own one reference, created by an aws-lc constructor.
        unsafe { sys::EVP_PKEY_free(self.0.as_ptr()) }
    }
}

/// An owned `EVP_MD_CTX`, used for one sign or verify call.
struct MdCtx(NonNull<sys::EVP_MD_CTX>);

impl MdCtx {
    fn new() -> Result<Self> {
        // SAFETY: plain allocation; null is handled.
        NonNull::new(unsafe { sys::EVP_MD_CTX_new() })
            .map(Self)
            .ok_or(CryptoError::Backend)
    }
}

impl Drop for MdCtx {
    fn drop(&mut self) {
        // SAFETY: allocated by EVP_MD_CTX_new and freed once.
        unsafe { sys::EVP_MD_CTX_free(self.0.as_ptr()) }
    }
}

/// An owned `EVP_PKEY_CTX`, used for key generation.
struct PkeyCtx(NonNull<sys::EVP_PKEY_CTX>);

impl Drop for PkeyCtx {
    fn drop(&mut self) {
        // SAFETY: allocated by EVP_PKEY_CTX_new_id and freed once.
        unsafe { sys::EVP_PKEY_CTX_free(self.0.as_ptr()) }
    }
}

/// aws-lc's numeric ids of the ML-DSA parameter sets.
pub(crate) const NID_ML_DSA_44: i32 = sys::NID_MLDSA44;
pub(crate) const NID_ML_DSA_65: i32 = sys::NID_MLDSA65;
pub(crate) const NID_ML_DSA_87: i32 = sys::NID_MLDSA87;

impl Pkey {
    fn from_ptr(ptr: *mut sys::EVP_PKEY, what: &'static str) -> Result<Self> {
        NonNull::new(ptr)
            .map(Self)
            .ok_or(CryptoError::InvalidKey(what))
    }

    /// An ML-DSA private key from its 32-byte FIPS 204 seed.
    pub(crate) fn ml_dsa_from_seed(nid: i32, seed: &[u8]) -> Result<Self> {
        crate::init();
        // SAFETY: pointer and length describe a live slice; aws-lc copies what it needs.
        let ptr =
            unsafe { sys::EVP_PKEY_pqdsa_new_raw_private_key(nid, seed.as_ptr(), seed.len()) };
        Self::from_ptr(ptr, "ML-DSA seed must be 32 bytes")
    }

    /// An ML-DSA public key from its FIPS 204 encoding.
    pub(crate) fn ml_dsa_public(nid: i32, bytes: &[u8]) -> Result<Self> {
        crate::init();
        // SAFETY: as above.
        let ptr =
            unsafe { sys::EVP_PKEY_pqdsa_new_raw_public_key(nid, bytes.as_ptr(), bytes.len()) };
        Self::from_ptr(ptr, "not an ML-DSA public key of this parameter set")
    }

    /// An ML-KEM-768 key pair from its 64-byte seed `d || z` (FIPS 203 ML-KEM.KeyGen_internal).
    pub(crate) fn ml_kem_768_from_seed(seed: &[u8]) -> Result<Self> {
        crate::init();
        if seed.len() != 64 {
            return Err(CryptoError::InvalidKey("ML-KEM seed must be 64 bytes"));
        }
        // SAFETY: each call's pointers are live; every return code is checked; ctx is freed by Drop.
        unsafe {
            let ctx = NonNull::new(sys::EVP_PKEY_CTX_new_id(sys::EVP_PKEY_KEM, ptr::null_mut()))
                .map(PkeyCtx)
                .ok_or(CryptoError::Backend)?;
            if sys::EVP_PKEY_CTX_kem_set_params(ctx.0.as_ptr(), sys::NID_MLKEM768) != 1
                || sys::EVP_PKEY_keygen_init(ctx.0.as_ptr()) != 1
            {
                return Err(CryptoError::Backend);
            }
            let mut out: *mut sys::EVP_PKEY = ptr::null_mut();
            let mut seed_len = seed.len();
            if sys::EVP_PKEY_keygen_deterministic(
                ctx.0.as_ptr(),
                &mut out,
                seed.as_ptr(),
                &mut seed_len,
            ) != 1
            {
                return Err(CryptoError::Backend);
            }
            Self::from_ptr(out, "ML-KEM key generation failed")
        }
    }

    /// The raw public key (`len` bytes expected).
    pub(crate) fn raw_public_key(&self, len: usize) -> Result<Vec<u8>> {
        let mut out = vec![0u8; len];
        let mut out_len = len;
        // SAFETY: `out` has room for `out_len` bytes.
        let ok = unsafe {
            sys::EVP_PKEY_get_raw_public_key(self.0.as_ptr(), out.as_mut_ptr(), &mut out_len)
        };
        if ok != 1 || out_len != len {
            return Err(CryptoError::Backend);
        }
        Ok(out)
    }

    /// The raw (expanded) private key (`len` bytes expected), wiped when dropped.
    pub(crate) fn raw_private_key(&self, len: usize) -> Result<Zeroizing<Vec<u8>>> {
        let mut out = Zeroizing::new(vec![0u8; len]);
        let mut out_len = len;
        // SAFETY: `out` has room for `out_len` bytes.
        let ok = unsafe {
            sys::EVP_PKEY_get_raw_private_key(self.0.as_ptr(), out.as_mut_ptr(), &mut out_len)
        };
        if ok != 1 || out_len != len {
            return Err(CryptoError::Backend);
        }
        Ok(out)
    }

    /// Pure ML-DSA signature (FIPS 204 Algorithm 2, hedged) of `msg` with context `context`.
    pub(crate) fn ml_dsa_sign(
        &self,
        msg: &[u8],
        context: &[u8],
        sig_len: usize,
    ) -> Result<Vec<u8>> {
        let md = MdCtx::new()?;
        let mut sig = vec![0u8; sig_len];
        let mut out_len = sig_len;
        // SAFETY: all pointers are live for the call; `sig` has room for `out_len` bytes.
        unsafe {
            let mut pctx: *mut sys::EVP_PKEY_CTX = ptr::null_mut();
            if sys::EVP_DigestSignInit(
                md.0.as_ptr(),
                &mut pctx,
                ptr::null(),
                ptr::null_mut(),
                self.0.as_ptr(),
            ) != 1
            {
                return Err(CryptoError::Backend);
            }
            set_context(pctx, context)?;
            if sys::EVP_DigestSign(
                md.0.as_ptr(),
                sig.as_mut_ptr(),
                &mut out_len,
                msg.as_ptr(),
                msg.len(),
            ) != 1
            {
                return Err(CryptoError::Backend);
            }
        }
        sig.truncate(out_len);
        Ok(sig)
    }

    /// Verifies a pure ML-DSA signature with context `context`.
    pub(crate) fn ml_dsa_verify(&self, msg: &[u8], context: &[u8], sig: &[u8]) -> Result<()> {
        let md = MdCtx::new()?;
        // SAFETY: all pointers are live for the call.
        unsafe {
            let mut pctx: *mut sys::EVP_PKEY_CTX = ptr::null_mut();
            if sys::EVP_DigestVerifyInit(
                md.0.as_ptr(),
                &mut pctx,
                ptr::null(),
                ptr::null_mut(),
                self.0.as_ptr(),
            ) != 1
            {
                return Err(CryptoError::Backend);
            }
            set_context(pctx, context)?;
            if sys::EVP_DigestVerify(
                md.0.as_ptr(),
                sig.as_ptr(),
                sig.len(),
                msg.as_ptr(),
                msg.len(),
            ) != 1
            {
                sys::ERR_clear_error();
                return Err(CryptoError::BadSignature);
            }
        }
        Ok(())
    }

    /// Verifies an ML-DSA signature given FIPS 204's message representative `mu` (computed by
    /// the caller: "ExternalMu"), so the public-key hash inside it can be computed once per key.
    pub(crate) fn ml_dsa_verify_mu(&self, mu: &[u8; 64], sig: &[u8]) -> Result<()> {
        // SAFETY: the context is created from our live key and freed by Drop; all pointers are
        // live for the calls; every return code is checked.
        unsafe {
            let ctx = NonNull::new(sys::EVP_PKEY_CTX_new(self.0.as_ptr(), ptr::null_mut()))
                .map(PkeyCtx)
                .ok_or(CryptoError::Backend)?;
            if sys::EVP_PKEY_verify_init(ctx.0.as_ptr()) != 1 {
                return Err(CryptoError::Backend);
            }
            if sys::EVP_PKEY_verify(
                ctx.0.as_ptr(),
                sig.as_ptr(),
                sig.len(),
                mu.as_ptr(),
                mu.len(),
            ) != 1
            {
                sys::ERR_clear_error();
                return Err(CryptoError::BadSignature);
            }
        }
        Ok(())
    }
}

/// SHAKE256 of the concatenation of `parts`, `out.len()` bytes of output.
pub(crate) fn shake256(parts: &[&[u8]], out: &mut [u8]) -> Result<()> {
    let mut h = Shake256::new()?;
    for part in parts {
        h.update(part)?;
    }
    h.finish(out)
}

/// An incremental SHAKE256 whose absorbed state can be forked: a prefix shared by many inputs
/// is absorbed once, and each input continues from a copy.
pub(crate) struct Shake256(MdCtx);

// SAFETY: the context is only mutated through `&mut self`; `fork` reads it through `&self`
// (EVP_MD_CTX_copy_ex takes its source as const), so shared references may cross threads.
unsafe impl Send for Shake256 {}
// SAFETY: as for `Send` above: through `&self` the context is only read.
unsafe impl Sync for Shake256 {}

impl Shake256 {
    /// An empty SHAKE256 state.
    pub(crate) fn new() -> Result<Self> {
        crate::init();
        let md = MdCtx::new()?;
        // SAFETY: the context is live.
        if unsafe { sys::EVP_DigestInit_ex(md.0.as_ptr(), sys::EVP_shake256(), ptr::null_mut()) }
            != 1
        {
            return Err(CryptoError::Backend);
        }
        Ok(Shake256(md))
    }

    /// Absorbs `data`.
    pub(crate) fn update(&mut self, data: &[u8]) -> Result<()> {
        // SAFETY: the context is live; the pointer/length pair describes a live slice.
        if unsafe { sys::EVP_DigestUpdate(self.0 .0.as_ptr(), data.as_ptr().cast(), data.len()) }
            != 1
        {
            return Err(CryptoError::Backend);
        }
        Ok(())
    }

    /// A copy of the state absorbed so far.
    pub(crate) fn fork(&self) -> Result<Self> {
        let copy = MdCtx::new()?;
        // SAFETY: both contexts are live; the source is only read.
        if unsafe { sys::EVP_MD_CTX_copy_ex(copy.0.as_ptr(), self.0 .0.as_ptr()) } != 1 {
            return Err(CryptoError::Backend);
        }
        Ok(Shake256(copy))
    }

    /// Squeezes `out.len()` bytes of output, ending this state.
    pub(crate) fn finish(self, out: &mut [u8]) -> Result<()> {
        // SAFETY: the context is live; `out` is a live, writable slice.
        if unsafe { sys::EVP_DigestFinalXOF(self.0 .0.as_ptr(), out.as_mut_ptr(), out.len()) } != 1
        {
            return Err(CryptoError::Backend);
        }
        Ok(())
    }
}

/// Sets the FIPS 204 context string; an empty context needs no call.
///
/// # Safety
/// `pctx` must be the live context returned by a DigestSign/DigestVerify init.
unsafe fn set_context(pctx: *mut sys::EVP_PKEY_CTX, context: &[u8]) -> Result<()> {
    if context.len() > crate::ml_dsa::MAX_CONTEXT_LEN {
        return Err(CryptoError::ContextTooLong);
    }
    if !context.is_empty()
        && sys::EVP_PKEY_CTX_set1_signature_context_string(pctx, context.as_ptr(), context.len())
            != 1
    {
        return Err(CryptoError::Backend);
    }
    Ok(())
}
