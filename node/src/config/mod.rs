//! The node's configuration: defaults <- optional TOML file <- environment (`CRETOAI_*`) <- flags.
//!
//! Secrets (root token, master key) come only from the environment, never from flags (which
//! other users can read in the process list) or the TOML file (which tends to get committed).

use crate::consensus::settings::ConsensusFlags;
use crate::error::{NodeError, Result};
use clap::Parser;
use cretoai_network::PeerConfig;
pub use cretoai_tls::TlsSettings;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Every setting, declared once: the command-line flags, their environment variables, the TOML
/// file's keys (the same names) and the reference table in docs/api.md ([`reference`]) all
/// come from this declaration. Flags win over the environment, which wins over the file.
#[derive(Debug, Default, Parser, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[command(
    name = "cretoai-node",
    version,
    about = "CretoAI node: post-quantum encryption and signatures (ML-KEM-768, ML-DSA-44/65/87) over a REST API.",
    after_help = secrets_help()
)]
pub struct Cli {
    /// TOML file with any of the settings below, under their names with `_` for `-` (the
    /// consensus and TLS settings in the tables [consensus] and [tls], without the prefix).
    #[arg(long, env = "CRETOAI_CONFIG", value_name = "FILE")]
    #[serde(skip)]
    pub config: Option<PathBuf>,
    /// Address and port to serve on [default: 127.0.0.1:8080]. Loopback serves plain HTTP
    /// unless a TLS flag is given; every other address serves HTTPS (see --insecure-http).
    #[arg(long, env = "CRETOAI_LISTEN", value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// Directory for the database and the generated master key [default: ./data].
    #[arg(long, env = "CRETOAI_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Largest accepted request body in bytes; larger bodies get 413 [default: 1048576].
    #[arg(long, env = "CRETOAI_MAX_BODY_BYTES", value_name = "BYTES")]
    pub max_body_bytes: Option<usize>,
    /// Most items accepted in one batch request [default: 1000].
    #[arg(long, env = "CRETOAI_MAX_BATCH_ITEMS", value_name = "N")]
    pub max_batch_items: Option<usize>,
    /// Log filter in tracing's EnvFilter syntax, e.g. `info` or `cretoai_node=debug` [default: info].
    #[arg(long, env = "CRETOAI_LOG_LEVEL", value_name = "FILTER")]
    pub log_level: Option<String>,
    /// Log line format: `text` or `json` [default: text].
    #[arg(long, env = "CRETOAI_LOG_FORMAT", value_name = "FORMAT")]
    pub log_format: Option<LogFormat>,
    /// HTTP worker threads [default: number of cores].
    #[arg(long, env = "CRETOAI_WORKERS", value_name = "N")]
    pub workers: Option<usize>,
    /// Threads running encrypt/decrypt/sign/verify [default: number of cores].
    #[arg(long, env = "CRETOAI_CRYPTO_THREADS", value_name = "N")]
    pub crypto_threads: Option<usize>,
    /// Lifetime of tokens created without `ttl_seconds` [default: 86400].
    #[arg(
        long,
        env = "CRETOAI_DEFAULT_TOKEN_TTL_SECONDS",
        value_name = "SECONDS"
    )]
    pub default_token_ttl_seconds: Option<u64>,
    /// Largest vault secret value (JSON of `data`) in bytes; larger gets 413 [default: 65536].
    #[arg(long, env = "CRETOAI_VAULT_MAX_VALUE_BYTES", value_name = "BYTES")]
    pub vault_max_value_bytes: Option<usize>,
    /// Versions kept per vault secret unless its metadata says otherwise [default: 10].
    #[arg(long, env = "CRETOAI_VAULT_MAX_VERSIONS", value_name = "N")]
    pub vault_max_versions: Option<u32>,
    /// UDP address for the cluster's QUIC transport [default: 127.0.0.1:7070]; used only
    /// when peers are configured.
    #[arg(long, env = "CRETOAI_QUIC_LISTEN", value_name = "ADDR")]
    pub quic_listen: Option<SocketAddr>,
    /// A cluster peer as `<64-hex node id>@<ip:port>` (repeat, or comma-separate in
    /// CRETOAI_PEERS). No peers: a single-node cluster that finalizes on its own.
    #[arg(
        long = "peer",
        env = "CRETOAI_PEERS",
        value_name = "ID@ADDR",
        value_delimiter = ','
    )]
    #[serde(deserialize_with = "peers_from_text")]
    pub peers: Option<Vec<PeerConfig>>,
    /// File holding this node's ML-DSA-65 identity, sealed under the master key
    /// [default: <data-dir>/node.key].
    #[arg(long, env = "CRETOAI_NODE_KEY", value_name = "FILE")]
    pub node_key: Option<PathBuf>,
    /// File holding the cluster key: 32 bytes as standard base64, the same on every node.
    /// Required with peers: keys, secrets and tokens are replicated under it [default: none;
    /// a node without peers derives its own].
    #[arg(long, env = "CRETOAI_CLUSTER_KEY_FILE", value_name = "FILE")]
    pub cluster_key_file: Option<PathBuf>,
    /// Page cache of the database in MiB [default: 16]. Writes do not need it (they are
    /// fsynced to the file) and recent pages stay in the OS page cache; a larger cache mostly
    /// adds to the node's memory.
    #[arg(long, env = "CRETOAI_DB_CACHE_MIB", value_name = "MIB")]
    pub db_cache_mib: Option<usize>,
    /// Base URL of the AuthZ sidecar whose demo routes this node relays for the console, e.g.
    /// `https://127.0.0.1:8090` (its admin token comes from CRETOAI_AUTHZ_SIDECAR_TOKEN; an https
    /// sidecar is verified against --tls-trust).
    #[arg(long, env = "CRETOAI_AUTHZ_SIDECAR_URL", value_name = "URL")]
    pub authz_sidecar_url: Option<String>,
    /// Consensus parameters (TOML: a `[consensus]` table with the same names).
    #[command(flatten)]
    pub consensus: ConsensusFlags,
    /// HTTPS settings (TOML: a `[tls]` table: cert, key, san, client_ca, trust, tls,
    /// insecure_http).
    #[command(flatten)]
    pub tls: TlsSettings,
    /// What to do (default: serve).
    #[command(subcommand)]
    #[serde(skip)]
    pub command: Option<Command>,
}

/// Subcommands besides serving.
#[derive(Debug, Clone, PartialEq, Eq, clap::Subcommand)]
pub enum Command {
    /// Create the node identity if needed and print its node id (to configure peers with).
    Identity,
    /// Ask this configuration's running node for `/ready` (HTTPS verified against the
    /// certificate it serves) and exit 0 only on 200: for container health checks.
    Health,
    /// Issue a server certificate for the --tls-san names (plus localhost and 127.0.0.1) from
    /// the CA in --ca-dir (created there if missing) into --out: server.pem, server.key and a
    /// copy of ca.pem. One CA for a whole cluster; reruns keep what is still valid.
    IssueCertificate {
        /// Directory of the CA (ca.pem, ca.key).
        #[arg(long, value_name = "DIR")]
        ca_dir: PathBuf,
        /// Directory for the server certificate and key.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable key=value lines.
    Text,
    /// One JSON object per line.
    Json,
}

pub use cretoai_crypto::secret::Secret;

mod reference;
pub use reference::{markdown as reference_markdown, settings as reference_settings, Setting};

/// Root bearer token.
const ROOT_TOKEN_ENV: &str = "CRETOAI_ROOT_TOKEN";
/// Master key sealing private keys at rest.
const MASTER_KEY_ENV: &str = "CRETOAI_MASTER_KEY";
/// The AuthZ sidecar's admin token.
const SIDECAR_TOKEN_ENV: &str = "CRETOAI_AUTHZ_SIDECAR_TOKEN";

/// The settings read from the environment only: flags show in the process list and TOML files
/// tend to get committed.
pub const SECRETS: [(&str, &str); 3] = [
    (
        ROOT_TOKEN_ENV,
        "root bearer token (else one is generated at first start and printed once)",
    ),
    (
        MASTER_KEY_ENV,
        "base64 of 32 bytes sealing private keys at rest (else <data-dir>/master.key, created 0600)",
    ),
    (
        SIDECAR_TOKEN_ENV,
        "the AuthZ sidecar's admin token (the node relays the console's checks and mode switches with it)",
    ),
];

fn secrets_help() -> String {
    let mut help = String::from("Secrets are read from the environment only:");
    for (env, what) in SECRETS {
        help += &format!("\n  {env}   {what}");
    }
    help
}

/// The resolved configuration of one node.
#[derive(Debug, Clone)]
pub struct Config {
    /// HTTP listen address.
    pub listen: SocketAddr,
    /// Data directory (database, generated master key).
    pub data_dir: PathBuf,
    /// Body size limit in bytes.
    pub max_body_bytes: usize,
    /// Item limit for batch requests.
    pub max_batch_items: usize,
    /// tracing EnvFilter directive.
    pub log_level: String,
    /// Log line format.
    pub log_format: LogFormat,
    /// HTTP worker threads.
    pub workers: usize,
    /// Crypto pool threads.
    pub crypto_threads: usize,
    /// Default token lifetime.
    pub default_token_ttl_seconds: u64,
    /// Largest vault secret value in bytes.
    pub vault_max_value_bytes: usize,
    /// Default versions kept per vault secret.
    pub vault_max_versions: u32,
    /// Root token from `CRETOAI_ROOT_TOKEN`, if set.
    pub root_token: Option<Secret>,
    /// Master key (base64) from `CRETOAI_MASTER_KEY`, if set.
    pub master_key: Option<Secret>,
    /// QUIC listen address of the cluster transport.
    pub quic_listen: SocketAddr,
    /// Cluster peers; empty means a single-node cluster.
    pub peers: Vec<PeerConfig>,
    /// Node identity file; `None` means `<data_dir>/node.key`.
    pub node_key: Option<PathBuf>,
    /// The cluster key's file (required with peers).
    pub cluster_key_file: Option<PathBuf>,
    /// The database's page cache in MiB.
    pub db_cache_mib: usize,
    /// Consensus parameter overrides.
    pub consensus: ConsensusFlags,
    /// Base URL of the AuthZ sidecar the console's AuthZ panel reaches through this node.
    pub authz_sidecar_url: Option<String>,
    /// The sidecar's admin token from `CRETOAI_AUTHZ_SIDECAR_TOKEN` (relayed checks and mode
    /// switches).
    pub authz_sidecar_token: Option<Secret>,
    /// HTTPS settings; [`TlsSettings::transport`] decides what `listen` serves.
    pub tls: TlsSettings,
}

/// Number of cores available to the process (at least 1).
pub fn core_count() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

impl Config {
    /// Defaults for a node whose data lives in `data_dir`; used by tests and as the base layer.
    pub fn with_data_dir(data_dir: impl Into<PathBuf>) -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: data_dir.into(),
            max_body_bytes: 1024 * 1024,
            max_batch_items: 1000,
            log_level: "info".to_string(),
            log_format: LogFormat::Text,
            workers: core_count(),
            crypto_threads: core_count(),
            default_token_ttl_seconds: 86_400,
            vault_max_value_bytes: 64 * 1024,
            vault_max_versions: 10,
            root_token: None,
            master_key: None,
            quic_listen: SocketAddr::from(([127, 0, 0, 1], 7070)),
            peers: Vec::new(),
            node_key: None,
            cluster_key_file: None,
            db_cache_mib: crate::store::DEFAULT_CACHE_MIB,
            consensus: ConsensusFlags::default(),
            authz_sidecar_url: None,
            authz_sidecar_token: None,
            tls: TlsSettings::default(),
        }
    }

    /// The node identity file.
    pub fn node_key_path(&self) -> PathBuf {
        self.node_key
            .clone()
            .unwrap_or_else(|| self.data_dir.join("node.key"))
    }

    /// Resolves all layers: defaults, the TOML file named by `--config`, then env and flags
    /// (clap has already merged those two), then the secret environment variables.
    pub fn load(cli: Cli) -> Result<Self> {
        let file = match &cli.config {
            Some(path) => read_file_config(path)?,
            None => Cli::default(),
        };
        let mut config = Config::with_data_dir("./data");
        macro_rules! layer {
            ($($field:ident),*) => {$(
                if let Some(v) = file.$field { config.$field = v; }
                if let Some(v) = cli.$field { config.$field = v; }
            )*};
        }
        layer!(
            listen,
            data_dir,
            max_body_bytes,
            max_batch_items,
            log_level,
            log_format,
            workers,
            crypto_threads,
            default_token_ttl_seconds,
            vault_max_value_bytes,
            vault_max_versions,
            quic_listen,
            db_cache_mib
        );
        config.node_key = cli.node_key.or(file.node_key);
        config.cluster_key_file = cli.cluster_key_file.or(file.cluster_key_file);
        config.authz_sidecar_url = cli.authz_sidecar_url.or(file.authz_sidecar_url);
        if let Some(peers) = cli.peers.or(file.peers) {
            config.peers = peers;
        }
        config.consensus = file.consensus.overlay(cli.consensus);
        config.consensus.params(config.peers.len() + 1)?;
        config.tls = file.tls.overlay(cli.tls);
        config.root_token = secret_env(ROOT_TOKEN_ENV);
        config.master_key = secret_env(MASTER_KEY_ENV);
        config.authz_sidecar_token = secret_env(SIDECAR_TOKEN_ENV);
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<()> {
        let positive = [
            ("max_body_bytes", self.max_body_bytes),
            ("max_batch_items", self.max_batch_items),
            ("vault_max_value_bytes", self.vault_max_value_bytes),
            ("vault_max_versions", self.vault_max_versions as usize),
            ("workers", self.workers),
            ("crypto_threads", self.crypto_threads),
            ("db_cache_mib", self.db_cache_mib),
        ];
        for (name, value) in positive {
            if value == 0 {
                return Err(NodeError::Config(format!("{name} must be at least 1")));
            }
        }
        if self.default_token_ttl_seconds == 0 {
            return Err(NodeError::Config(
                "default_token_ttl_seconds must be at least 1".into(),
            ));
        }
        if let Some(url) = &self.authz_sidecar_url {
            if !url.starts_with("http://") && !url.starts_with("https://") {
                return Err(NodeError::Config(format!(
                    "authz_sidecar_url must start with https:// or http://, got `{url}`"
                )));
            }
            if url.starts_with("https://") && self.tls.trust.is_none() {
                return Err(NodeError::Config(
                    "an https:// authz_sidecar_url needs --tls-trust (the CA that issued the \
                     sidecar's certificate)"
                        .into(),
                ));
            }
        }
        self.tls.transport(self.listen)?;
        if matches!(&self.root_token, Some(t) if t.expose().len() < 16) {
            return Err(NodeError::Config(
                "CRETOAI_ROOT_TOKEN must be at least 16 characters".into(),
            ));
        }
        Ok(())
    }
}

fn read_file_config(path: &Path) -> Result<Cli> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| NodeError::Config(format!("cannot read {}: {e}", path.display())))?;
    toml::from_str(&text).map_err(|e| NodeError::Config(format!("{}: {e}", path.display())))
}

/// Reads TOML's `peers = ["<id>@<addr>", ...]` in the form the flag takes.
fn peers_from_text<'de, D>(de: D) -> std::result::Result<Option<Vec<PeerConfig>>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    let texts = Vec::<String>::deserialize(de)?;
    texts
        .iter()
        .map(|t| t.parse().map_err(serde::de::Error::custom))
        .collect::<std::result::Result<_, _>>()
        .map(Some)
}

fn secret_env(name: &str) -> Option<Secret> {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .map(Secret::new)
}

#[cfg(test)]
mod tests;
