//! The three phases of the upgrade path and what each signs and accepts.

use crate::algorithm::{Algorithm, Family};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

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
}
