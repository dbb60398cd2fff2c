//! The running sidecar: config, keys, mode, engine and measurements, and the
//! operations the API performs on them.

use crate::algorithm::{Algorithm, Backend};
use crate::anchor::record::DecisionRecord;
use crate::anchor::{Anchor, AnchorReceipt};
use crate::claims::{self, DecisionClaims};
use crate::config::Config;
use crate::engine::{CheckRequest, Decision, Engine};
use crate::error::{Result, SidecarError};
use crate::jws;
use crate::key_ring::KeyRing;
use crate::key_store::{KeyStore, RootToken};
use crate::measurements::{Measurements, Sizes, Variant};
use crate::mode::{self, Mode};
use crate::verifier::{self, Verified};
use std::sync::{Mutex, RwLock};
use std::time::{Instant, SystemTime, UNIX_EPOCH};
use zeroize::Zeroizing;

/// Secrets that come from the environment rather than the config file.
#[derive(Default)]
pub struct Secrets {
    /// `CRETOAI_ROOT_TOKEN`.
    pub root_token: Option<String>,
    /// `CRETOAI_MASTER_KEY` (64 hex characters).
    pub master_key_hex: Option<String>,
}

impl Secrets {
    /// Read both from the process environment.
    pub fn from_env() -> Self {
        Secrets {
            root_token: std::env::var("CRETOAI_ROOT_TOKEN").ok(),
            master_key_hex: std::env::var("CRETOAI_MASTER_KEY").ok(),
        }
    }
}

/// A freshly signed decision.
pub struct Issued {
    /// The compact JWS.
    pub token: String,
    /// Its algorithm.
    pub alg: Algorithm,
    /// Its key id.
    pub kid: String,
    /// Signing time in µs.
    pub sign_us: f64,
}

/// Shared state behind every handler.
pub struct AppState {
    /// The configuration in force.
    pub config: Config,
    /// The policy engine.
    pub engine: Engine,
    /// Live measurements.
    pub stats: Measurements,
    /// Decision anchoring, when configured.
    pub anchor: Option<Anchor>,
    ring: RwLock<KeyRing>,
    store: KeyStore,
    mode: RwLock<Mode>,
    /// Serialises switches so the file and the in-memory mode agree, without
    /// holding `mode` (read on every check) during the fsyncs.
    mode_switch: Mutex<()>,
    root: RootToken,
    /// SHA-256 of each `authz:check` token, computed once: compared on every check.
    check_hashes: Vec<[u8; 32]>,
}

/// Seconds since the Unix epoch.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl AppState {
    /// Open the data dir, load or create keys and the root token. Returns the
    /// root token's plaintext when it was generated now (to print once).
    pub fn open(config: Config, secrets: Secrets) -> Result<(Self, Option<Zeroizing<String>>)> {
        config.validate()?;
        // Read before any key is generated: a corrupt mode file stops the
        // start at once, with nothing else created.
        let start_mode = mode::load_persisted(&config.data_dir)?.unwrap_or(config.mode);
        if start_mode != config.mode {
            // The configuration printed at start names the configured mode.
            tracing::warn!(
                persisted = %start_mode,
                configured = %config.mode,
                "starting in the mode last switched to through the admin API, not the configured one"
            );
        }
        let store = KeyStore::open(&config.data_dir, secrets.master_key_hex.as_deref())?;
        let ring = match store.load()? {
            Some(ring) => ring,
            None => {
                let ring = KeyRing::generate(config.rsa_bits, unix_now())?;
                store.save(&ring)?;
                ring
            }
        };
        let (root, printed) =
            RootToken::load_or_create(&config.data_dir, secrets.root_token.as_deref())?;
        let engine = Engine::from_config(&config.engine)?;
        let anchor = if config.anchor.active() {
            Some(Anchor::open(&config.anchor, &store)?)
        } else {
            None
        };
        let state = AppState {
            stats: Measurements::new(config.stats_window),
            anchor,
            mode: RwLock::new(start_mode),
            mode_switch: Mutex::new(()),
            engine,
            ring: RwLock::new(ring),
            store,
            root,
            check_hashes: config
                .checks
                .tokens
                .iter()
                .map(|t| cretoai_crypto::hash::sha256(t.expose().as_bytes()))
                .collect(),
            config,
        };
        Ok((state, printed))
    }

    /// The current mode.
    pub fn mode(&self) -> Mode {
        *self.mode.read().expect("mode lock")
    }

    /// Switch mode at runtime. The mode is recorded in the data dir first,
    /// so a switch that is answered survives a restart; if that write fails
    /// the mode in force does not change.
    pub fn set_mode(&self, mode: Mode) -> Result<()> {
        // The guard protects no data, so a poisoned lock is still usable.
        let _switching = self
            .mode_switch
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        mode::persist(&self.config.data_dir, mode)?;
        *self.mode.write().expect("mode lock") = mode;
        tracing::info!(%mode, "mode switched");
        Ok(())
    }

    /// The algorithm new decisions are signed with.
    pub fn signing_alg(&self) -> Algorithm {
        self.mode()
            .signing_alg(self.config.classical_alg, self.config.pqc_alg)
    }

    /// The backend that signs and verifies `alg` here.
    pub fn backend_for(&self, alg: Algorithm) -> Backend {
        if alg.has_rust_crypto_backend() {
            self.config.classical_backend
        } else {
            Backend::AwsLc
        }
    }

    /// A snapshot of the key ring.
    pub fn ring(&self) -> KeyRing {
        self.ring.read().expect("ring lock").clone()
    }

    /// Whether `presented` is the admin token.
    pub fn is_admin(&self, presented: &str) -> bool {
        self.root.matches(presented)
    }

    /// Whether a check may go ahead with this bearer token: always when checks are open
    /// (loopback by default), else with the root token or an `authz:check` token, compared
    /// in constant time.
    pub fn may_check(&self, presented: Option<&str>) -> bool {
        if !self.config.checks_need_token() {
            return true;
        }
        let Some(presented) = presented else {
            return false;
        };
        let hash = cretoai_crypto::hash::sha256(presented.as_bytes());
        let mut granted = self.is_admin(presented);
        for candidate in &self.check_hashes {
            granted |= bool::from(subtle::ConstantTimeEq::ct_eq(&candidate[..], &hash[..]));
        }
        granted
    }

    /// Claims for `decision` on `req`, valid from now for the configured TTL.
    pub fn claims_for(&self, req: &CheckRequest, decision: &Decision) -> DecisionClaims {
        let now = unix_now();
        DecisionClaims {
            iss: self.config.issuer.clone(),
            sub: req.principal.id.clone(),
            act: req.action.clone(),
            res: format!("{}:{}", req.resource.kind, req.resource.id),
            effect: decision.effect.clone(),
            policy: decision.policy.clone(),
            iat: now,
            nbf: now,
            exp: now + self.config.token_ttl_secs,
            jti: claims::new_jti(),
            req_hash: claims::request_hash(&req.engine_view()),
            meta_hash: Some(claims::request_hash(&decision.metadata)),
        }
    }

    /// Sign `claims` with the current mode's active key and record the cost.
    pub fn issue(&self, claims: &DecisionClaims) -> Result<Issued> {
        let alg = self.signing_alg();
        let key = self
            .ring
            .read()
            .expect("ring lock")
            .active(alg)
            .ok_or_else(|| SidecarError::KeyStore(format!("no active {alg} key")))?;
        let backend = self.backend_for(alg);
        let t = Instant::now();
        let token = jws::sign(&key.key, &key.kid, backend, &claims.to_value())?;
        let sign_us = t.elapsed().as_secs_f64() * 1e6;
        let sizes = Sizes {
            token: token.len(),
            signature: signature_len(&token),
            public_key: key.key.public_key().size(),
        };
        self.stats
            .record_sign(Variant { alg, backend }, sign_us, sizes);
        Ok(Issued {
            token,
            alg,
            kid: key.kid.clone(),
            sign_us,
        })
    }

    /// Anchor an issued decision in the cluster, when anchoring is on.
    pub async fn anchor_decision(
        &self,
        issued: &Issued,
        claims: &DecisionClaims,
    ) -> Option<AnchorReceipt> {
        let anchor = self.anchor.as_ref()?;
        let record =
            DecisionRecord::for_token(&issued.token, issued.alg.as_str(), &claims.iss, &claims.jti);
        Some(anchor.anchor(&record).await)
    }

    /// Verify `token` under the current mode's acceptance policy and record the cost.
    pub fn verify(&self, token: &str) -> Result<Verified> {
        let ring = self.ring();
        let policy = verifier::Policy {
            ring: &ring,
            mode: self.mode(),
            now: unix_now(),
            leeway: self.config.clock_leeway_secs,
            backend: self.config.classical_backend,
        };
        let t = Instant::now();
        let verified = verifier::verify(token, &policy)?;
        let us = t.elapsed().as_secs_f64() * 1e6;
        let backend = self.backend_for(verified.alg);
        self.stats.record_verify(
            Variant {
                alg: verified.alg,
                backend,
            },
            us,
        );
        Ok(verified)
    }

    /// Rotate the key of `alg` (or of every algorithm) and persist the ring
    /// before it takes effect. Returns the new kids.
    pub fn rotate(&self, alg: Option<Algorithm>) -> Result<Vec<(Algorithm, String)>> {
        let mut ring = self.ring.write().expect("ring lock");
        let mut next = ring.clone();
        let now = unix_now();
        let mut out = Vec::new();
        for a in alg.map_or_else(|| Algorithm::ALL.to_vec(), |a| vec![a]) {
            out.push((a, next.rotate(a, self.config.rsa_bits, now)?));
        }
        self.store.save(&next)?;
        *ring = next;
        tracing::info!(rotated = out.len(), "signing keys rotated");
        Ok(out)
    }
}

/// Decoded length of the token's signature part (unpadded base64url).
fn signature_len(token: &str) -> usize {
    token.rsplit('.').next().map_or(0, |s| s.len() * 3 / 4)
}
