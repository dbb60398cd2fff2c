//! `cretoai-bench cluster`: load a QR-Avalanche cluster with pre-signed ML-DSA transactions.
//!
//! Starts three local `cretoai-node` processes (or uses `--url`s), signs every transaction
//! before the clock starts, submits them in batches round-robin over the nodes at a fixed rate
//! or flat out, waits until every node has accepted them, and reports accepted TPS, finality
//! from submit to accepted on all nodes (p50/p95/p99, from each node's `accepted_at`), each
//! node's peak RSS (`VmHWM`) and the verification ceiling cores / (nodes x verify time).
//! Its last line, after [`RESULT_PREFIX`], holds the same figures as one JSON object (and, with
//! `--usage-every`, each node's RSS and CPU over the run), which `cretoai-bench report` reads.

use crate::http_client::{Endpoint, BINARY};
use crate::latency::Latencies;
use crate::local_cluster::{self, get_json, wait_active, LocalNode};
use crate::presigned::{presign, verify_micros};
use crate::process_usage::{proc_cpu_secs, proc_kib, proc_written, UsageSampler};
use cretoai_crypto::ml_dsa::MlDsaLevel;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Boxed errors: a bench only reports them.
pub type Result<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// What to run.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Node addresses (`host:port`, `http://host:port` or `https://host:port`); empty means
    /// start `nodes` local processes from `node_bin`.
    pub urls: Vec<String>,
    /// CA (PEM) that `https://` nodes' certificates are verified against.
    pub ca: Option<PathBuf>,
    /// Node binary.
    pub node_bin: PathBuf,
    /// Local nodes to start.
    pub nodes: usize,
    /// Bearer token (root token of nodes we start).
    pub token: String,
    /// Transactions to submit.
    pub transactions: usize,
    /// Target submissions per second; `None` is flat out.
    pub rate: Option<u64>,
    /// Transactions per batch request.
    pub batch: usize,
    /// Concurrent connections per node.
    pub connections: usize,
    /// Sender key level.
    pub level: MlDsaLevel,
    /// Transactions whose finality is read back from every node (the rest count for TPS).
    pub sample: usize,
    /// How often to record each local node's RSS and CPU time during the run, if at all.
    pub usage_every: Option<Duration>,
}

/// Starts the machine-readable last line of a run.
pub const RESULT_PREFIX: &str = "cluster result: ";

/// How long a submitter waits after a `429 overloaded` before it sends the batch again.
const OVERLOAD_RETRY: Duration = Duration::from_millis(100);

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

async fn accepted_count(addr: &Endpoint, token: &str) -> Result<u64> {
    let (_, s) = get_json(addr, token, "/v1/consensus/status").await?;
    Ok(s["transactions"]["accepted"].as_u64().unwrap_or(0))
}

/// The given nodes: `https://` ones verified against `ca` (X25519MLKEM768 first), the others
/// over plain HTTP.
fn endpoints(urls: &[String], ca: Option<&Path>) -> Result<Vec<Endpoint>> {
    let mut tls = None;
    let mut out = Vec::new();
    for url in urls {
        let url = url.trim_end_matches('/');
        match url.strip_prefix("https://") {
            Some(addr) => {
                if tls.is_none() {
                    let ca = ca.ok_or("an https:// --url needs --ca (the nodes' CA, PEM)")?;
                    let config = cretoai_tls::client::ClientTls::trusting(ca)?.config()?;
                    tls = Some(Arc::new(config));
                }
                out.push(Endpoint {
                    addr: addr.to_string(),
                    tls: tls.clone(),
                });
            }
            None => out.push(Endpoint::plain(url.trim_start_matches("http://"))),
        }
    }
    Ok(out)
}

/// Runs the plan and prints the report.
pub async fn run(plan: Plan) -> Result<()> {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    println!(
        "pre-signing {} {} transactions on {cores} threads...",
        plan.transactions,
        plan.level.as_str()
    );
    let signed = presign(
        plan.transactions,
        plan.batch,
        plan.level,
        cores,
        plan.sample,
    );
    let verify_us = verify_micros(&signed.first, true);
    let parse_verify_us = verify_micros(&signed.first, false);
    let tx_count = signed.transactions;
    let local = if plan.urls.is_empty() {
        local_cluster::start(&plan.node_bin, plan.nodes, &plan.token)?
    } else {
        Vec::new()
    };
    let addrs: Vec<Endpoint> = if plan.urls.is_empty() {
        local.iter().map(LocalNode::endpoint).collect()
    } else {
        endpoints(&plan.urls, plan.ca.as_deref())?
    };
    let nodes = addrs.len();
    wait_active(&addrs, &plan.token).await?;
    let mut before = Vec::new();
    for a in &addrs {
        before.push(accepted_count(a, &plan.token).await?);
    }

    // Batches as ready-made request bodies, so the client only writes bytes during the run.
    let bodies = Arc::new(signed.bodies);
    let stamps = || {
        Arc::new(
            (0..bodies.len())
                .map(|_| std::sync::atomic::AtomicU64::new(0))
                .collect::<Vec<_>>(),
        )
    };
    // When each batch was first sent, and when the attempt the node admitted was sent.
    let (first_sent, submitted_at) = (stamps(), stamps());
    println!(
        "submitting {} transactions to {nodes} nodes in batches of {} ({})...",
        tx_count,
        plan.batch,
        plan.rate
            .map_or("flat out".to_string(), |r| format!("{r} tx/s target"))
    );
    let start = Instant::now();
    let sampler = plan
        .usage_every
        .map(|every| UsageSampler::start(local.iter().map(|n| n.pid()).collect(), every));
    let workers = nodes * plan.connections.max(1);
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for w in 0..workers {
        let addr = addrs[w % nodes].clone();
        let (token, bodies, next, first, stamps) = (
            plan.token.clone(),
            bodies.clone(),
            next.clone(),
            first_sent.clone(),
            submitted_at.clone(),
        );
        let (rate, batch) = (plan.rate, plan.batch.max(1) as f64);
        tasks.push(tokio::spawn(async move {
            let mut c = addr.connect().await?;
            let (mut errors, mut refused) = (0usize, 0usize);
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(body) = bodies.get(i) else {
                    break;
                };
                if let Some(rate) = rate {
                    let due = start + Duration::from_secs_f64(i as f64 * batch / rate as f64);
                    tokio::time::sleep_until(due.into()).await;
                }
                let path = "/v1/consensus/transactions/batch";
                first[i].store(now_ms(), std::sync::atomic::Ordering::Relaxed);
                loop {
                    stamps[i].store(now_ms(), std::sync::atomic::Ordering::Relaxed);
                    let r = c
                        .request_as("POST", path, Some(&token), BINARY, Some(body))
                        .await?;
                    if r.status == 429 {
                        // Admission control: nothing was stored; try again shortly (sooner
                        // than Retry-After, so the backlog bound, not the client, sets the pace).
                        refused += 1;
                        tokio::time::sleep(OVERLOAD_RETRY).await;
                        continue;
                    }
                    if r.status != 202 {
                        errors += 1;
                        eprintln!(
                            "batch {i}: HTTP {} {}",
                            r.status,
                            String::from_utf8_lossy(&r.body)
                        );
                    }
                    break;
                }
            }
            Ok::<(usize, usize), std::io::Error>((errors, refused))
        }));
    }
    let (mut errors, mut refused) = (0, 0);
    for t in tasks {
        let (e, r) = t.await??;
        errors += e;
        refused += r;
    }
    let submit_secs = start.elapsed().as_secs_f64();
    let target: Vec<u64> = before.iter().map(|b| b + tx_count as u64).collect();
    let all_accepted = wait_accepted(
        &addrs,
        &plan.token,
        &target,
        start,
        Duration::from_secs(120),
    )
    .await?;
    let total_secs = start.elapsed().as_secs_f64();
    let usage = match sampler {
        Some(s) => s.stop().await,
        None => Vec::new(),
    };

    // Finality of a sample: submit stamp of its batch to the latest accepted_at over the nodes.
    let mut finality = Latencies::default();
    let mut with_refusals = Latencies::default();
    let mut unaccepted = 0usize;
    for (batch, id) in &signed.sampled {
        let sent = submitted_at[*batch].load(std::sync::atomic::Ordering::Relaxed);
        let first = first_sent[*batch].load(std::sync::atomic::Ordering::Relaxed);
        let mut latest = Some(0u64);
        for a in &addrs {
            let (_, s) =
                get_json(a, &plan.token, &format!("/v1/consensus/transactions/{id}")).await?;
            latest = match (latest, s["accepted_at"].as_u64()) {
                (Some(l), Some(at)) => Some(l.max(at)),
                _ => None,
            };
        }
        match latest {
            Some(at) => {
                finality.push(Duration::from_millis(at.saturating_sub(sent)));
                with_refusals.push(Duration::from_millis(at.saturating_sub(first)));
            }
            None => unaccepted += 1,
        }
    }

    let ms = |d: Duration| d.as_millis();
    println!("\n== cretoai-bench cluster ==");
    println!(
        "nodes {nodes}, cores {cores}, {} sender keys, batch {}",
        plan.level.as_str(),
        plan.batch
    );
    println!(
        "submitted {} tx in {submit_secs:.2} s ({:.0} tx/s offered), {errors} failed batches, \
         {refused} batch requests refused as overloaded (429) and retried",
        tx_count,
        tx_count as f64 / submit_secs
    );
    match all_accepted {
        // How far acceptance trailed submission at the end: near zero when the cluster kept
        // the offered pace, growing with the backlog when it did not.
        Some(secs) => println!(
            "accepted on all nodes: {} tx in {secs:.2} s => {:.0} accepted tx/s \
             (the last {:.2} s after the last submission)",
            tx_count,
            tx_count as f64 / secs,
            (secs - submit_secs).max(0.0)
        ),
        None => println!("NOT all accepted within the wait ({total_secs:.1} s since start)"),
    }
    println!(
        "finality (submit -> accepted on all {nodes} nodes), {} sampled: p50 {} ms, p95 {} ms, p99 {} ms{}",
        finality.len(),
        ms(finality.percentile(50.0)),
        ms(finality.percentile(95.0)),
        ms(finality.percentile(99.0)),
        if unaccepted > 0 { format!(" ({unaccepted} sampled not accepted)") } else { String::new() }
    );
    if refused > 0 {
        println!(
            "finality counted from the first, refused attempt: p50 {} ms, p95 {} ms, p99 {} ms",
            ms(with_refusals.percentile(50.0)),
            ms(with_refusals.percentile(95.0)),
            ms(with_refusals.percentile(99.0)),
        );
    }
    let mib = |k: Option<u64>| k.map_or("n/a".into(), |k| format!("{:.1} MiB", k as f64 / 1024.0));
    for (i, n) in local.iter().enumerate() {
        let pid = n.pid();
        println!(
            "node {i} ({}): peak RSS {}, RSS now {}, CPU {}, written {}",
            n.http,
            mib(proc_kib(pid, "VmHWM")),
            mib(proc_kib(pid, "VmRSS")),
            proc_cpu_secs(pid).map_or("n/a".into(), |s| format!(
                "{s:.1} s ({:.0} us per transaction)",
                s * 1e6 / tx_count as f64
            )),
            proc_written(pid).map_or("n/a".into(), |b| format!(
                "{:.0} MiB ({:.1} KiB per transaction)",
                b as f64 / (1 << 20) as f64,
                b as f64 / 1024.0 / tx_count as f64
            ))
        );
    }
    for (i, a) in addrs.iter().enumerate() {
        let work = node_work(a, &plan.token).await?;
        println!(
            "node {i} work: {} vertices ({:.1} tx per vertex), {} durable commits, {} vertices sent in answer to fetches",
            work.vertices,
            tx_count as f64 / work.vertices.max(1) as f64,
            work.commits,
            work.served
        );
    }
    let ceiling = cores as f64 / (nodes as f64 * verify_us / 1e6);
    println!(
        "verification ceiling: {cores} cores / ({nodes} nodes x {verify_us:.1} us per {} verify) = {ceiling:.0} tx/s \
         (sender key prepared, as the nodes verify; {parse_verify_us:.1} us parsing the key each time)",
        plan.level.as_str()
    );
    let node_usage: Vec<Value> = local
        .iter()
        .map(|n| {
            let pid = n.pid();
            json!({
                "peak_rss_kib": proc_kib(pid, "VmHWM"), "rss_kib": proc_kib(pid, "VmRSS"),
                "cpu_secs": proc_cpu_secs(pid), "written_bytes": proc_written(pid),
            })
        })
        .collect();
    let millis = |d: Duration| d.as_secs_f64() * 1e3;
    let result = json!({
        "level": plan.level.as_str(), "nodes": nodes, "cores": cores,
        "transactions": tx_count, "rate": plan.rate, "batch": plan.batch,
        "offered_tps": tx_count as f64 / submit_secs,
        "accepted_tps": all_accepted.map(|secs| tx_count as f64 / secs),
        "errors": errors, "refused": refused,
        "finality_ms": {
            "sampled": finality.len(), "unaccepted": unaccepted,
            "p50": millis(finality.percentile(50.0)),
            "p95": millis(finality.percentile(95.0)),
            "p99": millis(finality.percentile(99.0)),
        },
        "verify_us": verify_us, "ceiling_tps": ceiling,
        "node_usage": node_usage,
        "usage": usage.iter().map(|u| json!({
            "secs": u.secs, "node": u.node, "rss_kib": u.rss_kib, "cpu_secs": u.cpu_secs,
        })).collect::<Vec<_>>(),
    });
    println!("{RESULT_PREFIX}{result}");
    Ok(())
}

/// Counters of one node's consensus work, from its `/metrics`.
struct NodeWork {
    vertices: u64,
    commits: u64,
    served: u64,
}

async fn node_work(addr: &Endpoint, token: &str) -> Result<NodeWork> {
    let mut c = addr.connect().await?;
    let r = c.request("GET", "/metrics", Some(token), None).await?;
    let text = String::from_utf8_lossy(&r.body);
    let counter = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.trim().parse::<u64>().ok())
            .unwrap_or(0)
    };
    Ok(NodeWork {
        vertices: counter("cretoai_consensus_vertices_total "),
        commits: counter("cretoai_consensus_commits_total "),
        served: counter("cretoai_consensus_served_vertices_total "),
    })
}

/// Seconds from `start` until every node's accepted count reaches its target, if it does
/// within `limit` of now.
async fn wait_accepted(
    addrs: &[Endpoint],
    token: &str,
    target: &[u64],
    start: Instant,
    limit: Duration,
) -> Result<Option<f64>> {
    let begin = Instant::now();
    loop {
        let mut done = true;
        for (a, t) in addrs.iter().zip(target) {
            done &= accepted_count(a, token).await? >= *t;
        }
        if done {
            return Ok(Some(start.elapsed().as_secs_f64()));
        }
        if begin.elapsed() > limit {
            return Ok(None);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
