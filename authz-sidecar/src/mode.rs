//! The three phases of the upgrade path and what each signs and accepts.

use crate::algorithm::{Algorithm, Family};
use crate::error::SidecarError;
use crate::key_store::write_atomic;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::Path;
use std::str::FromStr;

/// The data-dir file holding the last mode switched to through the admin API.
pub const MODE_FILE: &str = "mode";

/// Upgrade phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Sign RS256 or EdDSA; accept only classical tokens (what engines do today).
    Classical,
    /// Sign the ML-DSA-65-Ed25519 composite; accept classical, PQC and composite.
    Hybrid,
    /// Sign ML-DSA; accept ML-DSA and composite, refuse classical-only tokens.
    Pqc,
}

impl Mode {
    /// All modes in upgrade order.
    pub const ALL: [Mode; 3] = [Mode::Classical, Mode::Hybrid, Mode::Pqc];

    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Classical => "classical",
            Mode::Hybrid => "hybrid",
            Mode::Pqc => "pqc",
        }
    }

    /// The algorithm new decisions are signed with in this mode.
    pub fn signing_alg(self, classical: Algorithm, pqc: Algorithm) -> Algorithm {
        match self {
            Mode::Classical => classical,
            Mode::Hybrid => Algorithm::MlDsa65Ed25519,
            Mode::Pqc => pqc,
        }
    }

    /// Whether a token signed with `alg` is accepted in this mode.
    pub fn accepts(self, alg: Algorithm) -> bool {
        match self {
            Mode::Classical => alg.family() == Family::Classical,
            Mode::Hybrid => true,
            Mode::Pqc => alg.family() != Family::Classical,
        }
    }

    /// The accepted algorithms, for display.
    pub fn accepted(self) -> Vec<Algorithm> {
        Algorithm::ALL
            .into_iter()
            .filter(|a| self.accepts(*a))
            .collect()
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Mode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Mode::ALL
            .into_iter()
            .find(|m| m.as_str() == s)
            .ok_or_else(|| format!("unknown mode {s:?} (classical, hybrid or pqc)"))
    }
}

/// The mode persisted in `data_dir`, or `None` when no switch was ever made.
///
/// Anything but one of the three names (plus a trailing newline) is an error,
/// never a fallback: a sidecar that silently came back in `classical` after an
/// operator moved it to `pqc` would start accepting classical-only tokens again.
pub fn load_persisted(data_dir: &Path) -> Result<Option<Mode>, SidecarError> {
    let path = data_dir.join(MODE_FILE);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(SidecarError::ModeStore(format!(
                "cannot read {}: {e}",
                path.display()
            )))
        }
    };
    let text = std::str::from_utf8(&bytes).unwrap_or_default();
    let name = text.strip_suffix('\n').unwrap_or(text);
    name.parse().map(Some).map_err(|_| {
        SidecarError::ModeStore(format!(
            "{} holds {:?}, not classical, hybrid or pqc; \
             write the intended mode into it or delete it to start in the configured mode",
            path.display(),
            String::from_utf8_lossy(&bytes[..bytes.len().min(64)])
        ))
    })
}

/// Durably record `mode` in `data_dir` (atomic replace, fsynced).
pub fn persist(data_dir: &Path, mode: Mode) -> Result<(), SidecarError> {
    write_atomic(&data_dir.join(MODE_FILE), format!("{mode}\n").as_bytes()).map_err(|e| {
        let detail = match e {
            SidecarError::KeyStore(m) => m,
            other => other.to_string(),
        };
        SidecarError::ModeStore(format!("cannot record mode {mode}: {detail}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acceptance_follows_the_upgrade_path() {
        assert!(Mode::Classical.accepts(Algorithm::Rs256));
        assert!(!Mode::Classical.accepts(Algorithm::MlDsa65));
        for alg in Algorithm::ALL {
            assert!(Mode::Hybrid.accepts(alg));
        }
        assert!(!Mode::Pqc.accepts(Algorithm::EdDsa));
        assert!(!Mode::Pqc.accepts(Algorithm::Ps256));
        assert!(Mode::Pqc.accepts(Algorithm::MlDsa65Ed25519));
        assert!(Mode::Pqc.accepts(Algorithm::MlDsa44));
        assert_eq!(
            Mode::Hybrid.signing_alg(Algorithm::Rs256, Algorithm::MlDsa65),
            Algorithm::MlDsa65Ed25519
        );
        assert_eq!("pqc".parse::<Mode>().unwrap(), Mode::Pqc);
    }

    #[test]
    fn persisted_mode_round_trips_and_garbage_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(load_persisted(dir.path()).unwrap(), None);
        for mode in Mode::ALL {
            persist(dir.path(), mode).unwrap();
            assert_eq!(load_persisted(dir.path()).unwrap(), Some(mode));
        }
        let path = dir.path().join(MODE_FILE);
        for bad in [
            &b""[..],
            b"quantum\n",
            b"PQC",
            b" pqc",
            b"pqc\n\n",
            b"\xff\xfe",
        ] {
            std::fs::write(&path, bad).unwrap();
            let e = load_persisted(dir.path()).unwrap_err();
            assert_eq!(e.code(), "mode_store_error", "{bad:?}");
            assert!(e.to_string().contains(&path.display().to_string()), "{e}");
        }
    }
}
