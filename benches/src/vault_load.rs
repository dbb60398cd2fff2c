//! `cretoai-bench vault`: REST put and get of a 1 KiB secret with N concurrent keep-alive
//! clients (req/s, p50/p95/p99), against a node it starts itself or one given with `--url`.
//!
//! Each client writes and reads its own path, so the figures show the vault's write path (one
//! durable redb transaction per version, serialized by the vault actor) and its read path
//! (redb snapshot, ML-KEM-768 decapsulation and AES-256-GCM on the crypto pool), plus the audit
//! append each request makes.

use crate::closed_loop::{print_header, Workload};
use crate::node_process::NodeProcess;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Flags of `cretoai-bench vault`.
#[derive(clap::Parser)]
pub struct VaultArgs {
    /// Address (`host:port`) of a running node; if absent a node is started from --node-bin.
    #[arg(long)]
    pub url: Option<String>,
    /// Node binary to start when --url is not given.
    #[arg(long, default_value = "target/release/cretoai-node")]
    pub node_bin: PathBuf,
    /// Bearer token with `vault` scope on `bench/*` (root token of a node we start).
    #[arg(
        long,
        env = "CRETOAI_TOKEN",
        default_value = "bench-root-token-0123456789abcdef"
    )]
    pub token: String,
    /// Concurrent keep-alive connections.
    #[arg(long, default_value_t = 32)]
    pub concurrency: usize,
    /// Seconds per workload.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Size of the secret value in bytes.
    #[arg(long, default_value_t = 1024)]
    pub value_bytes: usize,
}

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// Runs the put workload, then the get workload, and prints one line each.
pub async fn run(args: VaultArgs) -> Result<()> {
    let _node;
    let addr = match &args.url {
        Some(u) => u
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_string(),
        None => {
            let n = NodeProcess::start(&args.node_bin, &args.token).await?;
            let a = n.addr.clone();
            _node = n;
            a
        }
    };
    let run_id = std::process::id();
    let body = serde_json::json!({"data": {"value": "v".repeat(args.value_bytes)}}).to_string();
    let body = Arc::new(body);
    let path = move |client: usize| format!("/v1/vault/secrets/bench/{run_id}/c{client}");
    print_header();
    let window = Duration::from_secs(args.seconds.clamp(1, 600));
    let kib = args.value_bytes as f64 / 1024.0;
    let c = args.concurrency.max(1);
    let plan = Workload {
        addr: &addr,
        token: &args.token,
        concurrency: c,
        window,
        tls: None,
    };
    plan.measure("PUT", path, Some(body.clone()))
        .await?
        .print(&format!("PUT vault secret {kib:.0}KiB c={c}"));
    plan.measure("GET", path, None)
        .await?
        .print(&format!("GET vault secret {kib:.0}KiB c={c}"));
    Ok(())
}
