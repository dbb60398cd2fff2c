//! The sidecar's one configuration struct: defaults <- TOML <- env <- flags.

use crate::algorithm::{Algorithm, Backend, Family};
use crate::error::{Result, SidecarError};
use crate::mode::Mode;
use clap::Parser;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::PathBuf;

/// Which policy engine decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EngineKind {
    /// Evaluate in-process with cedar-policy.
    Cedar,
    /// Forward to an engine's `POST {url}/v1/authorization/check`.
    Upstream,
}

/// Engine settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EngineConfig {
    /// `cedar` (default) or `upstream`.
    pub kind: EngineKind,
    /// Directory of `*.cedar` policy files and an optional `entities.json`;
    /// unset means the example agent policies built into the binary.
    pub policy_dir: Option<PathBuf>,
    /// Base URL of the upstream engine (kind = upstream).
    pub upstream_url: Option<String>,
    /// Upstream timeout in milliseconds.
    pub upstream_timeout_ms: u64,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            kind: EngineKind::Cedar,
            policy_dir: None,
            upstream_url: None,
            upstream_timeout_ms: 2000,
        }
    }
}

/// Decision anchoring: each signed decision's hash is submitted as a
/// consensus transaction to a CretoAI node (see `crate::anchor`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AnchorConfig {
    /// `true` or `false` forces anchoring on or off; unset means "on when
    /// `node_url` is set", so pointing the sidecar at a node is enough.
    pub enabled: Option<bool>,
    /// The node's base URL, e.g. `http://10.89.64.11:8080`.
    pub node_url: Option<String>,
    /// Bearer token with the node's `consensus:submit` scope. Prefer the
    /// environment (`CRETOAI_AUTHZ_ANCHOR_TOKEN`) over the config file.
    pub token: Option<Secret>,
    /// Budget for one submission (connect, send, answer), milliseconds.
    pub timeout_ms: u64,
}

impl Default for AnchorConfig {
    fn default() -> Self {
        AnchorConfig {
            enabled: None,
            node_url: None,
            token: None,
            timeout_ms: 1000,
        }
    }
}

impl AnchorConfig {
    /// Whether decisions are anchored with this configuration.
    pub fn active(&self) -> bool {
        self.enabled.unwrap_or(self.node_url.is_some())
    }
}

pub use cretoai_crypto::secret::Secret;
pub use cretoai_tls::TlsSettings;

/// Everything the sidecar is configured with.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Listen address.
    pub listen: SocketAddr,
    /// Where keys, the master key file and the root token hash live.
    pub data_dir: PathBuf,
    /// Mode at start; switchable at runtime through the admin endpoint.
    pub mode: Mode,
    /// Algorithm signed in classical mode: RS256, PS256 or EdDSA.
    pub classical_alg: Algorithm,
    /// Algorithm signed in pqc mode: ML-DSA-44, ML-DSA-65 or ML-DSA-87.
    pub pqc_alg: Algorithm,
    /// RSA modulus size for RS256/PS256 keys.
    pub rsa_bits: usize,
    /// Implementation of RS256/PS256/EdDSA: `aws-lc-rs` (default) or the
    /// pure-Rust `rust-crypto` (`rsa` + `ed25519-dalek`). ML-DSA and the
    /// composite always use aws-lc-rs.
    pub classical_backend: Backend,
    /// `iss` claim.
    pub issuer: String,
    /// Decision token lifetime in seconds.
    pub token_ttl_secs: u64,
    /// Allowed clock skew when checking `exp`/`nbf`.
    pub clock_leeway_secs: u64,
    /// Largest accepted request body in bytes.
    pub max_body_bytes: usize,
    /// How many recent measurements per algorithm `/v1/compare` keeps.
    pub stats_window: usize,
    /// Policy engine.
    pub engine: EngineConfig,
    /// Decision anchoring in a CretoAI cluster.
    pub anchor: AnchorConfig,
    /// Who may ask for checks (each can write an anchor transaction to the DAG).
    pub checks: CheckAccess,
    /// HTTPS: what the listener serves (HTTPS off loopback unless `insecure_http`) and the
    /// CA trusted for the anchor node and an upstream engine (`trust`).
    pub tls: TlsSettings,
}

/// Who may call `POST /v1/authorization/check`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CheckAccess {
    /// Whether a check needs a bearer token with the `authz:check` scope (one of `tokens`,
    /// or the root token). Default: only when the sidecar listens off loopback, so a
    /// co-located application may call it without one.
    pub require_token: Option<bool>,
    /// Tokens with the `authz:check` scope. Prefer the environment variable
    /// `CRETOAI_AUTHZ_CHECK_TOKENS` (comma-separated) to the file.
    pub tokens: Vec<Secret>,
}

impl Config {
    /// Whether checks need a token (see [`CheckAccess::require_token`]).
    pub fn checks_need_token(&self) -> bool {
        self.checks
            .require_token
            .unwrap_or(!self.listen.ip().is_loopback())
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: "127.0.0.1:8090".parse().expect("valid default address"),
            data_dir: PathBuf::from("./cretoai-authz-data"),
            mode: Mode::Classical,
            classical_alg: Algorithm::Rs256,
            pqc_alg: Algorithm::MlDsa65,
            rsa_bits: 2048,
            classical_backend: Backend::AwsLc,
            issuer: "cretoai-authz-sidecar".into(),
            token_ttl_secs: 300,
            clock_leeway_secs: 30,
            max_body_bytes: 64 * 1024,
            stats_window: 1024,
            engine: EngineConfig::default(),
            anchor: AnchorConfig::default(),
            checks: CheckAccess::default(),
            tls: TlsSettings::default(),
        }
    }
}

/// Command-line flags; each also reads its environment variable.
#[derive(Debug, Default, Parser)]
#[command(
    name = "cretoai-authz-sidecar",
    version,
    about = "Signs authorization decisions with classical, composite or ML-DSA JWS"
)]
pub struct Flags {
    /// TOML config file.
    #[arg(long, env = "CRETOAI_AUTHZ_CONFIG")]
    pub config: Option<PathBuf>,
    /// Listen address (default 127.0.0.1:8090).
    #[arg(long, env = "CRETOAI_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// Data directory.
    #[arg(long, env = "CRETOAI_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Start mode: classical, hybrid or pqc.
    #[arg(long, env = "CRETOAI_AUTHZ_MODE")]
    pub mode: Option<Mode>,
    /// Engine: cedar or upstream.
    #[arg(long, env = "CRETOAI_AUTHZ_ENGINE", value_parser = parse_engine)]
    pub engine: Option<EngineKind>,
    /// Upstream engine base URL.
    #[arg(long, env = "CRETOAI_AUTHZ_UPSTREAM_URL")]
    pub upstream_url: Option<String>,
    /// Upstream engine time budget per check in milliseconds [default: 2000]. An engine
    /// that does not answer within it gets the client a 503 `upstream_unavailable`.
    #[arg(long, env = "CRETOAI_AUTHZ_UPSTREAM_TIMEOUT_MS", value_name = "MS")]
    pub upstream_timeout_ms: Option<u64>,
    /// Cedar policy directory.
    #[arg(long, env = "CRETOAI_AUTHZ_POLICY_DIR")]
    pub policy_dir: Option<PathBuf>,
    /// Whether checks need an `authz:check` bearer token [default: only off loopback].
    #[arg(long, env = "CRETOAI_AUTHZ_CHECK_REQUIRE_TOKEN", value_name = "BOOL")]
    pub check_require_token: Option<bool>,
    /// Bearer tokens with the `authz:check` scope, comma-separated. Prefer the environment
    /// variable: flags are visible in the process list.
    #[arg(
        long,
        env = "CRETOAI_AUTHZ_CHECK_TOKENS",
        hide_env_values = true,
        value_name = "TOKENS",
        value_delimiter = ','
    )]
    pub check_tokens: Vec<Secret>,
    /// Anchor each decision in a CretoAI cluster: base URL of the node that
    /// receives the decision-hash transactions. Setting it turns anchoring on.
    #[arg(long, env = "CRETOAI_AUTHZ_ANCHOR_NODE_URL", value_name = "URL")]
    pub anchor_node_url: Option<String>,
    /// Force decision anchoring on or off (default: on when an anchor node URL is set).
    #[arg(long, env = "CRETOAI_AUTHZ_ANCHOR_ENABLED", value_name = "BOOL")]
    pub anchor_enabled: Option<bool>,
    /// Bearer token for the anchor node (scope consensus:submit). Prefer the
    /// environment variable: flags are visible in the process list.
    #[arg(
        long,
        env = "CRETOAI_AUTHZ_ANCHOR_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub anchor_token: Option<Secret>,
    /// Time budget of one anchoring submission in milliseconds [default: 1000].
    #[arg(long, env = "CRETOAI_AUTHZ_ANCHOR_TIMEOUT_MS", value_name = "MS")]
    pub anchor_timeout_ms: Option<u64>,
    /// HTTPS settings (TOML: a `[tls]` table: cert, key, san, client_ca, trust, tls,
    /// insecure_http).
    #[command(flatten)]
    pub tls: TlsSettings,
    /// What to do (default: serve).
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Subcommands besides serving.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::Subcommand)]
pub enum Command {
    /// Ask this configuration's running sidecar for `/ready` (HTTPS verified against the
    /// certificate it serves) and exit 0 only on 200: for container health checks.
    Health,
}

fn parse_engine(s: &str) -> std::result::Result<EngineKind, String> {
    match s {
        "cedar" => Ok(EngineKind::Cedar),
        "upstream" => Ok(EngineKind::Upstream),
        _ => Err(format!("unknown engine {s:?} (cedar or upstream)")),
    }
}

impl Config {
    /// Defaults, then the TOML file, then env/flags (clap merges those two).
    pub fn load(flags: Flags) -> Result<Self> {
        let mut config = match &flags.config {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| SidecarError::Config(format!("{}: {e}", path.display())))?;
                toml::from_str(&text)
                    .map_err(|e| SidecarError::Config(format!("{}: {e}", path.display())))?
            }
            None => Config::default(),
        };
        if let Some(v) = flags.listen {
            config.listen = v;
        }
        if let Some(v) = flags.data_dir {
            config.data_dir = v;
        }
        if let Some(v) = flags.mode {
            config.mode = v;
        }
        if let Some(v) = flags.engine {
            config.engine.kind = v;
        }
        if let Some(v) = flags.upstream_url {
            config.engine.upstream_url = Some(v);
        }
        if let Some(v) = flags.policy_dir {
            config.engine.policy_dir = Some(v);
        }
        if let Some(v) = flags.upstream_timeout_ms {
            config.engine.upstream_timeout_ms = v;
        }
        if let Some(v) = flags.check_require_token {
            config.checks.require_token = Some(v);
        }
        config.checks.tokens.extend(
            flags
                .check_tokens
                .into_iter()
                .filter(|t| !t.expose().is_empty()),
        );
        if let Some(v) = flags.anchor_node_url.filter(|u| !u.is_empty()) {
            config.anchor.node_url = Some(v);
        }
        if let Some(v) = flags.anchor_enabled {
            config.anchor.enabled = Some(v);
        }
        if let Some(v) = flags.anchor_token.filter(|t| !t.expose().is_empty()) {
            config.anchor.token = Some(v);
        }
        if let Some(v) = flags.anchor_timeout_ms {
            config.anchor.timeout_ms = v;
        }
        config.tls = config.tls.overlay(flags.tls);
        config.validate()?;
        Ok(config)
    }

    /// Reject combinations that cannot work.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(SidecarError::Config(m));
        if self.classical_alg.family() != Family::Classical {
            return bad(format!(
                "classical_alg must be RS256, PS256 or EdDSA, not {}",
                self.classical_alg
            ));
        }
        if self.pqc_alg.family() != Family::Pqc {
            return bad(format!(
                "pqc_alg must be ML-DSA-44/65/87, not {}",
                self.pqc_alg
            ));
        }
        if ![2048, 3072, 4096].contains(&self.rsa_bits) {
            return bad(format!(
                "rsa_bits must be 2048, 3072 or 4096, not {}",
                self.rsa_bits
            ));
        }
        if self.engine.kind == EngineKind::Upstream && self.engine.upstream_url.is_none() {
            return bad("engine.kind = upstream needs engine.upstream_url".into());
        }
        if matches!(&self.engine.upstream_url, Some(u) if u.starts_with("https://"))
            && self.tls.trust.is_none()
        {
            return bad(
                "an https:// engine.upstream_url needs tls.trust (CRETOAI_TLS_TRUST): the CA \
                 that issued the engine's certificate"
                    .into(),
            );
        }
        self.tls
            .transport(self.listen)
            .map_err(|e| SidecarError::Config(e.to_string()))?;
        if self.anchor.active() {
            let url = self.anchor.node_url.as_deref().unwrap_or_default();
            let rest = url
                .strip_prefix("https://")
                .or_else(|| url.strip_prefix("http://"));
            if rest.is_none_or(str::is_empty) {
                return bad(format!(
                    "anchoring needs anchor.node_url (CRETOAI_AUTHZ_ANCHOR_NODE_URL) as an \
                     https:// or http:// base URL, got {url:?}"
                ));
            }
            if url.starts_with("https://") && self.tls.trust.is_none() {
                return bad(
                    "an https:// anchor.node_url needs tls.trust (CRETOAI_TLS_TRUST): the CA \
                     that issued the node's certificate"
                        .into(),
                );
            }
            if self.anchor.token.is_none() {
                return bad(
                    "anchoring needs anchor.token (CRETOAI_AUTHZ_ANCHOR_TOKEN): the node \
                     refuses unauthenticated submissions"
                        .into(),
                );
            }
            if !(1..=60_000).contains(&self.anchor.timeout_ms) {
                return bad("anchor.timeout_ms must be 1 to 60000".into());
            }
        }
        if self.token_ttl_secs == 0 || self.stats_window == 0 || self.max_body_bytes < 1024 {
            return bad(
                "token_ttl_secs, stats_window must be > 0 and max_body_bytes >= 1024".into(),
            );
        }
        Ok(())
    }

    /// The config as printed at start. The root token and master key come only
    /// from env or files; the anchor token prints as `<redacted>`.
    pub fn display(&self) -> String {
        toml::to_string(self).unwrap_or_else(|_| format!("{self:?}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A config file holding `text`, in a temp dir that lives as long as the guard.
    fn toml_file(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    #[test]
    fn toml_then_flags_override_defaults() {
        let (_dir, path) =
            toml_file("mode = \"hybrid\"\nrsa_bits = 3072\n[engine]\npolicy_dir = \"/p\"\n");
        let flags = Flags {
            config: Some(path),
            listen: Some("127.0.0.1:9999".parse().unwrap()),
            ..Flags::default()
        };
        let c = Config::load(flags).unwrap();
        assert_eq!(c.mode, Mode::Hybrid);
        assert_eq!(c.rsa_bits, 3072);
        assert_eq!(c.listen.port(), 9999);
        assert_eq!(c.engine.policy_dir, Some(PathBuf::from("/p")));
        assert_eq!(c.engine.kind, EngineKind::Cedar);
    }

    #[test]
    fn invalid_combinations_are_refused() {
        let pqc_as_classical = Config {
            classical_alg: Algorithm::MlDsa65,
            ..Config::default()
        };
        assert!(pqc_as_classical.validate().is_err());
        let anchored_nowhere = Config {
            anchor: AnchorConfig {
                enabled: Some(true),
                ..AnchorConfig::default()
            },
            ..Config::default()
        };
        assert!(anchored_nowhere.validate().is_err());
        let upstream_without_url = Config {
            engine: EngineConfig {
                kind: EngineKind::Upstream,
                ..EngineConfig::default()
            },
            ..Config::default()
        };
        assert!(upstream_without_url.validate().is_err());
        assert!(Config::default().validate().is_ok());
        assert!(Config::default().display().contains("listen"));
    }

    fn anchored(f: impl FnOnce(&mut AnchorConfig)) -> Config {
        let mut c = Config::default();
        f(&mut c.anchor);
        c
    }

    #[test]
    fn a_node_url_turns_anchoring_on_unless_disabled() {
        assert!(!AnchorConfig::default().active());
        let on = anchored(|a| {
            a.node_url = Some("http://10.0.0.1:8080".into());
            a.token = Some(Secret::from("node-token".to_string()));
        });
        assert!(on.anchor.active());
        assert!(on.validate().is_ok());
        let off = anchored(|a| {
            a.node_url = Some("http://10.0.0.1:8080".into());
            a.enabled = Some(false);
        });
        assert!(!off.anchor.active());
        assert!(off.validate().is_ok(), "disabled anchoring needs no token");
        let no_token = anchored(|a| a.node_url = Some("http://10.0.0.1:8080".into()));
        assert!(no_token
            .validate()
            .unwrap_err()
            .to_string()
            .contains("anchor.token"));
        for url in ["https://n:8080", "10.0.0.1:8080", "http://"] {
            let bad = anchored(|a| {
                a.node_url = Some(url.into());
                a.token = Some(Secret::from("t".to_string()));
            });
            assert!(bad.validate().is_err(), "{url}");
        }
        let slow = anchored(|a| {
            a.node_url = Some("http://n".into());
            a.token = Some(Secret::from("t".to_string()));
            a.timeout_ms = 0;
        });
        assert!(slow.validate().is_err());
    }

    #[test]
    fn anchor_flags_override_toml_and_the_token_is_never_shown() {
        let (_dir, path) = toml_file(
            "[anchor]\nnode_url = \"http://a:1\"\ntoken = \"toml-secret\"\ntimeout_ms = 50\n",
        );
        let from_toml = Config::load(Flags {
            config: Some(path.clone()),
            ..Flags::default()
        })
        .unwrap();
        assert!(from_toml.anchor.active());
        assert_eq!(from_toml.anchor.timeout_ms, 50);
        assert_eq!(
            from_toml.anchor.token.as_ref().unwrap().expose(),
            "toml-secret"
        );

        let flags = Flags::try_parse_from([
            "cretoai-authz-sidecar",
            "--config",
            path.to_str().unwrap(),
            "--anchor-node-url",
            "http://b:2",
            "--anchor-token",
            "flag-secret",
            "--anchor-timeout-ms",
            "250",
        ])
        .unwrap();
        assert!(!format!("{flags:?}").contains("flag-secret"));
        let c = Config::load(flags).unwrap();
        assert_eq!(c.anchor.node_url.as_deref(), Some("http://b:2"));
        assert_eq!(c.anchor.timeout_ms, 250);
        assert_eq!(c.anchor.token.as_ref().unwrap().expose(), "flag-secret");
        for shown in [c.display(), format!("{c:?}")] {
            assert!(!shown.contains("flag-secret"), "{shown}");
            assert!(shown.contains("<redacted>"), "{shown}");
        }

        let disabled = Flags::try_parse_from([
            "cretoai-authz-sidecar",
            "--config",
            path.to_str().unwrap(),
            "--anchor-enabled",
            "false",
        ])
        .unwrap();
        assert!(!Config::load(disabled).unwrap().anchor.active());
    }

    #[test]
    fn help_mentions_anchoring_without_printing_the_token() {
        use clap::CommandFactory;
        let help = Flags::command().render_long_help().to_string();
        assert!(help.contains("CRETOAI_AUTHZ_ANCHOR_NODE_URL"), "{help}");
        assert!(help.contains("--anchor-token"), "{help}");
    }
}
