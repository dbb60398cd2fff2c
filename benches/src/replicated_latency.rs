//! `cretoai-bench replicated`: latency of replicated writes next to local reads and signing, at
//! low load, on one node without peers and on node 1 of a local 3-node cluster.
//!
//! One client sends sequential requests over one keep-alive connection, so each figure is the
//! time of one request on an otherwise idle node. On the cluster a vault put and a key create
//! are answered only once the write went through consensus and was applied; a vault get and a
//! sign are served from the node's local state. Printed: p50 and p95 (nearest rank) per
//! operation and deployment.

use crate::http_client::{Connection, Endpoint};
use crate::latency::Latencies;
use crate::local_cluster::{self, LocalNode};
use crate::node_process::NodeProcess;
use crate::report::machine::Machine;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Flags of `cretoai-bench replicated`.
#[derive(clap::Parser)]
pub struct ReplicatedArgs {
    /// Node binary to start (one lone node, then three cluster nodes).
    #[arg(long, default_value = "target/release/cretoai-node")]
    pub node_bin: PathBuf,
    /// Measured requests per operation and deployment.
    #[arg(long, default_value_t = 200)]
    pub requests: usize,
    /// Unmeasured requests before each operation's measured ones.
    #[arg(long, default_value_t = 20)]
    pub warmup: usize,
}

/// Boxed errors: a bench only reports them.
pub type Result<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// Root token of the nodes this bench starts.
const TOKEN: &str = "bench-root-token-0123456789abcdef";
/// Nodes of the cluster deployment.
const CLUSTER_NODES: usize = 3;
/// Size of each secret's value.
const VALUE_BYTES: usize = 1024;

/// The measured operations, in the order they run (each one needs what the previous wrote).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    /// `PUT /v1/vault/secrets/<path>`, a new path each time (replicated write).
    VaultPut,
    /// `GET /v1/vault/secrets/<path>` of a secret written before (local read).
    VaultGet,
    /// `POST /v1/keys`, a new ml-dsa-65 key each time (replicated write).
    KeyCreate,
    /// `POST /v1/sign` of 64 bytes with an ml-dsa-65 key (local).
    Sign,
}

impl Operation {
    /// All operations, in run order.
    pub const ALL: [Operation; 4] = [Self::VaultPut, Self::VaultGet, Self::KeyCreate, Self::Sign];

    /// Label in the table.
    pub fn label(self) -> &'static str {
        match self {
            Self::VaultPut => "vault put (1 KiB)",
            Self::VaultGet => "vault get (1 KiB)",
            Self::KeyCreate => "key create (ml-dsa-65)",
            Self::Sign => "sign (ml-dsa-65, 64 B)",
        }
    }
}

/// Latencies of every operation against one deployment, in [`Operation::ALL`] order.
pub type Deployment = Vec<Latencies>;

/// Measures a lone node, then a 3-node cluster, and prints the table.
pub async fn run(args: ReplicatedArgs) -> Result<()> {
    let (requests, warmup) = (args.requests.max(1), args.warmup);
    println!("single node: starting {}...", args.node_bin.display());
    let single = {
        let node = NodeProcess::start(&args.node_bin, TOKEN).await?;
        measure(&node.endpoint, "single", requests, warmup).await?
    };
    println!("3-node cluster: starting, waiting until it is active...");
    let cluster = {
        let nodes = local_cluster::start(&args.node_bin, CLUSTER_NODES, TOKEN)?;
        let endpoints: Vec<Endpoint> = nodes.iter().map(LocalNode::endpoint).collect();
        local_cluster::wait_active(&endpoints, TOKEN).await?;
        measure(&endpoints[0], "cluster", requests, warmup).await?
    };
    print!("{}", table(single, cluster));
    println!("machine: {}", Machine::read());
    Ok(())
}

/// Runs every operation (warm-up, then `requests` timed requests) over one keep-alive
/// connection to `node`. `tag` keeps names apart between deployments.
pub async fn measure(
    node: &Endpoint,
    tag: &str,
    requests: usize,
    warmup: usize,
) -> Result<Deployment> {
    let mut c = node.connect().await?;
    let run = format!("{}-{tag}", std::process::id());
    let total = warmup + requests;
    let secret = serde_json::json!({"data": {"value": "v".repeat(VALUE_BYTES)}}).to_string();
    let secret_path = |i: usize| format!("/v1/vault/secrets/bench/replicated/{run}/s{i}");
    let key_name = |i: usize| format!("bench-replicated-{run}-{i}");
    let message = B64.encode([0x5au8; 64]);
    let mut out = Vec::new();
    for op in Operation::ALL {
        let mut lat = Latencies::default();
        for i in 0..total {
            let (method, path, body, expect) = match op {
                Operation::VaultPut => ("PUT", secret_path(i), Some(secret.clone()), 200),
                Operation::VaultGet => ("GET", secret_path(i), None, 200),
                Operation::KeyCreate => {
                    let body = serde_json::json!({"name": key_name(i), "type": "ml-dsa-65"});
                    ("POST", "/v1/keys".into(), Some(body.to_string()), 201)
                }
                Operation::Sign => {
                    // Spread over the keys just created: all are replicated, named ml-dsa-65 keys.
                    let body = serde_json::json!({"key": key_name(i), "message": message});
                    ("POST", "/v1/sign".into(), Some(body.to_string()), 200)
                }
            };
            let took = timed(&mut c, method, &path, body.as_deref(), expect).await?;
            if i >= warmup {
                lat.push(took);
            }
        }
        out.push(lat);
    }
    Ok(out)
}

/// One request; its time from the first byte written to the last byte of the answer read. Any
/// other status than `expect` ends the run: a refused request has no latency to report.
async fn timed(
    c: &mut Connection,
    method: &str,
    path: &str,
    body: Option<&str>,
    expect: u16,
) -> Result<Duration> {
    let raw = c.encode(method, path, Some(TOKEN), body.map(str::as_bytes));
    let start = Instant::now();
    let (status, answer) = c.exchange(&raw).await?;
    let took = start.elapsed();
    if status != expect {
        return Err(format!(
            "{method} {path}: HTTP {status} (expected {expect}): {}",
            String::from_utf8_lossy(answer)
        )
        .into());
    }
    Ok(took)
}

/// The table: operation | single node p50 | p95 | 3-node cluster p50 | p95 | requests.
pub fn table(mut single: Deployment, mut cluster: Deployment) -> String {
    let ms = |d: Duration| format!("{:.2} ms", d.as_secs_f64() * 1e3);
    let mut out = String::from(
        "\n| operation | single node p50 | p95 | 3-node cluster p50 | p95 | requests |\n\
         |---|---:|---:|---:|---:|---:|\n",
    );
    for ((op, s), c) in Operation::ALL
        .iter()
        .zip(single.iter_mut())
        .zip(cluster.iter_mut())
    {
        let requests = if s.len() == c.len() {
            s.len().to_string()
        } else {
            format!("{} / {}", s.len(), c.len())
        };
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {requests} |\n",
            op.label(),
            ms(s.percentile(50.0)),
            ms(s.percentile(95.0)),
            ms(c.percentile(50.0)),
            ms(c.percentile(95.0)),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn samples(ms: impl IntoIterator<Item = u64>) -> Latencies {
        let mut l = Latencies::default();
        for m in ms {
            l.push(Duration::from_millis(m));
        }
        l
    }

    #[test]
    fn table_has_one_row_per_operation_with_nearest_rank_percentiles() {
        let single = Operation::ALL.iter().map(|_| samples(1..=100)).collect();
        let cluster = Operation::ALL.iter().map(|_| samples(101..=200)).collect();
        let t = table(single, cluster);
        let rows: Vec<&str> = t.lines().filter(|l| l.starts_with("| ")).collect();
        assert_eq!(rows.len(), 1 + Operation::ALL.len());
        assert_eq!(
            rows[1],
            "| vault put (1 KiB) | 50.00 ms | 95.00 ms | 150.00 ms | 195.00 ms | 100 |"
        );
        assert!(rows[4].starts_with("| sign (ml-dsa-65, 64 B) | 50.00 ms"));
    }

    #[test]
    fn unequal_counts_are_both_shown() {
        let single = Operation::ALL.iter().map(|_| samples(1..=4)).collect();
        let cluster = Operation::ALL.iter().map(|_| samples(1..=3)).collect();
        assert!(table(single, cluster)
            .lines()
            .nth(3)
            .unwrap()
            .ends_with("| 4 / 3 |"));
    }
}
